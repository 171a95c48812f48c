"""Slack settings: API URL, command prefix, configured moderators, and what the adapter needs."""

from __future__ import annotations

import pytest

from bot.adapters.slack import SlackAdapter
from bot.ops.compose import PlatformConfigError, build_application
from bot.settings import Settings, SettingsError, load_settings


def test_slack_settings_parse(settings: Settings) -> None:
    s = load_settings(
        None,
        slack_api_url="http://127.0.0.1:9/api",
        slack_command_prefix="/ml-",
        slack_moderators="U1, U2",
    )
    assert s.slack_api_url == "http://127.0.0.1:9/api/"
    assert s.slack_command_prefix == "ml-"
    assert s.slack_moderators == ["U1", "U2"]
    assert load_settings(None).slack_api_url == "https://slack.com/api/"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"slack_api_url": "slack.com/api"}, "SLACK_API_URL"),
        ({"slack_command_prefix": "ML!"}, "SLACK_COMMAND_PREFIX"),
    ],
)
def test_bad_slack_settings_name_the_variable(
    settings: Settings, override: dict[str, str], expected: str
) -> None:
    with pytest.raises(SettingsError, match=expected):
        load_settings(None, **override)


async def test_http_mode_needs_the_http_server_and_socket_mode_does_not(
    settings: Settings,
) -> None:
    def settings_with(**values: str | bool) -> Settings:
        s = load_settings(None, slack_bot_token="xoxb-1", http_enabled=False, **values)
        return s.model_copy(update={"database_url": settings.database_url})

    with pytest.raises(PlatformConfigError, match=r"Slack: .*HTTP_ENABLED"):
        await build_application(settings_with(slack_signing_secret="s"), cog_classes=[])
    app = await build_application(settings_with(slack_app_token="xapp-1"), cog_classes=[])
    try:
        (adapter,) = app.adapters
        assert isinstance(adapter, SlackAdapter)
        assert adapter.socket_mode and not adapter.http_mode
    finally:
        await app.stop()


def test_config_check_describes_the_slack_mode(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.ops.cli import main

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    monkeypatch.setenv("SLACK_COMMAND_PREFIX", "ml-")
    assert main(["--env-file", "/nonexistent", "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "slack: Socket Mode, commands /ml-<group>" in out
    assert "xoxb-1" not in out and "xapp-1" not in out


async def test_no_spurious_bolt_warning_when_the_token_comes_from_the_environment(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-env")
    s = load_settings(None, slack_app_token="xapp-1", database_url=settings.database_url)
    with caplog.at_level("WARNING"):
        app = await build_application(s, cog_classes=[], http=False)
    await app.stop()
    assert not [r for r in caplog.records if "token" in r.getMessage()]
