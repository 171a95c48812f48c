"""Streak rules, written once and used by every command that shows a streak.

- A **day** is the member's local calendar day in the time zone of their DSA reminder, or the
  community's default zone when they have none. The day is fixed when the solve is recorded, so
  later changing the reminder zone never rewrites history.
- Solving **any** problem on a day keeps the streak; solving several that day still counts one day.
- Marking the same problem solved twice counts once (the first time).
- The **current streak** is the run of consecutive days ending today, or ending yesterday while
  today is still open (nothing solved yet today does not break it until the day is over).
- The **best streak** is the longest run ever.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

RULES_TEXT = (
    "A day is your local calendar day in your reminder's time zone (the community's zone if you "
    "have no reminder). Solving any problem that day keeps your streak; marking the same problem "
    "twice counts once. Your streak stays alive until the end of today, so solve one before "
    "midnight."
)


@dataclass(frozen=True, slots=True)
class Streak:
    current: int
    best: int
    last_day: date | None  # the most recent day with a solve

    @property
    def active_today(self) -> bool:
        return self.current > 0


def zone_for(reminder_zone: str | None, community_zone: str) -> str:
    """The zone a member's days are counted in."""
    return reminder_zone or community_zone


def local_day(instant: datetime, zone_name: str) -> date:
    """The calendar day an aware instant falls on in the zone."""
    if instant.tzinfo is None:
        raise ValueError("instant must be aware")
    return instant.astimezone(ZoneInfo(zone_name)).date()


def compute(days: Iterable[date], today: date) -> Streak:
    """Current and best streak, as of `today`, from the days with at least one solve.

    Days after `today` are ignored, so a streak can be computed as of any past day.
    """
    ordered = sorted({d for d in days if d <= today})
    if not ordered:
        return Streak(0, 0, None)
    best = run = 1
    for prev, cur in itertools.pairwise(ordered):
        run = run + 1 if cur - prev == timedelta(days=1) else 1
        best = max(best, run)
    present = set(ordered)
    anchor = today if today in present else today - timedelta(days=1)
    current = 0
    while anchor in present:
        current += 1
        anchor -= timedelta(days=1)
    return Streak(current, best, ordered[-1])


def best_run_ending_between(days: Iterable[date], first: date, last: date) -> int:
    """The longest run of consecutive days whose final day lies in [first, last].

    Only days up to `last` count, so this is "the best streak reached in that period" (a run
    that started earlier counts in full).
    """
    ordered = sorted({d for d in days if d <= last})
    best = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        previous = day
        if day >= first:
            best = max(best, run)
    return best
