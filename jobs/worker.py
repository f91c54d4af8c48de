"""The job worker: does what the web queued (``data.job_queue``) through the cycle's steps.

``run_pending_jobs(engine)`` is called every few seconds by the scheduler process (never by a
web worker). Each job is claimed in one short transaction, run by its step (which opens its own
transactions), and marked done or failed in another, so a failure never loses the job's record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Engine

from allocation.errors import AllocationError
from data.access.tenancy import working_in
from data.db import session_scope
from data.errors import DataError
from data.job_queue import REGION_PARAM, claim_next_job, finish_job
from jobs.steps.allocate import allocate_round
from jobs.steps.approve import approve_run
from jobs.steps.day import after_approval
from jobs.steps.extra import allocate_extra, approve_extra

__all__ = ["run_job", "run_pending_jobs"]

log = logging.getLogger(__name__)


def _allocate(engine: Engine, params: dict[str, Any], actor: str) -> dict[str, Any]:
    run_id = allocate_round(
        engine,
        round_date=date.fromisoformat(params["round_date"]),
        actor=actor,
        rerun=bool(params.get("rerun", False)),
        trigger="web",
    )
    return {"run_id": run_id}


def _approve(engine: Engine, params: dict[str, Any], actor: str) -> dict[str, Any]:
    round_date = date.fromisoformat(params["round_date"])
    approval = approve_run(engine, round_date=round_date, actor=actor, run_id=params.get("run_id"))
    manifests, escalations = after_approval(engine, round_date=round_date, actor=actor)
    return {
        "run_id": approval.run_id,
        "reserved": approval.reserved,
        "manifests": manifests,
        "escalations": escalations,
    }


def _extra_allocate(engine: Engine, params: dict[str, Any], actor: str) -> dict[str, Any]:
    run_id = allocate_extra(
        engine,
        delivery_date=date.fromisoformat(params["delivery_date"]),
        route_code=str(params["route"]),
        departure=str(params["departure"]),
        actor=actor,
    )
    return {"run_id": run_id}


def _extra_approve(engine: Engine, params: dict[str, Any], actor: str) -> dict[str, Any]:
    return approve_extra(engine, run_id=str(params["run_id"]), actor=actor)


RUNNERS: dict[str, Callable[[Engine, dict[str, Any], str], dict[str, Any]]] = {
    "allocate": _allocate,
    "approve": _approve,
    "extra_allocate": _extra_allocate,
    "extra_approve": _extra_approve,
}


def run_job(engine: Engine, *, kind: str, params: dict[str, Any], actor: str) -> dict[str, Any]:
    """Do one job now, in the region it was queued in; its result as a JSON-able dict."""
    region = params.get(REGION_PARAM)
    if isinstance(region, str) and region:
        with working_in(region):
            return RUNNERS[kind](engine, params, actor)
    return RUNNERS[kind](engine, params, actor)


def run_pending_jobs(engine: Engine, *, limit: int = 10) -> list[int]:
    """Run up to ``limit`` queued jobs, oldest first; the ids of the jobs run."""
    done: list[int] = []
    for _ in range(limit):
        with session_scope(engine) as session:
            job = claim_next_job(session)
            if job is None:
                break
            job_id, kind, params, actor = job.id, job.kind, dict(job.params), job.created_by
        try:
            result = run_job(engine, kind=kind, params=params, actor=actor)
        except (DataError, AllocationError, ValueError, KeyError) as exc:
            log.warning("job %s (%s) failed: %s", job_id, kind, exc)
            with session_scope(engine) as session:
                finish_job(session, job_id=job_id, error=str(exc))
        except Exception as exc:
            log.exception("job %s (%s) crashed", job_id, kind)
            with session_scope(engine) as session:
                finish_job(session, job_id=job_id, error=f"{type(exc).__name__}: {exc}")
        else:
            with session_scope(engine) as session:
                finish_job(session, job_id=job_id, result=result)
        done.append(job_id)
    return done
