"""DSA practice end to end through the console adapter (in-process, ManualClock)."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import Application
from bot.messages import Message
from bot.timing.clock import ManualClock
from cogs.dsa.base import SOLVED_ACTION
from cogs.dsa.cog import DsaCog
from cogs.help import HelpCog
from cogs.schedules import SchedulesCog
from content.problems import problem_set
from tests.conftest import AppFactory
from tests.helpers import run_slots_by_hand
from tests.schedules.support import ConsoleSession, outbox_rows

COGS = [HelpCog, SchedulesCog, DsaCog]


def solve_ids(post: Message) -> list[str]:
    """The problems a post offers, from its "Mark solved" buttons (a problem with a written
    approach also has a "Show approach" button)."""
    return [b.value for b in post.buttons if b.action == SOLVED_ACTION]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def sent(app: Application) -> list[tuple[str, Message]]:
    """Everything queued in the outbox so far: (recipient key, message)."""
    out = []
    for row in await outbox_rows(app):
        body: Any = row["body"]
        out.append((row["recipient_key"], Message.from_dict(body)))
    return out


async def run_at(app: Application, clock: ManualClock, when: datetime) -> list[Message]:
    """Move the clock to `when`, run what is due, return the messages queued by that."""
    await run_slots_by_hand(app)
    before = len(await sent(app))
    clock.set(when)
    await app.schedules.run_due()
    return [m for _, m in (await sent(app))[before:]]


async def click_solved(session: ConsoleSession, message: Message) -> str:
    """Press the message's first "Mark solved" button as the session's member."""
    button = message.buttons[0]
    assert button.action == "dsa.solved"
    session.adapter.buttons[999] = button
    return await session.say(":click 999")


async def test_remind_receive_dm_at_local_time_mark_done_see_streak(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await make_app(COGS)  # Monday 5 January 2026 08:00 UTC
    ana = ConsoleSession(app, name="ana", moderator=False)
    out = await ana.say("/dsa remind set 07:30 Europe/London days:mon-fri")
    assert "Reminder set" in out and "mon-fri at 07:30 (Europe/London)" in out
    assert "Next Tue 06 Jan 07:30 (Europe/London)" in out
    out = await ana.say("/dsa remind set 07:30 Europe/London days:mon-fri difficulty:easy")
    assert "Reminder updated" in out and "Difficulty easy" in out

    assert await run_at(app, clock, utc(2026, 1, 6, 7, 29)) == []  # not yet
    [dm] = await run_at(app, clock, utc(2026, 1, 6, 7, 30))
    assert dm.title == "Your DSA problem for Tue 06 Jan 2026"
    problem_id, _, community_ref = dm.buttons[0].value.partition("@")
    assert community_ref == "1"  # DM buttons name the community they belong to
    first = problem_set().get(problem_id)
    assert first is not None and first.url in dm.plain_text()
    assert first.difficulty == "easy"
    assert "Streak: 0 days (best 0)" in (dm.footer or "")
    recipients = [key for key, _ in await sent(app)]
    assert recipients == ["console:dm:ana"]

    out = await click_solved(ana, dm)
    assert f"Marked {first.title} solved for Tue 06 Jan 2026. Streak: 1 day (best 1)" in out
    out = await click_solved(ana, dm)
    assert "already marked" in out and "it counts once" in out

    [dm2] = await run_at(app, clock, utc(2026, 1, 7, 7, 30))
    assert not dm2.buttons[0].value.startswith(first.id + "@")  # never a problem she solved
    assert "Streak: 1 day (best 1). Solve one today to keep it going." in (dm2.footer or "")
    out = await ana.say("/dsa done")  # default: the problem picked for her today
    assert "Streak: 2 days (best 2)" in out
    out = await ana.say("/dsa stats")
    assert "Current streak 2 days" in out and "Best streak 2 days" in out
    assert "Days are counted in Europe/London" in out

    out = await ana.say("/dsa remind off")
    assert "reminder is off" in out
    assert await run_at(app, clock, utc(2026, 1, 8, 7, 30)) == []
    assert "You have no DSA reminder" in await ana.say("/dsa remind status")
    assert "nothing to turn off" in await ana.say("/dsa remind off")


@pytest.mark.parametrize(
    ("zone", "before", "slot_before", "after", "slot_after"),
    [
        # New York springs forward on Sunday 8 March 2026 and falls back on 1 November.
        ("America/New_York", (2026, 3, 7), (12, 30), (2026, 3, 9), (11, 30)),
        ("America/New_York", (2026, 10, 31), (11, 30), (2026, 11, 2), (12, 30)),
        # London springs forward on 29 March 2026 and falls back on 25 October.
        ("Europe/London", (2026, 3, 28), (7, 30), (2026, 3, 30), (6, 30)),
        ("Europe/London", (2026, 10, 24), (6, 30), (2026, 10, 26), (7, 30)),
    ],
)
async def test_reminder_stays_at_local_time_across_dst(
    make_app: AppFactory,
    clock: ManualClock,
    zone: str,
    before: tuple[int, int, int],
    slot_before: tuple[int, int],
    after: tuple[int, int, int],
    slot_after: tuple[int, int],
) -> None:
    clock.set(utc(*before, 0, 0))
    app = await make_app(COGS)
    ana = ConsoleSession(app, name="ana", moderator=False)
    await ana.say(f"/dsa remind set 07:30 {zone}")
    [first] = await run_at(app, clock, utc(*before, *slot_before))
    assert first.title is not None and first.title.startswith("Your DSA problem")
    await run_at(app, clock, utc(*after, 0, 0))  # the day in between (its slot is missed)
    one_hour = timedelta(hours=1)
    wrong = utc(*after, *slot_after) + (
        one_hour if slot_after < slot_before else -one_hour
    )  # where the UTC time of before the change would fall
    if wrong < utc(*after, *slot_after):
        assert await run_at(app, clock, wrong) == []
    [dm] = await run_at(app, clock, utc(*after, *slot_after))
    assert dm.title is not None and f"{after[2]:02d}" in dm.title
    assert "comes late" not in (dm.footer or "")  # on time, not a catch-up


async def test_streak_day_is_the_members_reminder_zone(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await make_app(COGS)
    ana = ConsoleSession(app, name="ana", moderator=False)
    bob = ConsoleSession(app, name="bob", moderator=False)
    await ana.say("/dsa remind set 20:00 America/New_York")
    # 22:00 on Monday in New York is 03:00 on Tuesday in UTC (the community's zone).
    clock.set(utc(2026, 1, 6, 3, 0))
    assert "solved for Mon 05 Jan 2026" in await ana.say("/dsa done two-sum")
    assert "solved for Tue 06 Jan 2026" in await bob.say("/dsa done two-sum")
    clock.set(utc(2026, 1, 6, 15, 0))
    assert "Streak: 2 days" in await ana.say("/dsa done 3sum")
    assert "Streak: 1 day (best 1)" in await bob.say("/dsa done 3sum")
    # Bob's streak survives until the end of his Wednesday, then breaks.
    clock.set(utc(2026, 1, 7, 23, 59))
    assert "Current streak 1 day" in await bob.say("/dsa stats")
    clock.set(utc(2026, 1, 8, 0, 0))
    assert "Current streak 0 days" in await bob.say("/dsa stats")
    assert "Best streak 1 day" in await bob.say("/dsa stats")


async def test_community_problems_of_the_day_posted_at_the_schedule(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await make_app(COGS)
    mod = ConsoleSession(app, name="mia")
    ana = ConsoleSession(app, name="ana", moderator=False)
    out = await mod.say("/schedule dsa #dsa 18:00 mix:easy:1,medium:2")
    assert "Problems per post: 1 easy, 2 medium" in out
    [post] = await run_at(app, clock, utc(2026, 1, 5, 18, 0))
    assert post.title == "DSA problems of the day — Mon 05 Jan 2026"
    ids = solve_ids(post)
    problems = [problem_set().get(i) for i in ids]
    assert [p.difficulty for p in problems if p] == ["easy", "medium", "medium"]
    assert ("console:channel:dsa", post) in await sent(app)
    today = await ana.say("/dsa today")
    assert all(p is not None and p.title in today for p in problems)
    [tomorrow] = await run_at(app, clock, utc(2026, 1, 6, 18, 0))
    assert not set(ids) & set(solve_ids(tomorrow))  # no repeat
    out = await click_solved(ana, tomorrow)
    assert "Streak: 1 day" in out
    assert "✅" in await ana.say("/dsa today")


async def test_the_mix_is_the_communitys_whichever_command_sets_it(
    make_app: AppFactory, clock: ManualClock
) -> None:
    """One stored mix: /dsa settings and /schedule dsa set the same one, posts read it."""
    app = await make_app(COGS)
    mod = ConsoleSession(app, name="mia")
    await mod.say("/dsa settings mix:medium:1,hard:1")
    out = await mod.say("/schedule dsa #dsa 18:00")  # no mix: the community's
    assert "Problems per post: 1 medium, 1 hard" in out

    def difficulties(post: Message) -> list[str]:
        return [p.difficulty for i in solve_ids(post) if (p := problem_set().get(i))]

    [post] = await run_at(app, clock, utc(2026, 1, 5, 18, 0))
    assert difficulties(post) == ["medium", "hard"]
    out = await mod.say("/schedule dsa #dsa 18:00 mix:easy:2 replace:yes")
    assert "Problems per post: 2 easy" in out
    assert "Problems per day 2 easy" in await mod.say("/dsa settings")
    [post] = await run_at(app, clock, utc(2026, 1, 6, 18, 0))
    assert difficulties(post) == ["easy", "easy"]


async def test_leaderboard_orders_by_solves_and_ties_share_a_place(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await make_app(COGS)
    sessions = {n: ConsoleSession(app, name=n, moderator=False) for n in ("ana", "bob", "cy")}
    clock.set(utc(2026, 1, 5, 9, 0))
    for problem in ("two-sum", "3sum"):
        await sessions["bob"].say(f"/dsa done {problem}")
    clock.set(utc(2026, 1, 5, 10, 0))
    for problem in ("two-sum", "3sum", "valid-anagram"):
        await sessions["cy"].say(f"/dsa done {problem}")
    clock.set(utc(2026, 1, 5, 11, 0))
    for problem in ("two-sum", "3sum"):
        await sessions["ana"].say(f"/dsa done {problem}")
    await sessions["ana"].say("/dsa done 3sum")  # counts once
    out = await sessions["ana"].say("/dsa leaderboard")
    assert "DSA leaderboard — this week (since Mon 05 Jan)" in out
    assert out.index("1. cy — 3 solved") < out.index("2. bob — 2 solved")
    assert out.index("2. bob — 2 solved") < out.index("2. ana — 2 solved")
    # Next month, the weekly and monthly boards start empty; "all" keeps everything.
    clock.set(utc(2026, 2, 2, 9, 0))
    assert "No problems solved" in await sessions["ana"].say("/dsa leaderboard week")
    assert "No problems solved" in await sessions["ana"].say("/dsa leaderboard month")
    assert "1. cy — 3 solved" in await sessions["ana"].say("/dsa leaderboard all")


async def test_skip_history_and_settings(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    ana = ConsoleSession(app, name="ana", moderator=False)
    mod = ConsoleSession(app, name="mia")
    assert "Only moderators" in await ana.say("/dsa settings patterns:trees")
    out = await mod.say("/dsa settings patterns:trees,graphs mix:medium:2 premium:false")
    assert "DSA settings updated" in out and "Patterns graphs, trees" in out
    assert "Problems per day 2 medium" in out
    today = await ana.say("/dsa today")
    shown = [p for p in problem_set() if p.title in today]
    assert len(shown) == 2 and {p.pattern for p in shown} <= {"trees", "graphs"}
    out = await ana.say("/dsa skip")
    assert "Skipped" in out and "Try this one instead" in out
    out = await ana.say("/dsa history")
    assert "Skipped" in out
    assert "Nothing yet" in await ConsoleSession(app, name="zed", moderator=False).say(
        "/dsa history"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/dsa remind set 07:00 Europe/Londn", "Did you mean Europe/London"),
        ("/dsa remind set 25:00", "use 24-hour HH:MM such as 09:00"),
        ("/dsa remind set 07:00 days:funday", "use daily, weekdays (mon-fri), weekends"),
        ("/dsa remind set 07:00 patterns:magic", "'magic' is not a pattern"),
        ("/dsa done no such problem", "I do not know the problem 'no such problem'"),
        ("/dsa done two summ", "Did you mean Two Sum"),
        ("/dsa leaderboard year", "week, month, all"),
        ("/dsa settings mix:extreme:1", "difficulty:count items"),
    ],
)
async def test_invalid_input_says_what_is_accepted(
    make_app: AppFactory, line: str, expected: str
) -> None:
    app = await make_app(COGS)
    out = await ConsoleSession(app, name="mia").say(line)
    assert expected in out
    assert await app.schedules.repo.all() == []


async def test_reminder_button_pressed_in_a_dm_counts_in_its_community(
    make_app: AppFactory, clock: ManualClock
) -> None:
    from bot.commands.context import ActionInvocation, Actor, Place
    from tests.helpers import RecordingResponder

    app = await make_app(COGS)
    ana = ConsoleSession(app, name="ana", moderator=False)
    await ana.say("/dsa remind set 07:30 UTC")
    [dm] = await run_at(app, clock, utc(2026, 1, 6, 7, 30))
    button = dm.buttons[0]
    # On Discord a click in a DM arrives without the server: a community of its own.
    dm_place = Place("console", "dm:ana", "DM", "dm-ana", is_dm=True)
    actor = Actor("console", "ana", "ana")
    responder = RecordingResponder()
    await app.dispatcher.dispatch_action(
        ActionInvocation(button.action, button.value, actor, dm_place), responder
    )
    assert "Streak: 1 day" in responder.text()
    assert "Current streak 1 day" in await ana.say("/dsa stats")
    stranger = RecordingResponder()
    await app.dispatcher.dispatch_action(
        ActionInvocation(button.action, button.value, Actor("console", "eve", "eve"), dm_place),
        stranger,
    )
    assert "belongs to another community" in stranger.text()


async def test_console_shows_the_reminder_dm_and_its_button_marks_it_solved(
    make_app: AppFactory, clock: ManualClock
) -> None:
    import asyncio

    app = await make_app(COGS)
    ana = ConsoleSession(app, name="ana", moderator=False)
    await ana.adapter.start()  # registers the console sender with the delivery engine
    try:
        await ana.say("/dsa remind set 07:30 Europe/London")
        await run_at(app, clock, utc(2026, 1, 6, 7, 30))
        await asyncio.wait_for(app.delivery.idle(), 30)
        out = ana.new_output()
        assert "[DM @ana]" in out and "Your DSA problem for Tue 06 Jan 2026" in out
        assert "[1: Mark solved:" in out
        out = await ana.say(":click 1")
        assert "solved for Tue 06 Jan 2026. Streak: 1 day (best 1)" in out
    finally:
        await ana.adapter.stop()


async def test_hint_gives_the_nudge_then_the_approach_on_request(make_app: AppFactory) -> None:
    from cogs.dsa.base import _approach_buttons

    app = await make_app(COGS)
    ana = ConsoleSession(app, name="ana", moderator=False)
    rotate = problem_set().get("rotate-image")
    assert rotate is not None and rotate.approach
    today = await ana.say("/dsa today")
    assert "Show approach" in today or "approach" not in today.lower()
    assert rotate.approach not in today  # problem messages carry only the nudge
    out = await ana.say("/dsa hint rotate image")
    assert rotate.hint in out and rotate.approach in out
    out = await ana.say("/dsa hint")  # today's problem by default
    assert "Hints:" in out and "Nudge" in out
    out = await ana.say("/dsa hint no such problem at all")
    assert "I do not know the problem" in out
    # the "Show approach" button answers with the same two levels
    [button] = _approach_buttons([rotate])
    assert button.action == "dsa.approach" and button.value == "rotate-image"
    ana.adapter.buttons[999] = button
    out = await ana.say(":click 999")
    assert rotate.approach in out
    # a problem without a written approach says so instead of inventing one
    plain = next(p for p in problem_set() if not p.approach)
    assert _approach_buttons([plain]) == ()
    out = await ana.say(f"/dsa hint {plain.id}")
    assert plain.hint in out and "no written approach" in out


async def test_ml_coding_exercise_shows_its_task(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    ana = ConsoleSession(app, name="ana", moderator=False)
    kmeans = problem_set().get("ml-kmeans-from-scratch")
    assert kmeans is not None and kmeans.statement and kmeans.approach
    out = await ana.say("/dsa hint ml-kmeans-from-scratch")
    assert kmeans.statement[:60] in out and kmeans.hint in out and kmeans.approach in out
    out = await ana.say("/dsa done ml-kmeans-from-scratch")
    assert "K-Means Clustering from Scratch" in out


def _problem_after(out: str, marker: str) -> Any:
    """The problem named after `marker` in a reply (the one offered instead)."""
    tail = out.split(marker, 1)[1]
    found = [p for p in problem_set() if p.title in tail]
    assert found, out
    return min(found, key=lambda p: tail.index(p.title))


async def test_reminder_keeps_its_filters_even_when_a_pick_exists(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await make_app(COGS)
    clock.set(utc(2026, 1, 6, 6, 0))
    ana = ConsoleSession(app, name="ana", moderator=False)
    picked = _problem_after(await ana.say("/dsa skip"), "Try this one instead")
    difficulty = "hard" if picked.difficulty != "hard" else "easy"
    patterns = sorted({p.pattern for p in problem_set() if p.pattern != picked.pattern})[:2]
    out = await ana.say(
        f"/dsa remind set 07:30 UTC difficulty:{difficulty} patterns:{','.join(patterns)}"
    )
    assert "Reminder set" in out
    [dm] = await run_at(app, clock, utc(2026, 1, 6, 7, 30))
    problem_id = dm.buttons[0].value.partition("@")[0]
    sent_problem = problem_set().get(problem_id)
    assert sent_problem is not None and sent_problem.id != picked.id
    assert sent_problem.difficulty == difficulty and sent_problem.pattern in patterns


async def test_skip_leaves_out_premium_problems_when_the_settings_do(
    make_app: AppFactory,
) -> None:
    app = await make_app(COGS)
    mod = ConsoleSession(app, name="mia")
    out = await mod.say("/dsa settings premium:false")
    assert "Premium problems left out" in out
    ana = ConsoleSession(app, name="ana", moderator=False)
    await ana.say("/dsa remind set 07:30 UTC patterns:intervals")
    pool = [p for p in problem_set() if p.pattern == "intervals"]
    assert any(p.premium for p in pool)  # the filter alone would offer Premium ones
    offered = []
    for _ in range(len(pool)):
        out = await ana.say("/dsa skip")
        if "Try this one instead" not in out:
            break
        offered.append(_problem_after(out, "Try this one instead"))
    assert len(offered) >= sum(not p.premium for p in pool) - 1
    assert not any(p.premium for p in offered), [p.id for p in offered if p.premium]


async def test_stats_point_at_the_streak_rules_instead_of_repeating_them(
    make_app: AppFactory,
) -> None:
    from cogs.dsa.streaks import RULES_TEXT

    app = await make_app(COGS)
    ana = ConsoleSession(app, name="ana", moderator=False)
    out = await ana.say("/dsa stats")
    assert "Current streak" in out and "How streaks count: /help dsa stats" in out
    assert RULES_TEXT[:40] not in out
    assert RULES_TEXT[:40] in " ".join((await ana.say("/help dsa stats")).split())


async def test_reminders_due_together_are_composed_with_a_few_queries(
    make_app: AppFactory, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forty members' 07:30 reminders: each gets their own pick (filters, solves and skips
    respected) while the whole minute costs a fixed number of transactions, not ~6 each."""
    clock.set(utc(2026, 1, 5, 6, 0))
    app = await make_app(COGS)
    members = [ConsoleSession(app, name=f"m{i:02d}", moderator=False) for i in range(40)]
    for i, member in enumerate(members):
        level = ("easy", "medium", "hard")[i % 3]
        await member.say(f"/dsa remind set 07:30 Europe/London difficulty:{level}")
    await members[0].say("/dsa done two-sum")
    await members[1].say("/dsa skip")
    transactions = 0
    begin = app.db.transaction
    # Only this minute's work counts: tasks it starts inherit the flag, while the delivery
    # engine and its lease heartbeat (started earlier) keep ticking on a slow machine.
    minute_of_work: ContextVar[bool] = ContextVar("minute_of_work", default=False)

    def counted() -> Any:
        nonlocal transactions
        transactions += minute_of_work.get()
        return begin()

    monkeypatch.setattr(app.db, "transaction", counted)
    minute_of_work.set(True)
    dms = await run_at(app, clock, utc(2026, 1, 5, 7, 30))
    minute_of_work.set(False)
    monkeypatch.undo()
    assert transactions <= 12, transactions  # one message per reminder used about 6 each
    assert len(dms) == 40
    problems = problem_set()
    dsa = app.cogs["dsa"]
    assert isinstance(dsa, DsaCog)
    for i in range(len(members)):
        picked = await dsa.repo.pick(1, f"m{i:02d}", utc(2026, 1, 5).date())
        problem = problems.get(picked or "")
        assert problem is not None and problem.difficulty == ("easy", "medium", "hard")[i % 3]
        if i == 0:
            assert problem.id != "two-sum"
    titles = {m.title for m in dms}
    assert titles == {"Your DSA problem for Mon 05 Jan 2026"}
