"""`mlebot run` that cannot reach its platform: one line naming the problem, exit code 2."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.emulators.discord import DiscordEmulator
from tests.slack.mock_slack import SlackMock
from tests.system.process import BotProcess, free_port


@pytest.fixture
async def emulator() -> AsyncIterator[DiscordEmulator]:
    emu = DiscordEmulator()
    await emu.start()
    yield emu
    await emu.close()


def assert_one_clear_line(bot: BotProcess, *wanted: str) -> None:
    log = bot.log()
    assert "Traceback" not in log, log
    lines = [line for line in log.splitlines() if all(w in line for w in wanted)]
    assert lines, log
    assert len(lines[-1]) < 400  # one line a person reads, not a dump


async def test_a_refused_discord_token_exits_2(emulator: DiscordEmulator, tmp_path: Path) -> None:
    bot = BotProcess(
        tmp_path,
        {
            "DISCORD_TOKEN": "not-the-token",
            "DISCORD_API_BASE_URL": emulator.api_url,
            "DISCORD_GATEWAY_URL": emulator.gateway_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        },
    )
    await bot.start()
    assert await bot.wait_exit() == 2
    assert_one_clear_line(bot, "refused the bot token", "DISCORD_TOKEN")
    # One attempt, not a loop of invalid requests (Discord bans IPs that send too many).
    assert len([c for c in emulator.calls if c.path == "/users/@me"]) == 1


async def test_an_unreachable_discord_api_exits_2(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/v10"
    bot = BotProcess(
        tmp_path,
        {
            "DISCORD_TOKEN": "token",
            "DISCORD_API_BASE_URL": closed,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        },
    )
    await bot.start()
    assert await bot.wait_exit() == 2
    assert_one_clear_line(bot, "cannot reach the Discord API", "DISCORD_API_BASE_URL")


async def test_slack_refused_token_and_unreachable_api_exit_2(tmp_path: Path) -> None:
    mock = SlackMock()
    await mock.start()
    try:
        mock.fail("auth.test", error="token_revoked")
        env = {
            "SLACK_BOT_TOKEN": "xoxb-revoked",
            "SLACK_SIGNING_SECRET": "secret",
            "SLACK_API_URL": mock.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        }
        refused = BotProcess(tmp_path, env, name="refused")
        await refused.start()
        assert await refused.wait_exit() == 2
        assert_one_clear_line(refused, "token_revoked", "SLACK_BOT_TOKEN")
    finally:
        await mock.stop()
    env["SLACK_API_URL"] = f"http://127.0.0.1:{free_port()}/api/"
    unreachable = BotProcess(tmp_path, env, name="unreachable")
    await unreachable.start()
    assert await unreachable.wait_exit() == 2
    assert_one_clear_line(unreachable, "cannot reach the Slack API", "SLACK_API_URL")
