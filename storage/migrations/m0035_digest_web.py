"""Digest on the web: which communities publish their archive, and under which slug."""

from __future__ import annotations

import sqlalchemy as sa

from storage.types import UTCDateTime


def upgrade(conn: sa.Connection) -> None:
    md = sa.MetaData()
    sa.Table("communities", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "digest_web",
        md,
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("communities.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("slug", sa.String(40), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("slug", name="uq_digest_web_slug"),
    )
    md.create_all(conn)
