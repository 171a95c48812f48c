"""Discord sharding settings (DISCORD_SHARD_COUNT, DISCORD_SHARD_IDS) and the per-process share
of the global REST limit (DISCORD_GLOBAL_RATE_SHARE)."""

from __future__ import annotations

import discord
import pytest

from bot.adapters.discord import make_client
from bot.adapters.discord.sender import delivery_limits as discord_limits
from bot.adapters.slack.sender import delivery_limits as slack_limits
from bot.settings import SettingsError, load_settings


def test_unsharded_by_default() -> None:
    s = load_settings(None)
    assert s.discord_shards() == (None, None)
    client = make_client(s)
    assert type(client) is discord.Client


def test_shard_ids_of_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "4")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "3, 2")
    s = load_settings(None)
    assert s.discord_shards() == (4, [2, 3])
    client = make_client(s)
    assert isinstance(client, discord.AutoShardedClient)
    assert client.shard_count == 4
    assert client.shard_ids == [2, 3]


def test_count_without_ids_runs_every_shard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "3")
    s = load_settings(None)
    assert s.discord_shards() == (3, [0, 1, 2])
    client = make_client(s)
    assert isinstance(client, discord.AutoShardedClient)
    assert client.shard_ids == [0, 1, 2]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DISCORD_SHARD_IDS": "0,1"}, "DISCORD_SHARD_IDS is set but DISCORD_SHARD_COUNT"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "1,2"}, "DISCORD_SHARD_IDS: 2 out of"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0,x"}, "DISCORD_SHARD_IDS"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "1,1"}, "DISCORD_SHARD_IDS"),
        ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT"),
        ({"DISCORD_SHARD_COUNT": "two"}, "DISCORD_SHARD_COUNT"),
        ({"DISCORD_GLOBAL_RATE_SHARE": "0"}, "DISCORD_GLOBAL_RATE_SHARE"),
        ({"DISCORD_GLOBAL_RATE_SHARE": "1.5"}, "DISCORD_GLOBAL_RATE_SHARE"),
    ],
)
def test_invalid_shard_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError, match=expected):
        load_settings(None)


def test_global_rate_share_scales_the_discord_bucket_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_GLOBAL_RATE_SHARE", "0.25")
    s = load_settings(None, delivery_discord_rate=48.0, delivery_slack_rate=10.0)
    assert discord_limits(s).rate == 12.0
    assert slack_limits(s).rate == 10.0
    # The per-channel limit is not shared: a channel belongs to one guild, hence one process.
    assert discord_limits(s).route_rate == s.delivery_discord_route_rate


def test_blank_shard_settings_as_in_env_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "")
    assert load_settings(None).discord_shards() == (None, None)
