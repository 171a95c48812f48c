"""Sending on the bot's own initiative through the outbox, the delivery engine and the Slack
sender, into the loopback Web API mock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa

from bot.messages import Message
from bot.scheduling.jobs import Delivery, Destination, DestinationKind
from bot.settings import Settings
from bot.timing.clock import ManualClock
from storage.outbox import outbox
from tests.delivery.fakes import queue
from tests.slack.conftest import SlackBot, build_bot
from tests.slack.mock_slack import SlackMock

UNLIMITED: dict[str, Any] = {"delivery_slack_rate": 0.0, "delivery_slack_route_rate": 0.0}


def dm(user: str) -> Delivery:
    dest = Destination("slack", "T0001", DestinationKind.DM, user, user)
    return Delivery(dest, Message(title="Your DSA reminder", body="Two problems are waiting."))


def post(channel: str) -> Delivery:
    dest = Destination("slack", "T0001", DestinationKind.CHANNEL, channel, channel)
    return Delivery(dest, Message(title="Weekly digest", body="**Tip**: measure first."))


@pytest.fixture
async def bot(
    settings: Settings, clock: ManualClock, slack_mock: SlackMock
) -> AsyncIterator[SlackBot]:
    bot = await build_bot(settings, clock, slack_mock, **UNLIMITED)
    yield bot
    await bot.session.close()
    await bot.app.stop()


async def statuses(bot: SlackBot) -> dict[str, str]:
    async with bot.app.db.transaction() as conn:
        result = await conn.execute(sa.select(outbox.c.target_id, outbox.c.status))
        return {r.target_id: r.status for r in result}


async def test_dm_fan_out_and_channel_post_through_the_mock(bot: SlackBot) -> None:
    users = [f"U{i:03d}" for i in range(30)]
    assert await queue(bot.app, "run-1", [*(dm(u) for u in users), post("C100")]) == 31
    await asyncio.wait_for(bot.app.delivery.idle(), 30)
    posted = [c.params["channel"] for c in bot.mock.calls_to("chat.postMessage")]
    assert sorted(posted) == sorted(["C100", *("D" + u for u in users)])
    assert sorted(c.params["users"] for c in bot.mock.calls_to("conversations.open")) == users
    assert set((await statuses(bot)).values()) == {"sent"}

    # The next run reuses the opened DM channels.
    await queue(bot.app, "run-2", [dm(u) for u in users[:5]])
    await asyncio.wait_for(bot.app.delivery.idle(), 30)
    assert len(bot.mock.calls_to("conversations.open")) == 30
    assert len(bot.mock.calls_to("chat.postMessage")) == 36


async def test_unknown_user_and_archived_channel_fail_permanently(bot: SlackBot) -> None:
    bot.mock.fail("conversations.open", error="user_not_found")
    bot.mock.fail("chat.postMessage", error="is_archived")
    await queue(bot.app, "run-1", [dm("UGONE")])
    await asyncio.wait_for(bot.app.delivery.idle(), 30)
    await queue(bot.app, "run-2", [post("COLD")])
    await asyncio.wait_for(bot.app.delivery.idle(), 30)
    assert await statuses(bot) == {"UGONE": "failed", "COLD": "failed"}
    assert await bot.app.delivery.store.is_undeliverable("slack:dm:UGONE")
    assert len(bot.mock.calls_to("conversations.open")) == 1, "no retry of a permanent error"
