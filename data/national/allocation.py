"""The national allocation: the agency's stock shared among the open requests of every region.

Same core and contract as a county's round (``allocation.solve``; docs/contract.md §9):

- each open request with an outstanding balance is one **requester** (a ``CareHome`` with id
  ``<region>/<item>``, its municipality the region): one per region and item, since a region has
  one open request per item;
- its **need** is the request's outstanding balance (``data.escalations.requests.outstanding``)
  less what the agency has already promised and the region not yet received
  (``promised_pending``: an earlier run's share on its way, an answer given by hand), in units
  of the item — stock already on its way is not shared out twice;
- its **weight** is the number of homes with confirmed cases the region reported in its latest
  round of that request; a region that reported none counts as **1**, so a region in need is
  never left out (``requester_weight``);
- the **stock** is what the agency holds of each item (region ``SE``, lots expired before today
  left out); fairness ``fill``, whole packs of the item, no reserve, no vehicles.

``plan_national`` solves and stores nothing (the preview); ``run_national`` stores the plan as a
draft ``NationalRun`` (the draft before it superseded); ``approve_national`` turns each region's
share into an **answer** to its request (quantity, the expected delivery date the agency gives,
the run as the agency's reference) and takes the units out of the agency's stock (dispatch
entries referenced ``national:<run>``), all in one savepoint of the caller's transaction.
Approving a run twice, or a superseded run, is refused by name. Nothing here commits.

An answer the agency gave by hand before the run is not taken off the need: the newest answer is
the one in force, so approving a run replaces it with the run's share. Two agency users running at
the same moment: the second run's draft collides on the one-draft index (an error, nothing
stored) and is simply run again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from allocation import (
    AllocationResult,
    CareHome,
    Item,
    Municipality,
    Need,
    Policy,
    Problem,
    StockLine,
    check,
    problem_to_dict,
    result_to_dict,
    solve,
)
from data.access.tenancy import ALL_REGIONS, NATIONAL_REGION, in_region
from data.audit import record_audit
from data.clock import resolve_now
from data.errors import Conflict, Issue, NotFound, ValidationFailed
from data.models import Item as ItemRow
from data.models import StockKind
from data.models.national import NationalRun
from data.national.incoming import answer_request, find_request, list_incoming
from data.national.stock import national_item_balances
from data.stock.ledger import withdraw

__all__ = [
    "NationalLine",
    "NationalPlan",
    "RequestInput",
    "approve_national",
    "get_national_run",
    "latest_national_runs",
    "plan_national",
    "requester_weight",
    "run_lines",
    "run_national",
    "stock_reference",
]


def requester_weight(homes_confirmed: int) -> int:
    """A request's weight: its homes with confirmed cases, and at least 1 (never left out)."""
    return max(1, int(homes_confirmed))


def stock_reference(run_id: str) -> str:
    """The reference of the agency's ledger entries for an approved run."""
    return f"national:{run_id}"


@dataclass(frozen=True)
class RequestInput:
    """One open request as the national allocation reads it."""

    requester: str
    region_code: str
    region_name: str
    reference: str
    item_code: str
    outstanding: int
    homes_confirmed: int
    weight: int
    promised: int = 0
    """Already promised and on its way: not asked for again."""

    @property
    def need(self) -> int:
        """What the request asks of this run."""
        return max(0, self.outstanding - self.promised)


@dataclass(frozen=True)
class NationalLine:
    """What one request gets, and why (the core's Swedish explanation)."""

    requester: str
    region_code: str
    region_name: str
    reference: str
    item_code: str
    unit: str
    outstanding: int
    homes_confirmed: int
    weight: int
    quantity: int
    packs: int | None
    fair_share: float
    explanation_sv: str
    promised: int = 0
    """Promised before this run and not yet received; the answer on approval adds the share."""


@dataclass(frozen=True)
class NationalPlan:
    """A solved national allocation, not stored."""

    requests: tuple[RequestInput, ...]
    stock: dict[str, int]
    problem: Problem
    result: AllocationResult
    lines: tuple[NationalLine, ...]
    check_ok: bool


def _items(session: Session, codes: set[str]) -> dict[str, ItemRow]:
    with in_region(session, ALL_REGIONS):
        rows = session.scalars(select(ItemRow).where(ItemRow.code.in_(sorted(codes))))
        return {row.code: row for row in rows}


def plan_national(session: Session, *, today: date) -> NationalPlan:
    """Solve the national allocation over every open request; stores nothing.

    ``Conflict`` (in Swedish) when no request is open."""
    requests = tuple(
        RequestInput(
            requester=f"{found.region_code}/{found.item_code}",
            region_code=found.region_code,
            region_name=found.region_name,
            reference=found.reference,
            item_code=found.item_code,
            outstanding=found.outstanding,
            homes_confirmed=found.homes_confirmed,
            weight=requester_weight(found.homes_confirmed),
            promised=found.promised,
        )
        for found in list_incoming(session)
        if found.outstanding > found.promised
    )
    if not requests:
        raise Conflict("Det finns ingen öppen begäran om stöd att fördela till.")
    codes = {request.item_code for request in requests}
    items = _items(session, codes)
    held = national_item_balances(session, as_of=today)
    stock = {code: held.get(code, 0) for code in sorted(codes)}
    regions = sorted({(r.region_code, r.region_name) for r in requests})
    problem = Problem(
        round=today.isoformat(),
        items=tuple(
            Item(
                code=code,
                name=items[code].name_sv,
                unit=items[code].unit,
                pack_size=items[code].pack_size,
                pack_volume_l=items[code].pack_volume_l,
            )
            for code in sorted(codes)
        ),
        municipalities=tuple(Municipality(code, name) for code, name in regions),
        care_homes=tuple(
            CareHome(
                id=r.requester,
                name=f"{r.region_name} ({r.reference})",
                municipality=r.region_code,
                priority="normal",
                weight=float(r.weight),
            )
            for r in requests
        ),
        stock=tuple(StockLine(code, quantity) for code, quantity in stock.items()),
        needs=tuple(
            Need(care_home=r.requester, item=r.item_code, requested=r.need) for r in requests
        ),
        policy=Policy(fairness="fill", whole_packs=True, reserve_fraction=0.0),
    )
    result = solve(problem)
    by_requester = {r.requester: r for r in requests}
    lines = tuple(
        NationalLine(
            requester=line.care_home,
            region_code=by_requester[line.care_home].region_code,
            region_name=by_requester[line.care_home].region_name,
            reference=by_requester[line.care_home].reference,
            item_code=line.item,
            unit=items[line.item].unit,
            outstanding=by_requester[line.care_home].outstanding,
            homes_confirmed=by_requester[line.care_home].homes_confirmed,
            weight=by_requester[line.care_home].weight,
            quantity=line.quantity,
            packs=line.packs,
            fair_share=line.fair_share,
            explanation_sv=line.explanation_sv,
            promised=by_requester[line.care_home].promised,
        )
        for line in sorted(result.lines, key=lambda x: (x.item, x.municipality, x.care_home))
    )
    return NationalPlan(
        requests=requests,
        stock=stock,
        problem=problem,
        result=result,
        lines=lines,
        check_ok=check(problem, result.lines) == [],
    )


def _next_id(session: Session, moment_day: date) -> str:
    prefix = f"NAT-{moment_day:%Y%m%d}-"
    count = session.scalar(
        select(func.count()).select_from(NationalRun).where(NationalRun.id.like(f"{prefix}%"))
    )
    return f"{prefix}{int(count or 0) + 1}"


def run_national(
    session: Session, *, actor: str, today: date, now: datetime | None = None
) -> NationalRun:
    """Solve and store a draft national run; the draft before it is superseded. Audited."""
    moment = resolve_now(now)
    plan = plan_national(session, today=today)
    session.execute(
        update(NationalRun)
        .where(NationalRun.status == "draft")
        .values(status="superseded")
        .execution_options(synchronize_session=False)
    )
    run = NationalRun(
        id=_next_id(session, today),
        status="draft",
        inputs={
            "requests": [asdict(r) for r in plan.requests],
            "stock": plan.stock,
            "problem": problem_to_dict(plan.problem),
        },
        result={
            "lines": [asdict(line) for line in plan.lines],
            "core": result_to_dict(plan.result),
        },
        check_ok=plan.check_ok,
        created_at=moment,
        created_by=actor,
    )
    session.add(run)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="national_run.create",
        entity="national_run",
        entity_id=run.id,
        details={
            "requests": len(plan.requests),
            "stock": plan.stock,
            "allocated": {line.requester: line.quantity for line in plan.lines},
        },
        now=moment,
    )
    return run


def get_national_run(session: Session, *, run_id: str, lock: bool = False) -> NationalRun:
    """The national run ``run_id``; ``NotFound`` otherwise."""
    query = select(NationalRun).where(NationalRun.id == run_id)
    if lock:
        query = query.with_for_update()
    found = session.scalar(query.execution_options(populate_existing=True))
    if found is None:
        raise NotFound("national run", run_id)
    return found


def latest_national_runs(session: Session, *, limit: int = 10) -> list[NationalRun]:
    """The newest national runs first."""
    query = select(NationalRun).order_by(NationalRun.created_at.desc(), NationalRun.id.desc())
    return list(session.scalars(query.limit(limit)))


def run_lines(run: NationalRun) -> list[NationalLine]:
    """A stored run's lines."""
    return [NationalLine(**line) for line in run.result.get("lines", [])]


def _check_date(expected: date | None, giving: bool, today: date) -> None:
    errors: list[Issue] = []
    if expected is None and giving:
        errors.append(
            {"field": "expected_delivery", "line": None, "message": "ange när leveransen väntas"}
        )
    if expected is not None and expected < today:
        errors.append(
            {
                "field": "expected_delivery",
                "line": None,
                "message": f"{expected.isoformat()} har redan passerat",
            }
        )
    if errors:
        raise ValidationFailed(errors)


def approve_national(
    session: Session,
    *,
    run_id: str,
    expected_delivery: date | None,
    actor: str,
    today: date,
    now: datetime | None = None,
) -> NationalRun:
    """Approve a draft: each request's share becomes an answer to it (expected on
    ``expected_delivery``), and the units leave the agency's stock, referenced to the run.

    Refused before anything is written: a run already approved or superseded (``Conflict``
    naming it), a missing or past delivery date (``ValidationFailed``, field
    ``expected_delivery``), a request closed since the run or stock no longer there
    (``Conflict``: run it again).
    """
    moment = resolve_now(now)
    run = get_national_run(session, run_id=run_id, lock=True)
    if run.status == "approved":
        raise Conflict(f"Den nationella fördelningen {run.id} är redan godkänd.")
    if run.status != "draft":
        raise Conflict(f"Den nationella fördelningen {run.id} är ersatt av en senare körning.")
    lines = run_lines(run)
    giving = [line for line in lines if line.quantity > 0]
    _check_date(expected_delivery, bool(giving), today)
    for line in lines:
        request = find_request(session, region=line.region_code, reference=line.reference)
        if request.closed_at is not None or request.status == "met":
            raise Conflict(
                f"{line.reference} från {line.region_name} är avslutad sedan körningen; "
                "kör fördelningen igen."
            )
    needed: dict[str, int] = defaultdict(int)
    for line in giving:
        needed[line.item_code] += line.quantity
    held = national_item_balances(session, as_of=today)
    for item, quantity in sorted(needed.items()):
        if held.get(item, 0) < quantity:
            raise Conflict(
                f"Lagret av {item} räcker inte längre ({held.get(item, 0)} kvar, {quantity} "
                "fördelade); kör fördelningen igen."
            )
    with session.begin_nested():  # all answers and withdrawals, or none
        # A request this run gives nothing keeps the answer it has (a promise is not withdrawn
        # by a run that had nothing more for it); one it gives something is answered with what
        # was promised and is still to come, plus its share.
        for line in giving:
            earlier = f", utöver {line.promised} utlovade sedan tidigare" if line.promised else ""
            answer_request(
                session,
                region=line.region_code,
                reference=line.reference,
                quantity=line.promised + line.quantity,
                expected_delivery=expected_delivery,
                actor=actor,
                agency_reference=run.id,
                note=(
                    f"Nationell fördelning {run.id}: {line.quantity} av {line.outstanding} "
                    f"{line.unit}{earlier} (vikt {line.weight})."
                ),
                today=today,
                now=moment,
            )
        with in_region(session, NATIONAL_REGION):
            for line in giving:
                withdraw(
                    session,
                    item=line.item_code,
                    quantity=line.quantity,
                    actor=actor,
                    kind=StockKind.DISPATCH,
                    reason=f"{line.region_code} {line.reference}",
                    reference=stock_reference(run.id),
                    as_of=today,
                    now=moment,
                )
        run.status = "approved"
        run.approved_at = moment
        run.approved_by = actor
        run.expected_delivery = expected_delivery
        session.flush()
    record_audit(
        session,
        actor=actor,
        action="national_run.approve",
        entity="national_run",
        entity_id=run.id,
        details=_approval_details(lines, expected_delivery),
        now=moment,
    )
    return run


def _approval_details(lines: list[NationalLine], expected: date | None) -> dict[str, Any]:
    return {
        "expected_delivery": expected.isoformat() if expected else None,
        "answers": [
            {"region": line.region_code, "reference": line.reference, "quantity": line.quantity}
            for line in lines
        ],
    }
