"""Schemas of manifests, deliveries and escalations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from api.schemas.base import Input, Output
from data.stock.ledger import MAX_MOVEMENT

__all__ = [
    "DeliveredLineIn",
    "DeliveryIn",
    "EscalationRead",
    "EscalationStatusIn",
    "ManifestLineRead",
    "ManifestRead",
    "ManifestStopRead",
]


class ManifestLineRead(Output):
    """An item and lot loaded for a stop."""

    id: int
    item_code: str
    lot: str
    expiry: date | None
    packs: int
    units: int


class ManifestStopRead(Output):
    """A stop of a route: the municipality's receiving point and what it gets."""

    id: int
    stop_number: int
    municipality_code: str
    confirmation_code: str
    status: str
    delivered_at: datetime | None
    received_by: str | None
    lines: list[ManifestLineRead]


class ManifestRead(Output):
    """A route's manifest for a round."""

    id: int
    run_id: str
    round_date: date
    route_code: str
    vehicle: str
    capacity_l: float
    load_l: float
    status: str
    created_at: datetime
    dispatched_at: datetime | None
    dispatched_by: str | None
    stops: list[ManifestStopRead]


class DeliveredLineIn(Input):
    """What the receiver counted of one loaded item and lot (``accepted`` omitted: the rest)."""

    item: str = Field(max_length=16, examples=["IIR"])
    lot: str = Field(max_length=64, examples=["L2026-118"])
    accepted: int | None = Field(default=None, ge=0, le=MAX_MOVEMENT)
    short: int = Field(default=0, ge=0, le=MAX_MOVEMENT, examples=[50])
    damaged: int = Field(default=0, ge=0, le=MAX_MOVEMENT)
    reason: str | None = Field(default=None, max_length=500, examples=["one carton missing"])


class DeliveryIn(Input):
    """Proof of delivery of a stop: who received it, and any discrepancies (other lines: all
    accepted)."""

    received_by: str = Field(min_length=1, max_length=100, examples=["Anna Andersson"])
    lines: list[DeliveredLineIn] = Field(default_factory=list, max_length=500)


class UndoDispatchIn(Input):
    """Why a route's dispatch is undone (the vehicle never left, or the wrong route was marked)."""

    reason: str = Field(min_length=1, max_length=500, examples=["Fel rutt markerades"])


class EscalationRead(Output):
    """A request for support to the national agency: one open request per item, updated each
    round (``run_id`` and ``round_date`` are the latest round's; ``total_unmet`` is the running
    balance as of that round, ``homes_shortfall`` what the homes lacked before the region's free
    stock, ``free_stock``, was counted; ``closed_at`` once met or no longer short)."""

    reference: str
    run_id: str
    round_date: date
    item_code: str
    total_unmet: int
    homes_shortfall: int | None = None
    free_stock: int | None = None
    closed_at: datetime | None = None
    region_stock: int
    days_of_supply: float | None
    homes_confirmed: int
    by_municipality: list[dict[str, Any]]
    status: str
    received_units: int
    agency_reference: str | None
    created_at: datetime
    updated_at: datetime


class EscalationStatusIn(Input):
    """The agency's answer, as recorded by the county."""

    status: Literal["sent", "acknowledged", "partly_met", "met"] = Field(examples=["acknowledged"])
    agency_reference: str | None = Field(default=None, max_length=100, examples=["SoS-2026-881"])
