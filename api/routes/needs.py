"""Need reports: submit, revise (``If-Match``), list a round, history, file upload, template.

A care-home manager reports for their own home (the body cannot name another); a municipal
coordinator for their municipality's homes; the county for any. Outside that scope a report or
home answers 404. A revision must carry the report's ETag (its version) in ``If-Match``: 428
without it, 412 when another version has been filed since.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response, UploadFile, status
from sqlalchemy.orm import Session

from api.deps import NeedsUser, SessionDep, UploadUser
from api.errors import PreconditionFailed, PreconditionRequired
from api.pagination import Paging, paginate
from api.params import IdPath, RoundDateQuery
from api.schemas.base import Page
from api.schemas.needs import (
    IssueRead,
    NeedCreate,
    NeedRead,
    NeedSubmitted,
    NeedUpdate,
    UploadResult,
)
from api.transaction import TransactionRoute
from data.access.roles import Scope, scope_of
from data.access.scope import get_visible_care_home
from data.clock import utcnow
from data.errors import Conflict, NotFound, ValidationFailed
from data.models import CareHome, User
from data.needs.reports import (
    AlreadyReported,
    NeedSubmission,
    ReportVersion,
    get_visible_report,
    get_visible_report_header,
    list_report_versions,
    list_reports_by_id,
    submit_need_report,
    visible_round_reports,
)
from data.needs.upload import parse_need_file, store_need_file, template_csv, template_xlsx
from data.reference.places import get_municipality
from data.rounds.calendar import open_round
from data.rounds.choice import reporting_round
from data.settings import Settings

__all__ = ["etag_of", "router"]

router = APIRouter(route_class=TransactionRoute, prefix="/needs", tags=["need reports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def etag_of(report: ReportVersion) -> str:
    """The ETag of a report version: its version number, quoted."""
    return f'"{report.version}"'


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.data_settings
    return settings


def _reporting_round(session: Session, request: Request, now: datetime) -> date:
    """The round a report without a round date meant: the one open now, as the pages file it
    (not today's, which after the cut-off would make the report late)."""
    return reporting_round(session, now=now, settings=_settings(request))


def _submitted(submission: NeedSubmission, response: Response) -> NeedSubmitted:
    response.headers["ETag"] = etag_of(submission.report)
    response.headers["Location"] = f"/api/v1/needs/{submission.report.id}"
    return NeedSubmitted(
        report=NeedRead.model_validate(submission.report),
        warnings=[IssueRead.model_validate(w) for w in submission.warnings],
    )


def _lines(body: NeedUpdate) -> list[dict[str, Any]]:
    return [line.model_dump() for line in body.lines]


def _home_for(session: Session, user: User, care_home_id: str | None) -> CareHome | str:
    """The home the report is for: its id (a manager's own home) or the visible home itself.

    The route keeps the loaded home referenced, so submitting finds it in the session."""
    if scope_of(user.role) is Scope.HOME:
        own = user.care_home_id or ""
        if care_home_id not in (None, own):
            raise NotFound("care home", care_home_id)
        return own
    if care_home_id is None:
        raise ValidationFailed(
            [{"field": "care_home_id", "line": None, "message": "name the care home"}]
        )
    return get_visible_care_home(session, user=user, care_home_id=care_home_id)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=NeedSubmitted,
    responses={
        409: {
            "description": "The home already reported this round (revise it), or the round is"
            " closed (its allocation is approved; the answer names the next round)"
        }
    },
)
def submit(
    body: NeedCreate, user: NeedsUser, session: SessionDep, request: Request, response: Response
) -> NeedSubmitted:
    """File a care home's need report for the open round (after the cut-off: the next round)."""
    home = _home_for(session, user, body.care_home_id)
    home_id = home if isinstance(home, str) else home.id
    now = utcnow()
    try:
        submission = submit_need_report(
            session,
            care_home_id=home_id,
            lines=_lines(body),
            situation=body.situation,
            submitted_by=user.username,
            now=now,
            settings=_settings(request),
            round_date=body.round_date or _reporting_round(session, request, now),
            new_only=True,  # a second report is a revision (PUT): checked before storing
        )
    except AlreadyReported as already:
        raise Conflict(
            f"{already.care_home_id} already reported for {already.round_date.isoformat()};"
            f" revise report {already.current_id} with PUT and"
            f' If-Match: "{already.current_version}"'
        ) from None
    return _submitted(submission, response)


@router.put(
    "/{report_id}",
    response_model=NeedSubmitted,
    responses={
        412: {"description": "If-Match names an older version"},
        428: {"description": "If-Match is missing"},
    },
)
def revise(
    report_id: IdPath,
    body: NeedUpdate,
    user: NeedsUser,
    session: SessionDep,
    request: Request,
    response: Response,
    if_match: Annotated[str | None, Header(description='The ETag read, e.g. "2"')] = None,
) -> NeedSubmitted:
    """Revise a report: a new version replaces it (only if ``If-Match`` names the latest)."""
    report, _home = get_visible_report_header(session, user=user, report_id=report_id)
    if if_match is None:
        raise PreconditionRequired("send If-Match with the ETag of the version you revise")
    sent = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}

    def still_current(current: ReportVersion | None) -> None:
        # Checked under the report's row lock: of two revisions of one version, one wins.
        if current is None:
            raise NotFound("need report", report_id)
        matches = "*" in sent or bool({etag_of(current), str(current.version)} & sent)
        if current.id != report.id or not matches:
            raise PreconditionFailed(
                f"the report is at version {current.version} (ETag {etag_of(current)});"
                " read it again before revising"
            )

    submission = submit_need_report(
        session,
        care_home_id=report.care_home_id,
        lines=_lines(body),
        situation=body.situation,
        submitted_by=user.username,
        now=utcnow(),
        settings=_settings(request),
        round_date=report.round_date,
        precondition=still_current,
    )
    return _submitted(submission, response)


@router.get("", response_model=Page[NeedRead])
def list_reports(
    user: NeedsUser,
    session: SessionDep,
    request: Request,
    page: Paging,
    round_date: RoundDateQuery = None,
    care_home_id: str | None = None,
    municipality_code: str | None = None,
) -> dict[str, Any]:
    """The reports that count (last versions) of a round (default: the open round), in scope."""
    day = round_date or open_round(utcnow(), settings=_settings(request))
    query = visible_round_reports(
        user, round_date=day, care_home_id=care_home_id, municipality_code=municipality_code
    )
    return paginate(session, query, page, NeedRead.model_validate)


@router.get(
    "/template",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
def template(
    user: UploadUser,
    session: SessionDep,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
    municipality_code: str | None = None,
) -> Response:
    """The upload template: Swedish headings (boende, boendets_namn, artikel, artikelns_namn,
    behov, i_lager, förbrukning_per_dag, läge) and one empty row per active home and item; rows
    left empty are no need. Files with the English headings (care_home_id, item, requested,
    on_hand, daily_use, situation) are read too."""
    code = _upload_municipality(user, municipality_code)
    get_municipality(session, code=code)
    if format == "xlsx":
        content, media = template_xlsx(session, municipality_code=code), XLSX
    else:
        content, media = template_csv(session, municipality_code=code), "text/csv; charset=utf-8"
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="behov-{code}.{format}"'},
    )


def _upload_municipality(user: User, municipality_code: str | None) -> str:
    if scope_of(user.role) is Scope.MUNICIPALITY:
        own = user.municipality_code or ""
        if municipality_code not in (None, own):
            raise NotFound("municipality", municipality_code)
        return own
    if municipality_code is None:
        raise ValidationFailed(
            [{"field": "municipality_code", "line": None, "message": "name the municipality"}]
        )
    return municipality_code


@router.post(
    "/upload",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadResult,
    responses={422: {"description": "Row-by-row errors (row 1 is the header); nothing stored"}},
)
def upload(
    file: UploadFile,
    user: UploadUser,
    session: SessionDep,
    request: Request,
    municipality_code: str | None = None,
) -> UploadResult:
    """Reports for many homes from one CSV or Excel file: all stored, or none (422 naming
    each wrong row and column)."""
    code = _upload_municipality(user, municipality_code)
    rows = parse_need_file(file.filename or "upload.csv", file.file.read(), apart=True)
    now = utcnow()
    reports = store_need_file(
        session,
        rows=rows,
        municipality_code=code,
        submitted_by=user.username,
        now=now,
        settings=_settings(request),
        round_date=_reporting_round(session, request, now),
    )
    stored = list_reports_by_id(session, report_ids=[r.id for r in reports])
    return UploadResult(
        reports=[NeedRead.model_validate(r) for r in stored],
        homes=len(stored),
        lines=sum(len(r.lines) for r in stored),
    )


@router.get("/{report_id}", response_model=NeedRead)
def read_report(
    report_id: IdPath, user: NeedsUser, session: SessionDep, response: Response
) -> NeedRead:
    """One report version; its ``ETag`` is what a revision sends in ``If-Match``."""
    report = get_visible_report(session, user=user, report_id=report_id)
    response.headers["ETag"] = etag_of(report)
    return NeedRead.model_validate(report)


@router.get("/{report_id}/history", response_model=list[NeedRead])
def history(report_id: IdPath, user: NeedsUser, session: SessionDep) -> list[NeedRead]:
    """Every version of that home's report for that round, oldest first."""
    report = get_visible_report(session, user=user, report_id=report_id)
    versions = list_report_versions(
        session, care_home_id=report.care_home_id, round_date=report.round_date
    )
    return [NeedRead.model_validate(v) for v in versions]
