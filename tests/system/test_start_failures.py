"""`mlebot run` that cannot reach its platform: one line naming the problem, exit code 2."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.emulators.discord import DiscordEmulator
from tests.ports import free_port
from tests.slack.mock_slack import SlackMock
from tests.system.process import BotProcess


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


async def test_an_unreachable_discord_gateway_exits_2(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    bot = BotProcess(
        tmp_path,
        {
            "DISCORD_TOKEN": emulator.token,
            "DISCORD_API_BASE_URL": emulator.api_url,
            "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{free_port()}",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        },
    )
    await bot.start()
    assert await bot.wait_exit() == 2
    assert_one_clear_line(
        bot, "cannot reach the Discord gateway", "connection refused", "DISCORD_GATEWAY_URL"
    )


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


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
        ],
        capture_output=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    return cert, key


@pytest.fixture
async def tls_server(certificate: tuple[Path, Path]) -> AsyncIterator[str]:
    """An https origin on loopback whose self-signed certificate nobody trusts."""
    cert, key = certificate
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    yield f"https://127.0.0.1:{port}"
    server.close()
    await server.wait_closed()


async def test_an_untrusted_tls_certificate_exits_2_on_both_platforms(
    tls_server: str, tmp_path: Path
) -> None:
    discord = BotProcess(
        tmp_path,
        {
            "DISCORD_TOKEN": "token",
            "DISCORD_API_BASE_URL": f"{tls_server}/api/v10",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'discord.db'}",
        },
        name="discord",
    )
    slack = BotProcess(
        tmp_path,
        {
            "SLACK_BOT_TOKEN": "xoxb-token",
            "SLACK_SIGNING_SECRET": "secret",
            "SLACK_API_URL": f"{tls_server}/api/",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'slack.db'}",
        },
        name="slack",
    )
    await asyncio.gather(discord.start(), slack.start())
    assert await discord.wait_exit() == 2
    assert await slack.wait_exit() == 2
    assert_one_clear_line(discord, "cannot reach the Discord API", "TLS", "DISCORD_API_BASE_URL")
    assert_one_clear_line(slack, "cannot reach the Slack API", "TLS", "SLACK_API_URL")


async def test_a_refused_slack_app_token_exits_2(tmp_path: Path) -> None:
    mock = SlackMock()
    await mock.start()
    try:
        mock.fail("apps.connections.open", error="invalid_auth")
        bot = BotProcess(
            tmp_path,
            {
                "SLACK_BOT_TOKEN": "xoxb-token",
                "SLACK_APP_TOKEN": "xapp-wrong",
                "SLACK_API_URL": mock.api_url,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            },
        )
        await bot.start()
        assert await bot.wait_exit() == 2
    finally:
        await mock.stop()
    assert_one_clear_line(bot, "refused the app-level token", "invalid_auth", "SLACK_APP_TOKEN")
