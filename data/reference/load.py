"""Load a county's reference data (a directory of CSV files) into the database.

The format is documented in ``docs/reference-format.md``: ``region.csv`` (the county itself),
``municipalities.csv``, ``care_homes.csv``, ``routes.csv`` and an optional ``items.csv`` (items
only that county has). This folder, ``data/reference/``, is Stockholm county's directory; its
``items.csv`` is the national catalogue every region uses (loaded with no region).

``read_region_dir`` reads and checks a directory without touching the database; every problem
is collected into one ``ReferenceRefused`` whose message (in Swedish) names the file, the line
and the column. Loading is an upsert by key: a second load with the same files changes nothing
and writes no audit row; a changed file updates the rows that differ. Rows missing from a file
are left alone (a care home leaves service by being marked inactive, never by deletion). Nothing
here commits: the caller's transaction makes a load all or nothing.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record_audit
from data.errors import DataError, Issue, ValidationFailed
from data.logistics.routes import MAX_CAPACITY_L, RouteRow
from data.models import Base, CareHome, Item, Municipality
from data.reference.identifiers import hsa_id_problem

__all__ = [
    "FILES",
    "NATIONAL_ITEMS",
    "REFERENCE_DIR",
    "FileProblem",
    "ReferenceLoad",
    "ReferenceRefused",
    "RegionFiles",
    "load_reference_data",
    "read_care_homes",
    "read_items",
    "read_municipalities",
    "read_region_dir",
]

REFERENCE_DIR = Path(__file__).resolve().parent
NATIONAL_ITEMS = REFERENCE_DIR / "items.csv"
"""The national catalogue: items every region uses (``region_code`` NULL)."""
Row = dict[str, Any]

# Every file's columns, in order. A file must have each of them (more are refused: a misspelt
# heading would otherwise be ignored in silence). items.csv is optional.
FILES: dict[str, tuple[str, ...]] = {
    "region.csv": (
        "code",
        "name",
        "authority",
        "unit",
        "contact_name",
        "contact_phone",
        "contact_email",
        "delivery_address",
    ),
    "municipalities.csv": (
        "code",
        "name",
        "population",
        "receiving_address",
        "contact_name",
        "contact_phone",
        "contact_email",
    ),
    "care_homes.csv": (
        "id",
        "name",
        "municipality_code",
        "address",
        "places",
        "hsa_id",
        "active",
    ),
    "routes.csv": ("code", "name", "vehicle", "capacity_l", "stops"),
    "items.csv": (
        "code",
        "name_sv",
        "name_en",
        "unit",
        "pack_size",
        "pack_volume_l",
        "category",
        "max_daily_per_place",
    ),
}
OPTIONAL_FILES = frozenset({"items.csv"})
NATIONAL_REGION = "SE"
MAX_PROBLEMS = 50
_REGION_CODE = re.compile(r"[A-Z]{1,8}")
_KOMMUNKOD = re.compile(r"\d{4}")
_KEY = re.compile(r"[A-Za-z0-9_\-]+")
_ITEM_CODE = re.compile(r"[A-Z0-9_]+")
_UNITS = frozenset({"st", "l"})
_TRUE = frozenset({"true", "ja", "sant", "1"})
_FALSE = frozenset({"false", "nej", "falskt", "0"})


@dataclass(frozen=True)
class FileProblem:
    """One refused input: the file, the line (1 = the heading; None for the whole file), the
    column (None for the whole row or file) and why, in Swedish."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"rad {self.line}")
        if self.column is not None:
            where.append(f"kolumn {self.column}")
        return f"{', '.join(where)}: {self.message}"


class ReferenceRefused(ValidationFailed):
    """The directory was refused and nothing was written; ``problems`` lists every problem."""

    def __init__(self, directory: Path, problems: Sequence[FileProblem]) -> None:
        self.directory = directory
        self.problems = list(problems)
        self.errors: list[Issue] = [
            {
                "field": f"{p.file}: {p.column}" if p.column else p.file,
                "line": p.line,
                "message": p.message,
            }
            for p in self.problems
        ]
        shown = self.problems[:MAX_PROBLEMS]
        more = len(self.problems) - len(shown)
        lines = [f"Referensdata i {directory} avvisades, inget sparades:"]
        lines += [f"  {problem}" for problem in shown]
        if more:
            lines.append(f"  … och {more} fel till")
        DataError.__init__(self, "\n".join(lines))


@dataclass
class RegionFiles:
    """A county's directory, read and checked: typed rows per file, and each key's line."""

    directory: Path
    region: Row
    municipalities: list[Row]
    care_homes: list[Row]
    routes: list[RouteRow]
    items: list[Row]
    lines: dict[tuple[str, str], int] = field(default_factory=dict)
    """(file, key) → the line the row with that key is on (for messages about the database)."""

    @property
    def own_items(self) -> bool:
        """True when ``items`` are the county's own items (not the national catalogue)."""
        return bool(self.items) and not _is_national_catalogue(self.directory)


def _is_national_catalogue(directory: Path) -> bool:
    return (directory / "items.csv").resolve() == NATIONAL_ITEMS


class _Cells:
    """Typed cells of one row; each problem goes to ``problems`` with file, line and column."""

    def __init__(
        self, file: str, line: int, raw: Mapping[str, str], problems: list[FileProblem]
    ) -> None:
        self.file, self.line, self.raw, self.problems = file, line, raw, problems
        self.ok = True

    def refuse(self, column: str, message: str) -> None:
        self.problems.append(FileProblem(self.file, self.line, column, message))
        self.ok = False

    def text(self, column: str, *, required: bool = True, max_length: int = 200) -> str:
        value = (self.raw.get(column) or "").strip()
        if required and not value:
            self.refuse(column, "värdet saknas")
        elif len(value) > max_length:
            self.refuse(column, f"längre än {max_length} tecken ({len(value)})")
        return value

    def optional(self, column: str, *, max_length: int = 200) -> str | None:
        return self.text(column, required=False, max_length=max_length) or None

    def matching(self, column: str, pattern: re.Pattern[str], what: str) -> str:
        value = self.text(column)
        if value and pattern.fullmatch(value) is None:
            self.refuse(column, f"{value!r} är inte {what}")
        return value

    def integer(self, column: str, *, minimum: int, required: bool = True) -> int | None:
        value = _number_text(self.raw.get(column) or "")
        if not value:
            if required:
                self.refuse(column, "värdet saknas (ett heltal)")
            return None
        if not re.fullmatch(r"-?\d+", value):
            kind = "ett decimaltal" if re.fullmatch(r"-?\d+[.,]\d*", value) else "ett tal"
            self.refuse(
                column,
                f"{self.raw.get(column)!r} är {kind}, men här krävs ett heltal"
                if kind == "ett decimaltal"
                else f"{self.raw.get(column)!r} är inte ett heltal",
            )
            return None
        number = int(value)
        if number < minimum:
            self.refuse(column, f"{number} är mindre än {minimum}")
            return None
        return number

    def decimal(self, column: str, *, maximum: float | None = None) -> float | None:
        """A positive decimal; a decimal comma ("5,5") is read as a point."""
        value = _number_text(self.raw.get(column) or "")
        if not value:
            self.refuse(column, "värdet saknas (ett tal, t.ex. 5,5)")
            return None
        if not re.fullmatch(r"\d+([.,]\d+)?", value.lstrip("-")):
            self.refuse(column, f"{self.raw.get(column)!r} är inte ett tal (t.ex. 5,5 eller 5.5)")
            return None
        number = float(value.replace(",", "."))
        if number <= 0:
            self.refuse(column, f"{self.raw.get(column)} måste vara större än 0")
            return None
        if maximum is not None and number > maximum:
            self.refuse(column, f"{self.raw.get(column)} är större än {maximum:g}")
            return None
        return number

    def boolean(self, column: str) -> bool:
        value = (self.raw.get(column) or "").strip().lower()
        if value in _TRUE:
            return True
        if value not in _FALSE:
            self.refuse(column, f"{self.raw.get(column)!r} är varken true eller false")
        return False


def _number_text(value: str) -> str:
    """The number as typed, less spaces (thousands are separated by a space in Swedish)."""
    return value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")


def _rows(
    directory: Path, name: str, problems: list[FileProblem]
) -> list[tuple[int, dict[str, str]]] | None:
    """(line, row) for each data row of ``name``; None (with the problem noted) when the file is
    missing or unreadable or its heading lacks a column."""
    path = directory / name
    if not path.is_file():
        problems.append(FileProblem(name, None, None, f"filen saknas i {directory}"))
        return None
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            heading = [cell.strip() for cell in next(reader, [])]
            body = [(reader.line_num, row) for row in reader]
    except UnicodeDecodeError:
        problems.append(FileProblem(name, None, None, "filen är inte UTF-8"))
        return None
    except csv.Error as exc:
        problems.append(FileProblem(name, None, None, f"filen är inte giltig CSV ({exc})"))
        return None
    wanted = FILES[name]
    missing = [column for column in wanted if column not in heading]
    unknown = [column for column in heading if column not in wanted]
    for column in missing:
        problems.append(FileProblem(name, 1, column, "kolumnen saknas i rubrikraden"))
    for column in unknown:
        problems.append(
            FileProblem(name, 1, column or "(tom)", "okänd kolumn (se docs/reference-format.md)")
        )
    if len(set(heading)) != len(heading):
        problems.append(FileProblem(name, 1, None, "en kolumn står två gånger i rubrikraden"))
    if missing or unknown or len(set(heading)) != len(heading):
        return None
    rows: list[tuple[int, dict[str, str]]] = []
    for line, cells in body:
        if not any(cell.strip() for cell in cells):
            continue  # an empty line
        if len(cells) != len(heading):
            problems.append(
                FileProblem(
                    name,
                    line,
                    None,
                    f"raden har {len(cells)} fält men rubriken {len(heading)} (ett värde med "
                    'kommatecken, som decimaltalet 5,5, ska stå inom citattecken: "5,5")',
                )
            )
            continue
        rows.append((line, dict(zip(heading, cells, strict=True))))
    return rows


def _unique(
    name: str, column: str, keyed: list[tuple[int, str]], problems: list[FileProblem]
) -> dict[str, int]:
    """Key → line; a key on two lines is a problem of the second."""
    seen: dict[str, int] = {}
    for line, key in keyed:
        if not key:
            continue
        if key in seen:
            problems.append(FileProblem(name, line, column, f"{key} står redan på rad {seen[key]}"))
        else:
            seen[key] = line
    return seen


def _read_region(rows: list[tuple[int, dict[str, str]]], problems: list[FileProblem]) -> Row:
    if len(rows) != 1:
        problems.append(
            FileProblem(
                "region.csv", None, None, f"ska ha exakt en rad under rubriken, har {len(rows)}"
            )
        )
        if not rows:
            return {}
    line, raw = rows[0]
    cells = _Cells("region.csv", line, raw, problems)
    code = cells.matching("code", _REGION_CODE, "en länskod (1–8 versaler A–Z, t.ex. AB)")
    if code == NATIONAL_REGION:
        cells.refuse("code", "SE är den nationella myndighetens kod, inte ett län")
    return {
        "code": code,
        "name": cells.text("name"),
        "authority": cells.text("authority"),
        "unit": cells.text("unit", required=False),
        "contact_name": cells.optional("contact_name"),
        "contact_phone": cells.optional("contact_phone", max_length=50),
        "contact_email": cells.optional("contact_email", max_length=254),
        "delivery_address": cells.optional("delivery_address", max_length=500),
    }


def _municipality(cells: _Cells) -> Row:
    return {
        "code": cells.matching("code", _KOMMUNKOD, "en kommunkod (fyra siffror)"),
        "name": cells.text("name", max_length=100),
        "population": cells.integer("population", minimum=0, required=False),
        "receiving_address": cells.text("receiving_address"),
        "contact_name": cells.text("contact_name", max_length=100),
        "contact_phone": cells.text("contact_phone", max_length=40),
        "contact_email": cells.text("contact_email"),
    }


def _care_home(cells: _Cells) -> Row:
    home_id = cells.text("id", max_length=16)
    if home_id and _KEY.fullmatch(home_id) is None:
        cells.refuse("id", f"{home_id!r} är inte ett id (bokstäver, siffror, _ och -)")
    hsa_id = cells.optional("hsa_id", max_length=31)
    if hsa_id is not None and (problem := hsa_id_problem(hsa_id)) is not None:
        cells.refuse("hsa_id", f"ogiltigt HSA-id ({problem})")
    return {
        "id": home_id,
        "name": cells.text("name"),
        "municipality_code": cells.matching(
            "municipality_code", _KOMMUNKOD, "en kommunkod (fyra siffror)"
        ),
        "address": cells.text("address"),
        "places": cells.integer("places", minimum=1),
        "hsa_id": hsa_id,
        "active": cells.boolean("active"),
    }


def _item(cells: _Cells) -> Row:
    code = cells.text("code", max_length=16)
    if code and _ITEM_CODE.fullmatch(code) is None:
        cells.refuse("code", f"{code!r} är inte en artikelkod (versaler A–Z, siffror och _)")
    unit = cells.text("unit", max_length=16)
    if unit and unit not in _UNITS:
        cells.refuse("unit", f"{unit!r} är varken st eller l")
    return {
        "code": code,
        "name_sv": cells.text("name_sv"),
        "name_en": cells.text("name_en"),
        "unit": unit,
        "pack_size": cells.integer("pack_size", minimum=1),
        "pack_volume_l": cells.decimal("pack_volume_l"),
        "category": cells.text("category", max_length=40),
        "max_daily_per_place": cells.decimal("max_daily_per_place"),
    }


def _typed(
    name: str,
    rows: list[tuple[int, dict[str, str]]] | None,
    convert: Callable[[_Cells], Row],
    problems: list[FileProblem],
) -> list[tuple[int, Row]]:
    typed: list[tuple[int, Row]] = []
    for line, raw in rows or []:
        cells = _Cells(name, line, raw, problems)
        row = convert(cells)
        if cells.ok:
            typed.append((line, row))
    return typed


def _route(cells: _Cells) -> RouteRow | None:
    code = cells.matching("code", _KEY, "en ruttkod (bokstäver, siffror, _ och -)")
    name = cells.text("name", max_length=100)
    vehicle = cells.text("vehicle", max_length=100)
    capacity = cells.decimal("capacity_l", maximum=MAX_CAPACITY_L)
    stops = tuple((cells.raw.get("stops") or "").split())
    if not stops:
        cells.refuse("stops", "rutten har inga stopp (kommunkoder åtskilda av mellanslag)")
    for stop in stops:
        if _KOMMUNKOD.fullmatch(stop) is None:
            cells.refuse("stops", f"{stop!r} är inte en kommunkod (fyra siffror)")
    if not cells.ok or capacity is None:
        return None
    return RouteRow(code, name, vehicle, capacity, stops)


def read_region_dir(directory: Path) -> RegionFiles:
    """The county of ``directory``, read and checked on its own (no database).

    Raises ``ReferenceRefused`` naming every problem: a missing file or column, a bad value, a
    key twice, a care home or route stop in a municipality the files do not list (the database
    may still know it: ``load_region`` checks that), a municipality on two routes.
    """
    directory = Path(directory)
    problems: list[FileProblem] = []
    if not directory.is_dir():
        raise ReferenceRefused(
            directory, [FileProblem(str(directory), None, None, "katalogen finns inte")]
        )
    raw = {
        name: _rows(directory, name, problems)
        for name in FILES
        if name not in OPTIONAL_FILES or (directory / name).exists()
    }
    region = _read_region(raw["region.csv"], problems) if raw["region.csv"] is not None else {}
    municipalities = _typed(
        "municipalities.csv", raw["municipalities.csv"], _municipality, problems
    )
    homes = _typed("care_homes.csv", raw["care_homes.csv"], _care_home, problems)
    items = _typed("items.csv", raw.get("items.csv"), _item, problems)
    routes: list[tuple[int, RouteRow]] = []
    for line, row in raw["routes.csv"] or []:
        route = _route(_Cells("routes.csv", line, row, problems))
        if route is not None:
            routes.append((line, route))
    lines: dict[tuple[str, str], int] = {}
    for name, column, keyed in (
        ("municipalities.csv", "code", [(n, r["code"]) for n, r in municipalities]),
        ("municipalities.csv", "name", [(n, r["name"]) for n, r in municipalities]),
        ("care_homes.csv", "id", [(n, r["id"]) for n, r in homes]),
        ("care_homes.csv", "hsa_id", [(n, r["hsa_id"] or "") for n, r in homes]),
        ("items.csv", "code", [(n, r["code"]) for n, r in items]),
        ("routes.csv", "code", [(n, r.code) for n, r in routes]),
    ):
        found = _unique(name, column, keyed, problems)
        if column in ("code", "id"):
            lines.update({(name, key): line for key, line in found.items()})
    on_route: dict[str, tuple[int, str]] = {}
    for line, route in routes:
        for stop in route.stops:
            if stop in on_route:
                other_line, other = on_route[stop]
                problems.append(
                    FileProblem(
                        "routes.csv",
                        line,
                        "stops",
                        f"kommunen {stop} står redan på rutten {other} (rad {other_line}); "
                        "en kommun ligger på en rutt",
                    )
                )
            else:
                on_route[stop] = (line, route.code)
    if problems:
        raise ReferenceRefused(directory, problems)
    return RegionFiles(
        directory=directory,
        region=region,
        municipalities=[row for _, row in municipalities],
        care_homes=[row for _, row in homes],
        routes=[route for _, route in routes],
        items=[row for _, row in items],
        lines=lines,
    )


def read_municipalities(directory: Path = REFERENCE_DIR) -> list[Row]:
    """The rows of ``municipalities.csv`` with typed values."""
    return read_region_dir(directory).municipalities


def read_care_homes(directory: Path = REFERENCE_DIR) -> list[Row]:
    """The rows of ``care_homes.csv`` with typed values."""
    return read_region_dir(directory).care_homes


def read_items() -> list[Row]:
    """The national catalogue (``data/reference/items.csv``) with typed values."""
    return read_region_dir(REFERENCE_DIR).items


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
    """Upsert Stockholm's municipalities, the national items and Stockholm's care homes; one
    audit row when anything changed."""
    files = read_region_dir(REFERENCE_DIR)
    result = ReferenceLoad()
    _upsert(session, Municipality, "code", files.municipalities, result)
    _upsert(session, Item, "code", files.items, result)
    _upsert(session, CareHome, "id", files.care_homes, result)
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
