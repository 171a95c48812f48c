"""The application: settings, database, registry, dispatcher, cogs and adapters wired together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.cog import Cog
from bot.commands.dispatcher import Dispatcher
from bot.commands.registry import CommandRegistry
from bot.delivery.engine import DeliveryEngine
from bot.events import CommunityEvents
from bot.loader import load_cog_classes
from bot.ops.http_server import HttpServer
from bot.ops.metrics import Metrics
from bot.ops.readiness import Readiness
from bot.platform import Adapter
from bot.privacy import PrivacyRegistry, register_core
from bot.scheduling.jobs import JobKind
from bot.scheduling.scheduler import ScheduleService
from bot.settings import Settings
from bot.timing.clock import Clock, SystemClock
from storage import migrations
from storage.audit import AuditRepository
from storage.button_ids import ButtonIdStore
from storage.communities import CommunityRepository
from storage.database import Database
from storage.state import StateRepository

log = logging.getLogger(__name__)


class Application:
    """One bot process. Create, `await start()`, add adapters, `await run()` or `await stop()`."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        cog_classes: Sequence[type[Cog]] | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.db = Database(settings.database_url)
        self.registry = CommandRegistry()
        self.dispatcher = Dispatcher(self)
        self.communities = CommunityRepository(self.db)
        self.audit = AuditRepository(self.db)
        self.state = StateRepository(self.db)
        #: Button custom ids a platform could not carry, behind short ids (adapters use it).
        self.button_ids = ButtonIdStore(self.db)
        #: The outbox engine: adapters register their Sender here; everything sent on the
        #: bot's own initiative is queued through it (queue / queue_in / queue_runs), which
        #: wakes the workers once the queueing transaction commits.
        self.delivery = DeliveryEngine(self)
        self.dispatcher.invocation_observers.append(self.delivery.on_invocation)
        self.schedules = ScheduleService(self, enqueue=self.delivery.queue_runs)
        self.cogs: dict[str, Cog] = {}
        self.jobs: dict[str, JobKind] = {}
        self.adapters: list[Adapter] = []
        #: Community events (the bot joined one): adapters emit them, cogs subscribe.
        self.events = CommunityEvents()
        #: Prometheus metrics (`/metrics`); features call its hooks (see bot/ops/metrics.py).
        self.metrics = Metrics(self)
        self.metrics.attach()
        #: Checks behind `/readyz`; adapters and features add theirs.
        self.readiness = Readiness()
        #: What is stored about members: cogs register export/delete for their data.
        self.privacy = PrivacyRegistry()
        register_core(self)
        #: Set by the runner when the process serves HTTP (platform mode); None in the console.
        self.http: HttpServer | None = None
        self._ops_http: HttpServer | None = None
        self._cog_classes = cog_classes
        self._started = False
        self.stopping = asyncio.Event()

    async def start(self, *, services: bool = True, sender_required: bool = False) -> None:
        """Migrate the database, set up every enabled cog, start scheduling and delivery.

        `services=False` (maintenance commands) sets up the cogs but neither schedules nor
        sends anything. `sender_required` (platform mode): on SQLite, refuse to start
        (`SenderBusy`) when another live process already sends from the database file.
        """
        if self._started:
            return
        await self.db.wait_until_reachable(self.settings.database_wait_seconds)
        applied = await migrations.upgrade(self.db)
        if applied:
            log.info("database upgraded: %s", ", ".join(f"{m.version:04d}" for m in applied))
        self.readiness.add("database", self.db.ping)
        self.readiness.add("scheduler", lambda: self.schedules.running)
        classes = self._cog_classes
        if classes is None:
            classes = load_cog_classes(self.settings.cogs, self.settings.disabled_cogs)
        for cls in classes:
            await self.add_cog(cls(self))
        if services:
            await self.delivery.start(required=sender_required)
            # After the cogs, so every job kind is known when missed slots are caught up.
            await self.schedules.start()
        self._started = True

    async def add_cog(self, cog: Cog) -> None:
        if cog.name in self.cogs:
            raise ValueError(f"cog {cog.name!r} is loaded twice")
        count = self.declare(cog)
        await cog.setup()
        self.cogs[cog.name] = cog
        log.debug("cog %s loaded: %d commands", cog.name, count)

    def declare(self, cog: Cog) -> int:
        """Put the cog's commands, buttons, group descriptions and job kinds in the registry,
        without setting the cog up (no database); the number of commands it declares.

        `add_cog` and generated artefacts (the Slack manifest) both go through here, so what
        a platform is told about is exactly what the running bot serves."""
        commands = cog.commands()
        for cmd in commands:
            self.registry.add(cmd)
        for act in cog.actions():
            self.registry.add_action(act)
        for group, description in cog.groups.items():
            self.registry.describe_group(group, description)
        for job in cog.jobs():
            if job.name in self.jobs:
                raise ValueError(f"job kind {job.name!r} is declared twice")
            self.jobs[job.name] = job
        return len(commands)

    def add_adapter(self, adapter: Adapter) -> None:
        self.adapters.append(adapter)
        self.readiness.add(f"platform:{adapter.platform}", adapter.is_connected)

    def _add_ops_routes(self, http: HttpServer) -> None:
        if self._ops_http is http:  # run() again on the same server
            return
        http.add_route("GET", "/readyz", self.readiness.handle)
        http.add_route("GET", "/metrics", self.metrics.handle)
        self._ops_http = http

    async def run(self) -> None:
        """Start every adapter and serve until one ends on its own or `stopping` is set."""
        await self.start()
        waiters: list[asyncio.Future[object]] = []
        try:
            if self.http is not None:
                self._add_ops_routes(self.http)
                await self.http.start()
            for adapter in self.adapters:
                await adapter.start()
            waiters = [asyncio.ensure_future(a.wait_closed()) for a in self.adapters]
            waiters.append(asyncio.ensure_future(self.stopping.wait()))
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
            await self.stop()

    def request_stop(self, reason: str = "") -> None:
        """Begin a graceful shutdown (signal handlers call this); `run()` then stops the app."""
        if not self.stopping.is_set():
            log.info(
                "shutting down%s: no new work, in-flight commands get up to %.0f s",
                f" ({reason})" if reason else "",
                self.settings.shutdown_grace_seconds,
            )
        self.stopping.set()

    async def stop(self) -> None:
        """Finish in-flight commands (bounded), drain deliveries, stop adapters, tear down cogs,
        close the database. Idempotent."""
        self.stopping.set()  # from here the dispatcher refuses new invocations
        await self.dispatcher.drain(self.settings.shutdown_grace_seconds)
        await self.schedules.stop()
        try:
            await self.delivery.stop()
        except Exception:
            log.exception("the delivery engine did not stop cleanly")
        adapters, self.adapters = self.adapters, []
        for adapter in adapters:
            try:
                await adapter.stop()
            except Exception:
                log.exception("adapter %s did not stop cleanly", adapter.platform)
        if self.http is not None:
            await self.http.stop()
        cogs, self.cogs = list(self.cogs.values()), {}
        for cog in reversed(cogs):
            try:
                await cog.teardown()
            except Exception:
                log.exception("cog %s did not tear down cleanly", cog.name)
        await self.db.close()
        self._started = False
