"""The recipient key: how the outbox and the undeliverable list name one recipient.

`platform:kind:target_id` (kind is `channel` or `dm`), unique per recipient within a run. The one
place that writes or reads the format; `bot.scheduling.jobs.Destination.recipient_key` uses it.
"""

from __future__ import annotations


def recipient_key(platform: str, kind: str, target_id: str) -> str:
    return f"{platform}:{kind}:{target_id}"


def recipient_kind(key: str) -> str:
    """The kind part of a key (`dm`, `channel`), or "" for a key in another format."""
    parts = key.split(":", 2)
    return parts[1] if len(parts) == 3 else ""
