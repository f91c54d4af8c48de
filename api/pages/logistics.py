"""Logistics (``/logistik``): the day's routes, printable pick lists and delivery notes, dispatch
(and its undo, with a reason, until a delivery is recorded), and the proof-of-delivery form per
stop (accepted / short / damaged per line, with a reason).

The day shown is the one picked with ``?datum=`` (``?dag=`` still works; a date field and the
latest 14 rounds), else the first delivery day from today on that has manifests (else the
latest). Documents are the same PDFs ``fordela manifests`` writes.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import OptionalUser, SessionDep
from api.pages.common import ZONE_SETTINGS, page_user, render, see_other, swedish
from api.pages.form_numbers import whole_number
from api.pages.round_picker import choose_round
from api.transaction import TransactionRoute
from data.access.roles import Capability
from data.clock import utcnow
from data.errors import Conflict, ValidationFailed
from data.logistics.deliveries import (
    DeliveredLine,
    dispatch_manifest,
    record_stop_delivery,
    undo_dispatch,
)
from data.logistics.manifests import get_manifest, list_manifests
from data.logistics.reads import get_stop
from data.models import ManifestStop, User
from data.overview.county import manifest_days, municipality_names
from data.reference.catalogue import items_by_code
from jobs.documents.stored import stored_delivery_note, stored_pick_list

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute)

NEEDED = Capability.DELIVER


def _first_delivery_day(session: Session) -> date | None:
    """The first day from today on with manifests, else the latest with any, else None."""
    days = manifest_days(session)
    today = utcnow().astimezone(ZONE_SETTINGS.zone).date()
    upcoming = [d for d in days if d >= today]
    return min(upcoming) if upcoming else (days[0] if days else None)


@router.get("/logistik", response_class=HTMLResponse)
def routes_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    datum: str | None = None,
    dag: str | None = None,
) -> Response:
    """The day's routes with their stops, documents and status (``datum``, or the older ``dag``)."""
    me = page_user(user, NEEDED)
    chosen = choose_round(request, session, datum or dag, default=_first_delivery_day(session))
    day = chosen.round_date
    manifests = list_manifests(session, round_date=day)
    return render(
        request,
        "pages/logistics.html",
        me,
        status_code=chosen.status_code,
        problem=chosen.problem,
        chosen=chosen,
        picker_path="/logistik",
        day=day,
        manifests=manifests,
        places=municipality_names(session),
    )


def _pdf(body: bytes, name: str) -> Response:
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.get("/logistik/plocklista/{manifest_id}.pdf")
def pick_list_pdf(manifest_id: int, session: SessionDep, user: OptionalUser) -> Response:
    """The route's pick list (A4 PDF), as stored when the run was approved."""
    page_user(user, NEEDED)
    stored = stored_pick_list(session, manifest_id=manifest_id)
    return _pdf(stored.content, stored.filename)


def _stop(session: Session, stop_id: int) -> ManifestStop:
    return get_stop(session, stop_id=stop_id)


@router.get("/logistik/foljesedel/{stop_id}.pdf")
def delivery_note_pdf(stop_id: int, session: SessionDep, user: OptionalUser) -> Response:
    """The stop's delivery note (följesedel, A4 PDF), as stored when the run was approved."""
    page_user(user, NEEDED)
    stored = stored_delivery_note(session, stop_id=stop_id)
    return _pdf(stored.content, stored.filename)


@router.post("/logistik/{manifest_id}/utlastad")
def dispatch(
    manifest_id: int, session: SessionDep, user: OptionalUser, bekrafta: Annotated[str, Form()] = ""
) -> Response:
    """Mark the route dispatched (its lots leave the store), once it is confirmed."""
    me = page_user(user, NEEDED)
    if bekrafta != "ja":
        # Dispatch moves stock out and cannot be undone here: a stray click must not do it.
        manifest = get_manifest(session, manifest_id=manifest_id)
        day = manifest.round_date.isoformat()
        return see_other(f"/logistik?datum={day}&klart=ej-utlastad#rutt-{manifest.route_code}")
    try:
        # A savepoint: dispatch moves stock lot by lot; a refusal half-way must leave none.
        with session.begin_nested():
            manifest = dispatch_manifest(
                session, actor=me.username, manifest_id=manifest_id, now=utcnow()
            )
    except Conflict:
        return see_other("/logistik")
    return see_other(f"/logistik?datum={manifest.round_date.isoformat()}&klart=utlastad")


@router.post("/logistik/{manifest_id}/angra-utlastning", response_class=HTMLResponse)
def undo_dispatch_page(
    manifest_id: int,
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    bekrafta: Annotated[str, Form()] = "",
    skal: Annotated[str, Form()] = "",
) -> Response:
    """Undo the route's dispatch (confirmed, with a reason) while no delivery is recorded."""
    me = page_user(user, NEEDED)
    manifest = get_manifest(session, manifest_id=manifest_id)
    day = manifest.round_date
    problem: str | None = None
    if bekrafta != "ja" or not skal.strip():
        problem = (
            f"Utlastningen av rutt {manifest.route_code} är inte ångrad: kryssa i rutan och "
            "ange ett skäl."
        )
    else:
        try:
            # A savepoint: the undo moves stock lot by lot; a refusal half-way must leave none.
            with session.begin_nested():
                undo_dispatch(
                    session, actor=me.username, manifest_id=manifest_id, reason=skal, now=utcnow()
                )
        except (Conflict, ValidationFailed) as exc:
            detail = (
                "; ".join(swedish(i["message"]) for i in exc.errors)
                if isinstance(exc, ValidationFailed)
                else str(exc)
            )
            problem = f"Utlastningen är inte ångrad: {detail}."
    if problem is None:
        return see_other(
            f"/logistik?datum={day.isoformat()}&klart=angrad#rutt-{manifest.route_code}"
        )
    chosen = choose_round(request, session, day.isoformat(), default=day)
    return render(
        request,
        "pages/logistics.html",
        me,
        status_code=409,
        problem=problem,
        chosen=chosen,
        picker_path="/logistik",
        day=day,
        manifests=list_manifests(session, round_date=day),
        places=municipality_names(session),
        undo_reason={manifest_id: skal},
    )


def _delivery_page(
    request: Request,
    session: Session,
    me: User,
    stop: ManifestStop,
    *,
    posted: dict[str, str] | None = None,
    errors: list[str] | None = None,
) -> Response:
    manifest = get_manifest(session, manifest_id=stop.manifest_id)
    current = next(s for s in manifest.stops if s.id == stop.id)
    items = items_by_code(session)
    return render(
        request,
        "pages/delivery.html",
        me,
        status_code=422 if errors else 200,
        manifest=manifest,
        stop=current,
        items=items,
        place=municipality_names(session).get(current.municipality_code, ""),
        posted=posted or {},
        errors=errors or [],
        problem="Leveransen registrerades inte: " + "; ".join(errors) if errors else None,
    )


@router.get("/logistik/stopp/{stop_id}", response_class=HTMLResponse)
def delivery_form(
    stop_id: int, request: Request, session: SessionDep, user: OptionalUser
) -> Response:
    """The proof-of-delivery form for one stop."""
    me = page_user(user, NEEDED)
    return _delivery_page(request, session, me, _stop(session, stop_id))


def _count(raw: str) -> int | None:
    raw = raw.strip()
    if raw == "":
        return 0
    return whole_number(raw)


@router.post("/logistik/stopp/{stop_id}", response_class=HTMLResponse)
async def record_delivery(
    stop_id: int, request: Request, session: SessionDep, user: OptionalUser
) -> Response:
    """Record the stop's proof of delivery; any line with a discrepancy needs a reason."""
    me = page_user(user, NEEDED)
    async with request.form() as posted:
        form = {k: v for k, v in posted.items() if isinstance(v, str)}
    return await run_in_threadpool(_record, request, session, me, stop_id, form)


def _record(
    request: Request, session: Session, me: User, stop_id: int, form: dict[str, str]
) -> Response:
    stop = _stop(session, stop_id)
    lines: list[DeliveredLine] = []
    errors: list[str] = []
    for line in stop.lines:
        key = str(line.id)
        typed = {"saknas": form.get(f"short_{key}", ""), "skadat": form.get(f"damaged_{key}", "")}
        short, damaged = _count(typed["saknas"]), _count(typed["skadat"])
        if short is None or damaged is None:
            errors.extend(
                f"{line.item_code} {line.lot}, {label}: «{raw.strip()}» – "
                "ange hela tal, 0 eller större"
                for label, raw in typed.items()
                if _count(raw) is None
            )
            continue
        reason = form.get(f"reason_{key}", "").strip() or None
        if short + damaged > line.units:
            errors.append(
                f"{line.item_code} {line.lot}: fler saknade/skadade än lastade ({line.units})"
            )
            continue
        lines.append(
            DeliveredLine(
                line.item_code, line.lot, accepted=None, short=short, damaged=damaged, reason=reason
            )
        )
    received_by = form.get("received_by", "").strip()
    if not received_by:
        errors.append("ange vem som tog emot leveransen")
    if not errors:
        try:
            # A savepoint: the stop is written line by line with stock movements, and a refusal
            # after some of them must not leave them (the page then shows the form again).
            with session.begin_nested():
                record_stop_delivery(
                    session,
                    confirmation_code=stop.confirmation_code,
                    lines=lines,
                    received_by=received_by,
                    actor=me.username,
                    now=utcnow(),
                )
        except ValidationFailed as exc:
            errors = [swedish(issue["message"]) for issue in exc.errors]
        except Conflict as exc:
            errors = [str(exc)]
    if errors:
        return _delivery_page(request, session, me, stop, posted=form, errors=errors)
    manifest = get_manifest(session, manifest_id=stop.manifest_id)
    return see_other(f"/logistik?datum={manifest.round_date.isoformat()}&klart=levererad")
