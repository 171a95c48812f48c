"""DSA: the difficulty mix is kept in one place, the community's settings (`dsa_settings.mix`).

A `dsa.daily` schedule used to carry a mix of its own in its params, and its posts used it. That
mix becomes the community's (the most recently changed of the community's schedules and its
settings wins), and the schedules' params lose the key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.types import JSONText, UTCDateTime

DSA_DAILY = "dsa.daily"


def upgrade(conn: sa.Connection) -> None:
    md = sa.MetaData()
    schedules = sa.Table(
        "schedules",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer),
        sa.Column("kind", sa.String(64)),
        sa.Column("params", JSONText),
        sa.Column("updated_at", UTCDateTime),
    )
    settings = sa.Table(
        "dsa_settings",
        md,
        sa.Column("community_id", sa.Integer, primary_key=True),
        sa.Column("mix", JSONText),
        sa.Column("patterns", JSONText),
        sa.Column("include_premium", sa.Boolean),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("updated_at", UTCDateTime),
    )
    latest: dict[int, tuple[dict[str, int], datetime]] = {}
    rows = conn.execute(
        sa.select(
            schedules.c.id, schedules.c.community_id, schedules.c.params, schedules.c.updated_at
        )
        .where(schedules.c.kind == DSA_DAILY)
        .order_by(schedules.c.updated_at, schedules.c.id)
    ).all()
    for row in rows:
        params: dict[str, Any] = dict(row.params or {})
        if "mix" not in params:
            continue
        mix = params.pop("mix")
        if isinstance(mix, dict) and any(int(v) > 0 for v in mix.values()):
            latest[row.community_id] = ({str(k): int(v) for k, v in mix.items()}, row.updated_at)
        conn.execute(schedules.update().where(schedules.c.id == row.id).values(params=params))
    for community_id, (mix, at) in latest.items():
        stored = conn.execute(
            sa.select(settings.c.updated_at).where(settings.c.community_id == community_id)
        ).first()
        if stored is None:
            conn.execute(
                settings.insert().values(
                    community_id=community_id,
                    mix=mix,
                    patterns=[],
                    include_premium=False,
                    updated_by="migration 0052",
                    updated_at=at,
                )
            )
        elif stored.updated_at <= at:
            conn.execute(
                settings.update().where(settings.c.community_id == community_id).values(mix=mix)
            )
