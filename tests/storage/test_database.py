"""Connection settings the database layer applies on each backend."""

from __future__ import annotations

import sqlalchemy as sa

from storage.database import Database


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
