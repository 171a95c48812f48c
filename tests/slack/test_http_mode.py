"""The Slack adapter over real loopback HTTP: signed requests in, Web API calls out."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from bot.adapters.slack import adapter as slack_adapter
from bot.settings import Settings
from bot.timing.clock import ManualClock
from tests.slack.conftest import SlackBot, build_bot, sign
from tests.slack.demo_cog import DemoCog
from tests.slack.mock_slack import SlackMock


def texts(body: dict[str, Any]) -> str:
    """Every mrkdwn / plain text in a Block Kit payload, joined."""
    out: list[str] = []
    for block in body.get("blocks", []):
        if "text" in block:
            out.append(block["text"]["text"])
        for f in block.get("fields", []):
            out.append(f["text"])
        for el in block.get("elements", []):
            if isinstance(el.get("text"), dict):
                out.append(el["text"]["text"])
            elif "text" in el:
                out.append(el["text"])
    return "\n".join(out)


def buttons(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [el for b in body["blocks"] if b["type"] == "actions" for el in b["elements"]]


async def test_help_round_trip_answers_in_the_ack(slack_bot: SlackBot) -> None:
    status, body = await slack_bot.command("/help")
    assert status == 200
    assert body["response_type"] == "ephemeral"
    assert "mlebot commands" in texts(body)
    assert "`/demo` chatty · echo · slow" in texts(body)
    assert slack_bot.mock.calls_to("auth.test"), "bolt authorises through the mock"


async def test_options_positional_quoted_and_key_value(slack_bot: SlackBot) -> None:
    status, body = await slack_bot.command("/demo", 'echo "feature stores" times:2')
    assert status == 200
    assert body["response_type"] == "in_channel"
    assert "you said feature stores feature stores" in texts(body)


async def test_group_alone_shows_the_group_help(slack_bot: SlackBot) -> None:
    status, body = await slack_bot.command("/demo")
    assert status == 200 and body["response_type"] == "ephemeral"
    assert "/demo echo" in texts(body) and "/demo slow" in texts(body)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nope", "no subcommand `nope`"),
        ('echo "unclosed', "never closed"),
        ("echo hi times:9", "times"),
        ("echo", "words"),
    ],
)
async def test_parse_errors_name_the_mistake(slack_bot: SlackBot, text: str, expected: str) -> None:
    status, body = await slack_bot.command("/demo", text)
    assert status == 200
    assert body["response_type"] == "ephemeral"
    assert expected in texts(body)


async def test_unknown_slash_command_is_explained(slack_bot: SlackBot) -> None:
    status, body = await slack_bot.command("/other")
    assert status == 200 and "not one of my commands" in texts(body)


async def test_moderator_command_refused_for_a_member(slack_bot: SlackBot) -> None:
    slack_bot.mock.users["U100"] = {"name": "ana", "is_admin": False}
    status, body = await slack_bot.command("/demo", "purge")
    assert status == 200
    assert body["response_type"] == "ephemeral"
    assert "Only moderators" in texts(body)


async def test_workspace_admin_is_a_moderator_and_the_lookup_is_cached(
    slack_bot: SlackBot,
) -> None:
    slack_bot.mock.users["U200"] = {"name": "boss", "is_owner": True}
    for _ in range(2):
        status, body = await slack_bot.command("/demo", "purge", user="U200", name="boss")
        assert status == 200 and "purged" in texts(body)
    assert len(slack_bot.mock.calls_to("users.info")) == 1


async def test_configured_user_is_a_moderator(
    settings: Settings, clock: ManualClock, slack_mock: SlackMock
) -> None:
    bot = await build_bot(settings, clock, slack_mock, slack_moderators=["U300"])
    try:
        _, body = await bot.command("/demo", "purge", user="U300")
        assert "purged" in texts(body)
        assert not slack_mock.calls_to("users.info")
    finally:
        await bot.session.close()
        await bot.app.stop()


async def test_command_prefix(
    settings: Settings, clock: ManualClock, slack_mock: SlackMock
) -> None:
    bot = await build_bot(settings, clock, slack_mock, slack_command_prefix="ml-")
    try:
        _, body = await bot.command("/ml-demo", "echo hi")
        assert "you said hi" in texts(body)
        _, body = await bot.command("/demo", "echo hi")
        assert "not one of my commands" in texts(body)
        # Help and hints name the commands as they must be typed in this workspace.
        _, body = await bot.command("/ml-help", "")
        assert "`/ml-demo` chatty · echo" in texts(body) and "`/demo" not in texts(body)
        _, body = await bot.command("/ml-demo", "nope")
        assert "/ml-help demo" in texts(body)
    finally:
        await bot.session.close()
        await bot.app.stop()


async def test_bad_signature_is_rejected(slack_bot: SlackBot) -> None:
    headers = sign(b"something else", int(time.time()))
    status, _ = await slack_bot.post({"command": "/help", "text": ""}, headers=headers)
    assert status == 401
    assert not slack_bot.mock.responses


async def test_stale_timestamp_is_rejected(slack_bot: SlackBot) -> None:
    status, _ = await slack_bot.post(
        {"command": "/help", "text": ""}, timestamp=int(time.time()) - 6 * 60
    )
    assert status == 401


async def test_malformed_timestamp_is_rejected(slack_bot: SlackBot) -> None:
    status, _ = await slack_bot.post(
        {"command": "/help"}, headers={"X-Slack-Request-Timestamp": "soon"}
    )
    assert status == 401


async def test_slow_handler_is_acked_at_once_and_answers_via_response_url(
    slack_bot: SlackBot,
) -> None:
    DemoCog.gate = asyncio.Event()
    # The real window: Slack allows 3 s, the adapter acks by 2 s at the latest.
    slack_bot.adapter.ack_window = slack_adapter.ACK_WINDOW_SECONDS
    try:
        started = time.monotonic()
        status, body = await slack_bot.command("/demo", "slow")
        elapsed = time.monotonic() - started
        assert status == 200 and body == ""  # an empty ack: the handler is still blocked
        assert elapsed < 3.0
        assert not slack_bot.mock.responses
        DemoCog.gate.set()
        await slack_bot.mock.wait_for(lambda: slack_bot.mock.responses)
    finally:
        DemoCog.gate.set()
        DemoCog.gate = None
    response = slack_bot.mock.responses[0].params
    assert response["response_type"] == "in_channel"
    assert response["replace_original"] is False
    assert "done slowly" in texts(response)


async def test_button_click_is_routed_to_the_cog_action(slack_bot: SlackBot) -> None:
    _, body = await slack_bot.command("/demo", "echo mlops")
    (button,) = buttons(body)
    status, _ = await slack_bot.click(button)
    assert status == 200
    await slack_bot.mock.wait_for(lambda: slack_bot.mock.responses)
    answer = slack_bot.mock.responses[0]
    assert answer.method == "click"
    assert answer.params["response_type"] == "ephemeral"
    assert "again: mlops" in texts(answer.params)


async def test_without_response_url_replies_use_the_web_api(slack_bot: SlackBot) -> None:
    _, body = await slack_bot.command("/demo", "echo mlops")
    (button,) = buttons(body)
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": "U100", "username": "ana"},
        "channel": {"id": "C100"},
        "actions": [{"action_id": button["action_id"], "value": button["value"]}],
    }
    status, _ = await slack_bot.post({"payload": json.dumps(payload)})
    assert status == 200
    await slack_bot.mock.wait_for(lambda: slack_bot.mock.calls_to("chat.postEphemeral"))
    call = slack_bot.mock.calls_to("chat.postEphemeral")[0].params
    assert call["channel"] == "C100" and call["user"] == "U100"
    assert "again: mlops" in texts(call)


async def test_uninstall_event_is_acknowledged(slack_bot: SlackBot) -> None:
    event = {
        "type": "event_callback",
        "team_id": "T0001",
        "api_app_id": "A1",
        "event": {"type": "app_uninstalled"},
        "event_id": "Ev1",
        "event_time": 1700000000,
    }
    body = json.dumps(event).encode()
    headers = {**sign(body, int(time.time())), "Content-Type": "application/json"}
    async with slack_bot.session.post(slack_bot.events_url, data=body, headers=headers) as resp:
        assert resp.status == 200


async def test_url_verification_challenge(slack_bot: SlackBot) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc", "token": "t"}).encode()
    headers = {**sign(body, int(time.time())), "Content-Type": "application/json"}
    async with slack_bot.session.post(slack_bot.events_url, data=body, headers=headers) as resp:
        assert resp.status == 200
        assert (await resp.json())["challenge"] == "abc"


async def test_unknown_user_lookup_is_cached_as_member(slack_bot: SlackBot) -> None:
    for _ in range(2):
        _, body = await slack_bot.command("/demo", "purge", user="U999")
        assert "Only moderators" in texts(body)
    assert len(slack_bot.mock.calls_to("users.info")) == 1
