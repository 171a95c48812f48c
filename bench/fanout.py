"""Fan-out benchmark: one digest to N subscribers by DM, through the delivery engine, against a
loopback emulator of the platform API (bench/emulator.py) with a latency and a rate ceiling.

    uv run python -m bench.fanout --subscribers 10000 [--ceiling 2000] [--latency-ms 50]
                                  [--platform discord|slack] [--kills 3] [--database-url URL]
                                  [--processes 3 --lease-seconds 5]
                                  [--revoke-at 0.2 --rate 48 --concurrency 50 --ceiling 50]

The digest is queued in the outbox (one transaction), then a separate bot process drains it
through the engine (so its CPU time and peak RSS are the bot's alone). With `--kills K` that
process is SIGKILLed at K random moments and restarted each time. The emulator counts what the
subscribers received: losses (subscribers with nothing) and duplicates (a second visible copy;
Discord copies carrying a nonce already seen are dropped by the emulator as Discord does, and
counted apart). A naive baseline (`for each subscriber: await send()`) then runs in the bench
process over a sample of subscribers. Slack mode uses the real Slack adapter's Sender; Discord
mode the real Discord adapter's Sender (nonce + enforce_nonce, cached DM channels).

`--baseline discordpy` compares instead with the fair peer a careful discord.py author would
write (bench/fanout_peer.py: discord.py's own client, `create_dm` + `send` under a semaphore,
its built-in rate-limit handling, no database), in its own process against the same emulator,
ceiling and latency: once to the end (`peer_msgs_per_s`), then SIGKILLed after half the messages
and started again as an operator would (`peer_losses`, `peer_duplicates`).

A DM to a new subscriber costs two requests (open the DM channel, post), so messages/s is about
half the request ceiling on a first fan-out; `ceiling_ratio` is requests/s over the ceiling.
The last line printed is one JSON object with the figures.

`--processes N` runs N bot processes at once on one database (PostgreSQL: they split the outbox
by leased claims, `FOR UPDATE SKIP LOCKED`); each gets 1/N of the engine rate and concurrency
(the per-process share of a token's global limit). With `--kills K` (K < N) the i-th kill
SIGKILLs the i-th process and nobody restarts it: the survivors reclaim its leased rows once the
lease (`--lease-seconds`) expires, which the figures check (`killed_leased_rows`,
`reclaimed_after_expiry`).

`--revoke-at F` measures what a revoked token costs instead (issue 16): the emulator revokes the
bot token once F x N messages were delivered and answers every later request as the platform
does (Discord 401, Slack `token_revoked`); the bot must stop that platform's sending at once and
leave the rest pending. Discord bans an IP after 10,000 invalid requests in 10 minutes, so the
figure is `unauthorized`: how many requests were answered 401 (the sends already in flight when
the first refusal came back), with the outbox rows left pending and their attempts. Pass the
production pacing (`--rate 48 --concurrency 50`, DELIVERY_DISCORD_RATE and DELIVERY_CONCURRENCY's
defaults) to measure what a deployment would see; no naive baseline runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa

from bot.adapters.discord.sender import DiscordSender
from bot.adapters.discord.sender import delivery_limits as discord_limits
from bot.app import Application
from bot.delivery.dm_cache import DMChannelCache
from bot.delivery.sender import RateLimited, Sender
from bot.messages import Message, Section
from bot.ops import event_loop
from bot.scheduling.jobs import Delivery, Destination, DestinationKind
from bot.settings import load_settings
from storage import migrations
from storage.database import Database
from storage.outbox import OutboxStatus, enqueue, outbox

DIGEST = Message(
    title="ML engineering weekly — issue 42",
    body="This week: make your training runs reproducible.",
    sections=(
        Section("Tip", "Pin data versions next to code versions; log both with every run."),
        Section("Resource", "Designing Machine Learning Systems, chapter 6."),
        Section("Problem of the week", "Two Sum — easy, 15 minutes."),
    ),
    footer="Reply /digest unsubscribe to stop these.",
)


async def _close(sender: Sender) -> None:
    """Senders that own an HTTP session (the Discord one) close it."""
    close = getattr(sender, "close", None)
    if close is not None:
        await close()


def make_sender(platform: str, api: str, cache: DMChannelCache, connections: int = 100) -> Sender:
    if platform == "slack":
        from bot.adapters.slack.sender import SlackSender

        return SlackSender("xoxb-bench", base_url=f"{api}/slack/api/", dm_cache=cache)
    return DiscordSender(
        "bench-token",
        api_base_url=f"{api}/discord/api/v10",
        dm_cache=cache,
        max_connections=connections,  # as the adapter does: one per send in flight
    )


def subscribers(n: int, prefix: str = "") -> list[Delivery]:
    return [
        Delivery(
            Destination("discord", "bench-guild", DestinationKind.DM, f"{prefix}{100000 + i}"),
            DIGEST,
        )
        for i in range(n)
    ]


def settings_for(args: argparse.Namespace) -> Any:
    processes = max(1, args.processes)
    rate = (args.rate if args.rate is not None else args.ceiling * 0.97) / processes
    concurrency = args.concurrency or max(16, math.ceil(rate * args.latency_ms / 1000 * 3))
    key = "slack" if args.platform == "slack" else "discord"
    extra: dict[str, Any] = {}
    if args.lease_seconds is not None:
        extra["delivery_lease_seconds"] = args.lease_seconds
    return load_settings(
        None,
        database_url=args.database_url,
        **{f"delivery_{key}_rate": rate, "delivery_concurrency": concurrency},
        **extra,
    )


# -- the bot process ---------------------------------------------------------------------


async def worker(args: argparse.Namespace) -> dict[str, Any]:
    """Drain the outbox through the engine; report this process's CPU and memory."""
    settings = settings_for(args)
    app = Application(settings, cog_classes=[])
    platform = args.platform
    started = time.perf_counter()
    cpu0 = time.process_time()  # interpreter start-up and imports are not per-message work
    main0 = time.thread_time()
    await app.start()
    sender_platform = "slack" if platform == "slack" else "discord"
    sender = make_sender(
        platform,
        args.api,
        app.delivery.dm_cache(sender_platform),
        settings.delivery_concurrency,
    )
    app.delivery.register_sender(sender_platform, sender)
    try:
        # Until every row is done, or the platform refused the token (the rest stays pending).
        while (  # noqa: ASYNC110 - db is truth
            await _unfinished(app, sender_platform) > 0
            and app.delivery.credentials_refused(sender_platform) is None
        ):
            await asyncio.sleep(1.0)
        engine_stats = app.delivery.stats()
    finally:
        await app.stop()
        await _close(sender)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu0,
        "main_thread_cpu_s": time.thread_time() - main0,
        "engine": engine_stats,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


async def _unfinished(app: Application, platform: str) -> int:
    async with app.db.transaction() as conn:
        return int(
            (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(outbox)
                    .where(
                        outbox.c.platform == platform,  # so the claim index serves the count
                        outbox.c.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                    )
                )
            ).scalar_one()
        )


# -- the bench process -------------------------------------------------------------------


async def prepare(args: argparse.Namespace, n: int, run_key: str) -> float:
    db = Database(args.database_url)
    try:
        await migrations.upgrade(db)
        deliveries = subscribers(n)
        if args.platform == "slack":
            deliveries = [
                Delivery(
                    Destination("slack", "T1", DestinationKind.DM, d.destination.target_id),
                    d.message,
                )
                for d in deliveries
            ]
        started = time.perf_counter()
        async with db.transaction() as conn:
            await enqueue(conn, run_key=run_key, deliveries=deliveries, now=_now())
        return time.perf_counter() - started
    finally:
        await db.close()


async def counts(database_url: str) -> dict[str, int]:
    db = Database(database_url)
    try:
        async with db.transaction() as conn:
            rows = await conn.execute(
                sa.select(outbox.c.status, sa.func.count()).group_by(outbox.c.status)
            )
            return {status: int(n) for status, n in rows}
    finally:
        await db.close()


def _now() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)


async def baseline(args: argparse.Namespace, n: int) -> dict[str, float]:
    """The naive way: one subscriber after another, each send awaited."""
    sender = make_sender(args.platform, args.api, DMChannelCache())
    cpu0 = time.process_time()
    started = time.perf_counter()
    sent = 0
    for delivery in subscribers(n, prefix="9"):
        try:
            await sender.send(delivery.destination, delivery.message, idempotency_key="b")
            sent += 1
        except RateLimited as exc:
            await asyncio.sleep(exc.retry_after)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    await _close(sender)
    return {"msgs_per_s": sent / seconds, "cpu_us_per_msg": cpu / max(1, sent) * 1e6}


def http_json(url: str, method: str = "GET") -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session, session.request(method, url) as resp:
            return dict(await resp.json())

    return asyncio.run(go())


def start_emulator(args: argparse.Namespace) -> tuple[subprocess.Popen[str], str]:
    revoke = () if args.revoke_at is None else ("--revoke-after", str(revoke_after(args)))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.emulator",
            "--ceiling",
            str(args.ceiling),
            "--latency-ms",
            str(args.latency_ms),
            "--fail-rate",
            str(args.fail_rate),
            *revoke,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if len(line) != 2 or line[0] != "PORT":
        proc.kill()
        raise SystemExit("the emulator did not start")
    return proc, f"http://127.0.0.1:{line[1]}"


def run_bot(args: argparse.Namespace, kill_at: int | None) -> dict[str, Any] | None:
    """One bot process; SIGKILLed once the emulator has received `kill_at` messages."""
    return _run_killable(_worker_cmd(args), args.api, kill_at)


def run_peer(args: argparse.Namespace, kill_at: int | None) -> dict[str, Any] | None:
    """One discord.py peer process (bench/fanout_peer.py), SIGKILLed like `run_bot`."""
    cmd = [
        sys.executable,
        "-m",
        "bench.fanout_peer",
        *("--api", args.api, "--subscribers", str(args.subscribers)),
        *("--concurrency", str(settings_for(args).delivery_concurrency)),
    ]
    return _run_killable(cmd, args.api, kill_at)


def peer_figures(args: argparse.Namespace) -> dict[str, Any]:
    """The discord.py peer: a clean run, then a run SIGKILLed at 50 % and started again."""
    n = args.subscribers
    http_json(f"{args.api}/reset", "POST")
    clean = run_peer(args, None)
    assert clean is not None
    stats = http_json(f"{args.api}/stats")
    busy = float(stats.get("busy_seconds") or 0.0) or float(clean["seconds"])
    figures: dict[str, Any] = {
        "peer": "discord.py (create_dm + send, asyncio.gather under a semaphore)",
        "peer_concurrency": settings_for(args).delivery_concurrency,
        "peer_msgs_per_s": round(int(stats.get("channels", 0)) / busy, 1),
        "peer_cpu_us_per_msg": round(float(clean["cpu_s"]) / max(1, n) * 1e6, 1),
        "peer_peak_rss_mb": round(float(clean["peak_rss_mb"]), 1),
        "peer_rate_limited_429": int(stats.get("rate_limited", 0)),
        "peer_failed": int(clean["failed"]),
        "peer_clean_losses": n - int(stats.get("channels", 0)),
    }
    http_json(f"{args.api}/reset", "POST")
    killed = run_peer(args, n // 2)
    assert killed is None, "the peer finished before half the messages arrived"
    at_kill = int(http_json(f"{args.api}/stats").get("messages", 0))
    run_peer(args, None)  # the operator starts the script again
    after = http_json(f"{args.api}/stats")
    figures.update(
        peer_killed_after_messages=at_kill,
        peer_losses=n - int(after.get("channels", 0)),
        peer_duplicates=int(after.get("duplicates", 0)),
    )
    return figures


def _run_killable(cmd: list[str], api: str, kill_at: int | None) -> dict[str, Any] | None:
    """Run `cmd`; SIGKILL it once the emulator at `api` has received `kill_at` messages."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    if kill_at is not None:
        while proc.poll() is None:
            if int(http_json(f"{api}/stats").get("messages", 0)) >= kill_at:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return None
            time.sleep(0.02)
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[1:3])} failed ({proc.returncode})")
    return dict(json.loads(out.strip().splitlines()[-1]))


def _worker_cmd(args: argparse.Namespace) -> list[str]:
    return [sys.executable, "-m", "bench.fanout", "--worker", *args.passthrough]


async def leased_by(database_url: str, pid: int) -> dict[int, datetime]:
    """Rows a (dead) process still holds: id -> lease end. Owners are `host:pid:random`."""
    db = Database(database_url)
    try:
        async with db.transaction() as conn:
            rows = await conn.execute(
                sa.select(outbox.c.id, outbox.c.lease_until).where(
                    outbox.c.status == OutboxStatus.SENDING,
                    outbox.c.lease_owner.like(f"%:{pid}:%"),
                )
            )
            return {int(i): until for i, until in rows}
    finally:
        await db.close()


async def reclaimed_after(database_url: str, leases: dict[int, datetime]) -> int:
    """How many of `leases` were sent, by someone else, after their lease ended."""
    db = Database(database_url)
    try:
        done = 0
        async with db.transaction() as conn:
            ids = list(leases)
            for start in range(0, len(ids), 1000):
                rows = await conn.execute(
                    sa.select(outbox.c.id, outbox.c.status, outbox.c.finished_at).where(
                        outbox.c.id.in_(ids[start : start + 1000])
                    )
                )
                for i, status, finished in rows:
                    if status == OutboxStatus.SENT and finished >= leases[int(i)]:
                        done += 1
        return done
    finally:
        await db.close()


def run_cluster(args: argparse.Namespace, processes: int, kill_at: Sequence[int]) -> dict[str, Any]:
    """`processes` bot processes at once; the i-th is SIGKILLed once the emulator has received
    `kill_at[i]` messages and is not restarted. Returns the survivors' results and, per killed
    process, the rows it held when it died and how many were later sent after the lease."""
    if len(kill_at) >= processes:
        raise SystemExit("--kills must be smaller than --processes (someone has to finish)")
    procs = [
        subprocess.Popen(_worker_cmd(args), stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    killed: list[dict[str, Any]] = []
    try:
        for victim, at in zip(procs, sorted(kill_at), strict=False):
            while victim.poll() is None:
                if int(http_json(f"{args.api}/stats").get("messages", 0)) >= at:
                    victim.send_signal(signal.SIGKILL)
                    victim.wait()
                    leases = asyncio.run(leased_by(args.database_url, victim.pid))
                    killed.append({"pid": victim.pid, "after": at, "leases": leases})
                    break
                time.sleep(0.02)
        results = []
        for proc in procs[len(killed) :]:
            out, _ = proc.communicate()
            if proc.returncode != 0:
                raise SystemExit(f"a bot process failed ({proc.returncode})")
            results.append(dict(json.loads(out.strip().splitlines()[-1])))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    held = sum(len(k["leases"]) for k in killed)
    reclaimed = sum(asyncio.run(reclaimed_after(args.database_url, k["leases"])) for k in killed)
    return {
        "results": results,
        "killed_after_messages": [k["after"] for k in killed],
        "killed_leased_rows": held,
        "reclaimed_after_expiry": reclaimed,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Fan-out benchmark of the delivery engine")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--ceiling", type=float, default=2000.0, help="emulator requests/s")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of posts given 503")
    parser.add_argument("--rate", type=float, default=None, help="engine rate (0.97 x ceiling)")
    parser.add_argument("--concurrency", type=int, default=0, help="in flight (auto)")
    parser.add_argument("--platform", choices=("discord", "slack"), default="discord")
    parser.add_argument("--kills", type=int, default=0, help="SIGKILL the bot K times")
    parser.add_argument("--processes", type=int, default=1, help="bot processes at once")
    parser.add_argument("--lease-seconds", type=float, default=None, help="outbox lease")
    parser.add_argument(
        "--baseline",
        choices=("naive", "discordpy", "none"),
        default="naive",
        help="peer to compare with: a naive await-each-send loop over a sample, or discord.py",
    )
    parser.add_argument(
        "--baseline-sample", type=int, default=200, help="subscribers of the naive baseline"
    )
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--warm", action="store_true", help="then a second digest (DM channels already known)"
    )
    parser.add_argument(
        "--revoke-at",
        type=float,
        default=None,
        help="revoke the token after this share of the messages; count the 401s",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api", default="", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def set_passthrough(args: argparse.Namespace) -> None:
    """The options every bot process gets (once `database_url` and `api` are known)."""
    args.passthrough = [
        *("--subscribers", str(args.subscribers), "--ceiling", str(args.ceiling)),
        *("--latency-ms", str(args.latency_ms), "--platform", args.platform),
        *("--database-url", args.database_url, "--api", args.api),
        *(("--rate", str(args.rate)) if args.rate is not None else ()),
        *(("--concurrency", str(args.concurrency)) if args.concurrency else ()),
        *("--processes", str(args.processes)),
        *(("--lease-seconds", str(args.lease_seconds)) if args.lease_seconds else ()),
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        # The loop the bot runs on (EVENT_LOOP, default: uvloop where installed).
        print(json.dumps(event_loop.run(worker(args), settings_for(args).event_loop)))
        return 0

    tmp = tempfile.TemporaryDirectory(prefix="fanout-")
    if args.database_url is None:
        args.database_url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    rng = random.Random(args.seed)
    emulator, args.api = start_emulator(args)
    n = args.subscribers
    set_passthrough(args)
    try:
        if args.revoke_at is not None:
            figures = revoked_fanout(args)
            print(json.dumps(figures))
            return 0
        figures = one_fanout(args, 1, kills=args.kills, rng=rng)
        report(args, figures, "first fan-out (every DM channel opened: 2 requests per DM)")
        if args.warm:
            first = figures
            figures = one_fanout(args, 2, kills=0, rng=rng)
            figures["first_fanout"] = {k: first[k] for k in SUMMARY_KEYS}
            report(args, figures, "next digest, new bot process (DM channel ids from storage)")
        if args.baseline == "naive":
            sample = min(args.baseline_sample, n)
            base = asyncio.run(baseline(args, sample))
            figures["baseline_n"] = sample
            figures["baseline_msgs_per_s"] = round(base.get("msgs_per_s", 0.0), 1)
            figures["baseline_cpu_us_per_msg"] = round(base.get("cpu_us_per_msg", 0.0), 1)
        elif args.baseline == "discordpy":
            if args.platform != "discord":
                raise SystemExit("--baseline discordpy needs --platform discord")
            figures.update(peer_figures(args))
    finally:
        emulator.terminate()
        emulator.wait()
        tmp.cleanup()
    if "baseline_n" in figures:
        print(
            f"baseline (await each send, first contact, {figures['baseline_n']} subscribers): "
            f"{figures['baseline_msgs_per_s']} msgs/s"
        )
    if "peer_msgs_per_s" in figures:
        print(
            f"peer ({figures['peer']}, {figures['peer_concurrency']} at once, first contact): "
            f"{figures['peer_msgs_per_s']} msgs/s, {figures['peer_cpu_us_per_msg']} CPU us/msg, "
            f"{figures['peer_rate_limited_429']} answered 429; SIGKILLed after "
            f"{figures['peer_killed_after_messages']} messages and started again: losses "
            f"{figures['peer_losses']}, duplicates {figures['peer_duplicates']}"
        )
    print(json.dumps(figures))
    return 0


SUMMARY_KEYS = (
    "seconds",
    "msgs_per_s",
    "requests_per_s",
    "ceiling_ratio",
    "cpu_us_per_msg",
    "peak_rss_mb",
    "rate_limited_429",
    "duplicates",
    "nonce_deduplicated",
    "losses",
)


def one_fanout(
    args: argparse.Namespace, run_no: int, *, kills: int, rng: random.Random
) -> dict[str, Any]:
    """Queue digest `run_no` to every subscriber and run the bot until it is delivered."""
    n = args.subscribers
    http_json(f"{args.api}/reset", "POST")
    enqueue_s = asyncio.run(prepare(args, n, f"bench:digest:{run_no}"))
    # Kill at random points of the fan-out: after a random share of the messages arrived.
    points = sorted(int(n * rng.uniform(0.05, 0.95)) for _ in range(kills))
    started = time.perf_counter()
    killed_at: list[int] = []
    cluster: dict[str, Any] = {}
    if args.processes > 1:
        cluster = run_cluster(args, args.processes, points)
        results = cluster.pop("results")
        killed_at = cluster.pop("killed_after_messages")
        result = {
            "seconds": max(r["seconds"] for r in results),
            "cpu_s": sum(r["cpu_s"] for r in results),
            "main_thread_cpu_s": sum(r["main_thread_cpu_s"] for r in results),
            "engine": [r["engine"] for r in results],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
        }
    else:
        for at in points:
            if run_bot(args, at) is None:
                killed_at.append(at)
        one = run_bot(args, None)
        assert one is not None
        result = one
    wall = time.perf_counter() - started
    stats = http_json(f"{args.api}/stats")
    rows = asyncio.run(counts(args.database_url))
    channels = int(stats.get("channels", 0))
    # Throughput over the time the emulator was receiving (one bot process's start-up
    # excluded; with kills, the restarts are included: that is the point of that run).
    busy = float(stats.get("busy_seconds") or 0.0)
    seconds = busy if not kills and busy > 0 else wall
    admitted = int(stats.get("requests", 0)) - int(stats.get("rate_limited", 0))
    return {
        "platform": args.platform,
        "backend": sa.make_url(args.database_url).get_backend_name(),
        "processes": args.processes,
        "subscribers": n,
        "ceiling_rps": args.ceiling,
        "latency_ms": args.latency_ms,
        "kills": kills,
        "killed_after_messages": killed_at,
        "enqueue_s": round(enqueue_s, 3),
        "seconds": round(seconds, 2),
        "bot_process_seconds": round(float(result["seconds"]), 2),
        "msgs_per_s": round(channels / seconds, 1),
        "requests_per_s": round(admitted / seconds, 1),
        "ceiling_ratio": round(admitted / seconds / args.ceiling, 3),
        "cpu_us_per_msg": round(result["cpu_s"] / max(1, n) * 1e6, 1),
        "main_thread_cpu_us_per_msg": round(result["main_thread_cpu_s"] / max(1, n) * 1e6, 1),
        "emulator_cpu_s": round(float(stats.get("emulator_cpu_s", 0.0)), 1),
        "engine": result.get("engine", {}),
        "peak_rss_mb": round(result["peak_rss_mb"], 1),
        "rate_limited_429": int(stats.get("rate_limited", 0)),
        "dm_opened": int(stats.get("dm_opened", 0)),
        "duplicates": int(stats.get("duplicates", 0)),
        "nonce_deduplicated": int(stats.get("nonce_deduplicated", 0)),
        "losses": n - channels,
        "outbox": rows,
        **cluster,
    }


def revoke_after(args: argparse.Namespace) -> int:
    return int(args.subscribers * args.revoke_at)


async def row_states(database_url: str) -> dict[str, int]:
    """Outbox rows by status and attempts counted ("pending/0": pending, never attempted)."""
    db = Database(database_url)
    try:
        async with db.transaction() as conn:
            rows = await conn.execute(
                sa.select(outbox.c.status, outbox.c.attempts, sa.func.count()).group_by(
                    outbox.c.status, outbox.c.attempts
                )
            )
            return {f"{status}/{attempts}": int(n) for status, attempts, n in rows}
    finally:
        await db.close()


def revoked_fanout(args: argparse.Namespace) -> dict[str, Any]:
    """One fan-out whose token the emulator revokes after `--revoke-at` of the messages: how
    many requests were refused before the bot stopped, and what it left pending."""
    if args.kills or args.processes > 1:
        raise SystemExit("--revoke-at runs one bot process, without --kills")
    n = args.subscribers
    http_json(f"{args.api}/reset", "POST")
    asyncio.run(prepare(args, n, "bench:digest:revoked"))
    result = run_bot(args, None)
    assert result is not None
    stats = http_json(f"{args.api}/stats")
    settings = settings_for(args)
    key = "slack" if args.platform == "slack" else "discord"
    if key == "slack":
        from bot.adapters.slack.sender import delivery_limits as slack_limits

        limits = slack_limits(settings)
    else:
        limits = discord_limits(settings)
    figures = {
        "platform": args.platform,
        "subscribers": n,
        "revoked_after_messages": revoke_after(args),
        "latency_ms": args.latency_ms,
        "engine_rate": limits.rate,
        "in_flight_max": limits.concurrency,  # what the sender's limits allow
        "delivery_concurrency": settings.delivery_concurrency,
        "unauthorized": int(stats.get("unauthorized", 0)),
        "delivered": int(stats.get("channels", 0)),
        "duplicates": int(stats.get("duplicates", 0)),
        "rate_limited_429": int(stats.get("rate_limited", 0)),
        "outbox": asyncio.run(row_states(args.database_url)),
        "engine": result.get("engine", {}),
    }
    refused = "401" if args.platform == "discord" else "token_revoked"
    print(
        f"{args.platform}: {n} DMs, token revoked after {figures['revoked_after_messages']} "
        f"messages (engine rate {figures['engine_rate']:g}/s, {figures['in_flight_max']} in "
        f"flight at most with DELIVERY_CONCURRENCY {figures['delivery_concurrency']}, latency "
        f"{args.latency_ms:g} ms):"
    )
    print(
        f"  {figures['unauthorized']} requests answered {refused}; {figures['delivered']} "
        f"delivered, {figures['duplicates']} duplicates; outbox {figures['outbox']}"
    )
    return figures


def report(args: argparse.Namespace, figures: dict[str, Any], title: str) -> None:
    print(
        f"{figures['platform']} on {figures['backend']}, {figures['processes']} bot "
        f"process(es), {title}:"
    )
    print(
        f"  {figures['subscribers']} DMs in {figures['seconds']} s: "
        f"{figures['msgs_per_s']} msgs/s, {figures['requests_per_s']} requests/s = "
        f"{figures['ceiling_ratio']:.1%} of the {args.ceiling:g}/s ceiling "
        f"({figures['rate_limited_429']} answered 429, {figures['dm_opened']} DM channels opened)"
    )
    print(
        f"  bot process{' (the last one)' if figures['kills'] else ''}: "
        f"{figures['cpu_us_per_msg']} CPU us/msg "
        f"({figures['main_thread_cpu_us_per_msg']} in the event loop's thread), peak RSS "
        f"{figures['peak_rss_mb']} MB; enqueue {figures['enqueue_s']} s"
    )
    print(
        f"  received: losses {figures['losses']}, duplicates {figures['duplicates']} "
        f"(nonce-deduplicated {figures['nonce_deduplicated']}); SIGKILLed after "
        f"{figures['killed_after_messages']} messages"
    )
    if figures.get("killed_after_messages") and "killed_leased_rows" in figures:
        print(
            f"  killed processes held {figures['killed_leased_rows']} leased rows; "
            f"{figures['reclaimed_after_expiry']} sent by the survivors after the lease expired"
        )


if __name__ == "__main__":
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.exit(main())
