"""Fixtures: a loopback Slack Web API mock and a running bot serving `/slack/events`."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.adapters.slack import EVENTS_PATH, SlackAdapter
from bot.app import Application
from bot.cog import Cog
from bot.ops.compose import Tuning, build_application
from bot.settings import Settings, load_settings
from bot.timing.clock import ManualClock
from cogs.help import HelpCog
from tests.slack.demo_cog import DemoCog
from tests.slack.mock_slack import SlackMock
from tests.slack.slack_rules import message_error

#: Refusals that mean the bot rendered something Slack rejects: always a bug in the bot.
RENDER_ERRORS = frozenset({"invalid_blocks", "msg_too_long", "no_text"})


def assert_rendered_validly(mock: SlackMock) -> None:
    bad = [r for r in mock.refusals if r.error in RENDER_ERRORS]
    assert not bad, f"Slack would refuse what the bot sent: {bad}"


SECRET = "test-signing-secret"


def sign(body: bytes, timestamp: int, secret: str = SECRET) -> dict[str, str]:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


@dataclass
class SlackBot:
    app: Application
    adapter: SlackAdapter
    mock: SlackMock
    session: aiohttp.ClientSession

    @property
    def events_url(self) -> str:
        assert self.app.http is not None
        return self.app.http.url + EVENTS_PATH

    async def post(
        self,
        form: dict[str, str],
        *,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        body = urlencode(form).encode()
        signed = sign(body, int(time.time()) if timestamp is None else timestamp)
        signed.update(headers or {})
        signed["Content-Type"] = "application/x-www-form-urlencoded"
        async with self.session.post(self.events_url, data=body, headers=signed) as resp:
            text = await resp.text()
            answer = json.loads(text) if text.startswith("{") else text
        if isinstance(answer, dict) and ("blocks" in answer or "text" in answer):
            # The ack body is a message too: Slack shows an error instead of an invalid one.
            refused = message_error(answer)
            assert refused is None, f"Slack would refuse this ack: {refused}"
        return resp.status, answer

    async def command(
        self, command: str, text: str = "", *, user: str = "U100", name: str = "ana", **extra: str
    ) -> tuple[int, Any]:
        form = {
            "token": "legacy",
            "team_id": self.mock.team_id,
            "team_domain": "testers",
            "channel_id": "C100",
            "channel_name": "general",
            "user_id": user,
            "user_name": name,
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "response_url": self.mock.response_url(),
            "trigger_id": "1.2.3",
            **extra,
        }
        return await self.post(form)

    async def click(self, button: dict[str, Any], *, user: str = "U100") -> tuple[int, Any]:
        payload = {
            "type": "block_actions",
            "team": {"id": self.mock.team_id, "domain": "testers"},
            "user": {"id": user, "username": "ana", "team_id": self.mock.team_id},
            "api_app_id": "A1",
            "channel": {"id": "C100", "name": "general"},
            "container": {"type": "message", "channel_id": "C100", "is_ephemeral": False},
            "response_url": self.mock.response_url("click"),
            "trigger_id": "1.2.3",
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": "b1",
                    "value": button["value"],
                    "action_ts": "1700000000.1",
                }
            ],
        }
        return await self.post({"payload": json.dumps(payload)})


@pytest.fixture
async def slack_mock() -> AsyncIterator[SlackMock]:
    mock = SlackMock()
    await mock.start()
    yield mock
    await mock.stop()
    assert_rendered_validly(mock)


@pytest.fixture
async def slack_bot(
    settings: Settings, clock: ManualClock, slack_mock: SlackMock
) -> AsyncIterator[SlackBot]:
    bot = await build_bot(settings, clock, slack_mock)
    yield bot
    await bot.session.close()
    await bot.app.stop()


async def build_bot(
    settings: Settings,
    clock: ManualClock,
    mock: SlackMock,
    cogs: Sequence[type[Cog]] = (HelpCog, DemoCog),
    **overrides: Any,
) -> SlackBot:
    s = load_settings(
        None,
        database_url=settings.database_url,
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=mock.api_url,
        http_port=0,
        **overrides,
    )
    # Wide ack window (Slack allows 3 s) so a loaded CI machine does not turn immediate replies
    # into response_url follow-ups; the slow-handler test sets the real window itself.
    app = await build_application(
        s, clock=clock, cog_classes=list(cogs), tuning=Tuning(slack_ack_window=2.5)
    )
    (adapter,) = app.adapters
    assert isinstance(adapter, SlackAdapter) and app.http is not None
    await app.http.start()
    await adapter.start()
    return SlackBot(app, adapter, mock, aiohttp.ClientSession())
