"""Escalations to the national agency (county coordinator): list, download, status."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.deps import CountyUser, SessionDep
from api.pagination import Paging, paginate
from api.params import RoundDateQuery
from api.schemas.base import Page
from api.schemas.cycle import EscalationRead, EscalationStatusIn
from api.transaction import TransactionRoute
from data.escalations.reads import escalations_query
from data.escalations.requests import get_escalation, set_escalation_status
from jobs.documents import encode_csv, escalation_to_json, escalations_csv, render_escalation_pdf
from jobs.documents.from_escalations import escalation_document

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute, prefix="/escalations", tags=["escalations"])


@router.get("", response_model=Page[EscalationRead])
def list_escalations(
    _user: CountyUser, session: SessionDep, page: Paging, round_date: RoundDateQuery = None
) -> dict[str, Any]:
    """Requests for support, newest round first."""
    query = escalations_query(round_date=round_date)
    return paginate(session, query, page, EscalationRead.model_validate)


@router.get("/{reference}", response_model=EscalationRead)
def read_escalation(reference: str, _user: CountyUser, session: SessionDep) -> EscalationRead:
    """One request for support."""
    return EscalationRead.model_validate(get_escalation(session, reference=reference))


@router.get(
    "/{reference}/document",
    response_class=Response,
    responses={200: {"content": {"application/json": {}, "text/csv": {}, "application/pdf": {}}}},
)
def document(
    reference: str,
    _user: CountyUser,
    session: SessionDep,
    format: Annotated[Literal["json", "csv", "pdf"], Query()] = "json",
) -> Response:
    """The request as sent to the agency: JSON, CSV or PDF (A4)."""
    escalation = get_escalation(session, reference=reference)
    request = escalation_document(session, escalation)  # with its history, as the page's
    if format == "pdf":
        content, media = render_escalation_pdf(request), "application/pdf"
    elif format == "csv":
        content, media = encode_csv(escalations_csv([request])), "text/csv; charset=utf-8"
    else:
        content = json.dumps(escalation_to_json(request), ensure_ascii=False, indent=2).encode()
        media = "application/json"
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{reference}.{format}"'},
    )


@router.patch("/{reference}", response_model=EscalationRead)
def update_status(
    reference: str, body: EscalationStatusIn, user: CountyUser, session: SessionDep
) -> EscalationRead:
    """Record the agency's answer (status only moves forward; 409 otherwise)."""
    escalation = set_escalation_status(
        session,
        reference=reference,
        status=body.status,
        actor=user.username,
        agency_reference=body.agency_reference,
    )
    return EscalationRead.model_validate(escalation)
