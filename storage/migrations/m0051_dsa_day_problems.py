"""DSA: a post can hold several problems (one per difficulty count of the schedule's mix).

Replaces `dsa_daily` (one problem per community and day) by `dsa_day_problems` (ordered problems
per community and day, each with its difficulty's rotation cycle).
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.types import UTCDateTime


def upgrade(conn: sa.Connection) -> None:
    md = sa.MetaData()
    sa.Table("communities", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "dsa_day_problems",
        md,
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("communities.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("problem_id", sa.String(100), nullable=False),
        sa.Column("difficulty", sa.String(16), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("picked_at", UTCDateTime, nullable=False),
        sa.Index("ix_dsa_day_problems_cycle", "community_id", "difficulty", "cycle"),
    )
    md.create_all(conn)
    # 0050 shipped minutes before this change; nothing has been posted from it yet, so the
    # old table is dropped rather than converted.
    sa.Table("dsa_daily", sa.MetaData(), autoload_with=conn).drop(conn)
