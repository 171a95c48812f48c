"""DSA practice: community settings, problems of the day, solves, skips and personal picks."""

from __future__ import annotations

import sqlalchemy as sa

from storage.types import JSONText, UTCDateTime


def upgrade(conn: sa.Connection) -> None:
    md = sa.MetaData()
    # Stand-in for the existing table so the foreign keys resolve (create_all skips it).
    sa.Table("communities", md, sa.Column("id", sa.Integer, primary_key=True))

    def community_fk(primary_key: bool = False) -> sa.Column[int]:
        return sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("communities.id", ondelete="CASCADE"),
            nullable=False,
            primary_key=primary_key,
        )

    sa.Table(
        "dsa_settings",
        md,
        community_fk(primary_key=True),
        sa.Column("mix", JSONText, nullable=False),
        sa.Column("patterns", JSONText, nullable=False),
        sa.Column("include_premium", sa.Boolean, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    sa.Table(
        "dsa_daily",
        md,
        community_fk(primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("problem_id", sa.String(100), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("picked_at", UTCDateTime, nullable=False),
        sa.Index("ix_dsa_daily_cycle", "community_id", "cycle"),
    )
    sa.Table(
        "dsa_solves",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        community_fk(),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("problem_id", sa.String(100), nullable=False),
        sa.Column("local_day", sa.Date, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("solved_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint(
            "community_id", "user_id", "problem_id", name="uq_dsa_solves_community_id"
        ),
        sa.Index("ix_dsa_solves_day", "community_id", "local_day"),
    )
    sa.Table(
        "dsa_skips",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        community_fk(),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("problem_id", sa.String(100), nullable=False),
        sa.Column("local_day", sa.Date, nullable=False),
        sa.Column("skipped_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint(
            "community_id", "user_id", "problem_id", name="uq_dsa_skips_community_id"
        ),
    )
    sa.Table(
        "dsa_picks",
        md,
        community_fk(primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("problem_id", sa.String(100), nullable=False),
        sa.Column("picked_at", UTCDateTime, nullable=False),
    )
    md.create_all(conn)
