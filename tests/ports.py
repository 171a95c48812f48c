"""Loopback ports for a server a test starts later (or for nothing to listen on).

Asking the system for a free port (binding port 0) and closing it leaves a gap: before the test
binds it, another test worker's server or client may be given the same port. So these come from
a range below the system's ephemeral ports (32768-60999 on Linux), which the system never hands
out by itself, split between pytest-xdist workers, each counting up through its own share.
"""

from __future__ import annotations

import itertools
import os
import socket

FIRST_PORT = 20_000
PORTS_PER_WORKER = 2_000
MAX_WORKERS = 6


def _worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # gw0, gw1, ...
    return int(worker.removeprefix("gw") or 0) % MAX_WORKERS


_START = FIRST_PORT + _worker_index() * PORTS_PER_WORKER
_next = itertools.cycle(range(_START, _START + PORTS_PER_WORKER))


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now and no other test worker will take."""
    for _ in range(PORTS_PER_WORKER):
        port = next(_next)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue  # a service of this machine uses it
            return port
    raise RuntimeError(f"no free port in {_START}-{_START + PORTS_PER_WORKER - 1}")
