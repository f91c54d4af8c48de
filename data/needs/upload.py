"""A municipality's need reports for many homes from one CSV or Excel file, all or nothing.

The file has a header row and one row per care home and item, with Swedish headings: ``boende``,
``artikel``, ``behov``, ``i_lager``, ``förbrukning_per_dag`` (may be empty) and ``läge``
(bekräftad / misstänkt / ingen; the same on every row of a home). Files with the earlier English
headings (``care_home_id``, ``item``, ``requested``, ``on_hand``, ``daily_use``, ``situation``;
confirmed / suspected / none) are read too. The template lists every active home of the
municipality and every item with nothing filled in: a row left empty is no need, and a template
uploaded unedited stores nothing and says so. ``parse_need_file`` reads the rows (CSV in UTF-8 with
comma or semicolon, or the first sheet of an .xlsx). ``file_issues`` checks every row — including
that the home belongs to the uploader's municipality — and names the file row (the header is row
1). ``store_need_file`` stores one report per home only when no row is wrong; otherwise it raises
``ValidationFailed`` and stores nothing. Nothing here commits.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.errors import Issue, ValidationFailed
from data.models import CareHome, Situation
from data.needs.reports import StoredReport, submit_need_report, validate_need_lines
from data.needs.upload_process import read_table_apart
from data.needs.upload_table import Table, TableLimits, read_table
from data.reference.catalogue import items_by_code, list_items
from data.settings import Settings

__all__ = [
    "COLUMNS",
    "MAX_FILE_ROWS",
    "UploadRow",
    "file_issues",
    "parse_need_file",
    "store_need_file",
    "template_csv",
    "template_xlsx",
]

COLUMNS = ("care_home_id", "item", "requested", "on_hand", "daily_use", "situation")
REQUIRED = ("care_home_id", "item", "requested", "on_hand", "situation")
# The template's headings, and the column each one is.
SWEDISH = {
    "boende": "care_home_id",
    "artikel": "item",
    "behov": "requested",
    "i_lager": "on_hand",
    "förbrukning_per_dag": "daily_use",
    "läge": "situation",
}
HEADING = {column: heading for heading, column in SWEDISH.items()}
TEMPLATE_HEADER = (
    "boende",
    "boendets_namn",
    "artikel",
    "artikelns_namn",
    "behov",
    "i_lager",
    "förbrukning_per_dag",
    "läge",
)
SITUATION_WORDS = {"bekräftad": "confirmed", "misstänkt": "suspected", "ingen": "none"}
FILLED_IN = ("requested", "on_hand", "daily_use", "situation")
MAX_FILE_ROWS = 10_000
"""Data rows an upload may hold (a municipality's homes × items; the largest has ~3,000)."""


@dataclass(frozen=True)
class UploadRow:
    """One data row of the file and its row number in the file (the header is row 1)."""

    number: int
    values: dict[str, str]
    # Column → the heading the file used for it (Swedish or the earlier English), for messages.
    headings: dict[str, str] = field(default_factory=dict)


def _rows(table: Table) -> list[UploadRow]:
    present = {SWEDISH.get(name, name) for name in table.header}
    missing = [name for name in REQUIRED if name not in present]
    if missing:
        raise ValidationFailed(
            [
                {
                    "field": HEADING[name],
                    "line": 1,
                    "message": f"kolumnen {HEADING[name]} saknas i rubrikraden",
                }
                for name in missing
            ]
        )
    headings = {SWEDISH.get(name, name): name for name in table.header}
    rows = []
    for number, values in table.rows:
        named = {SWEDISH.get(name, name): value for name, value in values.items()}
        # A template row nobody filled in (home and item only) is no need.
        if any(named.get(name) for name in FILLED_IN):
            rows.append(UploadRow(number, named, headings))
    return rows


def parse_need_file(filename: str, content: bytes, *, apart: bool = False) -> list[UploadRow]:
    """The data rows of an uploaded .csv or .xlsx; ``ValidationFailed`` if it cannot be read.

    CSV must be UTF-8 (latin-1 and UTF-16 are refused naming the encoding); more than
    ``MAX_FILE_ROWS`` data rows are refused, and so is any file that would take more memory or
    time than a municipality's real file (``data.needs.upload_table``). Cells are text: a formula
    (``=…``) is never evaluated (an .xlsx is read for its stored values only). ``apart`` reads it
    in a child process (``data.needs.upload_process``): what a web request does.
    """
    read = read_table_apart if apart else read_table
    wanted = (*COLUMNS, *SWEDISH)
    return _rows(read(filename, content, wanted, TableLimits(rows=MAX_FILE_ROWS + 1)))


def _shown(value: str) -> str:
    """A value as an error message quotes it: short, so an error report stays small."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _home_lines(
    session: Session, rows: list[UploadRow], municipality_code: str, errors: list[Issue]
) -> dict[str, tuple[str, list[UploadRow]]]:
    homes = {
        home.id: home
        for home in session.scalars(
            select(CareHome).where(
                CareHome.municipality_code == municipality_code, CareHome.active.is_(True)
            )
        )
    }
    grouped: dict[str, list[UploadRow]] = defaultdict(list)
    situations: dict[str, str] = {}
    allowed = {s.value for s in Situation}
    word_of = {code: word for word, code in SITUATION_WORDS.items()}
    for row in rows:
        home_id = row.values.get("care_home_id", "")
        given = row.values.get("situation", "").lower()
        situation = SITUATION_WORDS.get(given, given)
        if home_id not in homes:
            message = f"boendet {_shown(home_id)} finns inte bland kommunens aktiva boenden"
            errors.append({"field": "care_home_id", "line": row.number, "message": message})
            continue
        if situation not in allowed:
            message = f"{_shown(given)} är inte en av {', '.join(SITUATION_WORDS)}"
            errors.append({"field": "situation", "line": row.number, "message": message})
        elif situations.setdefault(home_id, situation) != situation:
            earlier = word_of[situations[home_id]]
            message = f"boendet har redan läget {earlier} på en tidigare rad"
            errors.append({"field": "situation", "line": row.number, "message": message})
        grouped[home_id].append(row)
    return {home: (situations.get(home, "none"), lines) for home, lines in grouped.items()}


def _line(row: UploadRow) -> dict[str, str]:
    line = {k: row.values.get(k, "") for k in ("item", "requested", "on_hand", "daily_use")}
    if not line["daily_use"]:
        del line["daily_use"]
    return line


def file_issues(
    session: Session, *, rows: list[UploadRow], municipality_code: str
) -> tuple[list[Issue], dict[str, tuple[str, list[UploadRow]]]]:
    """Every problem in the rows (each naming its file row), and the rows grouped per home."""
    errors: list[Issue] = []
    if not rows:
        message = (
            "filen har inga ifyllda rader: fyll i behov, i_lager och läge för de boenden som"
            " rapporterar (rader som lämnas tomma räknas inte)"
        )
        errors.append({"field": "file", "line": None, "message": message})
    grouped = _home_lines(session, rows, municipality_code, errors)
    items = items_by_code(session)
    for home_id, (_situation, home_rows) in sorted(grouped.items()):
        home = session.get(CareHome, home_id)
        places = home.places if home else 1
        _clean, issues, _warnings = validate_need_lines(
            [_line(r) for r in home_rows], items=items, places=places
        )
        for issue in issues:
            line = issue["line"]
            number = home_rows[line - 1].number if line else None
            errors.append({"field": issue["field"], "line": number, "message": issue["message"]})
    headings = rows[0].headings if rows and rows[0].headings else HEADING
    for issue in errors:
        # Name the column as the file's heading does.
        issue["field"] = headings.get(issue["field"], issue["field"])
    errors.sort(key=lambda issue: (issue["line"] or 0, issue["field"]))
    return errors, grouped


def store_need_file(
    session: Session,
    *,
    rows: list[UploadRow],
    municipality_code: str,
    submitted_by: str,
    now: datetime,
    settings: Settings | None = None,
    round_date: date | None = None,
) -> list[StoredReport]:
    """One report per home in the file, in one savepoint: all stored, or ``ValidationFailed``.

    ``round_date`` is the round the uploader meant (see ``submit_need_report``).
    """
    errors, grouped = file_issues(session, rows=rows, municipality_code=municipality_code)
    if errors:
        raise ValidationFailed(errors)
    reports: list[StoredReport] = []
    with session.begin_nested():
        for home_id, (situation, home_rows) in sorted(grouped.items()):
            submitted = submit_need_report(
                session,
                care_home_id=home_id,
                lines=[_line(r) for r in home_rows],
                situation=situation,
                submitted_by=submitted_by,
                now=now,
                settings=settings,
                round_date=round_date,
            )
            reports.append(submitted.report)
    return reports


def _template_rows(session: Session, municipality_code: str) -> list[list[str]]:
    """The header and one empty row per active home and item: nothing invented to file by
    mistake, the names beside the codes so the right row is easy to find."""
    homes = session.scalars(
        select(CareHome)
        .where(CareHome.municipality_code == municipality_code, CareHome.active.is_(True))
        .order_by(CareHome.name, CareHome.id)
    ).all()
    items = list_items(session)
    rows = [list(TEMPLATE_HEADER)]
    for home in homes:
        for item in items:
            rows.append([home.id, home.name, item.code, item.name_sv, "", "", "", ""])
    return rows


def template_csv(session: Session, *, municipality_code: str) -> bytes:
    """A CSV template: Swedish headings and one row per home and item to fill in."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(_template_rows(session, municipality_code))
    return out.getvalue().encode("utf-8-sig")


def template_xlsx(session: Session, *, municipality_code: str) -> bytes:
    """The same template as an Excel workbook."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "behov"
    for row in _template_rows(session, municipality_code):
        # Figures as numbers: Excel flags numbers stored as text and will not sum them.
        sheet.append([int(cell) if cell.isdigit() else cell for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
