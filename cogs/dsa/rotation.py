"""Which problems a community gets each day, and which one a member is offered: pure functions.

**Community rotation.** A day's post holds, for each difficulty, the number of problems the
community's mix asks for (`/dsa settings mix:`, default one easy and one medium). Each
difficulty rotates on its own, in *cycles*: the problems of that difficulty passing the
community's filter (patterns, premium) are shuffled with an RNG seeded by the community, the
difficulty and the cycle number; the next problem is the first of that order not yet used in
the current cycle, so nothing repeats until every eligible problem of the difficulty was
posted, and then a new cycle starts with a fresh order. Changing the filter mid-cycle keeps
what was used: the new order simply skips it.

`cycle_order` can also interleave several difficulties by smooth weighted round-robin (weights
`easy:1,medium:2,hard:1` give two medium, one easy and one hard problem in every four).

**Member picks.** A member is offered a problem they have not solved (and, while others remain,
not skipped), from the pattern they have practised least, chosen by a seed (member and day) so
the same day gives the same answer.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from content.problems import DIFFICULTIES, PATTERNS, TAGS, Problem

#: Problems per post by difficulty when nothing else is set (as `/schedule dsa` defaults).
DEFAULT_MIX: Mapping[str, int] = {"easy": 1, "medium": 1, "hard": 0}
MAX_WEIGHT = 5
MIX_FORMS = (
    "difficulty:count items such as `easy:2,medium:1` (0-5 each), a list such as "
    "`easy,medium` (one each), or `default` (one easy and one medium)"
)


@dataclass(frozen=True, slots=True)
class RotationConfig:
    """What a community's problems of the day draw from: `mix` is problems per post (or, for
    `cycle_order`, interleaving weights) by difficulty; patterns and premium filter."""

    mix: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_MIX))
    patterns: frozenset[str] = frozenset()  # empty: every pattern
    include_premium: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.mix) - set(DIFFICULTIES)
        if unknown:
            raise ValueError(f"unknown difficulty {sorted(unknown)[0]!r}")
        if any(not 0 <= w <= MAX_WEIGHT for w in self.mix.values()):
            raise ValueError(f"difficulty weights must be 0-{MAX_WEIGHT}")
        if not any(self.mix.values()):
            raise ValueError("at least one difficulty needs a weight above 0")
        bad = self.patterns - set(PATTERNS) - set(TAGS)
        if bad:
            raise ValueError(f"unknown pattern {sorted(bad)[0]!r}")

    @property
    def difficulties(self) -> frozenset[str]:
        return frozenset(d for d, w in self.mix.items() if w > 0)

    def eligible(self, problems: Sequence[Problem]) -> list[Problem]:
        return [
            p
            for p in problems
            if self.mix.get(p.difficulty, 0) > 0
            and (not self.patterns or p.in_any(self.patterns))
            and (self.include_premium or not p.premium)
        ]


@dataclass(frozen=True, slots=True)
class Pick:
    problem: Problem
    cycle: int


class NothingToPick(ValueError):
    """The filter leaves no problem at all."""


def describe_mix(mix: Mapping[str, int]) -> str:
    """A mix as people read it, easiest first: `1 easy, 2 medium` (`none` when empty)."""
    return ", ".join(f"{mix[d]} {d}" for d in DIFFICULTIES if mix.get(d, 0) > 0) or "none"


def parse_mix(raw: str) -> dict[str, int]:
    """The one difficulty-mix grammar (`/dsa settings mix:`, `/schedule dsa mix:`):
    `easy:2,medium:1` (0-5 each), `easy,medium` or `easy+medium` (one each), or `default` /
    `mixed`. Every difficulty is in the result (0 when not named). Raises ValueError saying what
    was wrong and the accepted forms."""
    value = raw.strip().lower()
    if value in {"mixed", "default"}:
        return {d: DEFAULT_MIX.get(d, 0) for d in DIFFICULTIES}
    items = [p for p in re.split(r"[,+\s]+", value) if p]
    if not items:
        raise ValueError(f"the mix is empty; use {MIX_FORMS}")
    mix = dict.fromkeys(DIFFICULTIES, 0)
    named: set[str] = set()
    for item in items:
        name, sep, weight_text = item.partition(":")
        if name not in mix:
            raise ValueError(f"{name!r} is not a difficulty; use {MIX_FORMS}")
        if name in named:
            raise ValueError(f"{name} is given twice; use {MIX_FORMS}")
        named.add(name)
        if sep and not weight_text.isdigit():
            raise ValueError(f"{weight_text!r} is not a count; use {MIX_FORMS}")
        weight = int(weight_text) if sep else 1
        if weight > MAX_WEIGHT:
            raise ValueError(f"at most {MAX_WEIGHT} {name} problems per post; use {MIX_FORMS}")
        mix[name] = weight
    if not any(mix.values()):
        raise ValueError(f"the mix asks for no problems at all; use {MIX_FORMS}")
    return mix


def parse_patterns(raw: str) -> frozenset[str]:
    """Parse a comma-separated list of pattern or tag ids (`all` means every pattern: empty set)."""
    value = raw.strip().lower().replace(" ", "")
    if value in {"", "all", "any"}:
        return frozenset()
    found = set()
    for part in filter(None, value.split(",")):
        if part not in PATTERNS and part not in TAGS:
            raise ValueError(
                f"{part!r} is not a pattern; use `all` or a comma-separated list of: "
                + ", ".join((*PATTERNS, *TAGS))
            )
        found.add(part)
    return frozenset(found)


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def cycle_order(
    problems: Sequence[Problem], config: RotationConfig, seed: str, cycle: int
) -> list[Problem]:
    """Every eligible problem once, in the order cycle `cycle` of community `seed` posts them."""
    eligible = config.eligible(problems)
    buckets: dict[str, list[Problem]] = {}
    for difficulty in DIFFICULTIES:
        bucket = sorted((p for p in eligible if p.difficulty == difficulty), key=lambda p: p.id)
        _rng(seed, cycle, difficulty).shuffle(bucket)
        if bucket:
            buckets[difficulty] = bucket
    credit = dict.fromkeys(buckets, 0)
    order: list[Problem] = []
    while buckets:
        total = sum(config.mix[d] for d in buckets)
        for d in buckets:
            credit[d] += config.mix[d]
        # Highest credit wins; ties go to the easier difficulty (DIFFICULTIES order).
        chosen = max(buckets, key=lambda d: (credit[d], -DIFFICULTIES.index(d)))
        credit[chosen] -= total
        order.append(buckets[chosen].pop(0))
        if not buckets[chosen]:
            del buckets[chosen]
            del credit[chosen]
    return order


def next_pick(
    problems: Sequence[Problem],
    config: RotationConfig,
    *,
    seed: str,
    cycle: int,
    used: Collection[str],
    previous: str | None = None,
) -> Pick:
    """The community's next problem given the current cycle and the ids it already used."""
    for problem in cycle_order(problems, config, seed, cycle):
        if problem.id not in used:
            return Pick(problem, cycle)
    fresh = cycle_order(problems, config, seed, cycle + 1)
    if not fresh:
        raise NothingToPick("no problem matches the community's DSA settings")
    # Never the same problem two days running across a cycle boundary.
    first = next((p for p in fresh if p.id != previous), fresh[0])
    return Pick(first, cycle + 1)


@dataclass(frozen=True, slots=True)
class DayPick:
    problem: Problem
    cycle: int


def day_picks(
    problems: Sequence[Problem],
    config: RotationConfig,
    *,
    seed: str,
    states: Mapping[str, tuple[int, Collection[str], str | None]],
) -> list[DayPick]:
    """A day's problems: per difficulty (easy first), `config.mix[d]` problems from that
    difficulty's rotation. `states[d]` is (cycle, ids used in it, previous id).

    A difficulty the filter leaves empty is left out; asking for more problems than a difficulty
    has gives each once. Raises `NothingToPick` when the post would be empty.
    """
    out: list[DayPick] = []
    for difficulty in DIFFICULTIES:
        wanted = config.mix.get(difficulty, 0)
        if not wanted:
            continue
        single = RotationConfig(
            mix={difficulty: 1}, patterns=config.patterns, include_premium=config.include_premium
        )
        available = len(single.eligible(problems))
        cycle, used_ids, previous = states.get(difficulty, (0, (), None))
        used = set(used_ids)
        for _ in range(min(wanted, available)):
            pick = next_pick(problems, single, seed=seed, cycle=cycle, used=used, previous=previous)
            if pick.cycle != cycle:
                cycle, used = pick.cycle, set()
            used.add(pick.problem.id)
            previous = pick.problem.id
            out.append(DayPick(pick.problem, pick.cycle))
    if not out:
        raise NothingToPick("no problem matches the community's DSA settings")
    return out


def pick_for_member(
    problems: Sequence[Problem],
    *,
    solved: Collection[str],
    skipped: Collection[str] = (),
    difficulties: Collection[str] = (),
    patterns: Collection[str] = (),
    include_premium: bool = True,
    seed: str,
) -> Problem | None:
    """A problem for one member: unsolved, not skipped while others remain, least-practised
    pattern first. None when they solved everything their filter allows."""
    pool = [
        p
        for p in problems
        if p.id not in solved
        and (not difficulties or p.difficulty in difficulties)
        and (not patterns or p.in_any(patterns))
        and (include_premium or not p.premium)
    ]
    if not pool:
        return None
    fresh = ([p for p in pool if p.id not in skipped] or pool) if skipped else pool
    # (Called once per due reminder: a popular minute has thousands, so no per-call index.)
    practised = Counter(p.pattern for p in problems if p.id in solved) if solved else Counter()
    least = min(practised[p.pattern] for p in fresh) if practised else 0
    candidates = sorted(
        (p for p in fresh if practised[p.pattern] == least) if practised else fresh,
        key=_by_id,
    )
    return candidates[_rng(seed).randrange(len(candidates))]


def _by_id(problem: Problem) -> str:
    return problem.id
