"""A SQLite file that vanishes while the bot runs (issue 17 §4): detected, /readyz not ready,
writes stopped, members told, the log says what happened (the retrying loops once each, not a
traceback per poll); a new empty database is a WARNING; /readyz never waits for the write lock."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext import asyncio as sa_async
from sqlalchemy.pool import QueuePool

from bot.app import Application
from bot.settings import Settings
from bot.timing.clock import ManualClock
from cogs.digest.cog import DigestCog
from cogs.help import HelpCog
from storage.database import DatabaseVanished, to_async_url
from storage.state import StateRepository
from tests.conftest import AppFactory
from tests.delivery.fakes import FakeSender, dm, queue
from tests.helpers import RecordingResponder, actor, invocation


@pytest.fixture
def sqlite_only(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("a file that vanishes is SQLite's")


def db_file(settings: Settings) -> Path:
    return Path(settings.database_url.removeprefix("sqlite:///"))


async def run(app: Application, path: str, who: str = "ana") -> str:
    responder = RecordingResponder()
    await app.dispatcher.dispatch(invocation(path, who=actor(who)), responder)
    return responder.text()


def remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.mark.parametrize("how", ["deleted", "replaced"])
@pytest.mark.usefixtures("sqlite_only")
async def test_a_vanished_file_stops_writes_and_readiness(
    make_app: AppFactory, settings: Settings, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    app = await make_app([DigestCog])
    assert "subscribed" in (await run(app, "digest subscribe")).lower()
    assert (await app.readiness.evaluate())["database"] is True
    path = db_file(settings)

    if how == "deleted":
        remove(path)
    else:  # an operator copies another database over it
        other = path.with_name("other.db")
        sqlite3.connect(other).close()
        remove(path)
        os.replace(other, path)

    with caplog.at_level(logging.WARNING):
        reply = await run(app, "digest subscribe", who="bob")
        assert "database is unavailable" in reply and "incident" in reply
        assert (await app.readiness.evaluate())["database"] is False
        with pytest.raises(DatabaseVanished):
            async with app.db.transaction():
                pass
        await run(app, "digest subscribe", who="cy")
    critical = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert len(critical) == 1  # said once, clearly
    assert str(path) in critical[0].getMessage() and how in critical[0].getMessage()
    assert "writes are stopped" in critical[0].getMessage()
    assert "Traceback" not in caplog.text
    if how == "deleted":
        assert not path.exists()  # nothing recreated an empty file behind the operator's back


@pytest.mark.usefixtures("sqlite_only")
async def test_the_retrying_loops_say_once_that_the_file_vanished(
    make_app: AppFactory,
    settings: Settings,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = await make_app([HelpCog])
    sender = FakeSender()
    app.delivery.register_sender("discord", sender)
    await queue(app, "before", [dm("ana")])
    await asyncio.wait_for(app.delivery.idle(), 30)
    assert sender.sent_to() == {"ana": 1}
    delivery, timer = app.delivery.failures, app.schedules.failures
    path = db_file(settings)
    remove(path)

    with caplog.at_level(logging.INFO):
        # Drive both loops through several polls: wake the workers and the timer, move the
        # clock past the workers' retry delay; until each has failed a few times.
        for _ in range(500):
            if delivery.vanished_failures >= 3 and timer.vanished_failures >= 3:
                break
            app.delivery.wake()
            clock.advance(timedelta(seconds=2))
            await app.schedules.sync()
            await asyncio.wait_for(app.delivery.idle(), 30)
            await asyncio.sleep(0.005)  # let the timer's pass run
        assert delivery.vanished_failures >= 3 and timer.vanished_failures >= 3
        assert (await app.readiness.evaluate())["database"] is False
        for _ in range(3):  # a Prometheus scrape every few seconds
            assert b"mlebot_build_info" in await app.metrics.render()

    said = [r for r in caplog.records if "Restart the bot with DATABASE_URL" in r.getMessage()]
    assert sorted(r.name for r in said) == [
        "bot.delivery.engine",
        "bot.ops.metrics",
        "bot.scheduling.timer",
    ]
    for record in said:
        assert record.levelno == logging.ERROR and record.exc_info is None
        assert str(path) in record.getMessage() and "deleted" in record.getMessage()
    assert "outbox delivery cannot go on" in caplog.text
    assert "the schedule timer cannot go on" in caplog.text
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert "Traceback" not in caplog.text


@pytest.mark.usefixtures("sqlite_only")
async def test_a_new_empty_database_is_a_warning_naming_the_path(
    make_app: AppFactory, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    path = db_file(settings)
    remove(path)
    with caplog.at_level(logging.INFO):
        app = await make_app([])
    created = [r for r in caplog.records if "new, empty SQLite database" in r.getMessage()]
    assert [r.levelno for r in created] == [logging.WARNING]
    assert str(path.absolute()) in created[0].getMessage()
    await app.stop()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await make_app([])  # the file exists now: no warning
    assert "new, empty" not in caplog.text


@pytest.mark.usefixtures("sqlite_only")
async def test_readiness_does_not_wait_for_the_write_lock(
    make_app: AppFactory, settings: Settings
) -> None:
    app = await make_app([])
    writer = sqlite3.connect(db_file(settings), timeout=0, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        # The busy timeout is 30 s and readiness checks give up after 5 s: an answer at all,
        # and "ok", shows the check did not queue for the lock.
        results = await asyncio.wait_for(app.readiness.evaluate(), 4)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert results["database"] is True


async def test_readiness_answers_while_another_connection_holds_every_table(
    make_app: AppFactory, settings: Settings, database_url: str
) -> None:
    """Both backends: another connection holds the write lock (SQLite) or an exclusive lock on
    every table (PostgreSQL) and one of the bot's own writes is stuck behind it; the database
    check still passes, so it neither queued for the lock nor waited for the stuck write. (The
    check gives up after PING_SECONDS, 0.9 s, and would then report not ready.)"""
    app = await make_app([])
    other = sa_async.create_async_engine(to_async_url(database_url))
    conn = await other.connect()
    await conn.begin()
    if app.db.is_sqlite:
        await conn.exec_driver_sql("DELETE FROM bot_state WHERE 0")  # takes the write lock
    else:
        tables = (
            (
                await conn.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                )
            )
            .scalars()
            .all()
        )
        assert tables
        quoted = ", ".join(f'"{t}"' for t in tables)
        await conn.exec_driver_sql(f"LOCK TABLE {quoted} IN ACCESS EXCLUSIVE MODE")
    state = StateRepository(app.db)
    stuck = asyncio.create_task(state.set("locked", "1", now=app.clock.now()))
    try:
        await asyncio.sleep(0.2)
        assert not stuck.done()  # the bot's own write waits for the lock
        results = await asyncio.wait_for(app.readiness.evaluate(), 4)
    finally:
        await conn.rollback()
        await conn.close()
        await other.dispose()
    await asyncio.wait_for(stuck, 30)
    assert results["database"] is True


async def test_readiness_answers_in_time_when_no_pooled_connection_is_free(
    make_app: AppFactory, database_url: str
) -> None:
    """PostgreSQL: every connection of the bot's pool is taken (stuck work, a burst); the check
    does not queue behind them for the pool's 30 s timeout but answers not ready within
    PING_SECONDS, and ready again once connections come back."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite's check opens its own read-only connection, outside the pool")
    app = await make_app([])
    engine = app.db.engine
    assert isinstance(engine.pool, QueuePool)
    held = [await engine.connect() for _ in range(engine.pool.size() + engine.pool._max_overflow)]
    try:
        started = time.monotonic()
        results = await asyncio.wait_for(app.readiness.evaluate(), 15)
        waited = time.monotonic() - started
    finally:
        for conn in held:
            await conn.close()
    assert results["database"] is False
    assert waited < 5, waited  # PING_SECONDS and a slow machine's margin; the pool waits 30 s
    assert (await app.readiness.evaluate())["database"] is True
