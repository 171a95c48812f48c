from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Application
from bot.clock import ManualClock
from bot.cog import Cog
from bot.settings import Settings, load_settings

AppFactory = Callable[..., Awaitable[Application]]


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings isolated from the developer's environment and .env file."""
    for var in (
        "DISCORD_TOKEN",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "COGS",
    ):
        monkeypatch.delenv(var, raising=False)
    return load_settings(None, database_url=f"sqlite:///{tmp_path / 'test.db'}")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))


@pytest.fixture
async def make_app(settings: Settings, clock: ManualClock) -> AsyncIterator[AppFactory]:
    """Build started applications with the given cogs; all are stopped at teardown."""
    apps: list[Application] = []

    async def build(cogs: Sequence[type[Cog]], **overrides: object) -> Application:
        s = settings.model_copy(update=overrides) if overrides else settings
        app = Application(s, clock=clock, cog_classes=list(cogs))
        await app.start()
        apps.append(app)
        return app

    yield build
    for app in apps:
        await app.stop()
