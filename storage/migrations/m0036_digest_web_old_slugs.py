"""Digest on the web: the names an archive had before a rename (kept for the community, and
redirected to its current name, so shared links keep working and nobody else can take them)."""

from __future__ import annotations

import sqlalchemy as sa

from storage.types import UTCDateTime


def upgrade(conn: sa.Connection) -> None:
    md = sa.MetaData()
    sa.Table("communities", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "digest_web_old_slugs",
        md,
        sa.Column("slug", sa.String(40), primary_key=True),
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("communities.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("retired_at", UTCDateTime, nullable=False),
    )
    md.create_all(conn)
