"""Web archive benchmark: pages served per second from a community's archive of 500 issues.

    uv run python -m bench.web [--issues 500] [--seconds 10] [--connections 32]
                               [--database-url postgresql://…]

Publishes N issues into a fresh database (SQLite in a temporary folder unless `--database-url`
is given), turns the web archive on, and serves it from the bot's real HTTP server in this
process. A load process on 127.0.0.1 (its own interpreter, so client and server do not share an
event loop) first reads every page once (cold: each page rendered), then for `--seconds` keeps
`--connections` keep-alive connections busy with a mix of issue pages (80 %), archive index
pages (15 %) and the feed (5 %), all served from the render cache. A last pass sends conditional
requests (If-None-Match), as feed readers do. Prints a table (with the server's CPU time per
request, steadier than the rates when other work shares the machine), then one JSON object as
its last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import Application
from bot.ops.compose import build_application
from bot.ops.http_server import HttpServer
from bot.settings import load_settings
from bot.timing.clock import ManualClock
from cogs.digest import DigestCog
from cogs.digest.web import PAGE_SIZE

SLUG = "bench"


async def _setup(issues: int, database_url: str) -> tuple[Application, HttpServer, float]:
    settings = load_settings(None, database_url=database_url, cogs=[])
    clock = ManualClock(datetime(2017, 1, 2, 9, 0, tzinfo=UTC))
    app = await build_application(
        settings.model_copy(update={"http_port": 0}),
        clock=clock,
        cog_classes=[DigestCog],
        http=True,
    )
    assert app.http is not None
    cog = app.cogs["digest"]
    assert isinstance(cog, DigestCog)
    community = await app.communities.ensure(
        "console", "bench", "Bench community", default_timezone="UTC", now=clock.now()
    )
    started = time.perf_counter()
    for n in range(issues):
        clock.advance(timedelta(days=7))
        await cog.publish(community, source_key=f"bench:{n}", when=clock.now())
    publish_s = time.perf_counter() - started
    await cog.archives.enable(community.id, SLUG, by="bench", now=clock.now())
    await app.http.start()
    return app, app.http, publish_s


def _paths(issues: int) -> tuple[list[str], list[str], str]:
    pages = max(1, -(-issues // PAGE_SIZE))
    issue_paths = [f"/digest/{SLUG}/{n}" for n in range(1, issues + 1)]
    index_paths = [f"/digest/{SLUG}/"] + [f"/digest/{SLUG}/?page={p}" for p in range(2, pages + 1)]
    return issue_paths, index_paths, f"/digest/{SLUG}/feed.xml"


async def _load(
    base: str, issues: int, seconds: float, connections: int
) -> dict[str, Any]:  # runs in the load process
    issue_paths, index_paths, feed = _paths(issues)
    everything = [*issue_paths, *index_paths, feed]
    rng = random.Random(7)
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        etags: dict[str, str] = {}
        started = time.perf_counter()
        for path in everything:  # cold: every page rendered once
            async with session.get(base + path) as resp:
                await resp.read()
                assert resp.status == 200, (path, resp.status)
                etags[path] = resp.headers["ETag"]
        cold_s = time.perf_counter() - started

        async def phase(duration: float, conditional: bool) -> tuple[int, int, list[float], int]:
            latencies: list[float] = []
            served = errors = body_bytes = 0
            deadline = time.perf_counter() + duration

            async def worker() -> None:
                nonlocal served, errors, body_bytes
                while time.perf_counter() < deadline:
                    roll = rng.random()
                    path = (
                        rng.choice(issue_paths)
                        if roll < 0.80
                        else rng.choice(index_paths)
                        if roll < 0.95
                        else feed
                    )
                    headers = {"If-None-Match": etags[path]} if conditional else {}
                    t0 = time.perf_counter()
                    async with session.get(base + path, headers=headers) as resp:
                        body = await resp.read()
                    latencies.append(time.perf_counter() - t0)
                    if resp.status in (200, 304):
                        served += 1
                        body_bytes += len(body)
                    else:
                        errors += 1

            await asyncio.gather(*(worker() for _ in range(connections)))
            return served, errors, latencies, body_bytes

        served, errors, latencies, body_bytes = await phase(seconds, conditional=False)
        c_served, c_errors, c_latencies, _ = await phase(min(seconds, 5.0), conditional=True)
    latencies.sort()
    c_latencies.sort()

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else 0.0

    return {
        "cold_pages": len(everything),
        "cold_s": round(cold_s, 3),
        "cold_pages_per_s": round(len(everything) / cold_s, 1),
        "pages_per_s": round(served / seconds, 1),
        "p50_ms": round(pct(latencies, 0.50), 2),
        "p99_ms": round(pct(latencies, 0.99), 2),
        "errors": errors + c_errors,
        "mean_page_kb": round(body_bytes / max(served, 1) / 1024, 1),
        "conditional_per_s": round(c_served / min(seconds, 5.0), 1),
        "conditional_p99_ms": round(pct(c_latencies, 0.99), 2),
    }


def _load_process(base: str, issues: int, seconds: float, connections: int, out: Any) -> None:
    out.put(asyncio.run(_load(base, issues, seconds, connections)))


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        app, http, publish_s = await _setup(args.issues, url)
        try:
            ctx = multiprocessing.get_context("spawn")
            out = ctx.Queue()
            proc = ctx.Process(
                target=_load_process,
                args=(http.url, args.issues, args.seconds, args.connections, out),
            )
            cpu0 = time.process_time()
            proc.start()
            # Serve while the load process runs; its result arrives through the queue.
            result: dict[str, Any] = await asyncio.to_thread(out.get, True, args.seconds + 600)
            await asyncio.to_thread(proc.join, 30)
            server_cpu = time.process_time() - cpu0
        finally:
            await http.stop()
            await app.stop()
    result.update(
        issues=args.issues,
        connections=args.connections,
        seconds=args.seconds,
        publish_s=round(publish_s, 2),
        server_cpu_s=round(server_cpu, 2),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        backend="postgresql" if args.database_url else "sqlite",
    )
    # The server's CPU per request answered (cold, cached and 304 together): less sensitive
    # than the rates to other work on a shared machine.
    requests = (
        result["cold_pages"]
        + result["pages_per_s"] * args.seconds
        + result["conditional_per_s"] * min(args.seconds, 5.0)
    )
    result["server_cpu_us_per_request"] = round(server_cpu / max(requests, 1) * 1e6, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--issues", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    result = asyncio.run(bench(args))
    rows = [
        ("issues in the archive", result["issues"]),
        ("published in (s)", result["publish_s"]),
        ("cold render: pages", result["cold_pages"]),
        ("cold render: pages/s", result["cold_pages_per_s"]),
        ("cached: pages/s", result["pages_per_s"]),
        ("cached: p50 / p99 (ms)", f"{result['p50_ms']} / {result['p99_ms']}"),
        ("conditional (304): requests/s", result["conditional_per_s"]),
        ("conditional: p99 (ms)", result["conditional_p99_ms"]),
        ("mean page (KB)", result["mean_page_kb"]),
        ("errors", result["errors"]),
        ("server CPU per request (us)", result["server_cpu_us_per_request"]),
        ("server peak RSS (MB)", result["peak_rss_mb"]),
    ]
    for label, value in rows:
        print(f"{label:<34} {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
