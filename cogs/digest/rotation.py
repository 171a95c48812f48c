"""Which tips, resource and problem an issue features: pure, deterministic functions.

Tips rotate per community as a least-recently-shown queue: tips never shown come first, in an
order fixed by a hash of (community seed, tip id), then tips by the issue that last showed them,
oldest first. An issue takes the front of the queue. So a tip comes back only after every other
tip of the library has been shown since its last appearance ("no repeats until the library is
exhausted"), tips added to the library join at the front, removed ones are forgotten, and two
communities see different sequences while a community always gets the same answer for the
same stored history. A moderator's pin jumps the queue and then goes to the back like any tip.

Featured resources and problems of the week rotate the same way over their own histories.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence


def seeded_order(ids: Iterable[str], seed: str, salt: str) -> list[str]:
    """`ids` in an order that depends only on (seed, salt) and each id, not on input order."""

    def key(item: str) -> tuple[bytes, str]:
        return hashlib.sha256(f"{seed}\x1f{salt}\x1f{item}".encode()).digest(), item

    return sorted(set(ids), key=key)


def rotation_queue(
    ids: Iterable[str], *, seed: str, salt: str, last_shown: Mapping[str, int]
) -> list[str]:
    """`ids` least recently shown first (never shown before all), ties in seeded order."""
    order = seeded_order(ids, seed, salt)
    rank = {item: n for n, item in enumerate(order)}
    return sorted(order, key=lambda i: (last_shown.get(i, -1), rank[i]))


def pick_tips(
    library: Iterable[str],
    *,
    seed: str,
    last_shown: Mapping[str, int],
    count: int,
    pinned: str | None = None,
    primary_topic: Callable[[str], str] | None = None,
) -> tuple[str, ...]:
    """Choose `count` distinct tips for the next issue, headline first.

    `last_shown` maps a tip id to the (community-wide, increasing) number of the issue that
    last showed it. `pinned` (a moderator's choice) becomes the headline. `primary_topic`, when
    given, lets an issue prefer tips on different topics among the next few of the queue.
    """
    ids = set(library)
    if count < 1:
        raise ValueError("an issue needs at least one tip")
    if len(ids) < count:
        raise ValueError(f"the library has {len(ids)} tips; an issue needs {count}")
    queue = rotation_queue(ids, seed=seed, salt="tips", last_shown=last_shown)
    picked: list[str] = []
    if pinned is not None:
        if pinned not in ids:
            raise ValueError(f"pinned tip {pinned!r} is not in the library")
        picked.append(pinned)
    while len(picked) < count:
        remaining = [i for i in queue if i not in picked]
        choice = remaining[0]
        if primary_topic is not None and picked:
            # Look only a little ahead, so spreading topics delays a tip by a few places at most.
            window = remaining[: count + 1]
            taken = {primary_topic(i) for i in picked}
            choice = next((i for i in window if primary_topic(i) not in taken), choice)
        picked.append(choice)
    return tuple(picked)


def pick_rotating(
    ids: Sequence[str],
    *,
    seed: str,
    salt: str,
    history: Sequence[str],
    prefer: Sequence[str] = (),
) -> str:
    """The next item of a rotation over `ids` given what was featured before (oldest first).

    Least recently featured first, like tips. The first of `prefer` (e.g. resources the issue's
    tips link to) wins instead when it was not featured in the last half of the pool's length.
    """
    pool = set(ids)
    if not pool:
        raise ValueError(f"nothing to choose from for {salt}")
    last: dict[str, int] = {}
    for n, item in enumerate(history):
        if item in pool:
            last[item] = n
    recent = len(history) - max(1, len(pool) // 2)
    for item in prefer:
        if item in pool and (item not in last or last[item] < recent):
            return item
    return rotation_queue(pool, seed=seed, salt=salt, last_shown=last)[0]
