"""Allocation runs: store a solved round as a draft, supersede, approve with a stock reservation.

A round (delivery day) has runs numbered by ``attempt``; at most one is the current ``draft``,
earlier drafts are ``superseded`` (kept for the record), and at most one is ``approved`` (a partial
unique index says so). ``store_run`` writes a run and all its lines in the caller's transaction;
two writers of the same attempt collide on ``UNIQUE(round_date, attempt)`` and the loser's
transaction fails (the step then returns the winner's run).

``approve_run`` marks a checked draft approved and reserves its stock: per item, the run's total is
withdrawn from the lots first-expiry-first-out as ``reservation`` ledger entries with reference
``run:<id>`` (one per lot), all in the caller's transaction, with an audit row. If the stock is not
there, ``InsufficientStock`` is raised, and if a report for the round came in after the run was
made (approving closes the round, so it would never be allocated), ``NotApprovable``: the caller's
transaction must roll back, nothing is reserved and the run stays a draft. Nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from allocation import AllocationResult
from data.access.tenancy import current_region, home_region
from data.audit import record_audit
from data.errors import Conflict, NotFound
from data.models import AllocationLine, AllocationRun, Base, StockEntry, StockKind
from data.rounds.choice import reports_after_run
from data.runs.snapshot import Snapshot, policy_to_dict
from data.stock.ledger import withdraw

__all__ = [
    "NotApprovable",
    "RoundApproved",
    "StoredRun",
    "approve_run",
    "current_draft",
    "get_run",
    "insert_lines",
    "line_rows",
    "list_round_runs",
    "list_run_lines",
    "next_attempt",
    "reservation_reference",
    "reserved_by_run",
    "run_summary",
    "store_run",
]


class RoundApproved(Conflict):
    """The round already has an approved run: it is not allocated or approved again."""

    def __init__(self, round_date: date, run_id: str) -> None:
        self.round_date = round_date
        self.run_id = run_id
        super().__init__(
            f"the round {round_date.isoformat()} already has an approved run ({run_id})"
        )


class NotApprovable(Conflict):
    """The run cannot be approved (not a draft, or it failed its check)."""


@dataclass(frozen=True)
class StoredRun:
    """The run a step ended with, and whether this call created it."""

    run: AllocationRun
    created: bool


def reservation_reference(run_id: str) -> str:
    """The ledger reference of a run's reservations (manifests and dispatch read it)."""
    return f"run:{run_id}"


def run_id_for(region_code: str, round_date: date, attempt: int, *, kind: str = "run") -> str:
    """A run's id: readable, and unique because ``(region, round_date, attempt)`` is.

    The deployment's home region keeps the form it had before regions were data
    (``run-20261124-1``: ids already printed on delivery notes and in the audit log); another
    region's runs name it (``run-FJ-20261124-1``). An extra round's id starts ``extra-``."""
    if region_code == home_region():
        return f"{kind}-{round_date:%Y%m%d}-{attempt}"
    return f"{kind}-{region_code}-{round_date:%Y%m%d}-{attempt}"


def list_round_runs(session: Session, *, round_date: date) -> list[AllocationRun]:
    """Every daily run of a round, first attempt first (lines not loaded; extra runs apart)."""
    query = (
        select(AllocationRun)
        .where(
            AllocationRun.region_code == current_region(session),
            AllocationRun.round_date == round_date,
            AllocationRun.kind == "daily",
        )
        .order_by(AllocationRun.attempt)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def next_attempt(session: Session, *, round_date: date) -> int:
    """The next attempt number of the day, shared by its daily and extra runs (unique per day)."""
    query = select(func.max(AllocationRun.attempt)).where(
        AllocationRun.region_code == current_region(session), AllocationRun.round_date == round_date
    )
    return int(session.scalar(query) or 0) + 1


def _with_status(runs: list[AllocationRun], status: str) -> AllocationRun | None:
    return next((r for r in reversed(runs) if r.status == status), None)


def current_draft(session: Session, *, round_date: date) -> AllocationRun | None:
    """The round's current draft, if any."""
    return _with_status(list_round_runs(session, round_date=round_date), "draft")


def get_run(session: Session, *, run_id: str) -> AllocationRun:
    """One run; ``NotFound`` when there is none."""
    run = session.get(AllocationRun, run_id, populate_existing=True)
    if run is None:
        raise NotFound("allocation run", run_id)
    return run


def list_run_lines(session: Session, *, run_id: str) -> list[AllocationLine]:
    """A run's lines, by care home and item (a need line's own item first, then substitutes)."""
    query = (
        select(AllocationLine)
        .where(AllocationLine.run_id == run_id)
        .order_by(
            AllocationLine.care_home_id,
            AllocationLine.item_code,
            AllocationLine.delivered_item_code != AllocationLine.item_code,
            AllocationLine.delivered_item_code,
        )
    )
    return list(session.scalars(query))


def run_summary(result: AllocationResult) -> list[dict[str, Any]]:
    return [
        {
            "item": s.item,
            "stock": s.stock,
            "supply": int(s.supply),
            "requested": s.requested,
            "allocated": int(s.allocated),
            "common_level": s.common_level,
            "homes_full": s.homes_full,
            "homes_short": s.homes_short,
            "substituted": int(s.substituted),
        }
        for s in result.items
    ]


def line_rows(run_id: str, snapshot: Snapshot, result: AllocationResult) -> list[dict[str, Any]]:
    """The run's lines as rows: one per need line and delivered item.

    A need line served partly by a substitute has a row for its own item and one per substitute
    (``delivered_item_code``; quantity and packs in the delivered item's units). The request and
    what is unmet stay on the own-item row (the first row when the core gave none), and are 0 on
    the others, so sums over a need item count each request once.
    """
    needs = {(n.care_home, n.item): n for n in snapshot.problem.needs}
    own = {(line.care_home, line.item) for line in result.lines if line.delivered_item is None}
    carried: set[tuple[str, str]] = set()
    rows: list[dict[str, Any]] = []
    for line in result.lines:
        key = (line.care_home, line.item)
        need = needs[key]
        delivered = line.delivered_item or line.item
        carries = delivered == line.item if key in own else key not in carried
        if carries:
            carried.add(key)
        sv, en = line.explanation_sv, line.explanation_en
        estimate = snapshot.estimates.get(key)
        if carries and need.daily_use_estimated and estimate is not None:
            unit = snapshot.units.get(line.item, "st")
            sv += estimate.explain_sv(unit)
            en += estimate.explain_en(unit)
        quantity = round(line.quantity)
        rows.append(
            {
                "run_id": run_id,
                "care_home_id": line.care_home,
                "item_code": line.item,
                "delivered_item_code": delivered,
                "municipality_code": line.municipality,
                "situation": snapshot.situations[line.care_home],
                "requested": line.requested if carries else 0,
                "requested_rounded": line.requested_rounded if carries else 0,
                "on_hand": need.on_hand,
                "daily_use": need.daily_use,
                "daily_use_estimated": need.daily_use_estimated,
                "quantity": quantity,
                "packs": line.packs if line.packs is not None else quantity,
                "unmet": max(0, round(line.unmet)) if carries else 0,
                "level": float(line.level),
                "item_level": line.item_level,
                "binding": line.binding,
                "capacity_group": line.capacity_group,
                "explanation_sv": sv,
                "explanation_en": en,
                "solver_quantity": quantity,
                "edit_reason": None,
                "edited_by": None,
            }
        )
    return rows


def insert_lines(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert the lines fast, in the session's transaction: COPY on PostgreSQL, else executemany.

    (63k lines on PostgreSQL: the ORM's bulk path splits the rows by their pattern of None values
    and psycopg's executemany goes row by row, 35 s; multi-row INSERTs spend their time in
    psycopg's query parsing, 40 s; COPY takes about a second.)
    """
    table = Base.metadata.tables[AllocationLine.__tablename__]
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    columns = list(rows[0])
    names = ", ".join(f'"{name}"' for name in columns)
    dbapi: Any = connection.connection.dbapi_connection
    with dbapi.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row[name] for name in columns))


def store_run(
    session: Session,
    *,
    snapshot: Snapshot,
    result: AllocationResult,
    method: str,
    trigger: str,
    actor: str,
    now: datetime,
    rerun: bool,
    seconds: dict[str, float] | None = None,
) -> StoredRun:
    """Write the run as the round's draft (or return the draft another writer stored first).

    Refuses (``RoundApproved``) when the round has an approved run. Without ``rerun`` an existing
    draft wins and nothing is written; with it the existing drafts become ``superseded``.
    A concurrent writer of the same attempt makes the flush raise ``IntegrityError``.
    """
    round_date = snapshot.round_date
    # The attempt is read before the runs: under READ COMMITTED each statement sees the latest
    # commit, so read the other way round a writer committing in between would be missed by the
    # runs and seen by the attempt, and both drafts would be stored. This way it is either seen
    # as a draft, or both write the same attempt and collide.
    attempt = next_attempt(session, round_date=round_date)
    runs = list_round_runs(session, round_date=round_date)
    approved = _with_status(runs, "approved")
    if approved is not None:
        raise RoundApproved(round_date, approved.id)
    draft = _with_status(runs, "draft")
    if draft is not None and not rerun:
        return StoredRun(draft, created=False)
    superseded = [r.id for r in runs if r.status == "draft"]
    if superseded:
        session.execute(
            update(AllocationRun)
            .where(AllocationRun.id.in_(superseded), AllocationRun.status == "draft")
            .values(status="superseded")
            .execution_options(synchronize_session=False)
        )
    run = AllocationRun(
        id=run_id_for(current_region(session), round_date, attempt),
        region_code=current_region(session),
        round_date=round_date,
        attempt=attempt,
        status="draft",
        method=result.method,
        policy=policy_to_dict(snapshot.problem.policy),
        inputs=snapshot.inputs,
        items_summary=run_summary(result),
        stats={
            "requested_method": method,
            "method": result.stats.method,
            "solver": result.stats.solver,
            "checker": result.stats.checker,
            "lp_count": result.stats.lp_count,
            "iterations": result.stats.iterations,
            "solve_s": round(result.stats.seconds, 4),
            "lines": len(result.lines),
            "homes": len(snapshot.problem.care_homes),
            **{f"{k}_s": round(v, 4) for k, v in (seconds or {}).items()},
        },
        check_ok=True,
        check_messages=[],
        trigger=trigger,
        created_at=now,
        created_by=actor,
    )
    session.add(run)
    session.flush()  # the UNIQUE(round_date, attempt) race is decided here
    rows = line_rows(run.id, snapshot, result)
    if rows:
        insert_lines(session, rows)
    record_audit(
        session,
        actor=actor,
        action="allocation_run.rerun" if superseded else "allocation_run.create",
        entity="allocation_run",
        entity_id=run.id,
        details={
            "round": round_date.isoformat(),
            "attempt": attempt,
            "trigger": trigger,
            "superseded": superseded,
            "lines": len(rows),
            "policy": run.policy,
        },
        now=now,
    )
    return StoredRun(run, created=True)


def reserved_by_run(session: Session, *, run_id: str) -> list[StockEntry]:
    """The reservation ledger entries of a run (one per item and lot)."""
    query = (
        select(StockEntry)
        .where(
            StockEntry.reference == reservation_reference(run_id),
            StockEntry.kind == StockKind.RESERVATION.value,
        )
        .order_by(StockEntry.id)
    )
    return list(session.scalars(query))


def _item_totals(session: Session, run_id: str) -> dict[str, int]:
    """Units per DELIVERED item: a substitute's units are reserved from its own stock."""
    query = (
        select(AllocationLine.delivered_item_code, func.sum(AllocationLine.quantity))
        .where(AllocationLine.run_id == run_id)
        .group_by(AllocationLine.delivered_item_code)
        .order_by(AllocationLine.delivered_item_code)
    )
    return {code: int(total or 0) for code, total in session.execute(query)}


def approve_run(
    session: Session,
    *,
    round_date: date,
    actor: str,
    now: datetime,
    run_id: str | None = None,
) -> AllocationRun:
    """Approve the round's draft (or ``run_id``) and reserve its stock (see the module doc).

    Raises ``NotFound`` (no draft), ``RoundApproved`` (the round already has an approved run),
    ``NotApprovable`` (superseded, or failed its check) or ``InsufficientStock``.
    """
    runs = list_round_runs(session, round_date=round_date)
    approved = _with_status(runs, "approved")
    if approved is not None:
        raise RoundApproved(round_date, approved.id)
    if run_id is None:
        run = _with_status(runs, "draft")
        if run is None:
            raise NotFound("draft allocation run for round", round_date.isoformat())
    else:
        run = get_run(session, run_id=run_id)
        if run.round_date != round_date:
            raise NotApprovable(f"run {run_id} is for the round {run.round_date.isoformat()}")
    if run.status != "draft":
        raise NotApprovable(f"run {run.id} is {run.status}; only the current draft is approved")
    if not run.check_ok:
        raise NotApprovable(f"run {run.id} failed its check and cannot be approved")
    try:
        with session.begin_nested():
            changed = session.execute(
                update(AllocationRun)
                .where(AllocationRun.id == run.id, AllocationRun.status == "draft")
                .values(status="approved", approved_at=now, approved_by=actor)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError as exc:  # the partial unique index: another run was approved first
        raise RoundApproved(round_date, "another run") from exc
    if getattr(changed, "rowcount", 1) != 1:
        raise NotApprovable(f"run {run.id} is no longer a draft")
    # Checked after the update: a report being filed holds the draft's row (see
    # ``round_choice.refuse_if_closed``), so the update waited for it and this read sees it.
    newer = reports_after_run(session, run=run)
    if newer:
        # Approving closes the round: a report the run has not seen would never be allocated.
        raise NotApprovable(
            f"{newer} need report(s) for {round_date.isoformat()} came in after run {run.id}"
            " was computed; run the round again before approving"
        )
    reference = reservation_reference(run.id)
    reserved: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item, total in _item_totals(session, run.id).items():
        if total <= 0:
            continue
        for entry in withdraw(
            session,
            item=item,
            quantity=total,
            actor=actor,
            kind=StockKind.RESERVATION,
            reason=f"approved allocation {run.id}",
            reference=reference,
            as_of=round_date,
            now=now,
        ):
            reserved[item].append({"lot": entry.lot, "units": -entry.quantity})
    record_audit(
        session,
        actor=actor,
        action="allocation_run.approve",
        entity="allocation_run",
        entity_id=run.id,
        details={"round": round_date.isoformat(), "reserved": dict(reserved)},
        now=now,
    )
    return get_run(session, run_id=run.id)
