"""Settings: defaults, validation errors naming the variable, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "DATABASE_URL",
        "DEFAULT_TIMEZONE",
        "LOG_LEVEL",
        "DISCORD_TOKEN",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "COGS",
    ):
        monkeypatch.delenv(var, raising=False)


def test_defaults() -> None:
    s = load_settings(None)
    assert s.database_url == "sqlite:///./data/mlebot.db"
    assert s.platforms() == []


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL: unsupported database 'mysql'"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "DEFAULT_TIMEZONE: 'Mars/Olympus' is not a time zone"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: Input should be"),
    ],
)
def test_invalid_value_names_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as info:
        load_settings(None)
    assert expected in str(info.value)


def test_env_file_and_secrets_hidden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("DISCORD_TOKEN=super-secret-token\nCOGS=help, resources\n")
    s = load_settings(env)
    assert s.platforms() == ["discord"]
    assert s.cogs == ["help", "resources"]
    assert "super-secret-token" not in repr(s)
    assert "super-secret-token" not in str(s.model_dump())


def test_slack_needs_a_mode() -> None:
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        load_settings(None, slack_bot_token="xoxb-1")


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("SLACK_API_URL", "http://u:hunter2@127.0.0.1:9/api/", "must not carry a user or password"),
        ("DISCORD_API_BASE_URL", "https://u:hunter2@h/api/v10", "must not carry a user or"),
        ("DISCORD_GATEWAY_URL", "wss://u:hunter2@h/", "must not carry a user or password"),
        ("SLACK_API_URL", "https://h/api/?team=T1", "must be a plain address without a query"),
        ("DISCORD_API_BASE_URL", "https:///api", "must be an http(s) URL"),
        ("DISCORD_GATEWAY_URL", "https://h/", "must be a ws(s) URL"),
    ],
)
def test_platform_urls_are_plain_addresses(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, expected: str
) -> None:
    """Credentials in a platform URL would clash with the bot's token (aiohttp refuses both at
    once, which used to stop `mlebot run` with a traceback): refused as a setting, and the
    password is not echoed."""
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as info:
        load_settings(None)
    assert f"{var}: {expected}" in str(info.value)
    assert "hunter2" not in str(info.value)


def test_a_gateway_query_is_allowed() -> None:
    """discord.py sets the gateway's query itself (version, encoding), so one given is harmless."""
    assert load_settings(None, discord_gateway_url="wss://h/?v=10").discord_gateway_url.endswith(
        "?v=10"
    )
