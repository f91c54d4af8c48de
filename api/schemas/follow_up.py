"""Schemas of the follow-up over time and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from api.schemas.base import Output

__all__ = ["AuditEntryRead", "FollowUpRead", "FollowUpRowRead", "ShortStreakRead"]


class FollowUpRowRead(Output):
    """One round, item and municipality: units asked (whole packs), allocated, delivered, short."""

    round_date: date
    item: str
    municipality_code: str
    municipality: str
    asked: int
    allocated: int
    delivered: int | None
    short: int
    homes_short: int


class ShortStreakRead(Output):
    """A home short of an item in each of the latest ``rounds`` rounds."""

    care_home_id: str
    care_home: str
    municipality: str
    item: str
    rounds: int
    short_latest: int


class FollowUpRead(Output):
    """The latest rounds with an approved run, their figures and the homes short rounds running."""

    rounds: list[date]
    rows: list[FollowUpRowRead]
    short_streaks: list[ShortStreakRead]


class AuditEntryRead(Output):
    """Who did what to which record, when, with the details (a reason where one was given)."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    details: dict[str, Any]
