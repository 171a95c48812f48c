"""`mlebot backup` (SQLite online backup), the documented restore, and `mlebot db upgrade`."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.messages import Message
from bot.ops.cli import main
from bot.scheduling.jobs import Delivery, Destination, DestinationKind
from storage import migrations
from storage.backup import BackupError, backup_sqlite, integrity_check, sqlite_path
from storage.database import Database
from storage.outbox import enqueue, outbox

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FANOUT = 300  # recipients per run: one transaction each


def deliveries(run: int) -> list[Delivery]:
    return [
        Delivery(
            Destination("discord", "g1", DestinationKind.DM, f"u{i}"),
            Message(body=f"issue {run}", title="Weekly tips"),
        )
        for i in range(FANOUT)
    ]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'live.db'}")
    await migrations.upgrade(database)
    yield database
    await database.close()


def run_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT run_key, count(*) FROM outbox GROUP BY run_key").fetchall()
    finally:
        conn.close()
    return {str(k): int(n) for k, n in rows}


async def test_backup_taken_during_a_fanout_is_consistent(db: Database, tmp_path: Path) -> None:
    source = tmp_path / "live.db"
    runs = 40
    first_committed = asyncio.Event()

    async def fan_out() -> None:
        for run in range(runs):
            async with db.transaction() as conn:
                await enqueue(conn, run_key=f"run-{run}", deliveries=deliveries(run), now=NOW)
            first_committed.set()
            await asyncio.sleep(0)

    writer = asyncio.create_task(fan_out())
    await first_committed.wait()
    backups: list[Path] = []
    while not writer.done():
        target = tmp_path / f"backup-{len(backups)}.db"
        await asyncio.to_thread(backup_sqlite, source, target)
        backups.append(target)
    await writer

    assert backups
    for path in backups:
        assert integrity_check(path) == "ok"
        counts = run_counts(path)
        # Whole transactions only: every run in the copy has all of its recipients.
        assert counts and set(counts.values()) == {FANOUT}, counts
        # A plain single file, openable without the -wal/-shm companions.
        assert not path.with_name(path.name + "-wal").exists()
    # At least one copy was taken while the fan-out was still writing.
    assert min(len(run_counts(p)) for p in backups) < runs
    assert len(run_counts(source)) == runs


def test_backup_refuses_to_overwrite_and_to_back_up_nothing(tmp_path: Path) -> None:
    source = tmp_path / "x.db"
    with pytest.raises(BackupError, match="nothing to back up"):
        backup_sqlite(source, tmp_path / "b.db")
    sqlite3.connect(source).close()
    (tmp_path / "b.db").write_text("keep me")
    with pytest.raises(BackupError, match="already exists"):
        backup_sqlite(source, tmp_path / "b.db")
    assert (tmp_path / "b.db").read_text() == "keep me"
    with pytest.raises(BackupError, match="directory"):
        backup_sqlite(source, tmp_path)
    with pytest.raises(BackupError, match="pg_dump"):
        sqlite_path("postgresql://u:p@localhost/db")


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the CLI against a SQLite file in tmp_path, with no .env and no credentials."""
    for var in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    database = tmp_path / "data" / "mlebot.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("LOG_FORMAT", "text")
    monkeypatch.chdir(tmp_path)
    return database


def cli(*args: str) -> int:
    return main(["--env-file", "none.env", *args])


def test_db_upgrade_is_safe_to_run_twice(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("db", "upgrade") == 0
    first = capsys.readouterr().out
    assert "applied 0001" in first
    schema_before = _schema(cli_env)

    assert cli("db", "upgrade") == 0
    assert capsys.readouterr().out.strip() == "database is up to date"
    assert _schema(cli_env) == schema_before
    conn = sqlite3.connect(cli_env)
    versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
    conn.close()
    assert sorted(versions) == [m.version for m in migrations.discover()]


def _schema(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        conn.close()


def test_backup_command_and_documented_restore(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("db", "upgrade") == 0

    async def write_run(key: str) -> None:
        db = Database(f"sqlite:///{cli_env}")
        try:
            async with db.transaction() as conn:
                await enqueue(conn, run_key=key, deliveries=deliveries(1), now=NOW)
        finally:
            await db.close()

    asyncio.run(write_run("before-backup"))
    capsys.readouterr()
    assert cli("backup", "backups/mlebot.db") == 0
    assert "integrity check ok" in capsys.readouterr().out
    backup = tmp_path / "backups" / "mlebot.db"

    assert cli("backup", "backups/mlebot.db") == 1
    assert "already exists" in capsys.readouterr().err
    assert cli("backup", "--force", "backups/mlebot.db") == 0

    # Later changes, then the README's restore: stop the bot, replace the database file and
    # remove its -wal/-shm companions, start again.
    asyncio.run(write_run("after-backup"))
    cli_env.unlink()
    for suffix in ("-wal", "-shm"):
        cli_env.with_name(cli_env.name + suffix).unlink(missing_ok=True)
    shutil.copyfile(backup, cli_env)
    assert cli("db", "upgrade") == 0

    async def keys() -> set[str]:
        db = Database(f"sqlite:///{cli_env}")
        try:
            async with db.transaction() as conn:
                return {r[0] for r in await conn.execute(sa.select(outbox.c.run_key).distinct())}
        finally:
            await db.close()

    assert asyncio.run(keys()) == {"before-backup"}


def test_backup_command_explains_postgres(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1:1/db")
    assert cli("backup", "x.db") == 1
    assert "pg_dump" in capsys.readouterr().err
