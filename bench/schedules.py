"""Scheduler benchmark: N personal reminders, M of them due in the same minute, P processes.

    uv run python -m bench.schedules --schedules 100000 [--due-same-minute 10000]
        [--community-schedules 1000] [--processes 3] [--kill-one-at 0.5]
        [--claim-lease-seconds 60] [--database-url postgresql://...] [--job dsa]

On a fresh database (SQLite in a temporary folder unless `--database-url` is given; a
PostgreSQL database given is emptied first), N personal schedules (daily, in four zones whose
local times meet at the busy minute for M of them, spread over the other minutes of the day for
the rest) and the community schedules are written in bulk with the values the service writes
(next due instant included). Then P bot processes start on it at once, each with an application
clock shifted so that the busy minute comes a few seconds after they are ready, and run it
through the real path: the process's one timer wakes at the due instant and claims, produces
(one DM each) and enqueues the slot's runs in batches. With `--kill-one-at F` the first
process is SIGKILLed once F of the minute's runs are recorded; the others take over its claims
after the claim lease (`--produce-ms` makes composing slower, so the kill finds claims open).
`--job dsa` makes the reminders the real `dsa.reminder` job of the DSA cog (each member's own
pick within their difficulty filter, their streak, the problem's buttons) instead of the
benchmark's one-line DM.

Figures: start_s (slowest process, `Application.start()` to ready), slot_run_s (the slot instant
to the last run recorded with its DM), runs_per_s (M / slot_run_s), fire_lag_p99_s (p99 over the
M runs of enqueue time minus slot), first_fire_lag_s (the first run's), claim_lag_p99_s (p99 of
claim time minus slot: when the timer took each run on), peak_rss_mb (largest process), duplicates
(runs recorded done by more than one process, plus DMs queued twice) and losses (due schedules
without their DM queued). The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.app import Application
from bot.cog import Cog
from bot.messages import Message
from bot.scheduling.jobs import Delivery, Destination, DestinationKind, JobKind, RunContext
from bot.scheduling.runs import RunResult, run_key
from bot.settings import load_settings
from bot.timing.recurrence import WeeklyAt, next_fire
from cogs.dsa.base import REMINDER_KIND
from cogs.dsa.cog import DsaCog
from storage.database import Database
from storage.outbox import outbox
from storage.schedules import DONE, schedule_runs, schedules

KIND = "bench.remind"
POST = "bench.post"
#: The busy minute, in application time (a Monday).
SLOT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: Local times meeting at 09:00 UTC in January: (zone, local time).
ZONES = (
    ("UTC", dtime(9, 0)),
    ("Europe/London", dtime(9, 0)),
    ("Africa/Lagos", dtime(10, 0)),
    ("Asia/Kolkata", dtime(14, 30)),
)
EVERY_DAY = frozenset(range(7))


class BenchCog(Cog):
    name = "bench"
    #: Seconds each reminder takes to compose (`--produce-ms`; 0: as fast as it goes).
    produce_seconds = 0.0

    def jobs(self) -> list[JobKind]:
        return [
            JobKind(KIND, "Benchmark reminder", self._remind),
            JobKind(POST, "Benchmark community post", self._post),
        ]

    async def _remind(self, ctx: RunContext) -> list[Delivery]:
        user = ctx.owner_user_id or "nobody"
        if self.produce_seconds:
            await asyncio.sleep(self.produce_seconds)
        dest = Destination("console", "console", DestinationKind.DM, user, user)
        return [Delivery(dest, Message(title="Practice time", body=f"Hi {user}!"))]

    async def _post(self, ctx: RunContext) -> list[Delivery]:
        dest = Destination("console", "console", DestinationKind.CHANNEL, "general", "general")
        return [Delivery(dest, Message(title="Weekly post", body="hello"))]


class ShiftedClock:
    """Real time, shifted: application time `SLOT` is real time `slot_at` (epoch seconds)."""

    def __init__(self, slot_at: float) -> None:
        self.offset = SLOT.timestamp() - slot_at

    def now(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self.offset, UTC)


# -- preparing the database ---------------------------------------------------------------


async def prepare(url: str, count: int, due: int, community_count: int, job: str) -> None:
    """A fresh schema with the schedules written in bulk (as the service writes them)."""
    settings = load_settings(None, database_url=url, cogs=[])
    # Just before the processes start (application time): no other slot falls between this and
    # the busy minute, so nothing is caught up at start.
    now = SLOT - timedelta(seconds=59)
    db = Database(settings.database_url)
    if db.is_postgres:
        async with db.transaction() as conn:
            await conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            await conn.execute(sa.text("CREATE SCHEMA public"))
    await db.close()
    app = Application(settings, cog_classes=cogs_for(job))
    await app.start(services=False)
    community = await app.communities.ensure(
        "console", "console", "bench", default_timezone="UTC", now=now
    )
    rows: list[dict[str, Any]] = []
    for i in range(count):
        zone_name, at = ZONES[i % len(ZONES)]
        if i >= due:  # any other minute of the day
            minute = (at.hour * 60 + at.minute + 1 + i % 1439) % 1440
            at = dtime(minute // 60, minute % 60)
        kind, params = reminder_of(job, i)
        rows.append(_row(community.id, kind, f"{kind}@u{i}", f"u{i}", at, zone_name, now, params))
    for i in range(community_count):
        rows.append(_row(community.id, POST, f"post-{i}", None, dtime(12, i % 60), "UTC", now))
    async with app.db.transaction() as conn:
        for start in range(0, len(rows), 1000):
            await conn.execute(schedules.insert(), rows[start : start + 1000])
    await app.stop()


def cogs_for(job: str) -> list[type[Cog]]:
    return [BenchCog, DsaCog] if job == "dsa" else [BenchCog]


def reminder_of(job: str, i: int) -> tuple[str, dict[str, Any]]:
    """The kind and params of reminder `i` (the real DSA reminder's, with a difficulty filter
    for two members in three, as `/dsa remind set` stores them)."""
    if job != "dsa":
        return KIND, {}
    difficulties = [("easy", "medium", "")[i % 3]] if i % 3 != 2 else []
    return REMINDER_KIND, {"difficulties": difficulties, "patterns": [], "name": f"Member {i}"}


def _row(
    community_id: int,
    kind: str,
    name: str,
    owner: str | None,
    at: dtime,
    zone: str,
    now: datetime,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    rule = WeeklyAt(EVERY_DAY, at)
    return {
        "community_id": community_id,
        "kind": kind,
        "name": name,
        "channel_id": None if owner else "general",
        "channel_name": None if owner else "general",
        "recurrence": rule.to_text(),
        "timezone": zone,
        "params": params or {},
        "paused": False,
        "owner_user_id": owner,
        "active_since": now,
        "created_by": owner or "bench",
        "created_at": now,
        "updated_at": now,
        "next_due_at": next_fire(rule, zone, now),
    }


# -- one bot process ------------------------------------------------------------------------


async def worker(args: argparse.Namespace) -> None:
    url, slot_at, due = args.database_url, args.slot_at, args.due_same_minute
    lease, wait_s = args.claim_lease_seconds, args.timeout
    BenchCog.produce_seconds = args.produce_ms / 1000
    settings = load_settings(None, database_url=url, cogs=[])
    app = Application(settings, clock=ShiftedClock(slot_at), cog_classes=cogs_for(args.job))
    app.schedules.claim_lease = timedelta(seconds=lease)
    done: list[RunResult] = []

    async def observe(result: RunResult) -> None:
        if result.status == DONE and result.scheduled_for == SLOT:
            done.append(result)

    app.schedules.run_observers.append(observe)
    started = time.perf_counter()
    await app.start()
    start_s = time.perf_counter() - started
    print(json.dumps({"ready": True}), flush=True)
    deadline = time.time() + wait_s
    while time.time() < deadline:
        if time.time() > slot_at and await slot_done(app.db) >= due:
            break
        await asyncio.sleep(0.2)
    await app.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {"pid": os.getpid(), "start_s": start_s, "done": len(done), "rss_mb": rss_mb}
    print(json.dumps(figures), flush=True)


async def slot_done(db: Database) -> int:
    async with db.transaction() as conn:
        return int(
            (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(schedule_runs)
                    .where(schedule_runs.c.scheduled_for == SLOT, schedule_runs.c.status == DONE)
                )
            ).scalar_one()
        )


# -- the run --------------------------------------------------------------------------------


async def outcome(url: str, due: int) -> dict[str, Any]:
    """Lags, losses and duplicates from what the database holds."""
    db = Database(load_settings(None, database_url=url, cogs=[]).database_url)
    try:
        async with db.transaction() as conn:
            runs = (
                await conn.execute(
                    sa.select(
                        schedule_runs.c.schedule_id,
                        schedule_runs.c.started_at,
                        schedule_runs.c.finished_at,
                    ).where(schedule_runs.c.scheduled_for == SLOT, schedule_runs.c.status == DONE)
                )
            ).all()
            keys = {run_key(r.schedule_id, SLOT) for r in runs}
            queued = (
                await conn.execute(
                    sa.select(outbox.c.run_key, sa.func.count())
                    .where(outbox.c.run_key.like(f"schedule:%:{SLOT.isoformat()}"))
                    .group_by(outbox.c.run_key)
                )
            ).all()
    finally:
        await db.close()
    lags = sorted((r.finished_at - SLOT).total_seconds() for r in runs if r.finished_at)
    claimed = sorted((r.started_at - SLOT).total_seconds() for r in runs if r.started_at)
    per_key = {k: int(n) for k, n in queued}
    return {
        "runs_done": len(runs),
        "messages_queued": sum(per_key.values()),
        "queued_twice": sum(n - 1 for n in per_key.values() if n > 1),
        "losses": due - len(keys & set(per_key)),
        "fire_lag_p99_s": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))], 3)
        if lags
        else None,
        "first_fire_lag_s": round(lags[0], 3) if lags else None,
        "claim_lag_p99_s": round(claimed[min(len(claimed) - 1, int(len(claimed) * 0.99))], 3)
        if claimed
        else None,
        "slot_run_s": round(lags[-1], 3) if lags else None,
    }


def run(args: argparse.Namespace, url: str) -> dict[str, Any]:
    started = time.perf_counter()
    asyncio.run(
        prepare(url, args.schedules, args.due_same_minute, args.community_schedules, args.job)
    )
    prepare_s = time.perf_counter() - started
    # The busy minute comes this long after the processes were launched (they start first).
    slot_at = time.time() + args.lead_seconds
    cmd = [
        sys.executable,
        "-m",
        "bench.schedules",
        "--worker",
        *("--database-url", url, "--slot-at", repr(slot_at)),
        *("--schedules", str(args.schedules), "--due-same-minute", str(args.due_same_minute)),
        *("--claim-lease-seconds", str(args.claim_lease_seconds)),
        *("--produce-ms", str(args.produce_ms), "--timeout", str(args.timeout)),
        *("--job", args.job),
    ]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(args.processes)
    ]
    killed = None
    try:
        if args.kill_one_at is not None:
            killed = asyncio.run(
                kill_when(procs[0], url, int(args.due_same_minute * args.kill_one_at))
            )
        results = []
        for proc in procs[1 if killed else 0 :]:
            out, _ = proc.communicate(timeout=args.timeout + 120)
            if proc.returncode != 0:
                raise SystemExit(f"a bot process failed ({proc.returncode})")
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    found = asyncio.run(outcome(url, args.due_same_minute))
    done_by_processes = sum(r["done"] for r in results)
    slot_run_s = found.pop("slot_run_s")
    figures: dict[str, Any] = {
        "schedules": args.schedules,
        "community_schedules": args.community_schedules,
        "due_same_minute": args.due_same_minute,
        "processes": args.processes,
        "job": args.job,
        "backend": "postgresql" if url.startswith("postgres") else "sqlite",
        "prepare_s": round(prepare_s, 1),
        "start_s": round(max(r["start_s"] for r in results), 3),
        "slot_run_s": slot_run_s,
        "runs_per_s": round(args.due_same_minute / slot_run_s, 1) if slot_run_s else None,
        **found,
        "peak_rss_mb": round(max(r["rss_mb"] for r in results), 1),
        "runs_per_process": [r["done"] for r in results],
        "duplicates": found["queued_twice"] + max(0, done_by_processes - found["runs_done"]),
    }
    if killed is not None:
        figures.update(killed)
    return figures


async def kill_when(proc: subprocess.Popen[str], url: str, after: int) -> dict[str, Any]:
    """SIGKILL `proc` once `after` slots of the minute are claimed and it holds open claims
    (mid-minute, mid-batch); how many claims it held then (the others must take them over)."""
    db = Database(load_settings(None, database_url=url, cogs=[]).database_url)
    held = 0
    try:
        while proc.poll() is None:
            claimed, held = await claims(db, proc.pid)
            if claimed >= after and held:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                _, held = await claims(db, proc.pid)
                break
            await asyncio.sleep(0.005)
    finally:
        await db.close()
    return {"killed_after_claims": after, "killed_claims_taken_over": held}


async def claims(db: Database, pid: int) -> tuple[int, int]:
    """(runs of the minute claimed by anyone, claims `pid` holds open)."""
    async with db.transaction() as conn:
        rows = (
            await conn.execute(
                sa.select(schedule_runs.c.status, schedule_runs.c.claimed_by).where(
                    schedule_runs.c.scheduled_for == SLOT
                )
            )
        ).all()
    mine = f":{pid}:"
    return len(rows), sum(r.status == "running" and mine in r.claimed_by for r in rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--schedules", type=int, default=2000)
    parser.add_argument("--due-same-minute", type=int, default=None, help="default: all")
    parser.add_argument("--community-schedules", type=int, default=0)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--kill-one-at", type=float, default=None, help="share of the minute")
    parser.add_argument("--claim-lease-seconds", type=float, default=60.0)
    parser.add_argument("--lead-seconds", type=float, default=15.0, help="start to busy minute")
    parser.add_argument("--produce-ms", type=float, default=0.0, help="time to compose one")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--job", choices=("bench", "dsa"), default="bench", help="dsa: the real DSA reminder"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--slot-at", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.due_same_minute is None or args.due_same_minute > args.schedules:
        args.due_same_minute = args.schedules
    return args


def main() -> None:
    args = parse_args()
    if args.worker:
        asyncio.run(worker(args))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        figures = run(args, url)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
