"""The daily cycle's records: routes, allocation runs and their lines, manifests, deliveries,
escalations to the national agency and the outbox that carries them.

A run is written whole in one short transaction (its lines with it). ``(round_date, attempt)`` is
unique, so two allocations of one round started together cannot both land as the same attempt, and
a partial unique index allows one approved daily run per round on both engines. A run's ``kind``
is ``daily`` (the round's reports) or ``extra`` (acute requests, between rounds).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Base, UTCDateTime
from data.models.regions import RegionOwned

__all__ = [
    "AllocationLine",
    "AllocationRun",
    "DeliveryLine",
    "Escalation",
    "Manifest",
    "ManifestLine",
    "ManifestStop",
    "OutboxMessage",
    "Route",
    "RouteStop",
]

JSONDoc = JSON().with_variant(JSONB(), "postgresql")

RUN_STATUSES = ("draft", "superseded", "approved")
MANIFEST_STATUSES = ("planned", "dispatched", "delivered")
STOP_STATUSES = ("pending", "delivered")
ESCALATION_STATUSES = ("queued", "sent", "acknowledged", "partly_met", "met")
OUTBOX_STATUSES = ("pending", "sent", "dead")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Route(RegionOwned, Base):
    """A delivery route: one vehicle, its load space, and the municipalities it serves in order."""

    __tablename__ = "routes"
    __table_args__ = (CheckConstraint("capacity_l > 0", name="capacity_positive"),)

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    vehicle: Mapped[str] = mapped_column(String(100))
    capacity_l: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    stops: Mapped[list[RouteStop]] = relationship(
        back_populates="route", lazy="raise", order_by="RouteStop.seq"
    )


class RouteStop(Base):
    """A municipality's receiving point as a stop on a route; each municipality is on one route."""

    __tablename__ = "route_stops"
    __table_args__ = (CheckConstraint("seq >= 1", name="seq_positive"),)

    route_code: Mapped[str] = mapped_column(ForeignKey("routes.code"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), unique=True)

    route: Mapped[Route] = relationship(back_populates="stops", lazy="raise")


class AllocationRun(RegionOwned, Base):
    """One solve of a round: policy, input snapshot, per-item summary, verdict and statistics."""

    __tablename__ = "allocation_runs"
    __table_args__ = (
        UniqueConstraint("region_code", "round_date", "attempt"),
        CheckConstraint(_in("status", RUN_STATUSES), name="status_known"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        # One approved daily run per round; extra runs (acute requests) are approved as needed.
        Index(
            "uq_allocation_runs_one_approved_per_round",
            "region_code",
            "round_date",
            unique=True,
            postgresql_where=text("status = 'approved' AND kind = 'daily'"),
            sqlite_where=text("status = 'approved' AND kind = 'daily'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    round_date: Mapped[date] = mapped_column(Date, index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="daily", server_default="daily")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    method: Mapped[str] = mapped_column(String(16))
    policy: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    items_summary: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)
    stats: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    check_ok: Mapped[bool] = mapped_column(Boolean)
    check_messages: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    trigger: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(64))

    lines: Mapped[list[AllocationLine]] = relationship(
        back_populates="run", lazy="raise", order_by="AllocationLine.id"
    )


def _own_item(context: Any) -> Any:
    """A line delivers its own item unless a substitute is named."""
    return context.get_current_parameters()["item_code"]


class AllocationLine(Base):
    """What one care home gets for its need of one item in a run, and why.

    ``item_code`` is the need line's item, ``delivered_item_code`` the item picked and delivered
    for this row: the same item, or a substitute (issue 12) whose ``quantity`` is in its units.
    A need line has one row for its own item and one per substitute used; the request and what
    is left unmet are on the own-item row (0 on substitute rows, so sums stay per need).
    """

    __tablename__ = "allocation_lines"
    __table_args__ = (
        UniqueConstraint(
            "run_id",
            "care_home_id",
            "item_code",
            "delivered_item_code",
            name="uq_allocation_lines_line_delivered",
        ),
        CheckConstraint("quantity >= 0", name="quantity_non_negative"),
        CheckConstraint("packs >= 0", name="packs_non_negative"),
        CheckConstraint("unmet >= 0", name="unmet_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("allocation_runs.id"), index=True)
    care_home_id: Mapped[str] = mapped_column(ForeignKey("care_homes.id"))
    item_code: Mapped[str] = mapped_column(ForeignKey("items.code"))
    delivered_item_code: Mapped[str] = mapped_column(ForeignKey("items.code"), default=_own_item)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"))
    situation: Mapped[str] = mapped_column(String(16))
    requested: Mapped[int] = mapped_column(Integer)
    requested_rounded: Mapped[int] = mapped_column(Integer)
    on_hand: Mapped[int | None] = mapped_column(Integer)
    daily_use: Mapped[float | None] = mapped_column(Float)
    daily_use_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    quantity: Mapped[int] = mapped_column(Integer)
    packs: Mapped[int] = mapped_column(Integer)
    unmet: Mapped[int] = mapped_column(Integer)
    level: Mapped[float] = mapped_column(Float)
    item_level: Mapped[float | None] = mapped_column(Float)
    binding: Mapped[str] = mapped_column(String(16))
    capacity_group: Mapped[str | None] = mapped_column(String(32))
    explanation_sv: Mapped[str] = mapped_column(Text)
    explanation_en: Mapped[str] = mapped_column(Text)
    solver_quantity: Mapped[int] = mapped_column(Integer)
    edit_reason: Mapped[str | None] = mapped_column(Text)
    edited_by: Mapped[str | None] = mapped_column(String(64))

    run: Mapped[AllocationRun] = relationship(back_populates="lines", lazy="raise")


class Manifest(RegionOwned, Base):
    """One route's load for an approved run: what to pick, where it goes, and its progress."""

    __tablename__ = "manifests"
    __table_args__ = (
        UniqueConstraint("run_id", "route_code"),
        CheckConstraint(_in("status", MANIFEST_STATUSES), name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("allocation_runs.id"), index=True)
    round_date: Mapped[date] = mapped_column(Date, index=True)
    route_code: Mapped[str] = mapped_column(ForeignKey("routes.code"))
    vehicle: Mapped[str] = mapped_column(String(100))
    capacity_l: Mapped[float] = mapped_column(Float)
    load_l: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatched_by: Mapped[str | None] = mapped_column(String(64))

    stops: Mapped[list[ManifestStop]] = relationship(
        back_populates="manifest", lazy="raise", order_by="ManifestStop.stop_number"
    )


class ManifestStop(Base):
    """One stop of a manifest: a municipality's receiving point and its confirmation code."""

    __tablename__ = "manifest_stops"
    __table_args__ = (
        UniqueConstraint("manifest_id", "stop_number"),
        CheckConstraint(_in("status", STOP_STATUSES), name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("manifests.id"), index=True)
    stop_number: Mapped[int] = mapped_column(Integer)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"))
    confirmation_code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_by: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[str | None] = mapped_column(String(64))

    manifest: Mapped[Manifest] = relationship(back_populates="stops", lazy="raise")
    lines: Mapped[list[ManifestLine]] = relationship(
        back_populates="stop", lazy="raise", order_by="ManifestLine.id"
    )


class ManifestLine(Base):
    """Packs of one lot of one item loaded for a stop (lots chosen first-expiry-first-out)."""

    __tablename__ = "manifest_lines"
    __table_args__ = (
        UniqueConstraint("stop_id", "item_code", "lot"),
        CheckConstraint("packs > 0", name="packs_positive"),
        CheckConstraint("units > 0", name="units_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stop_id: Mapped[int] = mapped_column(ForeignKey("manifest_stops.id"), index=True)
    item_code: Mapped[str] = mapped_column(ForeignKey("items.code"))
    lot: Mapped[str] = mapped_column(String(64))
    expiry: Mapped[date | None] = mapped_column(Date)
    packs: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)

    stop: Mapped[ManifestStop] = relationship(back_populates="lines", lazy="raise")


class DeliveryLine(Base):
    """Proof of delivery for one manifest line: accepted, short and damaged units, with a reason."""

    __tablename__ = "delivery_lines"
    __table_args__ = (
        CheckConstraint(
            "accepted_units >= 0 AND short_units >= 0 AND damaged_units >= 0",
            name="quantities_non_negative",
        ),
        CheckConstraint(
            "(short_units = 0 AND damaged_units = 0) OR (reason IS NOT NULL AND reason <> '')",
            name="discrepancy_has_reason",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manifest_line_id: Mapped[int] = mapped_column(ForeignKey("manifest_lines.id"), unique=True)
    accepted_units: Mapped[int] = mapped_column(Integer)
    short_units: Mapped[int] = mapped_column(Integer)
    damaged_units: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(64))


class Escalation(RegionOwned, Base):
    """A request for support (begäran om stöd) to the national agency for one item's unmet need."""

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("run_id", "item_code"),
        UniqueConstraint("region_code", "reference"),
        CheckConstraint(_in("status", ESCALATION_STATUSES), name="status_known"),
        CheckConstraint("total_unmet > 0", name="unmet_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str] = mapped_column(ForeignKey("allocation_runs.id"), index=True)
    round_date: Mapped[date] = mapped_column(Date, index=True)
    item_code: Mapped[str] = mapped_column(ForeignKey("items.code"))
    total_unmet: Mapped[int] = mapped_column(Integer)
    region_stock: Mapped[int] = mapped_column(Integer)
    days_of_supply: Mapped[float | None] = mapped_column(Float)
    homes_confirmed: Mapped[int] = mapped_column(Integer)
    by_municipality: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    received_units: Mapped[int] = mapped_column(Integer, default=0)
    agency_reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    homes_shortfall: Mapped[int | None] = mapped_column(Integer)
    """What the homes lacked in the latest round before the region's free stock was counted."""
    free_stock: Mapped[int | None] = mapped_column(Integer)
    """The region's stock left free after the latest round (it covers part of the shortfall)."""
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Set when the request is met or a round no longer lacks the item; open while None."""


class OutboxMessage(RegionOwned, Base):
    """A message to deliver to an outside endpoint, at least once, with a stable idempotency key."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status_known"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    topic: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
