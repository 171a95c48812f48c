"""The database backends the suite runs on: SQLite always, PostgreSQL when reachable.

`MLEBOT_TEST_POSTGRES` chooses what happens with PostgreSQL:

- `auto` (default): run the PostgreSQL variants when the server answers, skip them otherwise;
- `require`: a missing server fails those tests (CI sets this, see `.ci/run`);
- `off`: never run them.

`MLEBOT_TEST_POSTGRES_URL` is the server to use (default the loopback server,
`postgresql://postgres@127.0.0.1:5432/postgres`). Each test gets a database of its own, created
empty and dropped afterwards, so tests never see each other's rows.

A test whose database only the applications it builds touch gets it already migrated: a copy
(`CREATE DATABASE ... TEMPLATE`) of one database migrated once per test process, which costs a
third of running every migration again (tests/conftest.py, `database_url`).
"""

from __future__ import annotations

import os
import uuid

import sqlalchemy as sa

MODE_VAR = "MLEBOT_TEST_POSTGRES"
URL_VAR = "MLEBOT_TEST_POSTGRES_URL"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL test server did not answer."""


def postgres_mode() -> str:
    mode = os.environ.get(MODE_VAR, "auto").strip().lower() or "auto"
    if mode not in {"auto", "require", "off"}:
        raise ValueError(f"{MODE_VAR} must be auto, require or off, not {mode!r}")
    return mode


def admin_url() -> sa.URL:
    return sa.make_url(os.environ.get(URL_VAR, DEFAULT_URL))


def _dsn(url: sa.URL, database: str | None = None) -> str:
    return url.set(drivername="postgresql", database=database or url.database).render_as_string(
        hide_password=False
    )


async def _admin_execute(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_dsn(admin_url()), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


_probe: list[str | None] = []


async def postgres_problem() -> str | None:
    """None when the PostgreSQL test server answers, else why it does not (asked once)."""
    if not _probe:
        try:
            await _admin_execute("SELECT 1")
        except Exception as exc:
            _probe.append(f"{type(exc).__name__}: {exc}")
        else:
            _probe.append(None)
    return _probe[0]


async def create_database(template: str | None = None) -> str:
    """Create a uniquely named database and return its `postgresql://` URL.

    Empty, or a copy of the database `template` (the name a `create_database` URL ends in; no
    one may be connected to it).
    """
    name = f"mlebot_test_{uuid.uuid4().hex[:16]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    await _admin_execute(f'CREATE DATABASE "{name}"{copy}')
    return _dsn(admin_url(), name)


_migrated: list[str] = []


async def migrated_template() -> str:
    """The name of a database with every migration applied, made once per test process.

    Only ever copied (never connected to after its migration), so copies can be made from it;
    `drop_migrated_template` drops it at the end of the session.
    """
    if not _migrated:
        from storage import migrations
        from storage.database import Database

        url = await create_database()
        db = Database(url)
        try:
            await migrations.upgrade(db)
        finally:
            await db.close()
        _migrated.append(url)
    name = sa.make_url(_migrated[0]).database
    assert name is not None
    return name


def migrated_template_made() -> bool:
    return bool(_migrated)


async def drop_migrated_template() -> None:
    while _migrated:
        await drop_database(_migrated.pop())


async def drop_database(url: str) -> None:
    name = sa.make_url(url).database
    await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
