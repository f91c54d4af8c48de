"""The county coordinator's overview (``/lan``), stock receipts (``/lan/lager``) and policy.

The overview of one round (picked with ``?datum=``, default the round needing action) sets its
needs against the stock per item, counts each municipality's reporting homes by days of supply
(0, 1–3, 4–14, 15+) and shows each municipality's fill from the round's run — as server-rendered
SVG charts with the numbers in tables beside them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.charts import bucket_chart, fill_chart, need_stock_chart
from api.deps import OptionalUser, SessionDep
from api.pages.common import page_user, render, see_other
from api.pages.form_numbers import decimal_number, whole_number
from api.pages.round_picker import choose_round
from data.clock import utcnow
from data.dashboard import (
    BUCKETS,
    item_positions,
    municipality_fill,
    round_run,
    supply_buckets,
)
from data.errors import Issue, ValidationFailed
from data.models import Item, Role, User
from data.policy import PolicyValues, get_policy_values, save_policy
from data.stock import balances, record_receipt
from data.summary import round_summary

__all__ = ["router"]

router = APIRouter()

COUNTY = (Role.COUNTY_COORDINATOR, Role.ADMIN)
POLICY_ERRORS = {
    "fairness": "Välj andel av behovet eller dagar till slut.",
    "weight_outbreak": "Ange en vikt över 0 och högst 100.",
    "weight_suspected": "Ange en vikt över 0 och högst 100.",
    "weight_normal": "Ange en vikt över 0 och högst 100.",
    "reserve_fraction": "Ange en reserv från 0 till under 100 %.",
    "target_days": "Ange 1–30 dagar.",
}


@router.get("/lan", response_class=HTMLResponse)
def dashboard(
    request: Request, session: SessionDep, user: OptionalUser, datum: str | None = None
) -> Response:
    """A round's needs against stock, days of supply and fill per municipality."""
    me = page_user(user, *COUNTY)
    chosen = choose_round(request, session, datum)
    round_date, cutoff = chosen.round_date, chosen.cutoff
    run = round_run(session, round_date=round_date)
    approved = run.id if run and run.status == "approved" else None
    items = item_positions(session, round_date=round_date, approved_run_id=approved)
    buckets = supply_buckets(session, round_date=round_date)
    fill = municipality_fill(session, run_id=run.id) if run else []
    shown = [i for i in items if i.requested or i.in_stock]
    return render(
        request,
        "pages/dashboard.html",
        me,
        status_code=chosen.status_code,
        problem=chosen.problem,
        chosen=chosen,
        picker_path="/lan",
        round_date=round_date,
        cutoff=cutoff,
        summary=round_summary(session, round_date=round_date),
        items=shown,
        buckets=buckets,
        bucket_names=BUCKETS,
        run=run,
        fill=fill,
        need_chart=need_stock_chart([(i.code, i.requested, i.in_stock) for i in shown]),
        bucket_chart=bucket_chart(
            [(b.name, [b.counts[n] for n in BUCKETS]) for b in buckets], BUCKETS
        ),
        fill_chart=fill_chart([(f.name, f.fill) for f in fill]) if fill else None,
    )


def _stock_page(
    request: Request,
    session: Session,
    me: User,
    *,
    errors: dict[str, str] | None = None,
    posted: dict[str, str] | None = None,
) -> Response:
    items = list(session.scalars(select(Item).order_by(Item.code)))
    return render(
        request,
        "pages/stock.html",
        me,
        status_code=422 if errors else 200,
        items=items,
        lots=balances(session),
        errors=errors or {},
        posted=posted or {},
        problem="Inleveransen registrerades inte: rätta fälten." if errors else None,
    )


@router.get("/lan/lager", response_class=HTMLResponse)
def stock_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """Balances per lot and the receipt form."""
    return _stock_page(request, session, page_user(user, Role.COUNTY_COORDINATOR))


def _receipt_errors(form: dict[str, str]) -> tuple[dict[str, str], int, date | None]:
    errors: dict[str, str] = {}
    for name, label in (("item", "Välj en artikel."), ("lot", "Ange batch/lot.")):
        if not form.get(name, "").strip():
            errors[name] = label
    if not form.get("supplier", "").strip():
        errors["supplier"] = "Ange leverantör."
    raw = form.get("quantity", "").strip()
    quantity = whole_number(raw) or 0
    if quantity <= 0:
        errors["quantity"] = "Ange ett helt antal större än 0."
    expiry: date | None = None
    if form.get("expiry"):
        try:
            expiry = date.fromisoformat(form["expiry"])
        except ValueError:
            errors["expiry"] = "Ange datum som ÅÅÅÅ-MM-DD."
    return errors, quantity, expiry


@router.post("/lan/lager", response_class=HTMLResponse)
def receive_stock(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    item: Annotated[str, Form()] = "",
    lot: Annotated[str, Form()] = "",
    quantity: Annotated[str, Form()] = "",
    expiry: Annotated[str, Form()] = "",
    supplier: Annotated[str, Form()] = "",
) -> Response:
    """Record a stock receipt (one ledger entry and an audit row)."""
    me = page_user(user, Role.COUNTY_COORDINATOR)
    form = {
        "item": item,
        "lot": lot,
        "quantity": quantity,
        "expiry": expiry,
        "supplier": supplier,
    }
    errors, units, best_before = _receipt_errors(form)
    if not errors:
        try:
            record_receipt(
                session,
                item=item.strip(),
                lot=lot.strip(),
                quantity=units,
                expiry=best_before,
                supplier=supplier.strip(),
                actor=me.username,
                reference="web:lager",
                now=utcnow(),
            )
        except ValidationFailed as exc:
            errors = {issue["field"]: issue["message"] for issue in exc.errors}
    if errors:
        return _stock_page(request, session, me, errors=errors, posted=form)
    return see_other("/lan/lager?klart=lager")


def _policy_page(
    request: Request,
    session: Session,
    me: User,
    values: PolicyValues,
    errors: list[Issue] | None = None,
) -> Response:
    return render(
        request,
        "pages/policy.html",
        me,
        status_code=422 if errors else 200,
        values=values,
        errors={issue["field"]: POLICY_ERRORS[issue["field"]] for issue in errors or []},
        problem="Policyn sparades inte: rätta fälten." if errors else None,
    )


@router.get("/lan/policy", response_class=HTMLResponse)
def policy_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The policy the next run uses."""
    me = page_user(user, Role.COUNTY_COORDINATOR)
    return _policy_page(request, session, me, get_policy_values(session))


def _number(raw: str, default: float) -> float:
    value = decimal_number(raw)
    return default if value is None else value


@router.post("/lan/policy", response_class=HTMLResponse)
def save_policy_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    fairness: Annotated[str, Form()] = "fill",
    weight_outbreak: Annotated[str, Form()] = "",
    weight_suspected: Annotated[str, Form()] = "",
    weight_normal: Annotated[str, Form()] = "",
    reserve_percent: Annotated[str, Form()] = "",
    whole_packs: Annotated[str, Form()] = "",
    target_days: Annotated[str, Form()] = "",
) -> Response:
    """Store the policy; the next run (and the need form's suggestion) use it."""
    me = page_user(user, Role.COUNTY_COORDINATOR)
    values = PolicyValues(
        fairness=fairness,
        weight_outbreak=_number(weight_outbreak, -1),
        weight_suspected=_number(weight_suspected, -1),
        weight_normal=_number(weight_normal, -1),
        reserve_fraction=_number(reserve_percent, -100) / 100,
        whole_packs=whole_packs == "on",
        target_days=int(_number(target_days, 0)),
    )
    try:
        save_policy(session, values=values, actor=me.username, now=utcnow())
    except ValidationFailed as exc:
        return _policy_page(request, session, me, values, exc.errors)
    return see_other("/lan/policy?klart=policy")
