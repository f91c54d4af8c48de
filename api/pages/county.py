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
from sqlalchemy.orm import Session

from api.charts import bucket_chart, item_fill_chart, need_stock_chart, number_sv
from api.deps import OptionalUser, SessionDep
from api.pages.common import data_settings, page_user, render, see_other, swedish
from api.pages.form_numbers import number_problem, whole_number
from api.pages.round_picker import choose_round
from api.transaction import TransactionRoute
from data.access.roles import Capability
from data.clock import utcnow
from data.errors import ValidationFailed
from data.models import User
from data.overview.county import (
    BUCKETS,
    item_positions,
    municipality_item_fill,
    round_run,
    supply_buckets,
)
from data.overview.summary import round_summary
from data.reference.catalogue import find_item, list_items
from data.stock.ledger import MAX_MOVEMENT, balances, record_receipt

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute)

OVERVIEW = Capability.FOLLOW_UP


@router.get("/lan", response_class=HTMLResponse)
def dashboard(
    request: Request, session: SessionDep, user: OptionalUser, datum: str | None = None
) -> Response:
    """A round's needs against stock, days of supply and fill per municipality."""
    me = page_user(user, OVERVIEW)
    chosen = choose_round(request, session, datum)
    round_date, cutoff = chosen.round_date, chosen.cutoff
    run = round_run(session, round_date=round_date)
    approved = run.id if run and run.status == "approved" else None
    items = item_positions(session, round_date=round_date, approved_run_id=approved)
    buckets = supply_buckets(session, round_date=round_date)
    fill = municipality_item_fill(session, run_id=run.id) if run else []
    shown = [i for i in items if i.requested or i.in_stock]
    # Only items some municipality did not get in full: the rest would be columns of 100 %.
    short_items = sorted({code for f in fill for code in f.items if (f.fill(code) or 1.0) < 1.0})
    lowest = [(f.name, *(f.lowest or (None, None))) for f in fill]
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
        items_short=[i for i in shown if i.shortfall],
        buckets=buckets,
        bucket_names=BUCKETS,
        run=run,
        fill=fill,
        short_items=short_items,
        need_chart=need_stock_chart([(i.code, i.requested, i.in_stock) for i in shown]),
        bucket_chart=bucket_chart(
            [(b.name, [*(b.counts[n] for n in BUCKETS), b.unknown]) for b in buckets],
            [*(f"{n} dagar" for n in BUCKETS), "okänt"],
        ),
        fill_chart=item_fill_chart(lowest) if fill else None,
    )


UNIT_WORDS = {"st": "st", "l": "liter"}


def _stock_page(
    request: Request,
    session: Session,
    me: User,
    *,
    errors: dict[str, str] | None = None,
    posted: dict[str, str] | None = None,
    confirm: str | None = None,
) -> Response:
    items = list_items(session)
    chosen = next((i for i in items if i.code == (posted or {}).get("item")), None)
    return render(
        request,
        "pages/stock.html",
        me,
        status_code=422 if errors or confirm else 200,
        items=items,
        unit_label=UNIT_WORDS.get(chosen.unit, chosen.unit) if chosen else "st eller liter",
        lots=balances(session),
        errors=errors or {},
        posted=posted or {},
        confirm=confirm,
        problem="Inleveransen registrerades inte: rätta fälten." if errors else None,
    )


@router.get("/lan/lager", response_class=HTMLResponse)
def stock_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """Balances per lot and the receipt form."""
    return _stock_page(request, session, page_user(user, Capability.ALLOCATE))


def _receipt_errors(form: dict[str, str], today: date) -> tuple[dict[str, str], int, date | None]:
    errors: dict[str, str] = {}
    for name, label in (("item", "Välj en artikel."), ("lot", "Ange batch/lot.")):
        if not form.get(name, "").strip():
            errors[name] = label
    if not form.get("supplier", "").strip():
        errors["supplier"] = "Ange leverantör."
    raw = form.get("quantity", "").strip()
    quantity = whole_number(raw)
    if quantity is None:
        errors["quantity"] = number_problem(raw, whole=True)
    elif quantity <= 0:
        errors["quantity"] = "Ange ett antal större än 0."
    elif quantity > MAX_MOVEMENT:
        errors["quantity"] = (
            f"{number_sv(quantity)} är fler än en inleverans kan vara "
            f"(högst {number_sv(MAX_MOVEMENT)}): kontrollera antalet nollor."
        )
    expiry: date | None = None
    if form.get("expiry"):
        try:
            expiry = date.fromisoformat(form["expiry"])
        except ValueError:
            errors["expiry"] = "Ange datum som ÅÅÅÅ-MM-DD."
    if expiry is not None and expiry < today:
        # Expired equipment must not be shared out; it is not stock the county can allocate.
        errors["expiry"] = (
            f"Bäst före {expiry.isoformat()} har redan passerat: utgångna varor tas inte in "
            "i lagret."
        )
    return errors, quantity or 0, expiry


def _odd_packs(session: Session, item_code: str, quantity: int) -> str | None:
    """Why a receipt that is not whole packs needs a reason (None when it is whole packs)."""
    item = find_item(session, code=item_code)
    if item is None or item.pack_size <= 1 or quantity % item.pack_size == 0:
        return None
    packs, rest = divmod(quantity, item.pack_size)
    unit = UNIT_WORDS.get(item.unit, item.unit)
    return (
        f"{number_sv(quantity)} {unit} {item.code} är inte hela förpackningar à "
        f"{number_sv(item.pack_size)} ({number_sv(packs)} förp. och {number_sv(rest)} {unit} "
        "över). Kontrollera antalet, eller ange varför och registrera ändå."
    )


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
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Record a stock receipt (one ledger entry and an audit row)."""
    me = page_user(user, Capability.ALLOCATE)
    form = {
        "item": item,
        "lot": lot,
        "quantity": quantity,
        "expiry": expiry,
        "supplier": supplier,
        "reason": reason,
    }
    now = utcnow()
    today = now.astimezone(data_settings(request).zone).date()
    errors, units, best_before = _receipt_errors(form, today)
    odd = None if errors else _odd_packs(session, item.strip(), units)
    if odd and not reason.strip():
        return _stock_page(request, session, me, posted=form, confirm=odd)
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
                now=now,
                reason=reason if odd else None,
            )
        except ValidationFailed as exc:
            errors = {issue["field"]: swedish(issue["message"]) for issue in exc.errors}
    if errors:
        return _stock_page(request, session, me, errors=errors, posted=form)
    return see_other("/lan/lager?klart=lager")
