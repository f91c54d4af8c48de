"""Schemas of the county's allocation policy (``/api/v1/policy``) and of a what-if's policy.

One vocabulary, the core's: ``weights`` keyed ``outbreak`` / ``suspected`` / ``normal``; a
substitute rule as the scenario file writes it, ``{"item", "for", "factor", "enabled"}`` (units of
``item`` may serve a need for ``for``, one unit for ``factor`` units). The ranges are
``data.runs.policy.LIMITS``, checked there (a 422 names the field and the rule's 1-based line).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from allocation import Policy
from allocation.model import SubstituteRule
from api.schemas.base import Input, Output
from data.runs.policy import CountyPolicy

__all__ = ["PolicyIn", "PolicyRead", "PolicyWrite", "SubstituteIn", "SubstituteRead"]


class SubstituteIn(Input):
    """A substitute rule: units of ``item`` may serve a need for ``for``, one for ``factor``."""

    item: str = Field(examples=["FFP3"], max_length=16)
    for_: str = Field(alias="for", examples=["FFP2"], max_length=16)
    factor: float = Field(default=1.0, examples=[1.0])
    enabled: bool = True

    def rule(self) -> SubstituteRule:
        return SubstituteRule(self.item, self.for_, self.factor, self.enabled)


class SubstituteRead(Output):
    item: str
    for_: str = Field(serialization_alias="for")
    factor: float
    enabled: bool


class PolicyWrite(Input):
    """The whole policy the next run uses (every field; the ranges are data.runs.policy.LIMITS)."""

    fairness: Literal["fill", "cover"] = Field(examples=["fill"])
    weights: dict[str, float] = Field(examples=[{"outbreak": 3, "suspected": 2, "normal": 1}])
    reserve_fraction: float = Field(examples=[0.0])
    whole_packs: bool = True
    target_days: int = Field(examples=[3])
    memory_rounds: int = Field(default=0, examples=[0])
    substitutes: list[SubstituteIn] = Field(
        examples=[[{"item": "FFP3", "for": "FFP2", "factor": 1, "enabled": True}]]
    )

    def policy(self) -> Policy:
        return Policy(
            fairness=self.fairness,
            weights=dict(self.weights),
            reserve_fraction=self.reserve_fraction,
            whole_packs=self.whole_packs,
            substitutes=tuple(rule.rule() for rule in self.substitutes),
            memory_rounds=self.memory_rounds,
        )


class PolicyRead(Output):
    """The county's policy (the defaults, ``saved`` false, until one is saved)."""

    fairness: str
    weights: dict[str, float]
    reserve_fraction: float
    whole_packs: bool
    target_days: int
    memory_rounds: int
    substitutes: list[SubstituteRead]
    saved: bool
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def of(cls, county: CountyPolicy) -> PolicyRead:
        policy = county.policy
        return cls(
            fairness=policy.fairness,
            weights={k: float(v) for k, v in policy.weights.items()},
            reserve_fraction=policy.reserve_fraction,
            whole_packs=policy.whole_packs,
            target_days=county.target_days,
            memory_rounds=policy.memory_rounds,
            substitutes=[
                SubstituteRead(item=r.item, for_=r.serves, factor=r.factor, enabled=r.enabled)
                for r in policy.substitutes
            ],
            saved=county.saved,
            updated_at=county.updated_at,
            updated_by=county.updated_by,
        )


class PolicyIn(Input):
    """A what-if's policy: each field given replaces the saved policy's (the rest stay)."""

    fairness: Literal["fill", "cover"] | None = None
    weights: dict[str, float] | None = Field(
        default=None, examples=[{"outbreak": 3, "suspected": 2, "normal": 1}]
    )
    reserve_fraction: float | None = None
    whole_packs: bool | None = None
    memory_rounds: int | None = None
    substitutes: list[SubstituteIn] | None = None

    def overrides(self) -> dict[str, Any]:
        """The fields given, for ``data.runs.policy.effective_policy``."""
        given: dict[str, Any] = {
            "fairness": self.fairness,
            "weights": self.weights,
            "reserve_fraction": self.reserve_fraction,
            "whole_packs": self.whole_packs,
            "memory_rounds": self.memory_rounds,
        }
        if self.substitutes is not None:
            given["substitutes"] = tuple(rule.rule() for rule in self.substitutes)
        return given
