"""The import rule of docs/ARCHITECTURE.md, checked on the source (every import, at any depth,
including the ones under `if TYPE_CHECKING:` and inside functions).

- cogs never import a platform library (discord, slack) nor an adapter;
- adapters never import a cog nor storage (they get what they need through the core);
- storage imports nothing of the bot (the core, adapters, cogs): it sits at the bottom;
- nothing imports `bot.adapters` but the adapters themselves and the composition root
  (`bot.ops.compose`, which builds them, and the `mlebot` CLI in `bot.ops.cli`);
- the core (`bot` outside the adapters) never imports a cog;
- only the delivery service (`bot.delivery`) puts rows in the outbox: nothing else imports
  `storage.outbox.enqueue` / `enqueue_runs` (the bot queues through `app.delivery`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "cogs", "storage", "content")
COMPOSITION_ROOT = frozenset({"bot.ops.compose", "bot.ops.cli"})
PLATFORM_LIBRARIES = ("discord", "slack", "slack_bolt", "slack_sdk")
OUTBOX_WRITES = ("storage.outbox.enqueue", "storage.outbox.enqueue_runs")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, as dotted names (`from a.b import c` gives `a.b` and
    `a.b.c`, since `c` may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: use absolute imports"
            base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def sources() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if ".venv" in path.parts:
                continue
            found[module_name(path)] = imports_of(path)
    return found


def within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(graph: dict[str, set[str]]) -> list[str]:
    bad: list[str] = []
    for module, imported in sorted(graph.items()):
        for target in sorted(imported):
            if within(module, "cogs") and within(target, *PLATFORM_LIBRARIES, "bot.adapters"):
                bad.append(f"{module} -> {target}: cogs never import a platform or an adapter")
            if within(module, "bot.adapters") and within(target, "cogs", "storage"):
                bad.append(f"{module} -> {target}: adapters never import cogs or storage")
            if within(module, "storage") and within(target, "bot", "cogs"):
                bad.append(f"{module} -> {target}: storage never imports the bot or cogs")
            if (
                within(target, "bot.adapters")
                and not within(module, "bot.adapters")
                and module not in COMPOSITION_ROOT
            ):
                bad.append(f"{module} -> {target}: only the composition root imports adapters")
            if (
                within(module, "bot")
                and not within(module, "bot.adapters")
                and within(target, "cogs")
            ):
                bad.append(f"{module} -> {target}: the core never imports a cog")
            if target in OUTBOX_WRITES and not within(module, "bot.delivery", "storage"):
                bad.append(f"{module} -> {target}: queue through app.delivery (bot.delivery)")
    return bad


def test_the_source_keeps_the_import_rule() -> None:
    graph = sources()
    assert len(graph) > 100  # the walk found the code
    assert violations(graph) == []


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("cogs.digest.cog", "discord"),
        ("cogs.help", "slack_bolt.app"),
        ("cogs.resources.cog", "bot.adapters.console"),
        ("bot.adapters.discord.adapter", "storage.outbox"),
        ("bot.adapters.slack.adapter", "cogs.digest"),
        ("storage.outbox", "cogs.resources.cog"),
        ("storage.outbox", "bot.adapters.base"),
        ("storage.outbox", "bot.scheduling.jobs"),
        ("bot.app", "bot.adapters.base"),
        ("bot.ops.cli", "cogs.privacy"),
        ("cogs.resources.base", "storage.outbox.enqueue"),
        ("bot.app", "storage.outbox.enqueue_runs"),
    ],
)
def test_each_rule_catches_a_wrong_import(module: str, target: str) -> None:
    assert violations({module: {target}})


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("bot.ops.compose", "bot.adapters.console"),
        ("bot.adapters.discord.adapter", "bot.delivery.sender"),
        ("cogs.digest.cog", "storage.digest"),
        ("bot.delivery.engine", "storage.outbox"),
        ("bot.delivery.queueing", "storage.outbox.enqueue_runs"),
        ("cogs.delivery", "storage.outbox.community_filter"),
        ("bot.adapters.slack.adapter", "bot.adapters.base"),
    ],
)
def test_allowed_imports_pass(module: str, target: str) -> None:
    assert violations({module: {target}}) == []


def test_imports_under_type_checking_and_in_functions_count() -> None:
    assert "bot.app" in imports_of(ROOT / "bot" / "cog.py")  # under TYPE_CHECKING
    assert "bot.ops.compose" in imports_of(ROOT / "bot" / "ops" / "cli.py")  # in a function
