"""The job queue: long work (a run, an approval) the web enqueues and the scheduler's worker does.

A job is ``queued`` → ``running`` → ``done`` (with ``result``) or ``failed`` (with ``error``).
``claim_next_job`` takes the oldest queued job and marks it running in the caller's transaction;
on PostgreSQL the row is locked with ``FOR UPDATE SKIP LOCKED`` so two workers never take the same
job; SQLite's ``BEGIN IMMEDIATE`` serialises writers anyway. A job still running after
``STALE_AFTER`` lost its worker (the process died) and is claimed again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.access.tenancy import current_region, home_region, is_scoped
from data.audit import record_audit
from data.clock import resolve_now
from data.errors import NotFound
from data.models import Job

__all__ = [
    "JOB_KINDS",
    "REGION_PARAM",
    "STALE_AFTER",
    "claim_next_job",
    "enqueue_job",
    "finish_job",
    "get_job",
    "job_region",
]

REGION_PARAM = "region"
"""The job's region among its params (absent: the home region)."""
JOB_KINDS = ("allocate", "approve", "extra_allocate", "extra_approve")
STALE_AFTER = timedelta(minutes=30)  # a running job this old lost its worker; run it again


def enqueue_job(
    session: Session,
    *,
    kind: str,
    params: dict[str, Any],
    actor: str,
    now: datetime | None = None,
) -> Job:
    """Queue a job (flushed); one audit row. Queued in a session scoped to a region, the job
    carries it (``params["region"]``) and the worker runs it there."""
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    if is_scoped(session):
        params = {**params, REGION_PARAM: current_region(session)}
    moment = resolve_now(now)
    job = Job(kind=kind, params=params, status="queued", created_by=actor, created_at=moment)
    session.add(job)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action=f"job.enqueue.{kind}",
        entity="job",
        entity_id=str(job.id),
        details=params,
        now=moment,
    )
    return job


def job_region(job: Job) -> str:
    """The region a job was queued in (its params; none given: the home region)."""
    region = job.params.get(REGION_PARAM)
    return region if isinstance(region, str) and region else home_region()


def get_job(session: Session, *, job_id: int, created_by: str | None = None) -> Job:
    """The job (only one ``created_by`` made, when given), else ``NotFound``. In a session
    scoped to a region, another region's job is not found either: the job table has no region
    column for the session's narrowing to use, so its region is checked here."""
    query = select(Job).where(Job.id == job_id)
    if created_by is not None:
        query = query.where(Job.created_by == created_by)
    job = session.scalars(query).one_or_none()
    if job is None or (is_scoped(session) and job_region(job) != current_region(session)):
        raise NotFound("job", job_id)
    return job


def claim_next_job(session: Session, *, now: datetime | None = None) -> Job | None:
    """The oldest queued job (or one whose worker died: running for ``STALE_AFTER``), now
    marked running (flushed), or None."""
    moment = resolve_now(now)
    due = (Job.status == "queued") | (
        (Job.status == "running") & (Job.started_at < moment - STALE_AFTER)
    )
    query = select(Job).where(due).order_by(Job.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    job = session.scalars(query).one_or_none()
    if job is None:
        return None
    job.status = "running"
    job.started_at = moment
    session.flush()
    return job


def finish_job(
    session: Session,
    *,
    job_id: int,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    now: datetime | None = None,
) -> Job:
    """Mark a job done with its result, or failed with its error (flushed)."""
    job = get_job(session, job_id=job_id)
    job.status = "failed" if error is not None else "done"
    job.result = result
    job.error = error
    job.finished_at = resolve_now(now)
    session.flush()
    return job
