"""Community resource catalogs: changes to the shipped catalog and the suggestion queue.

A community's catalog is the shipped `content/resources.yaml` plus its rows in
`resource_changes`: one per resource id, holding the resource's fields (an addition or an edit)
or nothing (a removal). `resource_catalogs.revision` goes up with every change, in the same
transaction, so search caches know when to rebuild. Suggestions wait in `resource_suggestions`
until a moderator approves or rejects them.

Writes take the caller's connection (`conn`), so a change, its audit entry and the message to
the suggester commit together; reads open their own short transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.base import metadata
from storage.database import Database, insert_ignore
from storage.types import JSONText, UTCDateTime

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"

resource_catalogs = sa.Table(
    "resource_catalogs",
    metadata,
    sa.Column(
        "community_id",
        sa.Integer,
        sa.ForeignKey("communities.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("revision", sa.Integer, nullable=False),
)

resource_changes = sa.Table(
    "resource_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "community_id",
        sa.Integer,
        sa.ForeignKey("communities.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("resource_id", sa.String(64), nullable=False),
    sa.Column("data", JSONText, nullable=True),
    sa.Column("normalized_url", sa.String(2048), nullable=True),
    sa.Column("changed_by", sa.String(64), nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("community_id", "resource_id", name="uq_resource_changes_community_id"),
)

resource_suggestions = sa.Table(
    "resource_suggestions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "community_id",
        sa.Integer,
        sa.ForeignKey("communities.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("normalized_url", sa.String(2048), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("topics", JSONText, nullable=False),
    sa.Column("description", sa.String(600), nullable=False),
    sa.Column("level", sa.String(20), nullable=True),
    sa.Column("cost", sa.String(20), nullable=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("suggested_by_id", sa.String(64), nullable=False),
    sa.Column("suggested_by_name", sa.String(200), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("reason", sa.String(300), nullable=True),
    sa.Column("resource_id", sa.String(64), nullable=True),
    sa.Column("decided_by_name", sa.String(200), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Index("ix_resource_suggestions_community_id", "community_id", "status"),
)


@dataclass(frozen=True, slots=True)
class CatalogChange:
    """A community's version of one resource id: its fields, or None when removed."""

    resource_id: str
    data: dict[str, Any] | None
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class Suggestion:
    id: int
    community_id: int
    url: str
    normalized_url: str
    title: str
    type: str
    topics: tuple[str, ...]
    description: str
    level: str | None
    cost: str | None
    platform: str
    suggested_by_id: str
    suggested_by_name: str
    status: str
    reason: str | None
    resource_id: str | None
    decided_by_name: str | None
    created_at: datetime
    decided_at: datetime | None


def _suggestion(row: sa.Row[Any]) -> Suggestion:
    values = row._asdict()
    values["topics"] = tuple(values["topics"] or ())
    return Suggestion(**values)


class ResourceRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- catalog changes -----------------------------------------------------------------------

    async def revision(self, community_id: int) -> int:
        """How many changes the community's catalog has had (0: it is the shipped one)."""
        query = sa.select(resource_catalogs.c.revision).where(
            resource_catalogs.c.community_id == community_id
        )
        async with self.db.transaction() as conn:
            value = (await conn.execute(query)).scalar()
        return int(value or 0)

    async def changes(self, community_id: int) -> tuple[int, list[CatalogChange]]:
        """The revision and every change, read together, in the order they were first made."""
        query = (
            sa.select(
                resource_changes.c.resource_id,
                resource_changes.c.data,
                resource_changes.c.changed_by,
                resource_changes.c.changed_at,
            )
            .where(resource_changes.c.community_id == community_id)
            .order_by(resource_changes.c.id)
        )
        revision_query = sa.select(resource_catalogs.c.revision).where(
            resource_catalogs.c.community_id == community_id
        )
        async with self.db.transaction() as conn:
            revision = (await conn.execute(revision_query)).scalar()
            rows = (await conn.execute(query)).all()
        return int(revision or 0), [CatalogChange(*row) for row in rows]

    async def put(
        self,
        conn: AsyncConnection,
        community_id: int,
        resource_id: str,
        data: dict[str, Any] | None,
        *,
        normalized_url: str | None,
        changed_by: str,
        now: datetime,
    ) -> None:
        """Store the community's version of a resource (None removes it) and bump the revision."""
        values = dict(
            data=data, normalized_url=normalized_url, changed_by=changed_by, changed_at=now
        )
        # Insert-or-ignore, then update: safe when two processes change the same id at once.
        await conn.execute(
            insert_ignore(conn, resource_changes).values(
                community_id=community_id, resource_id=resource_id, **values
            )
        )
        await conn.execute(
            resource_changes.update()
            .where(
                resource_changes.c.community_id == community_id,
                resource_changes.c.resource_id == resource_id,
            )
            .values(**values)
        )
        await conn.execute(
            insert_ignore(conn, resource_catalogs).values(community_id=community_id, revision=0)
        )
        await conn.execute(
            resource_catalogs.update()
            .where(resource_catalogs.c.community_id == community_id)
            .values(revision=resource_catalogs.c.revision + 1)
        )

    # -- suggestions ---------------------------------------------------------------------------

    async def suggest(
        self,
        conn: AsyncConnection,
        *,
        community_id: int,
        url: str,
        normalized_url: str,
        title: str,
        type: str,
        topics: tuple[str, ...],
        description: str,
        level: str | None,
        cost: str | None,
        platform: str,
        suggested_by_id: str,
        suggested_by_name: str,
        now: datetime,
    ) -> int:
        """Queue a suggestion; returns its id."""
        result = await conn.execute(
            resource_suggestions.insert()
            .values(
                community_id=community_id,
                url=url,
                normalized_url=normalized_url,
                title=title,
                type=type,
                topics=list(topics),
                description=description,
                level=level,
                cost=cost,
                platform=platform,
                suggested_by_id=suggested_by_id,
                suggested_by_name=suggested_by_name[:200],
                status=PENDING,
                created_at=now,
            )
            .returning(resource_suggestions.c.id)
        )
        return int(result.scalar_one())

    async def pending_with_url(
        self, conn: AsyncConnection, community_id: int, normalized_url: str
    ) -> Suggestion | None:
        query = sa.select(resource_suggestions).where(
            resource_suggestions.c.community_id == community_id,
            resource_suggestions.c.status == PENDING,
            resource_suggestions.c.normalized_url == normalized_url,
        )
        row = (await conn.execute(query.limit(1))).first()
        return None if row is None else _suggestion(row)

    async def pending_count_by(self, conn: AsyncConnection, community_id: int, user_id: str) -> int:
        """How many of this member's suggestions are waiting."""
        query = (
            sa.select(sa.func.count())
            .select_from(resource_suggestions)
            .where(
                resource_suggestions.c.community_id == community_id,
                resource_suggestions.c.status == PENDING,
                resource_suggestions.c.suggested_by_id == user_id,
            )
        )
        return int((await conn.execute(query)).scalar_one())

    async def changed_with_url(
        self, conn: AsyncConnection, community_id: int, normalized_url: str
    ) -> str | None:
        """The id of a community-stored resource at this normalised URL, if any."""
        query = sa.select(resource_changes.c.resource_id).where(
            resource_changes.c.community_id == community_id,
            resource_changes.c.normalized_url == normalized_url,
        )
        return (await conn.execute(query.limit(1))).scalar()

    async def get_suggestion(self, community_id: int, suggestion_id: int) -> Suggestion | None:
        query = sa.select(resource_suggestions).where(
            resource_suggestions.c.community_id == community_id,
            resource_suggestions.c.id == suggestion_id,
        )
        async with self.db.transaction() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _suggestion(row)

    async def pending(self, community_id: int, *, limit: int = 10) -> tuple[int, list[Suggestion]]:
        """How many suggestions wait, and the oldest `limit` of them."""
        where = (
            resource_suggestions.c.community_id == community_id,
            resource_suggestions.c.status == PENDING,
        )
        count_query = sa.select(sa.func.count()).select_from(resource_suggestions).where(*where)
        query = (
            sa.select(resource_suggestions)
            .where(*where)
            .order_by(resource_suggestions.c.created_at, resource_suggestions.c.id)
            .limit(limit)
        )
        async with self.db.transaction() as conn:
            count = (await conn.execute(count_query)).scalar_one()
            rows = (await conn.execute(query)).all()
        return int(count), [_suggestion(r) for r in rows]

    async def decide(
        self,
        conn: AsyncConnection,
        suggestion_id: int,
        *,
        status: str,
        reason: str | None,
        resource_id: str | None,
        decided_by_name: str,
        now: datetime,
    ) -> bool:
        """Approve or reject a pending suggestion; False if it was no longer pending."""
        result = await conn.execute(
            resource_suggestions.update()
            .where(
                resource_suggestions.c.id == suggestion_id,
                resource_suggestions.c.status == PENDING,
            )
            .values(
                status=status,
                reason=reason,
                resource_id=resource_id,
                decided_by_name=decided_by_name[:200],
                decided_at=now,
            )
        )
        return bool(result.rowcount)
