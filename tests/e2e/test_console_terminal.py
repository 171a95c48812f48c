"""The console on a real terminal (tmux) and on a pipe: line editing, history kept between
runs, posts printed above the input line, control characters never echoed, link targets shown.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.adapters.console_render import printable
from bot.messages import Message
from tests.conftest import AppFactory
from tests.e2e.test_console import run_console
from tests.schedules.support import ConsoleSession

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    """`mlebot console` in a detached tmux pane: type keys, read the screen."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.socket = f"mlebot-test-{uuid.uuid4().hex[:8]}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
        env.update(
            {
                "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}",
                "CONSOLE_HISTORY_FILE": str(tmp_path / "data" / "console_history"),
                "TERM": "xterm-256color",
            }
        )
        cli = [sys.executable, "-m", "bot.ops.cli", "--env-file", str(tmp_path / "none.env")]
        command = " ".join([*cli, "console", *args])
        self.env = env
        session = ["new-session", "-d", "-x", "120", "-y", "60", "-c", str(tmp_path)]
        subprocess.run(
            ["tmux", "-L", self.socket, *session, f"{command}; sleep 600"], check=True, env=env
        )

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "-L", self.socket, "send-keys", *keys], check=True)

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, "capture-pane", "-p"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def wait_for(self, text: str, *, count: int = 1, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if screen.count(text) >= count:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen:\n{screen}")
            time.sleep(0.3)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], check=False)


def terminal(tmp_path: Path, *args: str) -> Iterator[Terminal]:
    term = Terminal(tmp_path, *args)
    try:
        yield term
    finally:
        term.close()


@needs_tmux
def test_arrow_keys_edit_and_history_survives_a_restart(tmp_path: Path) -> None:
    for term in terminal(tmp_path):
        term.wait_for("you#general>")
        term.keys("/hlp helpx", "BSpace", "Home", "Right", "Right", "e", "Enter")
        term.wait_for("/help [command]")
        term.keys("C-d")
        deadline = time.monotonic() + 60
        history = tmp_path / "data" / "console_history"
        while "/help help" not in (history.read_text() if history.exists() else ""):
            assert time.monotonic() < deadline, "the typed line never reached the history file"
            time.sleep(0.3)
    for term in terminal(tmp_path):
        term.wait_for("you#general>")
        # prompt_toolkit loads the history file in the background once the prompt is up: an Up
        # pressed before that finds nothing, so press it until the kept line is shown.
        deadline = time.monotonic() + 60
        while "you#general> /help help" not in term.screen():
            assert time.monotonic() < deadline, "Up never brought back the kept line"
            term.keys("Up")
            time.sleep(0.5)
        term.keys("Enter")
        screen = term.wait_for("/help [command]")
        assert "you#general> /help help" in screen
        assert "^[[A" not in screen and "[A" not in screen
        assert "There is no command" not in screen


@needs_tmux
def test_a_post_arriving_while_typing_is_printed_above_the_prompt(tmp_path: Path) -> None:
    for term in terminal(tmp_path, "--moderator"):
        term.wait_for("you#general>")
        term.keys("/schedule dsa #general 09:00", "Enter")
        term.wait_for("Next run", timeout=60)
        # the post arrives after the reply, while the next line is being typed
        term.keys("/schedule run-now dsa", "Enter", "/hel")
        screen = term.wait_for("[#general] DSA problems of the day")
        screen = term.wait_for("Solved one?")
        lines = [line for line in screen.splitlines() if line.strip()]
        assert lines[-1].rstrip() == "you#general> /hel", screen
        post_at = next(i for i, line in enumerate(lines) if "[#general] DSA problems" in line)
        assert post_at < len(lines) - 1


def test_control_characters_are_never_echoed_and_links_keep_their_targets(
    tmp_path: Path,
) -> None:
    result = run_console(tmp_path, "/help \x1b[Ahelp\x07\n/nonsense\x1b[B\x08\n")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\x08" not in result.stdout
    assert "> /help help" in result.stdout
    assert "There is no command /nonsense." in result.stdout


async def test_links_print_their_address_when_output_is_not_a_terminal(
    make_app: AppFactory,
) -> None:
    app = await make_app([])
    session = ConsoleSession(app)
    session.adapter.show(
        Message(
            title="DSA problem of the week",
            body="[Majority Element](https://leetcode.com/problems/majority-element/) \x1b]0;x\x07",
        )
    )
    out = session.new_output()
    assert "Majority Element (https://leetcode.com/problems/majority-element/)" in out
    assert "\x1b" not in out and "\x07" not in out


def test_printable_drops_escape_sequences_and_controls() -> None:
    assert printable(
        "a\x1b[31mred\x1b[0m\x1b]8;;http://x\x1b\\b\x00\x7f\x9b", keep_newlines=True
    ) == ("aredb")
    assert printable("one\ntwo\tthree", keep_newlines=False) == "one two three"
    assert printable("one\ntwo") == "one\ntwo"
