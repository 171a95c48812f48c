"""The delivery engine: per-platform workers that drain the outbox at the platform's ceiling.

Each worker claims due rows in batches (leasing them in the database, so several processes can
share one PostgreSQL outbox), sends them pipelined - up to `concurrency` requests in flight,
paced by a token bucket for the platform and one per route (channel) - and writes the outcomes
back in group commits. A 429 blocks the whole platform (global scope) or the route for exactly
Retry-After; 5xx and timeouts back off exponentially with jitter up to a maximum number of
attempts; permanent errors fail the row at once and mark a DM recipient undeliverable.

Crash safety: a row is `sending` while leased. A process killed at any moment leaves its rows
leased; they are claimed again when the lease expires (at once on SQLite, which one process
owns). Only rows whose send finished but whose outcome was not yet written can be sent twice;
senders get a stable idempotency key per row (a Discord nonce) so the platform can drop them.

Longer than 500 lines: one worker's loop (claim, pace, send, write back) and the engine that
owns the workers share the worker state and the lease; they are read together, so they stay in
one module.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import math
import os
import random
import secrets
import socket
from collections import Counter, deque
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.delivery.dm_cache import DMChannelCache
from bot.delivery.limits import PlatformLimits, TokenBucket, global_bucket
from bot.delivery.queueing import QueueMixin
from bot.delivery.sender import (
    InvalidCredentials,
    PermanentError,
    RateLimited,
    Sender,
    TransientError,
)
from bot.delivery.timer import Timer
from bot.messages import Message
from bot.ops.retry_log import RetryLog
from bot.scheduling.jobs import Destination, DestinationKind
from storage.outbox import ClaimedRow, OutboxStatus, OutboxStore, RowOutcome
from storage.sender_lease import SenderLease

if TYPE_CHECKING:
    from bot.app import Application
    from bot.commands.context import Actor
    from storage.communities import Community

log = logging.getLogger(__name__)

#: With nothing due, look at the database this often for rows other processes queued.
POLL_SECONDS = 5.0
#: Most rows one worker claims at once.
MAX_CLAIM = 1000
#: A row answered 429 this many times in a row counts one failed attempt (a platform that
#: keeps refusing must not hold a row forever).
RATE_LIMITS_PER_ATTEMPT = 25
#: Outcomes are written in batches of up to FLUSH_BATCH gathered for at most FLUSH_DELAY s.
FLUSH_BATCH = 256
FLUSH_DELAY = 0.1
#: The shortest sleep while waiting for tokens: launches then go out in small groups.
PACING_STEP = 0.005
#: How often overdue sends are looked for (a send may run this much over its timeout).
WATCHDOG_SECONDS = 0.5
#: How long stop() lets in-flight sends finish before cancelling them.
DRAIN_SECONDS = 10.0


def idempotency_key(row_id: int) -> str:
    """Stable per outbox row and at most 25 characters (Discord's nonce limit)."""
    return f"mlebot-{row_id}"


def default_route_key(destination: Destination) -> str:
    return f"{destination.kind}:{destination.target_id}"


@dataclass(slots=True)
class _Job:
    row: ClaimedRow
    destination: Destination
    message: Message
    route: str
    rate_limited: int = 0
    deadline: float = math.inf  # timer seconds; the watchdog cancels the send after it
    timed_out: bool = False


class PlatformWorker:
    """Drains one platform's outbox rows through its sender."""

    def __init__(self, engine: DeliveryEngine, platform: str, sender: Sender) -> None:
        self.engine = engine
        self.platform = platform
        self.sender = sender
        self.timer = engine.timer
        self.limits: PlatformLimits = sender.limits(engine.app.settings)
        now = self.timer.time()
        self.bucket = global_bucket(self.limits, now)
        self.route_buckets: dict[str, TokenBucket] = {}
        self._prune_at = 4096
        self.blocked_until = 0.0  # a global 429 holds every send until then
        #: Why the platform refused our credentials; set once, sending stops until a restart.
        self.credentials_refused: str | None = None
        self.route_blocked: dict[str, float] = {}
        self.ready: deque[_Job] = deque()
        self.parked: list[tuple[float, int, _Job]] = []  # (ready at, seq, job) heap
        self._seq = 0
        self.in_flight = 0
        self.outcomes: list[RowOutcome] = []
        self.flushing = False
        self.db_due = 0.0  # when the database may next have rows for us (timer seconds)
        self._due_hint = math.inf  # earliest db_due learnt while a claim was running
        self.waiting = False
        self._woken = False
        self._seen = 0.0  # the clock reading the loop last evaluated its state at
        self.stats: Counter[str] = Counter()
        self._messages: dict[int, Message] = {}
        self._kick = asyncio.Event()
        self._outcome_ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: dict[asyncio.Task[None], _Job] = {}  # sends in flight
        self._main: asyncio.Task[None] | None = None
        self._claiming: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        self._main = asyncio.create_task(self._run(), name=f"delivery-{self.platform}")
        self._flusher = asyncio.create_task(self._flush_loop(), name=f"outbox-{self.platform}")
        self._watchdog = asyncio.create_task(self._time_out_sends(), name=f"sends-{self.platform}")

    async def stop(self) -> None:
        """Stop claiming, let in-flight sends finish (bounded), write their outcomes."""
        self._stop.set()
        self._poke()
        if self._main is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._main
        if self._claiming is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._claiming
        if self._tasks:
            _done, pending = await asyncio.wait(list(self._tasks), timeout=DRAIN_SECONDS)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        if self._flusher is not None:
            self._outcome_ready.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self._flush()

    def use(self, sender: Sender) -> None:
        """Send through `sender` from now on, at the limits it declares."""
        self.sender = sender
        limits = sender.limits(self.engine.app.settings)
        if limits != self.limits:
            self.limits = limits
            self.bucket = global_bucket(limits, self.timer.time())
            self.route_buckets.clear()

    def wake(self) -> None:
        self._expect_rows(0.0)
        self._poke()

    def _expect_rows(self, at: float) -> None:
        self.db_due = min(self.db_due, at)
        self._due_hint = min(self._due_hint, at)

    def _poke(self) -> None:
        self._woken = True
        self._kick.set()

    def quiescent(self) -> bool:
        """Nothing can happen until time passes or new rows are queued."""
        return (
            self.waiting
            and not self._woken
            and (not self.timer.manual or self._seen == self.timer.time())
            and self.in_flight == 0
            and self._claiming is None
            and not self.outcomes
            and not self.flushing
        )

    def held(self) -> int:
        return len(self.ready) + len(self.parked) + self.in_flight

    # -- the loop ------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._kick.clear()
                self._woken = False
                self._seen = self.timer.time()
                await self._maybe_claim()
                now = self.timer.time()
                self._unpark(now)
                token_wait = self._launch_ready(now)
                if token_wait is not None:
                    await self._wait(self._pacing_wait(token_wait), short_ok=True)
                    continue
                # Nothing ready, or every slot in flight (a finished send kicks us).
                await self._wait(self._idle_timeout(now))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery worker %s stopped on an unexpected error", self.platform)

    def _launch_ready(self, now: float) -> float | None:
        """Launch every ready row the limits allow now; the wait for the next token if the
        bucket (or a global 429) is what stops us, else None."""
        while self.ready and self.in_flight < self.limits.concurrency:
            wait = max(self.blocked_until - now, self.bucket.wait_time(now))
            if wait > 0:
                return wait
            job = self.ready.popleft()
            route_wait = self._route_wait(job.route, now)
            if route_wait > 0:
                self._park(job, now + route_wait)
                continue
            self._launch(job, now)
        return None

    def _pacing_wait(self, token_wait: float) -> float:
        """Wait a little longer than one token, so each wake launches a few sends at once
        (a wake per token would cost more CPU than the sends); the bucket's burst bounds it."""
        if self.limits.rate <= 0:
            return token_wait
        step = min(PACING_STEP, self.bucket.burst / self.limits.rate / 2)
        return max(token_wait, step)

    async def _wait(self, seconds: float, *, short_ok: bool = False) -> None:
        """Until `seconds` pass or something happens (a wake, a finished send, stop)."""
        self.waiting = True
        try:
            if short_ok and seconds <= 0.5 and not self.timer.manual:
                await asyncio.sleep(seconds)  # waiting for a token: short, cheap, frequent
            else:
                await self.timer.wait(self._kick, seconds, any_change=True)
        finally:
            self.waiting = False

    def _idle_timeout(self, now: float) -> float:
        if self.credentials_refused is not None:
            return POLL_SECONDS  # nothing will happen here until a restart
        # Here nothing can be launched: no ready row, or all slots in flight (a finished send
        # kicks us). Sleep until the database may have due rows or a parked row is ready.
        deadline = self.db_due if self.db_due > now else now + POLL_SECONDS
        if self.parked:
            deadline = min(deadline, self.parked[0][0])
        return min(POLL_SECONDS, max(0.0, deadline - now))

    def _target_backlog(self) -> int:
        per_second = int(self.limits.rate) if self.limits.rate > 0 else MAX_CLAIM
        return max(1, min(MAX_CLAIM, max(2 * self.limits.concurrency, per_second)))

    async def _maybe_claim(self) -> None:
        """Claim more rows when the local backlog runs low. With rows still to send, the claim
        runs beside the sends (a claim takes tens of milliseconds: the pipeline must not stall);
        with none, the loop awaits it."""
        now = self.timer.time()
        target = self._target_backlog()
        backlog = len(self.ready) + len(self.parked)
        if (
            backlog > target // 2
            or now < self.db_due
            or self._stop.is_set()
            or self._claiming is not None
            or self.credentials_refused is not None
        ):
            return
        self._due_hint = math.inf
        if backlog and not self.timer.manual:
            self._claiming = asyncio.create_task(self._claim_beside(now, target - backlog))
            return
        try:
            await self._claim(now, target - backlog)
        finally:
            # A wake or a retry during the claim may have been missed by its queries.
            self.db_due = min(self.db_due, self._due_hint)

    async def _claim_beside(self, now: float, want: int) -> None:
        try:
            await self._claim(now, want)
        finally:
            self.db_due = min(self.db_due, self._due_hint)
            self._claiming = None
            self._poke()

    async def _claim(self, now: float, want: int) -> None:
        engine = self.engine
        wall = engine.app.clock.now()
        try:
            rows = await engine.store.claim(
                self.platform,
                owner=engine.owner,
                limit=want,
                now=wall,
                lease_until=wall + timedelta(seconds=engine.lease_seconds),
            )
            await self._load_messages(rows)
            await self._load_dm_channels(rows)
        except Exception as exc:
            engine.failures.failed(
                exc, "claiming %s outbox rows failed; retrying shortly", self.platform
            )
            self.db_due = now + 1.0
            return
        for row in rows:
            job = self._job(row)
            if job is not None:
                self.ready.append(job)
        if self.credentials_refused is not None:  # refused while this claim ran
            self._hand_back()
            return
        self.stats["claimed"] += len(rows)
        if len(rows) >= want:
            self.db_due = 0.0
            return
        try:
            due = await engine.store.next_due(self.platform)
        except Exception as exc:
            engine.failures.failed(exc, "reading the %s outbox failed", self.platform)
            due = None
        if due is None:
            self.db_due = now + POLL_SECONDS
            return
        delta = (due - engine.app.clock.now()).total_seconds()
        # delta <= 0: due but not claimable by us (another process holds it): look again soon.
        self.db_due = now + (min(POLL_SECONDS, delta) if delta > 0 else 1.0)

    async def _load_messages(self, rows: list[ClaimedRow]) -> None:
        missing = {r.message_id for r in rows if r.message_id not in self._messages}
        if not missing:
            return
        if len(self._messages) > 512:
            self._messages.clear()
        for message_id, body in (await self.engine.store.messages(missing)).items():
            try:
                self._messages[message_id] = Message.from_dict(body)
            except (ValueError, TypeError):
                log.exception("outbox message %d cannot be read", message_id)

    async def _load_dm_channels(self, rows: list[ClaimedRow]) -> None:
        cache = self.engine._dm_caches.get(self.platform)
        if cache is None:  # this platform's sender keeps no DM channels
            return
        wanted = [
            r.target_id
            for r in rows
            if r.kind == DestinationKind.DM and cache.peek(r.target_id) is None
        ]
        if wanted:
            cache.preload(await self.engine.store.dm_channels(self.platform, wanted))

    def _job(self, row: ClaimedRow) -> _Job | None:
        message = self._messages.get(row.message_id)
        if message is None:
            self._record(
                RowOutcome(row.id, OutboxStatus.FAILED, row.attempts, "message body unreadable")
            )
            return None
        destination = Destination(
            platform=row.platform,
            community_id=row.community_id,
            kind=DestinationKind(row.kind),
            target_id=row.target_id,
            target_name=row.target_name,
        )
        route_of = getattr(self.sender, "route_key", None)
        route = route_of(destination) if callable(route_of) else default_route_key(destination)
        return _Job(row, destination, message, str(route))

    # -- pacing --------------------------------------------------------------------------

    def _route_wait(self, route: str, now: float) -> float:
        blocked = self.route_blocked.get(route)
        if blocked is not None:
            if blocked > now:
                return blocked - now
            del self.route_blocked[route]
        if self.limits.route_rate > 0:
            bucket = self.route_buckets.get(route)
            if bucket is not None:
                return bucket.wait_time(now)
        return 0.0

    def _take_route(self, route: str, now: float) -> None:
        if self.limits.route_rate <= 0:
            return
        bucket = self.route_buckets.get(route)
        if bucket is None:
            if len(self.route_buckets) >= self._prune_at:
                self._prune(now)
            bucket = TokenBucket(self.limits.route_rate, self.limits.route_burst, now)
            self.route_buckets[route] = bucket
        bucket.take(now)

    def _prune(self, now: float) -> None:
        # A full bucket is the same as no bucket: drop them, so memory follows active routes.
        self.route_buckets = {k: b for k, b in self.route_buckets.items() if not b.full(now)}
        self._prune_at = max(4096, 2 * len(self.route_buckets))

    def _park(self, job: _Job, until: float) -> None:
        self._seq += 1
        heapq.heappush(self.parked, (until, self._seq, job))

    def _unpark(self, now: float) -> None:
        while self.parked and self.parked[0][0] <= now:
            self.ready.append(heapq.heappop(self.parked)[2])

    # -- one attempt ---------------------------------------------------------------------

    def _launch(self, job: _Job, now: float) -> None:
        # A DM to a member whose channel is not known yet costs two requests (open + post).
        cache = self.engine._dm_caches.get(self.platform)
        opens = (
            cache is not None
            and job.destination.kind is DestinationKind.DM
            and cache.peek(job.destination.target_id) is None
        )
        self.bucket.take(now, 2.0 if opens else 1.0)
        self._take_route(job.route, now)
        self.in_flight += 1
        job.deadline = now + self.engine.app.settings.delivery_send_timeout
        job.timed_out = False
        task = asyncio.create_task(self._attempt(job))
        self._tasks[task] = job
        task.add_done_callback(self._forget_task)

    def _forget_task(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)

    async def _time_out_sends(self) -> None:
        """Cancel sends that overran the send timeout (one sweep every WATCHDOG_SECONDS
        instead of a timer per send: at thousands of sends a second, timers cost real CPU)."""
        while True:
            await self.timer.sleep(WATCHDOG_SECONDS)
            now = self.timer.time()
            for task, job in list(self._tasks.items()):
                if job.deadline <= now and not task.done():
                    job.timed_out = True
                    task.cancel()

    async def _attempt(self, job: _Job) -> None:
        row = job.row
        settings = self.engine.app.settings
        try:
            await self.sender.send(
                job.destination, job.message, idempotency_key=idempotency_key(row.id)
            )
        except RateLimited as exc:
            self._rate_limited(job, exc)
        except InvalidCredentials as exc:
            self._credentials_refused(job, exc.reason)
        except PermanentError as exc:
            self.stats["failed"] += 1
            self._record(
                RowOutcome(
                    row.id,
                    OutboxStatus.FAILED,
                    row.attempts + 1,
                    exc.reason,
                    undeliverable=exc.recipient_undeliverable
                    and job.destination.kind is DestinationKind.DM,
                    recipient_key=row.recipient_key,
                    platform=row.platform,
                    run_key=row.run_key,
                )
            )
        except TransientError as exc:
            self._retry(job, exc.reason)
        except TimeoutError:
            self._retry(job, f"timed out after {settings.delivery_send_timeout:g} s")
        except asyncio.CancelledError:
            if not job.timed_out:
                raise
            self._retry(job, f"timed out after {settings.delivery_send_timeout:g} s")
        except Exception as exc:
            log.exception("sender %s raised an unexpected error", self.platform)
            self._retry(job, f"unexpected error: {exc!r}")
        else:
            self.stats["sent"] += 1
            self._record(RowOutcome(row.id, OutboxStatus.SENT, row.attempts + 1))
        finally:
            self.in_flight -= 1
            self._poke()

    def _credentials_refused(self, job: _Job, reason: str) -> None:
        self.refuse_credentials(reason)
        self._pending_again(job)

    def refuse_credentials(self, reason: str) -> None:
        """Stop this platform's sending: every claimed row goes back as pending, its attempts
        uncounted; nothing more is claimed until a restart."""
        if self.credentials_refused is None:
            self.credentials_refused = reason
            self.stats["credentials_refused"] += 1
            log.error(
                "%s refused the bot's credentials (%s): sending on %s has stopped and its "
                "outbox rows stay pending; fix the token and restart the bot to resume",
                self.platform,
                reason,
                self.platform,
            )
        self._hand_back()
        self._poke()

    def _pending_again(self, job: _Job) -> None:
        row = job.row
        self._record(
            RowOutcome(
                row.id,
                OutboxStatus.PENDING,
                row.attempts,
                f"not sent: {self.credentials_refused}",
                self.engine.app.clock.now(),
            )
        )

    def _hand_back(self) -> None:
        """Give every claimed row that has not been attempted back to the outbox."""
        jobs = list(self.ready) + [entry[2] for entry in self.parked]
        self.ready.clear()
        self.parked.clear()
        for job in jobs:
            self._pending_again(job)

    def _rate_limited(self, job: _Job, exc: RateLimited) -> None:
        self.stats["rate_limited"] += 1
        self.engine.app.metrics.rate_limit_wait(self.platform, exc.retry_after)
        job.rate_limited += 1
        if job.rate_limited > RATE_LIMITS_PER_ATTEMPT:
            job.rate_limited = 0
            self._retry(job, f"rate limited {RATE_LIMITS_PER_ATTEMPT} times in a row")
            return
        now = self.timer.time()
        until = now + exc.retry_after
        if exc.is_global:
            self.stats["rate_limited_global"] += 1
            self.blocked_until = max(self.blocked_until, until)
            self.bucket.drain(now)
            self.ready.appendleft(job)
        else:
            self.route_blocked[job.route] = max(self.route_blocked.get(job.route, 0.0), until)
            self._park(job, until)

    def _retry(self, job: _Job, reason: str) -> None:
        row = job.row
        attempts = row.attempts + 1
        settings = self.engine.app.settings
        if attempts >= settings.delivery_max_attempts:
            self.stats["failed"] += 1
            self._record(
                RowOutcome(
                    row.id,
                    OutboxStatus.FAILED,
                    attempts,
                    f"gave up after {attempts} attempts: {reason}",
                )
            )
            return
        self.stats["retried"] += 1
        delay = self.engine.backoff(attempts)
        when = self.engine.app.clock.now() + timedelta(seconds=delay)
        self._record(RowOutcome(row.id, OutboxStatus.PENDING, attempts, reason, when))
        self._expect_rows(self.timer.time() + delay)

    # -- writing outcomes ----------------------------------------------------------------

    def _record(self, outcome: RowOutcome) -> None:
        self.outcomes.append(outcome)
        self._outcome_ready.set()

    async def _flush_loop(self) -> None:
        while True:
            await self._outcome_ready.wait()
            if not self.timer.manual and len(self.outcomes) < FLUSH_BATCH:
                # Let a batch gather: fewer, larger transactions (a crash can then re-send
                # at most FLUSH_DELAY more seconds' worth of messages).
                await asyncio.sleep(FLUSH_DELAY)
            self._outcome_ready.clear()
            await self._flush(drain=self.timer.manual)
            if self._stop.is_set():
                return  # stop() writes whatever the draining sends still produce

    async def _flush(self, *, drain: bool = True) -> None:
        """Write the pending outcomes in one transaction; with `drain`, also those arriving
        meanwhile, until none is left."""
        while self.outcomes:
            batch, self.outcomes = self.outcomes, []
            self.flushing = True
            try:
                await self.engine.store.finish(
                    batch,
                    owner=self.engine.owner,
                    now=self.engine.app.clock.now(),
                    dm_channels=(self.platform, self._dm_changes()),
                )
                self.stats["flushes"] += 1
            except Exception as exc:
                self.engine.failures.failed(
                    exc, "writing %d outbox outcomes failed; retrying", len(batch)
                )
                self.outcomes[:0] = batch
                if self._stop.is_set():
                    return
                await asyncio.sleep(0.5)
            finally:
                self.flushing = False
            if not drain:
                if self.outcomes:
                    self._outcome_ready.set()  # the next batch is already gathering
                return
        await self._save_dm_channels()

    def _dm_changes(self) -> dict[str, str | None]:
        cache = self.engine._dm_caches.get(self.platform)
        return cache.changes() if cache is not None else {}

    async def _save_dm_channels(self) -> None:
        """DM channel ids learnt without an outcome to write them with (e.g. before a 429)."""
        changes = self._dm_changes()
        if not changes:
            return
        self.flushing = True
        try:
            await self.engine.store.save_dm_channels(
                self.platform, changes, now=self.engine.app.clock.now()
            )
        except Exception as exc:
            # Only an optimisation: the channel is opened again next time.
            self.engine.failures.failed(exc, "could not store %d DM channel ids", len(changes))
        finally:
            self.flushing = False


class SenderBusy(Exception):
    """Another live process sends from this SQLite database (holds the sender lease)."""

    def __init__(self, database: str, holder: str) -> None:
        super().__init__(
            f"Another bot process ({holder}) is already sending from {database}. SQLite allows "
            "one sending process per database file: stop that process first, or move to "
            "PostgreSQL to run several (README: Scale-out)."
        )
        self.holder = holder


class DeliveryEngine(QueueMixin):
    """`app.delivery`: register a Sender per platform; queue through it (`QueueMixin`); the
    engine does the rest."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.store = OutboxStore(app.db)
        self.timer = Timer(app.clock)
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.random = random.Random()
        self.workers: dict[str, PlatformWorker] = {}
        self._senders: dict[str, Sender] = {}
        self._dm_caches: dict[str, DMChannelCache] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self.running = False
        #: SQLite: the exclusive lease naming the one process that sends from the file.
        self.sender_lease = SenderLease(app.db) if app.db.is_sqlite else None
        #: Who sends this database's rows when another process holds the sender lease.
        self.sent_by: str | None = None
        #: Database failures of the workers and the lease heartbeat (a vanished file: once).
        self.failures = RetryLog(log, "outbox delivery")

    @property
    def lease_seconds(self) -> float:
        return float(self.app.settings.delivery_lease_seconds)

    def register_sender(self, platform: str, sender: Sender) -> None:
        """Send `platform`'s outbox rows through `sender` (replacing an earlier one)."""
        self._senders[platform] = sender
        worker = self.workers.get(platform)
        if worker is not None:
            worker.use(sender)
            worker.wake()
            return
        if self.running and self.sent_by is None:
            self._start_worker(platform, sender)

    def dm_cache(self, platform: str) -> DMChannelCache:
        """The DM channel id cache a platform's sender uses (one per platform)."""
        return self._dm_caches.setdefault(platform, DMChannelCache())

    def wake(self, platform: str | None = None) -> None:
        """Rows were queued: look at the outbox now rather than at the next poll."""
        for name, worker in self.workers.items():
            if platform is None or name == platform:
                worker.wake()

    def backoff(self, attempts: int) -> float:
        """Seconds before attempt `attempts + 1`: exponential, capped, with jitter."""
        settings = self.app.settings
        ceiling = min(
            settings.delivery_backoff_max, settings.delivery_backoff_base * 2 ** (attempts - 1)
        )
        return float(ceiling * self.random.uniform(0.5, 1.0))

    async def start(self, *, required: bool = False) -> None:
        """Start sending. On SQLite only the holder of the sender lease sends: when another
        live process holds it, raise `SenderBusy` if `required` (a second `mlebot run`), else
        stay passive (the console: rows it queues are sent by the holder) and set `sent_by`.
        A passive engine never touches leased rows."""
        if self.running:
            return
        if self.sender_lease is not None:
            other = await self.sender_lease.acquire(
                self.owner, now=self.app.clock.now(), ttl=self.lease_seconds
            )
            if other is not None:
                self.sent_by = other.holder
                if required:
                    raise SenderBusy(self.app.db.describe(), other.holder)
                log.warning(
                    "another process (%s) sends the posts of %s; this one only queues them",
                    other.holder,
                    self.app.db.describe(),
                )
                return
            self.sent_by = None
            resumed = await self.store.release_all()
            if resumed:
                log.info("resuming %d outbox rows left in flight by a previous run", resumed)
        self.running = True
        for platform, sender in self._senders.items():
            if platform not in self.workers:
                self._start_worker(platform, sender)
        self._heartbeat = asyncio.create_task(self._renew_leases(), name="outbox-leases")

    def _start_worker(self, platform: str, sender: Sender) -> None:
        worker = PlatformWorker(self, platform, sender)
        self.workers[platform] = worker
        # /readyz: failing once the platform refused the bot's credentials.
        self.app.readiness.add(
            f"delivery:{platform}:credentials", lambda: self.credentials_refused(platform) is None
        )
        worker.start()

    def refuse_credentials(self, platform: str, reason: str) -> None:
        """The platform told us (e.g. a `tokens_revoked` event) that the bot's credentials no
        longer work: stop its sending now, as if a send had been refused."""
        worker = self.workers.get(platform)
        if worker is not None:
            worker.refuse_credentials(reason)

    def credentials_refused(self, platform: str) -> str | None:
        """Why `platform` refused the bot's credentials (sending stopped), or None."""
        worker = self.workers.get(platform)
        return worker.credentials_refused if worker is not None else None

    async def stop(self) -> None:
        """Drain in-flight sends, write outcomes, give unsent claimed rows back."""
        if not self.running:
            return
        self.running = False
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        await self._stop_workers()
        if self.sender_lease is not None:
            try:
                await self.sender_lease.release(self.owner)
            except Exception as exc:
                self.failures.failed(
                    exc, "could not release the sender lease; it expires on its own"
                )

    async def _stop_workers(self) -> None:
        workers, self.workers = list(self.workers.values()), {}
        for worker in workers:
            await worker.stop()
        try:
            await self.store.release(self.owner)
        except Exception as exc:
            self.failures.failed(
                exc, "could not release claimed outbox rows; they resume after the lease"
            )

    async def _renew_leases(self) -> None:
        interval = self.lease_seconds / 3
        # Not `while True`: stop() cancels this task, and a cancellation arriving while it stops
        # the workers after a lost lease is swallowed by their own stop(); then it must still end.
        while self.running:
            await self.timer.sleep(interval)
            if self.sender_lease is not None and self.sent_by is None:
                try:
                    other = await self.sender_lease.renew(
                        self.owner, now=self.app.clock.now(), ttl=self.lease_seconds
                    )
                except Exception as exc:
                    self.failures.failed(exc, "renewing the sender lease failed")
                    other = None
                if other is not None:
                    # Stalled past the lease and another process took over: stop sending.
                    self.sent_by = other.holder
                    log.error(
                        "the sender lease of %s passed to %s; this process stops sending",
                        self.app.db.describe(),
                        other.holder,
                    )
                    await self._stop_workers()
                    # Passive from now on: nothing left to renew. Returning (rather than looping)
                    # also ends this task if `stop()` cancelled it while a worker's stop, which
                    # waits for its own tasks, absorbed the cancellation.
                    return
            if not any(w.held() for w in self.workers.values()):
                continue
            try:
                await self.store.renew(
                    self.owner, self.app.clock.now() + timedelta(seconds=self.lease_seconds)
                )
            except Exception as exc:
                self.failures.failed(exc, "renewing outbox leases failed")

    async def idle(self) -> None:
        """Return once no worker can make progress without time passing (for tests/tools)."""
        # Polling: quiescence is a property of several workers' state, not one event.
        while not all(w.quiescent() for w in self.workers.values()):  # noqa: ASYNC110
            await asyncio.sleep(0.002)

    def stats(self) -> dict[str, dict[str, int]]:
        return {name: dict(w.stats) for name, w in self.workers.items()}

    async def on_invocation(self, community: Community, actor: Actor) -> None:
        """A member used a command: they can be sent to again (invocation observer)."""
        key = Destination(
            platform=actor.platform,
            community_id="",
            kind=DestinationKind.DM,
            target_id=actor.user_id,
        ).recipient_key
        try:
            await self.store.clear_undeliverable([key])
        except Exception as exc:
            self.failures.failed(exc, "could not clear the undeliverable mark of %s", key)
