"""A Slack token refused mid fan-out stops Slack's sending at once: rows stay pending (their
attempts uncounted), /readyz reports it, one error is logged, a restart with a good token
resumes. Through the outbox, the delivery engine, the Slack sender and the strict mock."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from bot.app import Application
from bot.settings import Settings
from bot.timing.clock import ManualClock
from storage.outbox import outbox
from tests.delivery.fakes import queue
from tests.slack.conftest import build_bot, sign
from tests.slack.mock_slack import SlackMock
from tests.slack.test_delivery import UNLIMITED, dm

FAN_OUT = 300
REVOKED_AT = FAN_OUT // 5  # 20 %


async def rows(app: Application) -> list[tuple[str, int]]:
    async with app.db.transaction() as conn:
        result = await conn.execute(sa.select(outbox.c.status, outbox.c.attempts))
        return [(r.status, r.attempts) for r in result]


@pytest.mark.parametrize("error", ["token_revoked", "invalid_auth", "account_inactive"])
async def test_refused_token_stops_sending_and_a_good_one_resumes(
    settings: Settings,
    clock: ManualClock,
    slack_mock: SlackMock,
    caplog: pytest.LogCaptureFixture,
    error: str,
) -> None:
    bot = await build_bot(settings, clock, slack_mock, **UNLIMITED)
    try:
        slack_mock.revoke(error, after_posts=REVOKED_AT)
        users = [f"U{i:04d}" for i in range(FAN_OUT)]
        with caplog.at_level(logging.ERROR):
            await queue(bot.app, "run-1", [dm(u) for u in users])
            await asyncio.wait_for(bot.app.delivery.idle(), 60)
        refused = [r for r in slack_mock.refusals if r.error == error]
        concurrency = settings.delivery_concurrency
        # The figure: requests Slack refused after the revocation (at most one per send slot).
        print(f"\n{error}: {len(refused)} refused requests, concurrency {concurrency}")
        assert 1 <= len(refused) <= concurrency
        status = Counter(s for s, _ in await rows(bot.app))
        assert status["sent"] == REVOKED_AT
        assert status["pending"] == FAN_OUT - REVOKED_AT and not status["failed"]
        assert all(a == 0 for s, a in await rows(bot.app) if s == "pending"), "not counted"
        errors = [r for r in caplog.records if "refused the bot's credentials" in r.getMessage()]
        assert len(errors) == 1 and error in errors[0].getMessage()
        checks = await bot.app.readiness.evaluate()
        assert checks["delivery:slack:credentials"] is False
        # Nothing more is tried, however often the engine is woken.
        before = len(slack_mock.calls)
        bot.app.delivery.wake()
        await asyncio.wait_for(bot.app.delivery.idle(), 10)
        assert len(slack_mock.calls) == before
    finally:
        await bot.session.close()
        await bot.app.stop()

    slack_mock.revoked.clear()  # the token is fixed; the bot restarts on the same database
    again = await build_bot(settings, clock, slack_mock, **UNLIMITED)
    try:
        await asyncio.wait_for(again.app.delivery.idle(), 60)
        assert Counter(s for s, _ in await rows(again.app)) == {"sent": FAN_OUT}
        assert (await again.app.readiness.evaluate())["delivery:slack:credentials"] is True
        assert sorted(set(slack_mock._posted)) == sorted("D" + u for u in users)
    finally:
        await again.session.close()
        await again.app.stop()


async def test_tokens_revoked_event_stops_sending_before_any_refusal(
    settings: Settings, clock: ManualClock, slack_mock: SlackMock
) -> None:
    bot = await build_bot(settings, clock, slack_mock, **UNLIMITED)
    try:
        event = {
            "type": "event_callback",
            "team_id": "T0001",
            "api_app_id": "A1",
            "event": {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}},
            "event_id": "Ev1",
            "event_time": 1700000000,
        }
        body = json.dumps(event).encode()
        headers = {**sign(body, int(time.time())), "Content-Type": "application/json"}
        async with bot.session.post(bot.events_url, data=body, headers=headers) as resp:
            assert resp.status == 200
        await queue(bot.app, "run-1", [dm("U1"), dm("U2")])
        await asyncio.wait_for(bot.app.delivery.idle(), 10)
        assert not slack_mock.calls_to("chat.postMessage")
        assert Counter(s for s, _ in await rows(bot.app)) == {"pending": 2}
        assert bot.app.delivery.credentials_refused("slack") == "Slack: tokens_revoked"
    finally:
        await bot.session.close()
        await bot.app.stop()


async def test_a_reply_refused_for_the_token_stops_sending_and_tries_no_dm(
    settings: Settings, clock: ManualClock, slack_mock: SlackMock
) -> None:
    bot = await build_bot(settings, clock, slack_mock, **UNLIMITED)
    try:
        payload = {
            "type": "block_actions",
            "team": {"id": "T0001"},
            "user": {"id": "U100", "username": "ana"},
            "channel": {"id": "C100"},
            "actions": [{"action_id": "0:demo-again", "value": "demo-again:mlops"}],
        }
        # A first command while the token works (bolt checks it once, with auth.test).
        await bot.command("/demo", "echo hi")
        await bot.adapter.idle()
        slack_mock.revoke("token_revoked")
        status, _ = await bot.post({"payload": json.dumps(payload)})
        assert status == 200
        await bot.adapter.idle()
        assert [(r.method, r.error) for r in slack_mock.refusals] == [
            ("chat.postEphemeral", "token_revoked")
        ]
        assert bot.app.delivery.credentials_refused("slack") == "Slack: token_revoked"
    finally:
        await bot.session.close()
        await bot.app.stop()
