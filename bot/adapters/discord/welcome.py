"""The short setup guide the bot posts when it joins a server (or DMs to the owner)."""

from __future__ import annotations

from bot.commands.registry import CommandRegistry, Permission
from bot.messages import Message

#: The first steps a moderator usually takes, shown first when those commands are installed.
FIRST_STEPS = (
    ("settings", "timezone"),
    ("schedule", "digest"),
    ("schedule", "dsa"),
    ("settings", "moderator-role"),
)
MAX_STEPS = 8


def setup_guide(registry: CommandRegistry, community_name: str) -> Message:
    """Built from the installed commands, so it never names a command the bot lacks."""
    moderator = [c for c in registry.all() if c.permission is Permission.MODERATOR]
    first = [registry.get(path) for path in FIRST_STEPS]
    ordered = [c for c in first if c is not None]
    ordered += [c for c in moderator if c not in ordered]
    lines = [f"- `/{c.name}` — {c.description}" for c in ordered[:MAX_STEPS]]
    body = (
        "I share weekly ML engineering tips, look up learning resources and help people keep a "
        "DSA practice habit.\n\n"
    )
    if lines:
        body += "**Setting up (members with Manage Server):**\n" + "\n".join(lines) + "\n\n"
    body += "Everyone can type `/help` to see every command."
    return Message(
        title=f"Thanks for adding mlebot to {community_name}!"[:256],
        body=body,
        footer="Give a role moderator rights with /settings moderator-role."
        if registry.get(("settings", "moderator-role"))
        else None,
    )
