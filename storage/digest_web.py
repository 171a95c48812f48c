"""Which communities publish their digest archive on the web, under which slug.

A community's row keeps its slug after `/digest web off` (so turning it back on keeps the old
links working); only enabled rows are served. Slugs are unique across every community of every
platform, since they share one URL space. A slug given up by a rename stays the community's
(`digest_web_old_slugs`): its links redirect to the new name, and no other community can take it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.base import metadata
from storage.database import Database
from storage.digest import digest_issues
from storage.types import UTCDateTime

digest_web = sa.Table(
    "digest_web",
    metadata,
    sa.Column(
        "community_id",
        sa.Integer,
        sa.ForeignKey("communities.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("slug", sa.String(40), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("changed_by", sa.String(200), nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("slug", name="uq_digest_web_slug"),
)

digest_web_old_slugs = sa.Table(
    "digest_web_old_slugs",
    metadata,
    sa.Column("slug", sa.String(40), primary_key=True),
    sa.Column(
        "community_id",
        sa.Integer,
        sa.ForeignKey("communities.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("retired_at", UTCDateTime, nullable=False),
)


class SlugTaken(Exception):
    """Another community already uses this slug."""


@dataclass(frozen=True, slots=True)
class WebArchive:
    community_id: int
    slug: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class ArchiveStamp:
    """What a cached page of an archive depends on: it changes when an issue is added or removed."""

    issues: int
    latest_number: int
    latest_published_at: datetime | None


def _archive(row: Any) -> WebArchive:
    return WebArchive(community_id=row.community_id, slug=row.slug, enabled=bool(row.enabled))


class DigestWebRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, community_id: int) -> WebArchive | None:
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(digest_web).where(digest_web.c.community_id == community_id)
                )
            ).first()
        return None if row is None else _archive(row)

    async def by_slug(self, slug: str) -> WebArchive | None:
        """The enabled archive at `slug`, or None (unknown or switched off)."""
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(digest_web).where(digest_web.c.slug == slug, digest_web.c.enabled)
                )
            ).first()
        return None if row is None else _archive(row)

    async def moved(self, slug: str) -> WebArchive | None:
        """The enabled archive that was at `slug` before a rename, or None."""
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(digest_web)
                    .join(
                        digest_web_old_slugs,
                        digest_web_old_slugs.c.community_id == digest_web.c.community_id,
                    )
                    .where(digest_web_old_slugs.c.slug == slug, digest_web.c.enabled)
                )
            ).first()
        return None if row is None else _archive(row)

    async def enable(
        self, community_id: int, slug: str, *, by: str, now: datetime
    ) -> tuple[WebArchive | None, WebArchive]:
        """Publish the archive at `slug`; returns (before, after). A slug the community had
        before is kept as an old name of it. Raises SlugTaken when `slug` is, or was, another
        community's."""
        async with self.db.transaction() as conn:
            owners = (
                await conn.execute(
                    sa.union_all(
                        sa.select(digest_web.c.community_id).where(digest_web.c.slug == slug),
                        sa.select(digest_web_old_slugs.c.community_id).where(
                            digest_web_old_slugs.c.slug == slug
                        ),
                    )
                )
            ).scalars()
            if any(owner != community_id for owner in owners):
                raise SlugTaken(slug)
            before_row = (
                await conn.execute(
                    sa.select(digest_web).where(digest_web.c.community_id == community_id)
                )
            ).first()
            values = dict(slug=slug, enabled=True, changed_by=by, changed_at=now)
            await conn.execute(
                digest_web_old_slugs.delete().where(digest_web_old_slugs.c.slug == slug)
            )
            if before_row is None:
                await conn.execute(digest_web.insert().values(community_id=community_id, **values))
            else:
                if before_row.slug != slug:
                    await conn.execute(
                        digest_web_old_slugs.insert().values(
                            slug=before_row.slug, community_id=community_id, retired_at=now
                        )
                    )
                await conn.execute(
                    digest_web.update()
                    .where(digest_web.c.community_id == community_id)
                    .values(**values)
                )
        before = None if before_row is None else _archive(before_row)
        return before, WebArchive(community_id, slug, True)

    async def disable(self, community_id: int, *, by: str, now: datetime) -> WebArchive | None:
        """Stop serving the archive; returns what was published before (None if nothing)."""
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(digest_web).where(
                        digest_web.c.community_id == community_id, digest_web.c.enabled
                    )
                )
            ).first()
            if row is None:
                return None
            await conn.execute(
                digest_web.update()
                .where(digest_web.c.community_id == community_id)
                .values(enabled=False, changed_by=by, changed_at=now)
            )
        return _archive(row)

    async def stamp(self, community_id: int) -> ArchiveStamp:
        """How many issues there are and the newest one: one indexed aggregate query."""
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(
                        sa.func.count(),
                        sa.func.max(digest_issues.c.number),
                        sa.func.max(digest_issues.c.published_at, type_=UTCDateTime()),
                    ).where(digest_issues.c.community_id == community_id)
                )
            ).one()
        return ArchiveStamp(int(row[0]), int(row[1] or 0), row[2])
