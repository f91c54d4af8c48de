"""Requests for support (begäran om stöd) to the national agency: one open request per item.

``create_escalations`` reads an approved run. Every item the region cannot cover has **one open
request**: the first round short of it opens one (reference ``ESK-<round yyyymmdd>-<item>``, an
extra round's adds ``-E<attempt>``), and each later round updates it — its current figures and a
history row (``EscalationRound``) per round — instead of opening a new one every day.

Decisions (issue 13):

- **Unmet** is what the region's stock cannot cover: the homes' shortfall (the ``unmet`` of the
  run's lines) less the stock of the item still free after the run (reserve included; lots expired
  before the round not counted). A line edited down with stock left on the shelf is therefore not
  escalated; nor is a shortfall the region could still cover from stock it holds back.
- **Region stock** is what the region holds of the item at escalation: the free stock plus what
  this run reserved for its delivery (still in the region's store). **Days of supply** = region
  stock ÷ the round's total daily use of the item (the run's lines that give one, reported or
  estimated); ``None`` when no line gives a daily use.
- **Running balance**: a daily round restates every home's whole need, so its unmet *is* the
  balance; an extra (acute) round's unmet comes on top of it and is added. What the agency has
  delivered since the latest row is taken off (``outstanding``). A daily round that no longer
  lacks the item closes the request (a history row with 0); so does a delivery that meets it.
- **Homes with confirmed cases affected** counts the lines short of the item whose home reported
  confirmed cases.

Status moves forward only: queued → sent → acknowledged → partly_met → met (a step may be skipped).
What the agency sends is received as stock (supplier Socialstyrelsen, referencing the request).

Nothing here commits; the caller owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from data.access.tenancy import home_region
from data.audit import record_audit
from data.clock import resolve_now
from data.errors import Conflict, Issue, NotFound, ValidationFailed
from data.models import (
    AllocationLine,
    AllocationRun,
    Escalation,
    EscalationAnswer,
    EscalationRound,
    Municipality,
    OutboxMessage,
    Situation,
    StockEntry,
    StockKind,
)
from data.models.cycle import ESCALATION_STATUSES
from data.stock.ledger import item_balances, record_receipt

__all__ = [
    "AGENCY_SUPPLIER",
    "RequestState",
    "advance_escalation",
    "create_escalations",
    "escalation_history",
    "escalation_reference",
    "get_escalation",
    "latest_answer",
    "latest_round",
    "list_escalations",
    "outbox_key",
    "outstanding",
    "promised_pending",
    "record_agency_answer",
    "record_agency_delivery",
    "request_states",
    "set_escalation_status",
]

AGENCY_SUPPLIER = "Socialstyrelsen"


def escalation_reference(round_date: date, item_code: str) -> str:
    """``ESK-20261124-IIR`` (an extra run's adds its attempt: ``ESK-20261124-IIR-E3``)."""
    return f"ESK-{round_date:%Y%m%d}-{item_code}"


def outbox_key(region_code: str, reference: str, version: int) -> str:
    """The outbox key of a request's ``version``: the reference, then ``<reference>/2`` …

    The agency takes keys from every region and references are per region, so another region's
    keys name it (``FJ:<reference>``); the deployment's home region keeps the form the agency
    has already seen (as run ids do, ``data.runs.records.run_id_for``)."""
    key = reference if region_code == home_region() else f"{region_code}:{reference}"
    return key if version <= 1 else f"{key}/{version}"


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
    """Requests by reference that a round or a run opened or updated (all when neither)."""
    query = select(Escalation).order_by(Escalation.reference)
    if round_date is not None:
        rows = select(EscalationRound.escalation_id).where(EscalationRound.round_date == round_date)
        query = query.where(or_(Escalation.round_date == round_date, Escalation.id.in_(rows)))
    if run_id is not None:
        rows = select(EscalationRound.escalation_id).where(EscalationRound.run_id == run_id)
        query = query.where(or_(Escalation.run_id == run_id, Escalation.id.in_(rows)))
    return list(session.scalars(query))


def escalation_history(session: Session, *, escalation_id: int) -> list[EscalationRound]:
    """A request's history rows, oldest first."""
    query = (
        select(EscalationRound)
        .where(EscalationRound.escalation_id == escalation_id)
        .order_by(EscalationRound.version)
    )
    return list(session.scalars(query))


def latest_round(session: Session, *, escalation_id: int) -> EscalationRound | None:
    """A request's newest history row (None for a request from before the history)."""
    return session.scalar(
        select(EscalationRound)
        .where(EscalationRound.escalation_id == escalation_id)
        .order_by(EscalationRound.version.desc())
        .limit(1)
    )


def outstanding(escalation: Escalation, latest: EscalationRound | None) -> int:
    """The running balance now: the latest row's balance less what the agency sent since."""
    if latest is None:
        return max(0, escalation.total_unmet - escalation.received_units)
    return max(0, latest.balance - (escalation.received_units - latest.received_units))


@dataclass(frozen=True)
class RequestState:
    """What a page shows of a request beside its record: its history, its running balance, and
    how its latest version fares in the outbox (None: nothing queued)."""

    history: list[EscalationRound]
    outstanding: int
    answer: EscalationAnswer | None
    message_status: str | None
    message_error: str | None
    message_attempts: int


def request_states(session: Session, *, escalations: list[Escalation]) -> dict[str, RequestState]:
    """Per reference, the request's history, balance and outbox state."""
    states: dict[str, RequestState] = {}
    for escalation in escalations:
        history = escalation_history(session, escalation_id=escalation.id)
        key = outbox_key(escalation.region_code, escalation.reference, max(1, len(history)))
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        states[escalation.reference] = RequestState(
            history=history,
            outstanding=outstanding(escalation, history[-1] if history else None),
            answer=latest_answer(session, escalation_id=escalation.id),
            message_status=message.status if message is not None else None,
            message_error=message.last_error if message is not None else None,
            message_attempts=message.attempts if message is not None else 0,
        )
    return states


def _shortfalls(session: Session, run_id: str) -> dict[str, dict[str, Any]]:
    """Per item: the run's daily use, and per municipality unmet, homes short and confirmed."""
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
    return items


def _reserved_by(session: Session, run_id: str) -> dict[str, int]:
    """Units per item the run reserved (its delivery, still in the region's store)."""
    query = (
        select(StockEntry.item_code, func.sum(StockEntry.quantity))
        .where(
            StockEntry.reference == f"run:{run_id}",
            StockEntry.kind == StockKind.RESERVATION.value,
        )
        .group_by(StockEntry.item_code)
    )
    return {code: -int(total or 0) for code, total in session.execute(query)}


def _open_requests(session: Session) -> dict[str, Escalation]:
    query = (
        select(Escalation)
        .where(Escalation.closed_at.is_(None), Escalation.status != "met")
        .order_by(Escalation.id)
        .with_for_update()
    )
    return {escalation.item_code: escalation for escalation in session.scalars(query)}


def create_escalations(
    session: Session, *, run: AllocationRun, actor: str, now: datetime | None = None
) -> list[Escalation]:
    """Open or update the requests for the run's unmet need (see the module text).

    Returns the requests the run opened, updated or closed; called again for the same run it
    returns them as they are and changes nothing.
    """
    existing = list_escalations(session, run_id=run.id)
    if existing:
        return existing
    if run.status != "approved":
        raise Conflict(f"run {run.id} is {run.status}, not approved")
    moment = resolve_now(now)
    free = item_balances(session, as_of=run.round_date)
    reserved = _reserved_by(session, run.id)
    open_requests = _open_requests(session)
    touched: list[Escalation] = []
    for item_code, item in sorted(_shortfalls(session, run.id).items()):
        rows = [item["by_municipality"][code] for code in sorted(item["by_municipality"])]
        shortfall = sum(row["unmet"] for row in rows)
        free_stock = free.get(item_code, 0)
        unmet = max(0, shortfall - free_stock)
        request = open_requests.get(item_code)
        if unmet <= 0 and (request is None or run.kind != "daily"):
            continue
        region_stock = free_stock + reserved.get(item_code, 0)
        use = item["daily_use"]
        days = round(region_stock / use, 2) if item["known_use"] and use > 0 else None
        figures = {
            "unmet": unmet,
            "homes_shortfall": shortfall,
            "region_stock": region_stock,
            "free_stock": free_stock,
            "days_of_supply": days,
            "homes_confirmed": sum(row["homes_confirmed"] for row in rows),
            "by_municipality": rows,
        }
        touched.append(_update(session, run, item_code, request, figures, actor, moment))
    if run.kind == "daily":
        # A daily round restates every home's need: a request for an item no longer short closes.
        short = {escalation.item_code for escalation in touched}
        for item_code, request in sorted(open_requests.items()):
            if item_code in short:
                continue
            figures = {
                "unmet": 0,
                "homes_shortfall": 0,
                "region_stock": free.get(item_code, 0) + reserved.get(item_code, 0),
                "free_stock": free.get(item_code, 0),
                "days_of_supply": None,
                "homes_confirmed": 0,
                "by_municipality": [],
            }
            touched.append(_update(session, run, item_code, request, figures, actor, moment))
    return sorted(touched, key=lambda escalation: escalation.reference)


def _update(
    session: Session,
    run: AllocationRun,
    item_code: str,
    request: Escalation | None,
    figures: dict[str, Any],
    actor: str,
    moment: datetime,
) -> Escalation:
    """Open a request, or add the run's history row to the open one; audited."""
    unmet = int(figures["unmet"])
    if request is None:
        request = Escalation(
            reference=escalation_reference(run.round_date, item_code)
            + ("" if run.kind == "daily" else f"-E{run.attempt}"),
            run_id=run.id,
            round_date=run.round_date,
            item_code=item_code,
            total_unmet=unmet,
            region_stock=figures["region_stock"],
            days_of_supply=figures["days_of_supply"],
            homes_confirmed=figures["homes_confirmed"],
            by_municipality=figures["by_municipality"],
            status="queued",
            received_units=0,
            created_at=moment,
            updated_at=moment,
        )
        session.add(request)
        session.flush()
        balance, version, action = unmet, 1, "escalation.create"
    else:
        latest = latest_round(session, escalation_id=request.id)
        before = outstanding(request, latest)
        balance = unmet if run.kind == "daily" else before + unmet
        version = (latest.version if latest is not None else 1) + 1
        action = "escalation.update" if balance > 0 else "escalation.close"
        request.run_id = run.id
        request.round_date = run.round_date
        if balance > 0:
            request.total_unmet = balance
            request.region_stock = figures["region_stock"]
            request.days_of_supply = figures["days_of_supply"]
            request.homes_confirmed = figures["homes_confirmed"]
            request.by_municipality = figures["by_municipality"]
        else:
            request.closed_at = moment
        request.updated_at = moment
    if balance > 0:
        request.homes_shortfall = figures["homes_shortfall"]
        request.free_stock = figures["free_stock"]
    session.add(
        EscalationRound(
            escalation_id=request.id,
            version=version,
            run_id=run.id,
            run_kind=run.kind,
            round_date=run.round_date,
            unmet=unmet,
            homes_shortfall=figures["homes_shortfall"],
            region_stock=figures["region_stock"],
            free_stock=figures["free_stock"],
            days_of_supply=figures["days_of_supply"],
            homes_confirmed=figures["homes_confirmed"],
            by_municipality=figures["by_municipality"],
            balance=balance,
            received_units=request.received_units,
            created_at=moment,
        )
    )
    session.flush()
    record_audit(
        session,
        actor=actor,
        action=action,
        entity="escalation",
        entity_id=request.reference,
        details={
            "run": run.id,
            "item": item_code,
            "version": version,
            "unmet": unmet,
            "balance": balance,
            "homes_shortfall": figures["homes_shortfall"],
            "region_stock": figures["region_stock"],
            "free_stock": figures["free_stock"],
            "days_of_supply": figures["days_of_supply"],
            "homes_confirmed": figures["homes_confirmed"],
        },
        now=moment,
    )
    return request


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
    if status == "met" and escalation.closed_at is None:
        escalation.closed_at = moment
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
    left = outstanding(escalation, latest_round(session, escalation_id=escalation.id))
    status = "met" if left <= 0 else "partly_met"
    if _rank(status) < _rank(escalation.status):
        status = escalation.status
    if status == "met" and escalation.closed_at is None:
        escalation.closed_at = moment
    return _apply(session, escalation, status, actor, None, moment)


MAX_ANSWER = 100_000_000


def promised_pending(session: Session, *, escalation: Escalation) -> int:
    """Units the agency's answer in force still promises: its quantity less what the region has
    received against the request since the answer was given (never below 0)."""
    answer = latest_answer(session, escalation_id=escalation.id)
    if answer is None or answer.quantity == 0:
        return 0
    received = session.scalar(
        select(func.coalesce(func.sum(StockEntry.quantity), 0)).where(
            StockEntry.region_code == escalation.region_code,
            StockEntry.reference == escalation.reference,
            StockEntry.kind == StockKind.RECEIPT.value,
            StockEntry.created_at >= answer.recorded_at,
        )
    )
    return max(0, answer.quantity - int(received or 0))


def latest_answer(session: Session, *, escalation_id: int) -> EscalationAnswer | None:
    """The agency's answer in force for a request (the newest recorded), if any."""
    return session.scalar(
        select(EscalationAnswer)
        .where(EscalationAnswer.escalation_id == escalation_id)
        .order_by(EscalationAnswer.id.desc())
        .limit(1)
    )


def record_agency_answer(
    session: Session,
    *,
    reference: str,
    quantity: int,
    expected_delivery: date | None,
    actor: str,
    agency_reference: str | None = None,
    note: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> EscalationAnswer:
    """Record the agency's answer: ``quantity`` units (0: none) expected on ``expected_delivery``.

    Refused in Swedish (``ValidationFailed``, each field named) when the quantity is not a whole
    number from 0 to 100 000 000, a delivery has no date or a date before ``today``; nothing is
    written then. The request becomes at least acknowledged; audited.
    """
    moment = resolve_now(now)
    errors: list[Issue] = []
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        errors.append(
            {
                "field": "quantity",
                "line": None,
                "message": "antalet ska vara ett helt tal, 0 eller mer",
            }
        )
    elif quantity > MAX_ANSWER:
        errors.append(
            {"field": "quantity", "line": None, "message": "antalet får vara högst 100 000 000"}
        )
    if expected_delivery is None and isinstance(quantity, int) and quantity > 0:
        errors.append(
            {"field": "expected_delivery", "line": None, "message": "ange när leveransen väntas"}
        )
    if expected_delivery is not None and today is not None and expected_delivery < today:
        errors.append(
            {
                "field": "expected_delivery",
                "line": None,
                "message": f"{expected_delivery.isoformat()} har redan passerat",
            }
        )
    if agency_reference is not None and len(agency_reference.strip()) > 100:
        errors.append({"field": "agency_reference", "line": None, "message": "högst 100 tecken"})
    if note is not None and len(note) > 2000:
        errors.append({"field": "note", "line": None, "message": "högst 2 000 tecken"})
    if errors:
        raise ValidationFailed(errors)
    escalation = get_escalation(session, reference=reference, lock=True)
    answer = EscalationAnswer(
        escalation_id=escalation.id,
        quantity=quantity,
        expected_delivery=expected_delivery,
        agency_reference=(agency_reference or "").strip() or None,
        note=(note or "").strip() or None,
        recorded_by=actor,
        recorded_at=moment,
    )
    session.add(answer)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="escalation.answer",
        entity="escalation",
        entity_id=escalation.reference,
        details={
            "quantity": quantity,
            "expected_delivery": expected_delivery.isoformat() if expected_delivery else None,
            "agency_reference": answer.agency_reference,
        },
        now=moment,
    )
    if _rank("acknowledged") > _rank(escalation.status):
        _apply(session, escalation, "acknowledged", actor, answer.agency_reference, moment)
    elif answer.agency_reference and not escalation.agency_reference:
        escalation.agency_reference = answer.agency_reference
        session.flush()
    return answer
