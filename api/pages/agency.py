"""The national agency's pages (Socialstyrelsen, capability ``act_nationally``; issue 13).

- ``/socialstyrelsen`` (the role's start page): every region's open requests for support, newest
  round first and then the most urgent (``data.national.incoming``), with region, item,
  outstanding balance, homes with confirmed cases, days of supply, the history per round and the
  answer in force; *Kvittera* acknowledges a request, *Svara* answers it with a quantity and an
  expected delivery date (partly or fully met). ``?alla=1`` lists met and closed ones too;
- ``/socialstyrelsen/lager``: the agency's own stock (region ``SE``): register a receipt, see
  the lots;
- ``/socialstyrelsen/fordelning``: the national allocation — *Förhandsgranska* shows what each
  request would get (stores nothing), *Kör fördelning* stores a draft, *Godkänn* with the
  expected delivery date turns each share into an answer to the region's request.

The pages are thin: every operation is one ``data.national`` function, the same the REST API
(``api.routes.agency``) calls. Bad input is told in Swedish naming the field; nothing is written
then.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import OptionalUser, SessionDep
from api.pages.common import data_settings, named_problem, page_user, render, see_other, swedish
from api.pages.form_numbers import number_problem, whole_number
from api.transaction import TransactionRoute
from data.access.roles import Capability
from data.clock import utcnow
from data.errors import Conflict, DataError, InsufficientStock, NotFound, ValidationFailed
from data.models import User
from data.national.allocation import (
    NationalPlan,
    approve_national,
    get_national_run,
    latest_national_runs,
    plan_national,
    run_lines,
    run_national,
)
from data.national.incoming import acknowledge_request, answer_request, list_incoming
from data.national.stock import (
    national_balances,
    national_item_balances,
    receive_national_stock,
)
from data.reference.catalogue import list_items

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute)

NEEDED = Capability.ACT_NATIONALLY
HOME = "/socialstyrelsen"

NOTICES = {
    "kvitterad": "Begäran är kvitterad.",
    "svar": "Svaret är registrerat; regionen ser det på sin sida för eskaleringar.",
    "lager": "Inleveransen är registrerad i Socialstyrelsens lager.",
    "korning": "Fördelningen är körd som utkast. Granska och godkänn.",
    "godkand": "Fördelningen är godkänd: varje region har fått sin andel som svar på sin begäran.",
}
FIELDS_SV = {
    "quantity": "Antal",
    "expected_delivery": "Väntas",
    "agency_reference": "Referens",
    "note": "Anteckning",
    "item": "Artikel",
    "lot": "Batch/lot",
    "expiry": "Bäst före",
    "supplier": "Leverantör",
}


def _problem(prefix: str, exc: ValidationFailed) -> str:
    return named_problem(prefix, exc, FIELDS_SV)


def _today(request: Request) -> date:
    return utcnow().astimezone(data_settings(request).zone).date()


def _date(raw: str, label: str) -> tuple[date | None, str | None]:
    """A date field (ÅÅÅÅ-MM-DD; empty is None) or the Swedish problem naming the field."""
    text = raw.strip()
    if not text:
        return None, None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, f"{label}: «{text}» är inget datum (ÅÅÅÅ-MM-DD)."


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("klart", ""))


# --- Incoming requests -------------------------------------------------------------------------


def _incoming_page(
    request: Request, session: Session, me: User, problem: str | None = None
) -> Response:
    everything = request.query_params.get("alla") == "1"
    return render(
        request,
        "agency/requests.html",
        me,
        status_code=409 if problem else 200,
        problem=problem,
        notice=None if problem else _notice(request),
        requests=list_incoming(session, include_closed=everything),
        everything=everything,
        today=_today(request),
    )


@router.get(HOME, response_class=HTMLResponse)
def requests_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """Every region's requests for support, newest and most urgent first."""
    return _incoming_page(request, session, page_user(user, NEEDED))


@router.post(HOME + "/begaran/{region}/{reference}/kvittera", response_class=HTMLResponse)
def acknowledge(
    region: str, reference: str, request: Request, session: SessionDep, user: OptionalUser
) -> Response:
    """Acknowledge a region's request."""
    me = page_user(user, NEEDED)
    try:
        acknowledge_request(
            session, region=region, reference=reference, actor=me.username, now=utcnow()
        )
    except Conflict as exc:
        return _incoming_page(request, session, me, problem=f"Kvitterades inte: {exc}.")
    except NotFound:
        return _incoming_page(
            request, session, me, problem=f"Kvitterades inte: {reference} från {region} finns inte."
        )
    return see_other(f"{HOME}?klart=kvitterad#{region}-{reference}")


@router.post(HOME + "/begaran/{region}/{reference}/svar", response_class=HTMLResponse)
def answer(
    region: str,
    reference: str,
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    antal: Annotated[str, Form(max_length=100)] = "",
    leverans: Annotated[str, Form(max_length=100)] = "",
    referens: Annotated[str, Form(max_length=200)] = "",
    anteckning: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Answer a region's request: how many units the agency sends and when they arrive."""
    me = page_user(user, NEEDED)
    prefix = f"Svaret på {reference} från {region} registrerades inte"
    quantity = whole_number(antal)
    if quantity is None:
        problem = f"{prefix}: Antal: {number_problem(antal, whole=True)}"
        return _incoming_page(request, session, me, problem=problem)
    expected, wrong = _date(leverans, "Väntas")
    if wrong:
        return _incoming_page(request, session, me, problem=f"{prefix}: {wrong}")
    try:
        answer_request(  # checks before it writes: nothing to undo on a refusal
            session,
            region=region,
            reference=reference,
            quantity=quantity,
            expected_delivery=expected,
            agency_reference=referens,
            note=anteckning,
            actor=me.username,
            today=_today(request),
            now=utcnow(),
        )
    except ValidationFailed as exc:
        return _incoming_page(request, session, me, problem=_problem(prefix, exc))
    except Conflict as exc:
        return _incoming_page(request, session, me, problem=f"{prefix}: {exc}.")
    except NotFound:
        return _incoming_page(request, session, me, problem=f"{prefix}: begäran finns inte.")
    return see_other(f"{HOME}?klart=svar#{region}-{reference}")


# --- The agency's stock ------------------------------------------------------------------------


def _stock_page(
    request: Request,
    session: Session,
    me: User,
    errors: dict[str, str] | None = None,
    posted: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "agency/stock.html",
        me,
        status_code=422 if errors else 200,
        notice=None if errors else _notice(request),
        problem="Inleveransen registrerades inte: rätta fälten nedan." if errors else None,
        errors=errors or {},
        posted=posted or {},
        items=list_items(session),
        lots=national_balances(session),
        totals=national_item_balances(session),
    )


@router.get(HOME + "/lager", response_class=HTMLResponse)
def stock_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The agency's own stock and the receipt form."""
    return _stock_page(request, session, page_user(user, NEEDED))


@router.post(HOME + "/lager", response_class=HTMLResponse)
def receive(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    item: Annotated[str, Form(max_length=100)] = "",
    lot: Annotated[str, Form(max_length=200)] = "",
    quantity: Annotated[str, Form(max_length=100)] = "",
    expiry: Annotated[str, Form(max_length=100)] = "",
    supplier: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Register a national purchase into the agency's stock."""
    me = page_user(user, NEEDED)
    posted = {
        "item": item,
        "lot": lot,
        "quantity": quantity,
        "expiry": expiry,
        "supplier": supplier,
    }
    errors: dict[str, str] = {}
    if not item.strip():
        errors["item"] = "Välj en artikel."
    if not lot.strip():
        errors["lot"] = "Ange batch/lot som står på leveransen."
    elif len(lot.strip()) > 64:
        errors["lot"] = f"Högst 64 tecken ({len(lot.strip())} angivna)."
    units = whole_number(quantity)
    if units is None:
        errors["quantity"] = number_problem(quantity, whole=True)
    elif units <= 0:
        errors["quantity"] = "Ange ett antal större än 0."
    if not supplier.strip():
        errors["supplier"] = "Ange leverantör."
    best_before, wrong = _date(expiry, "Bäst före")
    if wrong:
        errors["expiry"] = wrong
    elif best_before is not None and best_before < _today(request):
        errors["expiry"] = f"{best_before.isoformat()} har redan passerat."
    if errors or units is None:
        return _stock_page(request, session, me, errors, posted)
    try:
        receive_national_stock(
            session,
            item=item.strip(),
            lot=lot.strip(),
            quantity=units,
            expiry=best_before,
            supplier=supplier.strip(),
            actor=me.username,
            now=utcnow(),
        )
    except ValidationFailed as exc:
        found = {
            issue["field"]: swedish(issue["message"]) for issue in exc.errors if issue["field"]
        }
        return _stock_page(request, session, me, found or {"item": str(exc)}, posted)
    except NotFound:
        return _stock_page(request, session, me, {"item": "Okänd artikel."}, posted)
    return see_other(f"{HOME}/lager?klart=lager")


# --- The national allocation -------------------------------------------------------------------


def _allocation_page(
    request: Request,
    session: Session,
    me: User,
    problem: str | None = None,
    plan: NationalPlan | None = None,
) -> Response:
    runs = latest_national_runs(session)
    chosen_id = request.query_params.get("korning")
    chosen = None
    if chosen_id:
        try:
            chosen = get_national_run(session, run_id=chosen_id)
        except NotFound:
            problem = problem or f"Körningen {chosen_id} finns inte."
    elif runs:
        chosen = runs[0]
    return render(
        request,
        "agency/allocation.html",
        me,
        status_code=409 if problem else 200,
        problem=problem,
        notice=None if problem else _notice(request),
        plan=plan,
        runs=runs,
        run=chosen,
        lines=run_lines(chosen) if chosen is not None else [],
        open_requests=sum(1 for r in list_incoming(session) if r.outstanding > 0),
        totals=national_item_balances(session),
        today=_today(request),
    )


@router.get(HOME + "/fordelning", response_class=HTMLResponse)
def allocation_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The national runs; ``?forhandsgranska=1`` shows what a run would give now (stores
    nothing), ``?korning=`` one stored run."""
    me = page_user(user, NEEDED)
    if request.query_params.get("forhandsgranska") == "1":
        try:
            plan = plan_national(session, today=_today(request))
        except Conflict as exc:
            return _allocation_page(request, session, me, problem=str(exc))
        return _allocation_page(request, session, me, plan=plan)
    return _allocation_page(request, session, me)


@router.post(HOME + "/fordelning", response_class=HTMLResponse)
def run_allocation(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """Run the national allocation and store it as a draft."""
    me = page_user(user, NEEDED)
    try:
        run = run_national(session, actor=me.username, today=_today(request), now=utcnow())
    except Conflict as exc:
        return _allocation_page(request, session, me, problem=f"Ingen körning: {exc}")
    return see_other(f"{HOME}/fordelning?korning={run.id}&klart=korning")


@router.post(HOME + "/fordelning/{run_id}/godkann", response_class=HTMLResponse)
def approve(
    run_id: str,
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    leverans: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Approve a draft with the expected delivery date the agency gives the regions."""
    me = page_user(user, NEEDED)
    prefix = f"{run_id} godkändes inte"
    expected, wrong = _date(leverans, "Väntas")
    if wrong:
        return _allocation_page(request, session, me, problem=f"{prefix}: {wrong}")
    try:
        approve_national(
            session,
            run_id=run_id,
            expected_delivery=expected,
            actor=me.username,
            today=_today(request),
            now=utcnow(),
        )
    except ValidationFailed as exc:
        return _allocation_page(request, session, me, problem=_problem(prefix, exc))
    except NotFound:
        return _allocation_page(request, session, me, problem=f"{prefix}: körningen finns inte.")
    except (Conflict, InsufficientStock) as exc:
        return _allocation_page(request, session, me, problem=f"{prefix}: {exc}")
    except DataError as exc:  # pragma: no cover - every data error above is named
        return _allocation_page(request, session, me, problem=f"{prefix}: {exc}")
    return see_other(f"{HOME}/fordelning?korning={run_id}&klart=godkand")
