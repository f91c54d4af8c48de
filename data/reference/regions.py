"""The regions as data: one region's details for its documents and messages, and the list.

A region's row (``regions``, loaded by ``fordela reference load``) names it, its authority, its
contact and delivery address. For the deployment's home region, ``FORDELA_REGION_*`` settings
that are set win over the row (the deployment's own configuration, as before regions were data);
the national agency's name and address are national and always come from the settings.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.access.tenancy import across_regions, current_region, home_region
from data.errors import NotFound
from data.models import Region
from data.reference.region import RegionSettings

__all__ = ["ROW_FIELDS", "list_regions", "region_details"]

ROW_FIELDS = (
    "code",
    "name",
    "authority",
    "unit",
    "contact_name",
    "contact_phone",
    "contact_email",
    "delivery_address",
    "escalation_transport",
)
"""The settings a region's row gives."""
NATIONAL_FIELDS = ("agency_name", "agency_email")


def region_details(session: Session, code: str | None = None) -> RegionSettings:
    """Region ``code``'s details (default: the session's region); ``NotFound`` if unknown."""
    wanted = code or current_region(session)
    row = session.get(Region, wanted)
    if row is None:
        raise NotFound("region", wanted)
    values: dict[str, Any] = {name: getattr(row, name) for name in ROW_FIELDS}
    values["unit"] = values["unit"] or ""
    configured = RegionSettings()
    overriding = configured.model_fields_set if wanted == home_region() else set()
    for name in overriding | set(NATIONAL_FIELDS):
        values[name] = getattr(configured, name)
    return RegionSettings(**values)


def list_regions(session: Session, *, kind: str | None = None) -> list[Region]:
    """Every region (of ``kind`` when given), by code; the regions table is not narrowed."""
    query = select(Region).order_by(Region.code)
    if kind is not None:
        query = query.where(Region.kind == kind)
    with across_regions(session):
        return list(session.scalars(query))
