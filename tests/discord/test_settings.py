"""Discord settings: guild ids, REST base and gateway URLs, applied to discord.py."""

from __future__ import annotations

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord import apply_endpoints
from bot.settings import SettingsError, load_settings


def test_defaults_point_at_discord() -> None:
    s = load_settings(None)
    assert s.discord_api_base_url == "https://discord.com/api/v10"
    assert s.discord_gateway_url == "wss://gateway.discord.gg/"
    assert s.discord_guild_ids == []


def test_guild_ids_and_loopback_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_GUILD_IDS", "123, 456")
    monkeypatch.setenv("DISCORD_API_BASE_URL", "http://127.0.0.1:9000/api/v10/")
    monkeypatch.setenv("DISCORD_GATEWAY_URL", "ws://127.0.0.1:9000/gateway")
    s = load_settings(None)
    assert s.discord_guild_ids == [123, 456]
    assert s.discord_api_base_url == "http://127.0.0.1:9000/api/v10"
    apply_endpoints(s.discord_api_base_url, s.discord_gateway_url)
    assert Route("GET", "/users/@me").url == "http://127.0.0.1:9000/api/v10/users/@me"
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:9000/gateway"


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("DISCORD_GUILD_IDS", "123,abc", "DISCORD_GUILD_IDS"),
        ("DISCORD_API_BASE_URL", "discord.com/api", "DISCORD_API_BASE_URL"),
        ("DISCORD_GATEWAY_URL", "https://gateway.discord.gg", "DISCORD_GATEWAY_URL"),
    ],
)
def test_invalid_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError, match=expected):
        load_settings(None)
