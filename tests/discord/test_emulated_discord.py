"""The real discord.py client driven through the loopback Discord emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord import adapter as adapter_module
from bot.adapters.discord.commands import tree_json
from bot.app import Application
from bot.events import CommunityJoined
from bot.scheduling.jobs import Destination, DestinationKind
from cogs.help import HelpCog
from cogs.schedules import SchedulesCog
from cogs.settings import SettingsCog
from tests.discord.conftest import GUILD, MODS_ROLE, BotFactory
from tests.discord.demo_cog import DemoCog
from tests.discord.schema import check_commands_match
from tests.emulators.discord import DiscordEmulator, Guild

EPHEMERAL = 64


def _text(payload: dict[str, Any]) -> str:
    parts = [payload.get("content") or ""]
    for embed in payload.get("embeds") or ():
        parts += [embed.get("title", ""), embed.get("description", "")]
    return "\n".join(p for p in parts if p)


async def test_start_logs_in_identifies_and_syncs_the_declared_commands(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    app, adapter = await start_bot()
    assert adapter.is_connected()
    assert emulator.requests("GET", "/users/@me")
    identify = emulator.sessions[0].identify
    assert identify is not None and identify["token"] == emulator.token
    assert identify["intents"] == 1  # GUILDS only: nothing privileged
    puts = emulator.requests("PUT", rf"/applications/{emulator.application_id}/commands")
    assert len(puts) == 1
    assert puts[0].body == tree_json(adapter.tree)
    check_commands_match(puts[0].body, app.registry)
    names = {c["name"] for c in emulator.commands["global"]}
    assert {"help", "demo", "admin"} <= names


async def restart(app: Application, adapter: DiscordAdapter) -> None:
    """Stop a bot as a restart does: the adapter, then the application (which gives the
    SQLite sender lease back, so the next bot may send)."""
    await adapter.stop()
    await app.stop()


async def test_commands_are_synced_again_only_when_the_schema_changed(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    app, first = await start_bot()
    assert first.synced is True
    await restart(app, first)
    app, second = await start_bot()
    assert second.synced is False
    assert len(emulator.requests("PUT")) == 1
    await restart(app, second)
    _, third = await start_bot(cogs=(HelpCog,))  # fewer commands: schema changed
    assert third.synced is True
    assert len(emulator.requests("PUT")) == 2


async def test_guild_ids_sync_to_each_guild(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot(discord_guild_ids=GUILD.id)
    assert emulator.requests("PUT", rf"/applications/\d+/guilds/{GUILD.id}/commands")
    assert not emulator.requests("PUT", r"/applications/\d+/commands")


async def test_guild_commands_carry_no_bot_dm_context(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot(discord_guild_ids=GUILD.id)
    (put,) = emulator.requests("PUT", rf"/applications/\d+/guilds/{GUILD.id}/commands")
    assert put.body and all(1 not in (c.get("contexts") or ()) for c in put.body)
    # Nor the deprecated field that meant the same (discord.py sends it on every command).
    assert all(c["dm_permission"] is False for c in put.body)
    assert emulator.commands[GUILD.id]  # the emulator, which refuses BOT_DM there, took them


async def test_a_long_rate_limit_on_sync_does_not_hold_the_start(
    emulator: DiscordEmulator,
    start_bot: BotFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.adapters.discord import adapter as discord_adapter

    monkeypatch.setattr(discord_adapter, "SYNC_RETRY_SECONDS", 0.2)
    # The start waits this long for the sync before it goes on (10 s in production, which the
    # test would spend idle); the 429's 600 s is what must not hold it.
    monkeypatch.setattr(discord_adapter, "SYNC_START_WAIT_SECONDS", 1.0)
    emulator.fail("PUT", r"/applications/\d+/commands", status=429, retry_after=600)
    started = asyncio.get_running_loop().time()
    _, bot = await start_bot()
    assert asyncio.get_running_loop().time() - started < 20  # not 600 s
    assert bot.is_connected() and not bot.synced
    # The 429 is logged (before the start returns, or just after on a busy machine).
    async with asyncio.timeout(10):
        while "rate limited for 600 s" not in caplog.text:  # noqa: ASYNC110 (a log line)
            await asyncio.sleep(0.01)
    assert "stay in use" in caplog.text
    # The commands registered before keep answering meanwhile.
    interaction = await emulator.slash("help")
    assert await emulator.wait_reply(interaction)


async def test_the_daily_create_limit_is_retried_later_while_commands_keep_working(
    emulator: DiscordEmulator,
    start_bot: BotFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.adapters.discord import adapter as discord_adapter

    monkeypatch.setattr(discord_adapter, "SYNC_RETRY_DAILY_LIMIT_SECONDS", 0.5)
    emulator.fail(
        "PUT",
        r"/applications/\d+/commands",
        status=400,
        code=30034,
        message="Max number of daily application command creates has been reached (200)",
    )
    _, bot = await start_bot()
    assert bot.is_connected()
    assert "daily limit of 200 command creates" in caplog.text
    interaction = await emulator.slash("help")
    assert await emulator.wait_reply(interaction)
    await emulator.wait_for(lambda: len(emulator.requests("PUT")) == 2, within=10)
    await emulator.wait_for(lambda: bool(emulator.commands.get("global")), within=10)
    assert bot.synced is True


async def test_slash_command_round_trip_with_typed_options_and_a_button(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot()
    interaction = await emulator.slash(
        "demo echo", {"words": "hi there", "times": 2, "level": "loud"}
    )
    (reply,) = await emulator.wait_reply(interaction)
    assert reply["content"] == "you said HI THERE HI THERE"
    assert not reply.get("flags")  # public
    assert reply["allowed_mentions"] == {"parse": []}
    button = reply["components"][0]["components"][0]
    assert button["custom_id"] == "demo-again:hi there"
    assert emulator.callbacks[interaction["id"]][0]["type"] == 4


async def test_private_replies_are_ephemeral_and_help_works(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot()
    interaction = await emulator.slash("help")
    (reply,) = await emulator.wait_reply(interaction)
    assert reply["flags"] == EPHEMERAL
    assert "mlebot commands" in _text(reply)


async def test_channel_and_member_options_resolve_and_guild_names_the_community(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot()
    data = emulator.command_data("demo where", {"channel": "100000000000000002"})
    data["options"][0]["options"][0]["type"] = 7
    data["resolved"] = {
        "channels": {
            "100000000000000002": {
                "id": "100000000000000002",
                "name": "study",
                "type": 0,
                "permissions": "0",
            }
        }
    }
    interaction = await emulator.interact(2, data)
    (reply,) = await emulator.wait_reply(interaction)
    assert reply["content"] == "in #study (community ML Learners)"


async def test_slow_handlers_are_deferred_then_the_reply_edits_the_placeholder(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot(ack_window=0.3)
    DemoCog.gate = asyncio.Event()
    try:
        interaction = await emulator.slash("demo slow")
        callback = await emulator.wait_callback(interaction)
        assert callback["type"] == 5  # deferred within the ack window
        DemoCog.gate.set()
        (reply,) = await emulator.wait_reply(interaction)
    finally:
        DemoCog.gate = None
    assert reply["content"] == "done slowly"
    assert reply["edit_original"] is True


async def test_a_private_answer_after_a_public_defer_replaces_the_placeholder(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot(ack_window=0.3)
    DemoCog.gate = asyncio.Event()
    try:
        interaction = await emulator.slash("demo whisper")
        callback = await emulator.wait_callback(interaction)
        assert callback == {"type": 5, "data": {}}  # public "thinking…"
        DemoCog.gate.set()
        (reply,) = await emulator.wait_reply(interaction)
    finally:
        DemoCog.gate = None
    assert reply["content"] == "psst" and reply["flags"] == EPHEMERAL
    assert reply["edit_original"] is False
    assert interaction["token"] in emulator.deleted_originals


async def test_moderator_commands_are_refused_for_members_and_run_for_manage_server(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot()
    admin = next(c for c in emulator.commands["global"] if c["name"] == "admin")
    assert admin["default_member_permissions"] == str(1 << 5)
    refused = await emulator.slash("admin purge", user_id="700000000000000009", user_name="bo")
    (reply,) = await emulator.wait_reply(refused)
    assert "Only moderators" in _text(reply)
    assert reply["flags"] == EPHEMERAL
    allowed = await emulator.slash("admin set days", {"days": "mon-wed"}, moderator=True)
    (reply,) = await emulator.wait_reply(allowed)
    assert reply["content"] == "days [0, 1, 2]"
    administrator = await emulator.slash("admin purge", permissions=1 << 3)
    (reply,) = await emulator.wait_reply(administrator)
    assert reply["content"] == "purged"


async def test_autocomplete_answers_with_the_cogs_suggestions(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot()
    interaction = await emulator.autocomplete("demo topic", {"topic": "m"}, "topic")
    callback = await emulator.wait_callback(interaction)
    assert callback == {"type": 8, "data": {"choices": [{"name": "mlops", "value": "mlops"}]}}


async def test_autocomplete_keeps_within_discords_choice_limits(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot()
    interaction = await emulator.autocomplete("demo topic", {"topic": "long"}, "topic")
    callback = await emulator.wait_callback(interaction)
    choices = callback["data"]["choices"]
    assert len(choices) == 24  # the core keeps 25; the one Discord cannot take is dropped
    assert choices[0] == {"name": "a" * 100, "value": "fits"}  # the long value is left out
    assert all(1 <= len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)


async def test_a_button_click_still_works_after_a_restart(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    app, first = await start_bot()
    interaction = await emulator.slash("demo echo", {"words": "again"})
    (reply,) = await emulator.wait_reply(interaction)
    custom_id = reply["components"][0]["components"][0]["custom_id"]
    await restart(app, first)
    await start_bot()
    await emulator.wait_identified(2)
    click = await emulator.click(custom_id)
    (answer,) = await emulator.wait_reply(click)
    assert answer["content"] == "again: again"
    assert answer["flags"] == EPHEMERAL


async def test_a_button_whose_state_is_too_long_for_a_custom_id_still_works(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    """Discord refuses custom ids over 100 characters: the long state is stored behind a short
    id (never cut), and the click routes with the whole value, also after a restart."""
    words = " ".join(f"word{n}" for n in range(40))  # 'demo-again:' + 279 characters
    app, first = await start_bot()
    interaction = await emulator.slash("demo echo", {"words": words})
    (reply,) = await emulator.wait_reply(interaction)
    custom_id = reply["components"][0]["components"][0]["custom_id"]
    assert len(custom_id) <= 100 and words not in custom_id
    await restart(app, first)
    await start_bot()
    await emulator.wait_identified(2)
    click = await emulator.click(custom_id)
    (answer,) = await emulator.wait_reply(click)
    assert answer["content"] == f"again: {words}"


async def test_commands_work_in_direct_messages(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot()
    interaction = await emulator.slash("demo echo", {"words": "dm"}, guild_id="")
    (reply,) = await emulator.wait_reply(interaction)
    assert reply["content"] == "you said dm"


async def test_joining_a_server_posts_the_setup_guide_once(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    app, _ = await start_bot()
    new = Guild(
        id="500000000000000002",
        name="Data Folks",
        channels={"100000000000000009": "welcome"},
        system_channel_id="100000000000000009",
    )
    emulator.guilds[new.id] = new
    await emulator.dispatch("GUILD_CREATE", emulator.guild_payload(new, joined=True))
    await emulator.wait_for(lambda: bool(emulator.messages.get("100000000000000009")))
    await asyncio.wait_for(app.delivery.idle(), 10)
    (post,) = emulator.messages["100000000000000009"]
    embed = post["embeds"][0]
    assert embed["title"] == "Thanks for adding mlebot to Data Folks!"
    assert "/admin purge" in embed["description"]  # a moderator command of the loaded cogs
    assert post["nonce"]  # sent through the outbox with its idempotency key


async def test_joining_emits_the_core_event_and_a_server_without_system_channel_welcomes_its_owner(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    """The adapter only tells the core (`app.events`) where a welcome can go; the help cog
    queues its guide, once per server however often Discord reports the join."""
    app, _ = await start_bot()
    seen: list[CommunityJoined] = []
    both = asyncio.Event()

    async def record(event: CommunityJoined) -> None:
        seen.append(event)
        if len(seen) == 2:
            both.set()

    app.events.on_joined(record)  # after the help cog's: runs once the guide is queued
    new = Guild(
        id="500000000000000003",
        name="Quiet Server",
        owner_id="900000000000000007",
        channels={"100000000000000010": "general"},
        system_channel_id=None,
    )
    emulator.guilds[new.id] = new
    for _ in range(2):  # added, removed and added again: one guide
        await emulator.dispatch("GUILD_CREATE", emulator.guild_payload(new, joined=True))
    await asyncio.wait_for(both.wait(), 10)
    await asyncio.wait_for(app.delivery.idle(), 10)
    owner_dm = Destination("discord", new.id, DestinationKind.DM, new.owner_id)
    assert seen == [CommunityJoined("discord", new.id, "Quiet Server", owner_dm)] * 2
    (post,) = emulator.messages[emulator.dm_channels[new.owner_id]]
    assert post["embeds"][0]["title"] == "Thanks for adding mlebot to Quiet Server!"
    assert not emulator.messages.get("100000000000000010")


async def test_renamed_bounded_and_chosen_options_arrive_under_their_declared_names(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot()
    demo = next(c for c in emulator.commands["global"] if c["name"] == "demo")
    pick = next(o for o in demo["options"] if o["name"] == "pick")
    top_n, size, dry_run, role = pick["options"]
    assert (top_n["name"], top_n["type"], top_n["required"]) == ("top-n", 4, True)
    assert (top_n["min_value"], top_n["max_value"]) == (1, 10)
    assert size["type"] == 10
    assert size["choices"] == [{"name": "Small", "value": 0.5}, {"name": "Large", "value": 2.0}]
    assert (dry_run["name"], dry_run["type"], role["type"]) == ("dry-run", 5, 8)
    data = emulator.command_data(
        "demo pick", {"top-n": 3, "size": 2.0, "dry-run": True, "role": MODS_ROLE}
    )
    data["options"][0]["options"][3]["type"] = 8
    data["resolved"] = {"roles": {MODS_ROLE: {"id": MODS_ROLE, "name": "mods", "position": 1}}}
    interaction = await emulator.interact(2, data)
    (reply,) = await emulator.wait_reply(interaction)
    assert reply["content"] == "dry-run=True, role=@mods (role), size=2.0, top-n=3"


async def test_a_moderator_role_grants_moderator_commands_to_its_holders(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot(cogs=(HelpCog, DemoCog, SchedulesCog, SettingsCog))
    data = emulator.command_data("settings moderator-role", {"role": MODS_ROLE})
    data["options"][0]["options"][0]["type"] = 8
    data["resolved"] = {"roles": {MODS_ROLE: {"id": MODS_ROLE, "name": "mods", "position": 1}}}
    granted = await emulator.interact(2, data, moderator=True)
    (reply,) = await emulator.wait_reply(granted)
    assert "@mods (role) is now a moderator" in _text(reply)
    holder = await emulator.slash("admin purge", user_id="700000000000000011", roles=[MODS_ROLE])
    (reply,) = await emulator.wait_reply(holder)
    assert reply["content"] == "purged"
    other = await emulator.slash("admin purge", user_id="700000000000000012")
    (reply,) = await emulator.wait_reply(other)
    assert "Only moderators" in _text(reply)


async def test_autocomplete_sees_the_other_options_and_answers_in_time(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot()
    interaction = await emulator.autocomplete("help", {"command": "demo p"}, "command")
    callback = await emulator.wait_callback(interaction, within=2.5)
    assert callback["type"] == 8
    values = [c["value"] for c in callback["data"]["choices"]]
    assert values and all(v.startswith("demo p") for v in values), values


async def test_a_command_discord_still_shows_but_the_bot_no_longer_has(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot()
    interaction = await emulator.slash("gone away")
    (reply,) = await emulator.wait_reply(interaction)
    assert "There is no command /gone" in _text(reply)
    assert reply["flags"] == EPHEMERAL


async def test_a_missing_required_option_is_named(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot()
    interaction = await emulator.slash("admin set days", moderator=True)
    (reply,) = await emulator.wait_reply(interaction)
    assert "days" in _text(reply) and "required" in _text(reply)
    assert reply["flags"] == EPHEMERAL


async def test_guild_commands_answer_interactions_for_their_guild(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    _, adapter = await start_bot(discord_guild_ids=GUILD.id)
    (put,) = emulator.requests("PUT", rf"/applications/\d+/guilds/{GUILD.id}/commands")
    assert put.body == tree_json(adapter.tree)
    data = emulator.command_data("demo echo", {"words": "here"})
    data["guild_id"] = GUILD.id  # Discord names the guild of a guild command
    interaction = await emulator.interact(2, data)
    (reply,) = await emulator.wait_reply(interaction)
    assert reply["content"] == "you said here"


async def test_the_client_resumes_after_a_reconnect_request_and_misses_nothing(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot()
    (first,) = emulator.sessions
    assert first.gateway is not None
    session_id, seq = first.gateway.session_id, first.gateway.seq
    await emulator.reconnect()
    # dispatched while the client is reconnecting: replayed to it when it resumes
    missed = await emulator.slash("demo echo", {"words": "while away"})
    await emulator.wait_resumed()
    resumed = next(s for s in emulator.sessions if s.resume is not None)
    assert resumed is not first and resumed.identify is None  # RESUME, not a new IDENTIFY
    assert resumed.resume is not None
    assert resumed.resume["session_id"] == session_id and resumed.resume["seq"] == seq
    assert emulator.identifies == 1
    (reply,) = await emulator.wait_reply(missed)
    assert reply["content"] == "you said while away"
    after = await emulator.slash("demo echo", {"words": "back"})
    (reply,) = await emulator.wait_reply(after)
    assert reply["content"] == "you said back"


async def test_resuming_an_unknown_session_is_refused(emulator: DiscordEmulator) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(emulator.gateway_url) as ws:
        assert (await ws.receive_json())["op"] == 10  # HELLO
        resume = {"token": emulator.token, "session_id": "unknown", "seq": 3}
        await ws.send_json({"op": 6, "d": resume})
        assert await ws.receive_json() == {"op": 9, "d": False}  # INVALID_SESSION, not resumable


async def test_a_slow_autocomplete_source_gets_an_empty_answer_in_time(
    emulator: DiscordEmulator, start_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapter_module, "AUTOCOMPLETE_SECONDS", 0.2)
    await start_bot()
    DemoCog.gate = asyncio.Event()
    try:
        interaction = await emulator.autocomplete("demo topic", {"topic": "slow"}, "topic")
        callback = await emulator.wait_callback(interaction, within=2.0)
    finally:
        DemoCog.gate.set()
        DemoCog.gate = None
    assert callback == {"type": 8, "data": {"choices": []}}
