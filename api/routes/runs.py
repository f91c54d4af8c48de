"""Allocation runs: trigger (a queued job), jobs, preview with explanations, edit, move, approve.

No solve happens in a request: ``POST /runs`` and ``POST /runs/{id}/approve`` queue a job
(202 with ``Location: /api/v1/jobs/{id}``) that the scheduler process's worker runs. Reading
runs and lines is open to the need roles, each line filtered to the user's homes in the query.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from api.deps import CountyUser, NeedsUser, SessionDep
from api.pagination import Paging, paginate
from api.params import IdPath, RoundDateQuery
from api.schemas.base import Page
from api.schemas.runs import (
    JobRead,
    LineEditIn,
    MoveIn,
    MoveRead,
    RunLineRead,
    RunRead,
    RunTrigger,
)
from api.transaction import TransactionRoute
from data.access.roles import Capability, can
from data.clock import utcnow
from data.errors import Conflict
from data.job_queue import enqueue_job, get_job
from data.models import AllocationRun, User
from data.runs.edits import edit_line, move_packs
from data.runs.reads import runs_query, visible_run_lines
from data.runs.records import get_run

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute, tags=["runs"])

_QUEUED: dict[int | str, dict[str, Any]] = {
    202: {"description": "Queued; poll the job at Location"}
}


def _queued(job_id: int, response: Response) -> None:
    response.headers["Location"] = f"/api/v1/jobs/{job_id}"


@router.post(
    "/runs", status_code=status.HTTP_202_ACCEPTED, response_model=JobRead, responses=_QUEUED
)
def trigger_run(
    body: RunTrigger, user: CountyUser, session: SessionDep, response: Response
) -> JobRead:
    """Allocate a round: queues a job for the worker and answers at once."""
    job = enqueue_job(
        session,
        kind="allocate",
        params={"round_date": body.round_date.isoformat(), "rerun": body.rerun},
        actor=user.username,
    )
    _queued(job.id, response)
    return JobRead.model_validate(job)


@router.get("/jobs/{job_id}", response_model=JobRead)
def read_job(job_id: IdPath, _user: CountyUser, session: SessionDep) -> JobRead:
    """A job's state; its result names the run (or the error)."""
    return JobRead.model_validate(get_job(session, job_id=job_id))


SUMMARY_FOR_ALL = ("item", "common_level")
"""What of a run's per-item summary a care-home manager or municipal coordinator sees: the
county's stock, supply, totals and counts of homes short are the county's (``/stock`` is 403 to
them too)."""


def _run_for(user: User, run: AllocationRun) -> RunRead:
    read = RunRead.model_validate(run)
    if can(user, Capability.ALLOCATE):  # the county sees the whole summary
        return read
    summary = [{k: s[k] for k in SUMMARY_FOR_ALL if k in s} for s in read.items_summary]
    return read.model_copy(update={"items_summary": summary})


@router.get("/runs", response_model=Page[RunRead])
def list_runs(
    user: NeedsUser, session: SessionDep, page: Paging, round_date: RoundDateQuery = None
) -> dict[str, Any]:
    """Runs, newest first (optionally of one round); the per-item summary as in ``/runs/{id}``."""
    query = runs_query(round_date=round_date)
    return paginate(session, query, page, lambda run: _run_for(user, run))


@router.get("/runs/{run_id}", response_model=RunRead)
def read_run(run_id: str, user: NeedsUser, session: SessionDep) -> RunRead:
    """A run's policy, per-item summary and check. The summary's stock, supply, totals and homes
    short are the county coordinator's; the other roles get each item's common level only."""
    return _run_for(user, get_run(session, run_id=run_id))


@router.get("/runs/{run_id}/lines", response_model=Page[RunLineRead])
def run_lines(
    run_id: str,
    user: NeedsUser,
    session: SessionDep,
    page: Paging,
    item_code: str | None = None,
    municipality_code: str | None = None,
    short_only: bool = False,
) -> dict[str, Any]:
    """The run's lines in the user's scope, with level, binding limit and explanation."""
    get_run(session, run_id=run_id)
    query = visible_run_lines(
        user,
        run_id=run_id,
        item_code=item_code,
        municipality_code=municipality_code,
        short_only=short_only,
    )
    return paginate(session, query, page, RunLineRead.model_validate)


@router.patch("/runs/{run_id}/lines", response_model=RunLineRead)
def change_line(
    run_id: str, body: LineEditIn, user: CountyUser, session: SessionDep, response: Response
) -> RunLineRead:
    """Set one line of a draft by hand, with a reason; fairness findings come back in the
    ``X-Fairness-Findings`` header count (and the audit log)."""
    outcome = edit_line(
        session,
        run_id=run_id,
        care_home_id=body.care_home_id,
        item_code=body.item_code,
        quantity=body.quantity,
        reason=body.reason,
        actor=user.username,
        now=utcnow(),
    )
    response.headers["X-Fairness-Findings"] = str(len(outcome.fairness))
    return RunLineRead.model_validate(outcome.line)


@router.post(
    "/runs/{run_id}/moves",
    response_model=MoveRead,
    responses={
        409: {"description": "The run is not a draft"},
        422: {"description": "A limit stops the move (named in ``errors``)"},
    },
)
def move(run_id: str, body: MoveIn, user: CountyUser, session: SessionDep) -> MoveRead:
    """Move whole packs of an item from one line of a draft to another, with a reason."""
    outcome = move_packs(
        session,
        run_id=run_id,
        item_code=body.item_code,
        from_home=body.from_care_home_id,
        to_home=body.to_care_home_id,
        packs=body.packs,
        reason=body.reason,
        actor=user.username,
        now=utcnow(),
    )
    return MoveRead(
        source=RunLineRead.model_validate(outcome.source),
        target=RunLineRead.model_validate(outcome.target),
        units=outcome.units,
        stable=outcome.stable,
        findings=outcome.fairness,
    )


@router.post(
    "/runs/{run_id}/approve",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobRead,
    responses=_QUEUED,
)
def approve(run_id: str, user: CountyUser, session: SessionDep, response: Response) -> JobRead:
    """Approve a draft: the worker reserves stock, produces manifests and escalations."""
    run = get_run(session, run_id=run_id)
    if run.status != "draft":
        raise Conflict(f"run {run_id} is {run.status}; only a draft can be approved")
    job = enqueue_job(
        session,
        kind="approve" if run.kind == "daily" else "extra_approve",
        params={"round_date": run.round_date.isoformat(), "run_id": run.id},
        actor=user.username,
    )
    _queued(job.id, response)
    return JobRead.model_validate(job)
