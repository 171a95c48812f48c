"""Fixtures: a loopback Discord emulator and a bot connected to it through discord.py."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord import DiscordAdapter
from bot.app import Application
from bot.cog import Cog
from bot.ops.compose import Tuning, build_application
from bot.settings import Settings, load_settings
from bot.timing.clock import ManualClock
from cogs.help import HelpCog
from tests.discord.demo_cog import DemoCog
from tests.emulators.discord import DiscordEmulator, Guild

MODS_ROLE = "600000000000000001"
GUILD = Guild(
    id="500000000000000001",
    name="ML Learners",
    channels={"100000000000000001": "general", "100000000000000002": "study"},
    roles={MODS_ROLE: "mods"},
)

BotFactory = Callable[..., Awaitable[tuple[Application, DiscordAdapter]]]


@pytest.fixture(autouse=True)
def _restore_discord_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """The adapter sets discord.py's class-level endpoints; put them back after each test."""
    monkeypatch.setattr(Route, "BASE", Route.BASE)
    monkeypatch.setattr(
        DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(str(DiscordWebSocket.DEFAULT_GATEWAY))
    )


@pytest.fixture
async def emulator() -> AsyncIterator[DiscordEmulator]:
    emu = DiscordEmulator(guilds=[dataclasses.replace(GUILD, channels=dict(GUILD.channels))])
    await emu.start()
    yield emu
    await emu.close()


@pytest.fixture
async def start_bot(
    settings: Settings, clock: ManualClock, emulator: DiscordEmulator
) -> AsyncIterator[BotFactory]:
    """Start bots against the emulator (several in a row simulate restarts); all stop at the end."""
    apps: list[Application] = []

    async def start(
        cogs: Sequence[type[Cog]] = (HelpCog, DemoCog),
        ack_window: float = 2.5,
        **overrides: Any,
    ) -> tuple[Application, DiscordAdapter]:
        s = load_settings(
            None,
            database_url=settings.database_url,
            discord_token=emulator.token,
            discord_api_base_url=emulator.api_url,
            discord_gateway_url=emulator.gateway_url,
            **overrides,
        )
        app = await build_application(
            s,
            clock=clock,
            cog_classes=list(cogs),
            http=False,
            tuning=Tuning(
                discord_ack_window=ack_window,
                discord_client_options=(("guild_ready_timeout", 0.1),),
            ),
        )
        apps.append(app)
        (adapter,) = app.adapters
        assert isinstance(adapter, DiscordAdapter)
        await adapter.start()
        return app, adapter

    yield start
    for app in apps:
        await app.stop()
