"""What runs after downtime (`plan_due`): properties over rules, zones, outages and grace."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.scheduling.scheduler import LATE_AFTER, plan_due
from bot.timing.cron import parse_cron
from bot.timing.recurrence import CronRule, Rule, WeeklyAt, fires_between, next_fire

ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
rules = st.one_of(
    st.builds(
        WeeklyAt,
        st.frozensets(st.integers(0, 6), min_size=1),
        st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
    ),
    st.sampled_from(
        [CronRule(parse_cron(e)) for e in ("0 */6 * * *", "30 1 * * sun", "0 9 1 * *", "@daily")]
    ),
)
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
outages = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))
graces = st.sampled_from([timedelta(0), timedelta(minutes=30), timedelta(hours=6)])


@settings(max_examples=150, deadline=None)
@given(
    rule=rules,
    zone=st.sampled_from(ZONES),
    baseline=instants,
    outage=outages,
    grace=graces,
    max_missed=st.integers(0, 60),
)
def test_plan_runs_at_most_the_latest_slot_and_accounts_for_the_rest(
    rule: Rule,
    zone: str,
    baseline: datetime,
    outage: timedelta,
    grace: timedelta,
    max_missed: int,
) -> None:
    now = baseline + outage
    plan = plan_due(rule, zone, baseline, now, grace, max_missed=max_missed)
    slots = list(fires_between(rule, zone, baseline, now))  # every slot in (baseline, now]
    chosen = plan.missed + ([plan.run] if plan.run else [])
    # Only real slots, each once, in order, and never more than asked for.
    assert chosen == sorted(set(chosen))
    assert set(chosen) <= set(slots)
    assert len(plan.missed) <= max_missed
    if not slots:
        assert plan.run is None and plan.missed == []
        return
    latest = slots[-1]
    # The latest slot runs exactly when it is inside the grace window; nothing newer is left.
    if now - latest <= grace:
        assert plan.run == latest
        assert plan.late == (now - latest > LATE_AFTER)
    else:
        assert plan.run is None
    # The recorded slots are the most recent ones, without gaps.
    assert chosen == slots[-len(chosen) :] if chosen else max_missed == 0
    if plan.run is None:
        assert len(plan.missed) == min(len(slots), max_missed)
    else:
        assert len(plan.missed) == min(len(slots) - 1, max_missed)


@settings(max_examples=80, deadline=None)
@given(rule=rules, zone=st.sampled_from(ZONES), start=instants, steps=st.lists(outages, max_size=6))
def test_planning_again_from_the_last_recorded_slot_never_repeats_one(
    rule: Rule, zone: str, start: datetime, steps: list[timedelta]
) -> None:
    """What the service does across restarts: baseline = the last recorded slot."""
    baseline, now = start, start
    seen: set[datetime] = set()
    for step in steps:
        now += step
        plan = plan_due(rule, zone, baseline, now, timedelta(hours=6))
        chosen = plan.missed + ([plan.run] if plan.run else [])
        assert not seen & set(chosen)
        seen.update(chosen)
        if chosen:
            baseline = chosen[-1]
            nxt = next_fire(rule, zone, baseline)
            assert nxt is None or nxt > now  # nothing due is left behind
