"""Schemas of acute requests (akut behov) and of the extra round that handles them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from api.schemas.base import Input, Output
from data.needs.acute import MAX_ACUTE_QUANTITY, MAX_REASON

__all__ = ["AcuteDeclineIn", "AcuteRequestIn", "AcuteRequestRead", "ExtraRunIn"]


class AcuteRequestIn(Input):
    """An acute need: a manager's own home (``care_home_id`` may be left out) or, for a
    coordinator, one of the municipality's homes."""

    care_home_id: str | None = Field(default=None, max_length=16, examples=["H0001"])
    item_code: str = Field(min_length=1, max_length=16, examples=["FFP3"])
    quantity: int = Field(gt=0, le=MAX_ACUTE_QUANTITY, examples=[200])
    situation: Literal["confirmed", "suspected", "none"] = Field(examples=["confirmed"])
    reason: str = Field(min_length=1, max_length=MAX_REASON, examples=["nytt utbrott på avd. 3"])


class AcuteRequestRead(Output):
    """An acute request and how it ended (``open`` until an extra round or a decline)."""

    id: int
    care_home_id: str
    item_code: str
    quantity: int
    situation: str
    reason: str
    filed_by: str
    filed_at: datetime
    status: str
    allocated: int
    run_id: str | None
    decline_reason: str | None
    decided_by: str | None
    decided_at: datetime | None


class AcuteDeclineIn(Input):
    """Why the county declines the request (the home sees it)."""

    reason: str = Field(min_length=1, max_length=MAX_REASON, examples=["levererat i går kväll"])


class ExtraRunIn(Input):
    """An extra round over the open acute requests: the day, the route and its departure."""

    delivery_date: date | None = Field(default=None, description="default today")
    route_code: str = Field(min_length=1, max_length=16, examples=["R3"])
    departure: str = Field(pattern=r"^\d{1,2}:\d{2}$", examples=["15:30"])
