"""Step: allocate a round — snapshot in one short read, solve with no transaction open, write once.

``allocate_round`` is idempotent per round: when the round already has a draft it is returned
(nothing is solved) unless ``rerun`` is asked, in which case the new run supersedes it and the old
one is kept. A round with an approved run is refused (``RoundApproved``). Two allocations of one
round started together end with exactly one run: the loser's insert fails on
``UNIQUE(round_date, attempt)``, its transaction rolls back, and it returns the winner's run.

Without an explicit ``policy`` the run uses ``data.runs.policy.effective_policy``: the one saved on
the county's policy page (its defaults until one is saved) with ``overrides`` on top (the CLI's
``--fairness`` / ``--reserve``). The scheduler, the web's queued runs and the CLI all come here.

A solve whose answer the core's independent checker rejects raises ``CheckFailed`` (and a solver
failure ``SolverFailed``) and stores no run: an unusable run on record would only invite its
approval. The failure and its violations are written to the audit log, and the error names them.

The snapshot's reads are one moment: on PostgreSQL its transaction runs at ``REPEATABLE READ``
(read-only, so it never fails to serialise). At the default ``READ COMMITTED`` a report committed
between the reads of the reports and of their lines made the snapshot inconsistent (a home with
lines but no report, or one version's lines under another's id); SQLite's ``BEGIN IMMEDIATE``
already holds the write lock while it reads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from allocation import AllocationError, CheckFailed, Policy, SolverFailed, solve
from data.audit import record_audit
from data.clock import resolve_now
from data.db import session_scope
from data.runs.policy import effective_policy
from data.runs.records import RoundApproved, current_draft, list_round_runs, store_run
from data.runs.snapshot import take_snapshot
from jobs.settings import CycleSettings

__all__ = ["allocate_round"]

log = logging.getLogger(__name__)


def _read_one_moment(session: Session) -> None:
    """Make the session's transaction see one snapshot of the database (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _existing(engine: Engine, round_date: date) -> str | None:
    """The round's approved run or current draft after a lost race, if any."""
    with session_scope(engine) as session:
        runs = list_round_runs(session, round_date=round_date)
    for status in ("approved", "draft"):
        found = [r for r in runs if r.status == status]
        if found:
            return found[-1].id
    return None


def _record_failure(
    engine: Engine, *, round_date: date, actor: str, now: datetime, error: AllocationError
) -> None:
    """No run is stored for a failed solve, but the audit log says it failed and why."""
    log.error("round %s: no valid allocation: %s", round_date, error)
    violations = [str(v) for v in getattr(error, "violations", [])][:50]
    with session_scope(engine) as session:
        record_audit(
            session,
            actor=actor,
            action="allocation_run.failed",
            entity="round",
            entity_id=round_date.isoformat(),
            details={"error": str(error), "violations": violations},
            now=now,
        )


def allocate_round(
    engine: Engine,
    *,
    round_date: date,
    actor: str,
    now: datetime | None = None,
    policy: Policy | None = None,
    overrides: Mapping[str, Any] | None = None,
    method: str | None = None,
    rerun: bool = False,
    trigger: str = "manual",
    settings: CycleSettings | None = None,
) -> str:
    """Allocate the round delivered on ``round_date``; returns the id of its draft run."""
    moment = resolve_now(now)
    cycle = settings or CycleSettings()
    method = method or cycle.method
    started = time.perf_counter()
    with session_scope(engine) as session:
        _read_one_moment(session)
        runs = list_round_runs(session, round_date=round_date)
        approved = [r for r in runs if r.status == "approved"]
        if approved:
            raise RoundApproved(round_date, approved[-1].id)
        draft = current_draft(session, round_date=round_date)
        if draft is not None and not rerun:
            log.info("round %s already has the draft %s", round_date, draft.id)
            return draft.id
        if policy is None:
            policy = effective_policy(session, overrides)
        snapshot = take_snapshot(session, round_date=round_date, policy=policy, now=moment)
    loaded = time.perf_counter()
    try:
        result = solve(snapshot.problem, method, time_limit_s=cycle.solve_time_limit_s)
    except (CheckFailed, SolverFailed) as exc:
        _record_failure(engine, round_date=round_date, actor=actor, now=moment, error=exc)
        raise
    solved = time.perf_counter()
    try:
        with session_scope(engine) as session:
            stored = store_run(
                session,
                snapshot=snapshot,
                result=result,
                method=method,
                trigger=trigger,
                actor=actor,
                now=moment,
                rerun=rerun,
                seconds={"snapshot": loaded - started, "solve_wall": solved - loaded},
            )
            run_id = stored.run.id
    except IntegrityError:
        winner = _existing(engine, round_date)
        if winner is None:
            raise
        log.info("round %s: another allocation stored %s first", round_date, winner)
        return winner
    log.info(
        "round %s: %s %s (%d lines, snapshot %.2f s, solve %.2f s, write %.2f s)",
        round_date,
        "stored" if stored.created else "kept",
        run_id,
        len(result.lines),
        loaded - started,
        solved - loaded,
        time.perf_counter() - solved,
    )
    return run_id
