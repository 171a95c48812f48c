"""The database backends the suite runs on: SQLite always, PostgreSQL when reachable.

`MLEBOT_TEST_POSTGRES` chooses what happens with PostgreSQL:

- `auto` (default): run the PostgreSQL variants when the server answers, skip them otherwise;
- `require`: a missing server fails those tests (CI sets this, see `.ci/run`);
- `off`: never run them.

`MLEBOT_TEST_POSTGRES_URL` is the server to use (default the loopback server,
`postgresql://postgres@127.0.0.1:5432/postgres`). Each test gets a database of its own, created
empty and dropped afterwards, so tests never see each other's rows.
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


async def create_database() -> str:
    """Create an empty, uniquely named database and return its `postgresql://` URL."""
    name = f"mlebot_test_{uuid.uuid4().hex[:16]}"
    await _admin_execute(f'CREATE DATABASE "{name}"')
    return _dsn(admin_url(), name)


async def drop_database(url: str) -> None:
    name = sa.make_url(url).database
    await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
