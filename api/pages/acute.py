"""Acute needs on the web: filing (``/behov/akut``, ``/kommun/akut``) and the county's queue.

A care-home manager files for the own home, a municipal coordinator for one of the municipality's
homes: item, quantity, situation and a short reason, at any time of day; each sees how their
requests ended (allocated, partly allocated and escalated, or declined with the county's reason).
The county's ``/lan/akut`` lists the requests newest first (the open count is in the menu),
declines with a reason, and queues an extra round on a route and departure it picks; the extra
draft is previewed at ``/lan/akut/korning/{id}`` (packs can be moved like in the daily run) and
approved there. Solving and approving run in the scheduler's worker, as for the daily run.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import OptionalUser, SessionDep
from api.pages.common import data_settings, page_user, render, see_other, swedish
from api.pages.form_numbers import whole_number
from api.params import IdPath
from api.transaction import TransactionRoute
from data.access.roles import Capability, Scope, scope_of
from data.access.scope import list_visible_homes
from data.clock import utcnow
from data.errors import Conflict, NotFound, ValidationFailed
from data.job_queue import enqueue_job
from data.logistics.routes import list_routes
from data.models import CareHome, Situation, User
from data.needs.acute import decline_acute_request, file_acute_request, list_acute_requests
from data.overview.county import latest_job
from data.reference.catalogue import list_items
from data.reference.places import care_homes_by_id
from data.runs.extra import extra_requests
from data.runs.reads import list_extra_runs, run_lines_with_home_names
from data.runs.records import get_run

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute)

EXTRA_JOBS = ("extra_allocate", "extra_approve")
FIELD_NAMES = {
    "item": "Artikel",
    "quantity": "Antal",
    "situation": "Läge",
    "reason": "Skäl",
    "care_home_id": "Boende",
}


def _filing_page(
    request: Request,
    session: Session,
    me: User,
    *,
    path: str,
    homes: list[CareHome],
    errors: dict[str, str] | None = None,
    posted: dict[str, str] | None = None,
) -> Response:
    scope = (
        {"care_home_id": me.care_home_id}
        if scope_of(me.role) is Scope.HOME
        else {"municipality_code": me.municipality_code}
    )
    names = {h.id: h.name for h in homes}
    return render(
        request,
        "pages/acute_file.html",
        me,
        status_code=422 if errors else 200,
        problem="Behovet skickades inte: rätta fälten." if errors else None,
        path=path,
        homes=homes,
        names=names,
        items=list_items(session, by_category=True),
        situations=[s.value for s in Situation],
        requests=list_acute_requests(session, **scope, limit=100),
        errors=errors or {},
        posted=posted or {},
    )


def _own_homes(session: Session, me: User) -> list[CareHome]:
    return list_visible_homes(session, user=me)


def _file(
    request: Request, session: Session, me: User, path: str, form: dict[str, str]
) -> Response:
    homes = _own_homes(session, me)
    home_id = form.get("care_home_id", "") if len(homes) > 1 else (homes[0].id if homes else "")
    errors: dict[str, str] = {}
    quantity = whole_number(form.get("quantity", ""))
    if quantity is None or quantity <= 0:
        errors["quantity"] = "Ange ett helt antal större än 0."
    if home_id not in {h.id for h in homes}:
        errors["care_home_id"] = "Välj ett av kommunens boenden."
    if not form.get("reason", "").strip():
        errors["reason"] = "Skriv kort varför behovet är akut."
    if not errors:
        try:
            file_acute_request(
                session,
                care_home_id=home_id,
                item_code=form.get("item", ""),
                quantity=quantity or 0,
                situation=form.get("situation", ""),
                reason=form.get("reason", ""),
                filed_by=me.username,
                now=utcnow(),
            )
        except ValidationFailed as exc:
            errors = {
                issue["field"]: f"{FIELD_NAMES.get(issue['field'], issue['field'])}: "
                f"{swedish(issue['message'])}"
                for issue in exc.errors
            }
    if errors:
        return _filing_page(
            request, session, me, path=path, homes=homes, errors=errors, posted=form
        )
    return see_other(f"{path}?klart=akut")


@router.get("/behov/akut", response_class=HTMLResponse)
def manager_form(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The home's acute requests and the form to file one."""
    me = page_user(user, Capability.REPORT_FOR_OWN_HOME)
    homes = _own_homes(session, me)
    return _filing_page(request, session, me, path="/behov/akut", homes=homes)


@router.post("/behov/akut", response_class=HTMLResponse)
async def manager_file(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """File an acute request for the own home."""
    me = page_user(user, Capability.REPORT_FOR_OWN_HOME)
    async with request.form() as posted:
        form = {k: v for k, v in posted.items() if isinstance(v, str)}
    return _file(request, session, me, "/behov/akut", form)


@router.get("/kommun/akut", response_class=HTMLResponse)
def coordinator_form(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The municipality's acute requests and the form to file one for a home."""
    me = page_user(user, Capability.REPORT_FOR_HOMES)
    homes = _own_homes(session, me)
    return _filing_page(request, session, me, path="/kommun/akut", homes=homes)


@router.post("/kommun/akut", response_class=HTMLResponse)
async def coordinator_file(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """File an acute request for one of the municipality's homes."""
    me = page_user(user, Capability.REPORT_FOR_HOMES)
    async with request.form() as posted:
        form = {k: v for k, v in posted.items() if isinstance(v, str)}
    return _file(request, session, me, "/kommun/akut", form)


def _queue_page(
    request: Request, session: Session, me: User, *, problem: str | None = None
) -> Response:
    requests = list_acute_requests(session, limit=200)
    homes = care_homes_by_id(session, ids={r.care_home_id for r in requests})
    runs = list_extra_runs(session, limit=10)
    job = latest_job(session, kinds=EXTRA_JOBS)
    return render(
        request,
        "pages/acute_county.html",
        me,
        status_code=409 if problem else 200,
        problem=problem,
        requests=requests,
        homes=homes,
        open_count=sum(1 for r in requests if r.status == "open"),
        routes=list_routes(session),
        runs=runs,
        job=job if job and job.status in ("queued", "running", "failed") else None,
        today=utcnow().astimezone(data_settings(request).zone).date(),
    )


@router.get("/lan/akut", response_class=HTMLResponse)
def county_queue(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The acute queue (newest first), the extra rounds and the form to start one."""
    return _queue_page(request, session, page_user(user, Capability.ALLOCATE))


@router.post("/lan/akut/{request_id}/avsla", response_class=HTMLResponse)
def decline(
    request_id: IdPath,
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    skal: Annotated[str, Form()] = "",
) -> Response:
    """Decline an open request with a reason the home sees."""
    me = page_user(user, Capability.ALLOCATE)
    if not skal.strip():
        return _queue_page(request, session, me, problem="Ange ett skäl; boendet ser det.")
    try:
        decline_acute_request(
            session, request_id=request_id, reason=skal, actor=me.username, now=utcnow()
        )
    except NotFound:
        return _queue_page(request, session, me, problem="Begäran finns inte.")
    except Conflict:
        return _queue_page(request, session, me, problem="Begäran är redan avgjord.")
    return see_other("/lan/akut?klart=avslag")


@router.post("/lan/akut/extra", response_class=HTMLResponse)
def start_extra(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    rutt: Annotated[str, Form()] = "",
    avgang: Annotated[str, Form()] = "",
) -> Response:
    """Queue an extra round over every open request, on the route and departure picked."""
    me = page_user(user, Capability.ALLOCATE)
    if rutt not in {r.code for r in list_routes(session)}:
        return _queue_page(
            request, session, me, problem="Välj rutten som kör den extra leveransen."
        )
    parts = avgang.strip().split(":")
    if (
        len(parts) != 2
        or not all(p.isdigit() for p in parts)
        or int(parts[0]) > 23
        or int(parts[1]) > 59
    ):
        return _queue_page(request, session, me, problem="Ange avgångstid som TT:MM, t.ex. 15:30.")
    if not list_acute_requests(session, status="open", limit=1):
        return _queue_page(request, session, me, problem="Inga öppna akuta behov att fördela.")
    day = utcnow().astimezone(data_settings(request).zone).date()
    params = {"delivery_date": day.isoformat(), "route": rutt, "departure": avgang.strip()}
    enqueue_job(session, kind="extra_allocate", params=params, actor=me.username, now=utcnow())
    return see_other("/lan/akut?klart=extra")


def _run_page(
    request: Request, session: Session, me: User, run_id: str, problem: str | None = None
) -> Response:
    try:
        run = get_run(session, run_id=run_id)
    except NotFound:
        run = None
    if run is None or run.kind != "extra":
        raise NotFound("extra run", run_id)
    lines = run_lines_with_home_names(session, run_id=run.id)
    return render(
        request,
        "pages/acute_run.html",
        me,
        status_code=409 if problem else 200,
        problem=problem,
        run=run,
        extra=run.inputs.get("extra") or {},
        lines=lines,
        requests=extra_requests(session, run=run),
    )


@router.get("/lan/akut/korning/{run_id}", response_class=HTMLResponse)
def extra_run(run_id: str, request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """An extra round's draft (or approved run): who gets what and why."""
    return _run_page(request, session, page_user(user, Capability.ALLOCATE), run_id)


@router.post("/lan/akut/korning/{run_id}/godkann", response_class=HTMLResponse)
def approve_extra(
    run_id: str, request: Request, session: SessionDep, user: OptionalUser
) -> Response:
    """Queue the approval: stock reserved, the extra delivery made, the rest escalated."""
    me = page_user(user, Capability.ALLOCATE)
    run = get_run(session, run_id=run_id)
    if run.kind != "extra":
        raise NotFound("extra run", run_id)
    if run.status != "draft":
        return _run_page(request, session, me, run_id, problem="Körningen är redan godkänd.")
    if any(r.status != "open" for r in extra_requests(session, run=run)):
        problem = (
            "Några av behoven har avgjorts sedan körningen gjordes; gör en ny extra fördelning."
        )
        return _run_page(request, session, me, run_id, problem=problem)
    enqueue_job(
        session,
        kind="extra_approve",
        params={"run_id": run.id},
        actor=me.username,
        now=utcnow(),
    )
    return see_other("/lan/akut?klart=extra-godkann")
