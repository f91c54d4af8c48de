"""``fordela escalation list|status|receive`` and ``fordela discrepancies``: the follow-up.

- ``fordela escalation list --date D`` shows the round's requests for support and their status;
- ``fordela escalation status REF STATUS [--agency-reference X]`` moves a request forward
  (queued → sent → acknowledged → partly_met → met);
- ``fordela escalation receive REF --lot L [--expiry D] --quantity N`` receives what the agency
  sent into stock against the request (it becomes partly met or met);
- ``fordela discrepancies --date D`` lists the round's delivered lines with short or damaged units.
"""

from __future__ import annotations

from datetime import date

import click

from data.db import session_scope
from data.escalations.requests import list_escalations, set_escalation_status
from data.logistics.deliveries import list_discrepancies
from data.models.cycle import ESCALATION_STATUSES
from jobs.cli.manifests import CLI_ACTOR, cli_engine, parse_date
from jobs.steps.escalate import receive_agency_delivery

__all__ = ["discrepancies_command", "escalation_group"]


@click.group("escalation")
def escalation_group() -> None:
    """Requests for support to the national agency (begäran om stöd)."""


@escalation_group.command("list")
@click.option("--date", "day", required=True, help="Delivery date (YYYY-MM-DD).")
def list_command(day: str) -> None:
    """The round's requests: unmet, region stock, days of supply, status."""
    with cli_engine() as engine, session_scope(engine) as session:
        escalations = list_escalations(session, round_date=parse_date(day))
        for e in escalations:
            days = "-" if e.days_of_supply is None else f"{e.days_of_supply:.1f}"
            click.echo(
                f"{e.reference:<28} unmet {e.total_unmet:>8}  stock {e.region_stock:>8}  "
                f"days {days:>6}  received {e.received_units:>8}  {e.status}"
                + (f" ({e.agency_reference})" if e.agency_reference else "")
            )
    if not escalations:
        click.echo(f"no requests for {day}")


@escalation_group.command("status")
@click.argument("reference")
@click.argument("status", type=click.Choice(ESCALATION_STATUSES))
@click.option("--agency-reference", default=None, help="The agency's own reference.")
def status_command(reference: str, status: str, agency_reference: str | None) -> None:
    """Move a request forward to STATUS."""
    with cli_engine() as engine, session_scope(engine) as session:
        set_escalation_status(
            session,
            reference=reference,
            status=status,
            actor=CLI_ACTOR,
            agency_reference=agency_reference,
        )
    click.echo(f"{reference}: {status}")


@escalation_group.command("receive")
@click.argument("reference")
@click.option("--lot", required=True, help="The delivered lot (batch) number.")
@click.option("--expiry", default=None, help="The lot's expiry date (YYYY-MM-DD), if any.")
@click.option("--quantity", required=True, type=click.IntRange(min=1), help="Units received.")
def receive_command(reference: str, lot: str, expiry: str | None, quantity: int) -> None:
    """Receive the agency's delivery against REFERENCE into stock."""
    expires: date | None = parse_date(expiry) if expiry else None
    with cli_engine() as engine:
        status = receive_agency_delivery(
            engine,
            reference=reference,
            lot=lot,
            expiry=expires,
            quantity=quantity,
            actor=CLI_ACTOR,
        )
    click.echo(f"{reference}: {quantity} received into stock (lot {lot}); now {status}")


@click.command("discrepancies")
@click.option("--date", "day", required=True, help="Delivery date (YYYY-MM-DD).")
def discrepancies_command(day: str) -> None:
    """The round's delivered lines with short or damaged units, and why."""
    with cli_engine() as engine, session_scope(engine) as session:
        found = list_discrepancies(session, round_date=parse_date(day))
        for d in found:
            click.echo(
                f"{d.route_code} stop {d.stop_number} {d.municipality_code} {d.municipality_name}: "
                f"{d.item} lot {d.lot} loaded {d.loaded}, accepted {d.accepted}, short {d.short}, "
                f"damaged {d.damaged} — {d.reason}"
            )
    if not found:
        click.echo(f"no discrepancies for {day}")
