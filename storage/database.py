"""The database connection: SQLite (aiosqlite, WAL) by default, PostgreSQL (asyncpg) to scale."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

log = logging.getLogger(__name__)


#: /readyz's database check answers within this (issue 17: within 1 s, even while locked).
PING_SECONDS = 0.9

#: Tries at switching a new SQLite file to WAL while other connections hold it (20 ms apart).
WAL_SWITCH_ATTEMPTS = 100


#: `scheme://user:password@`: the password part (up to the last `@` of the word).
URL_PASSWORD = re.compile(r"(://[^\s:/@'\"]*:)[^\s'\"]*@")


def hide_url_passwords(text: str) -> str:
    """`text` with the password of every URL in it replaced by `***` (for any message)."""
    return URL_PASSWORD.sub(lambda m: m.group(1) + "***@", text)


class DatabaseURLError(ValueError):
    """The DATABASE_URL is not one we can use."""


def to_async_url(url: str) -> sa.URL:
    """Map `sqlite:///path` and `postgresql://...` to their async drivers."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise DatabaseURLError(
            f"{hide_url_passwords(repr(url))} is not a database URL; use "
            "sqlite:///path/to/file.db or postgresql://user:password@host:5432/dbname"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, ""):
            raise DatabaseURLError("a SQLite URL needs a file: sqlite:///path/to/file.db")
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise DatabaseURLError(
        f"unsupported database {backend!r}; use sqlite:///path/to/file.db or postgresql://..."
    )


class DatabaseUnreachable(Exception):
    """The database could not be reached at start; the message says what to check."""


class DatabaseVanished(Exception):
    """The SQLite file was deleted or replaced while the bot ran: every transaction is refused
    from then on, so nothing is written to a file nobody will read again."""


def _is_transient(error: BaseException) -> bool:
    """Whether a connection error means "not reachable yet" (server starting, network not up),
    which is worth retrying."""
    return isinstance(error, OSError | TimeoutError) or type(error).__name__ in (
        "CannotConnectNowError",  # asyncpg: the server is starting up
        "TooManyConnectionsError",
    )


class Database:
    """An async engine plus the helpers repositories use to run statements."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = to_async_url(url)
        self.dialect = self.url.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        #: The SQLite file (None: PostgreSQL, in-memory or URI databases).
        self.sqlite_file: Path | None = None
        #: (device, inode) of the SQLite file once connected; a change means it vanished.
        self._identity: tuple[int, int] | None = None
        #: What happened to the file, once it vanished (then every transaction is refused).
        self.vanished: str | None = None
        #: Per open `transaction()`: what to call once it commits (`after_commit`).
        self._after_commit: dict[AsyncConnection, list[Callable[[], object]]] = {}
        if self.is_sqlite:
            path = self.url.database or ""
            if path != ":memory:" and not path.startswith("file:"):
                self.sqlite_file = Path(path).expanduser().absolute()
                self.sqlite_file.parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
            # asyncpg prepares every statement; PostgreSQL then settles on a generic plan after
            # five runs. A plan chosen while a table was small (the outbox or dm_channels at the
            # start of a fan-out) stays a sequential scan forever: a 500-id IN list over 90,000
            # rows took 1.5 s. Planning each run with its parameters costs far less.
            kwargs["connect_args"] = {"server_settings": {"plan_cache_mode": "force_custom_plan"}}
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin_immediate)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def describe(self) -> str:
        """The URL with any password hidden, for logs and `config check`."""
        return self.url.render_as_string(hide_password=True)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads only (no commit hooks); refused like a transaction once the
        SQLite file vanished, so a reader never opens a new empty file in its place."""
        self._refuse_if_vanished()
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection inside a transaction, committed on success, rolled back on error;
        once it committed, the hooks given to `after_commit` for it run, in order."""
        self._refuse_if_vanished()
        hooks: list[Callable[[], object]] = []
        async with self.engine.begin() as conn:
            self._after_commit[conn] = hooks
            try:
                yield conn
            finally:
                del self._after_commit[conn]
        for hook in hooks:
            try:
                hook()
            except Exception:  # the transaction committed: a hook must not make it look failed
                log.exception("an after-commit hook failed")

    def after_commit(self, conn: AsyncConnection, hook: Callable[[], object]) -> None:
        """Call `hook` once the transaction of `conn` (one from `transaction()`) has committed;
        never if it rolls back. For work that must see the transaction's rows, such as waking
        a worker that will read them."""
        hooks = self._after_commit.get(conn)
        if hooks is None:
            raise ValueError("after_commit needs a connection from Database.transaction()")
        hooks.append(hook)

    async def wait_until_reachable(self, seconds: float) -> None:
        """Connect once, retrying errors that may pass (refused, starting up) for up to
        `seconds`; otherwise raise DatabaseUnreachable with what to fix."""
        deadline = time.monotonic() + max(0.0, seconds)
        delay = 0.5
        new_file = self.sqlite_file is not None and not self.sqlite_file.exists()
        while True:
            try:
                await self._probe()
                if new_file:
                    log.warning(
                        "created a new, empty SQLite database at %s (no file was there); if the "
                        "bot had data, DATABASE_URL points at the wrong file or it was deleted",
                        self.sqlite_file,
                    )
                self._remember_identity()
                return
            except Exception as exc:
                cause = getattr(exc, "orig", None) or exc
                reason = str(cause).strip() or type(cause).__name__
                transient = _is_transient(cause)
                if not transient or time.monotonic() + delay > deadline:
                    hint = (
                        f"Is the server running? (tried for {seconds:g} s: DATABASE_WAIT_SECONDS)"
                        if transient
                        else "Check DATABASE_URL."
                    )
                    raise DatabaseUnreachable(
                        f"Cannot reach the database at {self.describe()}: {reason}. {hint}"
                    ) from exc
                log.warning("database not reachable yet (%s); retrying in %.1f s", reason, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _probe(self) -> None:
        """One round trip to the database (raises what the driver raises)."""
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    def _remember_identity(self) -> None:
        if self.sqlite_file is None:
            return
        try:
            st = os.stat(self.sqlite_file)
        except OSError:
            return
        self._identity = (st.st_dev, st.st_ino)

    def _refuse_if_vanished(self) -> None:
        """Raise DatabaseVanished once the SQLite file was deleted or replaced (`check_file`)."""
        if self._identity is not None and self.check_file() is not None:
            raise DatabaseVanished(self.vanished)

    def check_file(self) -> str | None:
        """SQLite: what happened if the database file was deleted or replaced since the bot
        connected (logged once, critically), else None. Cheap: one stat()."""
        if self.vanished is not None or self._identity is None or self.sqlite_file is None:
            return self.vanished
        try:
            st = os.stat(self.sqlite_file)
        except FileNotFoundError:
            problem = f"the database file {self.sqlite_file} was deleted while the bot was running"
        else:
            if (st.st_dev, st.st_ino) == self._identity:
                return None
            problem = (
                f"the database file {self.sqlite_file} was replaced by another file while the "
                "bot was running"
            )
        self.vanished = problem
        log.critical(
            "%s: writes are stopped and /readyz reports not ready, so nothing more is lost. "
            "Restore the file (see `mlebot backup`) and restart the bot.",
            problem,
        )
        return problem

    async def ping(self) -> bool:
        """For /readyz, within PING_SECONDS: never waits for the write lock (SQLite readers do
        not block in WAL mode; a busy database is alive; PostgreSQL's `SELECT 1` takes no
        lock) and fails once the SQLite file vanished or no connection is free in time."""
        if self.sqlite_file is not None:
            if self.check_file() is not None:
                return False
            try:
                return await asyncio.wait_for(
                    asyncio.to_thread(self._sqlite_read_probe), PING_SECONDS
                )
            except Exception:
                log.warning("database ping failed", exc_info=True)
                return False
        try:
            await asyncio.wait_for(self._probe(), PING_SECONDS)
        except Exception:
            log.warning("database ping failed", exc_info=True)
            return False
        return True

    def _sqlite_read_probe(self) -> bool:
        """Open the file read-only (never creating it) and read its header."""
        uri = f"{self.sqlite_file.as_uri()}?mode=ro" if self.sqlite_file else ""
        conn = sqlite3.connect(uri, uri=True, timeout=0.5)
        try:
            conn.execute("PRAGMA schema_version").fetchone()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return True  # another connection holds it: alive, just busy
            raise
        finally:
            conn.close()
        return True

    async def close(self) -> None:
        await self.engine.dispose()


def dialect_insert(backend: Database | AsyncConnection, table: sa.Table) -> Any:
    """The backend's own INSERT, which has `on_conflict_do_nothing` / `on_conflict_do_update`."""
    name = backend.dialect if isinstance(backend, Database) else backend.dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def insert_ignore(backend: Database | AsyncConnection, table: sa.Table) -> sa.Insert:
    """INSERT that silently skips rows violating a unique constraint, on both backends."""
    insert: sa.Insert = dialect_insert(backend, table).on_conflict_do_nothing()
    return insert


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, control transactions so BEGIN IMMEDIATE is ours to issue.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL is a property of the file: switch only once. Switching needs the file to itself, so
    # several processes opening a new database at once would otherwise see "database is locked".
    # The switch takes an exclusive lock and SQLite does not wait for it (no busy handler):
    # retry briefly while another connection holds the file.
    for attempt in range(WAL_SWITCH_ATTEMPTS):
        cursor.execute("PRAGMA journal_mode")
        if str(cursor.fetchone()[0]).lower() == "wal":
            break
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except Exception as exc:
            if "locked" not in str(exc) or attempt == WAL_SWITCH_ATTEMPTS - 1:
                raise
            time.sleep(0.02)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # Take the write lock at the start of every transaction: read-then-write sequences in
    # repositories (claims, upserts) cannot then deadlock or see a stale snapshot.
    conn.exec_driver_sql("BEGIN IMMEDIATE")
