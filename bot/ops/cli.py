"""The `mlebot` command line: run, console, db upgrade, backup, config check."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeAlias

from bot import __version__
from bot.delivery.engine import SenderBusy
from bot.ops import event_loop
from bot.ops.logs import Redactor, configured, setup_logging
from bot.platform import PlatformUnreachable
from bot.settings import Settings, SettingsError, load_settings
from storage import migrations
from storage.database import Database, DatabaseUnreachable

EXIT_CONFIG = 2
NO_CREDENTIALS = (
    "No platform credentials are set and standard input is not a terminal, so there is nothing "
    "to run. Set DISCORD_TOKEN (Discord) or SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET or "
    "SLACK_APP_TOKEN (Slack), or run `mlebot console` to chat in a terminal."
)

Handler = Callable[[argparse.Namespace], int]
#: Where subcommands are added (`ArgumentParser.add_subparsers()`).
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlebot",
        description="A community bot for aspiring ML engineers: tips, resources, DSA practice.",
    )
    parser.add_argument("--version", action="version", version=f"mlebot {__version__}")
    parser.add_argument("--env-file", default=".env", help="settings file to read (default: .env)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    _command(sub, "run", "run on every platform whose credentials are set", cmd_run)

    console = _command(sub, "console", "chat with the bot in this terminal", cmd_console)
    console.add_argument(
        "--as", dest="as_name", default="you", metavar="NAME", help="act as member NAME"
    )
    console.add_argument("--moderator", action="store_true", help="act with moderator rights")

    db = _group(sub, "db", "database maintenance")
    _command(db, "upgrade", "apply pending migrations (safe to run twice)", cmd_db_upgrade)

    delivery = _group(sub, "delivery", "the outbox of scheduled posts and DMs")
    status = _command(
        delivery,
        "status",
        "sent / pending / failed for the latest runs, and recent failures",
        cmd_delivery_status,
    )
    status.add_argument("--runs", type=int, default=10, help="how many runs to show (default 10)")

    backup = _command(
        sub, "backup", "copy the SQLite database to PATH (safe while the bot runs)", cmd_backup
    )
    backup.add_argument("path", metavar="PATH", help="file to write, e.g. backups/mlebot.db")
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")

    privacy = _group(sub, "privacy", "members' personal data")
    export = _command(
        privacy, "export", "print everything stored about one member as JSON", cmd_privacy_export
    )
    export.add_argument("platform", help="discord, slack or console")
    export.add_argument("user_id", help="the member's platform user id")

    config = _group(sub, "config", "settings")
    _command(config, "check", "validate settings and show what would run", cmd_config_check)

    slack = _group(sub, "slack", "Slack app set-up")
    manifest = _command(
        slack,
        "manifest",
        "print the Slack app manifest generated from the commands",
        cmd_slack_manifest,
    )
    where = manifest.add_mutually_exclusive_group()
    where.add_argument(
        "--url",
        metavar="URL",
        help="public base URL of the bot's HTTP server (HTTP mode), e.g. https://bot.example.org",
    )
    where.add_argument("--socket", action="store_true", help="Socket Mode: no public URL needed")
    manifest.add_argument("--name", default="mlebot", help="app and bot user name")
    manifest.add_argument("--json", action="store_true", help="JSON instead of YAML")
    return parser


def _command(
    commands: Commands, name: str, help_text: str, handler: Handler
) -> argparse.ArgumentParser:
    """Add the command `name` (run by `handler`); its parser, for the command's own flags."""
    parser = commands.add_parser(name, help=help_text)
    parser.set_defaults(handler=handler)
    return parser


def _group(commands: Commands, name: str, help_text: str) -> Commands:
    """Add the group `name` (`mlebot NAME ACTION`); where its actions go (`_command`)."""
    group = commands.add_parser(name, help=help_text)
    return group.add_subparsers(dest=f"{name}_command", metavar="ACTION", required=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args)
    except (SettingsError, DatabaseUnreachable, PlatformUnreachable, SenderBusy) as exc:
        # One line a person acts on. Once the command has set up logging (`mlebot run`: JSON
        # for a log collector, the secrets known), through it like every other line.
        if configured():
            logging.getLogger(__name__).error("%s", exc)
        else:
            print(Redactor()(str(exc)), file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    except Exception:
        # Through the configured logging (JSON, redaction) like every other line; configure
        # it if the command failed before doing so.
        if not configured():
            setup_logging("INFO", "auto")
        logging.getLogger(__name__).critical(
            "mlebot %s stopped by an unexpected error", args.command, exc_info=True
        )
        return 1


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.env_file)


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if not settings.platforms():
        if sys.stdin.isatty():
            return _run_console(settings, "you", False)
        print(NO_CREDENTIALS, file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings.log_level, settings.log_format, secret_values=settings.secret_values())
    from bot.ops.runner import run_platforms

    return event_loop.run(run_platforms(settings), settings.event_loop)


def cmd_console(args: argparse.Namespace) -> int:
    return _run_console(_settings(args), args.as_name, args.moderator)


def _run_console(settings: Settings, name: str, moderator: bool) -> int:
    # The console's stdout is the conversation; logs go to stderr and only warnings by default.
    level = settings.log_level if settings.log_level in ("DEBUG",) else "WARNING"
    setup_logging(level, "text", secret_values=settings.secret_values())
    from bot.ops.runner import run_console

    return event_loop.run(
        run_console(settings, actor_name=name, moderator=moderator), settings.event_loop
    )


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = _settings(args)
    setup_logging(settings.log_level, settings.log_format, secret_values=settings.secret_values())

    async def go() -> list[migrations.Migration]:
        db = Database(settings.database_url)
        try:
            await db.wait_until_reachable(settings.database_wait_seconds)
            return await migrations.upgrade(db)
        finally:
            await db.close()

    applied = asyncio.run(go())
    if applied:
        for m in applied:
            print(f"applied {m.version:04d} {m.name}")
    else:
        print("database is up to date")
    return 0


def cmd_delivery_status(args: argparse.Namespace) -> int:
    from bot.delivery.status import build_report, to_text
    from storage.outbox import OutboxStore

    settings = _settings(args)
    setup_logging("WARNING", "text")

    async def go() -> str:
        db = Database(settings.database_url)
        try:
            await db.wait_until_reachable(settings.database_wait_seconds)
            await migrations.upgrade(db)
            report = await build_report(
                OutboxStore(db), runs=max(1, args.runs), failures=10, with_undeliverable=True
            )
            return to_text(report)
        finally:
            await db.close()

    print(asyncio.run(go()))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from storage.backup import BackupError, backup_sqlite, sqlite_path

    settings = _settings(args)
    try:
        result = backup_sqlite(
            sqlite_path(settings.database_url), Path(args.path), overwrite=args.force
        )
    except BackupError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    print(
        f"backup written to {result.path} ({result.size_bytes:,} bytes, {result.pages} pages, "
        "integrity check ok)"
    )
    return 0


def cmd_privacy_export(args: argparse.Namespace) -> int:
    from bot.ops.compose import build_application
    from bot.privacy import PrivacySubject, export_document

    settings = _settings(args)
    setup_logging("WARNING", "text", secret_values=settings.secret_values())
    subject = PrivacySubject(args.platform, args.user_id)

    async def go() -> str:
        # Cogs register their data; nothing is scheduled or sent, no platform is joined.
        app = await build_application(settings, platforms=False, services=False)
        try:
            return export_document(subject, await app.privacy.export(subject))
        finally:
            await app.stop()

    print(asyncio.run(go()))
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    db = Database(settings.database_url)
    print("settings are valid")
    print(f"  database: {db.describe()}")

    async def unreachable() -> str | None:
        try:
            await db.wait_until_reachable(0)
            return None
        except DatabaseUnreachable as exc:
            return str(exc)
        finally:
            await db.close()

    problem = asyncio.run(unreachable())
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_CONFIG
    print("  database reachable: yes")
    print(f"  default time zone: {settings.default_timezone}")
    platforms = settings.platforms()
    print(f"  platforms: {', '.join(platforms) if platforms else 'none (console only)'}")
    if settings.slack_enabled:
        modes = []
        if settings.slack_app_token is not None:
            modes.append("Socket Mode")
        if settings.slack_signing_secret is not None:
            modes.append(f"HTTP at {settings.http_host}:{settings.http_port}/slack/events")
        prefix = f", commands /{settings.slack_command_prefix}<group>"
        print(f"  slack: {' + '.join(modes)}{prefix if settings.slack_command_prefix else ''}")
    return 0


def cmd_slack_manifest(args: argparse.Namespace) -> int:
    import json

    import yaml

    from bot.adapters.slack.manifest import build_manifest, manifest_name_problem
    from bot.ops.compose import declared_registry

    problem = manifest_name_problem(args.name)
    if problem is not None:
        print(f"--name {args.name!r}: {problem}.", file=sys.stderr)
        return EXIT_CONFIG
    settings = _settings(args)
    socket = args.socket or (args.url is None and settings.slack_app_token is not None)
    if args.url is None and not socket:
        print(
            "Give --url https://your.host (the public address of the bot's HTTP server, for "
            "HTTP mode) or --socket (Socket Mode, with SLACK_APP_TOKEN).",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    registry = asyncio.run(declared_registry(settings))
    manifest = build_manifest(
        registry,
        request_url=None if socket else args.url,
        name=args.name,
        prefix=settings.slack_command_prefix,
    )
    if args.json:
        print(json.dumps(manifest, indent=2))
    else:
        print(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
