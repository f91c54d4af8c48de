"""Escalation to the national agency: one request per item short, queued in the outbox with it."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from data.db import session_scope
from data.errors import Conflict, NotFound
from data.escalations.requests import AGENCY_SUPPLIER, get_escalation, set_escalation_status
from data.outreach.outbox import list_messages
from data.stock.ledger import list_stock_entries
from jobs.cli import main
from jobs.documents import escalation_to_json
from jobs.documents.files import write_round_documents
from jobs.documents.from_escalations import round_escalation_requests
from jobs.steps.escalate import escalate_round, receive_agency_delivery
from tests.jobs.conftest import ACTOR, ApprovedRound, use_up_free_stock

ROUND = date(2026, 11, 24)


def test_only_what_the_regions_stock_cannot_cover_is_asked_for(
    approved_round: ApprovedRound,
) -> None:
    """The fixture's run leaves 300 IIR and 150 l hand rub free: hand rub (40 l short) is not
    escalated at all, IIR asks for 500 − 300 = 200."""
    engine = approved_round.engine
    refs = escalate_round(engine, round_date=approved_round.round_date, actor=ACTOR)
    assert refs == ["ESK-20261124-IIR"]
    with session_scope(engine) as session:
        iir = get_escalation(session, reference="ESK-20261124-IIR")
        assert (iir.total_unmet, iir.homes_shortfall, iir.free_stock) == (200, 500, 300)
        assert iir.region_stock == 1300  # 300 free + 1 000 reserved for the round's delivery
        assert iir.days_of_supply == pytest.approx(1300 / 250, abs=0.01)
        assert [m.idempotency_key for m in list_messages(session)] == ["ESK-20261124-IIR"]


def test_each_item_short_becomes_one_request_with_its_outbox_message(
    approved_round: ApprovedRound,
) -> None:
    engine = approved_round.engine
    use_up_free_stock(engine)
    refs = escalate_round(engine, round_date=approved_round.round_date, actor=ACTOR)
    assert refs == ["ESK-20261124-HAND", "ESK-20261124-IIR"]
    with session_scope(engine) as session:
        iir = get_escalation(session, reference="ESK-20261124-IIR")
        assert (iir.total_unmet, iir.homes_confirmed, iir.status) == (500, 2, "queued")
        assert iir.region_stock == 1000  # nothing free: the 1 000 reserved by the run
        assert iir.days_of_supply == pytest.approx(1000 / 250)  # H0005 gave no daily use
        assert iir.run_id == approved_round.run_id
        assert [
            (r["municipality_code"], r["unmet"], r["homes_short"], r["homes_confirmed"])
            for r in iir.by_municipality
        ] == [("0114", 200, 2, 1), ("0115", 100, 1, 0), ("0180", 200, 1, 1)]
        hand = get_escalation(session, reference="ESK-20261124-HAND")
        assert (hand.total_unmet, hand.homes_confirmed, hand.region_stock) == (40, 2, 50)
        assert hand.days_of_supply == pytest.approx(50 / 9, abs=0.01)
        messages = list_messages(session)
        assert [(m.idempotency_key, m.topic, m.status) for m in messages] == [
            ("ESK-20261124-HAND", "escalation", "pending"),
            ("ESK-20261124-IIR", "escalation", "pending"),
        ]
        requests = {r.reference: r for r in round_escalation_requests(session, round_date=ROUND)}
        assert messages[1].payload == escalation_to_json(requests["ESK-20261124-IIR"])
        assert messages[1].payload["total_unmet"] == 500


def test_escalating_twice_queues_nothing_new(approved_round: ApprovedRound) -> None:
    engine = approved_round.engine
    use_up_free_stock(engine)
    first = escalate_round(engine, round_date=ROUND, actor=ACTOR)
    second = escalate_round(engine, round_date=ROUND, actor=ACTOR)
    assert first == second
    with session_scope(engine) as session:
        assert len(list_messages(session)) == 2


def test_requests_download_as_json_csv_and_pdf(
    approved_round: ApprovedRound, tmp_path: Path
) -> None:
    engine = approved_round.engine
    use_up_free_stock(engine)
    escalate_round(engine, round_date=ROUND, actor=ACTOR)
    written = write_round_documents(engine, round_date=ROUND, out_dir=tmp_path)
    names = {p.name for p in written}
    assert {"ESK-20261124-IIR.json", "ESK-20261124-IIR.pdf", "begaran-om-stod.csv"} <= names
    folder = tmp_path / "2026-11-24"
    document = json.loads((folder / "ESK-20261124-IIR.json").read_text(encoding="utf-8"))
    assert document["reference"] == "ESK-20261124-IIR" and document["total_unmet"] == 500
    text = "\n".join(
        page.extract_text() or ""
        for page in PdfReader(io.BytesIO((folder / "ESK-20261124-IIR.pdf").read_bytes())).pages
    )
    assert "ESK-20261124-IIR" in text and "Vallentuna" in text
    rows = (folder / "begaran-om-stod.csv").read_bytes().decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + 3 + 2  # header, IIR in three municipalities, HAND in two


def test_status_moves_forward_and_agency_deliveries_are_received_as_stock(
    approved_round: ApprovedRound,
) -> None:
    engine = approved_round.engine
    use_up_free_stock(engine)
    escalate_round(engine, round_date=ROUND, actor=ACTOR)
    with session_scope(engine) as session:
        set_escalation_status(
            session, reference="ESK-20261124-IIR", status="acknowledged", agency_reference="SoS-7"
        )
    with session_scope(engine) as session, pytest.raises(Conflict, match="cannot go to sent"):
        set_escalation_status(session, reference="ESK-20261124-IIR", status="sent")
    with session_scope(engine) as session, pytest.raises(NotFound):
        set_escalation_status(session, reference="ESK-nope", status="sent")

    status = receive_agency_delivery(
        engine,
        reference="ESK-20261124-IIR",
        lot="SOS-1",
        expiry=date(2028, 1, 31),
        quantity=300,
        actor=ACTOR,
    )
    assert status == "partly_met"
    status = receive_agency_delivery(
        engine, reference="ESK-20261124-IIR", lot="SOS-2", expiry=None, quantity=200, actor=ACTOR
    )
    assert status == "met"
    with session_scope(engine) as session:
        escalation = get_escalation(session, reference="ESK-20261124-IIR")
        assert (escalation.received_units, escalation.agency_reference) == (500, "SoS-7")
        receipts = list_stock_entries(session, reference="ESK-20261124-IIR")
        assert [(e.kind, e.lot, e.quantity, e.supplier) for e in receipts] == [
            ("receipt", "SOS-1", 300, AGENCY_SUPPLIER),
            ("receipt", "SOS-2", 200, AGENCY_SUPPLIER),
        ]


def test_escalation_commands(
    approved_round: ApprovedRound, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "FORDELA_DATABASE_URL", approved_round.engine.url.render_as_string(hide_password=False)
    )
    use_up_free_stock(approved_round.engine)
    escalate_round(approved_round.engine, round_date=ROUND, actor=ACTOR)
    runner = CliRunner()
    result = runner.invoke(main, ["escalation", "status", "ESK-20261124-IIR", "acknowledged"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["escalation", "status", "ESK-20261124-IIR", "sent"])
    assert result.exit_code == 1 and "cannot go to sent" in result.output
    args = ["escalation", "receive", "ESK-20261124-IIR", "--lot", "SOS-9", "--quantity", "500"]
    result = runner.invoke(main, [*args, "--expiry", "2028-01-31"])
    assert result.exit_code == 0 and "now met" in result.output, result.output
    result = runner.invoke(main, ["escalation", "list", "--date", "2026-11-24"])
    assert result.exit_code == 0, result.output
    assert "ESK-20261124-HAND" in result.output and "met" in result.output
    result = runner.invoke(main, ["discrepancies", "--date", "2026-11-24"])
    assert result.exit_code == 0 and "no discrepancies" in result.output
