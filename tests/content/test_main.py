"""`python -m content`: the shipped counts and the freshness check in one command."""

from __future__ import annotations

import re

import pytest

from content.__main__ import main, summary


def test_summary_counts_meet_issue_20s_floor() -> None:
    lines = summary()
    counts = {line.split(":")[0]: int(re.findall(r"\d+", line)[0]) for line in lines}
    assert counts["tips"] >= 140
    assert counts["resources"] >= 230
    assert counts["problems"] >= 190
    tracks = re.search(r"algorithms (\d+), sql (\d+), ml-coding (\d+)", lines[2])
    assert tracks is not None
    assert sum(map(int, tracks.groups())) == counts["problems"]
    assert int(tracks.group(2)) >= 20 and int(tracks.group(3)) >= 8


def test_stale_content_is_listed_by_file_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["2030-01-01"]) == 1
    out = capsys.readouterr().out
    assert "freshness on 2030-01-01:" in out
    assert "content/tips/baseline-first.md (baseline-first): last reviewed" in out
    assert "content/resources.yaml (coursera): last reviewed" in out


@pytest.mark.parametrize("args", [["yesterday"], ["2026-01-01", "extra"], ["--help"]])
def test_bad_arguments_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert capsys.readouterr().err
