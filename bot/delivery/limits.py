"""Pacing: a platform's limits and the token buckets that enforce them.

Each platform's `Sender` declares its limits (`Sender.limits(settings)`), from its own
settings and the platform's published limits; the engine only applies them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings

#: A bucket holds at most this many seconds' worth of requests: small, so that a burst after a
#: quiet spell cannot exceed a platform's fixed one-second window.
BURST_SECONDS = 1 / 40


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    """How fast one platform may be sent to. A rate of 0 means unlimited."""

    rate: float  # requests/s, whole platform
    route_rate: float  # requests/s per route (channel)
    route_burst: int
    concurrency: int  # requests in flight

    @classmethod
    def unpaced(cls, settings: Settings) -> PlatformLimits:
        """No rate limit, only the engine's concurrency (a platform that sends locally)."""
        return cls(0.0, 0.0, 1, settings.delivery_concurrency)


class TokenBucket:
    """A classic token bucket on an external clock (seconds as float)."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self.tokens = self.burst
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        if self.rate <= 0:
            return 0.0
        self._refill(now)
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self, now: float, cost: float = 1.0) -> None:
        """Spend `cost` tokens; beyond what is there it becomes debt the next waits repay."""
        if self.rate <= 0:
            return
        self._refill(now)
        self.tokens -= cost

    def drain(self, now: float) -> None:
        """Empty the bucket (after a 429: the platform saw us as too fast)."""
        self._refill(now)
        self.tokens = min(self.tokens, 0.0)

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.burst


def global_bucket(limits: PlatformLimits, now: float) -> TokenBucket:
    return TokenBucket(limits.rate, limits.rate * BURST_SECONDS, now)
