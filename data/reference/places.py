"""Municipalities and care homes as the pages, the API and the documents look them up."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from data.errors import NotFound
from data.models import CareHome, Municipality

__all__ = [
    "care_homes_by_id",
    "find_municipality",
    "get_care_home",
    "get_municipality",
    "list_municipalities",
    "municipalities_by_code",
    "reference_loaded",
]


def get_municipality(session: Session, *, code: str) -> Municipality:
    """The municipality ``code``; ``NotFound`` when there is none."""
    place = session.get(Municipality, code)
    if place is None:
        raise NotFound("municipality", code)
    return place


def list_municipalities(session: Session) -> list[Municipality]:
    """Every municipality, by name."""
    return list(session.scalars(select(Municipality).order_by(Municipality.name)))


def municipalities_by_code(session: Session) -> dict[str, Municipality]:
    """Every municipality, keyed by its code."""
    return {place.code: place for place in session.scalars(select(Municipality))}


def get_care_home(session: Session, *, care_home_id: str) -> CareHome | None:
    """The care home ``care_home_id``, or None (callers check the user's scope themselves)."""
    return session.get(CareHome, care_home_id)


def care_homes_by_id(session: Session, *, ids: Iterable[str]) -> dict[str, CareHome]:
    """The named care homes, keyed by id (unknown ids are left out)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {
        home.id: home for home in session.scalars(select(CareHome).where(CareHome.id.in_(wanted)))
    }


def reference_loaded(session: Session) -> bool:
    """Whether the municipalities (and so the reference data) are in the database."""
    return bool(session.scalar(select(exists().where(Municipality.code.is_not(None)))))


def find_municipality(session: Session, *, code: str) -> Municipality | None:
    """The municipality ``code``, or None."""
    return session.get(Municipality, code)
