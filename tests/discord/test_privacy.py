"""/privacy through the Discord emulator with discord.py: the delete prompt's buttons are
disabled by an UPDATE_MESSAGE once answered (and work once)."""

from __future__ import annotations

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
