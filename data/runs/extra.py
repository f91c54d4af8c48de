"""Extra rounds: the open acute requests shared out from what is free, between the daily rounds.

The same core and contract as the daily run, over the acute requests only:

- ``extra_snapshot``: one need line per home and item (the open requests summed, the home's most
  severe situation among them), the stock on hand now (what approved runs reserved is already out
  of it) with no reserve kept back (the reserve is held for this), and one vehicle: the route the
  county picked carries every stop of the extra delivery, within its capacity.
- ``store_extra_run``: the draft, ``kind = 'extra'``, numbered with the day's runs
  (``extra-YYYYMMDD-n``; outside the home region ``extra-FJ-YYYYMMDD-n``), its lines like a
  daily run's (so the preview and the edit work on it).
- ``approve_extra_run``: reserves its stock (``InsufficientStock`` when another approval took it
  first: the caller rolls back, nothing is spent twice) and settles each request it covered:
  ``allocated`` in full or ``partly`` (the rest is escalated). A request declined or settled since
  the draft was made makes the draft stale (``NotApprovable``).

Nothing here commits; the caller owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from allocation import (
    AllocationResult,
    CapacityGroup,
    Municipality,
    Need,
    Policy,
    Problem,
    StockLine,
    problem_to_dict,
)
from data.access.tenancy import current_region
from data.audit import record_audit
from data.errors import DataError, NotFound, ValidationFailed
from data.models import AcuteRequest, AllocationLine, AllocationRun, Route, StockKind
from data.models import CareHome as CareHomeRecord
from data.models import Item as ItemRecord
from data.models import Municipality as MunicipalityRecord
from data.runs.records import (
    NotApprovable,
    get_run,
    insert_lines,
    line_rows,
    next_attempt,
    reservation_reference,
    run_id_for,
    run_summary,
)
from data.runs.snapshot import Snapshot, core_care_homes, core_items, policy_to_dict
from data.stock.ledger import balances, withdraw

__all__ = [
    "NoAcuteRequests",
    "approve_extra_run",
    "extra_requests",
    "extra_snapshot",
    "store_extra_run",
]

SEVERITY = ("none", "suspected", "confirmed")


class NoAcuteRequests(DataError):
    """No acute request is open: there is nothing for an extra round to share out."""

    def __init__(self) -> None:
        super().__init__("no acute request is open")


def _departure(raw: str) -> str:
    try:
        return time.fromisoformat(raw.strip()).strftime("%H:%M")
    except ValueError:
        raise ValidationFailed(
            [{"field": "departure", "line": None, "message": f"{raw!r} is not a time (HH:MM)"}]
        ) from None


def extra_snapshot(
    session: Session,
    *,
    delivery_date: date,
    route_code: str,
    departure: str,
    policy: Policy,
    now: datetime,
) -> Snapshot:
    """The problem of an extra round over every open acute request (see the module doc)."""
    when = _departure(departure)
    route = session.get(Route, route_code)
    if route is None or not route.active:
        raise ValidationFailed(
            [{"field": "route", "line": None, "message": f"unknown route {route_code!r}"}]
        )
    requests = list(
        session.scalars(
            select(AcuteRequest)
            .where(AcuteRequest.status == "open")
            .order_by(AcuteRequest.filed_at, AcuteRequest.id)
        )
    )
    if not requests:
        raise NoAcuteRequests()
    asked: dict[tuple[str, str], int] = defaultdict(int)
    situation: dict[str, str] = {}
    for request in requests:
        asked[(request.care_home_id, request.item_code)] += request.quantity
        before = situation.get(request.care_home_id, "none")
        situation[request.care_home_id] = max(before, request.situation, key=SEVERITY.index)
    homes = {
        h.id: h
        for h in session.scalars(select(CareHomeRecord).where(CareHomeRecord.id.in_(situation)))
    }
    items = list(session.scalars(select(ItemRecord).order_by(ItemRecord.code)))
    stock = {item.code: 0 for item in items}
    for lot in balances(session):
        if lot.expiry is None or lot.expiry >= delivery_date:
            stock[lot.item] += lot.on_hand
    places = sorted({homes[h].municipality_code for h in situation})
    problem = Problem(
        round=f"{delivery_date.isoformat()}-extra",
        items=core_items(items),
        municipalities=tuple(
            Municipality(m.code, m.name)
            for m in session.scalars(select(MunicipalityRecord).order_by(MunicipalityRecord.code))
        ),
        care_homes=core_care_homes(homes, situation, situation),
        stock=tuple(StockLine(code, units) for code, units in sorted(stock.items())),
        needs=tuple(
            Need(care_home=home, item=item, requested=units, on_hand=0, daily_use=None)
            for (home, item), units in sorted(asked.items())
        ),
        capacity=(CapacityGroup(route.code, tuple(places), float(route.capacity_l)),),
        # The reserve the policy holds back from the daily runs is there for acute needs.
        policy=replace(policy, reserve_fraction=0.0),
    )
    inputs: dict[str, Any] = {
        "taken_at": now.isoformat(),
        "problem": problem_to_dict(problem),
        "reports": [],
        "extra": {
            "route": route.code,
            "departure": when,
            "requests": [r.id for r in requests],
        },
    }
    return Snapshot(round_date=delivery_date, problem=problem, inputs=inputs, situations=situation)


def store_extra_run(
    session: Session,
    *,
    snapshot: Snapshot,
    result: AllocationResult,
    actor: str,
    now: datetime,
) -> AllocationRun:
    """Write the extra round's draft and its lines."""
    day = snapshot.round_date
    attempt = next_attempt(session, round_date=day)
    run = AllocationRun(
        id=run_id_for(current_region(session), day, attempt, kind="extra"),
        round_date=day,
        attempt=attempt,
        kind="extra",
        status="draft",
        method=result.method,
        policy=policy_to_dict(snapshot.problem.policy),
        inputs=snapshot.inputs,
        items_summary=run_summary(result),
        stats={"method": result.stats.method, "lines": len(result.lines)},
        check_ok=True,
        check_messages=[],
        trigger="acute",
        created_at=now,
        created_by=actor,
    )
    session.add(run)
    session.flush()
    rows = line_rows(run.id, snapshot, result)
    if rows:
        insert_lines(session, rows)
    record_audit(
        session,
        actor=actor,
        action="allocation_run.extra",
        entity="allocation_run",
        entity_id=run.id,
        details={"extra": snapshot.inputs["extra"], "lines": len(rows)},
        now=now,
    )
    return run


def extra_requests(
    session: Session, *, run: AllocationRun, lock: bool = False
) -> list[AcuteRequest]:
    """The acute requests an extra run was made for, in filing order."""
    ids = [int(i) for i in (run.inputs.get("extra") or {}).get("requests", [])]
    query = (
        select(AcuteRequest)
        .where(AcuteRequest.id.in_(ids))
        .order_by(AcuteRequest.filed_at, AcuteRequest.id)
    )
    return list(session.scalars(query.with_for_update() if lock else query))


def approve_extra_run(session: Session, *, run_id: str, actor: str, now: datetime) -> AllocationRun:
    """Approve an extra draft, reserve its stock and settle its requests (see the module doc)."""
    run = get_run(session, run_id=run_id)
    if run.kind != "extra":
        raise NotFound("extra run", run_id)
    session.refresh(run, with_for_update=True)
    if run.status != "draft":
        raise NotApprovable(f"run {run.id} is {run.status}; only a draft can be approved")
    if not run.check_ok:
        raise NotApprovable(f"run {run.id} failed its check and cannot be approved")
    requests = extra_requests(session, run=run, lock=True)
    settled = [r.id for r in requests if r.status != "open"]
    if settled:
        raise NotApprovable(
            f"acute requests {settled} were settled after run {run.id} was made;"
            " make a new extra round"
        )
    session.execute(
        update(AllocationRun)
        .where(AllocationRun.id == run.id, AllocationRun.status == "draft")
        .values(status="approved", approved_at=now, approved_by=actor)
        .execution_options(synchronize_session=False)
    )
    lines = list(session.scalars(select(AllocationLine).where(AllocationLine.run_id == run.id)))
    totals: dict[str, int] = defaultdict(int)
    for line in lines:  # the stock of the item delivered (a substitute's own)
        totals[line.delivered_item_code] += line.quantity
    for item, units in sorted(totals.items()):
        if units > 0:  # InsufficientStock when another approval spent it first
            withdraw(
                session,
                item=item,
                quantity=units,
                actor=actor,
                kind=StockKind.RESERVATION,
                reason=f"approved extra allocation {run.id}",
                reference=reservation_reference(run.id),
                as_of=run.round_date,
                now=now,
            )
    given: dict[tuple[str, str], int] = defaultdict(int)
    for x in lines:  # what serves each request, substitutes included (their units)
        given[(x.care_home_id, x.item_code)] += x.quantity
    for request in requests:
        key = (request.care_home_id, request.item_code)
        share = min(given.get(key, 0), request.quantity)
        given[key] = given.get(key, 0) - share
        request.allocated = share
        request.status = "allocated" if share >= request.quantity else "partly"
        request.run_id = run.id
        request.decided_by = actor
        request.decided_at = now
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="allocation_run.approve",
        entity="allocation_run",
        entity_id=run.id,
        details={"extra": True, "reserved": dict(totals), "requests": [r.id for r in requests]},
        now=now,
    )
    return get_run(session, run_id=run.id)
