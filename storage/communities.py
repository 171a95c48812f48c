"""Communities (a Discord guild, a Slack workspace, the console), their members and moderators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.base import metadata
from storage.database import Database, insert_ignore
from storage.types import UTCDateTime

communities = sa.Table(
    "communities",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("external_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("platform", "external_id", name="uq_communities_platform"),
)

members = sa.Table(
    "members",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "community_id",
        sa.Integer,
        sa.ForeignKey("communities.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("first_seen_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("community_id", "user_id", name="uq_members_community_id"),
)

community_moderators = sa.Table(
    "community_moderators",
    metadata,
    sa.Column(
        "community_id",
        sa.Integer,
        sa.ForeignKey("communities.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("kind", sa.String(8), primary_key=True),
    sa.Column("ref_id", sa.String(64), primary_key=True),
    sa.Column("ref_name", sa.String(200), nullable=False),
)


@dataclass(frozen=True, slots=True)
class Community:
    id: int
    platform: str
    external_id: str
    name: str
    timezone: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    community_id: int
    user_id: str
    display_name: str
    first_seen_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class ModeratorGrant:
    kind: str  # "role" | "user"
    ref_id: str
    ref_name: str


def _community(row: sa.Row[tuple[object, ...]]) -> Community:
    return Community(**row._asdict())


def _member(row: sa.Row[tuple[object, ...]]) -> Member:
    return Member(**row._asdict())


class CommunityRepository:
    """Find-or-create communities and members; read and change community settings."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def ensure(
        self, platform: str, external_id: str, name: str, *, default_timezone: str, now: datetime
    ) -> Community:
        """The community row for (platform, external_id), created on first sight."""
        async with self.db.transaction() as conn:
            row = await self._get(conn, platform, external_id)
            if row is None:
                await conn.execute(
                    insert_ignore(self.db, communities).values(
                        platform=platform,
                        external_id=external_id,
                        name=name[:200],
                        timezone=default_timezone,
                        created_at=now,
                    )
                )
                row = await self._get(conn, platform, external_id)
            elif name and row.name != name[:200]:
                await conn.execute(
                    communities.update().where(communities.c.id == row.id).values(name=name[:200])
                )
                row = await self._get(conn, platform, external_id)
        assert row is not None
        return row

    async def _get(
        self, conn: AsyncConnection, platform: str, external_id: str
    ) -> Community | None:
        result = await conn.execute(
            sa.select(communities).where(
                communities.c.platform == platform, communities.c.external_id == external_id
            )
        )
        row = result.first()
        return None if row is None else _community(row)

    async def get(self, community_id: int) -> Community | None:
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(sa.select(communities).where(communities.c.id == community_id))
            ).first()
        return None if row is None else _community(row)

    async def find(self, platform: str, external_id: str) -> Community | None:
        async with self.db.transaction() as conn:
            return await self._get(conn, platform, external_id)

    async def all(self) -> list[Community]:
        async with self.db.transaction() as conn:
            rows = await conn.execute(sa.select(communities).order_by(communities.c.id))
            return [_community(r) for r in rows]

    async def set_timezone(
        self, community_id: int, timezone: str, *, conn: AsyncConnection | None = None
    ) -> None:
        """Change the community's zone; pass `conn` to join the caller's transaction."""
        stmt = (
            communities.update().where(communities.c.id == community_id).values(timezone=timezone)
        )
        if conn is not None:
            await conn.execute(stmt)
            return
        async with self.db.transaction() as own:
            await own.execute(stmt)

    async def touch_member(
        self, community_id: int, user_id: str, display_name: str, *, now: datetime
    ) -> Member:
        """Record that a member acted now (creating them on first sight)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                insert_ignore(self.db, members).values(
                    community_id=community_id,
                    user_id=user_id,
                    display_name=display_name[:200],
                    first_seen_at=now,
                    last_seen_at=now,
                )
            )
            await conn.execute(
                members.update()
                .where(members.c.community_id == community_id, members.c.user_id == user_id)
                .values(display_name=display_name[:200], last_seen_at=now)
            )
            row = (
                await conn.execute(
                    sa.select(members).where(
                        members.c.community_id == community_id, members.c.user_id == user_id
                    )
                )
            ).one()
        return _member(row)

    async def find_member(self, community_id: int, user_id: str) -> Member | None:
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(members).where(
                        members.c.community_id == community_id, members.c.user_id == user_id
                    )
                )
            ).first()
        return None if row is None else _member(row)

    async def find_member_by_name(self, community_id: int, display_name: str) -> Member | None:
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(members).where(
                        members.c.community_id == community_id,
                        sa.func.lower(members.c.display_name) == display_name.lower(),
                    )
                )
            ).first()
        return None if row is None else _member(row)

    async def moderator_grants(
        self, community_id: int, *, conn: AsyncConnection | None = None
    ) -> list[ModeratorGrant]:
        if conn is None:
            async with self.db.transaction() as own:
                return await self.moderator_grants(community_id, conn=own)
        rows = await conn.execute(
            sa.select(
                community_moderators.c.kind,
                community_moderators.c.ref_id,
                community_moderators.c.ref_name,
            )
            .where(community_moderators.c.community_id == community_id)
            .order_by(community_moderators.c.kind, community_moderators.c.ref_name)
        )
        return [ModeratorGrant(r.kind, r.ref_id, r.ref_name) for r in rows]

    async def grant_moderator(
        self, community_id: int, grant: ModeratorGrant, *, conn: AsyncConnection | None = None
    ) -> bool:
        """Add a moderator role or user; False when it was already granted."""
        if conn is None:
            async with self.db.transaction() as own:
                return await self.grant_moderator(community_id, grant, conn=own)
        result = await conn.execute(
            insert_ignore(self.db, community_moderators).values(
                community_id=community_id,
                kind=grant.kind,
                ref_id=grant.ref_id,
                ref_name=grant.ref_name[:200],
            )
        )
        return bool(result.rowcount)

    async def revoke_moderator(
        self, community_id: int, kind: str, ref_id: str, *, conn: AsyncConnection | None = None
    ) -> bool:
        if conn is None:
            async with self.db.transaction() as own:
                return await self.revoke_moderator(community_id, kind, ref_id, conn=own)
        result = await conn.execute(
            community_moderators.delete().where(
                community_moderators.c.community_id == community_id,
                community_moderators.c.kind == kind,
                community_moderators.c.ref_id == ref_id,
            )
        )
        return bool(result.rowcount)
