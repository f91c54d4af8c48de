"""The allocation policy: its one owner (defaults, ranges, storage, and what a run uses).

One vocabulary, the core's (``allocation.model.Policy``): priorities ``outbreak`` / ``suspected``
/ ``normal`` (a need report's situation confirmed / suspected / none maps onto them in
``data.runs.snapshot``), ``weights`` keyed by them, ``substitutes`` as ``SubstituteRule`` and
``memory_rounds``. The stored columns ``weight_outbreak`` … are storage only and are read and
written here and nowhere else.

- ``DEFAULT_POLICY`` / ``DEFAULT_TARGET_DAYS``: what holds until the county saves a policy (the
  core's defaults, with the county's default substitute rules ``DEFAULT_SUBSTITUTES``).
- ``LIMITS``: every range, checked by ``check_policy`` (the pages, the API and the CLI show these).
- ``saved_policy(session)``: the county's policy (``CountyPolicy``: the core's ``Policy`` and the
  need form's ``target_days``), the defaults when none is saved.
- ``effective_policy(session, overrides)``: the policy a run, a what-if or a page uses — the saved
  one with ``overrides`` (field name → value, e.g. the CLI's ``--fairness``) on top, checked.
  Every entry point (scheduler, worker, CLI, web pages, REST, what-if) calls it.
- ``save_policy``: validates and stores, with an audit row; nothing is half-written.
- ``policy_to_dict`` / ``policy_from_dict``: the scenario file's ``policy`` object, as stored with
  a run (substitutes as ``{"item", "for", "factor", "enabled"}``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from allocation import Policy
from allocation.model import DEFAULT_SUBSTITUTES, DEFAULT_WEIGHTS, PRIORITIES, SubstituteRule
from data.access.tenancy import current_region
from data.audit import record_audit
from data.errors import Issue, ValidationFailed
from data.models import Item
from data.models.policy import LIMITS, Limits, PolicySetting

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_TARGET_DAYS",
    "FAIRNESS",
    "LIMITS",
    "CountyPolicy",
    "Limits",
    "check_policy",
    "effective_policy",
    "item_names",
    "policy_from_dict",
    "policy_to_dict",
    "rules_from_dicts",
    "rules_to_dicts",
    "save_policy",
    "saved_policy",
]

DEFAULT_TARGET_DAYS = 3
FAIRNESS: tuple[str, ...] = ("fill", "cover")


DEFAULT_POLICY = Policy(
    fairness="fill",
    weights=DEFAULT_WEIGHTS,
    reserve_fraction=0.0,
    whole_packs=True,
    substitutes=DEFAULT_SUBSTITUTES,
    memory_rounds=0,
)


@dataclass(frozen=True)
class CountyPolicy:
    """The county's saved policy: the core's ``Policy`` and the need form's target days."""

    policy: Policy = DEFAULT_POLICY
    target_days: int = DEFAULT_TARGET_DAYS
    saved: bool = False
    updated_at: datetime | None = None
    updated_by: str | None = None


def rules_to_dicts(rules: Iterable[SubstituteRule]) -> list[dict[str, Any]]:
    """Substitute rules as the scenario file writes them."""
    return [
        {"item": r.item, "for": r.serves, "factor": float(r.factor), "enabled": bool(r.enabled)}
        for r in rules
    ]


def rules_from_dicts(rows: Iterable[Mapping[str, Any]]) -> tuple[SubstituteRule, ...]:
    """Substitute rules from the scenario file's form (``for`` or ``serves`` names the need)."""
    return tuple(
        SubstituteRule(
            item=str(row["item"]),
            serves=str(row["for"] if "for" in row else row["serves"]),
            factor=float(row.get("factor", 1.0)),
            enabled=bool(row.get("enabled", True)),
        )
        for row in rows
    )


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """The policy as stored with a run (the scenario file's ``policy`` object)."""
    return {
        "fairness": policy.fairness,
        "weights": {k: float(v) for k, v in policy.weights.items()},
        "reserve_fraction": float(policy.reserve_fraction),
        "whole_packs": bool(policy.whole_packs),
        "substitutes": rules_to_dicts(policy.substitutes),
        "memory_rounds": int(policy.memory_rounds),
    }


def policy_from_dict(data: Mapping[str, Any]) -> Policy:
    """The policy of a stored run; a run stored before substitutes and memory had none of them."""
    weights = data.get("weights") or DEFAULT_WEIGHTS
    return Policy(
        fairness=str(data.get("fairness", DEFAULT_POLICY.fairness)),
        weights={str(k): float(v) for k, v in dict(weights).items()},
        reserve_fraction=float(data.get("reserve_fraction", DEFAULT_POLICY.reserve_fraction)),
        whole_packs=bool(data.get("whole_packs", DEFAULT_POLICY.whole_packs)),
        substitutes=rules_from_dicts(data.get("substitutes") or ()),
        memory_rounds=int(data.get("memory_rounds", 0)),
    )


def _issue(field: str, message: str, line: int | None = None) -> Issue:
    return {"field": field, "line": line, "message": message}


def _check_rules(rules: tuple[SubstituteRule, ...], items: Iterable[str] | None) -> list[Issue]:
    errors: list[Issue] = []
    known = None if items is None else set(items)
    seen: set[tuple[str, str]] = set()
    if len(rules) > LIMITS.rules_max:
        errors.append(_issue("substitutes", f"at most {LIMITS.rules_max} rules"))
    for n, rule in enumerate(rules, start=1):
        for name, code in (("item", rule.item), ("for", rule.serves)):
            if known is not None and code not in known:
                errors.append(_issue(f"substitutes.{name}", f"unknown item {code!r}", n))
        if rule.item == rule.serves:
            errors.append(_issue("substitutes.for", "an item cannot stand in for itself", n))
        factor = rule.factor
        if not (math.isfinite(factor) and 0 < factor <= LIMITS.factor_max):
            errors.append(
                _issue(
                    "substitutes.factor",
                    f"must be above 0 and at most {LIMITS.factor_max:g}",
                    n,
                )
            )
        key = (rule.item, rule.serves)
        if key in seen:
            errors.append(_issue("substitutes.for", "the same rule is in the list twice", n))
        seen.add(key)
    return errors


def check_policy(
    policy: Policy,
    *,
    target_days: int = DEFAULT_TARGET_DAYS,
    items: Iterable[str] | None = None,
) -> list[Issue]:
    """Every range of ``LIMITS``; ``items`` (the catalogue's codes) checks substitute items."""
    errors: list[Issue] = []
    if policy.fairness not in FAIRNESS:
        errors.append(_issue("fairness", "must be fill or cover"))
    if set(policy.weights) != set(PRIORITIES):
        errors.append(_issue("weights", f"must name exactly {', '.join(PRIORITIES)}"))
    for name in PRIORITIES:
        value = policy.weights.get(name)
        if value is None:
            continue
        if not (math.isfinite(value) and 0 < value <= LIMITS.weight_max):
            errors.append(
                _issue(f"weights.{name}", f"must be above 0 and at most {LIMITS.weight_max:g}")
            )
    reserve = policy.reserve_fraction
    if not (math.isfinite(reserve) and 0 <= reserve < LIMITS.reserve_below):
        errors.append(_issue("reserve_fraction", "must be at least 0 and below 1"))
    if not LIMITS.target_days_min <= target_days <= LIMITS.target_days_max:
        errors.append(
            _issue(
                "target_days",
                f"must be {LIMITS.target_days_min} to {LIMITS.target_days_max} days",
            )
        )
    if not 0 <= policy.memory_rounds <= LIMITS.memory_rounds_max:
        errors.append(
            _issue("memory_rounds", f"must be 0 (off) to {LIMITS.memory_rounds_max} rounds")
        )
    errors.extend(_check_rules(tuple(policy.substitutes), items))
    return errors


def _item_codes(session: Session) -> list[str]:
    return list(session.scalars(select(Item.code)))


def item_names(session: Session) -> dict[str, str]:
    """The catalogue's items a substitute rule may name: code → Swedish name, by code."""
    return {
        code: name
        for code, name in session.execute(select(Item.code, Item.name_sv).order_by(Item.code))
    }


def _policy_row(session: Session) -> PolicySetting | None:
    """The session's region's policy row (explicit, so a session seeing every region still reads
    its own region's policy)."""
    return session.scalar(
        select(PolicySetting).where(PolicySetting.region_code == current_region(session))
    )


def saved_policy(session: Session) -> CountyPolicy:
    """The county's saved policy, or the defaults (``saved`` False) when none is saved."""
    row = _policy_row(session)
    if row is None:
        return CountyPolicy()
    policy = Policy(
        fairness=row.fairness,
        weights={
            "outbreak": row.weight_outbreak,
            "suspected": row.weight_suspected,
            "normal": row.weight_normal,
        },
        reserve_fraction=row.reserve_fraction,
        whole_packs=row.whole_packs,
        # NULL: the county has not edited the rules, so the shipped defaults apply.
        substitutes=(
            DEFAULT_SUBSTITUTES if row.substitutes is None else rules_from_dicts(row.substitutes)
        ),
        memory_rounds=row.memory_rounds,
    )
    return CountyPolicy(
        policy=policy,
        target_days=row.target_days,
        saved=True,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


_POLICY_FIELDS = frozenset(f.name for f in fields(Policy))


def effective_policy(session: Session, overrides: Mapping[str, Any] | None = None) -> Policy:
    """The policy a run uses: the saved one (or the defaults) with ``overrides`` on top.

    ``overrides`` maps ``Policy`` field names to values (None values are ignored: "not given");
    the result is checked against ``LIMITS`` and ``ValidationFailed`` names what is wrong.
    """
    policy = saved_policy(session).policy
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = sorted(set(given) - _POLICY_FIELDS)
    if unknown:
        raise ValidationFailed([_issue(name, "is not a policy setting") for name in unknown])
    if not given:
        return policy
    if "weights" in given:
        given["weights"] = {str(k): float(v) for k, v in dict(given["weights"]).items()}
    if "substitutes" in given:
        given["substitutes"] = tuple(given["substitutes"])
    chosen = replace(policy, **given)
    items = _item_codes(session) if "substitutes" in given else None
    errors = check_policy(chosen, items=items)
    if errors:
        raise ValidationFailed(errors)
    return chosen


def save_policy(
    session: Session,
    *,
    policy: Policy,
    target_days: int,
    actor: str,
    now: datetime,
) -> CountyPolicy:
    """Validate and store the policy (flushed, not committed); ``ValidationFailed`` if wrong."""
    errors = check_policy(policy, target_days=target_days, items=_item_codes(session))
    if errors:
        raise ValidationFailed(errors)
    row = _policy_row(session)
    if row is None:
        row = PolicySetting(region_code=current_region(session))
        session.add(row)
    row.fairness = policy.fairness
    row.weight_outbreak = float(policy.weights["outbreak"])
    row.weight_suspected = float(policy.weights["suspected"])
    row.weight_normal = float(policy.weights["normal"])
    row.reserve_fraction = float(policy.reserve_fraction)
    row.whole_packs = bool(policy.whole_packs)
    row.target_days = int(target_days)
    row.memory_rounds = int(policy.memory_rounds)
    row.substitutes = rules_to_dicts(policy.substitutes)
    row.updated_at = now
    row.updated_by = actor
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="policy.update",
        entity="policy",
        entity_id=row.region_code,
        details={**policy_to_dict(policy), "target_days": int(target_days)},
        now=now,
    )
    return saved_policy(session)
