"""The county's allocation policy as set on the policy page: one row, read by the next run.

Read and written only by ``data.runs.policy`` (the policy's one owner)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, UTCDateTime
from data.models.regions import RegionOwned

__all__ = ["LIMITS", "Limits", "PolicySetting"]


@dataclass(frozen=True)
class Limits:
    """Every range of the policy (inclusive unless named ``_below``): ``data.runs.policy`` checks
    them, the pages and the API name them, and the table's CHECK constraints hold them."""

    weight_max: float = 100.0  # a weight is above 0 and at most this
    reserve_below: float = 1.0  # 0 <= reserve_fraction < this
    target_days_min: int = 1
    target_days_max: int = 30
    memory_rounds_max: int = 14  # 0 (off) .. this many earlier rounds
    factor_max: float = 10.0  # a substitute's factor is above 0 and at most this
    rules_max: int = 50


LIMITS = Limits()


class PolicySetting(RegionOwned, Base):
    """The policy the next run uses (row id 1) and the need form's target days of supply."""

    __tablename__ = "policy_settings"
    __table_args__ = (
        Index("uq_policy_settings_region_code", "region_code", unique=True),
        CheckConstraint("fairness IN ('fill', 'cover')", name="fairness_known"),
        CheckConstraint("reserve_fraction >= 0 AND reserve_fraction < 1", name="reserve_range"),
        CheckConstraint(
            "weight_outbreak > 0 AND weight_suspected > 0 AND weight_normal > 0",
            name="weights_positive",
        ),
        CheckConstraint(
            f"target_days >= {LIMITS.target_days_min} AND target_days <= {LIMITS.target_days_max}",
            name="target_days_range",
        ),
        CheckConstraint(
            f"memory_rounds >= 0 AND memory_rounds <= {LIMITS.memory_rounds_max}",
            name="memory_rounds_range",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fairness: Mapped[str] = mapped_column(String(8))
    weight_outbreak: Mapped[float] = mapped_column(Float)
    weight_suspected: Mapped[float] = mapped_column(Float)
    weight_normal: Mapped[float] = mapped_column(Float)
    reserve_fraction: Mapped[float] = mapped_column(Float)
    whole_packs: Mapped[bool] = mapped_column(Boolean)
    target_days: Mapped[int] = mapped_column(Integer)
    # Earlier rounds a line's level counts (0 = off); substitute rules as the scenario file
    # writes them, NULL = the shipped defaults (the county has not edited the list).
    memory_rounds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    substitutes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))
