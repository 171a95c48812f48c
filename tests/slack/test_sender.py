"""The Slack Sender against the loopback Web API mock: posts, DMs, and error mapping."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.slack.sender import SlackSender
from bot.delivery.sender import InvalidCredentials, PermanentError, RateLimited, TransientError
from bot.messages import Message
from bot.scheduling.jobs import Destination, DestinationKind
from tests.slack.mock_slack import SlackMock


def channel(target: str = "C100") -> Destination:
    return Destination("slack", "T0001", DestinationKind.CHANNEL, target, "general")


def dm(user: str) -> Destination:
    return Destination("slack", "T0001", DestinationKind.DM, user, user)


@pytest.fixture
def sender(slack_mock: SlackMock) -> SlackSender:
    return SlackSender("xoxb-test", base_url=slack_mock.api_url)


async def test_channel_post(sender: SlackSender, slack_mock: SlackMock) -> None:
    await sender.send(channel(), Message(title="Weekly tips", body="**hi**"), idempotency_key="k")
    (call,) = slack_mock.calls_to("chat.postMessage")
    assert call.params["channel"] == "C100"
    assert call.params["text"] == "Weekly tips"
    assert call.params["blocks"][1]["text"]["text"] == "*hi*"
    assert call.headers["Authorization"] == "Bearer xoxb-test"


async def test_dm_fan_out_opens_each_conversation_once(
    sender: SlackSender, slack_mock: SlackMock
) -> None:
    users = [f"U{i:03d}" for i in range(25)]
    await asyncio.gather(
        *(sender.send(dm(u), Message(body="reminder"), idempotency_key=u) for u in users)
    )
    await asyncio.gather(
        *(
            sender.send(dm(users[0]), Message(body="again"), idempotency_key=str(i))
            for i in range(3)
        )
    )
    opened = [c.params["users"] for c in slack_mock.calls_to("conversations.open")]
    assert sorted(opened) == users
    posted = [c.params["channel"] for c in slack_mock.calls_to("chat.postMessage")]
    assert sorted(posted[:-3]) == sorted("D" + u for u in users)
    assert posted[-3:] == ["D" + users[0]] * 3
    assert len(sender.dm_cache) == 25


async def test_concurrent_dms_to_a_new_user_open_once(
    sender: SlackSender, slack_mock: SlackMock
) -> None:
    await asyncio.gather(
        *(sender.send(dm("U777"), Message(body="x"), idempotency_key=str(i)) for i in range(5))
    )
    assert len(slack_mock.calls_to("conversations.open")) == 1
    assert len(slack_mock.calls_to("chat.postMessage")) == 5


async def test_429_is_rate_limited_with_retry_after(
    sender: SlackSender, slack_mock: SlackMock
) -> None:
    slack_mock.fail("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(RateLimited) as info:
        await sender.send(channel(), Message(body="x"), idempotency_key="k")
    assert info.value.retry_after == 7.0 and info.value.is_global
    assert len(slack_mock.calls_to("chat.postMessage")) == 1, "one attempt only"


@pytest.mark.parametrize("status", [500, 503])
async def test_5xx_is_transient(sender: SlackSender, slack_mock: SlackMock, status: int) -> None:
    slack_mock.fail("chat.postMessage", status=status, error="service_unavailable")
    with pytest.raises(TransientError):
        await sender.send(channel(), Message(body="x"), idempotency_key="k")
    assert len(slack_mock.calls_to("chat.postMessage")) == 1


async def test_html_gateway_error_is_transient(sender: SlackSender, slack_mock: SlackMock) -> None:
    slack_mock.fail("chat.postMessage", status=502, html=True)
    with pytest.raises(TransientError, match="502"):
        await sender.send(channel(), Message(body="x"), idempotency_key="k")


@pytest.mark.parametrize("error", ["channel_not_found", "is_archived", "not_in_channel"])
async def test_unreachable_channel_is_permanent(
    sender: SlackSender, slack_mock: SlackMock, error: str
) -> None:
    slack_mock.fail("chat.postMessage", error=error)
    with pytest.raises(PermanentError) as info:
        await sender.send(channel(), Message(body="x"), idempotency_key="k")
    assert info.value.recipient_undeliverable
    assert error in info.value.reason


async def test_unknown_user_dm_is_permanent(sender: SlackSender, slack_mock: SlackMock) -> None:
    slack_mock.fail("conversations.open", error="user_not_found")
    with pytest.raises(PermanentError) as info:
        await sender.send(dm("U404"), Message(body="x"), idempotency_key="k")
    assert info.value.recipient_undeliverable
    assert not slack_mock.calls_to("chat.postMessage")


async def test_bot_side_errors_do_not_blame_the_recipient(
    sender: SlackSender, slack_mock: SlackMock
) -> None:
    slack_mock.fail("chat.postMessage", error="missing_scope")
    with pytest.raises(PermanentError) as info:
        await sender.send(channel(), Message(body="x"), idempotency_key="k")
    assert not info.value.recipient_undeliverable


@pytest.mark.parametrize(
    "error",
    ["invalid_auth", "token_revoked", "account_inactive", "tokens_revoked", "app_uninstalled"],
)
async def test_refused_credentials_are_reported_as_such(
    sender: SlackSender, slack_mock: SlackMock, error: str
) -> None:
    slack_mock.revoke(error)
    with pytest.raises(InvalidCredentials, match=error):
        await sender.send(dm("U1"), Message(body="x"), idempotency_key="k")
    assert [r.error for r in slack_mock.refusals] == [error], "one request, no retry"


async def test_unreachable_slack_is_transient(slack_mock: SlackMock) -> None:
    await slack_mock.stop()
    sender = SlackSender("xoxb-test", base_url=slack_mock.api_url)
    with pytest.raises(TransientError):
        await sender.send(channel(), Message(body="x"), idempotency_key="k")
