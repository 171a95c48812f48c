"""Communities, members, configured moderators, the audit log and bot state."""

from __future__ import annotations

import sqlalchemy as sa

from storage.types import JSONText, UTCDateTime


def upgrade(conn: sa.Connection) -> None:
    md = sa.MetaData()
    sa.Table(
        "communities",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("platform", "external_id", name="uq_communities_platform"),
    )
    sa.Table(
        "members",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("communities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("first_seen_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("community_id", "user_id", name="uq_members_community_id"),
    )
    sa.Table(
        "community_moderators",
        md,
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("communities.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(8), primary_key=True),  # "role" | "user"
        sa.Column("ref_id", sa.String(64), primary_key=True),
        sa.Column("ref_name", sa.String(200), nullable=False),
    )
    sa.Table(
        "audit_log",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("communities.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("old_value", JSONText, nullable=True),
        sa.Column("new_value", JSONText, nullable=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Index("ix_audit_log_community_at", "community_id", "at"),
    )
    sa.Table(
        "bot_state",
        md,
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", JSONText, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    md.create_all(conn)
