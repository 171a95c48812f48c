"""Digest issues as sent, the per-community tip rotation, subscriptions and next-issue inputs."""

from __future__ import annotations

import sqlalchemy as sa

from storage.types import JSONText, UTCDateTime


def _community(*, primary_key: bool = False) -> sa.Column[int]:
    return sa.Column(
        "community_id",
        sa.Integer,
        sa.ForeignKey("communities.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade(conn: sa.Connection) -> None:
    md = sa.MetaData()
    sa.Table("communities", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "digest_issues",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _community(),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("source_key", sa.String(200), nullable=False),
        sa.Column("issue_date", sa.Date, nullable=False),
        sa.Column("published_at", UTCDateTime, nullable=False),
        sa.Column("headline_tip", sa.String(64), nullable=False),
        sa.Column("tip_ids", JSONText, nullable=False),
        sa.Column("resource_id", sa.String(64), nullable=True),
        sa.Column("problem_id", sa.String(100), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("message", JSONText, nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.UniqueConstraint("community_id", "number", name="uq_digest_issues_community_id"),
        sa.UniqueConstraint("community_id", "source_key", name="uq_digest_issues_source"),
    )
    sa.Table(
        "digest_rotation",
        md,
        _community(primary_key=True),
        sa.Column("tip_id", sa.String(64), primary_key=True),
        sa.Column("last_issue", sa.Integer, nullable=False),
    )
    sa.Table(
        "digest_subscriptions",
        md,
        _community(primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("topics", JSONText, nullable=False),
        sa.Column("delivery", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    sa.Table(
        "digest_next",
        md,
        _community(primary_key=True),
        sa.Column("pinned_tip", sa.String(64), nullable=True),
        sa.Column("pinned_by", sa.String(200), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("note_by", sa.String(200), nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    for name in ("digest_issues", "digest_rotation", "digest_subscriptions", "digest_next"):
        md.tables[name].create(conn)
