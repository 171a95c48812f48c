"""QUOTA_PUBLISH_NOW_MINUTES (issue 17 §6): publish-now at most once per window unless the
moderator confirms; the time is kept in the database (both backends)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.timing.clock import ManualClock
from cogs.digest import DigestCog
from tests.conftest import AppFactory
from tests.digest.test_cog import MOD, digest_schedule, run
from tests.helpers import actor
from tests.schedules.support import outbox_rows

pytestmark = pytest.mark.both_backends


async def test_publish_now_once_per_window_unless_confirmed(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await make_app([DigestCog], quota_publish_now_minutes=60)
    await digest_schedule(app)
    await run(app, "digest subscribe", who=actor("ana"))
    assert "Issue #1 is published" in (await run(app, "digest publish-now", who=MOD)).text()
    dms = len(await outbox_rows(app))

    clock.advance(timedelta(minutes=5))
    refused = (await run(app, "digest publish-now", who=MOD)).text()
    assert "published 5 min ago" in refused and "confirm:true" in refused
    assert "QUOTA_PUBLISH_NOW_MINUTES" in refused
    assert len(await outbox_rows(app)) == dms  # nothing queued

    confirmed = await run(app, "digest publish-now", who=MOD, confirm=True)
    assert "Issue #2 is published" in confirmed.text()
    clock.advance(timedelta(minutes=59))
    assert "min ago" in (await run(app, "digest publish-now", who=MOD)).text()
    clock.advance(timedelta(minutes=1))
    # past the window, the 20-hour rule between issues still asks for confirm:true
    refused = (await run(app, "digest publish-now", who=MOD)).text()
    assert "Issue #2 went out 1 hour ago" in refused and "within 20 hours" in refused
    clock.advance(timedelta(hours=19))
    assert "Issue #3 is published" in (await run(app, "digest publish-now", who=MOD)).text()


async def test_a_window_of_zero_means_no_limit(make_app: AppFactory, clock: ManualClock) -> None:
    """No QUOTA_PUBLISH_NOW_MINUTES limit; issues 20 hours apart need no confirmation."""
    app = await make_app([DigestCog], quota_publish_now_minutes=0)
    await digest_schedule(app)
    for number in (1, 2):
        text = (await run(app, "digest publish-now", who=MOD)).text()
        assert f"Issue #{number} is published" in text
        clock.advance(timedelta(hours=20))


async def test_two_processes_publishing_at_once_send_one_issue(
    make_app: AppFactory, clock: ManualClock
) -> None:
    """Two applications on one database (a double click answered by two processes): the
    window is claimed in one statement, so one publishes and the other is refused."""
    first = await make_app([DigestCog], quota_publish_now_minutes=60)
    second = await make_app([DigestCog], quota_publish_now_minutes=60)
    await digest_schedule(first)
    await run(first, "digest subscribe", who=actor("ana"))
    replies = await asyncio.gather(
        run(first, "digest publish-now", who=MOD), run(second, "digest publish-now", who=MOD)
    )
    published, refused = sorted((r.text() for r in replies), reverse=True)
    assert "Issue #1 is published" in published
    assert "published less than a minute ago" in refused and "confirm:true" in refused
    issue_rows = [r for r in await outbox_rows(first) if r["run_key"].startswith("schedule:")]
    assert len(issue_rows) == 2  # the channel post and ana's DM, once


async def test_a_publish_that_does_not_go_out_leaves_the_window_unused(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await make_app([DigestCog], quota_publish_now_minutes=60)
    refused = (await run(app, "digest publish-now", who=MOD)).text()
    assert "no digest schedule here yet" in refused
    await digest_schedule(app)
    assert "Issue #1 is published" in (await run(app, "digest publish-now", who=MOD)).text()
