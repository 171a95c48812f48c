"""No module in bot/, cogs/ or storage/ (migrations excepted) is over 500 lines unless its
docstring says why, on a line starting "Longer than 500 lines:" followed by the reason."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "cogs", "storage")
LIMIT = 500
REASON = "Longer than 500 lines:"


def has_reason(source: str) -> bool:
    """Whether the module docstring has a line starting with REASON and giving one."""
    docstring = ast.get_docstring(ast.parse(source)) or ""
    return any(
        line.strip().startswith(REASON) and line.strip()[len(REASON) :].strip()
        for line in docstring.splitlines()
    )


def oversized(root: Path) -> list[str]:
    """Modules over LIMIT lines without a reason, as 'path (N lines)'."""
    found: list[str] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if "migrations" in relative.parts or ".venv" in relative.parts:
                continue
            source = path.read_text(encoding="utf-8")
            lines = len(source.splitlines())
            if lines > LIMIT and not has_reason(source):
                found.append(f"{relative.as_posix()} ({lines} lines)")
    return found


def test_long_modules_say_why_in_their_docstring() -> None:
    assert (ROOT / "bot" / "app.py").exists()  # the walk looks at the code
    bad = oversized(ROOT)
    assert not bad, (
        f"over {LIMIT} lines without a docstring line starting {REASON!r}: "
        + ", ".join(bad)
        + " - split the module by concept, or say why it is one"
    )


def _module(lines: int, docstring: str) -> str:
    return f'"""{docstring}"""\n' + "x = 1\n" * (lines - docstring.count("\n") - 1)


def test_the_check_names_each_long_module_without_a_reason(tmp_path: Path) -> None:
    for folder in ("bot/delivery", "cogs", "storage/migrations"):
        (tmp_path / folder).mkdir(parents=True)
    files = {
        "bot/delivery/long.py": _module(LIMIT + 1, "One concept.\n\nSize: said in prose.\n"),
        "bot/delivery/empty_reason.py": _module(LIMIT + 1, "Thing.\n\nLonger than 500 lines:\n"),
        "bot/delivery/said.py": _module(LIMIT + 40, "Thing.\n\nLonger than 500 lines: one.\n"),
        "bot/delivery/short.py": _module(LIMIT, "At the limit."),
        "cogs/big.py": "x = 1\n" * (LIMIT + 1),
        "storage/migrations/0001_big.py": "x = 1\n" * (LIMIT + 100),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert len((tmp_path / "bot/delivery/short.py").read_text().splitlines()) == LIMIT
    assert oversized(tmp_path) == [
        f"bot/delivery/empty_reason.py ({LIMIT + 1} lines)",
        f"bot/delivery/long.py ({LIMIT + 1} lines)",
        f"cogs/big.py ({LIMIT + 1} lines)",
    ]
