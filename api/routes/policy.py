"""The county's allocation policy (county coordinator): read it, and replace it whole.

``GET /api/v1/policy`` answers the policy the next run uses (the defaults until one is saved;
``data.runs.policy.saved_policy``); ``PUT`` checks every field against ``data.runs.policy.LIMITS``
and the catalogue (a substitute rule naming an unknown item is refused) and stores all or nothing,
with an audit row. The page ``/lan/policy`` does the same.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CountyUser, SessionDep
from api.schemas.policy import PolicyRead, PolicyWrite
from api.transaction import TransactionRoute
from data.clock import utcnow
from data.runs.policy import save_policy, saved_policy

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute, prefix="/policy", tags=["policy"])


@router.get("", response_model=PolicyRead, response_model_by_alias=True)
def read_policy(_user: CountyUser, session: SessionDep) -> PolicyRead:
    """The policy the next run uses."""
    return PolicyRead.of(saved_policy(session))


@router.put("", response_model=PolicyRead, response_model_by_alias=True)
def replace_policy(body: PolicyWrite, user: CountyUser, session: SessionDep) -> PolicyRead:
    """Replace the policy (every field); the next run uses it."""
    county = save_policy(
        session,
        policy=body.policy(),
        target_days=body.target_days,
        actor=user.username,
        now=utcnow(),
    )
    return PolicyRead.of(county)
