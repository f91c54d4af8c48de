"""An open request's history per round, and the e-mail topics a user has turned off (issue 13).

``EscalationRound`` is one row per round that updated an open request for support: that round's
figures as the agency was told them (unmet after the region's own stock, the homes' shortfall,
the region's stock and free stock, days of supply, homes with confirmed cases, the breakdown per
municipality) and what the agency had delivered against the request by then, so the request's
running balance can be followed round by round.

``EscalationAnswer`` is the national agency's answer to a request (units it will send, when),
recorded by the county (or an agency user once that role exists); the newest counts.

``NotificationOptOut`` holds a (user, topic) the user turned off on their own page; a topic
without a row is on.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, UTCDateTime
from data.models.cycle import JSONDoc

__all__ = ["EscalationAnswer", "EscalationRound", "NotificationOptOut"]


class EscalationRound(Base):
    """One round's update of an open request for support (its history row)."""

    __tablename__ = "escalation_rounds"
    __table_args__ = (UniqueConstraint("escalation_id", "run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str] = mapped_column(ForeignKey("allocation_runs.id"))
    run_kind: Mapped[str] = mapped_column(String(16))
    round_date: Mapped[date] = mapped_column(Date)
    unmet: Mapped[int] = mapped_column(Integer)
    homes_shortfall: Mapped[int] = mapped_column(Integer)
    region_stock: Mapped[int] = mapped_column(Integer)
    free_stock: Mapped[int] = mapped_column(Integer)
    days_of_supply: Mapped[float | None] = mapped_column(Float)
    homes_confirmed: Mapped[int] = mapped_column(Integer)
    by_municipality: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)
    balance: Mapped[int] = mapped_column(Integer)
    received_units: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EscalationAnswer(Base):
    """The national agency's answer to a request: what it will send and when (the newest
    counts; earlier answers stay as history)."""

    __tablename__ = "escalation_answers"
    __table_args__ = (
        CheckConstraint("quantity >= 0 AND quantity <= 100000000", name="quantity_in_range"),
        CheckConstraint("quantity = 0 OR expected_delivery IS NOT NULL", name="delivery_dated"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    expected_delivery: Mapped[date | None] = mapped_column(Date)
    agency_reference: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NotificationOptOut(Base):
    """A notification topic one user has turned off."""

    __tablename__ = "notification_opt_outs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
