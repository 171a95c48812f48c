"""Parsing times, zones and weekday sets."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.timing.timeparse import (
    format_days,
    parse_days,
    parse_time,
    parse_timezone,
    parse_weekday,
    suggest_zones,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("09:00", time(9)),
        ("9:05", time(9, 5)),
        ("18.30", time(18, 30)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("6:30 pm", time(18, 30)),
        ("23:59", time(23, 59)),
    ],
)
def test_times(raw: str, expected: time) -> None:
    assert parse_time(raw) == expected


@pytest.mark.parametrize("raw", ["25:00", "24:00", "9:60", "13pm", "noonish", "", "0am"])
def test_bad_times_say_the_accepted_forms(raw: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_time(raw)


@given(st.integers(0, 23), st.integers(0, 59))
def test_every_clock_time_round_trips(hour: int, minute: int) -> None:
    assert parse_time(f"{hour:02d}:{minute:02d}") == time(hour, minute)


def test_zones() -> None:
    assert parse_timezone("europe/london") == "Europe/London"
    assert parse_timezone("utc") == "UTC"
    with pytest.raises(ValueError, match="Did you mean Europe/London"):
        parse_timezone("Europe/Londn")
    assert "Europe/Paris" in suggest_zones("paris")
    with pytest.raises(ValueError, match="Area/City"):
        parse_timezone("!!!")


def test_days() -> None:
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("daily") == frozenset(range(7))
    assert parse_days("mon,wed,fri") == frozenset({0, 2, 4})
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    assert parse_weekday("Thursday") == 3
    with pytest.raises(ValueError, match="mon-fri"):
        parse_days("mon,blursday")
    with pytest.raises(ValueError, match="not a weekday"):
        parse_weekday("funday")


@given(st.frozensets(st.integers(0, 6), min_size=1))
def test_day_sets_round_trip_through_their_format(days: frozenset[int]) -> None:
    assert parse_days(format_days(days)) == days
