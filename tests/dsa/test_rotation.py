"""The community rotation and member picks: determinism, no repeats, the difficulty mix."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cogs.dsa.rotation import (
    DEFAULT_MIX,
    NothingToPick,
    RotationConfig,
    cycle_order,
    day_picks,
    next_pick,
    parse_mix,
    parse_patterns,
    pick_for_member,
)
from content.problems import DIFFICULTIES, PATTERNS, Problem, problem_set

PROBLEMS = problem_set().problems


def run_rotation(config: RotationConfig, seed: str, days: int) -> list[tuple[str, int]]:
    """Simulate `days` daily picks the way the repository stores them."""
    history: list[tuple[str, int]] = []
    for _ in range(days):
        cycle = history[-1][1] if history else 0
        used = {pid for pid, c in history if c == cycle}
        previous = history[-1][0] if history else None
        pick = next_pick(PROBLEMS, config, seed=seed, cycle=cycle, used=used, previous=previous)
        history.append((pick.problem.id, pick.cycle))
    return history


def test_no_repeat_until_the_set_is_exhausted_then_a_new_order() -> None:
    config = RotationConfig()
    eligible = {p.id for p in config.eligible(PROBLEMS)}
    n = len(eligible)
    history = run_rotation(config, "console:console", 2 * n + 5)
    first, second = history[:n], history[n : 2 * n]
    assert {pid for pid, _ in first} == eligible and {c for _, c in first} == {0}
    assert {pid for pid, _ in second} == eligible and {c for _, c in second} == {1}
    assert [pid for pid, _ in first] != [pid for pid, _ in second]
    assert all(a[0] != b[0] for a, b in itertools.pairwise(history))


def test_deterministic_per_community_and_different_between_communities() -> None:
    config = RotationConfig()
    assert run_rotation(config, "discord:1", 20) == run_rotation(config, "discord:1", 20)
    assert run_rotation(config, "discord:1", 20) != run_rotation(config, "discord:2", 20)


def test_default_mix_gives_two_medium_one_easy_one_hard_in_every_four() -> None:
    order = cycle_order(PROBLEMS, RotationConfig(mix={"easy": 1, "medium": 2, "hard": 1}), "x", 0)
    for start in range(0, 40, 4):
        window = Counter(p.difficulty for p in order[start : start + 4])
        assert window == {"medium": 2, "easy": 1, "hard": 1}
    assert all(not p.premium for p in order)


def test_filters_patterns_premium_and_single_difficulty() -> None:
    config = RotationConfig(mix={"hard": 1}, patterns=frozenset({"graphs", "advanced-graphs"}))
    order = cycle_order(PROBLEMS, config, "x", 0)
    assert order and all(p.difficulty == "hard" for p in order)
    assert all(p.pattern in {"graphs", "advanced-graphs"} for p in order)
    assert "alien-dictionary" not in {p.id for p in order}  # premium excluded by default
    with_premium = RotationConfig(mix={"hard": 1}, patterns=config.patterns, include_premium=True)
    assert "alien-dictionary" in {p.id for p in cycle_order(PROBLEMS, with_premium, "x", 0)}


def test_changing_the_filter_mid_cycle_keeps_what_was_used() -> None:
    history = run_rotation(RotationConfig(), "c", 10)
    used = {pid for pid, _ in history}
    narrower = RotationConfig(mix={"easy": 1})
    pick = next_pick(PROBLEMS, narrower, seed="c", cycle=0, used=used)
    assert pick.problem.difficulty == "easy" and pick.problem.id not in used


def test_nothing_to_pick() -> None:
    config = RotationConfig(mix={"easy": 1}, patterns=frozenset({"tries"}))
    with pytest.raises(NothingToPick):
        next_pick(PROBLEMS, config, seed="c", cycle=0, used=())


@settings(max_examples=40, deadline=None)
@given(
    mix=st.dictionaries(st.sampled_from(DIFFICULTIES), st.integers(0, 4), min_size=1).filter(
        lambda m: any(m.values())
    ),
    patterns=st.frozensets(st.sampled_from(sorted(PATTERNS)), max_size=4),
    seed=st.text(min_size=1, max_size=8),
    cycle=st.integers(0, 50),
)
def test_every_cycle_is_a_permutation_following_the_mix(
    mix: dict[str, int], patterns: frozenset[str], seed: str, cycle: int
) -> None:
    config = RotationConfig(mix=mix, patterns=patterns, include_premium=True)
    eligible = config.eligible(PROBLEMS)
    order = cycle_order(PROBLEMS, config, seed, cycle)
    assert sorted(p.id for p in order) == sorted(p.id for p in eligible)
    # While every weighted difficulty still has problems left, each prefix follows the mix
    # within one problem.
    available = Counter(p.difficulty for p in eligible)
    weights = {d: w for d, w in mix.items() if w > 0 and available[d]}
    total = sum(weights.values())
    seen: Counter[str] = Counter()
    for length, problem in enumerate(order, start=1):
        seen[problem.difficulty] += 1
        if any(seen[d] >= available[d] for d in weights):
            break
        for d, w in weights.items():
            assert abs(seen[d] - length * w / total) <= 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("default", dict(DEFAULT_MIX)),
        ("mixed", dict(DEFAULT_MIX)),
        ("medium", {"easy": 0, "medium": 1, "hard": 0}),
        ("Easy, Medium", {"easy": 1, "medium": 1, "hard": 0}),
        ("easy+hard", {"easy": 1, "medium": 0, "hard": 1}),
        ("easy medium:2", {"easy": 1, "medium": 2, "hard": 0}),
        ("easy:1,medium:3,hard:0", {"easy": 1, "medium": 3, "hard": 0}),
    ],
)
def test_parse_mix(raw: str, expected: dict[str, int]) -> None:
    assert parse_mix(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", " , ", "hard:0", "extreme", "easy:6", "easy:x", "easy:", "easy,easy", "easy:-1"]
)
def test_parse_mix_errors_say_the_accepted_forms(raw: str) -> None:
    with pytest.raises(ValueError, match="difficulty:count items"):
        parse_mix(raw)


def test_parse_patterns() -> None:
    assert parse_patterns("all") == frozenset()
    assert parse_patterns("trees, graphs") == {"trees", "graphs"}
    with pytest.raises(ValueError, match=r"'magic' is not a pattern.*arrays-hashing.*union-find"):
        parse_patterns("trees,magic")


def test_finer_tags_filter_like_patterns() -> None:
    tags = parse_patterns("union-find,monotonic-stack")
    assert tags == {"union-find", "monotonic-stack"}
    eligible = RotationConfig(patterns=tags).eligible(PROBLEMS)
    assert eligible and all({"union-find", "monotonic-stack"} & set(p.tags) for p in eligible)
    # graphs problems without the tag are left out; a tagged one comes in whatever its pattern
    assert "number-of-islands" not in {p.id for p in eligible}
    assert "daily-temperatures" in {p.id for p in eligible}
    pick = pick_for_member(PROBLEMS, solved=set(), patterns=tags, seed="ana:2026-01-05")
    assert pick is not None and set(pick.tags) & tags


def test_member_pick_avoids_solved_and_skipped_and_spreads_patterns() -> None:
    solved = {p.id for p in PROBLEMS if p.pattern == "arrays-hashing"}
    pick = pick_for_member(PROBLEMS, solved=solved, seed="ana:2026-01-05")
    assert pick is not None and pick.id not in solved
    assert pick.pattern != "arrays-hashing"  # the least practised patterns come first
    assert pick == pick_for_member(PROBLEMS, solved=solved, seed="ana:2026-01-05")
    only = [p for p in PROBLEMS if p.pattern == "tries"]
    skipped = {only[0].id}
    picks = {pick_for_member(only, solved=(), skipped=skipped, seed=str(i)) for i in range(20)}
    assert only[0] not in picks
    # When everything left was skipped, a skipped one comes back rather than nothing.
    last = pick_for_member(only, solved={only[1].id, only[2].id}, skipped=skipped, seed="s")
    assert last == only[0]
    assert pick_for_member(only, solved={p.id for p in only}, seed="s") is None


@settings(max_examples=50, deadline=None)
@given(
    solved=st.frozensets(st.sampled_from([p.id for p in PROBLEMS]), max_size=60),
    difficulty=st.sampled_from(DIFFICULTIES),
    seed=st.text(max_size=10),
)
def test_member_pick_is_never_solved_and_matches_the_filter(
    solved: frozenset[str], difficulty: str, seed: str
) -> None:
    pick: Problem | None = pick_for_member(
        PROBLEMS, solved=solved, difficulties={difficulty}, seed=seed
    )
    assert pick is not None
    assert pick.id not in solved and pick.difficulty == difficulty


def simulate_days(config: RotationConfig, seed: str, days: int) -> list[list[tuple[str, str, int]]]:
    """Daily posts the way the repository stores them: (id, difficulty, cycle) per problem."""
    posts: list[list[tuple[str, str, int]]] = []
    for _ in range(days):
        flat = [row for post in posts for row in post]
        states = {}
        for d in DIFFICULTIES:
            rows = [r for r in flat if r[1] == d]
            if rows:
                cycle = max(r[2] for r in rows)
                states[d] = (cycle, {r[0] for r in rows if r[2] == cycle}, rows[-1][0])
        picks = day_picks(PROBLEMS, config, seed=seed, states=states)
        posts.append([(p.problem.id, p.problem.difficulty, p.cycle) for p in picks])
    return posts


def test_day_posts_follow_the_counts_and_each_difficulty_rotates_on_its_own() -> None:
    config = RotationConfig(mix={"easy": 2, "medium": 1, "hard": 0})
    easy = [p.id for p in config.eligible(PROBLEMS) if p.difficulty == "easy"]
    days = len(easy)  # two easy a day: the easy set is used up halfway through
    posts = simulate_days(config, "c", days)
    assert all([r[1] for r in post] == ["easy", "easy", "medium"] for post in posts)
    easy_rows = [r for post in posts for r in post if r[1] == "easy"]
    first_cycle = [r[0] for r in easy_rows if r[2] == 0]
    assert sorted(first_cycle) == sorted(easy)  # every easy problem once before any repeat
    assert {r[2] for r in easy_rows} == {0, 1}
    medium_ids = [r[0] for post in posts for r in post if r[1] == "medium"]
    assert len(set(medium_ids)) == len(medium_ids)  # mediums have not run out: no repeat
    assert simulate_days(config, "c", 5) == posts[:5]  # deterministic


def test_day_picks_skip_empty_difficulties_and_cap_counts() -> None:
    config = RotationConfig(mix={"easy": 1, "hard": 5}, patterns=frozenset({"tries"}))
    picks = day_picks(PROBLEMS, config, seed="c", states={})
    assert [p.problem.id for p in picks] == ["word-search-ii"]  # no easy tries; one hard
    with pytest.raises(NothingToPick):
        easy_tries = RotationConfig(mix={"easy": 1}, patterns=config.patterns)
        day_picks(PROBLEMS, easy_tries, seed="c", states={})
