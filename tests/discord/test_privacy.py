"""/privacy through the Discord emulator with discord.py: the export arrives as one JSON file
(multipart `files[0]`, within Discord's file limits), and the delete prompt's buttons are
disabled by an UPDATE_MESSAGE once answered (and work once)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from cogs.help import HelpCog
from cogs.privacy import PrivacyCog
from tests.discord.conftest import BotFactory
from tests.emulators.discord import DiscordEmulator

EPHEMERAL = 1 << 6


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in message.get("components") or [] for b in row["components"]]


async def test_the_delete_prompt_is_disabled_once_answered(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot(cogs=(HelpCog, PrivacyCog))
    asked = await emulator.slash("privacy delete")
    (prompt,) = await emulator.wait_reply(asked)
    assert prompt["flags"] & EPHEMERAL
    delete, cancel = buttons(prompt)
    assert [delete["label"], cancel["label"]] == ["Delete my data", "Cancel"]
    assert not any(b.get("disabled") for b in (delete, cancel))

    pressed = await emulator.click(cancel["custom_id"])
    (follow_up,) = await emulator.wait_reply(pressed)
    assert "Nothing was deleted" in follow_up["content"] + str(follow_up["embeds"])
    assert follow_up["flags"] & EPHEMERAL
    (updated,) = emulator.updates(pressed)  # type 7: the prompt itself, buttons disabled
    assert [b["disabled"] for b in buttons(updated)] == [True, True]
    assert updated["embeds"][0]["footer"]["text"] == "You chose: Cancel."

    late = await emulator.click(delete["custom_id"])
    (refusal,) = await emulator.wait_reply(late)
    assert "already answered" in refusal["content"] + str(refusal["embeds"])


async def test_update_message_is_only_for_component_interactions(
    emulator: DiscordEmulator,
) -> None:
    """Discord docs, Receiving and Responding, Interaction Callback Type: UPDATE_MESSAGE (7)
    is "Only valid for component-based interactions"."""
    command, button = (
        emulator.open_interaction(2),
        emulator.open_interaction(3, {"custom_id": "a:1"}),
    )
    body = {"type": 7, "data": {"content": "answered", "components": []}}
    async with aiohttp.ClientSession() as http:
        for interaction, ok in ((command, False), (button, True)):
            url = f"{emulator.api_url}/interactions/{interaction['id']}/{interaction['token']}"
            async with http.post(url + "/callback", json=body) as resp:
                assert (resp.status == 204) is ok, await resp.text()
                if not ok:
                    assert (await resp.json())["code"] == 50035


async def test_the_export_arrives_as_one_pretty_json_file(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot(cogs=(HelpCog, PrivacyCog))
    asked = await emulator.slash("privacy export", user_id="700000000000000009", user_name="bo")
    (reply,) = await emulator.wait_reply(asked)
    assert reply["flags"] & EPHEMERAL
    (sent,) = emulator.files_for(asked)
    assert sent.field == "files[0]" and sent.content_type == "application/json"
    assert sent.filename.startswith("mlebot-data-discord-700000000000000009-")
    assert reply["attachments"] == [{"id": 0, "filename": sent.filename}]
    text = sent.content.decode()
    document = json.loads(text)
    assert document["platform"] == "discord" and document["user_id"] == "700000000000000009"
    assert document["data"]["memberships"][0]["display_name"] == "bo"
    assert text.startswith('{\n  "data"')  # pretty-printed


async def test_a_file_over_the_interactions_size_limit_is_not_sent(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    """The interaction's attachment_size_limit (here 100 bytes) is respected: the reply says
    the file was too large instead of Discord refusing the whole reply."""
    emulator.attachment_size_limit = 100
    await start_bot(cogs=(HelpCog, PrivacyCog))
    asked = await emulator.slash("privacy export")
    (reply,) = await emulator.wait_reply(asked)
    assert "larger than Discord accepts here" in reply["content"]
    assert emulator.files_for(asked) == []


def _form(payload: dict[str, Any], files: list[tuple[str, bytes]]) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)
    form.add_field("payload_json", json.dumps(payload))
    for n, (name, content) in enumerate(files):
        form.add_field(f"files[{n}]", content, filename=name)
    return form


async def test_the_emulator_holds_discords_file_limits(emulator: DiscordEmulator) -> None:
    """Discord docs, Reference, "Uploading Files": each file within the interaction's
    attachment_size_limit (413 / 40005 beyond); at most 10 files a message."""
    emulator.attachment_size_limit = 1000
    cases = [
        ([("a.json", b"x" * 1000)], 204, None),
        ([("a.json", b"x" * 1001)], 413, 40005),
        ([(f"{n}.txt", b"x") for n in range(10)], 204, None),
        ([(f"{n}.txt", b"x") for n in range(11)], 400, 50035),
        ([], 400, 50006),  # no content and no file: an empty message
    ]
    async with aiohttp.ClientSession() as http:
        for files, status, code in cases:
            ix = emulator.open_interaction()
            url = f"{emulator.api_url}/interactions/{ix['id']}/{ix['token']}/callback"
            body = {"type": 4, "data": {"flags": EPHEMERAL}}
            sent = {"data": _form(body, files)} if files else {"json": body}
            async with http.post(url, **sent) as resp:
                assert resp.status == status, (len(files), await resp.text())
                if code is not None:
                    assert (await resp.json())["code"] == code
                else:
                    assert [f.filename for f in emulator.files_for(ix)] == [f[0] for f in files]
