"""Data the bot ships: tips, resources and DSA problems, validated on load.

The files live beside this module, so they are found the same way whether the bot runs from a
source checkout, an installed wheel or the container image.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

CONTENT_DIR = Path(__file__).resolve().parent


def content_path(*parts: str) -> Path:
    """Absolute path of a shipped content file, e.g. `content_path("resources.yaml")`."""
    return CONTENT_DIR.joinpath(*parts)


class ContentError(ValueError):
    """A content file is invalid; the message names the file and the field."""

    def __init__(self, file: str | Path, where: str, problem: str) -> None:
        name = Path(file).name if isinstance(file, Path) else file
        super().__init__(f"{name}: {where}: {problem}")
        self.file = str(file)
        self.where = where
        self.problem = problem


def parse_review_date(file: str | Path, name: str, value: Any) -> dt.date:
    """A review date: an ISO date (YAML reads `2026-12-05` as a date; a quoted one is text too)."""
    if isinstance(value, dt.datetime):
        raise ContentError(file, name, "must be a date like 2026-12-05, without a time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ContentError(file, name, f"{value!r} must be a date like 2026-12-05")
