"""MIN_ISSUE_GAP: a community gets at most one digest issue per 20 hours unless a moderator
confirms. The one rule behind a scheduled slot that is skipped, `/schedule run-now` and
`/digest publish-now` refusing, and `/schedule digest` refusing a close pair of schedules."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.commands.errors import UsageError
from storage.digest import StoredIssue

#: Two digest issues closer than this need a moderator's confirmation (a daily digest is fine:
#: 20 hours, not 24, so a slot moved an hour by daylight saving still publishes).
MIN_ISSUE_GAP = timedelta(hours=20)


def too_soon_after(latest: StoredIssue | None, when: datetime) -> timedelta | None:
    """How long before `when` the latest issue went out, if that is within MIN_ISSUE_GAP."""
    if latest is None:
        return None
    gap = when - latest.published_at
    return gap if gap < MIN_ISSUE_GAP else None


def ago(delta: timedelta) -> str:
    """`5 minutes ago`, `3 hours ago`."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} minute{'' if minutes == 1 else 's'} ago"
    hours = minutes // 60
    return f"{hours} hour{'' if hours == 1 else 's'} ago"


def refuse_if_too_soon(latest: StoredIssue | None, now: datetime, *, hint: str) -> None:
    """Raise a UsageError (with `hint`: how to confirm) when an issue now would be too soon."""
    gap = too_soon_after(latest, now)
    if latest is None or gap is None:
        return
    raise UsageError(
        f"Issue #{latest.number} went out {ago(gap)}; another one now would reach "
        "subscribers twice within 20 hours.",
        hint=hint,
    )
