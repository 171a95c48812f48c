"""Data the bot ships: tips, resources and DSA problems, validated on load.

The files live beside this module, so they are found the same way whether the bot runs from a
source checkout, an installed wheel or the container image.
"""

from __future__ import annotations

from pathlib import Path

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
