"""QUOTA_WELCOME_DM_HOURS (issue 17 §6): a member's welcome DM at most once in any window of
that many hours - also across the boundary of the periods that name the outbox run key (both
backends: the previous welcome is read back from the outbox)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.timing.clock import ManualClock
from cogs.digest import DigestCog
from tests.conftest import AppFactory
from tests.digest.test_cog import digest_schedule, run
from tests.helpers import actor
from tests.schedules.support import outbox_rows

pytestmark = pytest.mark.both_backends

ANA = actor("ana")


async def welcomes(app: object) -> list[str]:
    rows = await outbox_rows(app)  # type: ignore[arg-type]
    return [r["run_key"] for r in rows if r["run_key"].startswith("digest-welcome:")]


async def cycle(app: object) -> None:
    await run(app, "digest unsubscribe", who=ANA)  # type: ignore[arg-type]
    assert "subscribed" in (await run(app, "digest subscribe", who=ANA)).text()  # type: ignore[arg-type]


async def test_no_second_welcome_across_midnight(make_app: AppFactory, clock: ManualClock) -> None:
    app = await make_app([DigestCog])
    await digest_schedule(app)
    clock.advance(timedelta(hours=15, minutes=59))  # 23:59 UTC, the end of a period
    await run(app, "digest subscribe", who=ANA)
    assert len(await welcomes(app)) == 1
    clock.advance(timedelta(minutes=2))  # 00:01: a new period, two minutes later
    await cycle(app)
    clock.advance(timedelta(hours=23, minutes=57))  # 23:58: still within 24 h of the first
    await cycle(app)
    assert len(await welcomes(app)) == 1
    clock.advance(timedelta(minutes=2))  # 24 h after the first welcome
    await cycle(app)
    assert len(await welcomes(app)) == 2


async def test_the_window_is_the_setting(make_app: AppFactory, clock: ManualClock) -> None:
    app = await make_app([DigestCog], quota_welcome_dm_hours=1)
    await digest_schedule(app)
    await run(app, "digest subscribe", who=ANA)
    clock.advance(timedelta(minutes=59))
    await cycle(app)
    assert len(await welcomes(app)) == 1
    clock.advance(timedelta(minutes=1))
    await cycle(app)
    assert len(await welcomes(app)) == 2


async def test_zero_welcomes_every_time(make_app: AppFactory, clock: ManualClock) -> None:
    app = await make_app([DigestCog], quota_welcome_dm_hours=0)
    await digest_schedule(app)
    await run(app, "digest subscribe", who=ANA)
    clock.advance(timedelta(seconds=1))
    await cycle(app)
    assert len(await welcomes(app)) == 2
