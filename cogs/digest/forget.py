"""Removing a member from the issues already stored (privacy deletion).

A stored issue is the message as it was posted; it can name members in two places: the
channel-mention subscribers ("For our subscribers: @ana, @bob") and the streaks figure
("Longest streaks this week: @ana: 3 days"; "Best streaks: ana (3 d)" before issue 18). When a
member deletes their data, their name leaves those lines in every stored issue of every
community they were a member of; a line left empty is dropped.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from bot.privacy import PrivacySubject
from cogs.digest.render import SUBSCRIBERS_FIELD
from storage.communities import communities, members
from storage.database import Database
from storage.digest import digest_issues, digest_subscriptions

STREAK_FIELDS = ("Longest streaks this week", "Best streaks")


def without_names(value: str, names: set[str]) -> str:
    """`value` (a ", "-separated list of names) without the items naming one of `names`."""
    kept = []
    for item in value.split(", "):
        name = item.strip()
        name = re.sub(r"^@", "", name)
        name = re.sub(r"(: \d+ days?| \(\d+ d\))$", "", name)
        if name not in names:
            kept.append(item)
    return ", ".join(kept)


def scrub_message(message: dict[str, Any], names: set[str]) -> dict[str, Any] | None:
    """The stored message without `names` in its member lines; None when nothing changed."""
    fields = message.get("fields") or []
    changed = False
    out = []
    for field in fields:  # [name, value, inline], as Message.to_dict writes them
        name, value = field[0], str(field[1])
        if name in (SUBSCRIBERS_FIELD, *STREAK_FIELDS):
            kept = without_names(value, names)
            if kept != value:
                changed = True
                if not kept:
                    continue
                field = [name, kept, *field[2:]]
        out.append(field)
    return {**message, "fields": out} if changed else None


async def forget_in_issues(db: Database, subject: PrivacySubject) -> int:
    """Remove `subject`'s names from stored issues; returns how many issues changed."""
    async with db.transaction() as conn:
        rows = await conn.execute(
            sa.select(members.c.community_id, members.c.display_name)
            .join(communities, communities.c.id == members.c.community_id)
            .where(communities.c.platform == subject.platform)
            .where(members.c.user_id == subject.user_id)
        )
        names: dict[int, set[str]] = {}
        for community_id, display_name in rows:
            names.setdefault(community_id, set()).add(display_name)
        subs = await conn.execute(
            sa.select(digest_subscriptions.c.community_id, digest_subscriptions.c.display_name)
            .join(communities, communities.c.id == digest_subscriptions.c.community_id)
            .where(communities.c.platform == subject.platform)
            .where(digest_subscriptions.c.user_id == subject.user_id)
        )
        for community_id, display_name in subs:
            names.setdefault(community_id, set()).add(display_name)
        changed = 0
        for community_id, known in names.items():
            issues = await conn.execute(
                sa.select(digest_issues.c.id, digest_issues.c.message).where(
                    digest_issues.c.community_id == community_id
                )
            )
            for issue_id, message in issues.all():
                scrubbed = scrub_message(message, known)
                if scrubbed is not None:
                    await conn.execute(
                        digest_issues.update()
                        .where(digest_issues.c.id == issue_id)
                        .values(message=scrubbed)
                    )
                    changed += 1
        return changed
