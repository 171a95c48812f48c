"""What `/delivery status` and `mlebot delivery status` show: progress of the latest runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.messages import Field, Message, Section, Tone
from storage.outbox import FailedRow, OutboxStore, RunStatus
from storage.recipients import recipient_kind

#: Statuses shown as "pending": waiting for an attempt or being sent right now.
WAITING = ("pending", "sending")


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    runs: list[RunStatus]
    totals: dict[str, int]
    failures: list[FailedRow]
    undeliverable: int | None = None  # recipients marked undeliverable (CLI: all platforms)


async def build_report(
    store: OutboxStore,
    *,
    where: Sequence[sa.ColumnElement[bool]] = (),
    runs: int = 5,
    failures: int = 5,
    with_undeliverable: bool = False,
) -> DeliveryReport:
    return DeliveryReport(
        runs=await store.latest_runs(limit=runs, where=where),
        totals=await store.totals(where=where),
        failures=await store.recent_failures(limit=failures, where=where),
        undeliverable=await store.undeliverable_count() if with_undeliverable else None,
    )


def summary(counts: dict[str, int]) -> str:
    """`12 sent · 3 pending · 1 failed · 2 skipped` (zero parts left out, except sent)."""
    waiting = sum(counts.get(s, 0) for s in WAITING)
    parts = [f"{counts.get('sent', 0)} sent"]
    for label, n in (
        ("pending", waiting),
        ("failed", counts.get("failed", 0)),
        ("skipped", counts.get("skipped", 0)),
    ):
        if n:
            parts.append(f"{n} {label}")
    return " · ".join(parts)


def run_label(run_key: str) -> str:
    """`schedule:12:2026-01-05T09:00:00+00:00` -> `schedule 12, 2026-01-05 09:00 UTC`."""
    kind, _, rest = run_key.partition(":")
    ident, _, when = rest.partition(":")
    try:
        at = datetime.fromisoformat(when)
    except ValueError:
        return run_key
    return f"{kind} {ident}, {at:%Y-%m-%d %H:%M} UTC"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 message`, `3 messages`."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def readable_run_label(run_key: str, schedule_names: Mapping[int, str], zone_name: str) -> str:
    """A run as a moderator knows it: the schedule's name and the local time.

    `schedule:5:2026-12-05T13:46:00+00:00` -> `digest-sat, Sat 05 Dec 14:46 (Europe/Paris)`;
    `digest-welcome:1:bob:20261205T…` -> `Welcome DM to bob`; other keys lose their ids.
    """
    kind, _, rest = run_key.partition(":")
    zone = ZoneInfo(zone_name)
    if kind == "schedule":
        ident, _, when = rest.partition(":")
        name = schedule_names.get(int(ident)) if ident.isdigit() else None
        label = name or "a removed schedule"
        try:
            at = datetime.fromisoformat(when).astimezone(zone)
        except ValueError:
            return label
        return f"{label}, {at:%a %d %b %H:%M} ({zone_name})"
    parts = rest.split(":")
    if kind == "digest-welcome" and len(parts) >= 2:
        return f"Welcome DM to {parts[1]}"
    if kind == "resource-suggestion" and len(parts) >= 3:
        return f"Suggestion {parts[1]} {parts[2]}: note to its author"
    return kind.replace("-", " ").capitalize()


def _who(row: FailedRow) -> str:
    kind = recipient_kind(row.recipient_key)
    name = row.target_name or row.recipient_key
    return f"DM @{name}" if kind == "dm" else f"#{name}"


def to_message(report: DeliveryReport, label: Callable[[str], str] = run_label) -> Message:
    """The report for chat; `label` names each run (default: its key made shorter)."""
    if not report.runs:
        return Message(
            title="Delivery status",
            body="Nothing has been queued for delivery yet. Scheduled posts and DMs appear "
            "here once their schedule runs (see /schedule list).",
            private=True,
        )
    fields = tuple(
        Field(label(run.run_key), summary(run.counts), inline=False) for run in report.runs
    )
    sections: tuple[Section, ...] = ()
    if report.failures:
        lines = "\n".join(f"- {label(f.run_key)} → {_who(f)}: {f.error}" for f in report.failures)
        sections = (Section("Recent failures", lines),)
    waiting = sum(report.totals.get(s, 0) for s in WAITING)
    return Message(
        title="Delivery status",
        body=f"All runs: {summary(report.totals)}.",
        fields=fields,
        sections=sections,
        footer="Pending messages are sent at the platform's rate limit; failed ones show why."
        if waiting
        else None,
        tone=Tone.WARNING if report.totals.get("failed") else Tone.NORMAL,
        private=True,
    )


def to_text(report: DeliveryReport) -> str:
    lines = [f"outbox: {summary(report.totals)}"]
    if report.undeliverable is not None:
        lines.append(f"recipients marked undeliverable: {report.undeliverable}")
    if report.runs:
        lines.append("latest runs:")
        width = max(len(r.run_key) for r in report.runs)
        for run in report.runs:
            lines.append(f"  {run.run_key:<{width}}  {summary(run.counts)}")
    else:
        lines.append("no runs queued yet")
    if report.failures:
        lines.append("recent failures:")
        for f in report.failures:
            lines.append(f"  {f.run_key}  {_who(f)}: {f.error}")
    return "\n".join(lines)
