"""Digest storage: issues as sent, the tip rotation, subscriptions and the next issue's inputs.

An issue is published in ONE transaction (`publish`): its number is the community's next, the
composer sees the rotation and histories as they are inside that transaction, and the issue row,
the rotation update and the consumed pin and note are written together. Issues are unique per
(community, number) and per (community, source_key), so publishing the same slot twice returns
the stored issue instead of making a second one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.base import metadata
from storage.database import Database, insert_ignore
from storage.types import JSONText, UTCDateTime


def _community_fk(*, primary_key: bool = False) -> sa.Column[int]:
    return sa.Column(
        "community_id",
        sa.Integer,
        sa.ForeignKey("communities.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


digest_issues = sa.Table(
    "digest_issues",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _community_fk(),
    sa.Column("number", sa.Integer, nullable=False),
    # What published it: the scheduler's run key, so a slot never makes two issues.
    sa.Column("source_key", sa.String(200), nullable=False),
    sa.Column("issue_date", sa.Date, nullable=False),  # in the community's time zone
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.Column("headline_tip", sa.String(64), nullable=False),
    sa.Column("tip_ids", JSONText, nullable=False),
    sa.Column("resource_id", sa.String(64), nullable=True),
    sa.Column("problem_id", sa.String(100), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("message", JSONText, nullable=False),  # Message.to_dict() as posted
    sa.Column("recipients", sa.Integer, nullable=False),  # subscribers it was sent to by DM
    sa.UniqueConstraint("community_id", "number", name="uq_digest_issues_community_id"),
    sa.UniqueConstraint("community_id", "source_key", name="uq_digest_issues_source"),
)

digest_rotation = sa.Table(
    "digest_rotation",
    metadata,
    _community_fk(primary_key=True),
    sa.Column("tip_id", sa.String(64), primary_key=True),
    sa.Column("last_issue", sa.Integer, nullable=False),
)

digest_subscriptions = sa.Table(
    "digest_subscriptions",
    metadata,
    _community_fk(primary_key=True),
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("topics", JSONText, nullable=False),
    sa.Column("delivery", sa.String(20), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

digest_next = sa.Table(
    "digest_next",
    metadata,
    _community_fk(primary_key=True),
    sa.Column("pinned_tip", sa.String(64), nullable=True),
    sa.Column("pinned_by", sa.String(200), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("note_by", sa.String(200), nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True, slots=True)
class Subscription:
    community_id: int
    user_id: str
    display_name: str
    topics: tuple[str, ...]
    delivery: str  # "dm" | "channel-mention"
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NextInputs:
    """What moderators set for the next issue."""

    pinned_tip: str | None = None
    pinned_by: str | None = None
    note: str | None = None
    note_by: str | None = None


@dataclass(frozen=True, slots=True)
class DigestState:
    """Everything composition needs from storage, read in one transaction."""

    next_number: int
    last_shown: dict[str, int]
    resource_history: list[str]
    problem_history: list[str]
    inputs: NextInputs


@dataclass(frozen=True, slots=True)
class NewIssue:
    """A composed issue, ready to be stored."""

    issue_date: date
    tip_ids: tuple[str, ...]  # headline first
    resource_id: str | None
    problem_id: str | None
    note: str | None
    title: str
    message: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredIssue:
    community_id: int
    number: int
    source_key: str
    issue_date: date
    published_at: datetime
    headline_tip: str
    tip_ids: tuple[str, ...]
    resource_id: str | None
    problem_id: str | None
    note: str | None
    title: str
    message: dict[str, Any]
    recipients: int


def _issue(row: sa.Row[Any]) -> StoredIssue:
    return StoredIssue(
        community_id=row.community_id,
        number=row.number,
        source_key=row.source_key,
        issue_date=row.issue_date,
        published_at=row.published_at,
        headline_tip=row.headline_tip,
        tip_ids=tuple(row.tip_ids),
        resource_id=row.resource_id,
        problem_id=row.problem_id,
        note=row.note,
        title=row.title,
        message=row.message,
        recipients=row.recipients,
    )


def _subscription(row: sa.Row[Any]) -> Subscription:
    return Subscription(
        community_id=row.community_id,
        user_id=row.user_id,
        display_name=row.display_name,
        topics=tuple(row.topics),
        delivery=row.delivery,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class DigestRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- subscriptions ---------------------------------------------------------------------

    async def subscription(self, community_id: int, user_id: str) -> Subscription | None:
        async with self.db.transaction() as conn:
            return await self._subscription(conn, community_id, user_id)

    @staticmethod
    async def _subscription(
        conn: AsyncConnection, community_id: int, user_id: str
    ) -> Subscription | None:
        row = (
            await conn.execute(
                sa.select(digest_subscriptions).where(
                    digest_subscriptions.c.community_id == community_id,
                    digest_subscriptions.c.user_id == user_id,
                )
            )
        ).first()
        return None if row is None else _subscription(row)

    async def subscribe(
        self,
        community_id: int,
        user_id: str,
        display_name: str,
        *,
        topics: Sequence[str],
        delivery: str,
        now: datetime,
    ) -> tuple[Subscription | None, Subscription]:
        """Create or change a subscription; returns (before, after). Never doubles a row."""
        async with self.db.transaction() as conn:
            before = await self._subscription(conn, community_id, user_id)
            await conn.execute(
                insert_ignore(self.db, digest_subscriptions).values(
                    community_id=community_id,
                    user_id=user_id,
                    display_name=display_name[:200],
                    topics=list(topics),
                    delivery=delivery,
                    created_at=now,
                    updated_at=now,
                )
            )
            if before is not None:
                changes: dict[str, Any] = {"display_name": display_name[:200]}
                if list(before.topics) != list(topics) or before.delivery != delivery:
                    changes.update(topics=list(topics), delivery=delivery, updated_at=now)
                await conn.execute(
                    digest_subscriptions.update()
                    .where(
                        digest_subscriptions.c.community_id == community_id,
                        digest_subscriptions.c.user_id == user_id,
                    )
                    .values(**changes)
                )
            after = await self._subscription(conn, community_id, user_id)
        assert after is not None
        return before, after

    async def unsubscribe(self, community_id: int, user_id: str) -> bool:
        """Remove the subscription; False when there was none."""
        async with self.db.transaction() as conn:
            result = await conn.execute(
                digest_subscriptions.delete().where(
                    digest_subscriptions.c.community_id == community_id,
                    digest_subscriptions.c.user_id == user_id,
                )
            )
        return bool(result.rowcount)

    async def subscribers(self, community_id: int) -> list[Subscription]:
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(digest_subscriptions)
                .where(digest_subscriptions.c.community_id == community_id)
                .order_by(digest_subscriptions.c.created_at, digest_subscriptions.c.user_id)
            )
            return [_subscription(r) for r in rows]

    async def new_subscribers(self, community_id: int, start: datetime, end: datetime) -> int:
        """Subscriptions (still active) created in [start, end)."""
        async with self.db.transaction() as conn:
            return int(
                (
                    await conn.execute(
                        sa.select(sa.func.count()).where(
                            digest_subscriptions.c.community_id == community_id,
                            digest_subscriptions.c.created_at >= start,
                            digest_subscriptions.c.created_at < end,
                        )
                    )
                ).scalar_one()
            )

    # -- the next issue's inputs -----------------------------------------------------------

    async def next_inputs(self, community_id: int) -> NextInputs:
        async with self.db.transaction() as conn:
            return await self._next_inputs(conn, community_id)

    @staticmethod
    async def _next_inputs(conn: AsyncConnection, community_id: int) -> NextInputs:
        row = (
            await conn.execute(
                sa.select(digest_next).where(digest_next.c.community_id == community_id)
            )
        ).first()
        if row is None:
            return NextInputs()
        return NextInputs(row.pinned_tip, row.pinned_by, row.note, row.note_by)

    async def set_next(
        self, community_id: int, *, now: datetime, **values: str | None
    ) -> tuple[NextInputs, NextInputs]:
        """Set `pinned_tip`/`pinned_by` and/or `note`/`note_by`; returns (before, after)."""
        allowed = {"pinned_tip", "pinned_by", "note", "note_by"}
        if not values or set(values) - allowed:
            raise ValueError(f"set_next takes {', '.join(sorted(allowed))}")
        async with self.db.transaction() as conn:
            before = await self._next_inputs(conn, community_id)
            await conn.execute(
                insert_ignore(self.db, digest_next).values(
                    community_id=community_id, updated_at=now
                )
            )
            await conn.execute(
                digest_next.update()
                .where(digest_next.c.community_id == community_id)
                .values(updated_at=now, **values)
            )
            after = await self._next_inputs(conn, community_id)
        return before, after

    # -- composing and publishing ----------------------------------------------------------

    async def state(self, community_id: int) -> DigestState:
        async with self.db.transaction() as conn:
            return await self._state(conn, community_id)

    async def _state(self, conn: AsyncConnection, community_id: int) -> DigestState:
        last = (
            await conn.execute(
                sa.select(sa.func.max(digest_issues.c.number)).where(
                    digest_issues.c.community_id == community_id
                )
            )
        ).scalar_one()
        rotation = await conn.execute(
            sa.select(digest_rotation.c.tip_id, digest_rotation.c.last_issue).where(
                digest_rotation.c.community_id == community_id
            )
        )
        history = (
            await conn.execute(
                sa.select(digest_issues.c.resource_id, digest_issues.c.problem_id)
                .where(digest_issues.c.community_id == community_id)
                .order_by(digest_issues.c.number)
            )
        ).all()
        return DigestState(
            next_number=(last or 0) + 1,
            last_shown={r.tip_id: r.last_issue for r in rotation},
            resource_history=[r.resource_id for r in history if r.resource_id],
            problem_history=[r.problem_id for r in history if r.problem_id],
            inputs=await self._next_inputs(conn, community_id),
        )

    async def publish(
        self,
        community_id: int,
        *,
        source_key: str,
        compose: Callable[[DigestState], NewIssue],
        recipients: int,
        now: datetime,
    ) -> tuple[StoredIssue, bool]:
        """Compose and store the next issue in one transaction; (issue, created).

        When `source_key` already published an issue, that issue is returned unchanged.
        `compose` must be quick and pure: it runs inside the write transaction.
        """
        async with self.db.transaction() as conn:
            existing = await self._by_source(conn, community_id, source_key)
            if existing is not None:
                return existing, False
            state = await self._state(conn, community_id)
            new = compose(state)
            await conn.execute(
                digest_issues.insert().values(
                    community_id=community_id,
                    number=state.next_number,
                    source_key=source_key,
                    issue_date=new.issue_date,
                    published_at=now,
                    headline_tip=new.tip_ids[0],
                    tip_ids=list(new.tip_ids),
                    resource_id=new.resource_id,
                    problem_id=new.problem_id,
                    note=new.note,
                    title=new.title[:300],
                    message=new.message,
                    recipients=recipients,
                )
            )
            seen = set(state.last_shown)
            for tip_id in new.tip_ids:
                if tip_id in seen:
                    await conn.execute(
                        digest_rotation.update()
                        .where(
                            digest_rotation.c.community_id == community_id,
                            digest_rotation.c.tip_id == tip_id,
                        )
                        .values(last_issue=state.next_number)
                    )
                else:
                    await conn.execute(
                        digest_rotation.insert().values(
                            community_id=community_id, tip_id=tip_id, last_issue=state.next_number
                        )
                    )
            await conn.execute(
                digest_next.delete().where(digest_next.c.community_id == community_id)
            )
            stored = await self._by_source(conn, community_id, source_key)
        assert stored is not None
        return stored, True

    @staticmethod
    async def _by_source(
        conn: AsyncConnection, community_id: int, source_key: str
    ) -> StoredIssue | None:
        row = (
            await conn.execute(
                sa.select(digest_issues).where(
                    digest_issues.c.community_id == community_id,
                    digest_issues.c.source_key == source_key,
                )
            )
        ).first()
        return None if row is None else _issue(row)

    # -- the archive -----------------------------------------------------------------------

    async def issue(self, community_id: int, number: int) -> StoredIssue | None:
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(digest_issues).where(
                        digest_issues.c.community_id == community_id,
                        digest_issues.c.number == number,
                    )
                )
            ).first()
        return None if row is None else _issue(row)

    async def latest(self, community_id: int) -> StoredIssue | None:
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(digest_issues)
                    .where(digest_issues.c.community_id == community_id)
                    .order_by(digest_issues.c.number.desc())
                    .limit(1)
                )
            ).first()
        return None if row is None else _issue(row)

    async def archive(
        self, community_id: int, *, limit: int = 20, offset: int = 0
    ) -> tuple[list[StoredIssue], int]:
        """`limit` issues, newest first, skipping the `offset` newest; and how many in all."""
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(digest_issues)
                .where(digest_issues.c.community_id == community_id)
                .order_by(digest_issues.c.number.desc())
                .limit(limit)
                .offset(offset)
            )
            issues = [_issue(r) for r in rows]
            total = (
                await conn.execute(
                    sa.select(sa.func.count()).where(digest_issues.c.community_id == community_id)
                )
            ).scalar_one()
        return issues, int(total)
