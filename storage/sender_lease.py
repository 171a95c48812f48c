"""An exclusive, crash-safe lease naming the one process that sends from a database.

SQLite serves one sending process per file: the delivery engine resets rows left in flight at
start, which is only safe when nobody else is sending. The lease is a row (holder, expiry) taken
in one write transaction, renewed while the holder lives and deleted when it stops. A holder that
died leaves its row behind; another process takes it once it has expired, or at once when the
holder was a process on this host that no longer exists.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from storage.base import metadata
from storage.database import Database, insert_ignore
from storage.types import UTCDateTime

SENDER = "sender"

sender_lease = sa.Table(
    "sender_lease",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("holder", sa.String(120), nullable=False),
    sa.Column("acquired_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True, slots=True)
class LeaseHolder:
    holder: str
    expires_at: datetime


def holder_name(token: str) -> str:
    """`host:pid:token`: who holds the lease, readable by an operator."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{token}"


def holder_is_dead(holder: str) -> bool:
    """True when `holder` names a process on this host that no longer runs."""
    parts = holder.split(":")
    if len(parts) < 3 or parts[0] != socket.gethostname()[:40]:
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class SenderLease:
    def __init__(self, db: Database, name: str = SENDER) -> None:
        self.db = db
        self.name = name

    async def acquire(self, holder: str, *, now: datetime, ttl: float) -> LeaseHolder | None:
        """Take (or renew) the lease for `holder`; None on success, else who holds it."""
        expires = now + timedelta(seconds=ttl)
        async with self.db.transaction() as conn:
            await conn.execute(
                insert_ignore(conn, sender_lease).values(
                    name=self.name, holder=holder, acquired_at=now, expires_at=expires
                )
            )
            row = (
                await conn.execute(
                    sa.select(sender_lease.c.holder, sender_lease.c.expires_at).where(
                        sender_lease.c.name == self.name
                    )
                )
            ).one()
            if row.holder != holder and row.expires_at > now and not holder_is_dead(row.holder):
                return LeaseHolder(row.holder, row.expires_at)
            values: dict[str, object] = {"holder": holder, "expires_at": expires}
            if row.holder != holder:
                values["acquired_at"] = now
            await conn.execute(
                sender_lease.update().where(sender_lease.c.name == self.name).values(**values)
            )
        return None

    async def renew(self, holder: str, *, now: datetime, ttl: float) -> LeaseHolder | None:
        """Extend `holder`'s lease; None on success, else who took it meanwhile."""
        async with self.db.transaction() as conn:
            result = await conn.execute(
                sender_lease.update()
                .where(sender_lease.c.name == self.name, sender_lease.c.holder == holder)
                .values(expires_at=now + timedelta(seconds=ttl))
            )
            if result.rowcount:
                return None
        # Lost (taken after it expired, or deleted): take it again only if nobody else has.
        return await self.acquire(holder, now=now, ttl=ttl)

    async def release(self, holder: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                sender_lease.delete().where(
                    sender_lease.c.name == self.name, sender_lease.c.holder == holder
                )
            )

    async def current(self) -> LeaseHolder | None:
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(sender_lease.c.holder, sender_lease.c.expires_at).where(
                        sender_lease.c.name == self.name
                    )
                )
            ).one_or_none()
        return None if row is None else LeaseHolder(row.holder, row.expires_at)
