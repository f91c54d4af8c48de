"""The run preview (``/lan/korning``): start a run as a job, see it, edit a line, approve it.

"Kör fördelning" queues a job (the scheduler process's worker solves it; no solve inside a
request) with the stored policy, and the page polls the job until it is done. The preview shows per
item the levels and homes short, per municipality the fill, and the short lines with their
explanation (who is short and why), filterable by item and municipality. A line can be edited with
a reason (re-checked by the data layer). Approval is a job too: the worker reserves the stock, then
produces the manifests and escalates what is still unmet.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import OptionalUser, SessionDep
from api.pages.common import page_user, render, see_other, this_round
from data.clock import utcnow
from data.dashboard import latest_job, municipality_fill, municipality_names, round_run, run_lines
from data.errors import Conflict, ValidationFailed
from data.job_queue import JOB_KINDS, enqueue_job, get_job
from data.models import Item, Role, User
from data.policy import get_policy_values
from data.run_edits import edit_line
from data.runs import list_round_runs

__all__ = ["router"]

router = APIRouter()


def _run_page(
    request: Request,
    session: Session,
    me: User,
    *,
    artikel: str | None = None,
    kommun: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    round_date, cutoff = this_round(request)
    run = round_run(session, round_date=round_date)
    job = latest_job(session, kinds=JOB_KINDS)
    lines, total = (
        run_lines(session, run_id=run.id, item_code=artikel, municipality_code=kommun)
        if run
        else ([], 0)
    )
    items = {item.code: item for item in session.scalars(select(Item))}
    return render(
        request,
        "pages/run.html",
        me,
        status_code=status_code,
        problem=problem,
        round_date=round_date,
        cutoff=cutoff,
        run=run,
        runs=list_round_runs(session, round_date=round_date),
        job=job if job and job.status in ("queued", "running", "failed") else None,
        items=items,
        fill=municipality_fill(session, run_id=run.id) if run else [],
        places=municipality_names(session),
        lines=lines,
        total=total,
        artikel=artikel or "",
        kommun=kommun or "",
        policy=get_policy_values(session),
    )


@router.get("/lan/korning", response_class=HTMLResponse)
def run_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    artikel: str | None = None,
    kommun: str | None = None,
) -> Response:
    """The open round's run: levels per item and municipality, the short lines and why."""
    me = page_user(user, Role.COUNTY_COORDINATOR)
    return _run_page(request, session, me, artikel=artikel, kommun=kommun)


@router.post("/lan/korning/starta")
def start_run(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """Queue a run of the open round; it uses the stored policy (a new draft replaces the old)."""
    me = page_user(user, Role.COUNTY_COORDINATOR)
    round_date, _cutoff = this_round(request)
    params = {"round_date": round_date.isoformat(), "rerun": True}
    enqueue_job(session, kind="allocate", params=params, actor=me.username, now=utcnow())
    return see_other("/lan/korning?klart=korning")


@router.get("/lan/korning/jobb/{job_id}")
def job_status(job_id: int, session: SessionDep, user: OptionalUser) -> JSONResponse:
    """A run job's status, polled by the page while it runs."""
    page_user(user, Role.COUNTY_COORDINATOR)
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
    artikel: Annotated[str, Form()] = "",
    kommun: Annotated[str, Form()] = "",
) -> Response:
    """Set one line of the draft with a reason; refused edits are shown, nothing changes."""
    me = page_user(user, Role.COUNTY_COORDINATOR)
    problem = None
    if not quantity.strip().isdigit():
        problem = "Ange antalet som ett helt tal, 0 eller större."
    elif not reason.strip():
        problem = "Ange ett skäl till ändringen."
    else:
        try:
            with session.begin_nested():
                edit_line(
                    session,
                    run_id=run_id,
                    care_home_id=care_home_id,
                    item_code=item_code,
                    quantity=int(quantity),
                    reason=reason.strip(),
                    actor=me.username,
                    now=utcnow(),
                )
        except (ValidationFailed, Conflict) as exc:
            problem = f"Raden ändrades inte: {_message(exc)}"
    if problem:
        return _run_page(
            request, session, me, artikel=artikel, kommun=kommun, problem=problem, status_code=422
        )
    query = f"&artikel={artikel}" if artikel else ""
    query += f"&kommun={kommun}" if kommun else ""
    return see_other(f"/lan/korning?klart=rad{query}")


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationFailed):
        return "; ".join(issue["message"] for issue in exc.errors)
    return str(exc)


@router.post("/lan/korning/godkann", response_class=HTMLResponse)
def approve(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    run_id: Annotated[str, Form()] = "",
) -> Response:
    """Queue the approval of the draft shown (its id is posted, so a newer one is not approved).

    The worker reserves the stock, then produces the manifests and escalations.
    """
    me = page_user(user, Role.COUNTY_COORDINATOR)
    round_date, _cutoff = this_round(request)
    run = round_run(session, round_date=round_date)
    if run is None or run.id != run_id or run.status != "draft":
        problem = "Inte godkänd: utkastet har ändrats eller är redan godkänt."
        return _run_page(request, session, me, problem=problem, status_code=409)
    params = {"round_date": round_date.isoformat(), "run_id": run_id}
    enqueue_job(session, kind="approve", params=params, actor=me.username, now=utcnow())
    return see_other("/lan/korning?klart=godkann")
