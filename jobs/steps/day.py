"""Step: a whole day — allocate → approve → manifests → escalate, each in its own transaction.
(The printed documents are rendered and stored afterwards, by the scheduler:
``jobs.documents.stored``.)

Resumable: a round that already has an approved run skips allocation and approval and goes on to
manifests and escalation (both idempotent per run); a round with a draft approves that draft.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine

from allocation import Policy
from data.clock import resolve_now
from data.db import session_scope
from data.runs.records import get_run, list_round_runs
from jobs.outreach.notifications import notify_round_approved
from jobs.settings import CycleSettings
from jobs.steps.allocate import allocate_round
from jobs.steps.approve import approve_run
from jobs.steps.escalate import escalate_round
from jobs.steps.manifests import produce_manifests

__all__ = ["DaySummary", "after_approval", "run_day"]


@dataclass
class DaySummary:
    """What a day did: the approved run, items with homes short, manifests, escalations, timing."""

    round_date: date
    run_id: str
    items_short: list[str] = field(default_factory=list)
    reserved: dict[str, int] = field(default_factory=dict)
    manifests: list[int] = field(default_factory=list)
    escalations: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        """Wall time of all steps."""
        return sum(self.seconds.values())


def _approved(engine: Engine, round_date: date) -> str | None:
    with session_scope(engine) as session:
        runs = list_round_runs(session, round_date=round_date)
    return next((r.id for r in runs if r.status == "approved"), None)


def _items_short(engine: Engine, run_id: str) -> list[str]:
    with session_scope(engine) as session:
        run = get_run(session, run_id=run_id)
        return [s["item"] for s in run.items_summary if s["homes_short"] > 0]


def after_approval(
    engine: Engine,
    *,
    round_date: date,
    actor: str,
    now: datetime | None = None,
    summary: DaySummary | None = None,
) -> tuple[list[int], list[str]]:
    """What approval triggers: the manifests, the escalations, then the care-home managers'
    e-mails (``jobs.outreach.notifications``), each its own transaction."""
    clock = time.perf_counter()
    manifests = produce_manifests(engine, round_date=round_date, actor=actor, now=now)
    if summary is not None:
        summary.seconds["manifests"] = time.perf_counter() - clock
    clock = time.perf_counter()
    escalations = escalate_round(engine, round_date=round_date, actor=actor, now=now)
    if summary is not None:
        summary.seconds["escalate"] = time.perf_counter() - clock
    clock = time.perf_counter()
    notify_round_approved(engine, round_date=round_date, now=now)
    if summary is not None:
        summary.seconds["notify"] = time.perf_counter() - clock
    return manifests, escalations


def run_day(
    engine: Engine,
    *,
    round_date: date,
    actor: str,
    now: datetime | None = None,
    policy: Policy | None = None,
    method: str | None = None,
    settings: CycleSettings | None = None,
) -> DaySummary:
    """Run the round's whole cycle now; see the module doc."""
    moment = resolve_now(now)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    run_id = _approved(engine, round_date)
    reserved: dict[str, int] = {}
    if run_id is None:
        run_id = allocate_round(
            engine,
            round_date=round_date,
            actor=actor,
            now=moment,
            policy=policy,
            method=method,
            settings=settings,
        )
        seconds["allocate"] = time.perf_counter() - clock
        clock = time.perf_counter()
        approval = approve_run(
            engine, round_date=round_date, actor=actor, run_id=run_id, now=moment
        )
        reserved = approval.reserved
        seconds["approve"] = time.perf_counter() - clock
    summary = DaySummary(round_date=round_date, run_id=run_id, reserved=reserved, seconds=seconds)
    summary.manifests, summary.escalations = after_approval(
        engine, round_date=round_date, actor=actor, now=moment, summary=summary
    )
    summary.items_short = _items_short(engine, run_id)
    return summary
