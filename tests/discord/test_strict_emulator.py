"""The Discord emulator refuses what Discord refuses (tests/emulators/discord/rules.py, each rule
citing Discord's documentation), and everything the bot renders passes those rules: a renderer
change that breaks a Discord limit fails here, both against the emulator and on generated
messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.discord.render import render
from bot.adapters.discord.sender import DiscordSender
from bot.delivery.sender import PermanentError
from bot.messages import Button, Field, Link, Message, Section, Tone
from bot.scheduling.jobs import Destination, DestinationKind
from tests.emulators.discord import DiscordEmulator, rules

CHANNEL = "100000000000000001"


@pytest.fixture
async def http(emulator: DiscordEmulator) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bot {emulator.token}"}
    async with aiohttp.ClientSession(emulator.api_url + "/", headers=headers) as session:
        yield session


def button(n: int, custom_id: str | None = None) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": f"b{n}", "custom_id": custom_id or f"a:{n}"}


def row(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(buttons)}


def embed(**fields: Any) -> dict[str, Any]:
    return {"color": 1, **fields}


REFUSED_MESSAGES: dict[str, tuple[dict[str, Any], int, str]] = {
    # name: (body, JSON error code, path in the errors tree)
    "empty": ({"allowed_mentions": {"parse": []}}, 50006, ""),
    "content over 2000": ({"content": "x" * 2001}, 50035, "content"),
    "11 embeds": ({"embeds": [embed(description="d")] * 11}, 50035, "embeds"),
    "title over 256": ({"embeds": [embed(title="t" * 257)]}, 50035, "embeds.0.title"),
    "description over 4096": (
        {"embeds": [embed(description="d" * 4097)]},
        50035,
        "embeds.0.description",
    ),
    "26 fields": (
        {"embeds": [embed(fields=[{"name": "n", "value": "v"}] * 26)]},
        50035,
        "embeds.0.fields",
    ),
    "field name over 256": (
        {"embeds": [embed(fields=[{"name": "n" * 257, "value": "v"}])]},
        50035,
        "embeds.0.fields.0.name",
    ),
    "field value over 1024": (
        {"embeds": [embed(fields=[{"name": "n", "value": "v" * 1025}])]},
        50035,
        "embeds.0.fields.0.value",
    ),
    "footer over 2048": (
        {"embeds": [embed(footer={"text": "f" * 2049})]},
        50035,
        "embeds.0.footer.text",
    ),
    "author name over 256": (
        {"embeds": [embed(author={"name": "a" * 257})]},
        50035,
        "embeds.0.author.name",
    ),
    "6001 characters across embeds": (
        {"embeds": [embed(description="d" * 4000), embed(description="d" * 2001)]},
        50035,
        "embeds",
    ),
    "6 action rows": (
        {"content": "c", "components": [row(button(n)) for n in range(6)]},
        50035,
        "components",
    ),
    "6 buttons in a row": (
        {"content": "c", "components": [row(*(button(n) for n in range(6)))]},
        50035,
        "components.0.components",
    ),
    "custom_id over 100": (
        {"content": "c", "components": [row(button(0, "x" * 101))]},
        50035,
        "components.0.components.0.custom_id",
    ),
    "custom_id repeated": (
        {"content": "c", "components": [row(button(0, "a:1")), row(button(1, "a:1"))]},
        50035,
        "components.1.components.0.custom_id",
    ),
}


def error_at(errors: dict[str, Any], path: str) -> list[dict[str, Any]]:
    node = errors
    for part in path.split("."):
        node = node[part]
    return list(node["_errors"])


@pytest.mark.parametrize("name", sorted(REFUSED_MESSAGES))
async def test_the_emulator_refuses_what_discord_refuses(
    name: str, emulator: DiscordEmulator, http: aiohttp.ClientSession
) -> None:
    body, code, path = REFUSED_MESSAGES[name]
    async with http.post(f"channels/{CHANNEL}/messages", json=body) as resp:
        assert resp.status == 400
        answer = await resp.json()
    assert answer["code"] == code
    if code == 50035:
        assert answer["message"] == "Invalid Form Body"
        assert error_at(answer["errors"], path)[0]["code"]
    assert not emulator.messages.get(CHANNEL)


async def test_a_message_at_every_limit_is_accepted(
    emulator: DiscordEmulator, http: aiohttp.ClientSession
) -> None:
    fields = [{"name": "n" * 10, "value": "v" * 10}] * 25
    body = {
        "content": "c" * 2000,
        "embeds": [embed(title="t" * 256, description="d" * 4096, fields=fields)]
        + [embed(description="d" * 100)] * 9,
        "components": [
            row(*(button(r * 5 + b, f"{r}:{b:>98}") for b in range(5))) for r in range(5)
        ],
    }
    async with http.post(f"channels/{CHANNEL}/messages", json=body) as resp:
        assert resp.status == 200, await resp.text()


COMMAND = {"name": "digest", "description": "Digests", "type": 1}
REFUSED_COMMANDS: dict[str, tuple[list[dict[str, Any]], str]] = {
    "upper-case name": ([{**COMMAND, "name": "Digest"}], "0.name"),
    "name with a space": ([{**COMMAND, "name": "my digest"}], "0.name"),
    "name over 32": ([{**COMMAND, "name": "d" * 33}], "0.name"),
    "empty description": ([{**COMMAND, "description": ""}], "0.description"),
    "description over 100": ([{**COMMAND, "description": "d" * 101}], "0.description"),
    "26 options": (
        [
            {
                **COMMAND,
                "options": [{"type": 3, "name": f"o{n}", "description": "o"} for n in range(26)],
            }
        ],
        "0.options",
    ),
    "26 choices": (
        [
            {
                **COMMAND,
                "options": [
                    {
                        "type": 3,
                        "name": "level",
                        "description": "l",
                        "choices": [{"name": f"c{n}", "value": f"c{n}"} for n in range(26)],
                    }
                ],
            }
        ],
        "0.options.0.choices",
    ),
    "over 8000 characters": (
        [
            {
                **COMMAND,
                "options": [
                    {
                        "type": 3,
                        "name": f"o{n}",
                        "description": "d" * 100,
                        "choices": [{"name": "c" * 100, "value": "v" * 100} for _ in range(2)],
                    }
                    for n in range(17)
                ],
            }
        ],
        "0",
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSED_COMMANDS))
async def test_the_emulator_refuses_commands_discord_refuses(
    name: str, emulator: DiscordEmulator, http: aiohttp.ClientSession
) -> None:
    commands, path = REFUSED_COMMANDS[name]
    async with http.put(f"applications/{emulator.application_id}/commands", json=commands) as resp:
        assert resp.status == 400
        answer = await resp.json()
    assert answer["code"] == 50035
    assert error_at(answer["errors"], path)
    assert "global" not in emulator.commands


async def test_more_than_100_global_commands_are_refused(
    emulator: DiscordEmulator, http: aiohttp.ClientSession
) -> None:
    commands = [{**COMMAND, "name": f"c{n}"} for n in range(101)]
    async with http.put(f"applications/{emulator.application_id}/commands", json=commands) as resp:
        assert resp.status == 400
        assert (await resp.json())["code"] == 30032
    async with http.put(
        f"applications/{emulator.application_id}/commands", json=commands[:100]
    ) as resp:
        assert resp.status == 200


async def test_guild_commands_carrying_the_bot_dm_context_are_refused(
    emulator: DiscordEmulator, http: aiohttp.ClientSession
) -> None:
    """`contexts` with BOT_DM (1) is for global commands only: a guild's bulk overwrite carrying
    it is refused (50035 at `N.contexts`), the same command globally is taken."""
    guild = next(iter(emulator.guilds))
    commands = [COMMAND, {**COMMAND, "name": "help", "contexts": [0, 1]}]
    app = f"applications/{emulator.application_id}"
    async with http.put(f"{app}/guilds/{guild}/commands", json=commands) as resp:
        assert resp.status == 400
        answer = await resp.json()
    assert answer["code"] == 50035 and error_at(answer["errors"], "1.contexts")
    assert guild not in emulator.commands
    guild_only = [COMMAND, {**COMMAND, "name": "help", "contexts": [0]}]
    async with http.put(f"{app}/guilds/{guild}/commands", json=guild_only) as resp:
        assert resp.status == 200
    async with http.put(f"{app}/commands", json=commands) as resp:
        assert resp.status == 200


EXTREMES = {
    "long plain text": Message(body="word " * 1000),
    "plain text just over content": Message(body="x" * 2001),
    "one very long line": Message(title="T" * 300, body="y" * 20_000),
    "many fields": Message(
        title="Fields",
        fields=tuple(Field("n" * 300, "v" * 1100) for _ in range(60)),
        footer="f" * 3000,
    ),
    "sections and links": Message(
        title="Digest",
        body="intro",
        sections=tuple(Section(f"Tip {n}", "t" * 900) for n in range(40)),
        links=tuple(Link(f"link {n}", f"https://example.org/{n}") for n in range(50)),
        footer="mlebot",
        tone=Tone.SUCCESS,
    ),
    "code fences split": Message(body="```\n" + "\n".join("code line" for _ in range(900))),
    "many buttons": Message(
        body="pick one", buttons=tuple(Button(f"b{n}", "pick", str(n)) for n in range(30))
    ),
}


@pytest.mark.parametrize("name", sorted(EXTREMES))
async def test_extreme_messages_reach_the_strict_emulator(
    name: str, emulator: DiscordEmulator
) -> None:
    sender = DiscordSender(emulator.token, api_base_url=emulator.api_url)
    destination = Destination("discord", "g", DestinationKind.CHANNEL, CHANNEL)
    try:
        await sender.send(destination, EXTREMES[name], idempotency_key=f"k-{len(name)}")
    except PermanentError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"Discord would refuse the rendered {name!r}: {exc.reason}")
    finally:
        await sender.close()
    assert len(emulator.messages[CHANNEL]) == len(render(EXTREMES[name]))


text = st.text(max_size=3000)


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(max_size=400),
    body=text,
    fields=st.lists(st.tuples(st.text(max_size=300), st.text(max_size=1200)), max_size=40),
    footer=st.text(max_size=2500),
    buttons=st.lists(
        st.tuples(st.text(min_size=1, max_size=90), st.text(max_size=120)), max_size=30
    ),
    private=st.booleans(),
)
def test_every_rendered_payload_passes_discords_rules(
    title: str,
    body: str,
    fields: list[tuple[str, str]],
    footer: str,
    buttons: list[tuple[str, str]],
    private: bool,
) -> None:
    message = Message(
        title=title,
        body=body,
        fields=tuple(Field(n, v) for n, v in fields),
        footer=footer,
        buttons=tuple(Button(label, "act", value) for label, value in buttons),
        private=private,
    )
    for payload in render(message):
        assert rules.message_violation(payload) is None, payload


async def test_an_initial_response_after_3_seconds_is_an_unknown_interaction(
    emulator: DiscordEmulator,
) -> None:
    now = [1000.0]
    emulator.clock = lambda: now[0]
    late = emulator.open_interaction()
    on_time = emulator.open_interaction()
    now[0] += 3.2
    async with aiohttp.ClientSession() as http:
        url = f"{emulator.api_url}/interactions/{late['id']}/{late['token']}/callback"
        async with http.post(url, json={"type": 5}) as resp:
            assert resp.status == 404 and (await resp.json())["code"] == 10062
        # Follow-ups are a webhook: valid for 15 minutes, then 50027 Invalid Webhook Token.
        now[0] -= 3.2
        url = f"{emulator.api_url}/interactions/{on_time['id']}/{on_time['token']}/callback"
        async with http.post(url, json={"type": 5}) as resp:
            assert resp.status == 204
        follow_up = f"{emulator.api_url}/webhooks/{emulator.application_id}/{on_time['token']}"
        now[0] += 14 * 60
        async with http.post(follow_up, json={"content": "still in time"}) as resp:
            assert resp.status == 200
        now[0] += 2 * 60
        async with http.post(follow_up, json={"content": "too late"}) as resp:
            assert resp.status == 401 and (await resp.json())["code"] == 50027


async def test_autocomplete_answers_are_held_to_25_choices_of_100_characters(
    emulator: DiscordEmulator,
) -> None:
    async with aiohttp.ClientSession() as http:
        for choices, ok in [
            ([{"name": f"c{n}", "value": f"c{n}"} for n in range(25)], True),
            ([{"name": f"c{n}", "value": f"c{n}"} for n in range(26)], False),
            ([{"name": "n" * 101, "value": "v"}], False),
            ([{"name": "n", "value": "v" * 101}], False),
        ]:
            ix = emulator.open_interaction(4)
            url = f"{emulator.api_url}/interactions/{ix['id']}/{ix['token']}/callback"
            async with http.post(url, json={"type": 8, "data": {"choices": choices}}) as resp:
                assert (resp.status == 204) is ok
                if not ok:
                    assert (await resp.json())["code"] == 50035


async def test_200_command_creates_a_day_per_guild_then_30034(
    emulator: DiscordEmulator, http: aiohttp.ClientSession
) -> None:
    guild = next(iter(emulator.guilds))
    url = f"applications/{emulator.application_id}/guilds/{guild}/commands"
    for batch in ("a", "b"):
        commands = [{**COMMAND, "name": f"{batch}{n}"} for n in range(100)]
        async with http.put(url, json=commands) as resp:
            assert resp.status == 200
    async with http.put(url, json=commands) as resp:  # the same again: nothing created
        assert resp.status == 200
    async with http.put(url, json=[*commands[:99], {**COMMAND, "name": "c0"}]) as resp:
        assert resp.status == 400
        assert (await resp.json())["code"] == 30034


@pytest.mark.parametrize(
    "name", ["digest", "a-b_c'd", "x" * 32, "résumé", "हिन्दी", "ภาษาไทย", "日本語", "n2"]
)
def test_command_names_discord_accepts(name: str) -> None:
    """Devanagari and Thai names pass whole, vowel signs and viramas included (marks that are
    neither letters nor numbers elsewhere)."""
    assert rules.valid_command_name(name)


@pytest.mark.parametrize(
    "name", ["", "x" * 33, "Digest", "has space", "a.b", "emoji😀", "a\u0301", "ÉTÉ"]
)
def test_command_names_discord_refuses(name: str) -> None:
    assert not rules.valid_command_name(name)
