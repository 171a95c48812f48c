"""The Slack app manifest follows the command declarations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.adapters.slack.manifest import BOT_SCOPES, build_manifest
from bot.commands.registry import Command as Cmd
from bot.commands.registry import CommandRegistry, Option, OptionType
from bot.ops.cli import main
from bot.ops.compose import build_application, declared_registry
from bot.settings import Settings


async def _noop(*args: object, **kwargs: object) -> None:
    return None


def registry() -> CommandRegistry:
    reg = CommandRegistry()
    reg.add(
        Cmd(("help",), "List every command", _noop, (Option("command", OptionType.STRING, "x"),))
    )
    reg.add(Cmd(("resource", "search"), "Search the catalog", _noop))
    reg.add(Cmd(("resource", "show"), "Show one resource", _noop))
    reg.describe_group("resource", "Look up learning resources")
    return reg


def test_http_mode_manifest_has_one_command_per_group_and_the_events_url() -> None:
    manifest = build_manifest(registry(), request_url="https://bot.example.org/")
    url = "https://bot.example.org/slack/events"
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/help", "/resource"}
    assert commands["/resource"]["description"] == "Look up learning resources"
    assert commands["/resource"]["usage_hint"] == "search | show …"
    assert commands["/help"]["usage_hint"] == "[command]"
    assert all(c["url"] == url and c["should_escape"] for c in commands.values())
    settings = manifest["settings"]
    assert settings["interactivity"] == {"is_enabled": True, "request_url": url}
    assert settings["event_subscriptions"]["request_url"] == url
    assert settings["socket_mode_enabled"] is False
    assert manifest["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)


def test_socket_mode_manifest_has_no_urls_and_a_prefix() -> None:
    manifest = build_manifest(registry(), request_url=None, prefix="ml-")
    assert "request_url" not in json.dumps(manifest) and '"url"' not in json.dumps(manifest)
    assert manifest["settings"]["socket_mode_enabled"] is True
    names = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert names == ["/ml-help", "/ml-resource"]


def test_cli_prints_yaml_for_the_installed_cogs(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--env-file", "/nonexistent", "slack", "manifest", "--url", "https://b.org"]) == 0
    manifest = yaml.safe_load(capsys.readouterr().out)
    names = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert "/help" in names
    assert manifest["settings"]["interactivity"]["request_url"] == "https://b.org/slack/events"


def test_cli_needs_a_url_or_socket_mode(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--env-file", "/nonexistent", "slack", "manifest"]) == 2
    assert "--url" in capsys.readouterr().err
    assert main(["--env-file", "/nonexistent", "slack", "manifest", "--socket", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["socket_mode_enabled"] is True


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (" mlebot", "space"),
        ("m" * 36, "36 characters; Slack allows at most 35"),
        ("ml\nbot", "line break"),
        ("mle\x00bot", "control character"),
        ("!!!", "letter or digit"),
    ],
)
def test_manifest_names_slack_refuses_are_refused_with_the_reason(
    name: str, problem: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match=problem):
        build_manifest(registry(), request_url=None, name=name)
    assert (
        main(["--env-file", "/nonexistent", "slack", "manifest", "--socket", "--name", name]) == 2
    )
    err = capsys.readouterr().err
    assert problem in err and err.count("\n") == 1


def test_a_35_character_name_with_spaces_is_fine() -> None:
    name = "ML Learners Study Buddy Bot 2026 ok"
    assert len(name) == 35
    manifest = build_manifest(registry(), request_url=None, name=name)
    assert manifest["display_information"]["name"] == name
    assert manifest["features"]["bot_user"]["display_name"] == name


async def test_the_manifest_declares_exactly_the_commands_the_running_bot_serves(
    settings: Settings, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'bot.db'}"})
    declared = await declared_registry(settings)
    assert not (tmp_path / "bot.db").exists()  # read without touching the database
    app = await build_application(settings, platforms=False, services=False)
    try:
        served = app.registry
        assert [c.path for c in declared.all()] == [c.path for c in served.all()]
        assert set(declared.actions) == set(served.actions)
        assert declared.group_descriptions == served.group_descriptions
    finally:
        await app.stop()
