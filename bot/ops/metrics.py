"""Prometheus metrics of one application, served on `/metrics`.

Each Application owns a `Metrics` with its own `CollectorRegistry` (tests build many apps in one
process). Commands are counted through the dispatcher's outcome observers; schedule runs through
the schedule service's run observers; the outbox, delivery workers and platform connections are
read when Prometheus scrapes. Features record their own events through the hook methods
(`rate_limit_wait`, `outbox_sent`, `outbox_failed`, `schedule_lag`, `set_platform_connected`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from bot import __version__
from bot.commands.dispatcher import Outcome
from bot.ops.retry_log import RetryLog
from storage.database import DatabaseVanished

if TYPE_CHECKING:
    from aiohttp import web

    from bot.app import Application
    from bot.scheduling.scheduler import RunResult

log = logging.getLogger(__name__)

#: Command latency buckets (seconds): interactions must be acknowledged within 3 s.
COMMAND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
#: Schedule lag buckets (seconds): from the slot's time to its run being recorded.
LAG_BUCKETS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0)
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "skipped")


class Metrics:
    """The application's metrics: a registry plus the hooks features call."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self._refresh_failures = RetryLog(log, "/metrics")
        self.registry = CollectorRegistry()
        r = self.registry
        self.info = Gauge(
            "mlebot_build_info", "Version of the running bot", ["version"], registry=r
        )
        self.info.labels(__version__).set(1)
        self.commands = Counter(
            "mlebot_commands",
            "Commands and button clicks handled, by name and outcome "
            "(ok, user_error, denied, error, refused)",
            ["command", "outcome"],
            registry=r,
        )
        self.command_seconds = Histogram(
            "mlebot_command_duration_seconds",
            "Time from dispatch to the handler's end, by command",
            ["command"],
            buckets=COMMAND_BUCKETS,
            registry=r,
        )
        self.schedule_runs = Counter(
            "mlebot_schedule_runs",
            "Scheduled runs by job kind and status (done, failed, taken)",
            ["job", "status"],
            registry=r,
        )
        self.schedule_lag_seconds = Histogram(
            "mlebot_schedule_lag_seconds",
            "How late scheduled runs were: from the slot's time to the run being recorded",
            ["job"],
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.rate_limit_waits = Counter(
            "mlebot_rate_limit_waits",
            "Times a platform answered 'rate limited' and the bot had to wait",
            ["platform"],
            registry=r,
        )
        self.rate_limit_wait_seconds = Counter(
            "mlebot_rate_limit_wait_seconds",
            "Seconds the platforms asked the bot to wait (Retry-After)",
            ["platform"],
            registry=r,
        )
        self.outbox_events = Counter(
            "mlebot_outbox_deliveries",
            "Outbox deliveries finished in this process, by platform and result (sent, failed)",
            ["platform", "result"],
            registry=r,
        )
        self.slack_refused = Counter(
            "mlebot_slack_requests_refused",
            "Requests to /slack/events refused, by reason (unsigned, bad_timestamp, stale, "
            "bad_signature, too_large: 401/413; malformed: signed but unreadable, 400)",
            ["reason"],
            registry=r,
        )
        self._platform_state: dict[str, bool] = {}
        #: Outbox row counts by (platform, status), refreshed before each scrape.
        self._outbox_rows: dict[tuple[str, str], int] = {}
        r.register(_LiveCollector(self))

    # -- wiring -------------------------------------------------------------------------

    def attach(self) -> None:
        """Observe the dispatcher and the schedule service (called once by the app)."""
        self.app.dispatcher.outcome_observers.append(self.on_outcome)
        schedules = getattr(self.app, "schedules", None)
        if schedules is not None:
            schedules.run_observers.append(self.on_run)

    def on_outcome(self, outcome: Outcome) -> None:
        self.commands.labels(outcome.name, outcome.status).inc()
        if outcome.status != "refused":
            self.command_seconds.labels(outcome.name).observe(outcome.seconds)

    async def on_run(self, result: RunResult) -> None:
        job = result.schedule.kind
        self.schedule_runs.labels(job, result.status).inc()
        if result.status != "taken":
            lag = (self.app.clock.now() - result.scheduled_for).total_seconds()
            self.schedule_lag(job, lag)

    # -- hooks for features ---------------------------------------------------------------

    def rate_limit_wait(self, platform: str, seconds: float) -> None:
        """A platform rate-limited a request; the bot waits `seconds` (delivery engine)."""
        self.rate_limit_waits.labels(platform).inc()
        self.rate_limit_wait_seconds.labels(platform).inc(max(0.0, seconds))

    def outbox_sent(self, platform: str, count: int = 1) -> None:
        self.outbox_events.labels(platform, "sent").inc(count)

    def outbox_failed(self, platform: str, count: int = 1) -> None:
        self.outbox_events.labels(platform, "failed").inc(count)

    def schedule_lag(self, job: str, seconds: float) -> None:
        """A scheduled run of `job` happened `seconds` after its slot (scheduler)."""
        self.schedule_lag_seconds.labels(job).observe(max(0.0, seconds))

    def set_platform_connected(self, platform: str, connected: bool) -> None:
        """Record a platform's connection state (adapters without `is_connected`)."""
        self._platform_state[platform] = connected

    # -- scraping -------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Read what is cheaper to ask for at scrape time than to track (outbox counts)."""
        from storage.outbox import OutboxStore

        try:
            self._outbox_rows = await OutboxStore(self.app.db).counts()
        except DatabaseVanished as exc:  # said once, not a traceback per scrape
            self._refresh_failures.failed(exc, "could not count outbox rows for /metrics")
        except Exception:
            log.warning("could not count outbox rows for /metrics", exc_info=True)

    def platform_states(self) -> dict[str, bool]:
        states = dict(self._platform_state)
        for adapter in self.app.adapters:
            try:
                states[adapter.platform] = bool(adapter.is_connected())
            except Exception:
                states[adapter.platform] = False
        return states

    async def render(self) -> bytes:
        await self.refresh()
        return generate_latest(self.registry)

    async def handle(self, request: web.Request) -> web.Response:
        from aiohttp import web

        body = await self.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


class _LiveCollector(Collector):
    """Values read at scrape time: outbox rows, delivery worker counters, connections."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return list(self._families())

    def _families(self) -> Iterator[Metric]:
        m = self.metrics
        rows = GaugeMetricFamily(
            "mlebot_outbox_rows",
            "Outbox rows by platform and status (pending, sending, sent, failed, skipped)",
            labels=["platform", "status"],
        )
        platforms = {p for p, _ in m._outbox_rows}
        for platform in sorted(platforms):
            for status in OUTBOX_STATUSES:
                rows.add_metric([platform, status], m._outbox_rows.get((platform, status), 0))
        yield rows

        worker_stats = CounterMetricFamily(
            "mlebot_delivery_worker_events",
            "Delivery worker events since start (sent, failed, retried, rate_limited, ...)",
            labels=["platform", "event"],
        )
        delivery = getattr(m.app, "delivery", None)
        for platform, worker in sorted((getattr(delivery, "workers", None) or {}).items()):
            for event, count in sorted(worker.stats.items()):
                worker_stats.add_metric([platform, event], count)
        yield worker_stats

        connected = GaugeMetricFamily(
            "mlebot_platform_connected",
            "1 when the platform's connection is up, 0 when it is down",
            labels=["platform"],
        )
        for platform, up in sorted(m.platform_states().items()):
            connected.add_metric([platform], 1.0 if up else 0.0)
        yield connected

        inflight = GaugeMetricFamily("mlebot_commands_in_flight", "Commands running right now")
        inflight.add_metric([], m.app.dispatcher.inflight)
        yield inflight
