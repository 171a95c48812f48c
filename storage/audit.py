"""The audit log: who changed what configuration, from what to what, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.base import metadata
from storage.database import Database
from storage.types import JSONText, UTCDateTime

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "community_id",
        sa.Integer,
        sa.ForeignKey("communities.id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column("actor_id", sa.String(64), nullable=False),
    sa.Column("actor_name", sa.String(200), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("old_value", JSONText, nullable=True),
    sa.Column("new_value", JSONText, nullable=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_audit_log_community_at", "community_id", "at"),
)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    community_id: int | None
    actor_id: str
    actor_name: str
    action: str
    target: str
    old_value: Any
    new_value: Any
    at: datetime


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        *,
        community_id: int | None,
        actor_id: str,
        actor_name: str,
        action: str,
        target: str,
        old: Any,
        new: Any,
        at: datetime,
        conn: AsyncConnection | None = None,
    ) -> None:
        """Write one entry; pass `conn` to make it part of the caller's transaction."""
        stmt = audit_log.insert().values(
            community_id=community_id,
            actor_id=actor_id,
            actor_name=actor_name[:200],
            action=action,
            target=target[:200],
            old_value=old,
            new_value=new,
            at=at,
        )
        if conn is not None:
            await conn.execute(stmt)
            return
        async with self.db.transaction() as own:
            await own.execute(stmt)

    async def recent(
        self, community_id: int, *, limit: int = 20, target_prefix: str | None = None
    ) -> list[AuditEntry]:
        query = sa.select(audit_log).where(audit_log.c.community_id == community_id)
        if target_prefix is not None:
            query = query.where(audit_log.c.target.startswith(target_prefix, autoescape=True))
        query = query.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
        async with self.db.transaction() as conn:
            return [AuditEntry(**r._asdict()) for r in await conn.execute(query)]
