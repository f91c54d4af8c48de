"""Who may see which records, as filters applied IN the queries (never after loading).

The scope comes from the role table (``data.access.roles``): a care-home manager sees their own home
only; a municipal coordinator the homes of their municipality; the county-wide roles every home; a
role the table does not name sees nothing. Something outside the scope is simply not found, so an
API answers 404 for another municipality's objects, exactly as for ones that do not exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session

from data.access.roles import Scope, scope_of
from data.errors import NotFound
from data.models import CareHome, Municipality, User

__all__ = [
    "get_visible_care_home",
    "home_filter",
    "list_visible_homes",
    "municipality_filter",
    "visible_homes",
    "visible_municipalities",
]


def home_filter(user: User) -> ColumnElement[bool]:
    """A condition on ``CareHome`` that holds for the homes ``user`` may see (none for a role
    the role table does not name)."""
    scope = scope_of(user.role)
    if scope is Scope.HOME:
        return CareHome.id == user.care_home_id
    if scope is Scope.MUNICIPALITY:
        return CareHome.municipality_code == user.municipality_code
    if scope is Scope.COUNTY:
        return true()
    return false()


def municipality_filter(user: User) -> ColumnElement[bool]:
    """A condition on ``Municipality`` for the municipalities ``user`` may see (none for a role
    the role table does not name)."""
    scope = scope_of(user.role)
    if scope is Scope.MUNICIPALITY:
        return Municipality.code == user.municipality_code
    if scope is Scope.HOME:
        return Municipality.code.in_(
            select(CareHome.municipality_code).where(CareHome.id == user.care_home_id)
        )
    if scope is Scope.COUNTY:
        return true()
    return false()


def visible_homes(user: User, *, municipality_code: str | None = None) -> Select[CareHome]:
    """The care homes ``user`` may see (of one municipality when named), by id."""
    query = select(CareHome).where(home_filter(user)).order_by(CareHome.id)
    if municipality_code is not None:
        query = query.where(CareHome.municipality_code == municipality_code)
    return query


def visible_municipalities(user: User) -> Select[Municipality]:
    """The municipalities ``user`` may see, by code."""
    return select(Municipality).where(municipality_filter(user)).order_by(Municipality.code)


def get_visible_care_home(session: Session, *, user: User, care_home_id: str) -> CareHome:
    """The care home if ``user`` may see it; ``NotFound`` otherwise (also when it exists)."""
    home = session.scalars(
        select(CareHome).where(CareHome.id == care_home_id, home_filter(user))
    ).one_or_none()
    if home is None:
        raise NotFound("care home", care_home_id)
    return home


def list_visible_homes(session: Session, *, user: User, active_only: bool = True) -> list[CareHome]:
    """The care homes ``user`` may see (the active ones unless told), by name."""
    query = select(CareHome).where(home_filter(user)).order_by(CareHome.name)
    if active_only:
        query = query.where(CareHome.active.is_(True))
    return list(session.scalars(query))
