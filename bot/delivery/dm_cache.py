"""A cache of DM channel ids, so that a DM costs one request, not two.

Platforms send DMs to a channel that must be opened first (Discord `POST /users/@me/channels`,
Slack `conversations.open`). Adapters' senders own that call; this helper makes sure it happens
once per user (concurrent sends to the same user share one open) and remembers the result.
The delivery engine persists what the cache learns (`changes()`) and preloads the ids of the
members it is about to send to (`preload()`), so the cache also survives restarts.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable


class DMChannelCache:
    """user id -> DM channel id, least recently used entries dropped beyond `max_size`."""

    def __init__(self, max_size: int = 200_000) -> None:
        self.max_size = max_size
        self._ids: OrderedDict[str, str] = OrderedDict()
        self._opening: dict[str, asyncio.Future[str]] = {}
        self._changes: dict[str, str | None] = {}  # learnt since the last changes() call
        self.opened = 0  # how many times the open call actually ran

    def __len__(self) -> int:
        return len(self._ids)

    def peek(self, user_id: str) -> str | None:
        return self._ids.get(user_id)

    async def get(self, user_id: str, open_channel: Callable[[str], Awaitable[str]]) -> str:
        """The DM channel id for `user_id`, calling `open_channel(user_id)` only on a miss.

        An error from `open_channel` propagates to every caller waiting on it and nothing is
        cached, so the next attempt tries again.
        """
        channel = self._ids.get(user_id)
        if channel is not None:
            self._ids.move_to_end(user_id)
            return channel
        pending = self._opening.get(user_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._opening[user_id] = future
        try:
            self.opened += 1
            channel = await open_channel(user_id)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else must log it
            raise
        finally:
            self._opening.pop(user_id, None)
        future.set_result(channel)
        self.put(user_id, channel)
        return channel

    def put(self, user_id: str, channel_id: str) -> None:
        """Remember an id the platform gave (to be persisted)."""
        self._remember(user_id, channel_id)
        self._changes[user_id] = channel_id

    def preload(self, known: dict[str, str]) -> None:
        """Ids read back from storage (not changes)."""
        for user_id, channel_id in known.items():
            if user_id not in self._ids:
                self._remember(user_id, channel_id)

    def changes(self) -> dict[str, str | None]:
        """What was learnt or forgotten since the last call (None: forgotten)."""
        out, self._changes = self._changes, {}
        return out

    def _remember(self, user_id: str, channel_id: str) -> None:
        self._ids[user_id] = channel_id
        self._ids.move_to_end(user_id)
        while len(self._ids) > self.max_size:
            self._ids.popitem(last=False)

    def forget(self, user_id: str) -> None:
        """Drop a cached id (e.g. the platform said the channel is unknown)."""
        self._ids.pop(user_id, None)
        self._changes[user_id] = None
