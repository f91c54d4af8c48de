"""The allocation policy the county sets on the policy page, stored for the next run.

``get_policy_values`` reads the stored policy (the environment's defaults when none is stored);
``save_policy`` validates and stores it with an audit row; ``to_policy`` turns it into the core's
``Policy``. ``target_days`` is the days of supply the need form suggests a home asks for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from allocation import Policy
from data.audit import record_audit
from data.errors import Issue, ValidationFailed
from data.models.policy import PolicySetting

__all__ = [
    "DEFAULT_TARGET_DAYS",
    "PolicyValues",
    "current_policy",
    "get_policy_values",
    "save_policy",
    "to_policy",
]

DEFAULT_TARGET_DAYS = 3
ROW_ID = 1


@dataclass(frozen=True)
class PolicyValues:
    """The settings on the policy page."""

    fairness: str = "fill"
    weight_outbreak: float = 3.0
    weight_suspected: float = 2.0
    weight_normal: float = 1.0
    reserve_fraction: float = 0.0
    whole_packs: bool = True
    target_days: int = DEFAULT_TARGET_DAYS


def to_policy(values: PolicyValues) -> Policy:
    """The core's policy for these settings."""
    return Policy(
        fairness=values.fairness,
        weights={
            "outbreak": values.weight_outbreak,
            "suspected": values.weight_suspected,
            "normal": values.weight_normal,
        },
        reserve_fraction=values.reserve_fraction,
        whole_packs=values.whole_packs,
    )


def current_policy(session: Session, *, default: Policy) -> Policy:
    """The stored policy as the core's ``Policy``; ``default`` when none is stored."""
    if session.get(PolicySetting, ROW_ID) is None:
        return default
    return to_policy(get_policy_values(session))


def get_policy_values(session: Session, *, default: PolicyValues | None = None) -> PolicyValues:
    """The stored policy, or ``default`` (plain defaults when not given) if none is stored."""
    row = session.get(PolicySetting, ROW_ID)
    if row is None:
        return default or PolicyValues()
    return PolicyValues(
        fairness=row.fairness,
        weight_outbreak=row.weight_outbreak,
        weight_suspected=row.weight_suspected,
        weight_normal=row.weight_normal,
        reserve_fraction=row.reserve_fraction,
        whole_packs=row.whole_packs,
        target_days=row.target_days,
    )


def _check(values: PolicyValues) -> list[Issue]:
    errors: list[Issue] = []
    if values.fairness not in ("fill", "cover"):
        errors.append({"field": "fairness", "line": None, "message": "must be fill or cover"})
    for name in ("weight_outbreak", "weight_suspected", "weight_normal"):
        if not 0 < getattr(values, name) <= 100:
            errors.append(
                {"field": name, "line": None, "message": "must be above 0 and at most 100"}
            )
    if not 0 <= values.reserve_fraction < 1:
        errors.append(
            {"field": "reserve_fraction", "line": None, "message": "must be at least 0 and below 1"}
        )
    if not 1 <= values.target_days <= 30:
        errors.append({"field": "target_days", "line": None, "message": "must be 1 to 30 days"})
    return errors


def save_policy(
    session: Session, *, values: PolicyValues, actor: str, now: datetime
) -> PolicyValues:
    """Validate and store the policy (flushed, not committed); ``ValidationFailed`` if wrong."""
    errors = _check(values)
    if errors:
        raise ValidationFailed(errors)
    row = session.get(PolicySetting, ROW_ID)
    if row is None:
        row = PolicySetting(id=ROW_ID)
        session.add(row)
    for name, value in asdict(values).items():
        setattr(row, name, value)
    row.updated_at = now
    row.updated_by = actor
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="policy.update",
        entity="policy",
        entity_id=str(ROW_ID),
        details=asdict(values),
        now=now,
    )
    return values
