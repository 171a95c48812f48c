"""When a schedule fires: local wall-clock rules turned into UTC instants with `zoneinfo`.

A rule is either `WeeklyAt` (a set of weekdays and an HH:MM) or a `CronSpec`
(see `bot.timing.cron`).
Both name LOCAL times; `next_fire` finds the first instant strictly after a given one at which
the rule fires in an IANA zone. A Monday 09:00 Europe/London rule fires at 09:00 London time in
January (09:00 UTC) and in July (08:00 UTC).

Daylight-saving time, defined once here for every schedule:

- **Gap** (spring forward: the local time does not exist, e.g. 01:30 in London on the last
  Sunday of March): the slot runs at the first valid instant after it, which is the moment the
  clocks jump (02:00 BST, 01:00 UTC). Several slots inside one gap collapse into that single run.
- **Overlap** (fall back: the local time happens twice, e.g. 01:30 in London on the last Sunday
  of October): the slot runs once, at the first occurrence (01:30 BST, 00:30 UTC); the repeat an
  hour later does not run again.

The rules text form, as stored in the database: `weekly mon,thu 09:00` or `cron 0 9 * * 1`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.timing.cron import CronSpec, parse_cron
from bot.timing.timeparse import WEEKDAYS, describe_days, parse_days

#: Candidates earlier than this before the local "after" time cannot fire after it: no zone
#: moves its clocks back by more than this in one step.
_MAX_BACKWARD_JUMP = timedelta(hours=3)
#: A rule that matches no date in this many days never fires (validated rules always do).
_HORIZON_DAYS = 366 * 9


class Rule(Protocol):
    """A local-time recurrence: which dates, and which times on each of them."""

    def matches_date(self, day: date) -> bool: ...

    def times(self) -> list[time]: ...

    def describe(self) -> str: ...

    def to_text(self) -> str: ...


@dataclass(frozen=True, slots=True)
class WeeklyAt:
    """At `at` (local) on each weekday in `days` (Monday = 0)."""

    days: frozenset[int]
    at: time

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError("days must be a non-empty set of weekdays 0-6")
        if self.at.second or self.at.microsecond or self.at.tzinfo is not None:
            raise ValueError("the time must be a naive HH:MM")

    def matches_date(self, day: date) -> bool:
        return day.weekday() in self.days

    def times(self) -> list[time]:
        return [self.at]

    def describe(self) -> str:
        return f"{describe_days(self.days)} at {self.at.strftime('%H:%M')}"

    def to_text(self) -> str:
        return f"weekly {','.join(WEEKDAYS[d] for d in sorted(self.days))} {self.at:%H:%M}"


@dataclass(frozen=True, slots=True)
class CronRule:
    """A five-field cron expression (see `bot.timing.cron`)."""

    spec: CronSpec

    def matches_date(self, day: date) -> bool:
        return self.spec.matches_date(day)

    def times(self) -> list[time]:
        return self.spec.times()

    def describe(self) -> str:
        return self.spec.describe()

    def to_text(self) -> str:
        return f"cron {self.spec.expression}"


def parse_rule(text: str) -> Rule:
    """The inverse of `Rule.to_text()`."""
    kind, _, rest = text.strip().partition(" ")
    if kind == "weekly":
        days_text, _, at_text = rest.rpartition(" ")
        hour, minute = (int(part) for part in at_text.split(":"))
        return WeeklyAt(parse_days(days_text), time(hour, minute))
    if kind == "cron":
        return CronRule(parse_cron(rest))
    raise ValueError(f"unknown recurrence {text!r}")


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_naive(instant: datetime, tz: ZoneInfo) -> datetime:
    """The local wall-clock time of an aware instant in `tz`, without tzinfo."""
    return instant.astimezone(tz).replace(tzinfo=None)


def exists(naive: datetime, tz: ZoneInfo) -> bool:
    """Whether this wall-clock time happens at least once in `tz` (False inside a DST gap)."""
    return local_naive(naive.replace(tzinfo=tz).astimezone(UTC), tz) == naive


def resolve(naive: datetime, tz: ZoneInfo) -> datetime:
    """The instant (aware UTC) a slot at local wall time `naive` runs, per the DST rules above."""
    instant = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if local_naive(instant, tz) == naive:
        return instant  # exists; fold=0 is the first occurrence when it is repeated
    # In a gap: fold=1 applies the offset after the jump (an instant before it), fold=0 the one
    # before (an instant after it). The jump lies between; find it to the second.
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = instant
    while hi - lo > timedelta(seconds=1):
        mid = lo + timedelta(seconds=((hi - lo).total_seconds() // 2))
        if local_naive(mid, tz) > naive:
            hi = mid
        else:
            lo = mid
    return hi


def next_fire(rule: Rule, zone_name: str, after: datetime) -> datetime | None:
    """The first instant strictly after `after` at which `rule` fires in the zone (aware UTC).

    None only for a rule that matches no real date (validated rules always match one).
    """
    if after.tzinfo is None:
        raise ValueError("`after` must be aware")
    tz = zone(zone_name)
    after = after.astimezone(UTC)
    local_after = local_naive(after, tz)
    earliest = local_after - _MAX_BACKWARD_JUMP
    times = rule.times()
    day = earliest.date()
    for _ in range(_HORIZON_DAYS):
        if rule.matches_date(day):
            for at in times:
                candidate = datetime.combine(day, at)
                if candidate < earliest:
                    continue
                instant = resolve(candidate, tz)
                if instant > after:
                    return instant
        day += timedelta(days=1)
    return None


def fires_between(
    rule: Rule, zone_name: str, start: datetime, end: datetime, *, limit: int = 10_000
) -> Iterator[datetime]:
    """Every instant in (start, end] at which `rule` fires, in order (at most `limit`)."""
    current = start
    for _ in range(limit):
        nxt = next_fire(rule, zone_name, current)
        if nxt is None or nxt > end:
            return
        yield nxt
        current = nxt


def previous_fires(
    rule: Rule, zone_name: str, start: datetime, end: datetime, *, limit: int
) -> list[datetime]:
    """The last `limit` instants in (start, end] at which `rule` fires, oldest first.

    Walks back from `end` in growing windows, so a long span costs only what it returns.
    """
    window = timedelta(days=2)
    while True:
        lower = max(start, end - window)
        found = list(fires_between(rule, zone_name, lower, end))
        if len(found) >= limit or lower == start:
            return found[-limit:] if limit else []
        window *= 4
