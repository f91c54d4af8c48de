"""Requests for support (begäran om stöd) to the national agency: one per item the region lacks.

``create_escalations`` reads an approved run: every item with unmet need gets one ``Escalation``
with the total unmet, the breakdown per municipality (unmet units, homes short, homes short with
confirmed cases), the region's stock and its days of supply, under a stable reference
``ESK-<round yyyymmdd>-<item>`` (one approved run per round, so the reference is unique).

Decisions:

- **Region stock** is the item's balance when the escalation is made (right after approval, so
  after the run's reservation), lots expired before the round not counted.
- **Days of supply** = region stock ÷ the round's total daily use of the item: the sum of the daily
  use on the run's lines (reported, or estimated from history by the run), over the lines that have
  one. ``None`` when no line gives a daily use. Homes that did not report are not in the sum, so
  the figure is an upper bound on how long the stock lasts.
- **Homes with confirmed cases affected** counts the lines short of the item whose home reported
  confirmed cases.

Status moves forward only: queued → sent → acknowledged → partly_met → met (a step may be skipped).
What the agency sends is received as stock (supplier Socialstyrelsen, referencing the escalation),
and the escalation becomes partly met or met by what has arrived against its total unmet.

Nothing here commits; the caller owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record_audit
from data.clock import resolve_now
from data.errors import Conflict, NotFound, ValidationFailed
from data.models import AllocationLine, AllocationRun, Escalation, Municipality, Situation
from data.models.cycle import ESCALATION_STATUSES
from data.stock import item_balances, record_receipt

__all__ = [
    "AGENCY_SUPPLIER",
    "advance_escalation",
    "create_escalations",
    "escalation_reference",
    "get_escalation",
    "list_escalations",
    "record_agency_delivery",
    "set_escalation_status",
]

AGENCY_SUPPLIER = "Socialstyrelsen"


def escalation_reference(round_date: date, item_code: str) -> str:
    """``ESK-20261124-IIR`` (an extra run's adds its attempt: ``ESK-20261124-IIR-E3``)."""
    return f"ESK-{round_date:%Y%m%d}-{item_code}"


def get_escalation(session: Session, *, reference: str, lock: bool = False) -> Escalation:
    """The escalation with ``reference``; ``NotFound`` otherwise."""
    query = select(Escalation).where(Escalation.reference == reference)
    if lock:
        query = query.with_for_update()
    found = session.scalar(query.execution_options(populate_existing=True))
    if found is None:
        raise NotFound("escalation", reference)
    return found


def list_escalations(
    session: Session, *, round_date: date | None = None, run_id: str | None = None
) -> list[Escalation]:
    """Escalations by reference, for a round or a run (all when neither is given)."""
    query = select(Escalation).order_by(Escalation.reference)
    if round_date is not None:
        query = query.where(Escalation.round_date == round_date)
    if run_id is not None:
        query = query.where(Escalation.run_id == run_id)
    return list(session.scalars(query))


def _shortfalls(session: Session, run_id: str) -> dict[str, dict[str, Any]]:
    """Per item short: unmet, homes short and homes with confirmed cases per municipality."""
    names = {
        code: name for code, name in session.execute(select(Municipality.code, Municipality.name))
    }
    items: dict[str, dict[str, Any]] = {}
    lines = session.scalars(
        select(AllocationLine)
        .where(AllocationLine.run_id == run_id)
        .order_by(AllocationLine.item_code, AllocationLine.municipality_code, AllocationLine.id)
    )
    for line in lines:
        item = items.setdefault(
            line.item_code,
            {"daily_use": 0.0, "known_use": False, "by_municipality": defaultdict(dict)},
        )
        if line.daily_use is not None:
            item["daily_use"] += line.daily_use
            item["known_use"] = True
        if line.unmet <= 0:
            continue
        row = item["by_municipality"][line.municipality_code]
        if not row:
            row.update(
                municipality_code=line.municipality_code,
                municipality_name=names.get(line.municipality_code, line.municipality_code),
                unmet=0,
                homes_short=0,
                homes_confirmed=0,
            )
        row["unmet"] += line.unmet
        row["homes_short"] += 1
        row["homes_confirmed"] += int(line.situation == Situation.CONFIRMED.value)
    return {code: item for code, item in items.items() if item["by_municipality"]}


def create_escalations(
    session: Session, *, run: AllocationRun, actor: str, now: datetime | None = None
) -> list[Escalation]:
    """The run's escalations, created now unless they exist already (then returned as they are)."""
    existing = list_escalations(session, run_id=run.id)
    if existing:
        return existing
    if run.status != "approved":
        raise Conflict(f"run {run.id} is {run.status}, not approved")
    moment = resolve_now(now)
    stock = item_balances(session, as_of=run.round_date)
    created: list[Escalation] = []
    for item_code, item in sorted(_shortfalls(session, run.id).items()):
        rows = [item["by_municipality"][code] for code in sorted(item["by_municipality"])]
        region_stock = stock.get(item_code, 0)
        use = item["daily_use"]
        days = round(region_stock / use, 2) if item["known_use"] and use > 0 else None
        escalation = Escalation(
            reference=escalation_reference(run.round_date, item_code)
            + ("" if run.kind == "daily" else f"-E{run.attempt}"),
            run_id=run.id,
            round_date=run.round_date,
            item_code=item_code,
            total_unmet=sum(row["unmet"] for row in rows),
            region_stock=region_stock,
            days_of_supply=days,
            homes_confirmed=sum(row["homes_confirmed"] for row in rows),
            by_municipality=rows,
            status="queued",
            received_units=0,
            created_at=moment,
            updated_at=moment,
        )
        session.add(escalation)
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="escalation.create",
            entity="escalation",
            entity_id=escalation.reference,
            details={
                "run": run.id,
                "item": item_code,
                "total_unmet": escalation.total_unmet,
                "region_stock": region_stock,
                "days_of_supply": days,
                "homes_confirmed": escalation.homes_confirmed,
            },
            now=moment,
        )
        created.append(escalation)
    return created


def _rank(status: str) -> int:
    return ESCALATION_STATUSES.index(status)


def set_escalation_status(
    session: Session,
    *,
    reference: str,
    status: str,
    actor: str = "system",
    agency_reference: str | None = None,
    now: datetime | None = None,
) -> Escalation:
    """Move an escalation forward to ``status``; moving back is refused (``Conflict``)."""
    if status not in ESCALATION_STATUSES:
        raise ValidationFailed(
            [
                {
                    "field": "status",
                    "line": None,
                    "message": f"must be one of {list(ESCALATION_STATUSES)}, got {status!r}",
                }
            ]
        )
    escalation = get_escalation(session, reference=reference, lock=True)
    if _rank(status) < _rank(escalation.status):
        raise Conflict(f"escalation {reference} is {escalation.status}; it cannot go to {status}")
    return _apply(session, escalation, status, actor, agency_reference, resolve_now(now))


def advance_escalation(
    session: Session,
    *,
    reference: str,
    status: str,
    actor: str = "system:outbox",
    agency_reference: str | None = None,
    now: datetime | None = None,
) -> Escalation | None:
    """Like ``set_escalation_status`` but a no-op (None) when the escalation is already further."""
    escalation = session.scalar(
        select(Escalation).where(Escalation.reference == reference).with_for_update()
    )
    if escalation is None:
        return None
    if _rank(status) <= _rank(escalation.status):
        if agency_reference and not escalation.agency_reference:
            escalation.agency_reference = agency_reference
            session.flush()
        return None
    return _apply(session, escalation, status, actor, agency_reference, resolve_now(now))


def _apply(
    session: Session,
    escalation: Escalation,
    status: str,
    actor: str,
    agency_reference: str | None,
    moment: datetime,
) -> Escalation:
    before = escalation.status
    escalation.status = status
    if agency_reference:
        escalation.agency_reference = agency_reference
    escalation.updated_at = moment
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="escalation.status",
        entity="escalation",
        entity_id=escalation.reference,
        details={"from": before, "to": status, "agency_reference": escalation.agency_reference},
        now=moment,
    )
    return escalation


def record_agency_delivery(
    session: Session,
    *,
    reference: str,
    lot: str,
    expiry: date | None,
    quantity: int,
    actor: str,
    now: datetime | None = None,
) -> Escalation:
    """Receive what the agency sent against an escalation into stock; update met / partly met."""
    moment = resolve_now(now)
    escalation = get_escalation(session, reference=reference, lock=True)
    record_receipt(
        session,
        item=escalation.item_code,
        lot=lot,
        quantity=quantity,
        expiry=expiry,
        supplier=AGENCY_SUPPLIER,
        actor=actor,
        reference=reference,
        now=moment,
    )
    escalation.received_units += quantity
    status = "met" if escalation.received_units >= escalation.total_unmet else "partly_met"
    if _rank(status) < _rank(escalation.status):
        status = escalation.status
    return _apply(session, escalation, status, actor, None, moment)
