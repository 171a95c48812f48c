from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Application
from bot.cog import Cog
from bot.ops.compose import build_application
from bot.settings import Settings, load_settings
from bot.timing.clock import ManualClock
from tests import backends

#: Test folders whose tests run on every backend (SQLite always, PostgreSQL when reachable).
BOTH_BACKEND_FOLDERS = frozenset({"storage", "e2e"})

AppFactory = Callable[..., Awaitable[Application]]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_backends: run this test on SQLite and on PostgreSQL (when reachable)"
    )
    config.addinivalue_line(
        "markers", "postgresql_only: run this test on PostgreSQL only (skipped/failed as above)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run storage and end-to-end tests once per backend; others on SQLite only."""
    if "database_url" not in metafunc.fixturenames:
        return
    folder = metafunc.definition.path.parent.name
    both = folder in BOTH_BACKEND_FOLDERS or metafunc.definition.get_closest_marker("both_backends")
    params = backends.BACKENDS if both else ("sqlite",)
    if metafunc.definition.get_closest_marker("postgresql_only"):
        params = ("postgresql",)
    metafunc.parametrize("database_url", params, indirect=True)


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the requested backend, dropped (PostgreSQL) after the test."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    mode = backends.postgres_mode()
    if mode == "off":
        pytest.skip(f"PostgreSQL tests are off ({backends.MODE_VAR}=off)")
    problem = await backends.postgres_problem()
    if problem is not None:
        message = f"PostgreSQL at {backends.admin_url()!s} is unreachable: {problem}"
        if mode == "require":
            pytest.fail(f"{message} ({backends.MODE_VAR}=require)")
        pytest.skip(message)
    url = await backends.create_database()
    try:
        yield url
    finally:
        await backends.drop_database(url)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Undo `setup_logging` calls made by CLI tests run in-process.

    Otherwise the root logger keeps a handler on a captured stream pytest has closed, and
    later tests print "Logging error ... I/O operation on closed file".
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def settings(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings isolated from the developer's environment and .env file."""
    for var in (
        "DISCORD_TOKEN",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "SLACK_COMMAND_PREFIX",
        "SLACK_MODERATORS",
        "COGS",
    ):
        monkeypatch.delenv(var, raising=False)
    # No per-member command rate: tests run many commands as one member within a second (the
    # quota's own tests set it).
    return load_settings(None, database_url=database_url, quota_commands_per_minute=0)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))


@pytest.fixture
async def make_app(settings: Settings, clock: ManualClock) -> AsyncIterator[AppFactory]:
    """Build started applications with the given cogs; all are stopped at teardown."""
    apps: list[Application] = []

    async def build(cogs: Sequence[type[Cog]], **overrides: object) -> Application:
        s = settings.model_copy(update=overrides) if overrides else settings
        app = await build_application(s, clock=clock, cog_classes=list(cogs))
        apps.append(app)
        return app

    yield build
    for app in apps:
        await app.stop()
