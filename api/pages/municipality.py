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
from api.pages.round_picker import report_round
from data.clock import utcnow
from data.dashboard import home_report_status, municipality_fill, round_run
from data.errors import Issue, NotFound, ValidationFailed
from data.models import Municipality, Role, User
from data.need_upload import parse_need_file, store_need_file, template_csv, template_xlsx
from data.round_choice import RoundClosed

__all__ = ["router"]

router = APIRouter()

ROLES = (Role.MUNICIPAL_COORDINATOR, Role.COUNTY_COORDINATOR)


def _municipality(session: Session, user: User, chosen: str | None) -> Municipality:
    """The user's municipality (another one is 404); the county coordinator may choose one."""
    code = user.municipality_code
    if user.role == Role.COUNTY_COORDINATOR.value:
        code = chosen or "0180"
    elif chosen and chosen != code:
        raise NotFound("municipality", chosen)
    place = session.get(Municipality, code) if code else None
    if place is None:
        raise NotFound("municipality", code)
    return place


@router.get("/kommun", response_class=HTMLResponse)
def municipality_page(
    request: Request, session: SessionDep, user: OptionalUser, kommun: str | None = None
) -> Response:
    """The homes and their report status for the open round; the municipality's fill."""
    me = page_user(user, *ROLES)
    place = _municipality(session, me, kommun)
    round_date, cutoff = report_round(request, session)
    homes = home_report_status(session, round_date=round_date, municipality_code=place.code)
    run = round_run(session, round_date=round_date)
    fill = municipality_fill(session, run_id=run.id, municipality_code=place.code) if run else []
    return render(
        request,
        "pages/municipality.html",
        me,
        place=place,
        round_date=round_date,
        cutoff=cutoff,
        homes=homes,
        reported=sum(1 for h in homes if h.version),
        run=run,
        fill=fill[0] if fill else None,
    )


@router.get("/kommun/uppladdning", response_class=HTMLResponse)
def upload_form(
    request: Request, session: SessionDep, user: OptionalUser, kommun: str | None = None
) -> Response:
    """The upload form with links to the templates."""
    me = page_user(user, *ROLES)
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
    me = page_user(user, *ROLES)
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
    kommun: str | None = None,
) -> Response:
    """Check every row; store all homes' reports, or none and show the errors row by row.

    The file is for the round the form showed (a round closed since is refused, never moved).
    """
    me = page_user(user, *ROLES)
    upload = fil
    place = _municipality(session, me, kommun)
    shown, cutoff = report_round(request, session)
    meant = _round_posted(round_date, shown)
    closed: RoundClosed | None = None
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
            store_need_file(
                session,
                rows=rows,
                municipality_code=place.code,
                submitted_by=me.username,
                now=utcnow(),
                settings=data_settings(request),
                round_date=meant,
            )
        except RoundClosed as exc:
            closed, errors = exc, []
        except ValidationFailed as exc:
            errors = [swedish_issue(issue) for issue in exc.errors]
        else:
            suffix = f"&kommun={place.code}" if me.role == Role.COUNTY_COORDINATOR.value else ""
            return see_other(f"/kommun?klart=uppladdning{suffix}")
    return render(
        request,
        "pages/upload.html",
        me,
        status_code=409 if closed else 422,
        place=place,
        round_date=shown,
        cutoff=cutoff,
        filename=filename,
        errors=errors,
        closed=closed,
        problem=f"Inget sparades. {closed.swedish}"
        if closed
        else f"Inget sparades: {len(errors)} fel i filen. Rätta raderna och ladda upp igen.",
    )


def _round_posted(raw: str, shown: date) -> date:
    """The round the form showed when loaded, at most the one taking reports now."""
    try:
        return min(date.fromisoformat(raw), shown)
    except ValueError:
        return shown
