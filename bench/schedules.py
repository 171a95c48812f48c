"""Scheduler benchmark: many personal schedules (e.g. DSA reminders) due in the same minute.

    uv run python -m bench.schedules [--schedules 2000] [--database-url sqlite:///...]

Measures, on a fresh database (SQLite in a temporary folder unless `--database-url` is given):
creating N personal schedules through the service, starting an application over them (every
timer derived from the database), running one slot of all N at once (claim, produce, record and
enqueue one DM each), and triggering that slot again (every claim refused). Prints a table, then,
as its last line, one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from bot.settings import load_settings
from bot.timing.clock import ManualClock
from bot.timing.recurrence import WeeklyAt
from storage.schedules import DONE, schedule_runs

KIND = "bench.remind"


class BenchCog(Cog):
    name = "bench"

    def jobs(self) -> list[JobKind]:
        return [JobKind(KIND, "Benchmark reminder", self._remind)]

    async def _remind(self, ctx: RunContext) -> list[Delivery]:
        user = ctx.owner_user_id or "nobody"
        dest = Destination("console", "console", DestinationKind.DM, user, user)
        return [Delivery(dest, Message(title="Practice time", body=f"Hi {user}!"))]


async def bench(count: int, database_url: str) -> dict[str, Any]:
    settings = load_settings(None, database_url=database_url, cogs=[])
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    rule = WeeklyAt(frozenset(range(7)), dtime(9, 0))

    app = Application(settings, clock=clock, cog_classes=[BenchCog])
    await app.start()
    community = await app.communities.ensure(
        "console", "console", "bench", default_timezone="UTC", now=clock.now()
    )
    started = time.perf_counter()
    for i in range(count):
        await app.schedules.upsert_personal(
            community, kind=KIND, owner_user_id=f"user{i}", rule=rule, timezone="UTC"
        )
    create_s = time.perf_counter() - started
    await app.stop()

    app = Application(settings, clock=clock, cog_classes=[BenchCog])
    started = time.perf_counter()
    await app.start()
    start_s = time.perf_counter() - started

    clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    started = time.perf_counter()
    results = await app.schedules.run_due()
    run_s = time.perf_counter() - started
    done = sum(r.status == "done" for r in results)
    queued = sum(r.deliveries for r in results)

    started = time.perf_counter()
    again = await app.schedules.run_due()
    again_s = time.perf_counter() - started
    await app.stop()

    # The production path: every timer fires in the same second and runs concurrently.
    clock.set(datetime(2026, 1, 6, 9, 0, tzinfo=UTC) - timedelta(seconds=1))
    app = Application(settings, clock=clock, cog_classes=[BenchCog])
    await app.start()
    clock.set(datetime(2026, 1, 6, 9, 0, tzinfo=UTC))
    started = time.perf_counter()
    timer_runs = 0
    while time.perf_counter() - started < 600:
        await asyncio.sleep(0.05)
        async with app.db.transaction() as conn:
            timer_runs = (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(schedule_runs)
                    .where(
                        schedule_runs.c.status == DONE, schedule_runs.c.scheduled_for == clock.now()
                    )
                )
            ).scalar_one()
        if timer_runs >= count:
            break
    timers_s = time.perf_counter() - started - 1.0  # the timers waited 1 s of real time first
    await app.stop()
    return {
        "schedules": count,
        "backend": app.db.dialect,
        "create_per_s": round(count / create_s, 1),
        "start_s": round(start_s, 3),
        "slot_runs": done,
        "messages_queued": queued,
        "slot_run_s": round(run_s, 3),
        "runs_per_s": round(done / run_s, 1) if run_s else None,
        "second_trigger_runs": len(again),
        "second_trigger_s": round(again_s, 3),
        "timer_path_runs": timer_runs,
        "timer_path_s": round(timers_s, 3),
        "timer_path_runs_per_s": round(timer_runs / timers_s, 1) if timers_s > 0 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        figures = asyncio.run(bench(args.schedules, url))
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
