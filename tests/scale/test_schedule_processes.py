"""Several bot processes on one PostgreSQL database split a busy scheduler minute, and one killed
mid-minute has its open claims taken over by the others once the claim lease expires.

Runs the scheduler benchmark's pieces (bench/schedules.py) for real: three bot processes with
their own timers, a SIGKILL of one of them while it holds claims, and the figures read back from
the database (every due reminder queued once, none lost, none run twice).
"""

from __future__ import annotations

import asyncio

import pytest

from bench import schedules as bench

pytestmark = pytest.mark.postgresql_only


async def test_three_processes_split_a_minute_and_take_over_a_killed_ones_claims(
    database_url: str,
) -> None:
    args = bench.parse_args(
        [
            *("--schedules", "3000", "--due-same-minute", "2000", "--processes", "3"),
            *("--kill-one-at", "0.3", "--claim-lease-seconds", "2", "--produce-ms", "2"),
            *("--timeout", "120", "--database-url", database_url),
        ]
    )
    figures = await asyncio.to_thread(bench.run, args, database_url)
    assert figures["runs_done"] == 2000
    assert figures["messages_queued"] == 2000
    assert figures["losses"] == 0 and figures["duplicates"] == 0
    # The process is killed while it holds claims, but it can finish its batch between the check
    # and the signal (seen once in CI under load): then there is nothing to take over. Takeover
    # itself is pinned deterministically in tests/schedules; here every slot must still run once
    # (the assertions above), whatever the kill caught.
    # Both survivors took a share of the minute.
    assert all(done > 0 for done in figures["runs_per_process"])
