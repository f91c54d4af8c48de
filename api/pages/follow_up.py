"""Follow-up over time (``/lan/uppfoljning``) and the audit log (``/lan/logg``), county and admin.

The follow-up shows one item at a time (units of different items are not added up) for the
county or one municipality over the latest rounds with an approved run: asked, allocated,
delivered and short per round as a chart and a table, the homes short several rounds running,
and the whole breakdown (round × item × municipality) as CSV or Excel. The audit log shows who
changed what, when and why, per kind of record and one record.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from openpyxl import Workbook
from sqlalchemy.orm import Session

from api.charts import trend_chart
from api.deps import OptionalUser, SessionDep
from api.pages.common import page_user, render
from api.pages.form_numbers import whole_number
from api.transaction import TransactionRoute
from data.access.roles import Capability
from data.audit import audit_kinds, audit_page
from data.errors import NotFound
from data.models import Item, Municipality
from data.overview.follow_up import (
    DEFAULT_ROUNDS,
    FollowUpRow,
    follow_up_rounds,
    follow_up_rows,
    short_streaks,
)
from data.reference.catalogue import list_items
from data.reference.places import list_municipalities

__all__ = ["EXPORT_HEADER", "export_rows", "router"]

router = APIRouter(route_class=TransactionRoute)

NEEDED = Capability.FOLLOW_UP
MAX_ROUNDS = 90
LOG_PAGE = 100
EXPORT_HEADER = [
    "leveransdag",
    "artikel",
    "kommunkod",
    "kommun",
    "begärt",
    "tilldelat",
    "levererat",
    "brist",
    "boenden_med_brist",
]


def _rounds(raw: str | None) -> int:
    value = whole_number(raw or "")
    return DEFAULT_ROUNDS if value is None else max(1, min(value, MAX_ROUNDS))


def _choices(session: Session) -> tuple[list[Item], list[Municipality]]:
    items = list_items(session)
    places = list_municipalities(session)
    return items, places


def _known(value: str | None, known: set[str], what: str) -> str | None:
    if not value:
        return None
    if value not in known:
        raise NotFound(what, value)
    return value


@router.get("/lan/uppfoljning", response_class=HTMLResponse)
def follow_up_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    artikel: str | None = None,
    kommun: str | None = None,
    omgangar: str | None = None,
) -> Response:
    """One item over the latest rounds: chart, table, homes short rounds running."""
    me = page_user(user, NEEDED)
    items, places = _choices(session)
    place = _known(kommun, {m.code for m in places}, "municipality")
    rounds = follow_up_rounds(session, rounds=_rounds(omgangar))
    every = follow_up_rows(session, rounds=rounds, municipality=place)
    short_by_item: dict[str, int] = {}
    for row in every:
        short_by_item[row.item] = short_by_item.get(row.item, 0) + row.short
    # Without a choice, the item that was shortest over the period: the one to follow up.
    fallback = max(short_by_item, key=lambda c: (short_by_item[c], c), default=items[0].code)
    item = _known(artikel, {i.code for i in items}, "item") or fallback
    chosen = next(i for i in items if i.code == item)
    per_round = [
        _round_figures(day, [r for r in every if r.round_date == day and r.item == item])
        for day in rounds
    ]
    chart_rows = [(p.day.isoformat(), p.asked, p.allocated, p.delivered) for p in per_round]
    return render(
        request,
        "pages/follow_up.html",
        me,
        items=items,
        places=places,
        item=chosen,
        place=place,
        rounds=rounds,
        per_round=per_round,
        chart=trend_chart(chart_rows, chosen.unit) if per_round else None,
        streaks=short_streaks(session, rounds=rounds, item=item, municipality=place),
        omgangar=_rounds(omgangar),
        query=request.url.query,
    )


@dataclass(frozen=True)
class RoundFigures:
    """One round of the chosen item in the chosen scope."""

    day: date
    asked: int
    allocated: int
    delivered: int | None
    short: int
    homes_short: int


def _round_figures(day: date, rows: list[FollowUpRow]) -> RoundFigures:
    delivered = [r.delivered for r in rows if r.delivered is not None]
    return RoundFigures(
        day=day,
        asked=sum(r.asked for r in rows),
        allocated=sum(r.allocated for r in rows),
        delivered=sum(delivered) if delivered else None,
        short=sum(r.short for r in rows),
        homes_short=sum(r.homes_short for r in rows),
    )


def export_rows(rows: list[FollowUpRow]) -> list[list[Any]]:
    """The export's data rows (``EXPORT_HEADER``): numbers as numbers, dates as ISO text."""
    return [
        [
            r.round_date.isoformat(),
            r.item,
            r.municipality_code,
            r.municipality,
            r.asked,
            r.allocated,
            r.delivered,
            r.short,
            r.homes_short,
        ]
        for r in rows
    ]


@router.get("/lan/uppfoljning.{kind}")
def follow_up_export(
    kind: str,
    session: SessionDep,
    user: OptionalUser,
    artikel: str | None = None,
    kommun: str | None = None,
    omgangar: str | None = None,
) -> Response:
    """Every round × item × municipality of the period (filtered) as CSV or Excel."""
    page_user(user, NEEDED)
    if kind not in ("csv", "xlsx"):
        raise NotFound("export format", kind)
    items, places = _choices(session)
    item = _known(artikel, {i.code for i in items}, "item")
    place = _known(kommun, {m.code for m in places}, "municipality")
    rounds = follow_up_rounds(session, rounds=_rounds(omgangar))
    data = export_rows(follow_up_rows(session, rounds=rounds, item=item, municipality=place))
    name = f"uppfoljning-{rounds[-1].isoformat() if rounds else 'tom'}.{kind}"
    disposition = f'attachment; filename="{name}"'
    if kind == "csv":
        text = io.StringIO()
        writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
        writer.writerow(EXPORT_HEADER)
        writer.writerows(["" if v is None else v for v in row] for row in data)
        body = ("\ufeff" + text.getvalue()).encode("utf-8")
        media = "text/csv; charset=utf-8"
    else:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "uppföljning"
        sheet.append(EXPORT_HEADER)
        for row in data:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        body = out.getvalue()
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


@router.get("/lan/logg", response_class=HTMLResponse)
def audit_log_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    typ: str | None = None,
    post: str | None = None,
    sida: str | None = None,
) -> Response:
    """The audit log, newest first: per kind of record (``typ``) and one record (``post``)."""
    me = page_user(user, NEEDED)
    page_number = max(1, whole_number(sida or "") or 1)
    found = audit_page(
        session,
        entity=typ or None,
        entity_id=post or None,
        limit=LOG_PAGE,
        offset=(page_number - 1) * LOG_PAGE,
    )
    entries, total = found.rows, found.total
    kinds = audit_kinds(session)
    return render(
        request,
        "pages/audit_log.html",
        me,
        entries=entries,
        kinds=kinds,
        typ=typ or "",
        post=post or "",
        page_number=page_number,
        pages=max(1, -(-total // LOG_PAGE)),
        total=total,
    )
