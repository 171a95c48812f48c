"""The production set-up end to end on the loop the bot runs on by default (uvloop): queue a
DM fan-out, and the engine delivers it through the Discord sender to the emulator, each DM
once, with a global 429 in the middle honoured."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.adapters.discord.sender import DiscordSender
from bot.app import Application
from bot.messages import Message
from bot.ops import event_loop
from bot.scheduling.jobs import Delivery, Destination, DestinationKind
from bot.settings import load_settings
from storage.outbox import OutboxStore
from tests.emulators.discord import DiscordEmulator


async def fan_out(database_url: str, users: list[str]) -> tuple[DiscordEmulator, dict[str, int]]:
    emulator = DiscordEmulator()
    await emulator.start()
    settings = load_settings(
        None, database_url=database_url, delivery_discord_rate=500.0, delivery_concurrency=8
    )
    app = Application(settings, cog_classes=[])
    await app.start()
    sender = DiscordSender(
        emulator.token, api_base_url=emulator.api_url, dm_cache=app.delivery.dm_cache("discord")
    )
    app.delivery.register_sender("discord", sender)
    try:
        emulator.fail("POST", r"/channels/\d+/messages", retry_after=0.2, is_global=True, after=5)
        deliveries = [
            Delivery(Destination("discord", "g", DestinationKind.DM, u), Message(body=f"hi {u}"))
            for u in users
        ]
        await app.delivery.queue("uv", deliveries)
        store = OutboxStore(app.db)
        async with asyncio.timeout(20):
            while (await store.totals()).get("sent", 0) < len(users):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        return emulator, await store.totals()
    finally:
        await app.stop()
        await sender.close()
        await emulator.close()


def test_a_fan_out_on_uvloop_delivers_each_dm_once(tmp_path: Path) -> None:
    pytest.importorskip("uvloop")
    users = [str(8000 + i) for i in range(40)]
    emulator, totals = event_loop.run(fan_out(f"sqlite:///{tmp_path / 'uv.db'}", users), "uvloop")
    assert totals == {"sent": 40}
    for user in users:
        assert len(emulator.messages[emulator.dm_channels[user]]) == 1
    assert len(emulator.requests("POST", "/users/@me/channels")) == 40
    assert len(emulator.requests("POST", r"/channels/\d+/messages")) == 40 + 1  # and the 429
