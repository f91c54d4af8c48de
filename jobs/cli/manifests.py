"""``fordela manifests``, ``dispatch``, ``deliver`` and ``outbox drain``: logistics from the shell.

- ``fordela manifests --date D --out DIR`` makes the approved run's manifests if they are not
  there yet and writes the round's pick lists, delivery notes and escalations (PDF, CSV, JSON);
- ``fordela dispatch --route R --date D`` marks a route dispatched (stock leaves the ledger);
- ``fordela deliver --code CODE --received-by NAME [--short ITEM:LOT:N] [--damaged ITEM:LOT:N]
  --reason TEXT`` records proof of delivery (lines not named were accepted in full);
- ``fordela outbox drain`` sends the due outbox messages by their topic's transport (JSON to
  ``FORDELA_OUTBOX_ENDPOINT``, e-mail over ``FORDELA_SMTP_HOST``).

Each command opens its engine from the settings (``FORDELA_DATABASE_URL``); errors from the data
layer are printed as one line and exit with status 1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from sqlalchemy import Engine

from data.db import make_engine
from data.errors import DataError
from data.logistics.deliveries import DeliveredLine
from data.settings import Settings
from jobs.documents.files import write_round_documents
from jobs.outreach.mail import MailSettings
from jobs.outreach.outbox import drain_outbox
from jobs.steps.deliveries import dispatch_route, record_delivery
from jobs.steps.manifests import produce_manifests

__all__ = [
    "CLI_ACTOR",
    "cli_engine",
    "deliver_command",
    "dispatch_command",
    "manifests_command",
    "outbox_group",
    "parse_date",
]

CLI_ACTOR = "cli"


def parse_date(value: str) -> date:
    """A YYYY-MM-DD option value as a date (a clear usage error otherwise)."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc


@contextmanager
def cli_engine() -> Iterator[Engine]:
    """The configured engine; data-layer errors become one-line CLI errors (exit 1)."""
    engine = make_engine(settings=Settings())
    try:
        yield engine
    except DataError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()


@click.command("manifests")
@click.option("--date", "day", required=True, help="Delivery date (YYYY-MM-DD).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/manifests"),
    show_default=True,
    help="Folder to write into (a sub-folder per date).",
)
def manifests_command(day: str, out_dir: Path) -> None:
    """Write the day's pick lists, delivery notes and escalations as PDF, CSV and JSON."""
    round_date = parse_date(day)
    with cli_engine() as engine:
        ids = produce_manifests(engine, round_date=round_date, actor=CLI_ACTOR)
        files = write_round_documents(engine, round_date=round_date, out_dir=out_dir)
    click.echo(f"{len(ids)} manifests for {round_date}; {len(files)} files in {out_dir / day}:")
    for path in files:
        click.echo(f"  {path}")


@click.command("dispatch")
@click.option("--route", "route_code", required=True, help="Route code, e.g. R1.")
@click.option("--date", "day", required=True, help="Delivery date (YYYY-MM-DD).")
def dispatch_command(route_code: str, day: str) -> None:
    """Mark a route's manifest dispatched: its lots leave the stock ledger."""
    with cli_engine() as engine:
        manifest_id = dispatch_route(
            engine, round_date=parse_date(day), route_code=route_code, actor=CLI_ACTOR
        )
    click.echo(f"manifest {manifest_id} (route {route_code}, {day}) dispatched")


def _parse_counts(values: tuple[str, ...], option: str) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for value in values:
        parts = value.split(":")
        if len(parts) != 3 or not parts[2].isdigit():
            raise click.BadParameter(f"{value!r} is not ITEM:LOT:UNITS", param_hint=option)
        counts[(parts[0], parts[1])] += int(parts[2])
    return counts


@click.command("deliver")
@click.option("--code", required=True, help="The stop's confirmation code (on the delivery note).")
@click.option("--received-by", required=True, help="Who received the delivery.")
@click.option("--short", multiple=True, help="ITEM:LOT:UNITS not delivered (repeatable).")
@click.option("--damaged", multiple=True, help="ITEM:LOT:UNITS delivered damaged (repeatable).")
@click.option("--reason", default=None, help="Why (required with --short or --damaged).")
def deliver_command(
    code: str,
    received_by: str,
    short: tuple[str, ...],
    damaged: tuple[str, ...],
    reason: str | None,
) -> None:
    """Record proof of delivery at a stop; lines not named were accepted in full."""
    shorts = _parse_counts(short, "--short")
    damages = _parse_counts(damaged, "--damaged")
    lines = [
        DeliveredLine(key[0], key[1], None, shorts[key], damages[key], reason)
        for key in sorted(set(shorts) | set(damages))
    ]
    with cli_engine() as engine:
        status = record_delivery(
            engine, confirmation_code=code, lines=lines, received_by=received_by, actor=CLI_ACTOR
        )
    click.echo(f"stop {code} delivered; manifest {status}")


@click.group("outbox")
def outbox_group() -> None:
    """The outbox of messages to outside systems (requests to the national agency, e-mail)."""


@outbox_group.command("drain")
@click.option("--endpoint", default=None, help="Override FORDELA_OUTBOX_ENDPOINT.")
@click.option("--max", "max_messages", default=100, show_default=True, type=int)
def drain_command(endpoint: str | None, max_messages: int) -> None:
    """Send the due messages now."""
    with cli_engine() as engine:
        report = drain_outbox(engine, endpoint=endpoint, max_messages=max_messages)
    if report.skipped:
        click.echo(f"nothing sent: {report.skipped}")
        return
    click.echo(
        f"{report.claimed} claimed: {report.sent} sent, {report.retried} to retry, "
        f"{report.dead} given up (JSON: {report.endpoint or 'none'}; e-mail: "
        f"{MailSettings().host or 'none'})"
    )
    for outcome in report.outcomes:
        if outcome.error:
            click.echo(f"  {outcome.key} attempt {outcome.attempt}: {outcome.error}")
    for region, why in sorted(report.waiting.items()):
        click.echo(f"  region {region}: requests for support wait ({why})")
