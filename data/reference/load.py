"""Load Stockholm county's reference data (``data/reference/*.csv``) into the database.

Loading is an upsert by key: a second load with the same files changes nothing and writes no audit
row; a changed file updates the rows that differ. Rows missing from a file are left alone (a care
home leaves service by being marked inactive, never by deletion).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record_audit
from data.models import Base, CareHome, Item, Municipality

__all__ = [
    "REFERENCE_DIR",
    "ReferenceLoad",
    "load_reference_data",
    "read_care_homes",
    "read_items",
    "read_municipalities",
]

REFERENCE_DIR = Path(__file__).resolve().parent
Row = dict[str, Any]


def _read(name: str, convert: Callable[[dict[str, str]], Row]) -> list[Row]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as handle:
        return [convert(raw) for raw in csv.DictReader(handle)]


def _municipality(raw: dict[str, str]) -> Row:
    return {
        "code": raw["code"],
        "name": raw["name"],
        "population": int(raw["population"]) if raw["population"] else None,
        "receiving_address": raw["receiving_address"],
        "contact_name": raw["contact_name"],
        "contact_phone": raw["contact_phone"],
        "contact_email": raw["contact_email"],
    }


def _care_home(raw: dict[str, str]) -> Row:
    return {
        "id": raw["id"],
        "name": raw["name"],
        "municipality_code": raw["municipality_code"],
        "address": raw["address"],
        "places": int(raw["places"]),
        "hsa_id": raw["hsa_id"] or None,
        "active": raw["active"].strip().lower() == "true",
    }


def _item(raw: dict[str, str]) -> Row:
    return {
        "code": raw["code"],
        "name_sv": raw["name_sv"],
        "name_en": raw["name_en"],
        "unit": raw["unit"],
        "pack_size": int(raw["pack_size"]),
        "pack_volume_l": float(raw["pack_volume_l"]),
        "category": raw["category"],
        "max_daily_per_place": float(raw["max_daily_per_place"]),
    }


def read_municipalities() -> list[Row]:
    """The rows of ``municipalities.csv`` with typed values."""
    return _read("municipalities.csv", _municipality)


def read_care_homes() -> list[Row]:
    """The rows of ``care_homes.csv`` with typed values."""
    return _read("care_homes.csv", _care_home)


def read_items() -> list[Row]:
    """The rows of ``items.csv`` with typed values."""
    return _read("items.csv", _item)


@dataclass
class ReferenceLoad:
    """What a load did, per table: how many rows were inserted and updated."""

    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """True when the load inserted or updated anything."""
        return any(self.inserted.values()) or any(self.updated.values())


def _upsert(
    session: Session, model: type[Base], key: str, rows: list[Row], result: ReferenceLoad
) -> None:
    table = model.__tablename__
    existing: Mapping[Any, Any] = {getattr(obj, key): obj for obj in session.scalars(select(model))}
    inserted = updated = 0
    for row in rows:
        current = existing.get(row[key])
        if current is None:
            session.add(model(**row))
            inserted += 1
            continue
        changes = {name: value for name, value in row.items() if getattr(current, name) != value}
        for name, value in changes.items():
            setattr(current, name, value)
        updated += bool(changes)
    session.flush()
    result.inserted[table] = inserted
    result.updated[table] = updated


def load_reference_data(
    session: Session, *, actor: str = "system:reference", now: datetime | None = None
) -> ReferenceLoad:
    """Upsert municipalities, items and care homes; one audit row when anything changed."""
    result = ReferenceLoad()
    _upsert(session, Municipality, "code", read_municipalities(), result)
    _upsert(session, Item, "code", read_items(), result)
    _upsert(session, CareHome, "id", read_care_homes(), result)
    if result.changed:
        record_audit(
            session,
            actor=actor,
            action="reference_data.load",
            entity="reference_data",
            entity_id="stockholm_county",
            details={"inserted": result.inserted, "updated": result.updated},
            now=now,
        )
    return result
