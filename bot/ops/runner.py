"""Building and running an application for the console or the configured platforms."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.adapters.console import ConsoleAdapter
from bot.app import Application
from bot.ops.http_server import HttpServer
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
    app = Application(settings)
    adapter = ConsoleAdapter(app, actor_name=actor_name, moderator=moderator)
    app.add_adapter(adapter)
    await serve(app)
    return 1 if adapter.failed else 0


async def run_platforms(settings: Settings) -> int:
    """Run every platform whose credentials are set."""
    app = Application(settings)
    if settings.http_enabled:
        app.http = HttpServer(settings.http_host, settings.http_port)
    for platform in settings.platforms():
        if platform == "slack":
            from bot.adapters.slack import SlackAdapter, SlackConfigError

            try:
                app.add_adapter(SlackAdapter(app))
            except SlackConfigError as exc:
                log.error("cannot start Slack: %s", exc)
                return 1
            continue
        if platform == "discord":
            from bot.adapters.discord import DiscordAdapter

            app.add_adapter(DiscordAdapter(app))
            continue
        log.error("the %s adapter is not available in this build", platform)
        return 1
    await serve(app)
    return 0
