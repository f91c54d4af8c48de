"""Reference data: municipalities, care homes, items and routes (read by all; admin edits)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import AdminUser, ReaderUser, SessionDep
from api.pagination import Paging, paginate
from api.schemas.base import Page
from api.schemas.reference import (
    CareHomeRead,
    CareHomeUpdate,
    ItemRead,
    ItemUpdate,
    MunicipalityRead,
    RouteRead,
)
from api.transaction import TransactionRoute
from data.access.scope import get_visible_care_home, visible_homes, visible_municipalities
from data.logistics.routes import routes_query
from data.models import Route
from data.reference.admin import update_care_home, update_item
from data.reference.catalogue import get_item, items_query

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute, tags=["reference data"])


@router.get("/municipalities", response_model=Page[MunicipalityRead])
def list_municipalities(user: ReaderUser, session: SessionDep, page: Paging) -> dict[str, Any]:
    """The municipalities the user may see (their own for municipal roles)."""
    return paginate(session, visible_municipalities(user), page, MunicipalityRead.model_validate)


@router.get("/care-homes", response_model=Page[CareHomeRead])
def list_care_homes(
    user: ReaderUser,
    session: SessionDep,
    page: Paging,
    municipality_code: str | None = None,
) -> dict[str, Any]:
    """The care homes the user may see, optionally of one municipality."""
    query = visible_homes(user, municipality_code=municipality_code)
    return paginate(session, query, page, CareHomeRead.model_validate)


@router.get("/care-homes/{care_home_id}", response_model=CareHomeRead)
def read_care_home(care_home_id: str, user: ReaderUser, session: SessionDep) -> CareHomeRead:
    """One care home (404 outside the user's scope)."""
    home = get_visible_care_home(session, user=user, care_home_id=care_home_id)
    return CareHomeRead.model_validate(home)


@router.patch("/care-homes/{care_home_id}", response_model=CareHomeRead)
def change_care_home(
    care_home_id: str, body: CareHomeUpdate, user: AdminUser, session: SessionDep
) -> CareHomeRead:
    """Change a care home (admin)."""
    home = update_care_home(
        session,
        care_home_id=care_home_id,
        changes=body.model_dump(exclude_unset=True),
        actor=user.username,
    )
    return CareHomeRead.model_validate(home)


@router.get("/items", response_model=Page[ItemRead])
def list_items(_user: ReaderUser, session: SessionDep, page: Paging) -> dict[str, Any]:
    """The item catalogue."""
    return paginate(session, items_query(), page, ItemRead.model_validate)


@router.get("/items/{item_code}", response_model=ItemRead)
def read_item(item_code: str, _user: ReaderUser, session: SessionDep) -> ItemRead:
    """One item."""
    return ItemRead.model_validate(get_item(session, code=item_code))


@router.patch("/items/{item_code}", response_model=ItemRead)
def change_item(item_code: str, body: ItemUpdate, user: AdminUser, session: SessionDep) -> ItemRead:
    """Change an item (admin)."""
    item = update_item(
        session,
        item_code=item_code,
        changes=body.model_dump(exclude_unset=True),
        actor=user.username,
    )
    return ItemRead.model_validate(item)


def _route(route: Route) -> RouteRead:
    return RouteRead(
        code=route.code,
        name=route.name,
        vehicle=route.vehicle,
        capacity_l=route.capacity_l,
        active=route.active,
        stops=[stop.municipality_code for stop in route.stops],
    )


@router.get("/routes", response_model=Page[RouteRead])
def list_routes(_user: ReaderUser, session: SessionDep, page: Paging) -> dict[str, Any]:
    """The delivery routes with their stops."""
    return paginate(session, routes_query(), page, _route)
