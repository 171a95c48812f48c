"""Socket Mode over a loopback websocket: envelopes in, acks (with replies) out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.app import Application
from bot.ops.compose import Tuning, build_application
from bot.settings import Settings, load_settings
from bot.timing.clock import ManualClock
from cogs.help import HelpCog
from tests.slack.demo_cog import DemoCog
from tests.slack.mock_slack import SlackMock
from tests.slack.test_http_mode import texts


@pytest.fixture
async def socket_bot(
    settings: Settings, clock: ManualClock, slack_mock: SlackMock
) -> AsyncIterator[Application]:
    s = load_settings(
        None,
        database_url=settings.database_url,
        slack_bot_token="xoxb-test",
        slack_app_token="xapp-test",
        slack_api_url=slack_mock.api_url,
    )
    # Wide ack window (Slack allows 3 s) so a loaded CI machine does not turn immediate replies
    # into response_url follow-ups.
    app = await build_application(
        s,
        clock=clock,
        cog_classes=[HelpCog, DemoCog],
        http=False,
        tuning=Tuning(slack_ack_window=2.5),
    )
    (adapter,) = app.adapters
    await adapter.start()
    yield app
    await app.stop()


def envelope(envelope_id: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "type": kind,
        "payload": payload,
        "accepts_response_payload": kind != "events_api",
    }


def command(text: str, *, command: str = "/demo") -> dict[str, Any]:
    return {
        "team_id": "T0001",
        "team_domain": "testers",
        "channel_id": "C100",
        "channel_name": "general",
        "user_id": "U100",
        "user_name": "ana",
        "command": command,
        "text": text,
        "response_url": "http://127.0.0.1:9/unused",
        "trigger_id": "1.2.3",
    }


async def test_socket_mode_connects_with_the_app_token(
    socket_bot: Application, slack_mock: SlackMock
) -> None:
    assert slack_mock.socket_tokens == ["Bearer xapp-test"]
    assert socket_bot.http is None, "no HTTP endpoint needed"
    (adapter,) = socket_bot.adapters
    assert adapter.is_connected()
    await slack_mock.stop()  # Slack goes away: readiness must say so
    for _ in range(200):
        if not adapter.is_connected():
            break
        await asyncio.sleep(0.05)
    assert not adapter.is_connected()


async def test_slash_command_over_the_socket(
    socket_bot: Application, slack_mock: SlackMock
) -> None:
    await slack_mock.push(envelope("e1", "slash_commands", command('echo "feature stores"')))
    await slack_mock.wait_for(lambda: slack_mock.socket_replies)
    reply = slack_mock.socket_replies[0]
    assert reply["envelope_id"] == "e1"
    assert reply["payload"]["response_type"] == "in_channel"
    assert "you said feature stores" in texts(reply["payload"])


async def test_parse_error_over_the_socket(socket_bot: Application, slack_mock: SlackMock) -> None:
    await slack_mock.push(envelope("e2", "slash_commands", command("nope")))
    await slack_mock.wait_for(lambda: slack_mock.socket_replies)
    assert "no subcommand `nope`" in texts(slack_mock.socket_replies[0]["payload"])


async def test_button_click_over_the_socket(socket_bot: Application, slack_mock: SlackMock) -> None:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001", "domain": "testers"},
        "user": {"id": "U100", "username": "ana"},
        "channel": {"id": "C100", "name": "general"},
        "response_url": slack_mock.response_url("sock"),
        "actions": [{"action_id": "demo-again:0", "value": "demo-again:mlops"}],
    }
    await slack_mock.push(envelope("e3", "interactive", payload))
    await slack_mock.wait_for(lambda: slack_mock.socket_replies and slack_mock.responses)
    assert slack_mock.socket_replies[0]["envelope_id"] == "e3"
    assert "again: mlops" in texts(slack_mock.responses[0].params)


async def test_http_endpoint_is_not_mounted_in_socket_only_mode(settings: Settings) -> None:
    # A socket-only bot must not expose an unauthenticated events endpoint.

    s = load_settings(
        None,
        database_url=settings.database_url,
        slack_bot_token="x",
        slack_app_token="y",
        http_port=0,
    )
    app = await build_application(s, cog_classes=[])
    assert app.http is not None
    await app.http.start()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(app.http.url + "/slack/events", data=json.dumps({})) as resp,
        ):
            assert resp.status in (404, 405)
    finally:
        await app.stop()
        await app.db.close()
