"""`mlebot run` on Slack (HTTP mode), as a separate process against the loopback Slack mock.

Configured only by environment (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL,
DATABASE_URL): every slash command of the generated manifest is answered, members get help and
search results, a moderator schedules and publishes a digest to a channel and by DM (one
member cannot be DMed), and the process stays up and stops cleanly.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from tests.slack.conftest import assert_rendered_validly
from tests.slack.mock_slack import SlackMock
from tests.slack.slack_rules import message_error
from tests.slack.test_http_mode import texts
from tests.system.process import BotProcess, mlebot_executable

SECRET = "system-test-signing-secret"
DIGEST_CHANNEL = "C0DIGEST"
MOD = ("UMOD", "mia")
OPEN = ("U0ANA", "ana")
DISABLED = ("U0BOB", "bob")
_keys = itertools.count(1)


@pytest.fixture
async def mock() -> AsyncIterator[SlackMock]:
    slack = SlackMock()
    slack.users[MOD[0]] = {"name": MOD[1], "is_admin": True}
    slack.disabled_users.add(DISABLED[0])
    await slack.start()
    yield slack
    await slack.stop()


class SlackUser:
    """Posts signed slash commands to the bot's events endpoint, as Slack does."""

    def __init__(self, bot: BotProcess, mock: SlackMock, session: aiohttp.ClientSession) -> None:
        self.bot, self.mock, self.session = bot, mock, session

    async def command(self, command: str, text: str = "", who: tuple[str, str] = OPEN) -> str:
        key = f"r{next(_keys)}"
        form = {
            "token": "legacy",
            "team_id": self.mock.team_id,
            "team_domain": "testers",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": who[0],
            "user_name": who[1],
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "response_url": self.mock.response_url(key),
            "trigger_id": "1.2.3",
        }
        body = urlencode(form).encode()
        stamp = str(int(time.time()))
        signature = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
        headers = {
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": "v0=" + signature.hexdigest(),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        async with self.session.post(
            self.bot.url + "/slack/events", data=body, headers=headers
        ) as resp:
            assert resp.status == 200, (command, text, resp.status, await resp.text())
            raw = await resp.text()
        ack = json.loads(raw) if raw.startswith("{") else None
        if isinstance(ack, dict) and ("blocks" in ack or "text" in ack):
            # The ack is a message too: Slack would show an error instead of an invalid one.
            assert message_error(ack) is None, (command, text, message_error(ack))
        answer = texts(ack) if ack is not None else ""
        if not answer:  # a slow command answers through its response_url
            await self.mock.wait_for(
                lambda: any(c.method == key for c in self.mock.responses), within=30
            )
            answer = "\n".join(
                texts(c.params) or str(c.params.get("text", ""))
                for c in self.mock.responses
                if c.method == key
            )
        assert answer.strip(), (command, text)
        assert "went wrong on my side" not in answer, answer
        return answer


def posts_to(mock: SlackMock, channel: str) -> list[dict[str, Any]]:
    return [
        c.params for c in mock.calls_to("chat.postMessage") if c.params.get("channel") == channel
    ]


async def manifest_commands(tmp_path: Path) -> list[str]:
    """The slash commands `mlebot slack manifest` generates, from a separate process."""
    proc = await asyncio.create_subprocess_exec(
        *mlebot_executable(),
        "slack",
        "manifest",
        "--url",
        "https://bot.example.org",
        "--json",
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    manifest = json.loads(out)
    return [c["command"] for c in manifest["features"]["slash_commands"]]


async def test_mlebot_run_on_slack_end_to_end(mock: SlackMock, tmp_path: Path) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-system-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": mock.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
    }
    commands = await manifest_commands(tmp_path)
    assert {"/help", "/resource", "/digest", "/schedule", "/dsa"} <= set(commands)
    bot = BotProcess(tmp_path, env)
    await bot.start()
    try:
        await bot.wait_ready()
        async with aiohttp.ClientSession() as session:
            slack = SlackUser(bot, mock, session)
            for command in commands:  # every manifest command is answered
                await slack.command(command)
            assert "What you can do" in await slack.command("/help")
            assert "mlops" in (await slack.command("/resource", "search mlops")).lower()

            scheduled = await slack.command(
                "/schedule", f"digest <#{DIGEST_CHANNEL}|digest> mon 09:00", who=MOD
            )
            assert "09:00" in scheduled, scheduled
            for member in (OPEN, DISABLED):
                assert "subscribed" in (await slack.command("/digest", "subscribe", member)).lower()
            published = await slack.command("/digest", "publish-now", who=MOD)
            assert "#1" in published, published

            await mock.wait_for(
                lambda: (
                    bool(posts_to(mock, DIGEST_CHANNEL))
                    and any("Issue #1" in json.dumps(p) for p in posts_to(mock, "D" + OPEN[0]))
                ),
                within=30,
            )
            (post,) = posts_to(mock, DIGEST_CHANNEL)
            dms = [p for p in posts_to(mock, "D" + OPEN[0]) if "Issue #1" in json.dumps(p)]
            assert len(dms) == 1
            for message in (post, dms[0]):
                assert "https://leetcode.com/problems/" in json.dumps(message)
            assert not posts_to(mock, "D" + DISABLED[0])
            # ... because Slack refused the DM (user_disabled), not because nobody tried.
            assert any(
                c.params.get("users") == DISABLED[0] for c in mock.calls_to("conversations.open")
            )
            assert "What you can do" in await slack.command("/help")
            assert bot.running
        # Nothing the bot posted (replies, the digest, DMs) was refused as invalid Block Kit.
        assert_rendered_validly(mock)
    finally:
        code = await bot.stop()
    assert code == 0, bot.log()[-3000:]
