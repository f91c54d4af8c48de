"""The care-home manager's need form (``/behov``) and, after it, the home's allocation.

One row per catalogue item, prefilled from the home's last report (this round's if it has one):
requested, on hand and daily use. The suggested quantity is daily use × the target days (the
county's policy page) less on hand, rounded up to whole packs. The form shows the cut-off and what
happens after it (a report then goes to the next round, marked late), the current version and when
it was last changed. The home comes from the signed-in user, never from the form.

A requested figure above ``REFUSE_DAYS`` days of the most the home could use is not refused
outright: the form comes back with what was typed, a warning naming the line and its limit, and
"Bekräfta" with a required short reason; confirmed, the report is stored and the reason kept in its
audit entry. Hard limits (negative, not whole, above ``MAX_QUANTITY``) stay refusals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.charts import number_sv
from api.deps import OptionalUser, SessionDep
from api.pages.common import (
    NOTICES,
    data_settings,
    page_user,
    render,
    see_other,
    swedish,
)
from api.pages.form_numbers import number_problem, whole_number
from api.pages.round_picker import report_round
from api.transaction import TransactionRoute
from data.access.roles import Capability
from data.clock import utcnow
from data.errors import Issue, NotFound, ValidationFailed
from data.models import CareHome, Item, NeedReport, Situation, User
from data.needs.acute import list_acute_requests
from data.needs.home_view import home_allocation, latest_report
from data.needs.reports import REFUSE_DAYS, is_implausible, submit_need_report
from data.reference.catalogue import list_items
from data.reference.places import get_care_home
from data.rounds.choice import RoundClosed
from data.runs.policy import saved_policy

__all__ = ["router", "suggested_quantity"]

router = APIRouter(route_class=TransactionRoute)


@dataclass(frozen=True)
class FormRow:
    """One item row of the form."""

    code: str
    name: str
    unit: str
    pack_size: int
    requested: str
    on_hand: str
    daily_use: str
    suggested: int | None


def suggested_quantity(
    *, daily_use: int | None, on_hand: int | None, target_days: int, pack_size: int
) -> int | None:
    """Daily use × target days less on hand, up to whole packs (None without a daily use)."""
    if not daily_use:
        return None
    missing = max(0, daily_use * target_days - (on_hand or 0))
    return math.ceil(missing / pack_size) * pack_size


def _home(session: Session, user: User) -> CareHome:
    home = get_care_home(session, care_home_id=user.care_home_id) if user.care_home_id else None
    if home is None:
        raise NotFound("care home", user.care_home_id)
    return home


def _rows(
    items: list[Item], report: NeedReport | None, target_days: int, posted: dict[str, str] | None
) -> list[FormRow]:
    last = {line.item_code: line for line in report.lines} if report else {}
    rows = []
    for item in items:
        line = last.get(item.code)
        values = {
            "requested": str(line.requested) if line else "",
            "on_hand": str(line.on_hand) if line else "",
            "daily_use": str(line.daily_use) if line and line.daily_use is not None else "",
        }
        if posted is not None:
            values = {k: posted.get(f"{k}_{item.code}", "").strip() for k in values}
        rows.append(
            FormRow(
                code=item.code,
                name=item.name_sv,
                unit=item.unit,
                pack_size=item.pack_size,
                suggested=suggested_quantity(
                    daily_use=line.daily_use if line else None,
                    on_hand=line.on_hand if line else None,
                    target_days=target_days,
                    pack_size=item.pack_size,
                ),
                **values,
            )
        )
    return rows


def _page(
    request: Request,
    session: Session,
    user: User,
    *,
    posted: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    warnings: list[Issue] | None = None,
    notice: str | None = None,
    status_code: int | None = None,
    confirm: list[str] | None = None,
    confirm_error: str | None = None,
) -> HTMLResponse:
    home = _home(session, user)
    round_date, cutoff = report_round(request, session)
    report = latest_report(session, care_home_id=home.id, round_date=round_date)
    this_round_report = report if report and report.round_date == round_date else None
    policy = saved_policy(session)
    items = list_items(session, by_category=True)
    allocation = home_allocation(session, care_home_id=home.id)
    situation = (posted or {}).get("situation") or (report.situation if report else "none")
    return render(
        request,
        "pages/need_form.html",
        user,
        status_code=status_code or (422 if errors or problem else 200),
        home=home,
        round_date=round_date,
        cutoff=cutoff,
        report=this_round_report,
        previous=report if this_round_report is None else None,
        rows=_rows(items, report, policy.target_days, posted),
        target_days=policy.target_days,
        situation=situation,
        situations=[s.value for s in Situation],
        errors=errors or {},
        problem=problem,
        warnings=warnings or [],
        allocation=allocation,
        acute=list_acute_requests(session, care_home_id=home.id, limit=5),
        confirm=confirm or [],
        confirm_reason=(posted or {}).get("bekrafta_skal", "").strip(),
        confirm_error=confirm_error,
        **({"notice": notice} if notice else {}),
    )


@router.get("/behov", response_class=HTMLResponse, include_in_schema=False)
def need_form(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The form, prefilled, and the home's latest allocation."""
    me = page_user(user, Capability.REPORT_FOR_OWN_HOME)
    return _page(request, session, me)


def _whole(raw: str, field: str, errors: dict[str, str], *, required: bool) -> int | None:
    if raw == "":
        if required:
            errors[field] = "Fyll i ett antal (0 om inget finns)."
        return None
    value = whole_number(raw)
    if value is None:
        errors[field] = number_problem(raw, whole=True)
    return value


def _lines(
    items: list[Item], form: dict[str, str]
) -> tuple[list[dict[str, int | str]], dict[str, str]]:
    """The posted rows with a requested quantity above 0, and the Swedish errors per field."""
    lines: list[dict[str, int | str]] = []
    errors: dict[str, str] = {}
    for item in items:
        raw = {
            k: form.get(f"{k}_{item.code}", "").strip()
            for k in ("requested", "on_hand", "daily_use")
        }
        if not any(raw.values()):
            continue
        requested = _whole(raw["requested"], f"requested_{item.code}", errors, required=False)
        on_hand = _whole(raw["on_hand"], f"on_hand_{item.code}", errors, required=bool(requested))
        daily_use = _whole(raw["daily_use"], f"daily_use_{item.code}", errors, required=False)
        if requested:
            line: dict[str, int | str] = {"item": item.code, "requested": requested}
            line["on_hand"] = on_hand or 0
            if daily_use is not None:
                line["daily_use"] = daily_use
            lines.append(line)
    return lines, errors


@router.post("/behov", response_class=HTMLResponse, include_in_schema=False)
async def submit_need(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """File (or revise) the home's report for the open round; late → the next round."""
    me = page_user(user, Capability.REPORT_FOR_OWN_HOME)
    async with request.form() as posted:
        form = {k: v for k, v in posted.items() if isinstance(v, str)}
    return await run_in_threadpool(_submit, request, session, me, form)


def _submit(request: Request, session: Session, me: User, form: dict[str, str]) -> Response:
    home = _home(session, me)
    items = list_items(session, by_category=True)
    lines, errors = _lines(items, form)
    situation = form.get("situation", "")
    if situation not in {s.value for s in Situation}:
        errors["situation"] = "Välj boendets läge."
    if not lines and not errors:
        return _page(
            request, session, me, posted=form, problem="Fyll i ett behov för minst en artikel."
        )
    if errors:
        return _page(
            request,
            session,
            me,
            posted=form,
            errors=errors,
            problem="Rapporten skickades inte: rätta de markerade fälten.",
        )
    confirming = form.get("bekrafta") == "ja"
    reason = form.get("bekrafta_skal", "").strip()[:MAX_REASON]
    try:
        submitted = submit_need_report(
            session,
            care_home_id=home.id,
            lines=lines,
            situation=situation,
            submitted_by=me.username,
            now=utcnow(),
            settings=data_settings(request),
            round_date=_round_shown(form.get("round_date", ""), report_round(request, session)[0]),
            confirmed_reason=reason if confirming else None,
        )
    except RoundClosed as exc:
        return _page(request, session, me, posted=form, problem=exc.swedish, status_code=409)
    except ValidationFailed as exc:
        implausible = [issue for issue in exc.errors if is_implausible(issue)]
        only_implausible = len(implausible) == len(exc.errors)
        return _page(
            request,
            session,
            me,
            posted=form,
            errors=_keyed(exc.errors, lines) | _short_implausible(implausible, lines),
            problem=(
                "Rapporten skickades inte: ett antal är orimligt stort. Rätta det, eller "
                "bekräfta att det stämmer med ett skäl."
                if implausible and only_implausible
                else "Rapporten skickades inte: rätta de markerade fälten."
            ),
            confirm=_confirmations(implausible, lines, items, home),
            confirm_error=(
                "Ange ett skäl för att bekräfta antalet."
                if confirming and not reason and implausible
                else None
            ),
        )
    if submitted.warnings:
        return _page(request, session, me, warnings=submitted.warnings, notice=NOTICES["behov"])
    return see_other("/behov?klart=behov")


MAX_REASON = 500
"""The longest confirmation reason kept."""


def _confirmations(
    implausible: list[Issue], lines: list[dict[str, int | str]], items: list[Item], home: CareHome
) -> list[str]:
    """One Swedish warning per implausible line: the item, the figure and the limit."""
    by_code = {item.code: item for item in items}
    shown: list[str] = []
    for issue in implausible:
        number = issue["line"]
        if number is None or not 1 <= number <= len(lines):
            continue
        line = lines[number - 1]
        item = by_code[str(line["item"])]
        limit = math.floor(item.max_daily_per_place * home.places * REFUSE_DAYS)
        shown.append(
            f"{item.name_sv} ({item.code}): {number_sv(int(line['requested']))} {item.unit} är mer "
            f"än gränsen {number_sv(limit)} {item.unit} ({REFUSE_DAYS} dagars högsta "
            f"förbrukning för {home.places} platser)."
        )
    return shown


def _short_implausible(
    implausible: list[Issue], lines: list[dict[str, int | str]]
) -> dict[str, str]:
    """A short field error for each implausible line (the box below the table says why), so a
    long message does not widen the table."""
    return {
        f"requested_{lines[number - 1]['item']}": "Orimligt stort: rätta eller bekräfta nedan."
        for issue in implausible
        if (number := issue["line"]) is not None and 1 <= number <= len(lines)
    }


def _round_shown(raw: str, open_day: date) -> date:
    """The round the form showed when loaded (a report after its cut-off goes late), at most
    the open round: a form cannot file for a later round."""
    try:
        return min(date.fromisoformat(raw), open_day)
    except ValueError:
        return open_day


def _keyed(issues: list[Issue], lines: list[dict[str, int | str]]) -> dict[str, str]:
    """The data layer's issues keyed by form field (``requested_IIR``)."""
    by_line = {n: str(line["item"]) for n, line in enumerate(lines, start=1)}
    keyed: dict[str, str] = {}
    for issue in issues:
        line = issue["line"]
        key = f"{issue['field']}_{by_line[line]}" if line in by_line else issue["field"]
        keyed.setdefault(key, swedish(issue["message"]))
    return keyed
