"""Manifests of an approved run: stops in route order, lots FEFO, documents that add up to it."""

from __future__ import annotations

import io
import threading
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import Engine, func, select

from data.db import session_scope
from data.errors import NotFound
from data.logistics.manifests import CODE_ALPHABET, CODE_LENGTH, confirmation_code, list_manifests
from data.models import AuditEntry, Manifest
from data.outreach.outbox import list_messages
from jobs.cli import main
from jobs.documents import render_delivery_note_pdf, render_pick_list_pdf
from jobs.documents.formatting import fmt_int
from jobs.documents.from_manifests import build_manifest_documents
from jobs.steps.escalate import escalate_round
from jobs.steps.manifests import produce_manifests
from tests.jobs.conftest import (
    ACTOR,
    HOMES,
    ApprovedRound,
    build_approved_round,
    use_up_free_stock,
)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def test_one_manifest_per_route_with_receiving_stops_in_route_order(
    approved_round: ApprovedRound,
) -> None:
    engine = approved_round.engine
    ids = produce_manifests(engine, round_date=approved_round.round_date, actor=ACTOR)
    with session_scope(engine) as session:
        manifests = list_manifests(session, round_date=approved_round.round_date)
        assert [m.id for m in manifests] == ids
        assert [m.route_code for m in manifests] == ["R1", "R2"]
        r1, r2 = manifests
        # 0117 is on R1 but receives nothing: no stop for it, and the numbering has no gap.
        assert [(s.stop_number, s.municipality_code) for s in r1.stops] == [
            (1, "0114"),
            (2, "0115"),
        ]
        assert [(s.stop_number, s.municipality_code) for s in r2.stops] == [(1, "0180")]
        loaded: dict[tuple[str, str], int] = defaultdict(int)
        for manifest in manifests:
            assert manifest.status == "planned"
            for stop in manifest.stops:
                assert len(stop.confirmation_code) == CODE_LENGTH
                assert set(stop.confirmation_code) <= set(CODE_ALPHABET)
                for line in stop.lines:
                    loaded[(stop.municipality_code, line.item_code)] += line.units
                    assert line.packs * {"IIR": 50, "HAND": 10}[line.item_code] == line.units
        assert dict(loaded) == approved_round.allocated()
        # FEFO across routes and stops: the early lot (300) goes to the first stop first.
        first = {(li.item_code, li.lot): li.units for li in r1.stops[0].lines}
        assert first == {("IIR", "IIR-A"): 300, ("IIR", "IIR-B"): 100, ("HAND", "HR-1"): 20}
        assert {(li.lot, li.units) for li in r2.stops[0].lines} == {("IIR-B", 400), ("HR-1", 30)}
        # Load: 0114 8 packs IIR + 2 packs HAND, 0115 4 packs IIR; 1.2 l and 11 l a pack.
        assert r1.load_l == pytest.approx(12 * 1.2 + 2 * 11.0)
        codes = [s.confirmation_code for m in manifests for s in m.stops]
        assert len(set(codes)) == len(codes)
        assert codes[0] == confirmation_code(approved_round.run_id, "R1", 1)


def test_producing_twice_returns_the_same_manifests(approved_round: ApprovedRound) -> None:
    engine = approved_round.engine
    first = produce_manifests(engine, round_date=approved_round.round_date, actor=ACTOR)
    second = produce_manifests(engine, round_date=approved_round.round_date, actor=ACTOR)
    assert first == second
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Manifest)) == 2
        audits = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "manifests.create")
        ).all()
        assert len(audits) == 1


def test_no_approved_run_is_a_clear_error(approved_round: ApprovedRound) -> None:
    with pytest.raises(NotFound, match="approved run"):
        produce_manifests(approved_round.engine, round_date=date(2026, 11, 25), actor=ACTOR)


def test_pick_lists_add_up_to_the_run_and_notes_hold_every_line(
    approved_round: ApprovedRound,
) -> None:
    engine = approved_round.engine
    produce_manifests(engine, round_date=approved_round.round_date, actor=ACTOR)
    with session_scope(engine) as session:
        documents = build_manifest_documents(session, round_date=approved_round.round_date)
    picked: dict[str, int] = defaultdict(int)
    for pick_list in documents.pick_lists:
        for line in pick_list.lines:
            picked[line.item_code] += line.units
        text = pdf_text(render_pick_list_pdf(pick_list))
        assert pick_list.route_code in text
        for line in pick_list.lines:
            assert line.lot in text
    assert dict(picked) == approved_round.per_item()

    assert [(n.route_code, n.stop_number) for n in documents.delivery_notes] == [
        ("R1", 1),
        ("R1", 2),
        ("R2", 1),
    ]
    for note in documents.delivery_notes:
        text = pdf_text(render_delivery_note_pdf(note))
        assert note.confirmation_code in text
        assert note.municipality_name in text
        expected = [
            line
            for line in approved_round.lines
            if HOMES[line[0]][1] == note.municipality_code and line[4] > 0
        ]
        assert len(note.care_homes) == len(expected)
        for home, item, _situation, _requested, quantity, _use in expected:
            assert HOMES[home][0] in text, (note.municipality_code, home)
            assert fmt_int(quantity) in text
            assert any(
                (h.care_home_id, h.item_code, h.units) == (home, item, quantity)
                for h in note.care_homes
            )
        for item_line in note.items:
            for lot in item_line.lots:
                assert lot.lot in text


def test_manifests_command_writes_pdfs_and_csvs(
    approved_round: ApprovedRound, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = approved_round.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("FORDELA_DATABASE_URL", url)
    result = CliRunner().invoke(
        main, ["manifests", "--date", "2026-11-24", "--out", str(tmp_path)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "2026-11-24"
    names = sorted(p.name for p in folder.iterdir())
    assert "R1-plocklista.pdf" in names
    assert "R1-stopp-01-0114-foljesedel.pdf" in names
    assert "R1-stopp-02-0115-foljesedel.pdf" in names
    assert "R2-stopp-01-0180-foljesedel.pdf" in names
    assert {"plocklistor.csv", "foljesedlar.csv"} <= set(names)
    assert str(folder / "R1-plocklista.pdf") in result.output
    csv_text = (folder / "plocklistor.csv").read_bytes().decode("utf-8-sig")
    assert "IIR-A" in csv_text and "HR-1" in csv_text


def test_producing_from_two_threads_at_once_gives_one_set(approved_round: ApprovedRound) -> None:
    engine = approved_round.engine
    use_up_free_stock(engine)
    start = threading.Barrier(2)
    results: list[tuple[list[int], list[str]]] = []

    def produce() -> None:
        start.wait()
        ids = produce_manifests(engine, round_date=approved_round.round_date, actor=ACTOR)
        refs = escalate_round(engine, round_date=approved_round.round_date, actor=ACTOR)
        results.append((ids, refs))

    threads = [threading.Thread(target=produce) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and results[0] == results[1]
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Manifest)) == 2
        assert len(list_messages(session)) == 2


def test_a_lot_that_breaks_a_pack_still_gives_documents_that_add_up(
    fresh_engine: Engine,
) -> None:
    # IIR-A ends mid-pack (290 units) and IIR-B (10 units) lies inside the pack IIR-A started.
    receipts = [
        ("IIR", "IIR-A", date(2027, 1, 31), 290),
        ("IIR", "IIR-B", date(2027, 3, 31), 10),
        ("IIR", "IIR-C", date(2027, 9, 30), 1000),
        ("HAND", "HR-1", None, 200),
    ]
    round_ = build_approved_round(fresh_engine, receipts)
    produce_manifests(fresh_engine, round_date=round_.round_date, actor=ACTOR)
    with session_scope(fresh_engine) as session:
        [r1, _r2] = list_manifests(session, round_date=round_.round_date)
        first = {(li.lot, li.units) for li in r1.stops[0].lines if li.item_code == "IIR"}
        assert first == {("IIR-A", 290), ("IIR-B", 10), ("IIR-C", 100)}
        documents = build_manifest_documents(session, round_date=round_.round_date)
    note = documents.delivery_notes[0]
    [iir] = [line for line in note.items if line.item_code == "IIR"]
    assert (iir.packs, iir.units) == (8, 400)
    assert [(lot.lot, lot.packs, lot.units) for lot in iir.lots] == [
        ("IIR-A", 6, 290),
        ("IIR-B", 0, 10),
        ("IIR-C", 2, 100),
    ]
    assert "IIR-B" in pdf_text(render_delivery_note_pdf(note))
