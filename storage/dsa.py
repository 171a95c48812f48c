"""DSA practice progress: community settings, problems of the day (the rotation state), members'
solves, skips and personal picks.

A solve stores the member's local calendar day at the moment it was recorded (see
`cogs.dsa.streaks`), so streaks never change when a zone changes later. A solve is unique per
(community, member, problem): marking a problem twice counts once.

Longer than 500 lines: one aggregate (a community's DSA practice): tables and the repository's
queries together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.base import metadata
from storage.communities import members
from storage.database import Database, insert_ignore
from storage.types import JSONText, UTCDateTime


def _community_fk(primary_key: bool = False) -> sa.Column[int]:
    return sa.Column(
        "community_id",
        sa.Integer,
        sa.ForeignKey("communities.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


dsa_settings = sa.Table(
    "dsa_settings",
    metadata,
    _community_fk(primary_key=True),
    sa.Column("mix", JSONText, nullable=False),
    sa.Column("patterns", JSONText, nullable=False),
    sa.Column("include_premium", sa.Boolean, nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

dsa_day_problems = sa.Table(
    "dsa_day_problems",
    metadata,
    _community_fk(primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("problem_id", sa.String(100), nullable=False),
    sa.Column("difficulty", sa.String(16), nullable=False),
    sa.Column("cycle", sa.Integer, nullable=False),
    sa.Column("picked_at", UTCDateTime, nullable=False),
    sa.Index("ix_dsa_day_problems_cycle", "community_id", "difficulty", "cycle"),
)

dsa_solves = sa.Table(
    "dsa_solves",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _community_fk(),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("problem_id", sa.String(100), nullable=False),
    sa.Column("local_day", sa.Date, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("solved_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("community_id", "user_id", "problem_id", name="uq_dsa_solves_community_id"),
    sa.Index("ix_dsa_solves_day", "community_id", "local_day"),
)

dsa_skips = sa.Table(
    "dsa_skips",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _community_fk(),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("problem_id", sa.String(100), nullable=False),
    sa.Column("local_day", sa.Date, nullable=False),
    sa.Column("skipped_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("community_id", "user_id", "problem_id", name="uq_dsa_skips_community_id"),
)

dsa_picks = sa.Table(
    "dsa_picks",
    metadata,
    _community_fk(primary_key=True),
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("problem_id", sa.String(100), nullable=False),
    sa.Column("picked_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True, slots=True)
class DsaSettings:
    """A community's problem-of-the-day filter as stored (validated by the cog)."""

    mix: dict[str, int]
    patterns: tuple[str, ...]
    include_premium: bool
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DayProblem:
    """One problem of a community's day, in posting order."""

    community_id: int
    day: date
    position: int
    problem_id: str
    difficulty: str
    cycle: int
    picked_at: datetime


@dataclass(frozen=True, slots=True)
class RotationState:
    """Where one difficulty's rotation stands: the current cycle, what it used, the last pick."""

    cycle: int = 0
    used: frozenset[str] = frozenset()
    previous: str | None = None


@dataclass(frozen=True, slots=True)
class Solve:
    user_id: str
    problem_id: str
    local_day: date
    timezone: str
    solved_at: datetime


@dataclass(frozen=True, slots=True)
class Skip:
    user_id: str
    problem_id: str
    local_day: date
    skipped_at: datetime


@dataclass(frozen=True, slots=True)
class MemberCount:
    """One member's solves in a period (a leaderboard row before ranking)."""

    user_id: str
    display_name: str
    solves: int
    last_solved_at: datetime


#: Given each difficulty's rotation state, the day's (problem id, difficulty, cycle) in order.
Chooser = Callable[[dict[str, RotationState]], list[tuple[str, str, int]]]


class DsaRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- settings -------------------------------------------------------------------------

    async def settings(self, community_id: int) -> DsaSettings | None:
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(dsa_settings).where(dsa_settings.c.community_id == community_id)
                )
            ).first()
        if row is None:
            return None
        return DsaSettings(
            mix={str(k): int(v) for k, v in dict(row.mix).items()},
            patterns=tuple(row.patterns),
            include_premium=bool(row.include_premium),
            updated_by=row.updated_by,
            updated_at=row.updated_at,
        )

    async def save_settings(
        self,
        community_id: int,
        *,
        mix: dict[str, int],
        patterns: Collection[str],
        include_premium: bool,
        by: str,
        now: datetime,
        conn: AsyncConnection | None = None,
    ) -> None:
        values: dict[str, Any] = dict(
            mix=mix,
            patterns=sorted(patterns),
            include_premium=include_premium,
            updated_by=by[:64],
            updated_at=now,
        )
        if conn is None:
            async with self.db.transaction() as own:
                await self._save_settings(own, community_id, values)
        else:
            await self._save_settings(conn, community_id, values)

    async def save_mix(
        self, community_id: int, mix: dict[str, int], *, by: str, now: datetime
    ) -> None:
        """Set only the community's mix (the one place it is stored), keeping its patterns and
        premium choice; a community without settings gets every pattern, no premium."""
        values: dict[str, Any] = dict(mix=mix, updated_by=by[:64], updated_at=now)
        async with self.db.transaction() as conn:
            await self._save_settings(
                conn, community_id, values, new={"patterns": [], "include_premium": False}
            )

    @staticmethod
    async def _save_settings(
        conn: AsyncConnection,
        community_id: int,
        values: dict[str, Any],
        *,
        new: dict[str, Any] | None = None,
    ) -> None:
        """Update the row with `values`, or insert it with `new` beside them."""
        updated = await conn.execute(
            dsa_settings.update().where(dsa_settings.c.community_id == community_id).values(values)
        )
        if not updated.rowcount:
            await conn.execute(
                dsa_settings.insert().values(community_id=community_id, **(new or {}), **values)
            )

    # -- the problems of the day ----------------------------------------------------------

    async def day_problems(self, community_id: int, day: date) -> list[DayProblem]:
        async with self.db.transaction() as conn:
            return await self._day_problems(conn, community_id, day)

    @staticmethod
    async def _day_problems(
        conn: AsyncConnection, community_id: int, day: date
    ) -> list[DayProblem]:
        rows = await conn.execute(
            sa.select(dsa_day_problems)
            .where(dsa_day_problems.c.community_id == community_id, dsa_day_problems.c.day == day)
            .order_by(dsa_day_problems.c.position)
        )
        return [DayProblem(**r._asdict()) for r in rows]

    async def ensure_day(
        self, community_id: int, day: date, choose: Chooser, *, now: datetime
    ) -> list[DayProblem]:
        """The community's problems for `day`, choosing and storing them on first request.

        The choice runs inside the write transaction, so two processes asking at once get the
        same answer and the rotation never skips or repeats.
        """
        async with self.db.transaction() as conn:
            found = await self._day_problems(conn, community_id, day)
            if found:
                return found
            states = await self._rotation_states(conn, community_id)
            out = []
            for position, (problem_id, difficulty, cycle) in enumerate(choose(states)):
                row = DayProblem(community_id, day, position, problem_id, difficulty, cycle, now)
                await conn.execute(
                    dsa_day_problems.insert().values(
                        community_id=community_id,
                        day=day,
                        position=position,
                        problem_id=problem_id,
                        difficulty=difficulty,
                        cycle=cycle,
                        picked_at=now,
                    )
                )
                out.append(row)
            return out

    async def rotation_states(self, community_id: int) -> dict[str, RotationState]:
        async with self.db.transaction() as conn:
            return await self._rotation_states(conn, community_id)

    @staticmethod
    async def _rotation_states(
        conn: AsyncConnection, community_id: int
    ) -> dict[str, RotationState]:
        """Per difficulty: the highest cycle, the problems it used, the most recent pick."""
        rows = (
            await conn.execute(
                sa.select(
                    dsa_day_problems.c.difficulty,
                    dsa_day_problems.c.cycle,
                    dsa_day_problems.c.problem_id,
                )
                .where(dsa_day_problems.c.community_id == community_id)
                .order_by(dsa_day_problems.c.day, dsa_day_problems.c.position)
            )
        ).all()
        cycles: dict[str, int] = {}
        for difficulty, cycle, _ in rows:
            cycles[difficulty] = max(cycle, cycles.get(difficulty, cycle))
        used: dict[str, set[str]] = defaultdict(set)
        previous: dict[str, str] = {}
        for difficulty, cycle, problem_id in rows:
            previous[difficulty] = problem_id
            if cycle == cycles[difficulty]:
                used[difficulty].add(problem_id)
        return {d: RotationState(cycles[d], frozenset(used[d]), previous.get(d)) for d in cycles}

    async def recent_days(self, community_id: int, *, limit: int = 10) -> list[DayProblem]:
        """The problems of the latest `limit` days that have any, newest day first."""
        async with self.db.transaction() as conn:
            days = (
                sa.select(dsa_day_problems.c.day)
                .where(dsa_day_problems.c.community_id == community_id)
                .distinct()
                .order_by(dsa_day_problems.c.day.desc())
                .limit(limit)
                .subquery()
            )
            rows = await conn.execute(
                sa.select(dsa_day_problems)
                .where(
                    dsa_day_problems.c.community_id == community_id,
                    dsa_day_problems.c.day.in_(sa.select(days.c.day)),
                )
                .order_by(dsa_day_problems.c.day.desc(), dsa_day_problems.c.position)
            )
            return [DayProblem(**r._asdict()) for r in rows]

    # -- solves and skips -----------------------------------------------------------------

    async def add_solve(
        self,
        community_id: int,
        user_id: str,
        problem_id: str,
        *,
        local_day: date,
        timezone: str,
        now: datetime,
    ) -> bool:
        """Record a solve; False when the member had already solved that problem."""
        async with self.db.transaction() as conn:
            result = await conn.execute(
                insert_ignore(self.db, dsa_solves).values(
                    community_id=community_id,
                    user_id=user_id,
                    problem_id=problem_id,
                    local_day=local_day,
                    timezone=timezone,
                    solved_at=now,
                )
            )
            return bool(result.rowcount)

    async def add_skip(
        self, community_id: int, user_id: str, problem_id: str, *, local_day: date, now: datetime
    ) -> bool:
        """Record a skip; False when that problem was already skipped."""
        async with self.db.transaction() as conn:
            result = await conn.execute(
                insert_ignore(self.db, dsa_skips).values(
                    community_id=community_id,
                    user_id=user_id,
                    problem_id=problem_id,
                    local_day=local_day,
                    skipped_at=now,
                )
            )
            return bool(result.rowcount)

    async def solved_ids(self, community_id: int, user_id: str) -> set[str]:
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(dsa_solves.c.problem_id).where(
                    dsa_solves.c.community_id == community_id, dsa_solves.c.user_id == user_id
                )
            )
            return {r[0] for r in rows}

    async def skipped_ids(self, community_id: int, user_id: str) -> set[str]:
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(dsa_skips.c.problem_id).where(
                    dsa_skips.c.community_id == community_id, dsa_skips.c.user_id == user_id
                )
            )
            return {r[0] for r in rows}

    async def solves(
        self, community_id: int, user_id: str, *, limit: int | None = None
    ) -> list[Solve]:
        """A member's solves, newest first."""
        query = (
            sa.select(
                dsa_solves.c.user_id,
                dsa_solves.c.problem_id,
                dsa_solves.c.local_day,
                dsa_solves.c.timezone,
                dsa_solves.c.solved_at,
            )
            .where(dsa_solves.c.community_id == community_id, dsa_solves.c.user_id == user_id)
            .order_by(dsa_solves.c.solved_at.desc(), dsa_solves.c.id.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        async with self.db.transaction() as conn:
            return [Solve(**r._asdict()) for r in await conn.execute(query)]

    async def skips(self, community_id: int, user_id: str, *, limit: int = 20) -> list[Skip]:
        """A member's skips, newest first."""
        query = (
            sa.select(
                dsa_skips.c.user_id,
                dsa_skips.c.problem_id,
                dsa_skips.c.local_day,
                dsa_skips.c.skipped_at,
            )
            .where(dsa_skips.c.community_id == community_id, dsa_skips.c.user_id == user_id)
            .order_by(dsa_skips.c.skipped_at.desc(), dsa_skips.c.id.desc())
            .limit(limit)
        )
        async with self.db.transaction() as conn:
            return [Skip(**r._asdict()) for r in await conn.execute(query)]

    async def solve_days(self, community_id: int) -> dict[str, set[date]]:
        """Every member's days with at least one solve."""
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(dsa_solves.c.user_id, dsa_solves.c.local_day)
                .where(dsa_solves.c.community_id == community_id)
                .distinct()
            )
            days: dict[str, set[date]] = defaultdict(set)
            for user_id, day in rows:
                days[user_id].add(day)
            return dict(days)

    async def latest_zones(self, community_id: int) -> dict[str, str]:
        """Each member's zone at their latest solve (the zone their recent days were counted in)."""
        latest = (
            sa.select(dsa_solves.c.user_id, sa.func.max(dsa_solves.c.id).label("last_id"))
            .where(dsa_solves.c.community_id == community_id)
            .group_by(dsa_solves.c.user_id)
            .subquery()
        )
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(dsa_solves.c.user_id, dsa_solves.c.timezone).join(
                    latest, dsa_solves.c.id == latest.c.last_id
                )
            )
            return {r.user_id: r.timezone for r in rows}

    async def counts(
        self, community_id: int, *, since_day: date | None = None, until_day: date | None = None
    ) -> list[MemberCount]:
        """Solves per member whose local day is in [since_day, until_day] (open ends allowed)."""
        conditions = [dsa_solves.c.community_id == community_id]
        if since_day is not None:
            conditions.append(dsa_solves.c.local_day >= since_day)
        if until_day is not None:
            conditions.append(dsa_solves.c.local_day <= until_day)
        query = (
            sa.select(
                dsa_solves.c.user_id,
                sa.func.coalesce(sa.func.max(members.c.display_name), dsa_solves.c.user_id).label(
                    "display_name"
                ),
                sa.func.count(dsa_solves.c.id).label("solves"),
                sa.func.max(dsa_solves.c.solved_at).label("last_solved_at"),
            )
            .select_from(
                dsa_solves.outerjoin(
                    members,
                    sa.and_(
                        members.c.community_id == dsa_solves.c.community_id,
                        members.c.user_id == dsa_solves.c.user_id,
                    ),
                )
            )
            .where(*conditions)
            .group_by(dsa_solves.c.user_id)
        )
        async with self.db.transaction() as conn:
            rows = await conn.execute(query)
            return [
                MemberCount(
                    user_id=r.user_id,
                    display_name=r.display_name,
                    solves=int(r.solves),
                    last_solved_at=r.last_solved_at,
                )
                for r in rows
            ]

    async def solves_between(
        self, community_id: int, start: datetime, end: datetime
    ) -> list[Solve]:
        """Every solve recorded in [start, end), oldest first."""
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(
                    dsa_solves.c.user_id,
                    dsa_solves.c.problem_id,
                    dsa_solves.c.local_day,
                    dsa_solves.c.timezone,
                    dsa_solves.c.solved_at,
                )
                .where(
                    dsa_solves.c.community_id == community_id,
                    dsa_solves.c.solved_at >= start,
                    dsa_solves.c.solved_at < end,
                )
                .order_by(dsa_solves.c.solved_at, dsa_solves.c.id)
            )
            return [Solve(**r._asdict()) for r in rows]

    async def member_names(self, community_id: int) -> dict[str, str]:
        """Display names of the community's members, by user id."""
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(members.c.user_id, members.c.display_name).where(
                    members.c.community_id == community_id
                )
            )
            return {r.user_id: r.display_name for r in rows}

    # -- personal picks -------------------------------------------------------------------

    async def pick(self, community_id: int, user_id: str, day: date) -> str | None:
        """The problem offered to a member for `day` (by a reminder or after a skip)."""
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(dsa_picks.c.problem_id).where(
                        dsa_picks.c.community_id == community_id,
                        dsa_picks.c.user_id == user_id,
                        dsa_picks.c.day == day,
                    )
                )
            ).first()
        return None if row is None else str(row[0])

    async def set_pick(
        self, community_id: int, user_id: str, day: date, problem_id: str, *, now: datetime
    ) -> None:
        key = (
            dsa_picks.c.community_id == community_id,
            dsa_picks.c.user_id == user_id,
            dsa_picks.c.day == day,
        )
        async with self.db.transaction() as conn:
            updated = await conn.execute(
                dsa_picks.update().where(*key).values(problem_id=problem_id, picked_at=now)
            )
            if not updated.rowcount:
                await conn.execute(
                    dsa_picks.insert().values(
                        community_id=community_id,
                        user_id=user_id,
                        day=day,
                        problem_id=problem_id,
                        picked_at=now,
                    )
                )

    async def forget_member(self, community_id: int, user_id: str) -> int:
        """Delete a member's DSA progress (solves, skips, picks); the number of rows removed."""
        removed = 0
        async with self.db.transaction() as conn:
            for table in (dsa_solves, dsa_skips, dsa_picks):
                result = await conn.execute(
                    table.delete().where(
                        table.c.community_id == community_id, table.c.user_id == user_id
                    )
                )
                removed += result.rowcount
        return removed
