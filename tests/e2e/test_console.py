"""The console end to end: a real `mlebot console` subprocess fed on stdin."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.database import Database
from tests.ports import free_port


def run_console(
    tmp_path: Path,
    script: str,
    *args: str,
    env: dict[str, str] | None = None,
    database_url: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `mlebot console` on `script`; the database defaults to a SQLite file in tmp_path."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    full_env.update(
        {"DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'console.db'}", "COLUMNS": "100"}
    )
    full_env.update(env or {})
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.ops.cli",
            "--env-file",
            str(tmp_path / "none.env"),
            "console",
            *args,
        ],
        input=script,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        cwd=tmp_path,
    )


def test_help_lists_every_command_and_exits_zero(tmp_path: Path) -> None:
    from bot.app import Application  # noqa: F401  (import check only)

    result = run_console(tmp_path, "/help\n")
    assert result.returncode == 0, result.stderr
    assert "no Discord or Slack credentials" in result.stdout
    assert "/help — List every command, or explain one" in result.stdout


def test_blank_comment_meta_and_errors(tmp_path: Path) -> None:
    script = "\n# a comment\n/nonsense\n:as ana moderator\n/help help\n:bogus\n"
    result = run_console(tmp_path, script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "There is no command /nonsense" in out
    assert "You are now @ana (moderator)" in out
    assert "/help [command]" in out
    assert "Unknown meta command :bogus" in out
    assert "a comment" not in out


async def _rows(database_url: str, sql: str) -> list[tuple[object, ...]]:
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            return [tuple(r) for r in await conn.execute(sa.text(sql))]
    finally:
        await db.close()


async def test_community_persists_between_runs(tmp_path: Path, database_url: str) -> None:
    first = await asyncio.to_thread(run_console, tmp_path, "/help\n", database_url=database_url)
    assert first.returncode == 0, first.stderr
    assert await _rows(database_url, "select platform, external_id from communities") == [
        ("console", "console")
    ]
    assert await _rows(database_url, "select user_id from members") == [("you",)]
    second = await asyncio.to_thread(
        run_console, tmp_path, "/help\n", "--as", "bob", database_url=database_url
    )
    assert second.returncode == 0, second.stderr
    assert await _rows(database_url, "select count(*) from communities") == [(1,)]
    assert await _rows(database_url, "select count(*) from members") == [(2,)]


def test_run_without_credentials_or_terminal_fails_with_guidance(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", "--env-file", str(tmp_path / "none.env"), "run"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr and "SLACK_BOT_TOKEN" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"), [(["--version"], "mlebot "), (["db", "--help"], "upgrade")]
)
def test_cli_basics(tmp_path: Path, args: list[str], expected: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and expected in result.stdout


def test_an_unreachable_database_stops_start_with_what_to_check(tmp_path: Path) -> None:
    port = free_port()  # a loopback port nobody listens on
    result = run_console(
        tmp_path,
        "/help\n",
        env={"DATABASE_WAIT_SECONDS": "1"},
        database_url=f"postgresql://mlebot@127.0.0.1:{port}/mlebot",
    )
    assert result.returncode == 2, result.stderr
    assert f"Cannot reach the database at postgresql+asyncpg://mlebot@127.0.0.1:{port}" in (
        result.stderr
    )
    assert "Is the server running?" in result.stderr and "Traceback" not in result.stderr


def test_bad_setting_stops_start_with_its_name(tmp_path: Path) -> None:
    result = run_console(tmp_path, "/help\n", env={"DEFAULT_TIMEZONE": "Nowhere/Atlantis"})
    assert result.returncode == 2
    assert "DEFAULT_TIMEZONE" in result.stderr
