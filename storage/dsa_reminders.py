"""What a batch of DSA reminders reads and writes, in a few queries for the whole batch.

A popular minute (09:00 in a big time zone) makes hundreds of members' reminders due at once;
reading each member's solves, skips and today's pick one query at a time cost about six round
trips per reminder. `ReminderStore` reads them for up to a batch of members in one transaction
and stores the new picks in another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from storage.database import Database, dialect_insert
from storage.dsa import dsa_picks, dsa_skips, dsa_solves


@dataclass(slots=True)
class MemberPractice:
    """One member's practice as a reminder needs it."""

    solved: set[str] = field(default_factory=set)
    solve_days: set[date] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)
    pick: str | None = None  # the problem already picked for the reminder's day, if any


class ReminderStore:
    """Batch reads and writes of the `dsa.reminder` job (see `cogs.dsa.reminders`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def practice(
        self, community_id: int, members: Sequence[tuple[str, date]]
    ) -> dict[str, MemberPractice]:
        """Solves, skips and the pick for the given day of each (user id, day), by user id."""
        users = sorted({user for user, _ in members})
        found: dict[str, MemberPractice] = defaultdict(MemberPractice)
        if not users:
            return {}
        days_of: dict[date, list[str]] = defaultdict(list)
        for user, day in members:
            days_of[day].append(user)
        async with self.db.transaction() as conn:
            solves = await conn.execute(
                sa.select(dsa_solves.c.user_id, dsa_solves.c.problem_id, dsa_solves.c.local_day)
                .where(dsa_solves.c.community_id == community_id)
                .where(dsa_solves.c.user_id.in_(users))
            )
            for user, problem_id, day in solves:
                found[user].solved.add(problem_id)
                found[user].solve_days.add(day)
            skips = await conn.execute(
                sa.select(dsa_skips.c.user_id, dsa_skips.c.problem_id)
                .where(dsa_skips.c.community_id == community_id)
                .where(dsa_skips.c.user_id.in_(users))
            )
            for user, problem_id in skips:
                found[user].skipped.add(problem_id)
            for day, day_users in days_of.items():
                picks = await conn.execute(
                    sa.select(dsa_picks.c.user_id, dsa_picks.c.problem_id).where(
                        dsa_picks.c.community_id == community_id,
                        dsa_picks.c.day == day,
                        dsa_picks.c.user_id.in_(sorted(set(day_users))),
                    )
                )
                for user, problem_id in picks:
                    found[user].pick = problem_id
        return {user: found[user] for user in users}

    async def set_picks(
        self, community_id: int, picks: Mapping[tuple[str, date], str], *, now: datetime
    ) -> None:
        """Store each (user id, day) → problem id, replacing an earlier pick for that day."""
        if not picks:
            return
        async with self.db.transaction() as conn:
            insert = dialect_insert(conn, dsa_picks)
            await conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[dsa_picks.c.community_id, dsa_picks.c.user_id, dsa_picks.c.day],
                    set_={
                        "problem_id": insert.excluded.problem_id,
                        "picked_at": insert.excluded.picked_at,
                    },
                ),
                [
                    {
                        "community_id": community_id,
                        "user_id": user,
                        "day": day,
                        "problem_id": problem_id,
                        "picked_at": now,
                    }
                    for (user, day), problem_id in picks.items()
                ],
            )
