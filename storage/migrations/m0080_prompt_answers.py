"""Confirmation prompts already answered (their buttons work once, across restarts)."""

from __future__ import annotations

import sqlalchemy as sa

from storage.types import UTCDateTime


def upgrade(conn: sa.Connection) -> None:
    md = sa.MetaData()
    sa.Table(
        "prompt_answers",
        md,
        sa.Column("prompt_key", sa.String(64), primary_key=True),
        sa.Column("answered_at", UTCDateTime, nullable=False, index=True),
    )
    md.create_all(conn)
