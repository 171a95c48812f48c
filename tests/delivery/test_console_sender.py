"""Console users see what the bot sends on its own: outbox rows print as posts and DMs."""

from __future__ import annotations

import asyncio
import io

from rich.console import Console

from bot.messages import Message
from bot.ops.compose import ConsoleOptions, console_adapter
from bot.scheduling.jobs import Delivery, Destination, DestinationKind
from bot.timing.clock import ManualClock
from tests.conftest import AppFactory
from tests.delivery.fakes import queue


async def test_scheduled_posts_and_dms_are_printed(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await make_app([])
    out = io.StringIO()
    adapter = console_adapter(
        app,
        ConsoleOptions(
            stdin=io.StringIO(""), console=Console(file=out, width=100), interactive=False
        ),
    )
    await adapter.start()
    post = Destination("console", "console", DestinationKind.CHANNEL, "general", "general")
    note = Destination("console", "console", DestinationKind.DM, "ana", "ana")
    await queue(
        app,
        "r1",
        [
            Delivery(post, Message(title="Weekly digest", body="Tip: version your data.")),
            Delivery(note, Message(body="Time for today's problem.")),
        ],
    )
    await asyncio.wait_for(app.delivery.idle(), 30)
    await adapter.stop()
    text = out.getvalue()
    assert "[#general]" in text and "Tip: version your data." in text
    assert "[DM @ana]" in text and "Time for today's problem." in text
    assert app.delivery.stats()["console"]["sent"] == 2
