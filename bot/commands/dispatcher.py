"""The dispatcher: from an invocation to a handler call, and from any failure to a kind reply.

One bad command never stops the bot: user-facing errors become private friendly replies;
anything else is logged with an incident id that the person also sees.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.commands.context import (
    ActionContext,
    ActionInvocation,
    Actor,
    AutocompleteContext,
    Context,
    Invocation,
    Place,
    Responder,
)
from bot.commands.converters import convert_options
from bot.commands.errors import PermissionDenied, UsageError, UserError
from bot.commands.ratelimit import MemberRate
from bot.commands.registry import Choice, Permission
from bot.messages import Message, Tone
from bot.ops.logs import log_context, new_request_id
from storage.database import DatabaseVanished

if TYPE_CHECKING:
    from bot.app import Application
    from storage.communities import Community

log = logging.getLogger(__name__)

MAX_AUTOCOMPLETE_CHOICES = 25


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one invocation (for metrics and tests)."""

    name: str  # command path or "action:<name>"
    status: str  # "ok" | "user_error" | "denied" | "error" | "refused" (shutting down)
    seconds: float
    incident: str | None = None


OutcomeObserver = Callable[[Outcome], None]
InvocationObserver = Callable[["Community", Actor], Awaitable[None]]


def new_incident_id() -> str:
    return secrets.token_hex(4).upper()


class Dispatcher:
    def __init__(self, app: Application) -> None:
        self.app = app
        self.outcome_observers: list[OutcomeObserver] = []
        #: Called for every person who acts (e.g. to clear an "undeliverable" mark).
        self.invocation_observers: list[InvocationObserver] = []
        self._inflight: set[asyncio.Task[object]] = set()
        #: QUOTA_COMMANDS_PER_MINUTE: members' command rate (moderators are not limited).
        self.member_rate = MemberRate(app.settings.quota_commands_per_minute)
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def inflight(self) -> int:
        """Invocations running right now."""
        return len(self._inflight)

    async def drain(self, grace_seconds: float) -> int:
        """Wait up to `grace_seconds` for in-flight invocations; cancel the rest.

        Called at shutdown after `app.stopping` is set (so nothing new starts). Cancelling rolls
        back any transaction the handler holds. Returns how many had to be cancelled.
        """
        if not self._inflight:
            return 0
        log.info(
            "waiting up to %.0f s for %d command(s) in flight", grace_seconds, len(self._inflight)
        )
        try:
            await asyncio.wait_for(self._idle.wait(), grace_seconds)
            return 0
        except TimeoutError:
            pass
        stuck = [t for t in self._inflight if not t.done()]
        for task in stuck:
            task.cancel()
        log.warning(
            "%d command(s) still running after %.0f s were cancelled", len(stuck), grace_seconds
        )
        # Wait until the cancellations have unwound (rolled back) before the database closes.
        await self._idle.wait()
        return len(stuck)

    async def dispatch(self, invocation: Invocation, responder: Responder) -> Outcome:
        """Run a command invocation end to end; never raises."""
        name = " ".join(invocation.path)
        command = self.app.registry.get(invocation.path)

        async def run() -> None:
            if command is None:
                raise UsageError(
                    f"There is no command /{name}.", hint="Type /help for every command."
                )
            community, is_moderator = await self._resolve(invocation.actor, invocation.place)
            ctx = Context(
                app=self.app,
                actor=invocation.actor,
                place=invocation.place,
                community=community,
                is_moderator=is_moderator,
                responder=responder,
                default_private=command.private,
                command=command,
            )
            self._check_permission(command.permission, is_moderator, f"/{name}")
            if not is_moderator:
                key = (invocation.place.platform, str(community.id), invocation.actor.user_id)
                wait = self.member_rate.wait(key)
                if wait is not None:
                    raise UserError(
                        f"Slow down: you have run {self.member_rate.per_minute} commands in the "
                        f"last minute. Try again in {wait} s."
                    )
            values = convert_options(
                command, invocation.options, plain_names=invocation.plain_names
            )
            await command.handler(ctx, **values)

        return await self._guarded(name, invocation.place.platform, responder, run)

    async def dispatch_action(self, invocation: ActionInvocation, responder: Responder) -> Outcome:
        """Run a button click end to end; never raises."""
        action = self.app.registry.actions.get(invocation.action)
        label = f"action:{invocation.action}"

        async def run() -> None:
            if action is None:
                raise UserError("That button no longer does anything. Try the command instead.")
            community, is_moderator = await self._resolve(invocation.actor, invocation.place)
            ctx = ActionContext(
                app=self.app,
                actor=invocation.actor,
                place=invocation.place,
                community=community,
                is_moderator=is_moderator,
                responder=responder,
                default_private=action.private,
                action=action.name,
            )
            self._check_permission(action.permission, is_moderator, "that button")
            await action.handler(ctx, invocation.value)

        return await self._guarded(label, invocation.place.platform, responder, run)

    async def autocomplete(
        self,
        path: Sequence[str],
        option_name: str,
        typed: str,
        actor: Actor,
        place: Place,
        options: dict[str, Any],
    ) -> list[Choice]:
        """Suggestions for one option while the person types; empty on any failure."""
        command = self.app.registry.get(path)
        opt = command.option(option_name) if command else None
        if opt is None or opt.autocomplete is None:
            return []
        try:
            ctx = AutocompleteContext(app=self.app, actor=actor, place=place, options=options)
            choices = await opt.autocomplete(ctx, typed)
        except Exception:
            log.exception("autocomplete failed for /%s %s", " ".join(path), option_name)
            return []
        return list(choices)[:MAX_AUTOCOMPLETE_CHOICES]

    async def _resolve(self, actor: Actor, place: Place) -> tuple[Community, bool]:
        app = self.app
        now = app.clock.now()
        community = await app.communities.ensure(
            place.platform,
            place.community_id,
            place.community_name,
            default_timezone=app.settings.default_timezone,
            now=now,
        )
        await app.communities.touch_member(community.id, actor.user_id, actor.display_name, now=now)
        for observer in self.invocation_observers:
            await observer(community, actor)
        return community, await self.is_moderator(community, actor)

    async def is_moderator(self, community: Community, actor: Actor) -> bool:
        """Platform admins, holders of a configured moderator role, and configured users."""
        if actor.is_platform_admin:
            return True
        for grant in await self.app.communities.moderator_grants(community.id):
            if grant.kind == "user" and grant.ref_id == actor.user_id:
                return True
            if grant.kind == "role" and grant.ref_id in actor.role_ids:
                return True
        return False

    @staticmethod
    def _check_permission(permission: Permission, is_moderator: bool, what: str) -> None:
        if permission is Permission.MODERATOR and not is_moderator:
            raise PermissionDenied(
                f"Only moderators can use {what}.",
                hint="Ask a moderator of this community if you think it should be run.",
            )

    async def _guarded(
        self,
        name: str,
        platform: str,
        responder: Responder,
        run: Callable[[], Awaitable[None]],
    ) -> Outcome:
        # Every log line of this invocation (and of tasks it starts) carries its id.
        with log_context(request_id=new_request_id(), command=name, platform=platform):
            return await self._guarded_inner(name, responder, run)

    async def _guarded_inner(
        self, name: str, responder: Responder, run: Callable[[], Awaitable[None]]
    ) -> Outcome:
        started = time.perf_counter()
        status, incident = "ok", None
        if self.app.stopping.is_set():
            await self._safe_send(
                responder,
                Message(
                    body="I am restarting and not taking new commands. Try again in a minute.",
                    private=True,
                    tone=Tone.WARNING,
                ),
            )
            return self._observe(Outcome(name, "refused", time.perf_counter() - started))
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
            self._idle.clear()
        try:
            await run()
        except PermissionDenied as exc:
            status = "denied"
            await self._safe_send(responder, _error_message(exc))
        except UserError as exc:
            status = "user_error"
            await self._safe_send(responder, _error_message(exc))
        except DatabaseVanished:
            # Logged critically once, where it was detected; no traceback per command.
            status, incident = "error", new_incident_id()
            log.error(
                "command %s refused: the database is unavailable (incident %s)", name, incident
            )
            await self._safe_send(
                responder,
                Message(
                    body=(
                        "Sorry, the bot cannot store anything right now (its database is "
                        "unavailable), so your command did not complete. Please tell a moderator: "
                        f"incident `{incident}`."
                    ),
                    private=True,
                    tone=Tone.ERROR,
                ),
            )
        except Exception:
            status, incident = "error", new_incident_id()
            log.exception("command %s failed (incident %s)", name, incident)
            await self._safe_send(
                responder,
                Message(
                    body=(
                        "Sorry, something went wrong on my side and your command did not "
                        f"complete. If it keeps happening, tell a moderator: incident `{incident}`."
                    ),
                    private=True,
                    tone=Tone.ERROR,
                ),
            )
        finally:
            if task is not None:
                self._inflight.discard(task)
                if not self._inflight:
                    self._idle.set()
        return self._observe(Outcome(name, status, time.perf_counter() - started, incident))

    def _observe(self, outcome: Outcome) -> Outcome:
        for observer in self.outcome_observers:
            try:
                observer(outcome)
            except Exception:
                log.exception("outcome observer failed")
        return outcome

    @staticmethod
    async def _safe_send(responder: Responder, message: Message) -> None:
        try:
            await responder.send(message)
        except Exception:
            log.exception("could not deliver an error reply")


def _error_message(exc: UserError) -> Message:
    return Message(body=str(exc), private=True, tone=Tone.WARNING)
