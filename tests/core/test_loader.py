"""Cog discovery through the `mlebot.cogs` entry-point group."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

from bot import loader
from bot.cog import Cog, command
from bot.commands.context import Context
from cogs.help import HelpCog
from tests.conftest import AppFactory


class ThirdPartyCog(Cog):
    name = "thirdparty"

    @command("hello", "Say hello")
    async def hello(self, ctx: Context) -> None:
        await ctx.reply("hi")


def _fake_entry_points(extra: list[EntryPoint]) -> Any:
    real = loader.entry_points  # type: ignore[attr-defined]

    def fake(group: str) -> list[EntryPoint]:
        return [*real(group=group), *extra]

    return fake


def test_installed_cogs_are_discovered() -> None:
    assert loader.discover_cogs()["help"] is HelpCog


def test_third_party_cog_via_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = EntryPoint(
        name="thirdparty", value=f"{__name__}:ThirdPartyCog", group=loader.ENTRY_POINT_GROUP
    )
    monkeypatch.setattr(loader, "entry_points", _fake_entry_points([ep]))
    assert loader.load_cog_classes(["thirdparty"], []) == [ThirdPartyCog]
    assert ThirdPartyCog in loader.load_cog_classes([], ["help"])


def test_unknown_or_broken_cogs_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(loader.CogLoadError, match="unknown cog"):
        loader.load_cog_classes(["nope"], [])
    bad = EntryPoint(name="bad", value="no_such_module:Cog", group=loader.ENTRY_POINT_GROUP)
    monkeypatch.setattr(loader, "entry_points", _fake_entry_points([bad]))
    with pytest.raises(loader.CogLoadError, match="failed to import"):
        loader.discover_cogs()


async def test_help_lists_declared_commands(make_app: AppFactory) -> None:
    from tests.helpers import RecordingResponder, invocation

    app = await make_app([HelpCog, ThirdPartyCog])
    responder = RecordingResponder()
    await app.dispatcher.dispatch(invocation("help"), responder)
    text = responder.text()
    assert "`/hello` — Say hello" in text and "`/help` — List every command" in text
    await app.dispatcher.dispatch(invocation("help", {"command": "hello"}), responder)
    assert "/hello" in (responder.last.title or "")
