"""The coordinator's edit of one line of a draft run, re-checked by the core's independent checker.

An edit needs a reason, keeps whole packs, and is checked against the problem the run was computed
from (rebuilt from its stored inputs) with every line as it now stands:

- an edit that breaks bounds, whole packs, item supply or vehicle capacity is refused
  (``EditRefused``, nothing changes);
- an edit that only breaks the fairness certificate (someone gets less, or more, than the fair
  share) is the coordinator's decision: it is stored with the reason, the run stays approvable, and
  the fairness findings are recorded in the run's ``check_messages`` and in the audit row.

The line keeps the solver's quantity (``solver_quantity``); its level, unmet, binding (``edited``)
and explanation are updated, and so is the run's per-item summary. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from allocation import Problem, Violation, check
from data.audit import record_audit
from data.errors import NotFound, ValidationFailed
from data.models import AllocationLine, AllocationRun
from data.run_snapshot import problem_from_inputs
from data.runs import NotApprovable, get_run, list_run_lines

__all__ = [
    "HARD_KINDS",
    "EditOutcome",
    "EditRefused",
    "check_run_lines",
    "edit_line",
    "list_edited_lines",
]

HARD_KINDS = frozenset({"bounds", "lines", "packs", "supply", "capacity"})
FAIRNESS_NOTE = "fairness (accepted on edit)"
_EDIT_MARK_SV = " Ändrad av "
_EDIT_MARK_EN = " Edited by "


class EditRefused(ValidationFailed):
    """The edited run would break a hard rule (bounds, packs, supply or capacity)."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__(
            [
                {"field": v.kind, "line": None, "message": f"{v.where}: {v.message}"}
                for v in violations
            ]
        )


@dataclass(frozen=True)
class EditOutcome:
    """The edited line and the fairness findings the edit leaves (empty when still fair)."""

    line: AllocationLine
    fairness: list[str]


@dataclass(frozen=True)
class _Answer:
    care_home: str
    item: str
    quantity: float


def check_run_lines(
    problem: Problem,
    lines: list[AllocationLine],
    changed: AllocationLine | None = None,
    quantity: int = 0,
) -> list[Violation]:
    """The core checker's verdict on stored lines (with ``changed`` set to ``quantity``)."""
    answers = [
        _Answer(x.care_home_id, x.item_code, quantity if x is changed else x.quantity)
        for x in lines
    ]
    return check(problem, answers)


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([{"field": field, "line": None, "message": message}])


def _level(problem: Problem, line: AllocationLine, quantity: int) -> float:
    weights = problem.policy.weights
    priority = next(h.priority for h in problem.care_homes if h.id == line.care_home_id)
    weight = float(weights[priority])
    if problem.policy.fairness == "cover":
        use = line.daily_use if line.daily_use and line.daily_use > 0 else line.requested_rounded
        return (float(line.on_hand or 0) + quantity) / (weight * float(use))
    return quantity / (weight * float(line.requested_rounded))


def _base(text: str, mark: str) -> str:
    return text.split(mark, 1)[0]


def _update_summary(run: AllocationRun, lines: list[AllocationLine], item: str) -> None:
    mine = [line for line in lines if line.item_code == item]
    summary = [dict(entry) for entry in run.items_summary]
    for entry in summary:
        if entry["item"] == item:
            entry["allocated"] = float(sum(line.quantity for line in mine))
            entry["homes_full"] = sum(line.quantity >= line.requested_rounded for line in mine)
            entry["homes_short"] = len(mine) - entry["homes_full"]
    run.items_summary = summary


def edit_line(
    session: Session,
    *,
    run_id: str,
    care_home_id: str,
    item_code: str,
    quantity: int,
    reason: str,
    actor: str,
    now: datetime,
) -> EditOutcome:
    """Set one line of a draft run to ``quantity`` units (see the module doc for the rules)."""
    if not reason or not reason.strip():
        raise _refuse("reason", "an edit needs a reason")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise _refuse("quantity", f"must be a whole number ≥ 0, got {quantity!r}")
    run = get_run(session, run_id=run_id)
    session.refresh(run, with_for_update=True)  # edits (and approval) of one run queue here
    if run.status != "draft":
        raise NotApprovable(f"run {run.id} is {run.status}; only a draft can be edited")
    problem = problem_from_inputs(run.inputs)
    item = next((i for i in problem.items if i.code == item_code), None)
    lines = list_run_lines(session, run_id=run.id)
    line = next(
        (x for x in lines if x.care_home_id == care_home_id and x.item_code == item_code), None
    )
    if item is None or line is None:
        raise NotFound("allocation line", f"{run.id}/{care_home_id}/{item_code}")
    if problem.policy.whole_packs and quantity % item.pack_size:
        raise _refuse("quantity", f"{quantity} is not whole packs of {item.pack_size} {item.unit}")
    violations = check_run_lines(problem, lines, line, quantity)
    hard = [v for v in violations if v.kind in HARD_KINDS]
    if hard:
        raise EditRefused(hard)
    fairness = [str(v) for v in violations if v.kind == "fairness"]

    before = line.quantity
    reason = reason.strip()
    line.quantity = quantity
    line.packs = quantity // item.pack_size if problem.policy.whole_packs else quantity
    line.unmet = max(0, line.requested - quantity)
    line.level = _level(problem, line, quantity)
    line.binding = "met" if quantity >= line.requested_rounded else "edited"
    line.edit_reason = reason
    line.edited_by = actor
    line.explanation_sv = (
        f"{_base(line.explanation_sv, _EDIT_MARK_SV)}{_EDIT_MARK_SV}{actor}: {reason}"
        f" (beräknat {line.solver_quantity}, nu {quantity})."
    )
    line.explanation_en = (
        f"{_base(line.explanation_en, _EDIT_MARK_EN)}{_EDIT_MARK_EN}{actor}: {reason}"
        f" (computed {line.solver_quantity}, now {quantity})."
    )
    _update_summary(run, lines, item_code)
    kept = [m for m in run.check_messages if not m.startswith(FAIRNESS_NOTE)]
    run.check_messages = kept + [f"{FAIRNESS_NOTE}: {m}" for m in fairness]
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="allocation_line.edit",
        entity="allocation_run",
        entity_id=run.id,
        details={
            "care_home": care_home_id,
            "item": item_code,
            "from": before,
            "to": quantity,
            "solver_quantity": line.solver_quantity,
            "reason": reason,
            "fairness": fairness,
        },
        now=now,
    )
    return EditOutcome(line=line, fairness=fairness)


def list_edited_lines(session: Session, *, run_id: str) -> list[AllocationLine]:
    """The lines of a run the coordinator changed."""
    query = (
        select(AllocationLine)
        .where(AllocationLine.run_id == run_id, AllocationLine.edit_reason.is_not(None))
        .order_by(AllocationLine.care_home_id, AllocationLine.item_code)
    )
    return list(session.scalars(query))
