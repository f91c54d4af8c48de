"""The municipal coordinator's pages: the homes' report status and the CSV/Excel upload.

``/kommun`` lists the municipality's active homes with their report for the open round and the
municipality's allocation (fill) when a run exists. ``/kommun/uppladdning`` takes a file of needs
for many homes: every row is checked first and, if any is wrong, a row-by-row error report is shown
and nothing is stored. The municipality always comes from the signed-in user (the county
coordinator may pick one with ``?kommun=``); a home of another municipality is an error row.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import OptionalUser, SessionDep
from api.pages.common import data_settings, page_user, render, see_other, swedish_issue
from api.pages.round_picker import choose_round, parse_round, report_round
from api.transaction import TransactionRoute
from data.access.roles import Capability, Scope, scope_of
from data.clock import utcnow
from data.errors import Issue, NotFound, ValidationFailed
from data.models import Municipality, User
from data.needs.upload import (
    file_issues,
    parse_need_file,
    store_need_file,
    template_csv,
    template_xlsx,
)
from data.overview.county import home_report_status, municipality_fill, round_run
from data.overview.municipality import home_item_rows, reports_of_homes, stop_items
from data.reference.places import get_municipality
from data.rounds.calendar import place_report
from data.rounds.choice import RoundClosed, is_closed, next_open_round
from jobs.documents.stored import stored_municipality_note

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute)

NEEDED = Capability.FOLLOW_MUNICIPALITY


def _municipality(session: Session, user: User, chosen: str | None) -> Municipality:
    """The user's municipality (another one is 404); the county coordinator may choose one."""
    code = user.municipality_code
    if scope_of(user.role) is Scope.COUNTY:
        code = chosen or "0180"
    elif chosen and chosen != code:
        raise NotFound("municipality", chosen)
    if not code:
        raise NotFound("municipality", code)
    return get_municipality(session, code=code)


FILTERS = {"alla": "Alla boenden", "saknas": "Utan rapport", "rapporterat": "Med rapport"}


def _default_round(session: Session, reporting: date, today: date) -> date:
    """Today's round once it has a run (what the homes get today), else the one taking reports."""
    return today if round_run(session, round_date=today) is not None else reporting


def _upload_notice(request: Request) -> str | None:
    homes, lines = request.query_params.get("boenden", ""), request.query_params.get("rader", "")
    if request.query_params.get("klart") != "uppladdning" or not (homes + lines).isdigit():
        return None
    return f"Filen är inläst: {homes} boenden och {lines} rader sparades."


@router.get("/kommun", response_class=HTMLResponse)
def municipality_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    kommun: str | None = None,
    datum: str | None = None,
    visa: str = "alla",
    sok: str = "",
) -> Response:
    """A round's homes, unreported first (filter ``visa``, name search ``sok``), per home and item
    what was asked, allocated and delivered, and the municipality's delivery note."""
    me = page_user(user, NEEDED)
    place = _municipality(session, me, kommun)
    reporting, _reporting_cutoff = report_round(request, session)
    today = utcnow().astimezone(data_settings(request).zone).date()
    chosen = choose_round(
        request, session, datum, default=_default_round(session, reporting, today)
    )
    round_date = chosen.round_date
    homes = home_report_status(session, round_date=round_date, municipality_code=place.code)
    wanted = sok.strip().casefold()
    shown = [
        h
        for h in sorted(homes, key=lambda h: (h.version is not None, h.name, h.id))
        if (visa != "saknas" or h.version is None)
        and (visa != "rapporterat" or h.version is not None)
        and (not wanted or wanted in h.name.casefold() or wanted in h.id.casefold())
    ]
    run = round_run(session, round_date=round_date)
    fill = municipality_fill(session, run_id=run.id, municipality_code=place.code) if run else []
    rows = home_item_rows(
        session, round_date=round_date, municipality_code=place.code, run_id=run.id if run else None
    )
    county = scope_of(me.role) is Scope.COUNTY
    notice = _upload_notice(request)
    return render(
        request,
        "pages/municipality.html",
        me,
        status_code=chosen.status_code,
        problem=chosen.problem,
        chosen=chosen,
        picker_path="/kommun",
        picker_keep={"kommun": place.code} if county else {},
        place=place,
        round_date=round_date,
        cutoff=chosen.cutoff,
        reporting=reporting,
        homes=homes,
        shown=shown,
        visa=visa if visa in FILTERS else "alla",
        filters=FILTERS,
        sok=sok,
        reported=sum(1 for h in homes if h.version),
        run=run,
        fill=fill[0] if fill else None,
        rows=[r for r in rows if not wanted or wanted in r.home_name.casefold()],
        stop=stop_items(session, run_id=run.id, municipality_code=place.code)
        if run and run.status == "approved"
        else [],
        kommun_query=f"&kommun={place.code}" if county else "",
        **({"notice": notice} if notice else {}),
    )


@router.get("/kommun/foljesedel.pdf")
def delivery_note(
    session: SessionDep, user: OptionalUser, datum: str = "", kommun: str | None = None
) -> Response:
    """The municipality's delivery note for a round (A4 PDF), with its per-home split."""
    me = page_user(user, NEEDED)
    place = _municipality(session, me, kommun)
    try:
        round_date = parse_round(datum)
    except ValueError:
        round_date = None
    if round_date is None:
        raise NotFound("delivery note for the round", datum)
    stored = stored_municipality_note(session, round_date=round_date, municipality_code=place.code)
    name = f"foljesedel-{round_date}-{place.code}.pdf"
    return Response(
        stored.content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.get("/kommun/uppladdning", response_class=HTMLResponse)
def upload_form(
    request: Request, session: SessionDep, user: OptionalUser, kommun: str | None = None
) -> Response:
    """The upload form with links to the templates."""
    me = page_user(user, NEEDED)
    place = _municipality(session, me, kommun)
    round_date, cutoff = report_round(request, session)
    return render(
        request, "pages/upload.html", me, place=place, round_date=round_date, cutoff=cutoff
    )


@router.get("/kommun/mall.{kind}")
def upload_template(
    kind: str, session: SessionDep, user: OptionalUser, kommun: str | None = None
) -> Response:
    """The upload template as CSV or Excel, with the municipality's first homes as examples."""
    me = page_user(user, NEEDED)
    place = _municipality(session, me, kommun)
    if kind == "csv":
        body = template_csv(session, municipality_code=place.code)
        media = "text/csv; charset=utf-8"
    elif kind == "xlsx":
        body = template_xlsx(session, municipality_code=place.code)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise HTTPException(status_code=404)
    disposition = f'attachment; filename="behov-{place.code}.{kind}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


@router.post("/kommun/uppladdning", response_class=HTMLResponse)
def upload(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    fil: Annotated[UploadFile | None, File()] = None,
    round_date: Annotated[str, Form()] = "",
    ersatt: Annotated[str, Form()] = "",
    kommun: str | None = None,
) -> Response:
    """Check every row; store all homes' reports, or none and show the errors row by row.

    The file is for the round the form showed (a round closed since is refused, never moved).
    """
    me = page_user(user, NEEDED)
    upload = fil
    place = _municipality(session, me, kommun)
    shown, cutoff = report_round(request, session)
    meant = _round_posted(round_date, shown)
    closed: RoundClosed | None = None
    replaced: list[tuple[str, str]] = []
    if upload is None or not upload.filename:
        errors: list[Issue] = [
            {"field": "fil", "line": None, "message": "välj en fil att ladda upp"}
        ]
        filename = ""
    else:
        filename = upload.filename
        content = upload.file.read()
        try:
            rows = parse_need_file(filename, content, apart=True)
            problems, grouped = file_issues(session, rows=rows, municipality_code=place.code)
            if problems:
                raise ValidationFailed(problems)
            replaced = _replaced(session, request, meant, place.code, sorted(grouped))
            if replaced and ersatt != "ja":
                errors = []
            else:
                store_need_file(
                    session,
                    rows=rows,
                    municipality_code=place.code,
                    submitted_by=me.username,
                    now=utcnow(),
                    settings=data_settings(request),
                    round_date=meant,
                )
                suffix = f"&kommun={place.code}" if scope_of(me.role) is Scope.COUNTY else ""
                counts = f"&boenden={len(grouped)}&rader={len(rows)}"
                return see_other(f"/kommun?klart=uppladdning{counts}{suffix}")
        except RoundClosed as exc:
            closed, errors, replaced = exc, [], []
        except ValidationFailed as exc:
            errors, replaced = [swedish_issue(issue) for issue in exc.errors], []
    return render(
        request,
        "pages/upload.html",
        me,
        status_code=409 if closed or replaced else 422,
        place=place,
        round_date=shown,
        cutoff=cutoff,
        filename=filename,
        errors=errors,
        closed=closed,
        replaced=replaced,
        problem=_upload_problem(closed, replaced, errors),
    )


def _replaced(
    session: Session, request: Request, meant: date, municipality: str, homes: list[str]
) -> list[tuple[str, str]]:
    """The file's homes that already have a report in the round the file lands in (a closed
    round is refused here, before anything else is said about the file)."""
    target, _late = place_report(utcnow(), settings=data_settings(request), intended=meant)
    if is_closed(session, round_date=target):
        raise RoundClosed(target, next_open_round(session, after=target))
    return reports_of_homes(
        session, round_date=target, municipality_code=municipality, care_home_ids=homes
    )


def _upload_problem(
    closed: RoundClosed | None, replaced: list[tuple[str, str]], errors: list[Issue]
) -> str:
    if closed:
        return f"Inget sparades. {closed.swedish}"
    if replaced:
        return (
            f"Inget sparades ännu: {len(replaced)} av boendena i filen har redan en rapport för "
            "omgången, och filen ersätter hela deras rapport (också artiklar som inte står i "
            "filen). Kryssa i Ersätt deras rapporter och ladda upp filen igen om det är rätt."
        )
    return f"Inget sparades: {len(errors)} fel i filen. Rätta raderna och ladda upp igen."


def _round_posted(raw: str, shown: date) -> date:
    """The round the form showed when loaded, at most the one taking reports now."""
    try:
        return min(date.fromisoformat(raw), shown)
    except ValueError:
        return shown
