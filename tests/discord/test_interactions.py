"""Reading raw interaction payloads into actors, places and invocations."""

from __future__ import annotations

from bot.adapters.discord import interactions as ix
from bot.context import ChannelRef, RoleRef, UserRef


def guild_payload(permissions: int, roles: list[str] | None = None) -> dict[str, object]:
    return {
        "guild_id": "5",
        "channel_id": "10",
        "channel": {"id": "10", "name": "general", "type": 0},
        "member": {
            "user": {"id": "7", "username": "ana", "global_name": "Ana"},
            "nick": "Ana K",
            "roles": roles or [],
            "permissions": str(permissions),
        },
    }


def test_manage_server_or_administrator_makes_a_platform_admin() -> None:
    assert ix.actor(guild_payload(1 << 5)).is_platform_admin
    assert ix.actor(guild_payload(1 << 3)).is_platform_admin
    member = ix.actor(guild_payload((1 << 10) | (1 << 11), ["42"]))
    assert not member.is_platform_admin
    assert member.role_ids == frozenset({"42"})
    assert member.display_name == "Ana K" and member.user_id == "7"


def test_guild_and_dm_places() -> None:
    place = ix.place(guild_payload(0), "ML Learners")
    assert (place.community_id, place.community_name, place.channel_name) == (
        "5",
        "ML Learners",
        "general",
    )
    dm = ix.place({"channel_id": "99", "user": {"id": "7", "username": "ana"}})
    assert dm.is_dm and dm.community_id == "dm:7"
    assert not ix.actor({"user": {"id": "7", "username": "ana"}}).is_platform_admin


def test_command_target_walks_subcommands_and_resolves_references() -> None:
    data = {
        "name": "admin",
        "options": [
            {
                "name": "set",
                "type": 2,
                "options": [
                    {
                        "name": "who",
                        "type": 1,
                        "options": [
                            {"name": "user", "type": 6, "value": "7"},
                            {"name": "channel", "type": 7, "value": "10"},
                            {"name": "role", "type": 8, "value": "42"},
                            {"name": "n", "type": 4, "value": 3},
                        ],
                    }
                ],
            }
        ],
        "resolved": {
            "users": {"7": {"id": "7", "username": "ana"}},
            "channels": {"10": {"id": "10", "name": "general"}},
            "roles": {"42": {"id": "42", "name": "mods"}},
        },
    }
    path, values = ix.command_target(data)
    assert path == ("admin", "set", "who")
    assert values == {
        "user": UserRef("7", "ana"),
        "channel": ChannelRef("10", "general"),
        "role": RoleRef("42", "mods"),
        "n": 3,
    }


def test_focused_option() -> None:
    data = {
        "name": "demo",
        "options": [
            {
                "name": "topic",
                "type": 1,
                "options": [{"name": "topic", "type": 3, "value": "ml", "focused": True}],
            }
        ],
    }
    assert ix.focused_option(data) == ("topic", "ml")
    assert ix.focused_option({"name": "help"}) is None
