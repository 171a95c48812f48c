"""Connection settings the database layer applies on each backend."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from storage.database import Database, DatabaseUnreachable
from tests.ports import free_port


async def test_each_backend_gets_its_connection_settings(database_url: str) -> None:
    """PostgreSQL plans each statement with its parameters: a generic plan picked while a table
    was small would stay a sequential scan as the outbox grows (asyncpg prepares every
    statement). SQLite runs in WAL, so readers never block the writer."""
    db = Database(database_url)
    try:
        async with db.transaction() as conn:
            if db.is_postgres:
                mode = (await conn.execute(sa.text("SHOW plan_cache_mode"))).scalar_one()
                assert mode == "force_custom_plan"
            else:
                journal = (await conn.execute(sa.text("PRAGMA journal_mode"))).scalar_one()
                assert str(journal).lower() == "wal"
    finally:
        await db.close()


async def test_after_commit_hooks_run_once_committed_and_never_after_a_rollback(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(database_url)
    table = sa.Table("after_commit_probe", sa.MetaData(), sa.Column("n", sa.Integer))
    seen: list[object] = []

    def look() -> None:
        seen.append("look")

    try:
        async with db.transaction() as conn:
            await conn.run_sync(table.metadata.create_all)
        async with db.transaction() as conn:
            await conn.execute(table.insert().values(n=1))
            db.after_commit(conn, look)
            db.after_commit(conn, lambda: 1 / 0)  # logged; the commit stands
            db.after_commit(conn, lambda: seen.append("second"))
            assert seen == []
        assert seen == ["look", "second"]
        assert "an after-commit hook failed" in caplog.text
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute(table.insert().values(n=2))
                db.after_commit(conn, look)
                raise RuntimeError("rolled back")
        assert seen == ["look", "second"]
        async with db.transaction() as conn:
            assert (await conn.execute(sa.select(table.c.n))).scalars().all() == [1]
            await conn.run_sync(table.metadata.drop_all)
    finally:
        await db.close()


async def test_a_database_that_comes_up_late_is_waited_for(database_url: str) -> None:
    """Start-up retries a refused connection (e.g. PostgreSQL still starting in compose)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to wait for")
    url = sa.make_url(database_url)
    port = free_port()
    target = (url.host or "127.0.0.1", url.port or 5432)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*target)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def open_late() -> asyncio.Server:
        await asyncio.sleep(1.0)  # refused until then
        return await asyncio.start_server(forward, "127.0.0.1", port)

    late = asyncio.create_task(open_late())
    db = Database(url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False))
    try:
        await db.wait_until_reachable(20)
        assert late.done()
    finally:
        await db.close()
        proxy = await late
        proxy.close()


async def test_refused_for_too_long_or_a_wrong_url_fails_with_what_to_check(
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to refuse")
    refused = Database(f"postgresql://mlebot@127.0.0.1:{free_port()}/mlebot")
    try:
        with pytest.raises(
            DatabaseUnreachable, match=r"Cannot reach the database at .*Is the server running"
        ):
            await refused.wait_until_reachable(0)
    finally:
        await refused.close()
    url = sa.make_url(database_url)
    no_such_db = Database(url.set(database="no_such_database_here").render_as_string(False))
    try:  # not worth retrying: said at once
        with pytest.raises(DatabaseUnreachable, match="Check DATABASE_URL"):
            await no_such_db.wait_until_reachable(30)
    finally:
        await no_such_db.close()


def test_config_check_reports_an_unreachable_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.ops.cli import main

    monkeypatch.setenv("DATABASE_URL", f"postgresql://mlebot@127.0.0.1:{free_port()}/mlebot")
    assert main(["--env-file", "/nonexistent", "config", "check"]) == 2
    captured = capsys.readouterr()
    assert "Cannot reach the database" in captured.err
    assert "database reachable" not in captured.out
