"""The fan-out a careful discord.py author would write, as the fair peer of the delivery engine.

    python -m bench.fanout_peer --api http://127.0.0.1:PORT --subscribers 10000 [--concurrency 300]

discord.py's own client (its REST client, per-route buckets and global rate-limit handling)
sends the digest to every subscriber as `User.send` does — open the DM channel
(`Client.create_dm`), then `DMChannel.send` — driven by `asyncio.gather` under a semaphore, with
no database: what a bot without an outbox does. Run against the benchmark emulator
(bench/emulator.py) with the same ceiling and latency as the engine. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from typing import Any

import discord
from discord.http import Route

from bench.fanout import DIGEST, subscribers


def digest_embed() -> discord.Embed:
    """The benchmark digest as the embed such an author would build by hand."""
    embed = discord.Embed(title=DIGEST.title, description=DIGEST.body)
    for section in DIGEST.sections:
        embed.add_field(name=section.heading, value=section.body, inline=False)
    if DIGEST.footer:
        embed.set_footer(text=DIGEST.footer)
    return embed


async def fan_out(api: str, n: int, concurrency: int) -> dict[str, Any]:
    Route.BASE = f"{api}/discord/api/v10"
    # discord.py logs every 429 it waits out at WARNING; the emulator answers many.
    client = discord.Client(intents=discord.Intents.none())
    await client.login("bench-token")
    gate = asyncio.Semaphore(concurrency)
    embed = digest_embed()
    sent = failed = 0

    async def one(user_id: int) -> None:
        nonlocal sent, failed
        async with gate:
            try:
                channel = await client.create_dm(discord.Object(id=user_id))
                await channel.send(embed=embed)
                sent += 1
            except discord.HTTPException:
                failed += 1

    cpu0 = time.process_time()
    started = time.perf_counter()
    ids = [int(d.destination.target_id) for d in subscribers(n)]
    try:
        await asyncio.gather(*(one(user_id) for user_id in ids))
    finally:
        await client.close()
    seconds = time.perf_counter() - started
    return {
        "sent": sent,
        "failed": failed,
        "seconds": seconds,
        "cpu_s": time.process_time() - cpu0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--api", required=True)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=300)
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.ERROR)
    print(json.dumps(asyncio.run(fan_out(args.api, args.subscribers, args.concurrency))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
