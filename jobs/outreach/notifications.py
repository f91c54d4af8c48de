"""Notifications by e-mail (issue 13, part 3): written here, queued in the outbox, sent by it.

- :func:`notify_round_approved` — after a daily round is approved (``jobs.steps.day``), each
  care-home manager with an address gets what their home gets (per item, in units and packs,
  against what was asked) and when it arrives (the delivery day, the route, its stop);
- :func:`remind_missing_reports` — the scheduler's ``reminders`` job, ``FORDELA_NOTIFY_REMIND_
  BEFORE_CUTOFF_MIN`` minutes (default 60) before the cut-off: each municipal coordinator with an
  address whose municipality has homes without a report for the round gets their names;
- the county coordinators' message about an acute request is queued with the request itself
  (``data.needs.acute`` → ``data.outreach.notifications.queue_acute_notices``).

Each is queued under one key per topic, round and person (``data.outreach.notifications``), in one
transaction, so running a step again — or a scheduler restarted in the middle — queues nothing
twice; the outbox's e-mail transport sends each key at most once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine

from data.clock import resolve_now
from data.db import session_scope
from data.errors import NotFound
from data.logistics.manifests import get_approved_run
from data.outreach.notification_reads import HomeDelivery, home_deliveries, homes_without_report
from data.outreach.notifications import (
    MISSING_REPORTS,
    ROUND_APPROVED,
    queue_notification,
    recipients,
)
from data.reference.places import find_municipality
from data.reference.regions import region_details
from data.rounds.calendar import cutoff_at, open_round
from data.settings import Settings
from jobs.documents.formatting import fmt_int

__all__ = [
    "NotifySettings",
    "approval_mail_body",
    "notify_round_approved",
    "remind_missing_reports",
    "reminder_time",
]

WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")


class NotifySettings(BaseSettings):
    """When the reminder about missing reports goes out (``FORDELA_NOTIFY_…``)."""

    model_config = SettingsConfigDict(env_prefix="FORDELA_NOTIFY_", extra="ignore", frozen=True)

    remind_before_cutoff_min: int = Field(default=60, ge=1, le=24 * 60 - 1)


def reminder_time(settings: Settings, notify: NotifySettings) -> time:
    """The local time of day the reminder runs (the cut-off less the lead time)."""
    cutoff = datetime.combine(date(2026, 1, 1), settings.cutoff)
    return (cutoff - timedelta(minutes=notify.remind_before_cutoff_min)).time()


def _day(value: date) -> str:
    return f"{WEEKDAYS[value.weekday()]} {value.isoformat()}"


def approval_mail_body(home: HomeDelivery, round_date: date, authority: str) -> str:
    """The plain-text Swedish message to a manager about the approved round."""
    lines = [
        "Hej,",
        "",
        f"{authority} har godkänt fördelningen för leveransdag {_day(round_date)}.",
        "",
        f"{home.home_name} får:",
    ]
    got_any = False
    for line in home.lines:
        if line.quantity <= 0 and line.unmet <= 0:
            continue
        instead = f" (i stället för {line.instead_of})" if line.instead_of else ""
        text = (
            f"  {line.item_name}{instead}: {fmt_int(line.quantity)} {line.unit}"
            f" ({fmt_int(line.packs)} förp. à {fmt_int(line.pack_size)})"
        )
        if line.requested:
            text += f" av begärda {fmt_int(line.requested)} {line.unit}"
        if line.unmet > 0:
            text += f"; {fmt_int(line.unmet)} {line.unit} kunde länet inte täcka"
        lines.append(text)
        got_any = got_any or line.quantity > 0
    if not got_any:
        lines.append("  ingenting i den här omgången (länets lager räckte inte).")
    lines.append("")
    if got_any and home.route_name:
        lines.append(
            f"Leveransen kommer {_day(round_date)} med {home.route_name} ({home.vehicle}), "
            f"stopp {home.stop_number}, till {home.municipality_name}s mottagningsställe: "
            f"{home.receiving_address}."
        )
    elif got_any:
        lines.append(
            f"Leveransen kommer {_day(round_date)} till {home.municipality_name}s "
            f"mottagningsställe: {home.receiving_address}."
        )
    lines += [
        "",
        "Vad boendet får och varför står också i Fördela under Behov.",
        "Du får det här meddelandet för att du är boendechef; du kan stänga av det på din "
        "sida Konto i Fördela.",
    ]
    return "\n".join(lines) + "\n"


def notify_round_approved(engine: Engine, *, round_date: date, now: datetime | None = None) -> int:
    """Queue the approved round's message to each care-home manager with an address; how many
    were queued now (0 when done before)."""
    moment = resolve_now(now)
    queued = 0
    with session_scope(engine) as session:
        authority = region_details(session).authority  # the round's own region's authority
        try:
            run = get_approved_run(session, round_date=round_date)
        except NotFound:
            return 0
        for home in home_deliveries(session, run_id=run.id).values():
            for user in recipients(session, topic=ROUND_APPROVED, care_home_id=home.care_home_id):
                queued += queue_notification(
                    session,
                    topic=ROUND_APPROVED,
                    occasion=round_date.isoformat(),
                    user=user,
                    subject=f"Leverans {round_date.isoformat()}: {home.home_name}",
                    body=approval_mail_body(home, round_date, authority),
                    now=moment,
                )
    return queued


def remind_missing_reports(
    engine: Engine, *, now: datetime | None = None, settings: Settings | None = None
) -> int:
    """Queue the reminder to each municipal coordinator whose homes have not reported for the
    round taking reports; how many were queued now."""
    moment = resolve_now(now)
    config = settings or Settings()
    round_date = open_round(moment, settings=config)
    cutoff = cutoff_at(round_date, settings=config).astimezone(config.zone)
    queued = 0
    with session_scope(engine) as session:
        missing = homes_without_report(session, round_date=round_date)
        for code, names in sorted(missing.items()):
            municipality = find_municipality(session, code=code)
            label = municipality.name if municipality is not None else code
            body = "\n".join(
                [
                    "Hej,",
                    "",
                    f"{fmt_int(len(names))} av {label}s boenden har inte rapporterat behov för "
                    f"leveransdag {_day(round_date)}. Sista tid är {cutoff:%H:%M} "
                    f"({cutoff:%Y-%m-%d}).",
                    "",
                    *[f"  {name}" for name in names],
                    "",
                    "Boendena rapporterar under Behov i Fördela; du kan också ladda upp "
                    "kommunens behov under Ladda upp behov.",
                    "Du kan stänga av påminnelsen på din sida Konto i Fördela.",
                ]
            )
            for user in recipients(session, topic=MISSING_REPORTS, municipality_code=code):
                queued += queue_notification(
                    session,
                    topic=MISSING_REPORTS,
                    occasion=round_date.isoformat(),
                    user=user,
                    subject=(
                        f"Påminnelse: {fmt_int(len(names))} boenden i {label} har inte "
                        f"rapporterat ({round_date.isoformat()})"
                    ),
                    body=body + "\n",
                    now=moment,
                )
    return queued
