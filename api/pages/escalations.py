"""Escalations (``/lan/eskaleringar``): the requests for support to the national agency.

One open request per item, updated round by round (issue 13). The list shows the requests a
round opened or updated (``?datum=``; default the latest round that escalated): item, what is
asked (the running balance), homes with confirmed cases, days of supply, the region's stock, what
the agency sent, the status, how the latest version fares in the outbox (or, when no transport is
configured, that and why it is not sent) and the history per round. The county coordinator moves
the status forward as the agency answers, and downloads each request as JSON (what the outbox
sends), CSV or PDF.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import OptionalUser, SessionDep
from api.pages.common import data_settings, named_problem, page_user, render, see_other
from api.pages.form_numbers import number_problem, whole_number
from api.pages.round_picker import choose_round
from api.transaction import TransactionRoute
from data.access.roles import Capability
from data.clock import utcnow
from data.errors import Conflict, NotFound, ValidationFailed
from data.escalations.reads import latest_escalated_round
from data.escalations.requests import (
    get_escalation,
    list_escalations,
    record_agency_answer,
    record_agency_delivery,
    request_states,
    set_escalation_status,
)
from data.models import User
from data.models.cycle import ESCALATION_STATUSES
from data.reference.catalogue import items_by_code
from data.reference.regions import region_details
from jobs.documents import encode_csv, escalation_to_json, escalations_csv, render_escalation_pdf
from jobs.documents.from_escalations import escalation_document
from jobs.outreach.transports import Transports

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute)

NEEDED = Capability.ALLOCATE


NOTICES = {
    "svar": "Socialstyrelsens svar är registrerat.",
    "mottaget": "Leveransen från Socialstyrelsen är inlagd i lagret.",
}
FIELDS_SV = {
    "quantity": "Antal",
    "expected_delivery": "Väntas",
    "agency_reference": "Referens",
    "note": "Anteckning",
    "lot": "Batch/lot",
    "expiry": "Bäst före",
}


def _problem(prefix: str, exc: ValidationFailed) -> str:
    return named_problem(prefix, exc, FIELDS_SV)


def _page(
    request: Request,
    session: Session,
    me: User,
    problem: str | None = None,
    datum: str | None = None,
) -> Response:
    chosen = choose_round(request, session, datum, default=latest_escalated_round(session))
    extra: dict[str, object] = {}
    notice = NOTICES.get(request.query_params.get("klart", ""))
    if notice and not problem:
        extra["notice"] = notice
    escalations = list_escalations(session, round_date=chosen.round_date)
    return render(
        request,
        "pages/escalations.html",
        me,
        status_code=409 if problem else chosen.status_code,
        problem=problem or chosen.problem,
        chosen=chosen,
        picker_path="/lan/eskaleringar",
        round_date=chosen.round_date,
        escalations=escalations,
        items=items_by_code(session),
        statuses=ESCALATION_STATUSES,
        states=request_states(session, escalations=escalations),
        route=Transports.from_environment().escalation_route(region_details(session)),
        **extra,
    )


@router.get("/lan/eskaleringar", response_class=HTMLResponse)
def escalations_page(
    request: Request, session: SessionDep, user: OptionalUser, datum: str | None = None
) -> Response:
    """A round's escalations (``datum``; default the latest round that escalated anything)."""
    return _page(request, session, page_user(user, NEEDED), datum=datum)


@router.get("/lan/eskaleringar/{reference}.{kind}")
def download(reference: str, kind: str, session: SessionDep, user: OptionalUser) -> Response:
    """One request for support as JSON, CSV or PDF."""
    page_user(user, NEEDED)
    escalation = get_escalation(session, reference=reference)
    document = escalation_document(session, escalation)
    if kind == "json":
        body = json.dumps(escalation_to_json(document), ensure_ascii=False, indent=2).encode()
        media = "application/json"
    elif kind == "csv":
        body = encode_csv(escalations_csv([document]))
        media = "text/csv; charset=utf-8"
    elif kind == "pdf":
        body = render_escalation_pdf(document)
        media = "application/pdf"
    else:
        raise HTTPException(status_code=404)
    disposition = f'attachment; filename="{reference}.{kind}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


@router.post("/lan/eskaleringar/{reference}/status", response_class=HTMLResponse)
def change_status(
    reference: str,
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    status: Annotated[str, Form()] = "",
    agency_reference: Annotated[str, Form()] = "",
) -> Response:
    """Move the request's status forward (the agency acknowledged it, or met it)."""
    me = page_user(user, NEEDED)
    try:
        set_escalation_status(  # checks before it writes: nothing to undo on a refusal
            session,
            reference=reference,
            status=status,
            actor=me.username,
            agency_reference=agency_reference.strip() or None,
            now=utcnow(),
        )
    except (Conflict, ValidationFailed) as exc:
        return _page(request, session, me, problem=f"Status ändrades inte: {exc}")
    except NotFound:
        return _page(request, session, me, problem=f"Status ändrades inte: {reference} finns inte.")
    changed = get_escalation(session, reference=reference)
    return see_other(f"/lan/eskaleringar?datum={changed.round_date.isoformat()}&klart=eskalering")


def _back(session: Session, reference: str, done: str) -> Response:
    changed = get_escalation(session, reference=reference)
    return see_other(
        f"/lan/eskaleringar?datum={changed.round_date.isoformat()}&klart={done}#{reference}"
    )


@router.post("/lan/eskaleringar/{reference}/svar", response_class=HTMLResponse)
def record_answer(
    reference: str,
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    antal: Annotated[str, Form(max_length=100)] = "",
    leverans: Annotated[str, Form(max_length=100)] = "",
    referens: Annotated[str, Form(max_length=200)] = "",
    anteckning: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Record the agency's answer: how many units it will send and when."""
    me = page_user(user, NEEDED)
    now = utcnow()
    today = now.astimezone(data_settings(request).zone).date()
    prefix = f"Svaret på {reference} registrerades inte"
    quantity = whole_number(antal)
    if quantity is None:
        return _page(
            request, session, me, problem=f"{prefix}: Antal: {number_problem(antal, whole=True)}"
        )
    expected = None
    if leverans.strip():
        try:
            expected = date.fromisoformat(leverans.strip())
        except ValueError:
            return _page(
                request,
                session,
                me,
                problem=f"{prefix}: Väntas: «{leverans.strip()}» är inget datum (ÅÅÅÅ-MM-DD).",
            )
    try:
        record_agency_answer(  # checks before it writes: nothing to undo on a refusal
            session,
            reference=reference,
            quantity=quantity,
            expected_delivery=expected,
            agency_reference=referens,
            note=anteckning,
            actor=me.username,
            today=today,
            now=now,
        )
    except ValidationFailed as exc:
        return _page(request, session, me, problem=_problem(prefix, exc))
    except NotFound:
        return _page(request, session, me, problem=f"{prefix}: {reference} finns inte.")
    return _back(session, reference, "svar")


@router.post("/lan/eskaleringar/{reference}/leverans", response_class=HTMLResponse)
def receive_delivery(
    reference: str,
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    antal: Annotated[str, Form(max_length=100)] = "",
    parti: Annotated[str, Form(max_length=200)] = "",
    bast_fore: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Take what the agency delivered into stock against the request."""
    me = page_user(user, NEEDED)
    now = utcnow()
    today = now.astimezone(data_settings(request).zone).date()
    prefix = f"Leveransen mot {reference} registrerades inte"
    quantity = whole_number(antal)
    problem = None
    if quantity is None:
        problem = f"Antal: {number_problem(antal, whole=True)}"
    elif quantity <= 0:
        problem = "Antal: ange ett antal större än 0."
    elif not parti.strip():
        problem = "Batch/lot: ange batch/lot som står på leveransen."
    elif len(parti.strip()) > 64:
        problem = f"Batch/lot: högst 64 tecken ({len(parti.strip())} angivna)."
    expiry = None
    if problem is None and bast_fore.strip():
        try:
            expiry = date.fromisoformat(bast_fore.strip())
        except ValueError:
            problem = f"Bäst före: «{bast_fore.strip()}» är inget datum (ÅÅÅÅ-MM-DD)."
        else:
            if expiry < today:
                problem = (
                    f"Bäst före: {expiry.isoformat()} har redan passerat; utgångna varor tas "
                    "inte in i lagret."
                )
    if problem is not None or quantity is None:
        return _page(request, session, me, problem=f"{prefix}: {problem}")
    try:  # checks before it writes (the request, then the receipt): nothing to undo
        record_agency_delivery(
            session,
            reference=reference,
            lot=parti.strip(),
            expiry=expiry,
            quantity=quantity,
            actor=me.username,
            now=now,
        )
    except ValidationFailed as exc:
        return _page(request, session, me, problem=_problem(prefix, exc))
    except NotFound:
        return _page(request, session, me, problem=f"{prefix}: {reference} finns inte.")
    return _back(session, reference, "mottaget")
