"""`mlebot run` on Discord, as a separate process against the loopback Discord emulator.

Configured only by environment (DISCORD_TOKEN, DISCORD_API_BASE_URL, DISCORD_GATEWAY_URL,
DATABASE_URL): the process syncs every declared command, answers members, schedules and
publishes a digest to a channel and by DM (one member's DMs are closed), stays up, and a restart
with unchanged commands does not sync again.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.ops.compose import build_application
from bot.settings import load_settings
from tests.emulators.discord import DiscordEmulator, Guild
from tests.system.process import BotProcess

GUILD = Guild(
    id="500000000000000001",
    name="ML Learners",
    channels={"100000000000000001": "general", "100000000000000009": "digest"},
)
DIGEST_CHANNEL = "100000000000000009"
MOD: dict[str, Any] = {"user_id": "700000000000000009", "user_name": "mia", "moderator": True}
OPEN: dict[str, Any] = {"user_id": "700000000000000001", "user_name": "ana"}
CLOSED: dict[str, Any] = {"user_id": "700000000000000002", "user_name": "bob"}


@pytest.fixture
async def emulator() -> AsyncIterator[DiscordEmulator]:
    emu = DiscordEmulator(guilds=[dataclasses.replace(GUILD, channels=dict(GUILD.channels))])
    await emu.start()
    yield emu
    await emu.close()


async def declared_top_level_commands(tmp_path: Path) -> set[str]:
    """What every installed cog declares, from the same composition `mlebot run` uses."""
    settings = load_settings(None, database_url=f"sqlite:///{tmp_path / 'registry.db'}")
    app = await build_application(settings, platforms=False, services=False)
    try:
        return {command.path[0] for command in app.registry.all()}
    finally:
        await app.stop()


def said(replies: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for reply in replies:
        parts.append(reply.get("content") or "")
        for embed in reply.get("embeds") or ():
            parts += [embed.get("title", ""), embed.get("description", "")]
            parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", ())]
    return "\n".join(p for p in parts if p)


async def ask(
    emulator: DiscordEmulator, path: str, options: dict[str, Any] | None = None, **who: Any
) -> str:
    """Run a slash command as `who` (options as {name: (type, value)}); the text answered."""
    data = emulator.command_data(path)
    if options:
        level = data
        while level.get("options"):
            level = level["options"][0]
        level["options"] = [
            {"name": k, "type": v[0], "value": v[1]} if isinstance(v, tuple) else v
            for k, v in options.items()
        ]
        if "channel" in options:
            channel_id = options["channel"][1]
            data["resolved"] = {
                "channels": {
                    channel_id: {
                        "id": channel_id,
                        "name": GUILD.channels[channel_id],
                        "type": 0,
                        "permissions": "0",
                    }
                }
            }
    interaction = await emulator.interact(2, data, **who)
    replies = await emulator.wait_reply(interaction, within=30)
    text = said(replies)
    assert "went wrong on my side" not in text, text
    return text


def posted(emulator: DiscordEmulator, channel_id: str | None) -> list[dict[str, Any]]:
    return emulator.messages.get(channel_id or "", [])


async def test_mlebot_run_on_discord_end_to_end(emulator: DiscordEmulator, tmp_path: Path) -> None:
    emulator.closed_dms.add(CLOSED["user_id"])
    env = {
        "DISCORD_TOKEN": emulator.token,
        "DISCORD_API_BASE_URL": emulator.api_url,
        "DISCORD_GATEWAY_URL": emulator.gateway_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
    }
    bot = BotProcess(tmp_path, env)
    await bot.start()
    try:
        await bot.wait_ready()
        # Every declared command is registered (the outage: 0 were).
        (put,) = emulator.requests("PUT", r"/applications/\d+/commands")
        registered = {c["name"] for c in put.body}
        assert registered == await declared_top_level_commands(tmp_path)
        assert {"help", "resource", "digest", "schedule", "dsa"} <= registered

        assert "/resource search" in await ask(
            emulator, "help", {"command": (3, "resource")}, **OPEN
        )
        found = await ask(emulator, "resource search", {"query": (3, "mlops")}, **OPEN)
        assert "mlops" in found.lower()

        scheduled = await ask(
            emulator,
            "schedule digest",
            {"channel": (7, DIGEST_CHANNEL), "day": (3, "mon"), "time": (3, "09:00")},
            **MOD,
        )
        assert "#digest" in scheduled and "09:00" in scheduled
        for member in (OPEN, CLOSED):
            assert "subscribed" in (await ask(emulator, "digest subscribe", **member)).lower()

        published = await ask(emulator, "digest publish-now", **MOD)
        assert "#1" in published, published
        await emulator.wait_for(
            lambda: (
                bool(posted(emulator, DIGEST_CHANNEL))
                and any(
                    "Issue #1" in json.dumps(m)
                    for m in posted(emulator, emulator.dm_channels.get(OPEN["user_id"]))
                )
            ),
            within=30,
        )
        (post,) = posted(emulator, DIGEST_CHANNEL)
        dm = [
            m
            for m in posted(emulator, emulator.dm_channels[OPEN["user_id"]])
            if "Issue #1" in json.dumps(m)
        ]
        assert len(dm) == 1
        for message in (post, dm[0]):
            assert "https://leetcode.com/problems/" in json.dumps(message), message
        # The member whose DMs are closed got nothing, and the bot carried on.
        assert not posted(emulator, emulator.dm_channels.get(CLOSED["user_id"]))
        # ... because Discord refused it (50007 on the DM channel), not because nobody tried.
        closed_dm = emulator.dm_channels[CLOSED["user_id"]]
        assert emulator.requests("POST", rf"/channels/{closed_dm}/messages")
        assert "/resource search" in await ask(
            emulator, "help", {"command": (3, "resource")}, **OPEN
        )
        assert bot.running
    finally:
        code = await bot.stop()
    assert code == 0, bot.log()[-3000:]

    # A restart with the same commands does not sync them again.
    again = BotProcess(tmp_path, env, name="restart")
    await again.start()
    try:
        await again.wait_ready()
        assert emulator.identifies == 2
        assert len(emulator.requests("PUT", r"/applications/\d+/commands")) == 1
        assert "/resource search" in await ask(
            emulator, "help", {"command": (3, "resource")}, **OPEN
        )
    finally:
        assert await again.stop() == 0
