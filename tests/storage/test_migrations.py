"""Migrations from an empty database, idempotence, and agreement with the current schema."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

# Import every repository module so `metadata` holds the whole current schema.
import storage.audit
import storage.communities
import storage.state  # noqa: F401
from storage import migrations
from storage.base import metadata
from storage.database import Database


async def test_upgrade_from_empty_then_again_is_a_no_op(database_url: str) -> None:
    db = Database(database_url)
    try:
        applied = await migrations.upgrade(db)
        assert [m.version for m in applied] == [m.version for m in migrations.discover()]
        assert await migrations.upgrade(db) == []
        assert await migrations.applied_versions(db) == {m.version for m in migrations.discover()}
    finally:
        await db.close()


async def test_migrated_schema_matches_repository_tables(database_url: str) -> None:
    import importlib
    import pkgutil

    import storage

    for info in pkgutil.iter_modules(storage.__path__):
        if info.name not in {"migrations"}:
            importlib.import_module(f"storage.{info.name}")
    db = Database(database_url)
    try:
        await migrations.upgrade(db)
        async with db.engine.connect() as conn:
            actual = await conn.run_sync(
                lambda c: {
                    t: {col["name"] for col in sa.inspect(c).get_columns(t)}
                    for t in sa.inspect(c).get_table_names()
                }
            )
    finally:
        await db.close()
    actual.pop("schema_migrations")
    expected = {t.name: {c.name for c in t.columns} for t in metadata.sorted_tables}
    assert actual == expected


async def test_wal_mode_is_on(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        async with db.engine.connect() as conn:
            mode = (await conn.execute(sa.text("PRAGMA journal_mode"))).scalar_one()
        assert mode == "wal"
    finally:
        await db.close()


async def test_concurrent_upgrades_apply_each_migration_once(database_url: str) -> None:
    """Several processes starting together on one database (advisory lock / BEGIN IMMEDIATE)."""
    import asyncio

    dbs = [Database(database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrations.upgrade(db) for db in dbs))
        applied = sorted(m.version for result in results for m in result)
        assert applied == [m.version for m in migrations.discover()]
    finally:
        for db in dbs:
            await db.close()
