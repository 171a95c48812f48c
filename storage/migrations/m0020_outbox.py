"""The delivery outbox: stored message bodies, one row per (run, recipient), undeliverable marks."""

from __future__ import annotations

import sqlalchemy as sa

from storage.types import JSONText, UTCDateTime


def upgrade(conn: sa.Connection) -> None:
    md = sa.MetaData()
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    sa.Table(
        "outbox_messages",
        md,
        sa.Column("id", big_id, primary_key=True, autoincrement=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("body", JSONText, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("digest", name="uq_outbox_messages_digest"),
    )
    sa.Table(
        "outbox",
        md,
        sa.Column("id", big_id, primary_key=True, autoincrement=True),
        sa.Column("run_key", sa.String(200), nullable=False),
        sa.Column("recipient_key", sa.String(200), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("community_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("target_name", sa.String(200), nullable=False),
        sa.Column(
            "message_id",
            big_id,
            sa.ForeignKey("outbox_messages.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint("run_key", "recipient_key", name="uq_outbox_run_key"),
        sa.Index("ix_outbox_claim", "platform", "status", "next_attempt_at"),
        sa.Index("ix_outbox_created_at", "created_at"),
    )
    sa.Table(
        "undeliverable_recipients",
        md,
        sa.Column("recipient_key", sa.String(200), primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("run_key", sa.String(200), nullable=True),
        sa.Column("marked_at", UTCDateTime, nullable=False),
    )
    md.create_all(conn)
