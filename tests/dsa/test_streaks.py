"""Streak rules: consecutive local days, month/year ends, leap days, DST and day boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cogs.dsa.streaks import best_run_ending_between, compute, local_day, zone_for


def days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]


def test_empty_and_single_day() -> None:
    empty = compute([], date(2026, 1, 5))
    assert (empty.current, empty.best, empty.last_day) == (0, 0, None)
    one = compute([date(2026, 1, 5)], date(2026, 1, 5))
    assert (one.current, one.best, one.last_day) == (1, 1, date(2026, 1, 5))


def test_streak_survives_until_the_end_of_today_then_breaks() -> None:
    solved = days(date(2026, 1, 1), 4)  # 1-4 January
    assert compute(solved, date(2026, 1, 4)).current == 4
    assert compute(solved, date(2026, 1, 5)).current == 4  # today still open
    assert compute(solved, date(2026, 1, 6)).current == 0  # the 5th passed with nothing
    assert compute(solved, date(2026, 1, 6)).best == 4


def test_several_solves_a_day_count_one_day() -> None:
    solved = [date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 2)]
    assert compute(solved, date(2026, 1, 2)).current == 2


@pytest.mark.parametrize(
    ("start", "count"),
    [
        (date(2026, 1, 29), 5),  # across the end of January
        (date(2026, 2, 26), 5),  # across the end of February (28 days in 2026)
        (date(2026, 12, 30), 4),  # across the end of the year
        (date(2028, 2, 27), 4),  # across the leap day 29 February 2028
        (date(2024, 2, 28), 3),  # 28, 29 February, 1 March 2024
    ],
)
def test_streaks_across_month_year_and_leap_day(start: date, count: int) -> None:
    solved = days(start, count)
    assert compute(solved, solved[-1]).current == count


def test_missing_leap_day_breaks_the_streak() -> None:
    solved = [date(2028, 2, 27), date(2028, 2, 28), date(2028, 3, 1)]
    assert compute(solved, date(2028, 3, 1)).current == 1
    assert compute(solved, date(2028, 3, 1)).best == 2


def test_best_is_the_longest_run_and_future_days_are_ignored() -> None:
    solved = days(date(2026, 3, 1), 3) + days(date(2026, 3, 10), 5) + [date(2026, 3, 20)]
    streak = compute(solved, date(2026, 3, 20))
    assert (streak.current, streak.best) == (1, 5)
    assert compute(solved, date(2026, 3, 12)).current == 3  # as of the 12th


@given(st.sets(st.dates(date(2024, 1, 1), date(2028, 12, 31)), max_size=60), st.dates())
def test_current_never_exceeds_best(solved: set[date], today: date) -> None:
    streak = compute(solved, today)
    assert 0 <= streak.current <= streak.best <= len(solved)


def test_day_is_the_members_local_day() -> None:
    late_evening_ny = datetime(2026, 1, 6, 4, 30, tzinfo=UTC)  # 23:30 on the 5th in New York
    assert local_day(late_evening_ny, "America/New_York") == date(2026, 1, 5)
    assert local_day(late_evening_ny, "Europe/London") == date(2026, 1, 6)
    assert zone_for(None, "Europe/London") == "Europe/London"
    assert zone_for("Asia/Tokyo", "Europe/London") == "Asia/Tokyo"
    with pytest.raises(ValueError):
        local_day(datetime(2026, 1, 1), "UTC")


@pytest.mark.parametrize(
    ("zone", "before", "after", "day"),
    [
        # New York springs forward at 02:00 on 8 March 2026: the day has 23 hours.
        ("America/New_York", "2026-03-08T05:00", "2026-03-09T03:59", date(2026, 3, 8)),
        # New York falls back at 02:00 on 1 November 2026: the day has 25 hours.
        ("America/New_York", "2026-11-01T04:00", "2026-11-02T04:59", date(2026, 11, 1)),
        # London springs forward at 01:00 on 29 March 2026.
        ("Europe/London", "2026-03-29T00:00", "2026-03-29T22:59", date(2026, 3, 29)),
        # London falls back at 02:00 on 25 October 2026.
        ("Europe/London", "2026-10-24T23:00", "2026-10-25T23:59", date(2026, 10, 25)),
    ],
)
def test_dst_days_start_and_end_at_local_midnight(
    zone: str, before: str, after: str, day: date
) -> None:
    first = datetime.fromisoformat(before).replace(tzinfo=UTC)
    last = datetime.fromisoformat(after).replace(tzinfo=UTC)
    assert local_day(first, zone) == day
    assert local_day(last, zone) == day
    assert local_day(first - timedelta(minutes=1), zone) == day - timedelta(days=1)
    assert local_day(last + timedelta(minutes=1), zone) == day + timedelta(days=1)
    # A streak through the short or long day stays unbroken.
    solved = [day - timedelta(days=1), local_day(last, zone), day + timedelta(days=1)]
    assert compute(solved, day + timedelta(days=1)).current == 3


def test_best_run_ending_in_a_period() -> None:
    solved = days(date(2026, 1, 1), 5) + days(date(2026, 1, 10), 2)
    assert best_run_ending_between(solved, date(2026, 1, 5), date(2026, 1, 11)) == 5
    assert best_run_ending_between(solved, date(2026, 1, 6), date(2026, 1, 11)) == 2
    assert best_run_ending_between(solved, date(2026, 1, 1), date(2026, 1, 3)) == 3
    assert best_run_ending_between(solved, date(2026, 1, 6), date(2026, 1, 9)) == 0
