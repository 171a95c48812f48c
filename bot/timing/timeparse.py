"""Parsing of the time-related values people type: clock times, time zones, weekdays.

Every parser raises `ValueError` with a message that says which forms are accepted; the
option converters wrap it into an `OptionError` naming the option.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from datetime import time
from functools import lru_cache

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_ALIASES: dict[str, int] = {}
for _i, _name in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
):
    _WEEKDAY_ALIASES[_name] = _i
    _WEEKDAY_ALIASES[_name[:3]] = _i
_WEEKDAY_ALIASES.update({"tues": 1, "wednes": 2, "thur": 3, "thurs": 3})

TIME_FORMS = "24-hour HH:MM such as 09:00 or 18:30, or 12-hour such as 9am or 6:30pm"
DAYS_FORMS = (
    "daily, weekdays (mon-fri), weekends, a range such as mon-fri, or a list such as mon,wed,fri"
)

_TIME_24 = re.compile(r"^(\d{1,2})[:.h](\d{2})$")
_TIME_12 = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?$")


def parse_time(raw: str) -> time:
    """Parse `09:00`, `9:00`, `18.30`, `9am`, `6:30 pm` into a `time` (minute precision)."""
    value = raw.strip().lower()
    m = _TIME_24.match(value)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 23 or minute > 59:
            raise ValueError(f"{raw!r} is not a time of day; use {TIME_FORMS}")
        return time(hour, minute)
    m = _TIME_12.match(value)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise ValueError(f"{raw!r} is not a time of day; use {TIME_FORMS}")
        hour = hour % 12 + (12 if m.group(3) == "p" else 0)
        return time(hour, minute)
    raise ValueError(f"{raw!r} is not a time I understand; use {TIME_FORMS}")


@lru_cache(maxsize=1)
def available_zones() -> tuple[str, ...]:
    """Every IANA zone name known to this Python (tzdata is a dependency, so never empty)."""
    return tuple(sorted(zoneinfo.available_timezones()))


@lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    return {z.casefold(): z for z in available_zones()}


def suggest_zones(raw: str, limit: int = 3) -> list[str]:
    """The closest valid IANA zone names to what the person typed."""
    folded = raw.strip().replace(" ", "_").casefold()
    zones = available_zones()
    by_folded = _zones_by_folded_name()
    # A bare city ("london") matches the last path component of a zone.
    city_hits = [z for z in zones if z.rsplit("/", 1)[-1].casefold() == folded]
    close = difflib.get_close_matches(folded, list(by_folded), n=limit, cutoff=0.6)
    city_close = difflib.get_close_matches(
        folded, [z.rsplit("/", 1)[-1].casefold() for z in zones], n=limit, cutoff=0.75
    )
    out: list[str] = []
    for name in city_hits + [by_folded[c] for c in close]:
        if name not in out:
            out.append(name)
    for city in city_close:
        for z in zones:
            if z.rsplit("/", 1)[-1].casefold() == city and z not in out:
                out.append(z)
    return out[:limit]


def parse_timezone(raw: str) -> str:
    """Return the canonical IANA name for `raw` (case-insensitive), or raise with suggestions."""
    value = raw.strip().replace(" ", "_")
    if value.upper() in {"UTC", "GMT", "Z"}:
        return "UTC"
    canonical = _zones_by_folded_name().get(value.casefold())
    if canonical is not None:
        return canonical
    suggestions = suggest_zones(value)
    hint = (
        f"Did you mean {', '.join(suggestions)}?"
        if suggestions
        else "Use an IANA name in the form Area/City, such as Europe/London or America/New_York."
    )
    raise ValueError(f"{raw!r} is not a time zone I know. {hint}")


def parse_weekday(raw: str) -> int:
    """Parse a weekday name or abbreviation; Monday is 0."""
    value = raw.strip().lower().rstrip(".")
    if value in _WEEKDAY_ALIASES:
        return _WEEKDAY_ALIASES[value]
    raise ValueError(
        f"{raw!r} is not a weekday; use mon, tue, wed, thu, fri, sat or sun (or the full name)"
    )


def parse_days(raw: str) -> frozenset[int]:
    """Parse a set of weekdays: `daily`, `weekdays`, `weekends`, `mon-fri`, `mon,wed,fri`."""
    value = raw.strip().lower().replace(" ", "")
    if value in {"daily", "everyday", "all", "*"}:
        return frozenset(range(7))
    if value in {"weekdays", "workdays"}:
        return frozenset(range(5))
    if value in {"weekends", "weekend"}:
        return frozenset({5, 6})
    days: set[int] = set()
    try:
        for part in filter(None, value.split(",")):
            if "-" in part:
                start_raw, end_raw = part.split("-", 1)
                start, end = parse_weekday(start_raw), parse_weekday(end_raw)
                day = start
                days.add(day)
                while day != end:
                    day = (day + 1) % 7
                    days.add(day)
            else:
                days.add(parse_weekday(part))
    except ValueError:
        raise ValueError(f"{raw!r} is not a list of days; use {DAYS_FORMS}") from None
    if not days:
        raise ValueError(f"{raw!r} is not a list of days; use {DAYS_FORMS}")
    return frozenset(days)


def format_days(days: frozenset[int]) -> str:
    """The shortest readable form of a weekday set (`daily`, `mon-fri`, `mon,wed,fri`)."""
    if len(days) == 7:
        return "daily"
    if days == frozenset(range(5)):
        return "mon-fri"
    if days == frozenset({5, 6}):
        return "weekends"
    return ",".join(WEEKDAYS[d] for d in sorted(days))


_PLURAL_DAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def describe_days(days: frozenset[int]) -> str:
    """Like `format_days`, but a single day reads as a plural name (`Mondays`)."""
    if len(days) == 1:
        return _PLURAL_DAYS[next(iter(days))]
    return format_days(days)
