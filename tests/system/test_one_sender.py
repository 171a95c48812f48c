"""Two `mlebot run` processes on one SQLite file (issue 17 §1): the second stops with a message
naming the process that sends, before it touches a row; the first keeps running. A second run
after the first stopped cleanly starts (the lease was given back)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.slack.mock_slack import SlackMock
from tests.system.process import BotProcess


@pytest.fixture
async def mock() -> AsyncIterator[SlackMock]:
    slack = SlackMock()
    await slack.start()
    yield slack
    await slack.stop()


async def test_a_second_run_on_the_sqlite_file_stops_with_a_clear_message(
    mock: SlackMock, tmp_path: Path
) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-system-test",
        "SLACK_SIGNING_SECRET": "one-sender-secret",
        "SLACK_API_URL": mock.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
    }
    first = BotProcess(tmp_path, env, name="first")
    await first.start()
    try:
        await first.wait_ready()
        second = BotProcess(tmp_path, env, name="second")
        await second.start()
        assert await second.wait_exit() == 2
        log = second.log()
        assert "Traceback" not in log, log
        (line,) = [ln for ln in log.splitlines() if "already sending from" in ln]
        assert "one sending process per database file" in line
        assert "PostgreSQL" in line
        assert first.running
    finally:
        assert await first.stop() == 0, first.log()[-3000:]
    third = BotProcess(tmp_path, env, name="third")
    await third.start()
    try:
        await third.wait_ready()
    finally:
        assert await third.stop() == 0, third.log()[-3000:]
