"""The signed-in county's own details: ``GET`` / ``PUT /api/v1/region`` (issue 13).

The same as the page *Länets uppgifter* (``/lan/region``): the region's code, name and authority
(read only: they come from ``fordela reference load``), its contact person, phone, e-mail,
delivery address and escalation transport (``json``, ``email`` or ``null``: follow what the
deployment has configured), which of them the deployment's ``FORDELA_REGION_*`` settings fix, and
how its requests for support leave now. ``PUT`` changes the fields it names (an empty text or
``null`` clears one; a field left out keeps its value); a malformed value, or a field the
deployment fixes, is refused (422, naming the field in Swedish) and nothing changes. The county
coordinator's (capability *allocate*).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy.orm import Session

from api.deps import CountyUser, SessionDep
from api.schemas.base import Input, Output
from api.transaction import TransactionRoute
from data.reference.regions import deployment_fields, region_details, update_region_details
from jobs.outreach.transports import Transports

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute, prefix="/region", tags=["reference"])


class RouteRead(Output):
    """How the region's requests for support leave now (``transport`` null: they wait)."""

    transport: Literal["json", "email"] | None
    description: str = Field(examples=["JSON till https://socialstyrelsen.example/begaran"])


class RegionRead(Output):
    """The county's details."""

    code: str = Field(examples=["AB"])
    name: str = Field(examples=["Stockholms län"])
    authority: str = Field(examples=["Länsstyrelsen Stockholm"])
    unit: str
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    delivery_address: str | None
    escalation_transport: Literal["json", "email"] | None
    set_by_deployment: list[str] = Field(
        description="Fields the deployment's FORDELA_REGION_* settings fix (not editable here)."
    )
    escalation_route: RouteRead


class RegionUpdate(Input):
    """The fields to change; a field left out keeps its value, ``null`` or ``""`` clears it."""

    contact_name: str | None = Field(default=None, max_length=1000, examples=["Åsa Nyström"])
    contact_phone: str | None = Field(default=None, max_length=1000, examples=["010-223 10 00"])
    contact_email: str | None = Field(
        default=None, max_length=1000, examples=["asa.nystrom@lansstyrelsen.se"]
    )
    delivery_address: str | None = Field(default=None, max_length=2000)
    escalation_transport: str | None = Field(default=None, max_length=100, examples=["email"])


def _read(session: Session) -> RegionRead:
    details = region_details(session)
    route = Transports.from_environment().escalation_route(details)
    return RegionRead(
        code=details.code,
        name=details.name,
        authority=details.authority,
        unit=details.unit,
        contact_name=details.contact_name,
        contact_phone=details.contact_phone,
        contact_email=details.contact_email,
        delivery_address=details.delivery_address,
        escalation_transport=details.escalation_transport,
        set_by_deployment=sorted(deployment_fields(details.code)),
        escalation_route=RouteRead(transport=route.transport, description=route.description),
    )


@router.get("", response_model=RegionRead)
def read_region(user: CountyUser, session: SessionDep) -> RegionRead:
    """The signed-in county's details and how its requests for support leave."""
    return _read(session)


@router.put("", response_model=RegionRead)
def update_region(body: RegionUpdate, user: CountyUser, session: SessionDep) -> RegionRead:
    """Change the county's contact, delivery address or escalation transport."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    update_region_details(session, changes=changes, actor=user.username)
    return _read(session)
