"""The base class of every feature module, and the decorators that declare its commands.

```python
class TipsCog(Cog):
    name = "tips"

    @command("tip", "Get a tip now", Option("topic", OptionType.STRING, "Only this topic"))
    async def tip(self, ctx: Context, topic: str | None) -> None:
        await ctx.reply("...")
```

Cogs are found through the `mlebot.cogs` entry-point group, so a third-party package can ship
one. They talk to storage through repositories and never import a platform library.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from bot.commands.registry import Action, ActionHandler, Choice, Command, Option, Permission
from bot.scheduling.jobs import JobKind

if TYPE_CHECKING:
    from bot.app import Application
    from bot.commands.context import AutocompleteContext

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound="Cog")

_COMMAND_ATTR = "__mlebot_command__"
_ACTION_ATTR = "__mlebot_action__"
_JOB_ATTR = "__mlebot_job__"


def command(
    path: str,
    description: str,
    *options: Option,
    permission: Permission = Permission.MEMBER,
    private: bool = False,
    examples: tuple[str, ...] = (),
    help: str = "",
) -> Callable[[F], F]:
    """Declare the decorated coroutine method as the handler of `/path`."""

    def decorate(func: F) -> F:
        if not inspect.iscoroutinefunction(func):
            raise TypeError(f"/{path}: handler {func.__qualname__} must be async")
        setattr(
            func,
            _COMMAND_ATTR,
            dict(
                path=tuple(path.split()),
                description=description,
                options=tuple(options),
                permission=permission,
                private=private,
                examples=examples,
                help=help,
            ),
        )
        return func

    return decorate


def action(
    name: str, *, permission: Permission = Permission.MEMBER, private: bool = True
) -> Callable[[F], F]:
    """Declare the decorated coroutine method as the handler of buttons with action `name`."""

    def decorate(func: F) -> F:
        setattr(func, _ACTION_ATTR, dict(name=name, permission=permission, private=private))
        return func

    return decorate


def job(kind: str, description: str, *, batch: bool = False) -> Callable[[F], F]:
    """Declare the decorated coroutine method as the producer of scheduled job `kind`.

    `async def f(self, ctx: RunContext) -> list[Delivery]` composes one run; with `batch=True`
    it is `async def f(self, ctxs: Sequence[RunContext]) -> Sequence[list[Delivery] | Exception]`
    and composes every due run of the kind in one call (see `bot.scheduling.jobs.JobKind`).
    """

    def decorate(func: F) -> F:
        if not inspect.iscoroutinefunction(func):
            raise TypeError(f"job {kind}: producer {func.__qualname__} must be async")
        setattr(func, _JOB_ATTR, dict(name=kind, description=description, batch=batch))
        return func

    return decorate


class CogSource(Generic[C]):
    """An autocomplete source that needs its cog: `async def f(cog, ctx, typed)`, made with
    `@cog_source`. Options declare it like any source; `Cog.commands()` binds it to the cog
    instance that declares the command, so the source never looks its cog up again."""

    def __init__(
        self, func: Callable[[C, AutocompleteContext, str], Awaitable[Sequence[Choice]]]
    ) -> None:
        self.func = func
        self.__name__ = func.__name__

    def __call__(self, ctx: AutocompleteContext, typed: str) -> Awaitable[Sequence[Choice]]:
        raise TypeError(f"autocomplete source {self.__name__} is used before its cog is loaded")

    def bind(self, cog: C) -> Callable[[AutocompleteContext, str], Awaitable[Sequence[Choice]]]:
        func = self.func

        async def bound(ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
            return await func(cog, ctx, typed)

        bound.__name__ = bound.__qualname__ = self.__name__
        return bound


def cog_source(
    func: Callable[[C, AutocompleteContext, str], Awaitable[Sequence[Choice]]],
) -> CogSource[C]:
    """Declare an autocomplete source that receives the cog first (see `CogSource`)."""
    return CogSource(func)


def _bind_sources(options: tuple[Option, ...], cog: Cog) -> tuple[Option, ...]:
    return tuple(
        dataclasses.replace(o, autocomplete=o.autocomplete.bind(cog))
        if isinstance(o.autocomplete, CogSource)
        else o
        for o in options
    )


class Cog:
    """A feature module. Subclasses set `name` and declare commands with `@command`, button
    handlers with `@action` and scheduled jobs with `@job`."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: Descriptions of the top-level command groups this cog owns (shown by help and platforms).
    groups: ClassVar[dict[str, str]] = {}

    def __init__(self, app: Application) -> None:
        self.app = app

    def commands(self) -> list[Command]:
        """Every command this cog declares, bound to this instance."""
        found: list[Command] = []
        for _, member in inspect.getmembers(self, inspect.ismethod):
            spec = getattr(member, _COMMAND_ATTR, None)
            if spec is not None:
                options = _bind_sources(spec["options"], self)
                found.append(Command(handler=member, **{**spec, "options": options}))
        return found

    def actions(self) -> list[Action]:
        found: list[Action] = []
        for _, member in inspect.getmembers(self, inspect.ismethod):
            spec = getattr(member, _ACTION_ATTR, None)
            if spec is not None:
                handler: ActionHandler = member
                found.append(Action(handler=handler, **spec))
        return found

    def jobs(self) -> list[JobKind]:
        """Every kind of scheduled job this cog declares with `@job`, bound to this instance."""
        found: list[JobKind] = []
        for _, member in inspect.getmembers(self, inspect.ismethod):
            spec = getattr(member, _JOB_ATTR, None)
            if spec is None:
                continue
            if spec["batch"]:
                found.append(JobKind.batched(spec["name"], spec["description"], member))
            else:
                found.append(JobKind(spec["name"], spec["description"], member))
        return found

    async def setup(self) -> None:
        """Called once after the database is ready, before any platform starts."""

    async def teardown(self) -> None:
        """Called once at shutdown, after platforms stopped taking new work."""
