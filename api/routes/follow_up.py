"""Follow-up over time and the audit log (the county coordinator and the admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import FollowUpUser, SessionDep
from api.schemas.base import Page
from api.schemas.follow_up import AuditEntryRead, FollowUpRead
from api.transaction import TransactionRoute
from data.audit import audit_page
from data.overview.follow_up import DEFAULT_ROUNDS, follow_up_rounds, follow_up_rows, short_streaks

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute, tags=["follow-up"])

Code = Annotated[str | None, Query(max_length=40, description="an item or municipality code")]


@router.get("/follow-up", response_model=FollowUpRead)
def follow_up(
    _user: FollowUpUser,
    session: SessionDep,
    item: Code = None,
    municipality: Code = None,
    rounds: Annotated[int, Query(ge=1, le=90)] = DEFAULT_ROUNDS,
    at_least: Annotated[int, Query(ge=1, le=90, description="rounds in a row")] = 2,
) -> FollowUpRead:
    """Per round (the latest with an approved run), item and municipality: asked, allocated,
    delivered and short units; and the homes short of an item ``at_least`` rounds running."""
    days = follow_up_rounds(session, rounds=rounds)
    return FollowUpRead.model_validate(
        {
            "rounds": days,
            "rows": follow_up_rows(session, rounds=days, item=item, municipality=municipality),
            "short_streaks": short_streaks(
                session, rounds=days, item=item, municipality=municipality, at_least=at_least
            ),
        }
    )


@router.get("/audit", response_model=Page[AuditEntryRead])
def audit_log(
    _user: FollowUpUser,
    session: SessionDep,
    entity: Code = None,
    entity_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Page[AuditEntryRead]:
    """The audit log, newest first, per kind of record and one record."""
    found = audit_page(session, entity=entity, entity_id=entity_id, limit=limit, offset=offset)
    return Page[AuditEntryRead](
        items=[AuditEntryRead.model_validate(e) for e in found.rows],
        total=found.total,
        limit=limit,
        offset=offset,
    )
