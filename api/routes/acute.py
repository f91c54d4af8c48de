"""Acute requests (akut behov): file, list, read, decline; and queue an extra round over them.

A care-home manager files for the own home, a municipal coordinator for the municipality's homes,
the county for any; each sees only those (another's is 404). The county declines with a reason
and queues an extra round (202, ``Location: /api/v1/jobs/{id}``): a run like the daily one,
``kind = "extra"``, previewed under ``/runs`` and approved with ``POST /runs/{id}/approve``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request, Response, status

from api.deps import CountyUser, NeedsUser, SessionDep
from api.pagination import Paging, paginate
from api.params import IdPath
from api.schemas.acute import AcuteDeclineIn, AcuteRequestIn, AcuteRequestRead, ExtraRunIn
from api.schemas.base import Page
from api.schemas.runs import JobRead
from api.transaction import TransactionRoute
from data.access.roles import Scope, scope_of
from data.access.scope import get_visible_care_home
from data.clock import utcnow
from data.errors import ValidationFailed
from data.job_queue import enqueue_job
from data.logistics.routes import list_routes
from data.needs.acute import (
    decline_acute_request,
    file_acute_request,
    get_visible_acute_request,
    visible_acute_requests,
)
from data.settings import Settings

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute, tags=["acute requests"])


@router.post(
    "/acute-requests", status_code=status.HTTP_201_CREATED, response_model=AcuteRequestRead
)
def file(
    body: AcuteRequestIn, user: NeedsUser, session: SessionDep, response: Response
) -> AcuteRequestRead:
    """File an acute request (any time of day); it waits for the county's extra round."""
    home_id = body.care_home_id
    if scope_of(user.role) is Scope.HOME:
        home_id = home_id or user.care_home_id
    if not home_id:
        raise ValidationFailed(
            [{"field": "care_home_id", "line": None, "message": "name the care home"}]
        )
    home = get_visible_care_home(session, user=user, care_home_id=home_id)
    request = file_acute_request(
        session,
        care_home_id=home.id,
        item_code=body.item_code,
        quantity=body.quantity,
        situation=body.situation,
        reason=body.reason,
        filed_by=user.username,
        now=utcnow(),
    )
    response.headers["Location"] = f"/api/v1/acute-requests/{request.id}"
    return AcuteRequestRead.model_validate(request)


@router.get("/acute-requests", response_model=Page[AcuteRequestRead])
def list_requests(
    user: NeedsUser,
    session: SessionDep,
    page: Paging,
    status: Literal["open", "allocated", "partly", "declined"] | None = None,
) -> dict[str, Any]:
    """The requests in the user's scope, newest first."""
    query = visible_acute_requests(user, status=status)
    return paginate(session, query, page, AcuteRequestRead.model_validate)


@router.get("/acute-requests/{request_id}", response_model=AcuteRequestRead)
def read(request_id: IdPath, user: NeedsUser, session: SessionDep) -> AcuteRequestRead:
    """One request in the user's scope."""
    return AcuteRequestRead.model_validate(
        get_visible_acute_request(session, user=user, request_id=request_id)
    )


@router.post("/acute-requests/{request_id}/decline", response_model=AcuteRequestRead)
def decline(
    request_id: IdPath, body: AcuteDeclineIn, user: CountyUser, session: SessionDep
) -> AcuteRequestRead:
    """Decline an open request with the reason the home sees (409 when it is not open)."""
    request = decline_acute_request(
        session, request_id=request_id, reason=body.reason, actor=user.username, now=utcnow()
    )
    return AcuteRequestRead.model_validate(request)


@router.post(
    "/extra-runs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobRead,
    responses={202: {"description": "Queued; poll the job at Location"}},
)
def extra_run(
    body: ExtraRunIn, user: CountyUser, session: SessionDep, request: Request, response: Response
) -> JobRead:
    """Queue an extra round over every open acute request, on the route and departure given."""
    settings = getattr(request.app.state, "data_settings", None) or Settings()
    day = body.delivery_date or today(settings)
    # Checked now, not when the job runs: a route the county does not have (none of its own,
    # or another region's) is refused at once, naming the field.
    if body.route_code not in {route.code for route in list_routes(session)}:
        raise ValidationFailed(
            [
                {
                    "field": "route_code",
                    "line": None,
                    "message": f"{body.route_code!r} is not one of the county's active routes",
                }
            ]
        )
    job = enqueue_job(
        session,
        kind="extra_allocate",
        params={
            "delivery_date": day.isoformat(),
            "route": body.route_code,
            "departure": body.departure,
        },
        actor=user.username,
    )
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return JobRead.model_validate(job)


def today(settings: Settings) -> date:
    """Today on the business clock."""
    return utcnow().astimezone(settings.zone).date()
