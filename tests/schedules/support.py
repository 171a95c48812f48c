"""A cog with test job kinds, and readers of what the scheduler stored."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.app import Application
from bot.cog import Cog, job
from bot.messages import Message
from bot.scheduling.jobs import (
    BatchOutcome,
    Delivery,
    Destination,
    DestinationKind,
    RunContext,
    RunSkipped,
)
from storage.outbox import outbox, outbox_messages
from storage.schedules import schedule_runs


class PostCog(Cog):
    """Declares `test.post` (one channel post per run), `test.fail` (always raises),
    `test.slow` and `test.batch` (composes a batch in one call; see `_batch`)."""

    name = "testpost"
    calls: list[RunContext] = []
    #: The size of each `test.batch` call.
    batches: list[int] = []
    #: `test.slow` waits for this before posting (set it in the test).
    release: asyncio.Event | None = None

    @job("test.batch", "Posts one DM per run, composed a batch at a time", batch=True)
    async def _batch(self, ctxs: Sequence[RunContext]) -> list[BatchOutcome]:
        """Owner `skip-…` skips its run, `fail-…` fails it, `crash` fails the whole call."""
        type(self).batches.append(len(ctxs))
        if any(ctx.owner_user_id == "crash" for ctx in ctxs):
            raise RuntimeError("the whole batch failed")
        outcomes: list[BatchOutcome] = []
        for ctx in ctxs:
            owner = ctx.owner_user_id or ""
            if owner.startswith("skip-"):
                outcomes.append(RunSkipped(f"skipped {owner}"))
            elif owner.startswith("fail-"):
                outcomes.append(ValueError(f"no reminder for {owner}"))
            else:
                outcomes.append(await self._post(ctx))
        return outcomes

    @job("test.post", "Posts one test message")
    async def _post_job(self, ctx: RunContext) -> list[Delivery]:
        return await self._post(ctx)

    @job("test.fail", "Always fails")
    async def _fail(self, ctx: RunContext) -> list[Delivery]:
        raise RuntimeError("boom")

    @job("test.slow", "Posts once released")
    async def _slow(self, ctx: RunContext) -> list[Delivery]:
        release = type(self).release
        assert release is not None
        await release.wait()
        return await self._post(ctx)

    async def _post(self, ctx: RunContext) -> list[Delivery]:
        type(self).calls.append(ctx)
        target = ctx.channel_id or ctx.owner_user_id or "general"
        kind = DestinationKind.DM if ctx.owner_user_id else DestinationKind.CHANNEL
        dest = Destination("console", ctx.community.external_id, kind, target, target)
        return [Delivery(dest, Message(title=ctx.schedule_name, body="hello"))]


async def run_rows(app: Application) -> list[dict[str, Any]]:
    async with app.db.transaction() as conn:
        rows = await conn.execute(
            sa.select(schedule_runs).order_by(schedule_runs.c.scheduled_for, schedule_runs.c.id)
        )
        return [dict(r._asdict()) for r in rows]


async def outbox_rows(app: Application) -> list[dict[str, Any]]:
    async with app.db.transaction() as conn:
        rows = await conn.execute(
            sa.select(outbox, outbox_messages.c.body)
            .join(outbox_messages, outbox.c.message_id == outbox_messages.c.id)
            .order_by(outbox.c.id)
        )
        return [dict(r._asdict()) for r in rows]


class FeatureKindsCog(Cog):
    """Stands in for the digest and DSA cogs: declares their job kinds, posts a marker."""

    name = "fakefeatures"
    calls: list[RunContext] = []

    @job("digest", "Weekly tips digest (test double)")
    async def _digest(self, ctx: RunContext) -> list[Delivery]:
        return await self._post(ctx)

    @job("dsa.daily", "DSA practice post (test double)")
    async def _daily(self, ctx: RunContext) -> list[Delivery]:
        return await self._post(ctx)

    async def _post(self, ctx: RunContext) -> list[Delivery]:
        type(self).calls.append(ctx)
        dest = Destination(
            "console",
            ctx.community.external_id,
            DestinationKind.CHANNEL,
            ctx.channel_id or "general",
            ctx.channel_name or "general",
        )
        return [Delivery(dest, Message(title=f"{ctx.schedule_name} post", body="posted"))]


class ConsoleSession:
    """The console adapter in-process: type lines, read back what the bot printed."""

    def __init__(self, app: Application, *, name: str = "mia", moderator: bool = True) -> None:
        import io

        from rich.console import Console

        from bot.ops.compose import ConsoleOptions, console_adapter

        self.buffer = io.StringIO()
        console = Console(
            file=self.buffer, width=240, no_color=True, force_terminal=False, highlight=False
        )
        self.adapter = console_adapter(
            app,
            ConsoleOptions(
                actor_name=name,
                moderator=moderator,
                stdin=io.StringIO(""),
                console=console,
                interactive=False,
            ),
        )
        self._seen = 0

    async def say(self, line: str) -> str:
        """Run one line; the bot's output, box drawing removed and whitespace collapsed."""
        await self.adapter.handle_line(line)
        return self.new_output()

    def new_output(self) -> str:
        text = self.buffer.getvalue()[self._seen :]
        self._seen = len(self.buffer.getvalue())
        for ch in "│╭╮╰╯─":
            text = text.replace(ch, " ")
        return " ".join(text.split())


async def next_due(app: Application, schedule_id: int) -> datetime | None:
    """The schedule's stored next due instant (what the process's timer wakes for)."""
    found = await app.schedules.repo.find(schedule_id)
    return None if found is None else found.next_due_at
