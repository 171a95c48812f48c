"""Schedules (community and personal) and their runs, unique per (schedule, slot)."""

from __future__ import annotations

import sqlalchemy as sa

from storage.types import JSONText, UTCDateTime


def upgrade(conn: sa.Connection) -> None:
    md = sa.MetaData()
    sa.Table("communities", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "schedules",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("communities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("name", sa.String(160), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=True),
        sa.Column("channel_name", sa.String(200), nullable=True),
        sa.Column("recurrence", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("params", JSONText, nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("owner_user_id", sa.String(64), nullable=True),
        sa.Column("active_since", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("community_id", "name", name="uq_schedules_community_id"),
        sa.UniqueConstraint("community_id", "kind", "owner_user_id", name="uq_schedules_personal"),
    )
    sa.Table(
        "schedule_runs",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "schedule_id",
            sa.Integer,
            sa.ForeignKey("schedules.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("scheduled_for", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("manual", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint("schedule_id", "scheduled_for", name="uq_schedule_runs_schedule_id"),
        sa.Index("ix_schedule_runs_status", "status"),
    )
    md.tables["schedules"].create(conn)
    md.tables["schedule_runs"].create(conn)
