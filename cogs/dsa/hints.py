"""Two-level hints: the nudge comes with every problem; the approach only when a member asks.

`/dsa hint [problem]` and the "Show approach" button on problem messages answer privately with
the nudge and, when the problem has one, the approach (`content.problems.Problem.approach`).
"""

from __future__ import annotations

from bot.cog import action, command
from bot.commands.context import ActionContext, BaseContext, Context
from bot.commands.errors import NotFound
from bot.messages import Message, Section
from cogs.dsa.base import _PROBLEM, APPROACH_ACTION, DsaBase
from content.problems import Problem

NO_APPROACH = (
    "This problem has no written approach: the nudge above is the only hint. Stuck after an "
    "honest try? Read a solution, then solve it again from memory in a few days."
)


def hint_message(problem: Problem) -> Message:
    """The nudge, then the approach (or a note that there is none), for one member."""
    return Message(
        title=f"Hints: {problem.title}",
        url=problem.url,
        sections=(
            *((Section("Task", problem.statement),) if problem.statement else ()),
            Section("Nudge", problem.hint),
            Section("Approach", problem.approach or NO_APPROACH),
        ),
        footer="Try it before reading on: the approach names the method, not the code.",
        private=True,
    )


class HintCommands(DsaBase):
    """`/dsa hint` and the "Show approach" button."""

    @command(
        "dsa hint",
        "Show the approach for a problem (default: today's), after its nudge",
        _PROBLEM,
        private=True,
        examples=("/dsa hint", "/dsa hint rotate image"),
    )
    async def hint(self, ctx: Context, problem: str | None) -> None:
        chosen = self._find(problem) if problem else await self._current_problem(ctx)
        await self._send_hint(ctx, chosen)

    @action(APPROACH_ACTION)
    async def approach_button(self, ctx: ActionContext, value: str) -> None:
        problem = self.problems.get(value)
        if problem is None:
            raise NotFound("That problem is no longer in the set. Try /dsa today.")
        await self._send_hint(ctx, problem)

    async def _send_hint(self, ctx: BaseContext, problem: Problem) -> None:
        await ctx.reply(hint_message(problem), private=True)
