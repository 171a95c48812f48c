"""Schedules and their runs: the source of truth the scheduler's jobs are derived from.

A schedule is a recurrence in LOCAL time (`bot.timing.recurrence` rule text such as
`weekly mon 09:00`)
plus the IANA zone it was set in, the job kind that runs it and that kind's parameters. A
community schedule has a unique `name` and usually a channel; a PERSONAL schedule (e.g. a DSA
reminder) has `owner_user_id` set and is unique per (community, kind, owner).

Each run is a row unique on (schedule, scheduled_for): inserting it is the claim, so a slot runs
at most once however many processes or triggers race for it. `next_due_at` (indexed) is the next
slot of each active schedule: the scheduler claims due rows in batches by it (`lock_due`, SKIP
LOCKED on PostgreSQL) and advances it in the claiming transaction.

Longer than 500 lines: one aggregate (schedules and their runs): tables and the repository's
queries together.
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
    # The next slot to run (aware UTC), computed from the rule in its zone; NULL when paused
    # (or not computed yet: rows from before migration 0011, filled in at start).
    sa.Column("next_due_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("community_id", "name", name="uq_schedules_community_id"),
    sa.UniqueConstraint("community_id", "kind", "owner_user_id", name="uq_schedules_personal"),
    sa.Index("ix_schedules_next_due_at", "next_due_at"),
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
    sa.Index("ix_schedule_runs_running", "status", "started_at"),
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
    next_due_at: datetime | None = None

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

    # -- due rows (the scheduler's batches) -------------------------------------------------

    async def earliest_due(self) -> datetime | None:
        """The earliest next due instant of any active schedule (an index lookup)."""
        async with self.db.transaction() as conn:
            value = (
                await conn.execute(
                    sa.select(sa.func.min(schedules.c.next_due_at)).where(
                        schedules.c.paused.is_(False)
                    )
                )
            ).scalar()
        return value if isinstance(value, datetime) else None

    async def lock_due(self, conn: AsyncConnection, now: datetime, limit: int) -> list[Schedule]:
        """Active schedules due at `now`, earliest first, locked for the caller's transaction
        (rows another process holds are skipped on PostgreSQL; SQLite has one writer)."""
        query = (
            sa.select(schedules)
            .where(schedules.c.next_due_at <= now, schedules.c.paused.is_(False))
            .order_by(schedules.c.next_due_at, schedules.c.id)
            .limit(limit)
        )
        if self.db.is_postgres:
            query = query.with_for_update(skip_locked=True)
        return [_schedule(r) for r in await conn.execute(query)]

    async def set_next_due(
        self, conn: AsyncConnection, next_due: Mapping[int, datetime | None]
    ) -> None:
        if not next_due:
            return
        await conn.execute(
            sa.update(schedules)
            .where(schedules.c.id == sa.bindparam("b_id"))
            .values(next_due_at=sa.bindparam("b_next")),
            [{"b_id": k, "b_next": v} for k, v in next_due.items()],
        )

    async def unplanned(self) -> list[Schedule]:
        """Active schedules whose next due instant was never computed (pre-0011 rows)."""
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(schedules)
                .where(schedules.c.next_due_at.is_(None), schedules.c.paused.is_(False))
                .order_by(schedules.c.id)
            )
            return [_schedule(r) for r in rows]

    async def get_many(self, schedule_ids: list[int]) -> dict[int, Schedule]:
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(schedules).where(schedules.c.id.in_(sorted(set(schedule_ids))))
            )
            return {int(r.id): _schedule(r) for r in rows}

    async def last_slots(self, schedule_ids: list[int]) -> dict[int, datetime]:
        """The latest scheduled (not run-now) slot with a run row, per schedule."""
        if not schedule_ids:
            return {}
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(schedule_runs.c.schedule_id, sa.func.max(schedule_runs.c.scheduled_for))
                .where(
                    schedule_runs.c.schedule_id.in_(schedule_ids),
                    schedule_runs.c.manual.is_(False),
                )
                .group_by(schedule_runs.c.schedule_id)
            )
            return {int(r[0]): r[1] for r in rows if isinstance(r[1], datetime)}

    async def communities_of(
        self, conn: AsyncConnection, community_ids: set[int]
    ) -> dict[int, Community]:
        if not community_ids:
            return {}
        rows = await conn.execute(
            sa.select(communities).where(communities.c.id.in_(sorted(community_ids)))
        )
        return {int(r.id): _community(r) for r in rows}

    async def insert_runs(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        """Insert run rows in bulk; a slot that already has one keeps it (the claim)."""
        for start in range(0, len(rows), 500):
            await conn.execute(insert_ignore(conn, schedule_runs), rows[start : start + 500])

    async def claims_of(
        self, conn: AsyncConnection, schedule_ids: list[int], claimed_by: str
    ) -> list[ScheduleRun]:
        """RUNNING claims this process holds on the given schedules."""
        out: list[ScheduleRun] = []
        for start in range(0, len(schedule_ids), 500):
            rows = await conn.execute(
                sa.select(schedule_runs).where(
                    schedule_runs.c.schedule_id.in_(schedule_ids[start : start + 500]),
                    schedule_runs.c.status == RUNNING,
                    schedule_runs.c.claimed_by == claimed_by[:64],
                )
            )
            out.extend(_run(r) for r in rows)
        return out

    async def take_over_stale(
        self, *, older_than: datetime, claimed_by: str, now: datetime, limit: int
    ) -> list[ScheduleRun]:
        """Claims still RUNNING that were started before `older_than` (their process died or
        hangs): this process takes them over (re-running is safe: a run's deliveries are stored
        only together with its outcome, and only by the process holding the claim)."""
        async with self.db.transaction() as conn:
            query = (
                sa.select(schedule_runs.c.id)
                .where(
                    schedule_runs.c.status == RUNNING,
                    schedule_runs.c.started_at < older_than,
                )
                .order_by(schedule_runs.c.id)
                .limit(limit)
            )
            if self.db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            ids = [int(r[0]) for r in await conn.execute(query)]
            if not ids:
                return []
            await conn.execute(
                schedule_runs.update()
                .where(schedule_runs.c.id.in_(ids))
                .values(claimed_by=claimed_by[:64], started_at=now)
            )
            rows = await conn.execute(sa.select(schedule_runs).where(schedule_runs.c.id.in_(ids)))
            return [_run(r) for r in rows]

    async def owned(self, conn: AsyncConnection, run_ids: list[int], claimed_by: str) -> set[int]:
        """Which of these claims this process still holds (locked until the caller commits)."""
        owned: set[int] = set()
        for start in range(0, len(run_ids), 500):
            query = sa.select(schedule_runs.c.id).where(
                schedule_runs.c.id.in_(run_ids[start : start + 500]),
                schedule_runs.c.status == RUNNING,
                schedule_runs.c.claimed_by == claimed_by[:64],
            )
            if self.db.is_postgres:
                query = query.with_for_update()
            owned.update(int(r[0]) for r in await conn.execute(query))
        return owned

    async def finish_many(self, conn: AsyncConnection, outcomes: list[dict[str, Any]]) -> None:
        """Record outcomes in bulk: dicts of b_id, b_status, b_outcome, b_deliveries, b_at."""
        if not outcomes:
            return
        await conn.execute(
            schedule_runs.update()
            .where(schedule_runs.c.id == sa.bindparam("b_id"))
            .values(
                status=sa.bindparam("b_status"),
                outcome=sa.bindparam("b_outcome"),
                deliveries=sa.bindparam("b_deliveries"),
                finished_at=sa.bindparam("b_at"),
            ),
            outcomes,
        )

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
