"""Five-field cron expressions: parsing with readable errors, and matching.

`minute hour day-of-month month day-of-week`, as in Vixie cron:

- each field is `*`, a number, a range `a-b`, a step `*/n` or `a-b/n` or `a/n`, or a comma list
  of those; months and weekdays also take names (`jan`, `mon`); weekday 0 and 7 are Sunday;
- when both day-of-month and day-of-week are restricted, a day matches if EITHER matches
  (`0 9 1 * mon` is "the 1st of the month and every Monday");
- the macros `@hourly`, `@daily`, `@weekly` (Sunday), `@monthly`, `@yearly`/`@annually` work.

Quartz extras (`?`, `L`, `W`, `#`) and a seconds field are refused with a message saying so.
Times are local wall-clock times; `bot.timing.recurrence` turns them into instants in a zone.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, time, timedelta

from bot.timing.timeparse import WEEKDAYS, describe_days

FIELD_NAMES = ("minute", "hour", "day of month", "month", "day of week")
CRON_FORM = "five fields: minute hour day-of-month month day-of-week, such as `0 9 * * mon`"
#: A cron schedule may not post more often than this (protects channels from a typo like `* 9`).
MIN_INTERVAL_MINUTES = 10
#: How far ahead a valid expression must match at least one real date (covers 29 February).
SEARCH_YEARS = 9

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
# (low, high) of each field as typed; weekday 7 is folded onto 0 (Sunday) after parsing.
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


class CronError(ValueError):
    """An expression that is not valid cron; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class CronSpec:
    """A parsed expression. Weekdays here use cron numbering: 0 = Sunday ... 6 = Saturday."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    dom_restricted: bool
    dow_restricted: bool

    def times(self) -> list[time]:
        """Every local time of day this expression fires at, in order."""
        return [time(h, m) for h in sorted(self.hours) for m in sorted(self.minutes)]

    def matches_date(self, day: date) -> bool:
        """Whether the expression fires on this local date (month and day fields, cron rules)."""
        if day.month not in self.months:
            return False
        dom = day.day in self.days_of_month
        dow = (day.weekday() + 1) % 7 in self.days_of_week  # Python Monday=0 -> cron Monday=1
        if self.dom_restricted and self.dow_restricted:
            return dom or dow
        return dom and dow

    def describe(self) -> str:
        """A short human reading, e.g. `at 09:00 on mon,thu` (falls back to the expression)."""
        if len(self.minutes) != 1 or len(self.hours) != 1 or self.months != frozenset(range(1, 13)):
            return f"cron `{self.expression}`"
        at = self.times()[0].strftime("%H:%M")
        if not self.dom_restricted and not self.dow_restricted:
            return f"daily at {at}"
        if self.dow_restricted and not self.dom_restricted:
            return f"{describe_days(frozenset(_mon0(d) for d in self.days_of_week))} at {at}"
        if self.dom_restricted and not self.dow_restricted:
            dates = ",".join(str(d) for d in sorted(self.days_of_month))
            return f"day {dates} of each month at {at}"
        return f"cron `{self.expression}`"


def _mon0(cron_weekday: int) -> int:
    return (cron_weekday - 1) % 7


def parse_cron(raw: str) -> CronSpec:
    """Parse and validate an expression; `CronError` says what is wrong and how to fix it."""
    text = " ".join(raw.strip().strip("`\"'“”").split())
    if not text:
        raise CronError(f"The cron expression is empty; use {CRON_FORM}.")
    expression = _MACROS.get(text.lower(), text)
    if text.startswith("@") and expression == text:
        raise CronError(
            f"`{text}` is not a cron macro I know; use one of {', '.join(sorted(_MACROS))} "
            f"or {CRON_FORM}."
        )
    fields = expression.split(" ")
    if len(fields) != 5:
        hint = (
            " The first field looks like seconds: drop it (schedules run at minute precision)."
            if len(fields) == 6
            else ""
        )
        raise CronError(
            f"`{text}` has {len(fields)} field{'s' if len(fields) != 1 else ''}; a cron "
            f"expression has {CRON_FORM}.{hint}"
            + (" Put the expression in quotes." if len(fields) < 5 else "")
        )
    parsed = [_parse_field(f, i) for i, f in enumerate(fields)]
    dow = frozenset(d % 7 for d in parsed[4])
    spec = CronSpec(
        expression=expression,
        minutes=parsed[0],
        hours=parsed[1],
        days_of_month=parsed[2],
        months=parsed[3],
        days_of_week=dow,
        dom_restricted=not fields[2].startswith("*"),
        dow_restricted=not fields[4].startswith("*"),
    )
    _check_interval(spec, text)
    _check_ever_matches(spec, text)
    return spec


def _parse_field(field: str, index: int) -> frozenset[int]:
    name = FIELD_NAMES[index]
    low, high = _BOUNDS[index]
    values: set[int] = set()
    for item in field.split(","):
        if item == "":
            raise CronError(f"The {name} field `{field}` has an empty item between commas.")
        if any(ch in item for ch in "?LW#"):
            raise CronError(
                f"The {name} field `{field}` uses Quartz syntax (?, L, W or #), which is not "
                "supported; use numbers, names, ranges (a-b), lists (a,b) and steps (*/n)."
            )
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(
                    f"The {name} field `{field}`: the step after `/` must be a whole number "
                    "from 1, as in `*/15`."
                )
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            start, end = _value(a, index, field), _value(b, index, field)
            if start > end:
                raise CronError(
                    f"The {name} field `{field}`: the range `{base}` goes backwards; write the "
                    "smaller value first."
                )
        else:
            start = _value(base, index, field)
            end = high if slash else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _value(token: str, index: int, field: str) -> int:
    name = FIELD_NAMES[index]
    low, high = _BOUNDS[index]
    folded = token.lower()
    if index == 3 and folded[:3] in _MONTHS and len(folded) >= 3:
        return _MONTHS.index(folded[:3]) + 1
    if index == 4 and folded[:3] in WEEKDAYS and len(folded) >= 3:
        return (WEEKDAYS.index(folded[:3]) + 1) % 7
    if not token.isdigit():
        names = ""
        if index == 3:
            names = " or a month name (jan-dec)"
        elif index == 4:
            names = " or a weekday name (mon-sun)"
        raise CronError(
            f"The {name} field `{field}`: `{token}` is not a number from {low} to {high}{names}."
        )
    number = int(token)
    if not low <= number <= high:
        extra = " (0 and 7 are Sunday)" if index == 4 else ""
        raise CronError(
            f"The {name} field `{field}`: {number} is out of range; use {low}-{high}{extra}."
        )
    return number


def _check_interval(spec: CronSpec, text: str) -> None:
    marks = sorted(h * 60 + m for h in spec.hours for m in spec.minutes)
    gaps = [b - a for a, b in itertools.pairwise(marks)]
    gaps.append(marks[0] + 24 * 60 - marks[-1])
    shortest = min(gaps)
    if shortest < MIN_INTERVAL_MINUTES:
        raise CronError(
            f"`{text}` would post every {shortest} minute{'s' if shortest != 1 else ''}; "
            f"schedules may run at most every {MIN_INTERVAL_MINUTES} minutes. The first field is "
            "the minute: `0 9 * * *` is 09:00 every day."
        )


def _check_ever_matches(spec: CronSpec, text: str) -> None:
    day = date(2024, 1, 1)  # a fixed start: whether a date exists does not depend on "now"
    for _ in range(366 * SEARCH_YEARS):
        if spec.matches_date(day):
            return
        day += timedelta(days=1)
    raise CronError(
        f"`{text}` never runs: no real date has that day of month in those months "
        "(for example 30 February)."
    )
