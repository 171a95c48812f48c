"""Per-member command rate (issue 17 §6): "slow down, try again in N s"; moderators exempt."""

from __future__ import annotations

import re

from bot.commands.ratelimit import MemberRate
from cogs.help import HelpCog
from tests.conftest import AppFactory
from tests.helpers import RecordingResponder, actor, invocation


def test_a_sliding_window_of_one_minute() -> None:
    now = [0.0]
    rate = MemberRate(3, clock=lambda: now[0])
    key = ("console", "1", "ana")
    assert [rate.wait(key) for _ in range(3)] == [None, None, None]
    now[0] = 10.0
    assert rate.wait(key) == 50  # the oldest of the three leaves the window at t=60
    assert rate.wait(("console", "1", "bob")) is None  # per member
    assert rate.wait(("console", "2", "ana")) is None  # per community
    now[0] = 60.0
    assert rate.wait(key) is None
    now[0] = 60.5
    assert rate.wait(key) is None and rate.wait(key) is None
    assert rate.wait(key) == 60  # 60.0, 60.5, 60.5 are in the window
    now[0] = 119.9
    assert rate.wait(key) == 1  # rounded up, never "0 s"
    assert MemberRate(0).wait(key) is None  # 0: no limit


async def test_members_are_told_to_slow_down_and_moderators_are_not(
    make_app: AppFactory,
) -> None:
    app = await make_app([HelpCog], quota_commands_per_minute=3)

    async def run(who: str, moderator: bool = False) -> str:
        responder = RecordingResponder()
        await app.dispatcher.dispatch(
            invocation("help", who=actor(who, moderator=moderator)), responder
        )
        return responder.text()

    for _ in range(3):
        assert "Slow down" not in await run("ana")
    refused = await run("ana")
    assert re.search(r"Slow down: .* Try again in \d+ s\.", refused), refused
    assert "Slow down" not in await run("bob")
    for _ in range(10):
        assert "Slow down" not in await run("mia", moderator=True)
