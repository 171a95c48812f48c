"""Local-time recurrence across DST: documented examples and properties against an oracle."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.timing.cron import parse_cron
from bot.timing.recurrence import (
    CronRule,
    Rule,
    WeeklyAt,
    exists,
    fires_between,
    next_fire,
    parse_rule,
    previous_fires,
    resolve,
)

MON, SUN = 0, 6


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_monday_0900_london_in_winter_and_summer() -> None:
    rule = WeeklyAt(frozenset({MON}), time(9, 0))
    assert next_fire(rule, "Europe/London", utc(2026, 1, 1)) == utc(2026, 1, 5, 9, 0)
    assert next_fire(rule, "Europe/London", utc(2026, 7, 1)) == utc(2026, 7, 6, 8, 0)


def test_strictly_after_the_given_instant() -> None:
    rule = WeeklyAt(frozenset({MON}), time(9, 0))
    slot = utc(2026, 1, 5, 9, 0)
    assert next_fire(rule, "UTC", slot - timedelta(seconds=1)) == slot
    assert next_fire(rule, "UTC", slot) == slot + timedelta(days=7)


# London 2026: clocks jump 01:00 GMT -> 02:00 BST on 29 March, fall 02:00 BST -> 01:00 GMT on
# 25 October. New York 2026: 02:00 -> 03:00 on 8 March, 02:00 -> 01:00 on 1 November.


def test_gap_london_runs_when_the_clocks_jump() -> None:
    rule = WeeklyAt(frozenset({SUN}), time(1, 30))
    fire = next_fire(rule, "Europe/London", utc(2026, 3, 28))
    assert fire == utc(2026, 3, 29, 1, 0)  # 02:00 BST, the first valid instant after 01:30
    assert fire.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M %Z") == "02:00 BST"
    assert next_fire(rule, "Europe/London", fire) == utc(2026, 4, 5, 0, 30)  # 01:30 BST again


def test_gap_new_york_runs_when_the_clocks_jump() -> None:
    rule = WeeklyAt(frozenset({SUN}), time(2, 30))
    fire = next_fire(rule, "America/New_York", utc(2026, 3, 7))
    assert fire == utc(2026, 3, 8, 7, 0)  # 03:00 EDT
    assert not exists(datetime(2026, 3, 8, 2, 30), ZoneInfo("America/New_York"))


def test_overlap_london_runs_once_at_the_first_occurrence() -> None:
    rule = WeeklyAt(frozenset({SUN}), time(1, 30))
    first = next_fire(rule, "Europe/London", utc(2026, 10, 24))
    assert first == utc(2026, 10, 25, 0, 30)  # 01:30 BST
    # The repeat at 01:30 GMT (01:30 UTC) is not run: the next fire is a week later.
    assert next_fire(rule, "Europe/London", first) == utc(2026, 11, 1, 1, 30)


def test_overlap_new_york_runs_once_at_the_first_occurrence() -> None:
    rule = WeeklyAt(frozenset({SUN}), time(1, 30))
    first = next_fire(rule, "America/New_York", utc(2026, 10, 31))
    assert first == utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    assert next_fire(rule, "America/New_York", first) == utc(2026, 11, 8, 6, 30)  # EST


def test_cron_slots_inside_a_gap_collapse_into_one_run() -> None:
    rule = CronRule(parse_cron("*/15 1,2 * * *"))
    fires = list(fires_between(rule, "Europe/London", utc(2026, 3, 29, 0), utc(2026, 3, 29, 2)))
    # 01:00-01:45 do not exist and 02:00 BST is the jump itself: one run, then 02:15 BST...
    assert fires == [
        utc(2026, 3, 29, 1, 0),
        utc(2026, 3, 29, 1, 15),
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 29, 1, 45),
    ]


def test_cron_in_the_repeated_hour_runs_each_slot_once() -> None:
    rule = CronRule(parse_cron("0,30 1 * * *"))
    fires = list(fires_between(rule, "Europe/London", utc(2026, 10, 24, 23), utc(2026, 10, 25, 3)))
    assert fires == [utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 0, 30)]


def test_gap_at_midnight_runs_on_the_same_day() -> None:
    # America/Santiago springs forward at 24:00 -> 01:00 (2026-09-06 local).
    rule = WeeklyAt(frozenset(range(7)), time(0, 0))
    tz = ZoneInfo("America/Santiago")
    fire = next_fire(rule, "America/Santiago", utc(2026, 9, 6, 2))
    assert fire is not None
    assert fire.astimezone(tz).date() == date(2026, 9, 6)
    assert fire.astimezone(tz).time() == time(1, 0)


def test_resolve_is_the_identity_for_ordinary_times() -> None:
    tz = ZoneInfo("Europe/London")
    naive = datetime(2026, 6, 1, 9, 0)
    assert resolve(naive, tz) == utc(2026, 6, 1, 8, 0)


@pytest.mark.parametrize(
    "rule",
    [
        WeeklyAt(frozenset({0, 3}), time(9, 5)),
        WeeklyAt(frozenset(range(7)), time(23, 59)),
        CronRule(parse_cron("0 9 1 * mon")),
    ],
)
def test_text_round_trip(rule: Rule) -> None:
    assert parse_rule(rule.to_text()) == rule


def test_previous_fires_returns_the_latest_ones() -> None:
    rule = WeeklyAt(frozenset(range(7)), time(9, 0))
    got = previous_fires(rule, "UTC", utc(2026, 1, 1), utc(2026, 3, 1), limit=3)
    assert got == [utc(2026, 2, 26, 9), utc(2026, 2, 27, 9), utc(2026, 2, 28, 9)]
    assert previous_fires(rule, "UTC", utc(2026, 1, 1, 10), utc(2026, 1, 3), limit=5) == [
        utc(2026, 1, 2, 9)
    ]


# -- properties -----------------------------------------------------------------------------

ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/Santiago",  # DST at midnight
    "Pacific/Chatham",  # +12:45/+13:45
    "Asia/Kolkata",
    "UTC",
]
# Times near the usual transition hours are the interesting ones.
times = st.one_of(
    st.builds(time, st.integers(0, 3), st.sampled_from([0, 15, 30, 45, 59])),
    st.builds(time, st.integers(0, 23), st.integers(0, 59)),
)
instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
day_sets = st.frozensets(st.integers(0, 6), min_size=1)


def _oracle(rule: Rule, tz: ZoneInfo, after: datetime) -> datetime:
    """Walk the clock minute by minute: a slot fires the first minute its local time is reached
    (or jumped over), once per (date, time). Independent of the implementation under test."""
    minute = after.replace(second=0, microsecond=0) - timedelta(days=1)
    prev = minute.astimezone(tz).replace(tzinfo=None)
    fired: set[datetime] = set()
    while True:
        minute += timedelta(minutes=1)
        loc = minute.astimezone(tz).replace(tzinfo=None)
        hit = False
        for day in {prev.date(), loc.date()}:
            if not rule.matches_date(day):
                continue
            for at in rule.times():
                target = datetime.combine(day, at)
                if prev < target <= loc and target not in fired:
                    fired.add(target)
                    hit = True
        if hit and minute > after:
            return minute
        prev = loc


@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(ZONES), days=day_sets, at=times, after=instants)
def test_weekly_matches_the_minute_by_minute_oracle(
    zone: str, days: frozenset[int], at: time, after: datetime
) -> None:
    rule = WeeklyAt(days, at)
    assert next_fire(rule, zone, after) == _oracle(rule, ZoneInfo(zone), after)


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    minutes=st.frozensets(st.sampled_from([0, 15, 30, 45]), min_size=1, max_size=2),
    hours=st.frozensets(st.integers(0, 23), min_size=1, max_size=3),
    dows=st.frozensets(st.integers(0, 6), min_size=1),
    after=instants,
)
def test_cron_matches_the_minute_by_minute_oracle(
    zone: str, minutes: frozenset[int], hours: frozenset[int], dows: frozenset[int], after: datetime
) -> None:
    expr = " ".join(
        [
            ",".join(map(str, sorted(minutes))),
            ",".join(map(str, sorted(hours))),
            "*",
            "*",
            ",".join(map(str, sorted(dows))),
        ]
    )
    rule = CronRule(parse_cron(expr))
    assert next_fire(rule, zone, after) == _oracle(rule, ZoneInfo(zone), after)


@settings(max_examples=80, deadline=None)
@given(zone=st.sampled_from(ZONES), days=day_sets, at=times, after=instants)
def test_weekly_sequence_properties(
    zone: str, days: frozenset[int], at: time, after: datetime
) -> None:
    tz = ZoneInfo(zone)
    rule = WeeklyAt(days, at)
    fires = list(fires_between(rule, zone, after, after + timedelta(days=15)))
    assert fires, "a weekly rule fires at least once in 15 days"
    # strictly increasing, and strictly after `after`
    assert all(a < b for a, b in zip([after, *fires], fires, strict=False))
    local_days = [f.astimezone(tz).date() for f in fires]
    assert len(set(local_days)) == len(local_days), "at most one run per local day"
    for fire in fires:
        local = fire.astimezone(tz)
        wanted = datetime.combine(local.date(), at)
        assert local.weekday() in days
        if exists(wanted, tz):
            assert local.replace(tzinfo=None) == wanted  # the requested wall time
            assert fire == wanted.replace(tzinfo=tz, fold=0).astimezone(UTC)  # first occurrence
        else:
            assert local.replace(tzinfo=None) > wanted  # in a gap: the first instant after
            before = (fire - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None)
            assert before < wanted
    # never skips a valid day between two runs
    for a, b in itertools.pairwise(local_days):
        day = a + timedelta(days=1)
        while day < b:
            assert day.weekday() not in days
            day += timedelta(days=1)
