"""Community resource catalogs: per-community changes to the shipped catalog, a revision
counter per community, and the queue of suggested resources."""

from __future__ import annotations

import sqlalchemy as sa

from storage.types import JSONText, UTCDateTime


def upgrade(conn: sa.Connection) -> None:
    md = sa.MetaData()
    sa.Table("communities", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "resource_catalogs",
        md,
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("communities.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("revision", sa.Integer, nullable=False),
    )
    sa.Table(
        "resource_changes",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("communities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("resource_id", sa.String(64), nullable=False),
        sa.Column("data", JSONText, nullable=True),
        sa.Column("normalized_url", sa.String(2048), nullable=True),
        sa.Column("changed_by", sa.String(64), nullable=False),
        sa.Column("changed_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("community_id", "resource_id", name="uq_resource_changes_community_id"),
    )
    sa.Table(
        "resource_suggestions",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("communities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("normalized_url", sa.String(2048), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("topics", JSONText, nullable=False),
        sa.Column("description", sa.String(600), nullable=False),
        sa.Column("level", sa.String(20), nullable=True),
        sa.Column("cost", sa.String(20), nullable=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("suggested_by_id", sa.String(64), nullable=False),
        sa.Column("suggested_by_name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.Column("resource_id", sa.String(64), nullable=True),
        sa.Column("decided_by_name", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=True),
        sa.Index("ix_resource_suggestions_community_id", "community_id", "status"),
    )
    md.create_all(conn)
