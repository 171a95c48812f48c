"""Slack adapter benchmark over loopback: ack latency, Block Kit rendering, DM fan-out.

    uv run python -m bench.slack [--commands 300] [--concurrency 10] [--dms 1000]

Runs the real bot (installed cogs, SQLite in a temporary directory) serving `/slack/events`
and the loopback Slack Web API mock from the tests. Prints a table, then, as its last line,
one JSON object with the figures:

- `ack_p50_ms`, `ack_p99_ms`: signed `/help` slash commands, `--concurrency` at a time, timed
  from sending the request to reading Slack's answer (the help text travels in the ack).
- `dispatch_p50_ms`, `dispatch_p99_ms`: the core's share (dispatcher: community and member
  rows in the database, permission check, handler) of the same commands.
- `render_us`: rendering a 40-section digest-sized message as Block Kit (median of 200).
- `dm_per_s`: `--dms` DMs through the Slack Sender, 50 at a time (every conversations.open
  included), and `dm_cached_per_s` for a second pass to the same members (opens cached).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from bot.adapters.slack.blocks import render
from bot.adapters.slack.sender import SlackSender
from bot.messages import Button, Field, Message, Section
from bot.ops.compose import build_application
from bot.ops.logs import setup_logging
from bot.scheduling.jobs import Destination, DestinationKind
from bot.settings import load_settings
from tests.slack.conftest import SECRET, sign
from tests.slack.mock_slack import SlackMock


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


dispatch_ms: list[float] = []


async def ack_latency(mock: SlackMock, commands: int, concurrency: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            None,
            database_url=f"sqlite:///{Path(tmp) / 'bench.db'}",
            slack_bot_token="xoxb-bench",
            slack_signing_secret=SECRET,
            slack_api_url=mock.api_url,
        )
        app = await build_application(settings.model_copy(update={"http_port": 0}))
        (adapter,) = app.adapters
        assert app.http is not None
        app.dispatcher.outcome_observers.append(lambda o: dispatch_ms.append(o.seconds * 1000))
        await app.http.start()
        await adapter.start()
        url = app.http.url + "/slack/events"
        timings: list[float] = []
        gate = asyncio.Semaphore(concurrency)

        async def one(session: aiohttp.ClientSession, i: int) -> None:
            form = {
                "team_id": "T0001",
                "team_domain": "bench",
                "channel_id": "C1",
                "channel_name": "general",
                "user_id": f"U{i % 50}",
                "user_name": "bench",
                "command": "/help",
                "text": "",
                "response_url": mock.response_url(),
            }
            body = urlencode(form).encode()
            headers = {
                **sign(body, int(time.time())),
                "Content-Type": "application/x-www-form-urlencoded",
            }
            async with gate:
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    assert resp.status == 200, resp.status
                timings.append((time.perf_counter() - started) * 1000)

        try:
            async with aiohttp.ClientSession() as session:
                await one(session, 0)  # warm-up: auth.test, community row
                timings.clear()
                dispatch_ms.clear()
                await asyncio.gather(*(one(session, i) for i in range(commands)))
        finally:
            await app.stop()
        return timings


def render_time() -> float:
    message = Message(
        title="mlebot weekly — issue 42",
        body="**This week**: feature stores, evaluation, and a DSA warm-up. " * 5,
        sections=tuple(
            Section(f"Tip {i}", "Try this: *measure* before you tune. " * 20) for i in range(40)
        ),
        fields=tuple(Field(f"figure {i}", str(i)) for i in range(12)),
        buttons=(Button("Next tip", "digest-next", "42"),),
        footer="Reply /digest unsubscribe to stop.",
    )
    samples = []
    for _ in range(200):
        started = time.perf_counter()
        render(message)
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples)


async def fan_out(mock: SlackMock, dms: int) -> tuple[float, float]:
    sender = SlackSender("xoxb-bench", base_url=mock.api_url)
    gate = asyncio.Semaphore(50)
    message = Message(title="Your DSA reminder", body="Two problems are waiting for you.")

    async def one(i: int) -> None:
        dest = Destination("slack", "T0001", DestinationKind.DM, f"U{i:05d}")
        async with gate:
            await sender.send(dest, message, idempotency_key=str(i))

    rates = []
    for _ in range(2):
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(dms)))
        rates.append(dms / (time.perf_counter() - started))
    assert len(mock.calls_to("conversations.open")) == dms
    return rates[0], rates[1]


async def main_async(args: argparse.Namespace) -> dict[str, float]:
    mock = SlackMock()
    await mock.start()
    try:
        timings = await ack_latency(mock, args.commands, args.concurrency)
        dm_rate, dm_cached_rate = await fan_out(mock, args.dms)
    finally:
        await mock.stop()
    return {
        "commands": args.commands,
        "concurrency": args.concurrency,
        "ack_p50_ms": round(percentile(timings, 0.50), 2),
        "ack_p99_ms": round(percentile(timings, 0.99), 2),
        "ack_max_ms": round(max(timings), 2),
        "dispatch_p50_ms": round(percentile(dispatch_ms, 0.50), 2),
        "dispatch_p99_ms": round(percentile(dispatch_ms, 0.99), 2),
        "render_us": round(render_time(), 1),
        "dms": args.dms,
        "dm_per_s": round(dm_rate, 1),
        "dm_cached_per_s": round(dm_cached_rate, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--dms", type=int, default=1000)
    args = parser.parse_args()
    setup_logging("WARNING", "text")
    figures = asyncio.run(main_async(args))
    for key, value in figures.items():
        print(f"{key:>18}  {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
