"""Schedules and their runs: the source of truth the scheduler's jobs are derived from.

A schedule is a recurrence in LOCAL time (`bot.timing.recurrence` rule text such as
`weekly mon 09:00`)
plus the IANA zone it was set in, the job kind that runs it and that kind's parameters. A
community schedule has a unique `name` and usually a channel; a PERSONAL schedule (e.g. a DSA
reminder) has `owner_user_id` set and is unique per (community, kind, owner).

Each run is a row unique on (schedule, scheduled_for): inserting it is the claim, so a slot runs
at most once however many processes or triggers race for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.base import metadata
from storage.communities import Community, _community, communities
from storage.database import Database, insert_ignore
from storage.types import JSONText, UTCDateTime

schedules = sa.Table(
    "schedules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "community_id",
        sa.Integer,
        sa.ForeignKey("communities.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("name", sa.String(160), nullable=False),
    sa.Column("channel_id", sa.String(64), nullable=True),
    sa.Column("channel_name", sa.String(200), nullable=True),
    sa.Column("recurrence", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("params", JSONText, nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False),
    sa.Column("owner_user_id", sa.String(64), nullable=True),
    # Slots at or before this instant are never caught up (set on create, resume, re-timing).
    sa.Column("active_since", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("community_id", "name", name="uq_schedules_community_id"),
    sa.UniqueConstraint("community_id", "kind", "owner_user_id", name="uq_schedules_personal"),
)

schedule_runs = sa.Table(
    "schedule_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "schedule_id",
        sa.Integer,
        sa.ForeignKey("schedules.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("scheduled_for", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("late", sa.Boolean, nullable=False),
    sa.Column("manual", sa.Boolean, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("deliveries", sa.Integer, nullable=False),
    sa.Column("claimed_by", sa.String(64), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("schedule_id", "scheduled_for", name="uq_schedule_runs_schedule_id"),
    sa.Index("ix_schedule_runs_status", "status"),
)

#: Run statuses. RUNNING is the claim; the others are final.
RUNNING, DONE, FAILED, MISSED = "running", "done", "failed", "missed"


@dataclass(frozen=True, slots=True)
class Schedule:
    id: int
    community_id: int
    kind: str
    name: str
    channel_id: str | None
    channel_name: str | None
    recurrence: str
    timezone: str
    params: dict[str, Any]
    paused: bool
    owner_user_id: str | None
    active_since: datetime
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def is_personal(self) -> bool:
        return self.owner_user_id is not None

    def config(self) -> dict[str, Any]:
        """The user-visible configuration (what the audit log records as old/new values)."""
        return {
            "kind": self.kind,
            "name": self.name,
            "channel": self.channel_name or self.channel_id,
            "recurrence": self.recurrence,
            "timezone": self.timezone,
            "params": self.params,
            "paused": self.paused,
        }


@dataclass(frozen=True, slots=True)
class ScheduleRun:
    id: int
    schedule_id: int
    scheduled_for: datetime
    status: str
    late: bool
    manual: bool
    outcome: str
    deliveries: int
    claimed_by: str
    started_at: datetime
    finished_at: datetime | None


def _schedule(row: sa.Row[tuple[object, ...]]) -> Schedule:
    data = row._asdict()
    data["params"] = dict(data["params"] or {})
    data["paused"] = bool(data["paused"])
    return Schedule(**data)


def _run(row: sa.Row[tuple[object, ...]]) -> ScheduleRun:
    data = row._asdict()
    data["late"], data["manual"] = bool(data["late"]), bool(data["manual"])
    return ScheduleRun(**data)


class ScheduleRepository:
    """Reads and writes of schedules and runs. Methods taking `conn` join the caller's
    transaction; the others open their own."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- schedules ------------------------------------------------------------------------

    async def insert(self, conn: AsyncConnection, values: Mapping[str, Any]) -> Schedule:
        result = await conn.execute(schedules.insert().values(**values))
        key = result.inserted_primary_key
        assert key is not None
        found = await self.get(conn, int(key[0]))
        assert found is not None
        return found

    async def update(
        self, conn: AsyncConnection, schedule_id: int, values: Mapping[str, Any]
    ) -> Schedule:
        await conn.execute(schedules.update().where(schedules.c.id == schedule_id).values(**values))
        found = await self.get(conn, schedule_id)
        assert found is not None
        return found

    async def delete(self, conn: AsyncConnection, schedule_id: int) -> bool:
        result = await conn.execute(schedules.delete().where(schedules.c.id == schedule_id))
        return bool(result.rowcount)

    async def get(self, conn: AsyncConnection, schedule_id: int) -> Schedule | None:
        query = sa.select(schedules).where(schedules.c.id == schedule_id)
        row = (await conn.execute(query)).first()
        return None if row is None else _schedule(row)

    async def by_name(self, conn: AsyncConnection, community_id: int, name: str) -> Schedule | None:
        row = (
            await conn.execute(
                sa.select(schedules).where(
                    schedules.c.community_id == community_id,
                    sa.func.lower(schedules.c.name) == name.lower(),
                )
            )
        ).first()
        return None if row is None else _schedule(row)

    async def personal(
        self, conn: AsyncConnection, community_id: int, kind: str, owner_user_id: str
    ) -> Schedule | None:
        row = (
            await conn.execute(
                sa.select(schedules).where(
                    schedules.c.community_id == community_id,
                    schedules.c.kind == kind,
                    schedules.c.owner_user_id == owner_user_id,
                )
            )
        ).first()
        return None if row is None else _schedule(row)

    async def load_for_run(
        self, schedule_id: int
    ) -> tuple[Schedule, datetime | None, Community] | None:
        """In one transaction: the schedule, its latest recorded slot, and its community."""
        async with self.db.transaction() as conn:
            schedule = await self.get(conn, schedule_id)
            if schedule is None:
                return None
            last = (
                await conn.execute(
                    sa.select(sa.func.max(schedule_runs.c.scheduled_for)).where(
                        schedule_runs.c.schedule_id == schedule_id,
                        schedule_runs.c.manual.is_(False),
                    )
                )
            ).scalar()
            row = (
                await conn.execute(
                    sa.select(communities).where(communities.c.id == schedule.community_id)
                )
            ).one()
        return schedule, last if isinstance(last, datetime) else None, _community(row)

    async def active_ids(self) -> list[int]:
        """Ids of every schedule that is not paused."""
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(schedules.c.id)
                .where(schedules.c.paused.is_(False))
                .order_by(schedules.c.id)
            )
            return [int(r[0]) for r in rows]

    async def find(self, schedule_id: int) -> Schedule | None:
        async with self.db.transaction() as conn:
            return await self.get(conn, schedule_id)

    async def all(self) -> list[Schedule]:
        async with self.db.transaction() as conn:
            rows = await conn.execute(sa.select(schedules).order_by(schedules.c.id))
            return [_schedule(r) for r in rows]

    async def for_community(
        self, community_id: int, *, personal: bool | None = False
    ) -> list[Schedule]:
        """A community's schedules: community ones (default), personal ones, or both (None)."""
        query = sa.select(schedules).where(schedules.c.community_id == community_id)
        if personal is True:
            query = query.where(schedules.c.owner_user_id.is_not(None))
        elif personal is False:
            query = query.where(schedules.c.owner_user_id.is_(None))
        async with self.db.transaction() as conn:
            rows = await conn.execute(query.order_by(schedules.c.name))
            return [_schedule(r) for r in rows]

    # -- runs -----------------------------------------------------------------------------

    async def claim(
        self,
        schedule_id: int,
        scheduled_for: datetime,
        *,
        late: bool,
        manual: bool,
        claimed_by: str,
        now: datetime,
    ) -> int | None:
        """Insert the RUNNING row for a slot; its id, or None when the slot was already taken."""
        async with self.db.transaction() as conn:
            result = await conn.execute(
                insert_ignore(self.db, schedule_runs).values(
                    schedule_id=schedule_id,
                    scheduled_for=scheduled_for,
                    status=RUNNING,
                    late=late,
                    manual=manual,
                    outcome="",
                    deliveries=0,
                    claimed_by=claimed_by[:64],
                    started_at=now,
                )
            )
            if not result.rowcount:
                return None
            row = (
                await conn.execute(
                    sa.select(schedule_runs.c.id).where(
                        schedule_runs.c.schedule_id == schedule_id,
                        schedule_runs.c.scheduled_for == scheduled_for,
                    )
                )
            ).one()
            return int(row[0])

    async def finish(
        self,
        conn: AsyncConnection,
        run_id: int,
        *,
        status: str,
        outcome: str,
        deliveries: int,
        now: datetime,
    ) -> None:
        await conn.execute(
            schedule_runs.update()
            .where(schedule_runs.c.id == run_id)
            .values(status=status, outcome=outcome[:2000], deliveries=deliveries, finished_at=now)
        )

    async def record_missed(
        self, schedule_id: int, slots: list[datetime], *, claimed_by: str, now: datetime
    ) -> int:
        """Record slots that will never run (outside the grace window); existing rows stay."""
        if not slots:
            return 0
        inserted = 0
        async with self.db.transaction() as conn:
            for slot in slots:
                result = await conn.execute(
                    insert_ignore(self.db, schedule_runs).values(
                        schedule_id=schedule_id,
                        scheduled_for=slot,
                        status=MISSED,
                        late=False,
                        manual=False,
                        outcome="the bot was offline",
                        deliveries=0,
                        claimed_by=claimed_by[:64],
                        started_at=now,
                        finished_at=now,
                    )
                )
                inserted += result.rowcount or 0
        return inserted

    async def fail_stale(self, *, older_than: datetime, now: datetime) -> int:
        """Close RUNNING claims whose process died mid-run (they are not run again)."""
        async with self.db.transaction() as conn:
            result = await conn.execute(
                schedule_runs.update()
                .where(schedule_runs.c.status == RUNNING, schedule_runs.c.started_at < older_than)
                .values(
                    status=FAILED,
                    outcome="interrupted: the bot stopped during the run",
                    finished_at=now,
                )
            )
            return result.rowcount or 0

    async def last_slot(self, schedule_id: int) -> datetime | None:
        """The latest scheduled (not run-now) slot that has a run row, whatever its status."""
        async with self.db.transaction() as conn:
            value = (
                await conn.execute(
                    sa.select(sa.func.max(schedule_runs.c.scheduled_for)).where(
                        schedule_runs.c.schedule_id == schedule_id,
                        schedule_runs.c.manual.is_(False),
                    )
                )
            ).scalar()
        return value if isinstance(value, datetime) else None

    async def runs(self, schedule_id: int, *, limit: int = 10) -> list[ScheduleRun]:
        """The most recent runs of a schedule, newest first."""
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(schedule_runs)
                .where(schedule_runs.c.schedule_id == schedule_id)
                .order_by(schedule_runs.c.scheduled_for.desc(), schedule_runs.c.id.desc())
                .limit(limit)
            )
            return [_run(r) for r in rows]

    async def community_runs(
        self, community_id: int, *, limit: int = 10
    ) -> list[tuple[str, ScheduleRun]]:
        """The most recent runs of a community's (non-personal) schedules, with their names."""
        query = (
            sa.select(schedules.c.name, schedule_runs)
            .join(schedules, schedules.c.id == schedule_runs.c.schedule_id)
            .where(schedules.c.community_id == community_id, schedules.c.owner_user_id.is_(None))
            .order_by(schedule_runs.c.scheduled_for.desc(), schedule_runs.c.id.desc())
            .limit(limit)
        )
        async with self.db.transaction() as conn:
            out: list[tuple[str, ScheduleRun]] = []
            for row in await conn.execute(query):
                data = row._asdict()
                name = data.pop("name")
                data["late"], data["manual"] = bool(data["late"]), bool(data["manual"])
                out.append((name, ScheduleRun(**data)))
            return out

    async def last_runs(self, schedule_ids: list[int]) -> dict[int, ScheduleRun]:
        """The latest run (by slot) of each given schedule."""
        if not schedule_ids:
            return {}
        latest = (
            sa.select(
                schedule_runs.c.schedule_id,
                sa.func.max(schedule_runs.c.scheduled_for).label("slot"),
            )
            .where(schedule_runs.c.schedule_id.in_(schedule_ids))
            .group_by(schedule_runs.c.schedule_id)
            .subquery()
        )
        query = sa.select(schedule_runs).join(
            latest,
            sa.and_(
                schedule_runs.c.schedule_id == latest.c.schedule_id,
                schedule_runs.c.scheduled_for == latest.c.slot,
            ),
        )
        async with self.db.transaction() as conn:
            return {r.schedule_id: _run(r) for r in await conn.execute(query)}
