"""Online backups of the SQLite database, safe while the bot is running.

SQLite's backup API copies a consistent snapshot: in WAL mode the copy reads one snapshot while
the bot keeps writing, so a transaction is either wholly in the backup or not at all. The copy is
written next to the destination, checked with `PRAGMA integrity_check`, then renamed into place,
so a failed or interrupted backup never leaves a half-written file under the requested name.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storage.database import to_async_url


class BackupError(Exception):
    """The backup could not be taken; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size_bytes: int
    pages: int


def sqlite_path(database_url: str) -> Path:
    """The file behind a `sqlite:///...` URL; BackupError for any other database."""
    url = to_async_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            "`mlebot backup` copies the embedded SQLite database; for PostgreSQL use its own "
            "tools, e.g. `pg_dump --format=custom --file=mlebot.dump DATABASE_URL`."
        )
    database = url.database or ""
    if database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"cannot back up the database {database!r}: it is not a plain file")
    return Path(database).expanduser()


def integrity_check(path: Path) -> str:
    """`PRAGMA integrity_check` of a database file: "ok" when sound."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    return "\n".join(str(r[0]) for r in rows)


def backup_sqlite(source: Path, destination: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the live database at `source` to `destination` (blocking; run it in a thread)."""
    if not source.is_file():
        raise BackupError(f"there is no database at {source}: nothing to back up")
    destination = destination.expanduser()
    if destination.is_dir():
        raise BackupError(f"{destination} is a directory; give a file name, e.g. mlebot-backup.db")
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination} already exists; choose another name or pass --force")
    if destination.resolve() == source.resolve():
        raise BackupError("the backup must not overwrite the database itself")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)

    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            # One step (-1): a single consistent snapshot. Under WAL this holds only a read
            # lock, so the bot keeps writing meanwhile.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the backup failed: {exc}") from exc
    finally:
        src.close()

    verdict = integrity_check(partial)
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed PRAGMA integrity_check: {verdict}")
    os.replace(partial, destination)
    return BackupResult(destination, destination.stat().st_size, pages)
