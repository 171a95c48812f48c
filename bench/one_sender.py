"""One sender per SQLite file (issue 17 §1): the duplicate reproduction, as processes.

    uv run python -m bench.one_sender [--subscribers 200] [--console-after 4]

`mlebot run` (Slack HTTP mode, SQLite, against the loopback Slack mock) with `--subscribers`
members subscribed to the digest by DM (each through a signed `/digest subscribe`); once their
welcome DMs are out, a moderator runs `/digest publish-now`. `--console-after` seconds later,
while the fan-out is in flight (Slack's default pacing is 10 messages/s), `printf '/help\\n' |
mlebot console` runs on the same DATABASE_URL, then a second `mlebot run` on the same file. The
first process is left to finish the fan-out and stopped; every DM the mock accepted is counted.

Before the sender lease the console reset the in-flight rows to pending and sent them again (99
subscribers got the issue twice) and a second run sent 60 duplicates. Everything stays on
127.0.0.1. Last line: one JSON object - `duplicates`, `lost` (subscribers with no copy),
`in_flight_when_console_ran`, `console_exit`, `console_says_who_sends`, `second_run_exit`,
`second_run_message`, `fanout_s`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import aiohttp

from tests.slack.mock_slack import SlackMock
from tests.system.process import BotProcess, mlebot_executable
from tests.system.test_run_slack import MOD, SECRET, SlackUser

DIGEST_CHANNEL = "C0DIGEST"


def outbox_statuses(db: Path) -> Counter[str]:
    """Outbox rows by status, read from a read-only connection (never takes the write lock)."""
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        return Counter(
            {s: n for s, n in conn.execute("SELECT status, count(*) FROM outbox GROUP BY 1")}
        )
    finally:
        conn.close()


def dm_copies(mock: SlackMock, marker: str) -> Counter[str]:
    """Per member (DM channel `D<user>`), how many accepted DMs carry `marker`."""
    copies: Counter[str] = Counter()
    for call in mock.calls_to("chat.postMessage"):
        channel = str(call.params.get("channel", ""))
        if channel.startswith("D") and marker in json.dumps(call.params):
            copies[channel[1:]] += 1
    return copies


async def poll(done: Callable[[], bool], within: float) -> None:
    """Until `done()` (it reads the database too, which no mock call announces)."""
    async with asyncio.timeout(within):
        while not done():  # noqa: ASYNC110 - nothing announces a database change
            await asyncio.sleep(0.2)


async def console_help(workdir: Path, database_url: str) -> tuple[int, str]:
    """`printf '/help\\n' | mlebot console` on the database, as an operator would run it."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_", "DATABASE"))
    }
    env["DATABASE_URL"] = database_url
    proc = await asyncio.create_subprocess_exec(
        *mlebot_executable(),
        "console",
        cwd=workdir,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(b"/help\n"), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace")


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    mock = SlackMock()
    mock.users[MOD[0]] = {"name": MOD[1], "is_admin": True}
    await mock.start()
    workdir = Path(tempfile.mkdtemp(prefix="mlebot-one-sender-"))
    db = workdir / "bot.db"
    env = {
        "SLACK_BOT_TOKEN": "xoxb-one-sender-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": mock.api_url,
        "DATABASE_URL": f"sqlite:///{db}",
    }
    members = [(f"U{i:04d}", f"member{i}") for i in range(args.subscribers)]
    first = BotProcess(workdir, env, name="first")
    await first.start()
    result: dict[str, object] = {"subscribers": args.subscribers}
    try:
        await first.wait_ready(120)
        async with aiohttp.ClientSession() as session:
            slack = SlackUser(first, mock, session)
            await slack.command("/schedule", f"digest <#{DIGEST_CHANNEL}|digest> mon 09:00", MOD)
            gate = asyncio.Semaphore(8)

            async def subscribe(member: tuple[str, str]) -> None:
                async with gate:
                    assert "subscribed" in (await slack.command("/digest", "subscribe", member))

            await asyncio.gather(*(subscribe(m) for m in members))
            # Their welcome DMs go out first (paced like any DM): wait, so only the issue is
            # in flight below.
            await mock.wait_for(
                lambda: len(dm_copies(mock, "Welcome to the weekly digest")) == len(members),
                within=600,
            )
            published = await slack.command("/digest", "publish-now", who=MOD)
            assert "#1" in published, published
        started = time.monotonic()
        await asyncio.sleep(args.console_after)
        result["in_flight_when_console_ran"] = outbox_statuses(db)["sending"]
        result["sent_when_console_ran"] = len(dm_copies(mock, "Issue #1"))
        code, text = await console_help(workdir, env["DATABASE_URL"])
        result["console_exit"] = code
        result["console_says_who_sends"] = "sends this database's posts" in text
        second = BotProcess(workdir, env, name="second")
        await second.start()
        result["second_run_exit"] = await second.wait_exit(120)
        said = [ln for ln in second.log().splitlines() if "already sending from" in ln]
        result["second_run_message"] = said[0][:300] if said else second.log()[-300:]
        await poll(
            lambda: (
                len(dm_copies(mock, "Issue #1")) == len(members)
                and outbox_statuses(db)["sending"] + outbox_statuses(db)["pending"] == 0
            ),
            within=600,
        )
        result["fanout_s"] = round(time.monotonic() - started, 1)
        await asyncio.sleep(2)  # anything sent twice late would show up now
    finally:
        result["first_run_exit"] = await first.stop(60)
        await mock.stop()
    copies = dm_copies(mock, "Issue #1")
    result["duplicates"] = sum(n - 1 for n in copies.values() if n > 1)
    result["lost"] = sum(1 for user, _ in members if copies[user] == 0)
    result["channel_posts"] = sum(
        1
        for c in mock.calls_to("chat.postMessage")
        if c.params.get("channel") == DIGEST_CHANNEL and "Issue #1" in json.dumps(c.params)
    )
    result["outbox"] = dict(outbox_statuses(db))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--console-after", type=float, default=4.0)
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    for key, value in result.items():
        print(f"{key:>28}: {value}")
    print(json.dumps(result))
    sys.exit(0 if (result["duplicates"], result["lost"]) == (0, 0) else 1)


if __name__ == "__main__":
    main()
