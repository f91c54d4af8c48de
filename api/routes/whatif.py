"""What-if (county coordinator): solve a policy change or a whole scenario; nothing is stored.

These are the only routes that run the core inside a request, so they are bounded: at most
``ApiSettings.whatif_max_lines`` need lines, plain ``def`` routes (FastAPI's threadpool, never
the event loop), and the request's read transaction is ended before the solve starts.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from allocation import Problem, problem_from_dict, result_to_dict, solve
from api.deps import CountyUser, ReadPhaseDep, SessionDep, SettingsDep
from api.schemas.runs import WhatIfPolicy
from api.transaction import ReadPhase, TransactionRoute
from data.clock import utcnow
from data.errors import ValidationFailed
from data.runs.policy import effective_policy
from data.runs.snapshot import take_snapshot

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute, prefix="/what-if", tags=["what-if"])

SCENARIO_EXAMPLE: dict[str, Any] = {
    "round": "2026-11-24",
    "items": [
        {
            "code": "IIR",
            "name": "Munskydd typ IIR",
            "unit": "st",
            "pack_size": 50,
            "pack_volume_l": 1.5,
        }
    ],
    "municipalities": [{"code": "0180", "name": "Stockholm"}],
    "care_homes": [
        {"id": "H0001", "name": "Solgården", "municipality": "0180", "priority": "outbreak"}
    ],
    "stock": [{"item": "IIR", "quantity": 300}],
    "needs": [
        {"care_home": "H0001", "item": "IIR", "requested": 400, "on_hand": 50, "daily_use": 80}
    ],
    "policy": {"fairness": "fill", "weights": {"outbreak": 3, "suspected": 2, "normal": 1}},
}


def _bounded(lines: int, limit: int, field: str) -> None:
    if lines > limit:
        raise ValidationFailed(
            [
                {
                    "field": field,
                    "line": None,
                    "message": f"{lines} need lines; a what-if takes at most {limit}",
                }
            ]
        )


def _solve(reads: ReadPhase, problem: Problem) -> dict[str, Any]:
    reads.finish()  # the request's owner ends the read transaction: nothing held while solving
    return result_to_dict(solve(problem))


@router.post("/scenario")
def scenario(
    body: Annotated[dict[str, Any], Body(examples=[SCENARIO_EXAMPLE])],
    _user: CountyUser,
    reads: ReadPhaseDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Solve a scenario file (PRODUCT.md §4 format) and return the result JSON."""
    needs = body.get("needs")
    _bounded(len(needs) if isinstance(needs, list) else 0, settings.whatif_max_lines, "needs")
    return _solve(reads, problem_from_dict(body))


@router.post("/policy")
def policy(
    body: WhatIfPolicy,
    _user: CountyUser,
    session: SessionDep,
    reads: ReadPhaseDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Re-solve a round's current needs and stock under another policy: the saved policy with
    the fields given in ``policy`` replaced (``{}`` re-solves with the saved policy)."""
    chosen = effective_policy(session, body.policy.overrides())
    snapshot = take_snapshot(session, round_date=body.round_date, policy=chosen, now=utcnow())
    _bounded(len(snapshot.problem.needs), settings.whatif_max_lines, "round_date")
    return _solve(reads, snapshot.problem)
