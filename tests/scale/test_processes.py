"""Several bot processes on one PostgreSQL database: they split a fan-out, and a process killed
mid-fan-out has its leased rows reclaimed by the others once the lease expires.

Runs the fan-out benchmark's pieces (bench/fanout.py, bench/emulator.py) for real: three bot
worker processes, the loopback Discord emulator (which counts what each subscriber saw, with
Discord's nonce deduplication), and a SIGKILL of one worker midway.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bench import fanout
from storage.database import Database
from storage.outbox import OutboxStatus, outbox
from tests.conftest import AppFactory

pytestmark = pytest.mark.postgresql_only

SUBSCRIBERS = 10_000
LEASE_SECONDS = 5.0


async def test_three_processes_one_killed_every_subscriber_gets_one_copy(database_url: str) -> None:
    args = fanout.parse_args(
        [
            *("--subscribers", str(SUBSCRIBERS), "--processes", "3"),
            *("--ceiling", "20000", "--latency-ms", "2"),
            *("--lease-seconds", str(LEASE_SECONDS), "--database-url", database_url),
        ]
    )
    emulator, args.api = await asyncio.to_thread(fanout.start_emulator, args)
    try:
        fanout.set_passthrough(args)
        await fanout.prepare(args, SUBSCRIBERS, "test:digest:1")
        # Kill the first process once about 40% of the digest has arrived.
        cluster = await asyncio.to_thread(fanout.run_cluster, args, 3, [SUBSCRIBERS * 2 // 5])
        stats = await asyncio.to_thread(fanout.http_json, f"{args.api}/stats")
    finally:
        emulator.terminate()
        emulator.wait()

    assert len(cluster["results"]) == 2  # the two survivors finished
    assert stats["channels"] == SUBSCRIBERS  # no losses: every subscriber saw the digest
    assert stats.get("duplicates", 0) == 0  # and nobody saw it twice
    assert await fanout.counts(database_url) == {OutboxStatus.SENT: SUBSCRIBERS}
    # The killed process held leases; all those rows were sent by the survivors, after expiry.
    assert cluster["killed_leased_rows"] > 0
    assert cluster["reclaimed_after_expiry"] == cluster["killed_leased_rows"]
    # Both survivors took a share of the work.
    assert all(r["engine"]["discord"]["sent"] > 0 for r in cluster["results"])


async def test_engine_start_leaves_other_processes_leases_alone(
    database_url: str, make_app: AppFactory
) -> None:
    """On PostgreSQL a starting engine must not release rows live processes hold (SQLite,
    one process per database, releases them all at start)."""
    await fanout.prepare(fanout.parse_args(["--database-url", database_url]), 3, "test:digest:2")
    db = Database(database_url)
    try:
        async with db.transaction() as conn:
            await conn.execute(
                outbox.update().values(
                    status=OutboxStatus.SENDING,
                    lease_owner="elsewhere:1:abcd",
                    lease_until=datetime.now(UTC) + timedelta(minutes=5),
                )
            )
    finally:
        await db.close()
    app = await make_app([])
    async with app.db.transaction() as conn:
        owners = (await conn.execute(sa.select(outbox.c.status, outbox.c.lease_owner))).all()
    assert [tuple(o) for o in owners] == [(OutboxStatus.SENDING, "elsewhere:1:abcd")] * 3
