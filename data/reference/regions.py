"""The regions as data: one region's details for its documents and messages, and the list.

A region's row (``regions``, loaded by ``fordela reference load``) names it, its authority, its
contact and delivery address. For the deployment's home region, ``FORDELA_REGION_*`` settings
that are set win over the row (the deployment's own configuration, as before regions were data);
the national agency's name and address are national and always come from the settings.

A county coordinator edits the region's contact, delivery address and escalation transport
(``update_region_details``, audited); its name, code and authority come from
``fordela reference load``. For the home region a field the deployment sets cannot be edited here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.access.tenancy import current_region, home_region
from data.audit import record_audit
from data.clock import resolve_now
from data.errors import Issue, NotFound, ValidationFailed
from data.models import Region
from data.reference.region import RegionSettings

__all__ = [
    "EDITABLE_FIELDS",
    "FIELD_LABELS",
    "ROW_FIELDS",
    "deployment_fields",
    "list_regions",
    "region_details",
    "update_region_details",
]

ROW_FIELDS = (
    "code",
    "name",
    "authority",
    "unit",
    "contact_name",
    "contact_phone",
    "contact_email",
    "delivery_address",
    "escalation_transport",
)
"""The settings a region's row gives."""
NATIONAL_FIELDS = ("agency_name", "agency_email")


EDITABLE_FIELDS = (
    "contact_name",
    "contact_phone",
    "contact_email",
    "delivery_address",
    "escalation_transport",
)
"""What a county coordinator edits of their region (the rest comes from the reference load)."""
FIELD_LABELS = {
    "code": "Kod",
    "name": "Län",
    "authority": "Samordnande myndighet",
    "unit": "Funktion",
    "contact_name": "Kontaktperson",
    "contact_phone": "Telefon",
    "contact_email": "E-post",
    "delivery_address": "Leveransadress",
    "escalation_transport": "Sätt att skicka begäran om stöd",
}
"""Each field's name in Swedish, as the page and the refusals name it."""
MAX_LENGTHS = {
    "contact_name": 200,
    "contact_phone": 50,
    "contact_email": 254,
    "delivery_address": 500,
}
TRANSPORTS = ("json", "email")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()/-]+$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def deployment_fields(code: str, configured: RegionSettings | None = None) -> frozenset[str]:
    """The fields of region ``code`` the deployment's ``FORDELA_REGION_*`` settings fix (only the
    home region has any): they win over the row, so they are not edited in the application."""
    if code != home_region():
        return frozenset()
    settings = configured or RegionSettings()
    return frozenset(settings.model_fields_set & set(ROW_FIELDS))


def region_details(
    session: Session, code: str | None = None, *, configured: RegionSettings | None = None
) -> RegionSettings:
    """Region ``code``'s details (default: the session's region); ``NotFound`` if unknown.

    ``configured``: the deployment's settings (default: the environment's) — those set win for
    the home region, and the national agency's name and address come from them."""
    wanted = code or current_region(session)
    row = session.get(Region, wanted)
    if row is None:
        raise NotFound("region", wanted)
    values: dict[str, Any] = {name: getattr(row, name) for name in ROW_FIELDS}
    values["unit"] = values["unit"] or ""
    configured = configured or RegionSettings()
    overriding = configured.model_fields_set if wanted == home_region() else set()
    for name in overriding | set(NATIONAL_FIELDS):
        values[name] = getattr(configured, name)
    return RegionSettings(**values)


def list_regions(session: Session, *, kind: str | None = None) -> list[Region]:
    """Every region (of ``kind`` when given), by code; the regions table is not narrowed."""
    query = select(Region).order_by(Region.code)
    if kind is not None:
        query = query.where(Region.kind == kind)
    return list(session.scalars(query))  # a region is not region-owned: no scope to lift


def _issue(field: str, message: str) -> Issue:
    return {"field": field, "line": None, "message": f"{FIELD_LABELS[field]}: {message}"}


def _field_issues(field: str, value: str | None) -> list[Issue]:
    """What is wrong with ``value`` for ``field`` (already stripped; None: emptied)."""
    if value is None:
        return []
    if field == "escalation_transport":
        if value not in TRANSPORTS:
            return [_issue(field, f"{value!r} är inget sätt att skicka (json, email eller tomt)")]
        return []
    issues: list[Issue] = []
    limit = MAX_LENGTHS[field]
    if len(value) > limit:
        issues.append(_issue(field, f"högst {limit} tecken (nu {len(value)})"))
    if CONTROL.search(value):
        issues.append(_issue(field, "en rad utan radbrytningar eller styrtecken"))
    if field == "contact_email" and not EMAIL_PATTERN.match(value):
        issues.append(
            _issue(field, f"{value!r} är ingen e-postadress (så här: namn@lansstyrelsen.se)")
        )
    if field == "contact_phone":
        if not PHONE_PATTERN.match(value):
            issues.append(
                _issue(
                    field, "bara siffror, mellanslag, + först och - ( ) / (så här: 010-223 10 00)"
                )
            )
        elif sum(ch.isdigit() for ch in value) < 5:
            issues.append(_issue(field, "minst 5 siffror"))
    return issues


def update_region_details(
    session: Session,
    *,
    changes: Mapping[str, str | None],
    actor: str,
    code: str | None = None,
    now: datetime | None = None,
) -> Region:
    """Change region ``code``'s (default: the session's) contact, delivery address and escalation
    transport (``EDITABLE_FIELDS``; a field left out keeps its value, an empty text clears it);
    one audit row naming what changed. Every problem is refused together (``ValidationFailed``,
    in Swedish naming the field) and nothing changes: a field not editable here, or one the
    deployment sets for the home region, changed to something else than it shows."""
    wanted = code or current_region(session)
    row = session.get(Region, wanted)
    if row is None:
        raise NotFound("region", wanted)
    fixed = deployment_fields(wanted)
    shown = region_details(session, wanted)
    issues: list[Issue] = []
    cleaned: dict[str, str | None] = {}
    for field, raw in changes.items():
        value = (raw or "").strip() or None
        if field not in EDITABLE_FIELDS:
            if field in FIELD_LABELS and value == getattr(shown, field):
                continue
            label = FIELD_LABELS.get(field, field)
            issues.append(
                {
                    "field": field,
                    "line": None,
                    "message": f"{label}: ändras inte här (kommer från fordela reference load)",
                }
            )
            continue
        if field in fixed:
            if value != getattr(shown, field):
                setting = f"FORDELA_REGION_{field.upper()}"
                issues.append(_issue(field, f"sätts av driftens inställning {setting}"))
            continue
        issues += _field_issues(field, value)
        cleaned[field] = value
    if issues:
        raise ValidationFailed(issues)
    changed = {
        field: {"from": getattr(row, field), "to": value}
        for field, value in cleaned.items()
        if getattr(row, field) != value
    }
    for field, value in cleaned.items():
        setattr(row, field, value)
    session.flush()
    if changed:
        record_audit(
            session,
            actor=actor,
            action="region.details",
            entity="region",
            entity_id=wanted,
            details=changed,
            now=resolve_now(now),
        )
    return row
