"""Tip rotation: no repeats until the library is exhausted, deterministic per community."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cogs.digest.rotation import pick_rotating, pick_tips, rotation_queue, seeded_order
from content.tips import load_tips


def run_weeks(ids, *, seed: str, weeks: int, count: int = 4, pins=None, topic=None):
    """Simulate `weeks` issues, persisting the rotation the way the store does."""
    last_shown: dict[str, int] = {}
    issues = []
    for number in range(1, weeks + 1):
        tips = pick_tips(
            ids,
            seed=seed,
            last_shown=last_shown,
            count=count,
            pinned=(pins or {}).get(number),
            primary_topic=topic,
        )
        last_shown.update(dict.fromkeys(tips, number))
        issues.append(tips)
    return issues


def assert_no_repeat_before_exhaustion(issues, ids) -> None:
    """Between two appearances of a tip (inclusive), every tip of the library appears."""
    last_seen: dict[str, int] = {}
    for n, tips in enumerate(issues):
        assert len(set(tips)) == len(tips), f"issue {n} repeats a tip: {tips}"
        for tip in tips:
            if tip in last_seen:
                window = {t for issue in issues[last_seen[tip] : n + 1] for t in issue}
                assert window == set(ids), f"{tip} repeated in issue {n} before exhaustion"
            last_seen[tip] = n


def test_three_years_of_weeks_with_the_real_library() -> None:
    library = load_tips()
    ids = library.ids()
    issues = run_weeks(ids, seed="discord:1234", weeks=3 * 52)
    assert_no_repeat_before_exhaustion(issues, ids)
    # N tips at four per issue: the first N // 4 issues never repeat, and all show in
    # ceil(N / 4) weeks.
    first = [t for issue in issues[: len(ids) // 4] for t in issue]
    assert len(set(first)) == len(first)
    weeks = -(-len(ids) // 4)
    assert {t for issue in issues[:weeks] for t in issue} == set(ids)


def test_topic_spreading_keeps_tips_away_for_most_of_a_library() -> None:
    library = load_tips()
    ids = library.ids()

    def topic(tip_id: str) -> str:
        tip = library.get(tip_id)
        assert tip is not None
        return tip.topics[0]

    issues = run_weeks(ids, seed="discord:1234", weeks=3 * 52, topic=topic)
    last: dict[str, int] = {}
    for n, issue in enumerate(issues):
        assert len(set(issue)) == 4
        for tip in issue:
            if tip in last:
                assert n - last[tip] >= len(ids) // 4 - 2, f"{tip} came back after {n - last[tip]}"
            last[tip] = n
    spread = sum(len({topic(t) for t in issue}) for issue in issues) / len(issues)
    assert spread > 3.5  # most issues have four different primary topics


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(min_value=4, max_value=40),
    count=st.integers(min_value=1, max_value=4),
    weeks=st.integers(min_value=1, max_value=60),
    seed=st.text(min_size=1, max_size=12),
)
def test_rotation_property_for_any_library(n: int, count: int, weeks: int, seed: str) -> None:
    ids = [f"tip-{i}" for i in range(n)]
    issues = run_weeks(ids, seed=seed, weeks=weeks, count=count)
    assert all(len(issue) == count for issue in issues)
    assert_no_repeat_before_exhaustion(issues, ids)


def test_deterministic_per_community_and_history() -> None:
    ids = load_tips().ids()
    a = run_weeks(ids, seed="slack:T1", weeks=10)
    b = run_weeks(list(reversed(ids)), seed="slack:T1", weeks=10)
    c = run_weeks(ids, seed="slack:T2", weeks=10)
    assert a == b
    assert a != c


def test_a_pin_becomes_the_headline_then_goes_to_the_back() -> None:
    ids = [f"tip-{i}" for i in range(10)]
    order = seeded_order(ids, "s", "tips")
    issues = run_weeks(ids, seed="s", weeks=3, count=3, pins={2: order[-1]})
    assert issues[0] == tuple(order[:3])
    assert issues[1] == (order[-1], *order[3:5])
    assert issues[2] == tuple(order[5:8])  # the pinned tip is not shown again soon


def test_removed_tips_are_forgotten_and_new_ones_come_first() -> None:
    ids = [f"tip-{i}" for i in range(6)]
    last = {"tip-0": 1, "tip-1": 2, "gone": 3}
    queue = rotation_queue([*ids, "new"], seed="s", salt="tips", last_shown=last)
    assert queue[-2:] == ["tip-0", "tip-1"]
    assert "gone" not in queue and "new" in queue[:5]


def test_a_library_too_small_for_an_issue_is_an_error() -> None:
    with pytest.raises(ValueError, match="needs 4"):
        pick_tips(["a", "b"], seed="s", last_shown={}, count=4)


def test_pick_rotating_goes_round_without_repeats_and_prefers_linked_items() -> None:
    ids = [f"r{i}" for i in range(5)]
    history: list[str] = []
    for _ in range(15):
        history.append(pick_rotating(ids, seed="s", salt="resource", history=history))
    for start in range(0, 15, 5):
        assert sorted(history[start : start + 5]) == ids
    assert pick_rotating(ids, seed="s", salt="x", history=[], prefer=["r1"]) == "r1"
    # A preferred item featured recently gives way to the next preferred one.
    assert pick_rotating(ids, seed="s", salt="x", history=["r1"], prefer=["r1", "r3"]) == "r3"
