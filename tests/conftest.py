from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import shutil
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Application
from bot.cog import Cog
from bot.ops.compose import build_application
from bot.settings import Settings, load_settings
from bot.timing.clock import ManualClock
from storage import migrations
from storage.database import Database
from tests import backends

#: Test folders whose tests run on every backend (SQLite always, PostgreSQL when reachable).
BOTH_BACKEND_FOLDERS = frozenset({"storage", "e2e"})

AppFactory = Callable[..., Awaitable[Application]]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_backends: run this test on SQLite and on PostgreSQL (when reachable)"
    )
    config.addinivalue_line(
        "markers", "empty_database: the test's database is not migrated before it starts"
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


def _only_built_apps_touch_the_database(request: pytest.FixtureRequest) -> bool:
    """Whether the test's database is touched only by the applications `make_app` builds.

    Those migrate it at start anyway, so they may as well get it migrated already. A test that
    asks for `database_url` itself (it may prepare the database, or watch a migration) or is in
    tests/storage gets it empty, as does any test marked `empty_database`.
    """
    if "make_app" not in request.fixturenames or request.node.path.parent.name == "storage":
        return False
    if request.node.get_closest_marker("empty_database"):
        return False
    return "database_url" not in inspect.signature(request.node.function).parameters


_sqlite_template: list[Path] = []


async def _migrated_sqlite_file(factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every migration applied, made once per test process."""
    if not _sqlite_template:
        path = factory.mktemp("template") / "migrated.db"
        db = Database(f"sqlite:///{path}")
        try:
            await migrations.upgrade(db)
        finally:
            await db.close()
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file itself
        _sqlite_template.append(path)
    return _sqlite_template[0]


def pytest_sessionfinish(session: pytest.Session) -> None:
    if backends.migrated_template_made():
        asyncio.run(backends.drop_migrated_template())


@pytest.fixture
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A database of the requested backend, dropped (PostgreSQL) after the test.

    Empty; or, when only the applications the test builds touch it, already migrated (a copy of
    one database migrated once per test process: see `_only_built_apps_touch_the_database`).
    """
    backend = getattr(request, "param", "sqlite")
    migrated = _only_built_apps_touch_the_database(request)
    if backend == "sqlite":
        path = tmp_path / "test.db"
        if migrated:
            template = await _migrated_sqlite_file(tmp_path_factory)
            shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
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
    url = await backends.create_database(await backends.migrated_template() if migrated else None)
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
