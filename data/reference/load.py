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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.access.tenancy import ALL_REGIONS, REGION_KEY, scope_session
from data.audit import record_audit
from data.errors import DataError, Issue, ValidationFailed
from data.logistics.routes import MAX_CAPACITY_L, RouteRow, load_routes
from data.models import Base, CareHome, Item, Municipality, Region, Route
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
    "load_region",
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
        "unit": cells.optional("unit"),
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
    """What a load did, per table: how many rows were inserted and updated (routes: how many
    changed); ``region`` is the code of the region loaded."""

    region: str = ""
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """True when the load inserted or updated anything."""
        return any(self.inserted.values()) or any(self.updated.values())


@contextmanager
def _scoped(session: Session, region: str) -> Iterator[None]:
    """``session`` scoped to ``region`` for the block, then as it was (pending rows are flushed
    first: new rows take the scope they are flushed in)."""
    had, before = REGION_KEY in session.info, session.info.get(REGION_KEY)
    session.flush()
    scope_session(session, region)
    try:
        yield
        session.flush()
    finally:
        if had:
            session.info[REGION_KEY] = before
        else:
            session.info.pop(REGION_KEY, None)


def _upsert(
    session: Session,
    model: type[Base],
    key: str,
    rows: list[Row],
    result: ReferenceLoad,
    *,
    insert_only: bool = False,
) -> None:
    """Insert the rows whose key is new and update the ones that differ (``insert_only``: leave
    known keys alone). Counts add up per table."""
    table = model.__tablename__
    existing: Mapping[Any, Any] = {getattr(obj, key): obj for obj in session.scalars(select(model))}
    inserted = updated = 0
    for row in rows:
        current = existing.get(row[key])
        if current is None:
            session.add(model(**row))
            inserted += 1
            continue
        if insert_only:
            continue
        changes = {name: value for name, value in row.items() if getattr(current, name) != value}
        for name, value in changes.items():
            setattr(current, name, value)
        updated += bool(changes)
    session.flush()
    result.inserted[table] = result.inserted.get(table, 0) + inserted
    result.updated[table] = result.updated.get(table, 0) + updated


class _Against:
    """The checks of a county's files against what the database holds for every region."""

    def __init__(self, session: Session, files: RegionFiles) -> None:
        self.files = files
        self.code: str = files.region["code"]
        self.problems: list[FileProblem] = []
        self.municipalities = {
            m.code: (m.region_code, m.name) for m in session.scalars(select(Municipality))
        }
        self.mine = {c for c, (region, _) in self.municipalities.items() if region == self.code}
        self.mine |= {row["code"] for row in files.municipalities}

    def refuse(self, file: str, key: str, column: str, message: str) -> None:
        line = self.files.lines.get((file, key))
        self.problems.append(FileProblem(file, line, column, message))

    def place(self, file: str, key: str, column: str, municipality: str) -> None:
        """``municipality`` must be one of this county's."""
        if municipality in self.mine:
            return
        if municipality in self.municipalities:
            region, name = self.municipalities[municipality]
            message = f"kommunen {municipality} ({name}) hör till region {region}, inte {self.code}"
        else:
            message = (
                f"kommunen {municipality} finns varken i municipalities.csv eller i databasen "
                f"för {self.code}"
            )
        self.refuse(file, key, column, message)


def _check_against_database(session: Session, files: RegionFiles, *, routes: bool) -> None:
    """Refuse what clashes with another region or names a place this county does not have."""
    check = _Against(session, files)
    code = check.code
    region = session.get(Region, code)
    if region is not None and region.kind != "county":
        check.problems.append(
            FileProblem("region.csv", 2, "code", f"{code} är en region av slaget {region.kind}")
        )
    for other in session.scalars(select(Region).where(Region.name == files.region["name"])):
        if other.code != code:
            check.problems.append(
                FileProblem("region.csv", 2, "name", f"namnet används redan av region {other.code}")
            )
    names = {name: c for c, (_, name) in check.municipalities.items()}
    for row in files.municipalities:
        known = check.municipalities.get(row["code"])
        if known is not None and known[0] != code:
            check.refuse(
                "municipalities.csv",
                row["code"],
                "code",
                f"kommunkoden {row['code']} ({known[1]}) används redan av region {known[0]}",
            )
        holder = names.get(row["name"])
        if holder is not None and holder != row["code"]:
            check.refuse(
                "municipalities.csv",
                row["code"],
                "name",
                f"namnet {row['name']} används redan av kommunen {holder} "
                f"(region {check.municipalities[holder][0]})",
            )
    homes = {h.id: h for h in session.scalars(select(CareHome))}
    hsa_ids = {h.hsa_id: h.id for h in homes.values() if h.hsa_id}
    for row in files.care_homes:
        home = homes.get(row["id"])
        if home is not None and home.region_code != code:
            check.refuse(
                "care_homes.csv",
                row["id"],
                "id",
                f"boendet {row['id']} finns redan i region {home.region_code}",
            )
        check.place("care_homes.csv", row["id"], "municipality_code", row["municipality_code"])
        holder = hsa_ids.get(row["hsa_id"]) if row["hsa_id"] else None
        if holder is not None and holder != row["id"]:
            check.refuse(
                "care_homes.csv",
                row["id"],
                "hsa_id",
                f"HSA-id {row['hsa_id']} används redan av boendet {holder}",
            )
    if routes:
        known_routes = {r.code: r.region_code for r in session.scalars(select(Route))}
        for route in files.routes:
            other_region = known_routes.get(route.code)
            if other_region is not None and other_region != code:
                check.refuse(
                    "routes.csv",
                    route.code,
                    "code",
                    f"ruttkoden {route.code} används redan av region {other_region}",
                )
            for stop in route.stops:
                check.place("routes.csv", route.code, "stops", stop)
        on_routes = {stop for route in files.routes for stop in route.stops}
        for municipality in sorted(check.mine - on_routes):
            name = next(
                (r["name"] for r in files.municipalities if r["code"] == municipality),
                check.municipalities.get(municipality, ("", ""))[1],
            )
            check.problems.append(
                FileProblem(
                    "routes.csv",
                    None,
                    "stops",
                    f"kommunen {municipality} ({name}) ligger inte på någon rutt",
                )
            )
    items = {i.code: i.region_code for i in session.scalars(select(Item))}
    for row in files.items:
        owner = items.get(row["code"], code if files.own_items else None)
        if files.own_items and owner != code:
            where = "den nationella katalogen" if owner is None else f"region {owner}"
            check.refuse(
                "items.csv",
                row["code"],
                "code",
                f"artikelkoden {row['code']} finns redan i {where}",
            )
        elif not files.own_items and owner is not None:
            check.refuse(
                "items.csv",
                row["code"],
                "code",
                f"artikelkoden {row['code']} är region {owner}s egen, inte en nationell",
            )
    if check.problems:
        raise ReferenceRefused(files.directory, check.problems)


def _write_region(session: Session, row: Row, result: ReferenceLoad) -> None:
    """Insert or update the region; an empty optional cell leaves the database's value."""
    region = session.get(Region, row["code"])
    if region is None:
        given = {name: value for name, value in row.items() if value is not None}
        session.add(Region(kind="county", active=True, **given))
        result.inserted["regions"] = 1
        result.updated["regions"] = 0
        return
    changes = {
        name: value
        for name, value in row.items()
        if value is not None and getattr(region, name) != value
    }
    for name, value in changes.items():
        setattr(region, name, value)
    result.inserted["regions"] = 0
    result.updated["regions"] = int(bool(changes))


def load_region(
    session: Session,
    directory: Path,
    *,
    actor: str = "system:reference",
    now: datetime | None = None,
    routes: bool = True,
) -> ReferenceLoad:
    """Upsert the county of ``directory`` (see ``docs/reference-format.md``): the region, its
    municipalities, the national catalogue and its own items, its care homes and (``routes``) its
    routes; one audit row when anything changed.

    Every file is read and checked first, then against every region in the database; any problem
    raises ``ReferenceRefused`` before a row is written. The writes run in a SAVEPOINT, so a load
    that fails half-way leaves the caller's transaction as it was.
    """
    files = read_region_dir(directory)
    code: str = files.region["code"]
    result = ReferenceLoad(region=code)
    with _scoped(session, ALL_REGIONS):
        _check_against_database(session, files, routes=routes)
    with session.begin_nested():
        with _scoped(session, ALL_REGIONS):
            _write_region(session, files.region, result)
            session.flush()
            mine = {"region_code": code}
            _upsert(
                session,
                Municipality,
                "code",
                [{**row, **mine} for row in files.municipalities],
                result,
            )
            national = read_items() if not _is_national_catalogue(directory) else files.items
            _upsert(
                session,
                Item,
                "code",
                [{**row, "region_code": None} for row in national],
                result,
                insert_only=not _is_national_catalogue(directory),
            )
            if files.own_items:
                _upsert(session, Item, "code", [{**row, **mine} for row in files.items], result)
            _upsert(session, CareHome, "id", [{**row, **mine} for row in files.care_homes], result)
        with _scoped(session, code):
            if routes:
                result.updated["routes"] = load_routes(
                    session, actor=actor, now=now, rows=files.routes
                )
            if result.changed:
                record_audit(
                    session,
                    actor=actor,
                    action="reference_data.load",
                    entity="reference_data",
                    entity_id=code,
                    details={"inserted": result.inserted, "updated": result.updated},
                    now=now,
                )
    return result


def load_reference_data(
    session: Session, *, actor: str = "system:reference", now: datetime | None = None
) -> ReferenceLoad:
    """Upsert Stockholm county (``data/reference/``) and the national catalogue, without the
    routes (``data.logistics.routes.load_routes`` loads those); one audit row when anything
    changed."""
    return load_region(session, REFERENCE_DIR, actor=actor, now=now, routes=False)
