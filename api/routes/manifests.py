"""Manifests (logistics and county): list, pick lists and delivery notes (PDF/CSV), dispatch and
its undo, proof of delivery."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.deps import LogisticsUser, SessionDep
from api.pagination import Paging, paginate
from api.params import IdPath, RoundDateQuery
from api.schemas.base import Page
from api.schemas.cycle import DeliveryIn, ManifestRead, ManifestStopRead, UndoDispatchIn
from api.transaction import TransactionRoute
from data.errors import NotFound
from data.logistics.deliveries import (
    DeliveredLine,
    dispatch_manifest,
    record_stop_delivery,
    undo_dispatch,
)
from data.logistics.manifests import get_manifest, get_stop_by_code
from data.logistics.reads import get_stop, manifests_query
from jobs.documents import delivery_notes_csv, encode_csv, pick_lists_csv
from jobs.documents.from_manifests import build_manifest_documents
from jobs.documents.stored import stored_delivery_note, stored_pick_list

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute, prefix="/manifests", tags=["manifests"])

Format = Annotated[Literal["pdf", "csv"], Query(description="pdf (A4) or csv")]
_DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}, "text/csv": {}}}
}


def _file(content: bytes, fmt: str, name: str) -> Response:
    media = "application/pdf" if fmt == "pdf" else "text/csv; charset=utf-8"
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


@router.get("", response_model=Page[ManifestRead])
def list_manifests(
    _user: LogisticsUser, session: SessionDep, page: Paging, round_date: RoundDateQuery = None
) -> dict[str, Any]:
    """Manifests with their stops and lines, newest round first."""
    query = manifests_query(round_date=round_date)
    return paginate(session, query, page, ManifestRead.model_validate)


@router.get("/{manifest_id}", response_model=ManifestRead)
def read_manifest(manifest_id: IdPath, _user: LogisticsUser, session: SessionDep) -> ManifestRead:
    """One route's manifest."""
    return ManifestRead.model_validate(get_manifest(session, manifest_id=manifest_id))


@router.get("/{manifest_id}/pick-list", response_class=Response, responses=_DOCUMENT)
def pick_list(
    manifest_id: IdPath, _user: LogisticsUser, session: SessionDep, format: Format = "pdf"
) -> Response:
    """The route's pick list (plocklista) as PDF (stored at approval) or CSV."""
    manifest = get_manifest(session, manifest_id=manifest_id)
    if format == "pdf":
        stored = stored_pick_list(session, manifest_id=manifest.id)
        return _file(stored.content, format, stored.filename.removesuffix(".pdf"))
    documents = build_manifest_documents(session, round_date=manifest.round_date)
    found = [p for p in documents.pick_lists if p.route_code == manifest.route_code]
    if not found:
        raise NotFound("pick list", manifest_id)
    return _file(
        encode_csv(pick_lists_csv(found)),
        format,
        f"plocklista-{manifest.round_date}-{manifest.route_code}",
    )


@router.get(
    "/{manifest_id}/stops/{stop_number}/delivery-note",
    response_class=Response,
    responses=_DOCUMENT,
)
def delivery_note(
    manifest_id: IdPath,
    stop_number: int,
    _user: LogisticsUser,
    session: SessionDep,
    format: Format = "pdf",
) -> Response:
    """A stop's delivery note (följesedel) as PDF (stored at approval) or CSV."""
    manifest = get_manifest(session, manifest_id=manifest_id)
    stop = next((s for s in manifest.stops if s.stop_number == stop_number), None)
    if format == "pdf" and stop is not None:
        stored = stored_delivery_note(session, stop_id=stop.id)
        return _file(
            stored.content, format, f"foljesedel-{manifest.round_date}-{stop.confirmation_code}"
        )
    documents = build_manifest_documents(session, round_date=manifest.round_date)
    found = [
        n
        for n in documents.delivery_notes
        if n.route_code == manifest.route_code and n.stop_number == stop_number
    ]
    if not found:
        raise NotFound("delivery note", f"{manifest_id}/{stop_number}")
    content = encode_csv(delivery_notes_csv(found))
    return _file(content, format, f"foljesedel-{manifest.round_date}-{found[0].confirmation_code}")


@router.post("/{manifest_id}/dispatch", response_model=ManifestRead)
def dispatch(manifest_id: IdPath, user: LogisticsUser, session: SessionDep) -> ManifestRead:
    """Mark the route dispatched: its stock leaves the store."""
    dispatch_manifest(session, actor=user.username, manifest_id=manifest_id)
    return ManifestRead.model_validate(get_manifest(session, manifest_id=manifest_id))


@router.post("/{manifest_id}/dispatch/undo", response_model=ManifestRead)
def undo(
    manifest_id: IdPath, body: UndoDispatchIn, user: LogisticsUser, session: SessionDep
) -> ManifestRead:
    """Undo the route's dispatch, with a reason: planned again, its stock reserved again (409
    once a stop's delivery is recorded)."""
    undo_dispatch(session, actor=user.username, manifest_id=manifest_id, reason=body.reason)
    return ManifestRead.model_validate(get_manifest(session, manifest_id=manifest_id))


@router.post("/stops/{confirmation_code}/delivery", response_model=ManifestStopRead)
def deliver(
    confirmation_code: str, body: DeliveryIn, user: LogisticsUser, session: SessionDep
) -> ManifestStopRead:
    """Proof of delivery for a stop (by the code on its delivery note), with discrepancies."""
    get_stop_by_code(session, confirmation_code=confirmation_code)
    stop = record_stop_delivery(
        session,
        confirmation_code=confirmation_code,
        lines=[DeliveredLine(**line.model_dump()) for line in body.lines],
        received_by=body.received_by,
        actor=user.username,
    )
    return ManifestStopRead.model_validate(get_stop(session, stop_id=stop.id, fresh=True))
