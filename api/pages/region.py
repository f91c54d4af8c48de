"""``/lan/region`` (*Länets uppgifter*): the county's own contact, delivery address and how its
requests for support leave (issue 13).

The county coordinator sees the region's code, name and authority (read only: they come from
``fordela reference load``) and edits the contact person, phone, e-mail, delivery address and
escalation transport (JSON, e-mail, or follow what the deployment has configured). One data
function saves them (``data.reference.regions.update_region_details``: checked, refused in Swedish
naming the field, audited); nothing is saved when anything is refused. For the home region a
field the deployment sets (``FORDELA_REGION_*``) is shown as set by the deployment and cannot be
edited here. The next request for support (its PDF, e-mail and JSON) uses what was saved.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import OptionalUser, SessionDep
from api.pages.common import page_user, render, see_other
from api.transaction import TransactionRoute
from data.access.roles import Capability
from data.errors import ValidationFailed
from data.models import User
from data.reference.regions import (
    EDITABLE_FIELDS,
    FIELD_LABELS,
    deployment_fields,
    region_details,
    update_region_details,
)
from jobs.outreach.transports import Transports

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute)

NEEDED = Capability.ALLOCATE
SAVED = "Länets uppgifter är sparade."
TRANSPORT_CHOICES = (
    ("", "Som driften är inställd (JSON om en adress finns, annars e-post)"),
    ("json", "JSON till Socialstyrelsens mottagare"),
    ("email", "E-post till Socialstyrelsen, med PDF"),
)


def _page(
    request: Request,
    session: Session,
    me: User,
    *,
    status_code: int = 200,
    problem: str | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    details = region_details(session)
    fixed = deployment_fields(details.code)
    shown = {name: getattr(details, name) or "" for name in EDITABLE_FIELDS}
    for name, value in (typed or {}).items():
        if name not in fixed:
            shown[name] = value
    notice = SAVED if request.query_params.get("klart") == "region" and not problem else None
    return render(
        request,
        "pages/region.html",
        me,
        status_code=status_code,
        problem=problem,
        notice=notice,
        details=details,
        shown=shown,
        fixed=fixed,
        errors=errors or {},
        labels=FIELD_LABELS,
        transports=TRANSPORT_CHOICES,
        route=Transports.from_environment().escalation_route(details),
    )


@router.get("/lan/region", response_class=HTMLResponse)
def region_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The county's details: who it is (read only) and what the county edits."""
    return _page(request, session, page_user(user, NEEDED))


@router.post("/lan/region", response_class=HTMLResponse)
def save_region(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    contact_name: Annotated[str | None, Form(max_length=1000)] = None,
    contact_phone: Annotated[str | None, Form(max_length=1000)] = None,
    contact_email: Annotated[str | None, Form(max_length=1000)] = None,
    delivery_address: Annotated[str | None, Form(max_length=2000)] = None,
    escalation_transport: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    """Save the county's contact, delivery address and transport together, or show why not."""
    me = page_user(user, NEEDED)
    posted = {
        "contact_name": contact_name,
        "contact_phone": contact_phone,
        "contact_email": contact_email,
        "delivery_address": delivery_address,
        "escalation_transport": escalation_transport,
    }
    # A field the deployment sets is shown disabled, so the browser does not post it.
    changes = {name: value for name, value in posted.items() if value is not None}
    try:
        update_region_details(session, changes=changes, actor=me.username)
    except ValidationFailed as exc:
        errors = {issue["field"]: issue["message"] for issue in exc.errors}
        messages = " ".join(f"{issue['message']}." for issue in exc.errors)
        return _page(
            request,
            session,
            me,
            status_code=422,
            problem=f"Inget sparades. {messages}",
            errors=errors,
            typed={name: value for name, value in changes.items() if value is not None},
        )
    return see_other("/lan/region?klart=region")
