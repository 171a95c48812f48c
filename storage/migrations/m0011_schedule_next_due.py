"""Each schedule stores its next due instant (UTC), indexed: one timer per process wakes at the
earliest one and claims the due rows in batches, instead of one timer per schedule.

Existing rows keep NULL here; the scheduler fills in every active schedule whose next due
instant is unknown when it starts (computing it needs the recurrence rules, which live in the
core, not in storage).
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.types import UTCDateTime


def upgrade(conn: sa.Connection) -> None:
    conn.execute(sa.text("ALTER TABLE schedules ADD COLUMN next_due_at " + _type(conn)))
    conn.execute(sa.text("CREATE INDEX ix_schedules_next_due_at ON schedules (next_due_at)"))
    conn.execute(
        sa.text("CREATE INDEX ix_schedule_runs_running ON schedule_runs (status, started_at)")
    )


def _type(conn: sa.Connection) -> str:
    return str(UTCDateTime().compile(dialect=conn.dialect))
