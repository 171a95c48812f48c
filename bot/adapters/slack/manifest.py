"""The Slack app manifest, generated from the command declarations.

Paste the output of `mlebot slack manifest` into "Create New App -> From an app manifest" and the
app gets one slash command per command group, the scopes the bot uses, interactivity for buttons,
and the events it listens to.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from bot.adapters.slack.naming import EVENTS_PATH, slash_commands
from bot.commands.registry import CommandRegistry

#: What the bot token needs: slash commands, posting (also to public channels it has not
#: joined), opening DMs, uploading files (a /privacy export), and reading users for the
#: admin/owner check.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "files:write",
    "users:read",
)
#: Events the adapter handles (it logs an uninstall or a revoked token).
BOT_EVENTS = ("app_uninstalled", "tokens_revoked")
MAX_DESCRIPTION = 100
MAX_USAGE_HINT = 100


def events_url(base_url: str) -> str:
    """`https://bot.example.org` -> `https://bot.example.org/slack/events`."""
    base = base_url.rstrip("/")
    return base if base.endswith(EVENTS_PATH) else base + EVENTS_PATH


def _usage_hint(registry: CommandRegistry, group: str) -> str:
    children = registry.children((group,))
    if children:
        hint = " | ".join(children) + " …"
    else:
        command = registry.get((group,))
        hint = " ".join(command.usage().split()[1:]) if command else ""
    return hint if len(hint) <= MAX_USAGE_HINT else hint[: MAX_USAGE_HINT - 1] + "…"


def _description(registry: CommandRegistry, group: str) -> str:
    text = registry.group_descriptions.get(group)
    if not text:
        command = registry.get((group,))
        text = command.description if command else f"{group} commands"
    return text[:MAX_DESCRIPTION]


#: Manifest limits (Slack's manifest JSON schema, slackapi/manifest-schema,
#: schemas/manifest.schema.1.0.0.json): display_information.name 1-35 characters,
#: features.bot_user.display_name 1-80 characters. The bot's display name is the app name here.
MAX_APP_NAME = 35
MAX_BOT_DISPLAY_NAME = 80


def manifest_name_problem(name: str) -> str | None:
    """Why Slack would refuse `name` as the app and bot display name, or None."""
    if not name.strip():
        return "the app name is empty"
    if name != name.strip():
        return "the app name starts or ends with a space"
    if len(name) > MAX_APP_NAME:
        return f"the app name is {len(name)} characters; Slack allows at most {MAX_APP_NAME}"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        return "the app name contains a control character or a line break"
    if not any(ch.isalnum() for ch in name):
        return "the app name needs at least one letter or digit"
    return None


def build_manifest(
    registry: CommandRegistry,
    *,
    request_url: str | None,
    name: str = "mlebot",
    prefix: str = "",
) -> dict[str, Any]:
    """The manifest as a dict. `request_url=None` means Socket Mode (no public endpoint).

    Raises ValueError when Slack would refuse `name` (see `manifest_name_problem`).
    """
    problem = manifest_name_problem(name)
    if problem is not None:
        raise ValueError(problem)
    socket_mode = request_url is None
    url = None if request_url is None else events_url(request_url)
    commands: list[dict[str, Any]] = []
    for slash, group in slash_commands(registry, prefix).items():
        entry: dict[str, Any] = {"command": slash, "description": _description(registry, group)}
        if url is not None:
            entry["url"] = url
        hint = _usage_hint(registry, group)
        if hint:
            entry["usage_hint"] = hint
        entry["should_escape"] = True  # mentions arrive as <@U123|name>, <#C123|general>
        commands.append(entry)
    interactivity: dict[str, Any] = {"is_enabled": True}
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    if url is not None:
        interactivity["request_url"] = url
        events = {"request_url": url, **events}
    return {
        "display_information": {
            "name": name,
            "description": "Weekly ML engineering tips, resource lookups and DSA practice.",
            "background_color": "#1f3a5f",
        },
        "features": {
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }
