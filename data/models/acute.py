"""Acute requests (akut behov): a home's need between rounds, handled in an extra round.

A request is ``open`` until the county declines it (with a reason the home sees) or an approved
extra round covers it: ``allocated`` in full, or ``partly`` — allocated in part, the rest escalated
to the national agency. ``run_id`` names the extra run that handled it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, UTCDateTime
from data.models.enums import Situation, check_in
from data.models.regions import RegionOwned

__all__ = ["ACUTE_STATUSES", "AcuteRequest"]

ACUTE_STATUSES = ("open", "allocated", "partly", "declined")


class AcuteRequest(RegionOwned, Base):
    """One acute request: a care home, an item, a quantity, the situation and why."""

    __tablename__ = "acute_requests"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("allocated >= 0", name="allocated_not_negative"),
        CheckConstraint(check_in("situation", Situation), name="situation_known"),
        CheckConstraint(
            "status IN ('open', 'allocated', 'partly', 'declined')", name="status_known"
        ),
        CheckConstraint(
            "status <> 'declined' OR (decline_reason IS NOT NULL AND decline_reason <> '')",
            name="declined_has_reason",
        ),
        CheckConstraint("reason <> ''", name="reason_given"),
        Index("ix_acute_requests_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    care_home_id: Mapped[str] = mapped_column(ForeignKey("care_homes.id"), index=True)
    item_code: Mapped[str] = mapped_column(ForeignKey("items.code"))
    quantity: Mapped[int] = mapped_column(Integer)
    situation: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    filed_by: Mapped[str] = mapped_column(String(64))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="open")
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("allocation_runs.id"), index=True)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
