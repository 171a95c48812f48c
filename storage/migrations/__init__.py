"""Versioned schema migrations, applied in order at start (and by `mlebot db upgrade`).

Each module `mNNNN_<name>.py` in this package defines `upgrade(conn: sqlalchemy.Connection)`.
Migrations are frozen: never edit one that has shipped; add the next number instead. Each
feature area owns a number range to avoid clashes between branches (see README).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from storage.database import Database

log = logging.getLogger(__name__)

_MODULE_NAME = re.compile(r"^m(\d{4})_([a-z0-9_]+)$")
_ADVISORY_LOCK_KEY = 0x6D6C6562  # "mleb": serialises migrations across processes on PostgreSQL

_versions = sa.Table(
    "schema_migrations",
    sa.MetaData(),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("applied_at", sa.String(40), nullable=False),
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    upgrade: Callable[[sa.Connection], None]


def discover() -> list[Migration]:
    """Every migration module in this package, ordered by version (duplicates rejected)."""
    found: dict[int, Migration] = {}
    for info in pkgutil.iter_modules(__path__):
        m = _MODULE_NAME.match(info.name)
        if not m:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        version = int(m.group(1))
        if version in found:
            raise RuntimeError(f"two migrations share version {version}")
        found[version] = Migration(version, m.group(2), module.upgrade)
    return [found[v] for v in sorted(found)]


async def applied_versions(db: Database) -> set[int]:
    async with db.transaction() as conn:
        await conn.run_sync(lambda c: _versions.create(c, checkfirst=True))
        rows = await conn.execute(sa.select(_versions.c.version))
        return {r[0] for r in rows}


async def upgrade(db: Database) -> list[Migration]:
    """Apply every pending migration, each in its own transaction. Safe to run concurrently."""
    applied: list[Migration] = []
    async with db.transaction() as conn:
        if db.is_postgres:
            await conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY}
            )
        await conn.run_sync(lambda c: _versions.create(c, checkfirst=True))
        done = {r[0] for r in await conn.execute(sa.select(_versions.c.version))}
        for migration in discover():
            if migration.version in done:
                continue
            log.info("applying migration %04d %s", migration.version, migration.name)
            await conn.run_sync(migration.upgrade)
            await conn.execute(
                _versions.insert().values(
                    version=migration.version,
                    name=migration.name,
                    applied_at=datetime.now(UTC).isoformat(),
                )
            )
            applied.append(migration)
    return applied
