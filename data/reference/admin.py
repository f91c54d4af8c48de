"""Changes to reference data by the admin: care homes and items, each with an audit row."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from data.access.tenancy import is_scoped
from data.audit import record_audit
from data.clock import resolve_now
from data.errors import Conflict, NotFound
from data.models import CareHome, Item

__all__ = ["update_care_home", "update_item"]


def _apply(
    session: Session,
    record: CareHome | Item,
    changes: Mapping[str, Any],
    *,
    entity: str,
    key: str,
    actor: str,
    now: datetime | None,
) -> None:
    before = {name: getattr(record, name) for name in changes}
    for name, value in changes.items():
        setattr(record, name, value)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action=f"{entity}.update",
        entity=entity,
        entity_id=key,
        details={"before": before, "after": dict(changes)},
        now=resolve_now(now),
    )


def update_care_home(
    session: Session,
    *,
    care_home_id: str,
    changes: Mapping[str, Any],
    actor: str,
    now: datetime | None = None,
) -> CareHome:
    """Change a care home's name, address, places or active flag."""
    home = session.get(CareHome, care_home_id)
    if home is None:
        raise NotFound("care home", care_home_id)
    _apply(session, home, changes, entity="care_home", key=care_home_id, actor=actor, now=now)
    return home


def update_item(
    session: Session,
    *,
    item_code: str,
    changes: Mapping[str, Any],
    actor: str,
    now: datetime | None = None,
) -> Item:
    """Change an item's names, pack size or volume, or its plausibility limit.

    A county changes only its own items: the national catalogue (items of no region) is every
    region's, and changes with the national catalogue's file (``fordela reference load
    data/reference``), not from one county's session (``Conflict``)."""
    item = session.get(Item, item_code)
    if item is None:
        raise NotFound("item", item_code)
    if item.region_code is None and is_scoped(session):
        raise Conflict(
            f"{item_code} hör till den nationella katalogen, som alla regioner använder; "
            "den ändras med katalogfilen (fordela reference load data/reference), inte av en "
            "region. En region ändrar här bara sina egna artiklar."
        )
    _apply(session, item, changes, entity="item", key=item_code, actor=actor, now=now)
    return item
