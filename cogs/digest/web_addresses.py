"""Addresses of the digest on the web: the rule for an archive's name (its slug) and the paths
of the archive, an issue and the feed, relative or under PUBLIC_BASE_URL."""

from __future__ import annotations

import re

#: A slug: lower-case letters, digits and inner hyphens, 2-40 characters.
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])$")


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot be used, or None if it can."""
    if not 2 <= len(slug) <= 40:
        return "A web address name is 2 to 40 characters long."
    if not SLUG.match(slug):
        return (
            "Use lower-case letters, digits and hyphens (not at the start or end), "
            "e.g. `ml-learners`."
        )
    return None


def archive_path(slug: str) -> str:
    return f"/digest/{slug}/"


def issue_path(slug: str, number: int) -> str:
    return f"/digest/{slug}/{number}"


def feed_path(slug: str) -> str:
    return f"/digest/{slug}/feed.xml"


def public_url(base: str | None, path: str) -> str | None:
    """The absolute URL of `path` under PUBLIC_BASE_URL, or None when no base is set."""
    return f"{base.rstrip('/')}{path}" if base else None
