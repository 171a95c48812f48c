"""A real bot process for the shutdown tests: the console plus a deliberately slow command.

Run as `python -m tests.ops.slow_bot` with DATABASE_URL (and SHUTDOWN_GRACE_SECONDS) set; feed
commands on stdin. `/slow SECONDS` queues a 300-recipient fan-out in ONE transaction that stays
open for SECONDS, so a shutdown in the middle either waits for it or rolls it back whole.
"""

from __future__ import annotations

import asyncio
import sys

from bot.cog import Cog, command
from bot.commands.context import Context
from bot.commands.registry import Option, OptionType
from bot.messages import Message
from bot.ops.compose import ConsoleOptions, build_application
from bot.ops.logs import setup_logging
from bot.ops.runner import serve
from bot.scheduling.jobs import Delivery, Destination, DestinationKind
from bot.settings import load_settings
from cogs.help import HelpCog
from storage.outbox import enqueue

FANOUT = 300


class SlowCog(Cog):
    name = "slow"

    @command("slow", "Queue a fan-out slowly", Option("seconds", OptionType.NUMBER, "How long"))
    async def slow(self, ctx: Context, seconds: float) -> None:
        await ctx.reply("slow started")
        now = self.app.clock.now()
        deliveries = [
            Delivery(
                Destination("discord", "g1", DestinationKind.DM, f"u{i}"),
                Message(body="tip of the week"),
            )
            for i in range(FANOUT)
        ]
        async with self.app.db.transaction() as conn:
            await enqueue(conn, run_key="slow-1", deliveries=deliveries, now=now)
            await asyncio.sleep(seconds)
            await enqueue(conn, run_key="slow-2", deliveries=deliveries, now=now)
        await ctx.reply("slow finished")


async def main() -> int:
    settings = load_settings(None)
    setup_logging("INFO", "json", stream=sys.stderr)
    app = await build_application(
        settings, cog_classes=[HelpCog, SlowCog], console=ConsoleOptions(actor_name="ana")
    )
    (adapter,) = app.adapters
    await serve(app)
    print("bot exited cleanly", flush=True)
    return 1 if getattr(adapter, "failed", False) else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
