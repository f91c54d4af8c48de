"""The web overviews' aggregates and the municipality upload, on both engines."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.errors import ValidationFailed
from data.models import CareHome, NeedReport
from data.needs.reports import submit_need_report
from data.needs.upload import parse_need_file, store_need_file, template_csv, template_xlsx
from data.overview.county import (
    bucket_of,
    home_report_status,
    item_positions,
    supply_buckets,
)
from data.settings import Settings
from data.stock.ledger import record_receipt

ROUND = date(2026, 11, 24)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _homes(session: Session, municipality: str, count: int) -> list[str]:
    query = (
        select(CareHome.id)
        .where(CareHome.municipality_code == municipality, CareHome.active.is_(True))
        .order_by(CareHome.id)
        .limit(count)
    )
    return list(session.scalars(query))


def _file(session: Session, home: str, lines: list[dict[str, int | str]]) -> None:
    submit_need_report(
        session,
        care_home_id=home,
        lines=lines,
        situation="confirmed",
        submitted_by="test",
        now=NOW,
        settings=Settings(),
        round_date=ROUND,
    )


def test_bucket_edges() -> None:
    assert [bucket_of(d) for d in (0, 0.99, 1, 3.99, 4, 14.99, 15, 90)] == [
        "0",
        "0",
        "1–3",
        "1–3",
        "4–14",
        "4–14",
        "15+",
        "15+",
    ]


def test_positions_buckets_and_status_follow_the_scope(session: Session) -> None:
    stockholm = _homes(session, "0180", 2)
    haninge = _homes(session, "0136", 1)
    _file(session, stockholm[0], [{"item": "IIR", "requested": 100, "on_hand": 0, "daily_use": 50}])
    _file(
        session, stockholm[1], [{"item": "IIR", "requested": 200, "on_hand": 100, "daily_use": 20}]
    )
    _file(session, haninge[0], [{"item": "IIR", "requested": 50, "on_hand": 10}])
    record_receipt(
        session, item="IIR", lot="L1", quantity=250, expiry=None, supplier="s", actor="t", now=NOW
    )
    county = {p.code: p for p in item_positions(session, round_date=ROUND)}
    assert county["IIR"].requested == 350 and county["IIR"].shortfall == 100
    local = {p.code: p for p in item_positions(session, round_date=ROUND, municipality_code="0180")}
    assert local["IIR"].requested == 300 and local["IIR"].in_stock == 250
    rows = {b.code: b for b in supply_buckets(session, round_date=ROUND)}
    assert rows["0180"].counts == {"0": 1, "1–3": 0, "4–14": 1, "15+": 0}
    assert rows["0136"].unknown == 1 and rows["0136"].total == 1
    assert [
        b.code for b in supply_buckets(session, round_date=ROUND, municipality_code="0136")
    ] == ["0136"]
    status = {
        h.id: h for h in home_report_status(session, round_date=ROUND, municipality_code="0180")
    }
    assert status[stockholm[0]].version == 1 and status[stockholm[0]].lines == 1
    assert haninge[0] not in status
    assert sum(1 for h in status.values() if h.version is None) == len(status) - 2


def test_days_of_supply_count_homes_by_the_item_that_runs_out_first(session: Session) -> None:
    """Issue 16: the chart counted need lines (14 per home) and left out the homes it could not
    place; a home is now counted once, by its scarcest item, and "okänt" is a count of homes."""
    one, two, three = _homes(session, "0180", 3)
    _file(
        session,
        one,
        [
            {"item": "IIR", "requested": 100, "on_hand": 200, "daily_use": 10},  # 20 days
            {"item": "FFP2", "requested": 20, "on_hand": 20, "daily_use": 10},  # 2 days
            {"item": "VISIR", "requested": 25, "on_hand": 0},  # no daily use
        ],
    )
    _file(session, two, [{"item": "IIR", "requested": 50, "on_hand": 0, "daily_use": 5}])
    _file(session, three, [{"item": "IIR", "requested": 50, "on_hand": 5}])
    stockholm = next(b for b in supply_buckets(session, round_date=ROUND) if b.code == "0180")
    assert stockholm.counts == {"0": 1, "1–3": 1, "4–14": 0, "15+": 0}
    assert (stockholm.unknown, stockholm.total) == (1, 3)


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(NeedReport)) or 0)


def _filled(template: bytes, filled: dict[tuple[str, str], str]) -> tuple[bytes, list[int]]:
    """The CSV template with some rows filled in as a coordinator would (behov, i_lager,
    förbrukning_per_dag, läge), and the file row numbers of those rows."""
    rows = list(csv.reader(io.StringIO(template.decode("utf-8-sig"))))
    numbers = []
    for k, row in enumerate(rows):
        if (row[0], row[2]) in filled:
            row[4:] = filled[(row[0], row[2])].split(",")
            numbers.append(k + 1)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8"), numbers


def test_the_template_invents_nothing_and_unedited_stores_nothing(session: Session) -> None:
    # Issue 16: the template held invented figures for two real homes, filed if uploaded as is.
    template = template_csv(session, municipality_code="0180")
    header, *rows = template.decode("utf-8-sig").strip().split("\r\n")
    assert (
        header
        == "boende,boendets_namn,artikel,artikelns_namn,behov,i_lager,förbrukning_per_dag,läge"
    )
    homes = _homes(session, "0180", 1000)
    assert {row.split(",")[0] for row in rows} == set(homes)
    assert all(row.endswith(",,,,") for row in rows)
    before = _count(session)
    for name, content in (
        ("behov.csv", template),
        ("behov.xlsx", template_xlsx(session, municipality_code="0180")),
    ):
        with pytest.raises(ValidationFailed) as caught:
            store_need_file(
                session,
                rows=parse_need_file(name, content),
                municipality_code="0180",
                submitted_by="kommun-stockholm",
                now=NOW,
            )
        assert "inga ifyllda rader" in caught.value.errors[0]["message"]
    assert _count(session) == before


def test_upload_with_one_bad_row_stores_nothing(session: Session) -> None:
    one, two = _homes(session, "0180", 2)
    other = _homes(session, "0136", 1)[0]
    good, numbers = _filled(
        template_csv(session, municipality_code="0180"),
        {(one, "IIR"): "500,120,80,ingen", (two, "HANDSKE_M"): "1000,300,,misstänkt"},
    )
    assert len(numbers) == 2
    bad = good.rstrip(b"\r\n") + f"\r\n{other},Annat boende,IIR,,10,0,,ingen\r\n".encode()
    bad_row = bad.decode().count("\r\n")
    before = _count(session)
    with pytest.raises(ValidationFailed) as caught:
        store_need_file(
            session,
            rows=parse_need_file("behov.csv", bad),
            municipality_code="0180",
            submitted_by="kommun-stockholm",
            now=NOW,
        )
    assert [(i["field"], i["line"]) for i in caught.value.errors] == [("boende", bad_row)]
    assert _count(session) == before
    reports = store_need_file(
        session,
        rows=parse_need_file("behov.csv", good),
        municipality_code="0180",
        submitted_by="kommun-stockholm",
        now=NOW,
    )
    assert len(reports) == 2 and _count(session) == before + 2
    assert {r.situation for r in reports} == {"none", "suspected"}


def test_unreadable_file_and_missing_columns_are_named() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_need_file("behov.xlsx", b"not a workbook")
    assert caught.value.errors[0]["field"] == "file"
    with pytest.raises(ValidationFailed) as caught:
        parse_need_file("behov.csv", b"boende;artikel\nH1;IIR\n")
    assert {i["field"] for i in caught.value.errors} == {"behov", "i_lager", "läge"}
    # Files with the earlier English headings are still read.
    rows = parse_need_file(
        "behov.csv", b"care_home_id,item,requested,on_hand,situation\nH1,IIR,5,0,none\n"
    )
    assert rows[0].values["requested"] == "5"


def test_an_excel_file_filled_in_with_numbers_is_read(session: Session) -> None:
    """Issue 16: Excel numbers, not text, in the template's columns."""
    book = load_workbook(io.BytesIO(template_xlsx(session, municipality_code="0180")))
    sheet = book.active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    assert header[4:] == ["behov", "i_lager", "förbrukning_per_dag", "läge"]
    sheet.cell(row=2, column=5, value=200)
    sheet.cell(row=2, column=6, value=40)
    sheet.cell(row=2, column=7, value=12.5)
    sheet.cell(row=2, column=8, value="bekräftad")
    out = io.BytesIO()
    book.save(out)
    rows = parse_need_file("behov.xlsx", out.getvalue())
    assert len(rows) == 1
    assert rows[0].values["requested"] == "200" and rows[0].values["situation"] == "bekräftad"
