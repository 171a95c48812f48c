"""Typing commands in the console: apostrophes, unknown option names, missing arguments."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_console import run_console


def test_typing_mistakes_are_named_through_the_console(tmp_path: Path) -> None:
    script = "\n".join(
        [
            ":as ana moderator",
            "/resource search o'reilly",
            "/resource search pytorch foo:bar",
            "/settings timezone tz:Europe/Paris",
            "/schedule digest mon 09:00",
            "what is mlops?",
            "",
        ]
    )
    result = run_console(tmp_path, script)
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.replace("│", " ").split())  # boxes wrap long lines
    assert "never closed" not in out
    assert "/resource search has no option foo. Its options: query, type, topic," in out
    assert "/settings timezone has no option tz. Its options: zone." in out
    assert "channel is missing (Where to post)" in out
    assert "is not a weekday" not in out
    assert "To search the library, type /resource search what is mlops" in out
    assert "There is no command /what" not in out
