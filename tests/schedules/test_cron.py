"""Cron parsing: what is accepted, what each mistake is told, and matching by cron rules."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.timing.cron import CronError, parse_cron


def test_fields_ranges_steps_lists_and_names() -> None:
    spec = parse_cron("0,30 9-17/4 * jan-mar mon-fri")
    assert spec.minutes == {0, 30}
    assert spec.hours == {9, 13, 17}
    assert spec.months == {1, 2, 3}
    assert spec.days_of_week == {1, 2, 3, 4, 5}
    assert spec.times()[:3] == [time(9, 0), time(9, 30), time(13, 0)]


def test_sunday_is_zero_and_seven() -> None:
    assert parse_cron("0 9 * * 7").days_of_week == {0}
    assert parse_cron("0 9 * * 0").days_of_week == {0}
    assert parse_cron("0 9 * * sun").days_of_week == {0}


def test_day_of_month_or_day_of_week_when_both_are_restricted() -> None:
    spec = parse_cron("0 9 1 * mon")
    assert spec.matches_date(date(2026, 1, 1))  # a Thursday, but the 1st
    assert spec.matches_date(date(2026, 1, 5))  # a Monday
    assert not spec.matches_date(date(2026, 1, 6))
    only_dom = parse_cron("0 9 1 * *")
    assert not only_dom.matches_date(date(2026, 1, 5))


def test_macros_and_quotes() -> None:
    assert parse_cron("@weekly").expression == "0 0 * * 0"
    assert parse_cron('"0 9 * * 1"').expression == "0 9 * * 1"
    assert parse_cron("  0   9 * *  1 ").expression == "0 9 * * 1"


def test_leap_day_is_valid() -> None:
    spec = parse_cron("0 9 29 2 *")
    assert spec.matches_date(date(2028, 2, 29))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("", "empty"),
        ("0 9", "has 2 fields"),
        ("0 0 9 * * *", "looks like seconds"),
        ("60 9 * * *", "minute field `60`: 60 is out of range; use 0-59"),
        ("0 25 * * *", "hour field `25`: 25 is out of range; use 0-23"),
        ("0 9 32 * *", "day of month field `32`"),
        ("0 9 * 13 *", "month field `13`"),
        ("0 9 * * 8", "0 and 7 are Sunday"),
        ("0 9 * * funday", "not a number from 0 to 7 or a weekday name"),
        ("0 9 * * ?", "Quartz syntax"),
        ("0 9 L * *", "Quartz syntax"),
        ("0 9 * * 1#2", "Quartz syntax"),
        ("0 17-9 * * *", "goes backwards"),
        ("*/0 9 * * *", "step after `/`"),
        ("0 9 1,,2 * *", "empty item"),
        ("* 9 * * *", "every 1 minute"),
        ("*/5 * * * *", "every 5 minutes"),
        ("0 9 30 2 *", "never runs"),
        ("0 9 31 4,6,9,11 *", "never runs"),
        ("@sometimes", "not a cron macro"),
    ],
)
def test_errors_say_what_to_fix(expression: str, expected: str) -> None:
    with pytest.raises(CronError) as info:
        parse_cron(expression)
    assert expected in str(info.value)


def test_describe() -> None:
    assert parse_cron("0 9 * * 1").describe() == "Mondays at 09:00"
    assert parse_cron("30 18 * * mon,wed,fri").describe() == "mon,wed,fri at 18:30"
    assert parse_cron("0 9 * * *").describe() == "daily at 09:00"
    assert parse_cron("0 9 1 * *").describe() == "day 1 of each month at 09:00"
    assert parse_cron("0 9,17 * * *").describe() == "cron `0 9,17 * * *`"


@given(st.text(max_size=40))
def test_any_text_is_parsed_or_refused_with_a_cron_error(raw: str) -> None:
    try:
        spec = parse_cron(raw)
    except CronError as exc:
        assert str(exc)
    else:
        assert spec.times()


@given(
    minutes=st.frozensets(st.sampled_from([0, 15, 30, 45]), min_size=1),
    hours=st.frozensets(st.integers(0, 23), min_size=1, max_size=4),
    dows=st.frozensets(st.integers(0, 6), min_size=1, max_size=7),
    months=st.frozensets(st.integers(1, 12), min_size=1),
)
def test_lists_round_trip(
    minutes: frozenset[int], hours: frozenset[int], dows: frozenset[int], months: frozenset[int]
) -> None:
    def join(values: frozenset[int]) -> str:
        return ",".join(str(v) for v in sorted(values))

    spec = parse_cron(f"{join(minutes)} {join(hours)} * {join(months)} {join(dows)}")
    assert (spec.minutes, spec.hours, spec.months, spec.days_of_week) == (
        minutes,
        hours,
        months,
        dows,
    )
    assert spec.times() == sorted(time(h, m) for h in hours for m in minutes)
