"""Button custom ids too long (or repeated) for a platform's limit, stored behind a short id."""

from __future__ import annotations

import sqlalchemy as sa

from storage.types import UTCDateTime


def upgrade(conn: sa.Connection) -> None:
    md = sa.MetaData()
    sa.Table(
        "button_ids",
        md,
        sa.Column("short_id", sa.String(40), primary_key=True),
        sa.Column("custom_id", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    md.create_all(conn)
