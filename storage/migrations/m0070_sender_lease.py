"""The sender lease: which process may send from a SQLite database (one at a time)."""

from __future__ import annotations

import sqlalchemy as sa

from storage.types import UTCDateTime


def upgrade(conn: sa.Connection) -> None:
    md = sa.MetaData()
    sa.Table(
        "sender_lease",
        md,
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.String(120), nullable=False),
        sa.Column("acquired_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    md.create_all(conn)
