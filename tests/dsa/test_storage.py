"""The DSA repository, leaderboard ranking and the weekly figures the digest shows."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cogs.dsa.progress import Period, member_streak, period_days, rank, weekly_figures
from cogs.dsa.rotation import RotationConfig, day_picks
from content.problems import problem_set
from storage import migrations
from storage.communities import CommunityRepository
from storage.database import Database
from storage.dsa import DsaRepository, MemberCount, RotationState

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'dsa.db'}")
    await migrations.upgrade(database)
    yield database
    await database.close()


async def community_id(db: Database) -> int:
    repo = CommunityRepository(db)
    community = await repo.ensure("console", "c1", "test", default_timezone="UTC", now=NOW)
    for name in ("ana", "bob", "cy"):
        await repo.touch_member(community.id, name, name.title(), now=NOW)
    return community.id


async def test_day_problems_are_stored_once_per_day_and_follow_each_rotation(
    db: Database,
) -> None:
    cid = await community_id(db)
    repo = DsaRepository(db)
    problems = problem_set().problems
    config = RotationConfig(mix={"easy": 1, "hard": 1})
    seen: list[dict[str, RotationState]] = []

    def choose(states: dict[str, RotationState]) -> list[tuple[str, str, int]]:
        seen.append(states)
        plain = {d: (s.cycle, s.used, s.previous) for d, s in states.items()}
        picks = day_picks(problems, config, seed="c1", states=plain)
        return [(p.problem.id, p.problem.difficulty, p.cycle) for p in picks]

    day = date(2026, 1, 5)
    first = await repo.ensure_day(cid, day, choose, now=NOW)
    assert await repo.ensure_day(cid, day, choose, now=NOW) == first and len(seen) == 1
    assert seen[0] == {}
    assert [p.difficulty for p in first] == ["easy", "hard"]
    hard = [p for p in config.eligible(problems) if p.difficulty == "hard"]
    for i in range(1, len(hard) + 1):
        await repo.ensure_day(cid, day + timedelta(days=i), choose, now=NOW)
    rows = await repo.recent_days(cid, limit=len(hard) + 1)
    assert rows[0].day == day + timedelta(days=len(hard)) and len(rows) == 2 * (len(hard) + 1)
    hard_rows = [r for r in rows if r.difficulty == "hard"]
    assert len({r.problem_id for r in hard_rows if r.cycle == 0}) == len(hard)
    states = await repo.rotation_states(cid)
    assert states["hard"].cycle == 1 and len(states["hard"].used) == 1
    assert states["easy"].cycle == 0 and len(states["easy"].used) == len(hard) + 1
    assert states["hard"].previous == rows[1].problem_id  # newest day: easy at 0, hard at 1
    assert await repo.day_problems(cid, day) == first
    assert await repo.day_problems(cid, date(2025, 1, 1)) == []


async def test_settings_round_trip(db: Database) -> None:
    cid = await community_id(db)
    repo = DsaRepository(db)
    assert await repo.settings(cid) is None
    await repo.save_settings(
        cid, mix={"hard": 2}, patterns={"trees"}, include_premium=True, by="ana", now=NOW
    )
    await repo.save_settings(
        cid, mix={"easy": 1}, patterns=(), include_premium=False, by="bob", now=NOW
    )
    stored = await repo.settings(cid)
    assert stored is not None
    assert (stored.mix, stored.patterns, stored.include_premium) == ({"easy": 1}, (), False)
    assert stored.updated_by == "bob"


async def test_solving_twice_counts_once_and_skips_and_picks(db: Database) -> None:
    cid = await community_id(db)
    repo = DsaRepository(db)
    day = date(2026, 1, 5)
    assert await repo.add_solve(cid, "ana", "two-sum", local_day=day, timezone="UTC", now=NOW)
    assert not await repo.add_solve(
        cid, "ana", "two-sum", local_day=day + timedelta(days=1), timezone="UTC", now=NOW
    )
    assert await repo.solved_ids(cid, "ana") == {"two-sum"}
    assert [s.local_day for s in await repo.solves(cid, "ana")] == [day]
    assert await repo.add_skip(cid, "ana", "3sum", local_day=day, now=NOW)
    assert not await repo.add_skip(cid, "ana", "3sum", local_day=day, now=NOW)
    assert await repo.skipped_ids(cid, "ana") == {"3sum"}
    assert [s.problem_id for s in await repo.skips(cid, "ana")] == ["3sum"]
    assert await repo.pick(cid, "ana", day) is None
    await repo.set_pick(cid, "ana", day, "valid-anagram", now=NOW)
    await repo.set_pick(cid, "ana", day, "group-anagrams", now=NOW)
    assert await repo.pick(cid, "ana", day) == "group-anagrams"
    assert await repo.forget_member(cid, "ana") == 3
    assert await repo.solved_ids(cid, "ana") == set()


async def test_member_streak_uses_the_given_zone(db: Database) -> None:
    cid = await community_id(db)
    repo = DsaRepository(db)
    for i, pid in enumerate(["two-sum", "3sum", "valid-anagram"]):
        day = date(2025, 12, 30) + timedelta(days=i)  # 30, 31 December, 1 January
        await repo.add_solve(cid, "ana", pid, local_day=day, timezone="UTC", now=NOW)
    at = datetime(2026, 1, 2, 3, 0, tzinfo=UTC)  # 2 Jan in UTC, still 1 Jan in New York
    assert (await member_streak(repo, cid, "ana", "America/New_York", at)).current == 3
    assert (await member_streak(repo, cid, "ana", "UTC", at)).current == 3  # today open
    later = at + timedelta(days=1)
    assert (await member_streak(repo, cid, "ana", "UTC", later)).current == 0


def count(user: str, solves: int, minute: int) -> MemberCount:
    return MemberCount(user, user.title(), solves, NOW + timedelta(minutes=minute))


def test_rank_shares_places_on_ties_and_lists_who_got_there_first() -> None:
    ranked = rank([count("cy", 2, 5), count("ana", 3, 9), count("bob", 2, 1), count("dee", 1, 0)])
    assert [(r.rank, r.user_id, r.solves) for r in ranked] == [
        (1, "ana", 3),
        (2, "bob", 2),
        (2, "cy", 2),
        (4, "dee", 1),
    ]
    same_time = rank([count("zed", 2, 1), count("amy", 2, 1)])
    assert [r.user_id for r in same_time] == ["amy", "zed"]
    assert rank([]) == []


def test_period_days() -> None:
    today = date(2026, 1, 7)  # a Wednesday
    assert period_days(Period.WEEK, today) == (date(2026, 1, 5), today)
    assert period_days(Period.MONTH, today) == (date(2026, 1, 1), today)
    assert period_days(Period.ALL, today) == (None, today)


async def test_counts_by_period_and_weekly_figures(db: Database) -> None:
    cid = await community_id(db)
    repo = DsaRepository(db)

    async def solve(user: str, pid: str, at: datetime) -> None:
        await repo.add_solve(cid, user, pid, local_day=at.date(), timezone="UTC", now=at)

    last_week = NOW - timedelta(days=3)
    await solve("ana", "two-sum", last_week)
    for i in range(3):  # Monday to Wednesday
        await solve("ana", ["3sum", "valid-anagram", "group-anagrams"][i], NOW + timedelta(days=i))
    await solve("bob", "two-sum", NOW + timedelta(days=1))
    await solve("bob", "3sum", NOW + timedelta(days=2))
    counts = {c.user_id: c.solves for c in await repo.counts(cid, since_day=NOW.date())}
    assert counts == {"ana": 3, "bob": 2}
    everything = {c.user_id: (c.display_name, c.solves) for c in await repo.counts(cid)}
    assert everything == {"ana": ("Ana", 4), "bob": ("Bob", 2)}

    figures = await weekly_figures(
        db, cid, "UTC", start=NOW - timedelta(hours=8), end=NOW + timedelta(days=7)
    )
    assert (figures.solves, figures.solvers, figures.problems) == (5, 2, 4)
    # Ana's run is Monday-Wednesday (Sunday's solve was in the previous week's run), lapsed
    # by the week's end; Bob's is Tuesday-Wednesday.
    assert [(e.display_name, e.streak, e.current) for e in figures.top_streaks] == [
        ("Ana", 3, 0),
        ("Bob", 2, 0),
    ]
    midweek = await weekly_figures(db, cid, "UTC", start=NOW, end=NOW + timedelta(days=3))
    assert [(e.user_id, e.streak, e.current) for e in midweek.top_streaks] == [
        ("ana", 3, 3),
        ("bob", 2, 2),
    ]
    # The following week nobody reached a streak.
    later = await weekly_figures(
        db, cid, "UTC", start=NOW + timedelta(days=7), end=NOW + timedelta(days=14)
    )
    assert later.solves == 0 and later.top_streaks == ()


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 3), st.sampled_from(["ana", "Bob", "cy"])),
        max_size=12,
    )
)
def test_rank_properties(rows: list[tuple[int, int, str]]) -> None:
    counts = [
        MemberCount(f"u{i}", name, solves, NOW + timedelta(minutes=minute))
        for i, (solves, minute, name) in enumerate(rows)
    ]
    ranked = rank(counts)
    assert sorted(r.user_id for r in ranked) == sorted(c.user_id for c in counts)
    for r in ranked:
        # A place is one more than the number of members with strictly more solves.
        assert r.rank == 1 + sum(c.solves > r.solves for c in counts)
    assert [r.solves for r in ranked] == sorted((r.solves for r in ranked), reverse=True)
    by_id = {c.user_id: c for c in counts}
    for a, b in itertools.pairwise(ranked):
        if a.solves == b.solves:  # ties: whoever got there first is listed first
            assert by_id[a.user_id].last_solved_at <= by_id[b.user_id].last_solved_at
