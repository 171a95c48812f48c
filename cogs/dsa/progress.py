"""Progress figures built from stored solves: streaks per member, leaderboards, weekly figures.

`weekly_figures` is the query other features use (the digest's "this week in DSA practice"):

```python
from cogs.dsa.progress import weekly_figures
figures = await weekly_figures(app.db, community.id, community.timezone, start=..., end=...)
```
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from cogs.dsa.streaks import Streak, best_run_ending_between, compute, local_day
from storage.database import Database
from storage.dsa import DsaRepository, MemberCount


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class Ranked:
    """A leaderboard row. Members with the same number of solves share a rank."""

    rank: int
    user_id: str
    display_name: str
    solves: int


@dataclass(frozen=True, slots=True)
class StreakEntry:
    user_id: str
    display_name: str
    streak: int  # the longest run of days reached in the period (see `best_run_ending_between`)
    current: int  # the run still alive at the end of the period (0 when it lapsed)


@dataclass(frozen=True, slots=True)
class WeeklyFigures:
    """DSA practice in a community over [start, end)."""

    solves: int  # problems marked solved (each member-problem pair once)
    solvers: int  # members who solved at least one
    problems: int  # distinct problems solved
    top_streaks: tuple[StreakEntry, ...]  # the longest streaks reached in the period, best first


def period_days(period: Period, today: date) -> tuple[date | None, date]:
    """The first and last local day of a leaderboard period containing `today`.

    Weeks start on Monday; months on the 1st; `all` has no start.
    """
    if period is Period.WEEK:
        return today - timedelta(days=today.weekday()), today
    if period is Period.MONTH:
        return today.replace(day=1), today
    return None, today


def rank(counts: Sequence[MemberCount]) -> list[Ranked]:
    """Most solves first. Equal counts share a rank (1, 2, 2, 4); among them whoever reached the
    count first is listed first, then by name."""
    ordered = sorted(
        counts, key=lambda c: (-c.solves, c.last_solved_at, c.display_name.casefold(), c.user_id)
    )
    out: list[Ranked] = []
    for position, count in enumerate(ordered, start=1):
        shared = out[-1].rank if out and out[-1].solves == count.solves else position
        out.append(Ranked(shared, count.user_id, count.display_name, count.solves))
    return out


async def member_streak(
    repo: DsaRepository, community_id: int, user_id: str, zone: str, now: datetime
) -> Streak:
    """A member's streak now, `zone` being the zone their days are counted in."""
    days = {s.local_day for s in await repo.solves(community_id, user_id)}
    return compute(days, local_day(now, zone))


async def weekly_figures(
    db: Database,
    community_id: int,
    community_zone: str,
    *,
    start: datetime,
    end: datetime,
    top: int = 3,
) -> WeeklyFigures:
    """Solves recorded in [start, end) and the best streaks members reached in that period.

    A member's days are read in the zone of their latest solve (the zone their days are being
    counted in), or the community's zone when they have none.
    """
    repo = DsaRepository(db)
    solves = await repo.solves_between(community_id, start, end)
    all_days = await repo.solve_days(community_id)
    zones = await repo.latest_zones(community_id)
    names = await repo.member_names(community_id)
    as_of = end - timedelta(microseconds=1)
    entries = []
    for user_id, days in all_days.items():
        zone = zones.get(user_id, community_zone)
        first, last = local_day(start, zone), local_day(as_of, zone)
        reached = best_run_ending_between(days, first, last)
        if reached > 0:
            current = compute(days, last).current
            name = names.get(user_id, user_id)
            entries.append(StreakEntry(user_id, name, reached, current))
    entries.sort(key=lambda e: (-e.streak, -e.current, e.display_name.casefold(), e.user_id))
    return WeeklyFigures(
        solves=len(solves),
        solvers=len({s.user_id for s in solves}),
        problems=len({s.problem_id for s in solves}),
        top_streaks=tuple(entries[:top]),
    )
