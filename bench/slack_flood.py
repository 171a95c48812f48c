"""Hostile traffic on `/slack/events` (issue 17 §2): log bytes and signed `/help` latency.

    uv run python -m bench.slack_flood [--clients 4] [--seconds 10] [--body-mb 1]

Starts `mlebot run` (Slack HTTP mode, SQLite, JSON logs at INFO) as a separate process against
the loopback Slack mock, measures signed `/help` for a few seconds on a quiet endpoint, then
floods it with `--clients` connections each posting `--body-mb` MB bad-signature bodies for
`--seconds` while a signed `/help` is sent every 100 ms. Everything stays on 127.0.0.1.

Last line: one JSON object - `log_bytes_during_flood` (what the bot's log grew by),
`flood_requests` and `flood_mb` sent, `refused_metric` (mlebot_slack_requests_refused_total from
/metrics), `help_p50_ms` / `help_p99_ms` quiet and during the flood, and `help_failures`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from tests.slack.conftest import SECRET, sign
from tests.slack.mock_slack import SlackMock
from tests.system.process import BotProcess


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def help_body(mock: SlackMock, n: int) -> bytes:
    return urlencode(
        {
            "token": "legacy",
            "team_id": mock.team_id,
            "channel_id": "C100",
            "channel_name": "general",
            "user_id": f"U{n % 50}",
            "user_name": "ana",
            "command": "/help",
            "text": "",
            "api_app_id": "A1",
            "response_url": mock.response_url(),
            "trigger_id": "1.2.3",
        }
    ).encode()


async def signed_help(
    session: aiohttp.ClientSession, url: str, mock: SlackMock, n: int
) -> float | None:
    body = help_body(mock, n)
    headers = sign(body, int(time.time()))
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.perf_counter()
    try:
        async with session.post(url, data=body, headers=headers) as resp:
            await resp.read()
            if resp.status != 200:
                return None
    except aiohttp.ClientError:
        return None
    return (time.perf_counter() - started) * 1000


async def probe(
    url: str, mock: SlackMock, until: float, out: list[float], failures: list[int]
) -> None:
    async with aiohttp.ClientSession() as session:
        n = 0
        while time.monotonic() < until:
            n += 1
            ms = await signed_help(session, url, mock, n)
            if ms is None:
                failures.append(n)
            else:
                out.append(ms)
            await asyncio.sleep(0.1)


async def flood(url: str, body: bytes, until: float, sent: list[int]) -> None:
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        while time.monotonic() < until:
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": str(int(time.time())),
                "X-Slack-Signature": "v0=" + "0" * 64,
            }
            try:
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                sent.append(len(body))
            except aiohttp.ClientError:
                await asyncio.sleep(0.01)


async def refused_metric(session: aiohttp.ClientSession, base: str) -> float:
    async with session.get(base + "/metrics") as resp:
        text = await resp.text()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("mlebot_slack_requests_refused_total")
    )


async def main_async(args: argparse.Namespace) -> tuple[dict[str, float], list[str]]:
    mock = SlackMock()
    await mock.start()
    with tempfile.TemporaryDirectory() as tmp:
        bot = BotProcess(
            Path(tmp),
            {
                "SLACK_BOT_TOKEN": "xoxb-bench-flood",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": mock.api_url,
                "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bot.db'}",
            },
        )
        await bot.start()
        try:
            await bot.wait_ready()
            url = bot.url + "/slack/events"
            quiet: list[float] = []
            failures: list[int] = []
            await probe(url, mock, time.monotonic() + 3, quiet, [])
            # "1 MB" bodies: a form with one big field, as a hostile client would send.
            body = b"text=" + b"A" * (int(args.body_mb * 1024 * 1024) - 5)
            log_before = bot.log_path.stat().st_size
            until = time.monotonic() + args.seconds
            sent: list[int] = []
            during: list[float] = []
            await asyncio.gather(
                probe(url, mock, until, during, failures),
                *(flood(url, body, until, sent) for _ in range(args.clients)),
            )
            await asyncio.sleep(0.5)
            log_bytes = bot.log_path.stat().st_size - log_before
            with bot.log_path.open("rb") as log:
                log.seek(log_before)
                written = log.read().decode(errors="replace").splitlines()
            async with aiohttp.ClientSession() as session:
                refused = await refused_metric(session, bot.url)
        finally:
            await bot.stop()
            await mock.stop()
    return {
        "clients": args.clients,
        "seconds": args.seconds,
        "flood_requests": len(sent),
        "flood_mb": round(sum(sent) / 1024 / 1024, 1),
        "refused_metric": refused,
        "log_bytes_during_flood": log_bytes,
        "help_quiet_p50_ms": round(percentile(quiet, 0.5), 1),
        "help_quiet_p99_ms": round(percentile(quiet, 0.99), 1),
        "help_flood_p50_ms": round(percentile(during, 0.5), 1),
        "help_flood_p99_ms": round(percentile(during, 0.99), 1),
        "help_flood_samples": len(during),
        "help_failures": len(failures),
        "log_lines_during_flood": len(written),
    }, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--body-mb", type=float, default=1.0)
    args = parser.parse_args()
    result, written = asyncio.run(main_async(args))
    print("log lines written during the flood:")
    for line in written:
        print("  " + line[:300])
    for key, value in result.items():
        print(f"{key:>24}: {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
