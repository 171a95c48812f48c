"""Building and running an application for the console or the configured platforms."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import Application
from bot.ops.cli import EXIT_CONFIG
from bot.ops.compose import ConsoleOptions, PlatformConfigError, build_application
from bot.settings import Settings

log = logging.getLogger(__name__)


async def serve(app: Application) -> None:
    """Run `app` until its adapters end or SIGTERM/SIGINT arrives, then shut down gracefully.

    On a signal: new invocations are refused, in-flight commands get up to
    SHUTDOWN_GRACE_SECONDS to finish (then are cancelled, rolling back their transactions),
    schedules and deliveries drain, and the database is closed.
    """
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, app.request_stop, sig.name)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            continue
        installed.append(sig)
    try:
        await app.run()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def run_console(settings: Settings, *, actor_name: str, moderator: bool) -> int:
    """Run the console adapter until input ends; 0 unless the bot itself failed."""
    app = await build_application(
        settings, console=ConsoleOptions(actor_name=actor_name, moderator=moderator)
    )
    await serve(app)
    return 1 if any(getattr(a, "failed", False) for a in app.adapters) else 0


async def run_platforms(settings: Settings) -> int:
    """Run every platform whose credentials are set."""
    try:
        app = await build_application(settings)
    except PlatformConfigError as exc:
        log.error("cannot start %s", exc)
        return EXIT_CONFIG
    await serve(app)
    return 0
