"""The coordinator's edits of a draft run, re-checked by the core's independent checker.

``edit_line`` sets one line; ``move_packs`` moves whole packs of one item from any line (a fully
met one too) to another. Both change a need line's own-item row; what a substitute delivers for a
line (issue 12) is kept, and counts against its own item's supply and the vehicle. An edit needs
a reason, keeps whole packs, and is checked against the problem the run was computed from (rebuilt
from its stored inputs) with every line as it now stands:

- an edit that breaks a limit — the line's request, whole packs, the item's supply, the vehicle
  capacity, or (for a move) the packs the giving line has — is refused (``EditRefused``, nothing
  changes). Its ``swedish`` messages name the limit and the figures, for the pages;
- an edit that only breaks the fairness certificate (someone gets less, or more, than the fair
  share) is the coordinator's decision: it is stored with the reason, the run stays approvable, and
  the fairness findings are recorded in the run's ``check_messages`` and in the audit row.

The line keeps the solver's quantity (``solver_quantity``); its level, unmet, binding (``edited``)
and explanation are updated, and so is the run's per-item summary. Nothing here commits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from allocation import Item, Problem, Violation, check
from data.audit import record_audit
from data.errors import NotFound, ValidationFailed
from data.models import AllocationLine, AllocationRun
from data.runs.records import NotApprovable, get_run, list_run_lines
from data.runs.snapshot import problem_from_inputs

__all__ = [
    "HARD_KINDS",
    "EditOutcome",
    "EditRefused",
    "Limit",
    "MoveOutcome",
    "check_run_lines",
    "edit_line",
    "list_edited_lines",
    "move_packs",
]

HARD_KINDS = frozenset({"bounds", "lines", "units", "packs", "supply", "capacity", "source"})
FAIRNESS_NOTE = "fairness (accepted on edit)"
_EDIT_MARK_SV = " Ändrad av "
_EDIT_MARK_EN = " Edited by "


@dataclass(frozen=True)
class Limit:
    """A limit an edit would break: its kind (as the checker names it), where, and what (sv/en)."""

    kind: str
    where: str
    english: str
    swedish: str


_SWEDISH_KIND = {
    "bounds": "Radens begäran",
    "lines": "Raderna",
    "units": "Hela enheter",
    "packs": "Hela förpackningar",
    "supply": "Lagret",
    "capacity": "Fordonets kapacitet",
    "source": "Det som kan flyttas",
}


class EditRefused(ValidationFailed):
    """The edited run would break a hard rule (request, packs, supply, capacity or source)."""

    def __init__(self, violations: list[Violation], limits: list[Limit] | None = None) -> None:
        self.violations = violations
        self.limits = limits or [
            Limit(
                v.kind,
                v.where,
                v.message,
                f"{_SWEDISH_KIND.get(v.kind, v.kind)} räcker inte ({v.where}): {v.message}.",
            )
            for v in violations
        ]
        super().__init__(
            [
                {"field": x.kind, "line": None, "message": f"{x.where}: {x.english}"}
                for x in self.limits
            ]
        )

    @property
    def swedish(self) -> list[str]:
        """Each broken limit in Swedish, naming it and its figures."""
        return [x.swedish for x in self.limits]


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
    delivered_item: str | None = None

    @property
    def delivered(self) -> str:
        return self.delivered_item or self.item


def _own(line: AllocationLine) -> bool:
    """The row of a need line's own item (not a substitute's): the one edits and moves change."""
    return line.delivered_item_code == line.item_code


def check_run_lines(
    problem: Problem,
    lines: list[AllocationLine],
    changed: AllocationLine | None = None,
    quantity: int = 0,
    *,
    changes: dict[tuple[str, str], int] | None = None,
) -> list[Violation]:
    """The core checker's verdict on stored lines with ``changed`` set to ``quantity`` (or with
    each ``(care home, item)`` of ``changes`` set to its quantity). Changes apply to a need line's
    own-item row; substitute rows stay as they are (edits and moves keep within one delivered
    item)."""
    wanted = dict(changes or {})
    if changed is not None:
        wanted[(changed.care_home_id, changed.item_code)] = quantity
    answers = [
        _Answer(
            x.care_home_id,
            x.item_code,
            wanted.get((x.care_home_id, x.item_code), x.quantity) if _own(x) else x.quantity,
            None if _own(x) else x.delivered_item_code,
        )
        for x in lines
    ]
    return check(problem, answers)


def _n(value: float) -> str:
    """A figure the Swedish way: a space between thousands, a decimal comma."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return text.replace(",", "\u00a0").replace(".", ",")


def _supply(problem: Problem, item: Item) -> int:
    """The item's supply as the core counts it: stock less the reserve, in whole packs (units)."""
    stock = sum(s.quantity for s in problem.stock if s.item == item.code)
    size = item.pack_size if problem.policy.whole_packs else 1
    return int(math.floor(stock * (1.0 - problem.policy.reserve_fraction) / size + 1e-9) * size)


def _limits(
    problem: Problem, lines: list[AllocationLine], changes: dict[tuple[str, str], int]
) -> list[Limit]:
    """The limits the lines break once ``changes`` are made, named with their figures."""
    items = {i.code: i for i in problem.items}
    homes = {h.id: h for h in problem.care_homes}
    # (care home, need item, delivered item) -> units of the delivered item after the changes
    after = {
        (x.care_home_id, x.item_code, x.delivered_item_code): (
            changes.get((x.care_home_id, x.item_code), x.quantity) if _own(x) else x.quantity
        )
        for x in lines
    }
    factor = {(r.item, r.serves): float(r.factor) for r in problem.policy.substitutes}
    stand_in: dict[tuple[str, str], float] = {}  # what substitutes serve a need line (its units)
    for x in lines:
        if not _own(x):
            key = (x.care_home_id, x.item_code)
            served = x.quantity * factor.get((x.delivered_item_code, x.item_code), 1.0)
            stand_in[key] = stand_in.get(key, 0.0) + served
    found: list[Limit] = []
    for x in lines:
        key = (x.care_home_id, x.item_code)
        if key not in changes or not _own(x):
            continue
        item, quantity, home = items[x.item_code], changes[key], homes[x.care_home_id].name
        others = stand_in.get(key, 0.0)
        if others and quantity + others > x.requested_rounded + 1e-9:
            found.append(
                Limit(
                    "bounds",
                    f"{x.care_home_id}/{x.item_code}",
                    f"{quantity} and {others:g} from substitutes is more than the line's request"
                    f" of {x.requested_rounded}",
                    f"{home} har begärt {_n(x.requested_rounded)} {item.unit} {item.code} och får "
                    f"redan {_n(others)} {item.unit} som ersättning; raden kan inte få mer än så "
                    f"(ändringen ger {_n(quantity)} {item.unit} {item.code}).",
                )
            )
        elif quantity > x.requested_rounded:
            found.append(
                Limit(
                    "bounds",
                    f"{x.care_home_id}/{x.item_code}",
                    f"{quantity} is more than the line's request of {x.requested_rounded}",
                    f"{home} har begärt {_n(x.requested_rounded)} {item.unit} {item.code}; raden "
                    f"kan inte få mer än så (ändringen ger {_n(quantity)} {item.unit}).",
                )
            )
    for code in sorted({item for _home, item in changes}):
        item = items[code]
        total = sum(q for (_h, _i, d), q in after.items() if d == code)
        supply = _supply(problem, item)
        if total > supply:
            found.append(
                Limit(
                    "supply",
                    code,
                    f"{total} allocated, {supply} to share out",
                    f"Lagret räcker inte: {_n(supply)} {item.unit} {code} finns att fördela "
                    f"(efter reserven), ändringen skulle fördela {_n(total)} {item.unit}.",
                )
            )
    touched = {homes[h].municipality for h, _i in changes}
    for group in problem.capacity:
        if not touched & set(group.municipalities):
            continue
        load = sum(
            q * items[d].pack_volume_l / items[d].pack_size
            for (h, _i, d), q in after.items()
            if homes[h].municipality in group.municipalities
        )
        if load > group.volume_l + 1e-6:
            found.append(
                Limit(
                    "capacity",
                    group.key,
                    f"load {load:g} l, space {group.volume_l:g} l",
                    f"Fordonets kapacitet räcker inte: {group.key} rymmer {_n(group.volume_l)} "
                    f"liter, lasten skulle bli {_n(round(load, 1))} liter.",
                )
            )
    return found


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
    mine = [line for line in lines if line.item_code == item and _own(line)]
    delivered = [line for line in lines if line.delivered_item_code == item]
    summary = [dict(entry) for entry in run.items_summary]
    for entry in summary:
        if entry["item"] == item:
            entry["allocated"] = int(sum(line.quantity for line in delivered))
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
        (
            x
            for x in lines
            if x.care_home_id == care_home_id and x.item_code == item_code and _own(x)
        ),
        None,
    )
    if item is None or line is None:
        raise NotFound("allocation line", f"{run.id}/{care_home_id}/{item_code}")
    if problem.policy.whole_packs and quantity % item.pack_size:
        raise EditRefused(
            [],
            [
                Limit(
                    "packs",
                    f"{care_home_id}/{item_code}",
                    f"{quantity} is not whole packs of {item.pack_size} {item.unit}",
                    f"{_n(quantity)} {item.unit} är inte hela förpackningar: {item.code} levereras "
                    f"i förpackningar om {_n(item.pack_size)} {item.unit}.",
                )
            ],
        )
    fairness = _checked(problem, lines, {(care_home_id, item_code): quantity})

    before = line.quantity
    reason = reason.strip()
    _apply(problem, item, line, quantity, reason=reason, actor=actor)
    _update_summary(run, lines, item_code)
    _note_findings(run, fairness)
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


def _checked(
    problem: Problem, lines: list[AllocationLine], changes: dict[tuple[str, str], int]
) -> list[str]:
    """Refuse changes that break a limit; else the fairness findings they leave."""
    limits = _limits(problem, lines, changes)
    violations = check_run_lines(problem, lines, changes=changes)
    hard = [v for v in violations if v.kind in HARD_KINDS]
    if limits or hard:
        # Our own figures name the limit; the checker's verdict stays the last word.
        raise EditRefused(hard, limits or None)
    return [str(v) for v in violations if v.kind not in HARD_KINDS]


def _apply(
    problem: Problem, item: Item, line: AllocationLine, quantity: int, *, reason: str, actor: str
) -> None:
    """Set a line to ``quantity`` with its level, unmet, binding and explanation."""
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


def _note_findings(run: AllocationRun, fairness: list[str]) -> None:
    kept = [m for m in run.check_messages if not m.startswith(FAIRNESS_NOTE)]
    run.check_messages = kept + [f"{FAIRNESS_NOTE}: {m}" for m in fairness]


@dataclass(frozen=True)
class MoveOutcome:
    """The giving and receiving lines after a move, and the fairness findings it leaves."""

    source: AllocationLine
    target: AllocationLine
    units: int
    fairness: list[str]

    @property
    def stable(self) -> bool:
        """True when the run still passes the core's fairness (pack-stability) certificate."""
        return not self.fairness


def move_packs(
    session: Session,
    *,
    run_id: str,
    item_code: str,
    from_home: str,
    to_home: str,
    packs: int,
    reason: str,
    actor: str,
    now: datetime,
) -> MoveOutcome:
    """Move ``packs`` whole packs of an item from one line of a draft run to another.

    Any line with packs may give, a fully met one too. Refused (``EditRefused``, nothing changes)
    when the giving line has fewer packs, the receiving line would get more than its request, or
    the receiving line's vehicle would be over its capacity; a move that only breaks fairness is
    kept with its reason, its findings in the run's ``check_messages`` and the audit row.
    """
    if not reason or not reason.strip():
        raise _refuse("reason", "an edit needs a reason")
    if isinstance(packs, bool) or not isinstance(packs, int) or packs < 1:
        raise _refuse("packs", f"must be a whole number of packs ≥ 1, got {packs!r}")
    if from_home == to_home:
        raise _refuse("to_home", "packs are moved between two different lines")
    run = get_run(session, run_id=run_id)
    session.refresh(run, with_for_update=True)  # edits (and approval) of one run queue here
    if run.status != "draft":
        raise NotApprovable(f"run {run.id} is {run.status}; only a draft can be edited")
    problem = problem_from_inputs(run.inputs)
    item = next((i for i in problem.items if i.code == item_code), None)
    lines = list_run_lines(session, run_id=run.id)
    by_home = {x.care_home_id: x for x in lines if x.item_code == item_code and _own(x)}
    if item is None or from_home not in by_home:
        raise NotFound("allocation line", f"{run.id}/{from_home}/{item_code}")
    if to_home not in by_home:
        raise NotFound("allocation line", f"{run.id}/{to_home}/{item_code}")
    source, target = by_home[from_home], by_home[to_home]
    size = item.pack_size if problem.policy.whole_packs else 1
    units = packs * size
    if units > source.quantity:
        giver = next(h.name for h in problem.care_homes if h.id == from_home)
        raise EditRefused(
            [],
            [
                Limit(
                    "source",
                    f"{from_home}/{item_code}",
                    f"the line has {source.quantity // size} packs, {packs} asked for",
                    f"{giver} har bara {_n(source.quantity // size)} förp. {item.code} att lämna "
                    f"({_n(source.quantity)} {item.unit}); du bad om {_n(packs)}.",
                )
            ],
        )
    changes = {
        (from_home, item_code): source.quantity - units,
        (to_home, item_code): target.quantity + units,
    }
    fairness = _checked(problem, lines, changes)
    before = (source.quantity, target.quantity)
    reason = reason.strip()
    _apply(problem, item, source, changes[(from_home, item_code)], reason=reason, actor=actor)
    _apply(problem, item, target, changes[(to_home, item_code)], reason=reason, actor=actor)
    _update_summary(run, lines, item_code)
    _note_findings(run, fairness)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="allocation_line.move",
        entity="allocation_run",
        entity_id=run.id,
        details={
            "item": item_code,
            "from": {"care_home": from_home, "before": before[0], "after": source.quantity},
            "to": {"care_home": to_home, "before": before[1], "after": target.quantity},
            "packs": packs,
            "units": units,
            "reason": reason,
            "fairness": fairness,
        },
        now=now,
    )
    return MoveOutcome(source=source, target=target, units=units, fairness=fairness)


def list_edited_lines(session: Session, *, run_id: str) -> list[AllocationLine]:
    """The lines of a run the coordinator changed."""
    query = (
        select(AllocationLine)
        .where(AllocationLine.run_id == run_id, AllocationLine.edit_reason.is_not(None))
        .order_by(AllocationLine.care_home_id, AllocationLine.item_code)
    )
    return list(session.scalars(query))
