"""The run preview (``/lan/korning``): start a run as a job, see it, edit a line, approve it.

"Kör fördelning" queues a job (the scheduler process's worker solves it; no solve inside a
request) with the stored policy, and the page polls the job until it is done. The preview shows per
item the levels and homes short, per municipality the fill, and the short lines with their
explanation (who is short and why), filterable by item and municipality. A line can be edited with
a reason (re-checked by the data layer). Approval is a job too: the worker reserves the stock, then
produces the manifests and escalates what is still unmet.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from allocation import Policy
from api.deps import OptionalUser, SessionDep
from api.pages.common import data_settings, page_user, render, see_other
from api.pages.form_numbers import decimal_sv, whole_number
from api.pages.round_picker import choose_round
from api.transaction import TransactionRoute
from data.access.roles import Capability
from data.clock import utcnow
from data.errors import Conflict, NotFound, ValidationFailed
from data.job_queue import enqueue_job, get_job
from data.models import User
from data.overview.county import (
    latest_job,
    municipality_fill,
    municipality_names,
    round_run,
    run_lines,
)
from data.reference.catalogue import items_by_code
from data.rounds.calendar import cutoff_at
from data.rounds.choice import next_open_round, reports_after_run
from data.runs.edits import FAIRNESS_NOTE, EditRefused, edit_line, list_edited_lines
from data.runs.policy import policy_from_dict, saved_policy
from data.runs.reads import edited_line_home_names
from data.runs.records import get_run, list_round_runs

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute)

DAILY_JOBS = ("allocate", "approve")  # the extra rounds' jobs show on the acute page
LINES_PER_PAGE = 25  # a page of lines a coordinator reads; the whole run was 22,000 px tall


def _run_page(
    request: Request,
    session: Session,
    me: User,
    *,
    datum: str | None = None,
    artikel: str | None = None,
    kommun: str | None = None,
    sida: str | None = None,
    visa: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    chosen = choose_round(request, session, datum)
    round_date, cutoff = chosen.round_date, chosen.cutoff
    run = round_run(session, round_date=round_date)
    now = utcnow()
    job = latest_job(session, kinds=DAILY_JOBS)
    page_number = max(1, whole_number(sida or "") or 1)
    every = visa == "alla"
    lines, total = (
        run_lines(
            session,
            run_id=run.id,
            item_code=artikel,
            municipality_code=kommun,
            short_only=not every,
            limit=LINES_PER_PAGE,
            offset=(page_number - 1) * LINES_PER_PAGE,
        )
        if run
        else ([], 0)
    )
    items = items_by_code(session)
    return render(
        request,
        "pages/run.html",
        me,
        status_code=max(status_code, chosen.status_code),
        problem=problem or chosen.problem,
        chosen=chosen,
        picker_path="/lan/korning",
        round_date=round_date,
        early=run is not None and run.status == "draft" and now < cutoff,
        stale=reports_after_run(session, run=run) if run and run.status == "draft" else 0,
        findings=[m for m in run.check_messages if m.startswith(FAIRNESS_NOTE)] if run else [],
        edited=list_edited_lines(session, run_id=run.id) if run else [],
        home_names=edited_line_home_names(session, run_id=run.id) if run else {},
        next_round=next_open_round(session, after=round_date),
        cutoff=cutoff,
        run=run,
        runs=list_round_runs(session, round_date=round_date),
        job=job if job and job.status in ("queued", "running", "failed") else None,
        items=items,
        fill=municipality_fill(session, run_id=run.id) if run else [],
        places=municipality_names(session),
        lines=lines,
        total=total,
        page_number=page_number,
        pages=max(1, -(-total // LINES_PER_PAGE)),
        visa="alla" if every else "",
        artikel=artikel or "",
        kommun=kommun or "",
        policy=saved_policy(session).policy,
        run_policy=run_policy(run.policy) if run else None,
        line_anchor=line_anchor,
        tal=decimal_sv,
    )


def run_policy(stored: dict[str, Any]) -> Policy:
    """The policy a run was computed with (stored with the run), as the policy page shows it:
    the card must not show today's policy beside a run made with another."""
    return policy_from_dict(stored)


@router.get("/lan/korning", response_class=HTMLResponse)
def run_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    datum: str | None = None,
    artikel: str | None = None,
    kommun: str | None = None,
    sida: str | None = None,
    visa: str | None = None,
) -> Response:
    """A round's run (``datum``, default the round needing action): levels, short lines, why.

    The lines come a page at a time (``sida``), short lines first (``visa=alla`` adds the rest).
    """
    me = page_user(user, Capability.ALLOCATE)
    return _run_page(
        request, session, me, datum=datum, artikel=artikel, kommun=kommun, sida=sida, visa=visa
    )


def _round_url(round_date: date, notice: str, extra: str = "") -> str:
    return f"/lan/korning?datum={round_date.isoformat()}&klart={notice}{extra}"


@router.post("/lan/korning/starta")
def start_run(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    datum: Annotated[str, Form()] = "",
) -> Response:
    """Queue a run of the round shown; it uses the stored policy (a new draft replaces the old)."""
    me = page_user(user, Capability.ALLOCATE)
    chosen = choose_round(request, session, datum)
    if chosen.problem:
        return _run_page(request, session, me, problem=chosen.problem, status_code=422)
    round_date = chosen.round_date
    run = round_run(session, round_date=round_date)
    if run is not None and run.status == "approved":
        problem = f"Omgången {round_date.isoformat()} är redan godkänd och körs inte om."
        return _run_page(request, session, me, datum=datum, problem=problem, status_code=409)
    params = {"round_date": round_date.isoformat(), "rerun": True}
    enqueue_job(session, kind="allocate", params=params, actor=me.username, now=utcnow())
    return see_other(_round_url(round_date, "korning"))


@router.get("/lan/korning/jobb/{job_id}")
def job_status(job_id: int, session: SessionDep, user: OptionalUser) -> JSONResponse:
    """A run job's status, polled by the page while it runs."""
    page_user(user, Capability.ALLOCATE)
    job = get_job(session, job_id=job_id)
    return JSONResponse({"id": job.id, "status": job.status, "error": job.error})


@router.post("/lan/korning/rad", response_class=HTMLResponse)
def edit_run_line(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    run_id: Annotated[str, Form()] = "",
    care_home_id: Annotated[str, Form()] = "",
    item_code: Annotated[str, Form()] = "",
    quantity: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    datum: Annotated[str, Form()] = "",
    artikel: Annotated[str, Form()] = "",
    kommun: Annotated[str, Form()] = "",
    sida: Annotated[str, Form()] = "",
    visa: Annotated[str, Form()] = "",
) -> Response:
    """Set one line of the draft with a reason; refused edits are shown, nothing changes.
    Either way the page comes back at the edited line (its page, filter and anchor)."""
    me = page_user(user, Capability.ALLOCATE)
    problem = None
    if whole_number(quantity) is None:
        problem = "Ange antalet som ett helt tal, 0 eller större."
    elif not reason.strip():
        problem = "Ange ett skäl till ändringen."
    else:
        try:
            edit_line(
                session,
                run_id=run_id,
                care_home_id=care_home_id,
                item_code=item_code,
                quantity=whole_number(quantity) or 0,
                reason=reason.strip(),
                actor=me.username,
                now=utcnow(),
            )
        except EditRefused as exc:
            problem = "Raden ändrades inte. " + " ".join(exc.swedish)
        except NotFound:
            problem = "Raden ändrades inte: den finns inte i körningen."
        except (ValidationFailed, Conflict):
            problem = "Raden ändrades inte: körningen är inte ett utkast längre."
    if problem:
        return _run_page(
            request,
            session,
            me,
            datum=datum,
            artikel=artikel,
            kommun=kommun,
            sida=sida,
            visa=visa,
            problem=problem,
            status_code=422,
        )
    query = urlencode(
        {
            k: v
            for k, v in (("artikel", artikel), ("kommun", kommun), ("sida", sida), ("visa", visa))
            if v
        }
    )
    anchor = f"#{line_anchor(care_home_id, item_code)}"
    return see_other(f"/lan/korning?datum={datum}&klart=rad{'&' + query if query else ''}{anchor}")


def line_anchor(care_home_id: str, item_code: str) -> str:
    """The id of a line's row on the page, to come back to it after an edit."""
    return "rad-" + re.sub(r"[^A-Za-z0-9_-]", "_", f"{care_home_id}-{item_code}")


@router.post("/lan/korning/godkann", response_class=HTMLResponse)
def approve(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    run_id: Annotated[str, Form()] = "",
    stang: Annotated[str, Form()] = "",
) -> Response:
    """Queue the approval of the draft shown (its id is posted, so a newer one is not approved).

    Before the round's cut-off the approval closes the round early: later reports for it would
    never be allocated, so they are refused from then on. That needs the confirmation ``stang``.
    The worker reserves the stock, then produces the manifests and escalations.
    """
    me = page_user(user, Capability.ALLOCATE)
    try:
        shown = get_run(session, run_id=run_id) if run_id else None
    except NotFound:
        shown = None
    if shown is None:
        return _run_page(
            request, session, me, problem="Inte godkänd: körningen finns inte.", status_code=409
        )
    round_date = shown.round_date
    datum = round_date.isoformat()
    run = round_run(session, round_date=round_date)
    if run is None or run.id != run_id or run.status != "draft":
        problem = "Inte godkänd: utkastet har ändrats eller är redan godkänt."
        return _run_page(request, session, me, datum=datum, problem=problem, status_code=409)
    if utcnow() < cutoff_at(round_date, settings=data_settings(request)) and stang != "ja":
        problem = (
            f"Inte godkänd: brytpunkten för omgången {datum} har inte passerats. Bekräfta att "
            "omgången stängs i förtid (senare rapporter hänvisas till nästa omgång)."
        )
        return _run_page(request, session, me, datum=datum, problem=problem, status_code=409)
    params = {"round_date": datum, "run_id": run_id}
    enqueue_job(session, kind="approve", params=params, actor=me.username, now=utcnow())
    return see_other(_round_url(round_date, "godkann"))
