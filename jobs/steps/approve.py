"""Steps: approve a round's draft (reserving its stock) and edit one line of a draft.

Each opens one transaction. Approval refuses anything but a checked draft, refuses a second
approval of a round (``RoundApproved``; the partial unique index is the real guard), and reserves
the run's stock first-expiry-first-out as ``reservation`` ledger entries referenced ``run:<id>``;
when the stock is not there (``InsufficientStock``) nothing is written and the run stays a draft.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine

from data.clock import resolve_now
from data.db import session_scope
from data.runs.edits import edit_line as edit_run_line
from data.runs.records import approve_run as approve_stored_run
from data.runs.records import reserved_by_run

__all__ = ["Approval", "LineEdit", "approve_run", "edit_line"]


@dataclass(frozen=True)
class Approval:
    """What an approval did: the run, and the units reserved per item (and how many lots)."""

    run_id: str
    reserved: dict[str, int] = field(default_factory=dict)
    lots: int = 0


@dataclass(frozen=True)
class LineEdit:
    """An accepted edit: the line's new quantity and any fairness findings it leaves."""

    run_id: str
    care_home_id: str
    item_code: str
    quantity: int
    solver_quantity: int
    fairness: list[str]


def approve_run(
    engine: Engine,
    *,
    round_date: date,
    actor: str,
    run_id: str | None = None,
    now: datetime | None = None,
) -> Approval:
    """Approve the round's draft (or ``run_id``) and reserve its stock, in one transaction."""
    moment = resolve_now(now)
    with session_scope(engine) as session:
        run = approve_stored_run(
            session, round_date=round_date, actor=actor, now=moment, run_id=run_id
        )
        entries = reserved_by_run(session, run_id=run.id)
        reserved: dict[str, int] = defaultdict(int)
        for entry in entries:
            reserved[entry.item_code] -= entry.quantity
        return Approval(run_id=run.id, reserved=dict(reserved), lots=len(entries))


def edit_line(
    engine: Engine,
    *,
    run_id: str,
    care_home_id: str,
    item_code: str,
    quantity: int,
    reason: str,
    actor: str,
    now: datetime | None = None,
) -> LineEdit:
    """Set one line of a draft to ``quantity`` with a reason; re-checked (see data.runs.edits)."""
    moment = resolve_now(now)
    with session_scope(engine) as session:
        outcome = edit_run_line(
            session,
            run_id=run_id,
            care_home_id=care_home_id,
            item_code=item_code,
            quantity=quantity,
            reason=reason,
            actor=actor,
            now=moment,
        )
        return LineEdit(
            run_id=run_id,
            care_home_id=care_home_id,
            item_code=item_code,
            quantity=outcome.line.quantity,
            solver_quantity=outcome.line.solver_quantity,
            fairness=outcome.fairness,
        )
