"""Secrets and tracebacks at start (issue 17 §5): a URL's password is never printed, and an
unexpected exception at start goes through the JSON logging and its redaction."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from bot.ops.logs import Redactor
from storage.database import DatabaseURLError, hide_url_passwords, to_async_url
from tests.ports import free_port
from tests.slack.mock_slack import SlackMock
from tests.system.process import BotProcess, mlebot_executable

PASSWORD = "Hunter2-not-for-logs"


@pytest.mark.parametrize(
    "url",
    [
        f"postgres ql://user:{PASSWORD}@db.example:5432/bot",
        f"mysql://user:{PASSWORD}@db.example/bot",
        f"postgresql://user:{PASSWORD}@@host/bot",
    ],
)
def test_database_url_errors_never_show_the_password(url: str) -> None:
    try:
        to_async_url(url)
    except DatabaseURLError as exc:
        message = str(exc)
    else:
        message = hide_url_passwords(f"reached {url}")
    assert PASSWORD not in message and "Hunter2" not in message
    assert "***" in message or "unsupported database" in message


def test_the_log_redactor_hides_url_passwords_and_keeps_the_rest() -> None:
    line = f"connect to postgresql://bot:{PASSWORD}@db:5432/x failed; see https://example.org/a"
    out = Redactor()(line)
    assert PASSWORD not in out
    assert "postgresql://bot:" in out and "@db:5432/x" in out and "https://example.org/a" in out


def test_a_malformed_database_url_is_one_line_without_the_password(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))},
        "DATABASE_URL": f"postgres ql://user:{PASSWORD}@db.example:5432/bot",
        "SLACK_BOT_TOKEN": "xoxb-secrets-test",
        "SLACK_SIGNING_SECRET": "secrets-test-signing",
    }
    done = subprocess.run(
        [*mlebot_executable(), "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "DATABASE_URL" in done.stderr
    assert PASSWORD not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


async def test_an_unexpected_error_at_start_is_logged_as_json_and_redacted(
    tmp_path: Path,
) -> None:
    mock = SlackMock()
    await mock.start()
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        bot = BotProcess(
            tmp_path,
            {
                "SLACK_BOT_TOKEN": "xoxb-secrets-test-token",
                "SLACK_SIGNING_SECRET": "secrets-test-signing",
                "SLACK_API_URL": mock.api_url,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
                "HTTP_PORT": str(taken.getsockname()[1]),  # in use: binding fails at start
            },
        )
        await bot.start()
        assert await bot.wait_exit() == 1
    finally:
        taken.close()
        await mock.stop()
    lines = [json.loads(line) for line in bot.log().splitlines() if line.strip()]  # all JSON
    (fatal,) = [r for r in lines if r["level"] == "critical"]
    assert "unexpected error" in fatal["msg"]
    assert "address already in use" in fatal["exc"].lower()
    assert "xoxb-secrets-test-token" not in bot.log()
    assert "secrets-test-signing" not in bot.log()


async def test_an_unreachable_platform_at_start_is_one_json_line_without_secrets(
    tmp_path: Path,
) -> None:
    """The issue's example: the platform unreachable at start. `mlebot run` stops with exit 2
    and one line naming the problem, written by the JSON logging (every line parses) with its
    redaction: the token does not show, though the message names the URL it is in."""
    port = free_port()  # nothing listens there
    bot = BotProcess(
        tmp_path,
        {
            "SLACK_BOT_TOKEN": "xoxb-1111-2222-secretsattest",
            "SLACK_SIGNING_SECRET": "secrets-test-signing",
            # The message names the URL: a secret in it stands for any that reaches a message.
            "SLACK_API_URL": f"http://127.0.0.1:{port}/xoxb-1111-2222-secretsattest/api/",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        },
    )
    await bot.start()
    assert await bot.wait_exit() == 2
    log = bot.log()
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]  # all JSON
    (stopped,) = [r for r in lines if r["level"] == "error" and "Slack" in r["msg"]]
    assert "SLACK_API_URL" in stopped["msg"] and "exc" not in stopped
    assert "127.0.0.1" in stopped["msg"] and "[redacted]" in stopped["msg"]
    assert "secretsattest" not in log and "Traceback" not in log
