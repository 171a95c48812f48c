"""Replies reach the person whatever Slack refuses: spent or expired response_urls, channels the
bot is not in, and rate-limited admin lookups (through the real bolt app and the strict mock)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.adapters.slack import adapter as slack_adapter
from tests.slack.conftest import SlackBot
from tests.slack.demo_cog import DemoCog
from tests.slack.test_http_mode import texts


def said(bot: SlackBot, method: str) -> list[str]:
    return [texts(c.params) for c in bot.mock.calls_to(method)]


async def slow_reply(bot: SlackBot, before_reply: object = None) -> None:
    """Run `/demo slow` (acked empty), let the test break things, then let it reply."""
    DemoCog.gate = asyncio.Event()
    bot.adapter.ack_window = slack_adapter.ACK_WINDOW_SECONDS
    try:
        status, body = await bot.command("/demo", "slow")
        assert status == 200 and body == ""
        if callable(before_reply):
            before_reply()
        DemoCog.gate.set()
        await bot.adapter.idle()
    finally:
        DemoCog.gate.set()
        DemoCog.gate = None


async def test_more_replies_than_the_response_url_takes_go_through_the_web_api(
    slack_bot: SlackBot,
) -> None:
    status, body = await slack_bot.command("/demo", "chatty times:8")
    await slack_bot.adapter.idle()
    assert status == 200 and "reply 1" in texts(body)
    assert [texts(r.params) for r in slack_bot.mock.responses] == [
        f"reply {i}" for i in range(2, 7)
    ]
    assert said(slack_bot, "chat.postMessage") == ["reply 7", "reply 8"]
    assert not slack_bot.mock.refusals, "the bot counts the 5 uses as Slack does"


async def test_expired_response_url_falls_back_to_the_channel(slack_bot: SlackBot) -> None:
    await slow_reply(slack_bot, lambda: slack_bot.mock.expire_response_url())
    assert [r.error for r in slack_bot.mock.refusals] == ["expired_url"]
    assert said(slack_bot, "chat.postMessage") == ["done slowly"]


async def test_channel_the_bot_is_not_in_falls_back_to_a_dm(
    slack_bot: SlackBot, caplog: pytest.LogCaptureFixture
) -> None:
    def break_things() -> None:
        slack_bot.mock.expire_response_url()
        slack_bot.mock.not_joined.add("C100")

    with caplog.at_level(logging.INFO):
        await slow_reply(slack_bot, break_things)
    refused = [(r.method, r.error) for r in slack_bot.mock.refusals]
    assert refused == [
        ("response_url:1", "expired_url"),
        ("chat.postMessage", "not_in_channel"),
        ("chat.postEphemeral", "not_in_channel"),
    ]
    assert [c.params["users"] for c in slack_bot.mock.calls_to("conversations.open")] == ["U100"]
    (dm,) = [
        c for c in slack_bot.mock.calls_to("chat.postMessage") if c.params["channel"] != "C100"
    ]
    assert dm.params["channel"] == "DU100" and "done slowly" in texts(dm.params)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_click_in_a_vanished_channel_is_answered_by_dm(slack_bot: SlackBot) -> None:
    _, body = await slack_bot.command("/demo", "echo mlops")
    button = body["blocks"][-1]["elements"][0]
    slack_bot.mock.expire_response_url("click")
    slack_bot.mock.missing_channels.add("C100")
    status, _ = await slack_bot.click(button)
    assert status == 200
    await slack_bot.adapter.idle()
    assert [r.error for r in slack_bot.mock.refusals] == ["expired_url", "channel_not_found"]
    (dm,) = slack_bot.mock.calls_to("chat.postMessage")
    assert dm.params["channel"] == "DU100" and "again: mlops" in texts(dm.params)


async def test_unreachable_person_is_logged_not_raised(
    slack_bot: SlackBot, caplog: pytest.LogCaptureFixture
) -> None:
    slack_bot.mock.fail("conversations.open", error="user_disabled")

    def break_things() -> None:
        slack_bot.mock.expire_response_url()
        slack_bot.mock.missing_channels.add("C100")

    with caplog.at_level(logging.WARNING):
        await slow_reply(slack_bot, break_things)
    assert any("could not reach U100" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.exc_info]


async def test_rate_limited_admin_lookup_is_retried_not_cached_as_member(
    slack_bot: SlackBot,
) -> None:
    slack_bot.mock.users["UADMIN"] = {"name": "boss", "is_admin": True}
    slack_bot.mock.fail("users.info", status=429, retry_after=1)
    _, body = await slack_bot.command("/demo", "purge", user="UADMIN")
    await slack_bot.adapter.idle()
    answers = [texts(body)] if isinstance(body, dict) else []
    answers += [texts(r.params) for r in slack_bot.mock.responses]
    assert answers == ["purged"]
    assert len(slack_bot.mock.calls_to("users.info")) == 2
    _, body = await slack_bot.command("/demo", "purge", user="UADMIN")
    assert texts(body) == "purged"
    assert len(slack_bot.mock.calls_to("users.info")) == 2, "the answer after the 429 is cached"
    slack_bot.mock.refusals.clear()


async def test_long_rate_limit_gives_up_without_caching_a_no(slack_bot: SlackBot) -> None:
    slack_bot.mock.users["UADMIN"] = {"name": "boss", "is_admin": True}
    slack_bot.adapter.admins.max_wait = 2.0
    slack_bot.mock.fail("users.info", status=429, retry_after=30)
    _, body = await slack_bot.command("/demo", "purge", user="UADMIN")
    assert "Only moderators" in texts(body)
    slack_bot.adapter.admins._blocked_until = 0.0  # the 30 s have passed
    _, body = await slack_bot.command("/demo", "purge", user="UADMIN")
    assert texts(body) == "purged"
    assert len(slack_bot.mock.calls_to("users.info")) == 2


async def test_a_refused_token_is_not_cached_as_member(slack_bot: SlackBot) -> None:
    slack_bot.mock.users["UADMIN"] = {"name": "boss", "is_admin": True}
    slack_bot.mock.fail("users.info", error="invalid_auth")
    _, body = await slack_bot.command("/demo", "purge", user="UADMIN")
    assert "Only moderators" in texts(body)
    _, body = await slack_bot.command("/demo", "purge", user="UADMIN")
    assert texts(body) == "purged"
    assert len(slack_bot.mock.calls_to("users.info")) == 2
