"""A per-member command rate: at most N commands per minute, then "slow down, try again in N s".

A sliding window of the member's last commands, in memory (a restart forgets it, which is fine
for a limit measured in seconds). Keys are (platform, community, user).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class MemberRate:
    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        window: float = WINDOW_SECONDS,
    ) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.window = window
        self._seen: dict[tuple[str, str, str], deque[float]] = {}

    def wait(self, key: tuple[str, str, str]) -> int | None:
        """Record one command for `key`: None when allowed, else whole seconds to wait."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        seen = self._seen.setdefault(key, deque())
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) >= self.per_minute:
            return max(1, math.ceil(self.window - (now - seen[0])))
        seen.append(now)
        if len(self._seen) > 10_000:  # forget members idle for a whole window
            self._seen = {k: v for k, v in self._seen.items() if v and now - v[-1] < self.window}
        return None
