"""Substitutes on the database path (issue 12): stored run lines, pack moves, the ledger, the
manifests and the documents, on SQLite and PostgreSQL.

The test round's IIR masks are short (500 units for 1 200 asked); FFP2 respirators are counted down
to 800 for 600 asked.
With the rule "FFP2 may serve IIR" on, the run stores, beside a need line's own IIR row, a row per
substitute (``delivered_item_code`` FFP2, its quantity in FFP2 units, the request and unmet on the
own row only); approval reserves FFP2 from FFP2's lots; the manifests pick FFP2; the delivery
notes and pick lists say "… i stället för …"; a pack move keeps to the IIR rows.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from pypdf import PdfReader
from sqlalchemy import Engine

from allocation.model import SubstituteRule
from data.db import session_scope
from data.logistics.manifests import list_manifests
from data.runs.edits import EditRefused, move_packs
from data.runs.policy import DEFAULT_POLICY, save_policy
from data.runs.records import get_run, list_run_lines, reserved_by_run
from data.stock.ledger import record_adjustment
from jobs.documents import render_delivery_note_pdf, render_pick_list_pdf
from jobs.documents.from_manifests import build_manifest_documents
from jobs.steps.allocate import allocate_round
from jobs.steps.day import run_day
from tests.jobs.cycle_rounds import ACTOR, prepared_round

D = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
RULE = SubstituteRule("FFP2", "IIR", 1.0, True)


def _with_rule(engine: Engine) -> None:
    policy = DEFAULT_POLICY.__class__(**{**DEFAULT_POLICY.__dict__, "substitutes": (RULE,)})
    with session_scope(engine) as session:
        save_policy(session, policy=policy, target_days=3, actor=ACTOR, now=NOW)


def test_substitute_rows_are_stored_reserved_picked_and_printed(fresh_engine: Engine) -> None:
    prepared_round(fresh_engine, D)
    _with_rule(fresh_engine)
    with session_scope(fresh_engine) as session:  # FFP2 to spare, but not enough for all IIR
        record_adjustment(
            session,
            item="FFP2",
            lot=f"FFP2-{D:%m%d}",
            delta=-1200,
            reason="test: räknat",
            actor=ACTOR,
            now=NOW,
        )
    draft = allocate_round(fresh_engine, round_date=D, actor=ACTOR)
    with session_scope(fresh_engine) as session:
        lines = list_run_lines(session, run_id=draft)
        run = get_run(session, run_id=draft)
        assert run.policy["substitutes"] == [
            {"item": "FFP2", "for": "IIR", "factor": 1.0, "enabled": True}
        ]
    stand_ins = [x for x in lines if x.delivered_item_code != x.item_code]
    assert stand_ins, "the rule is on and FFP2 lies idle: some IIR line gets FFP2"
    assert {(x.item_code, x.delivered_item_code) for x in stand_ins} == {("IIR", "FFP2")}
    for row in stand_ins:
        assert row.requested == row.requested_rounded == row.unmet == 0  # on the own row only
        assert row.quantity > 0 and row.quantity % 20 == 0  # whole FFP2 packs
        own = [x for x in lines if (x.care_home_id, x.item_code, x.delivered_item_code)
               == (row.care_home_id, "IIR", "IIR")]  # fmt: skip
        assert len(own) == 1 and own[0].requested > 0
    ffp2_units = sum(x.quantity for x in lines if x.delivered_item_code == "FFP2")
    iir_units = sum(x.quantity for x in lines if x.delivered_item_code == "IIR")
    assert iir_units <= 500

    # A pack move between two IIR own rows still works beside the substitute rows.
    with session_scope(fresh_engine) as session:
        now_lines = list_run_lines(session, run_id=draft)
        givers = [
            x
            for x in now_lines
            if x.item_code == x.delivered_item_code == "IIR" and x.quantity >= 50
        ]
        served: dict[tuple[str, str], int] = {}
        for x in now_lines:
            key = (x.care_home_id, x.item_code)
            served[key] = served.get(key, 0) + x.quantity
        takers = [x for x in now_lines
                  if x.item_code == x.delivered_item_code == "IIR"
                  and x.care_home_id != givers[0].care_home_id
                  and served[(x.care_home_id, "IIR")] + 50 <= x.requested_rounded]  # fmt: skip
        full = [x for x in now_lines
                if x.item_code == x.delivered_item_code == "IIR"
                and x.care_home_id != givers[0].care_home_id
                and served[(x.care_home_id, "IIR")] + 50 > x.requested_rounded
                and served[(x.care_home_id, "IIR")] > x.quantity]  # fmt: skip
        assert givers and takers
        if full:  # a line its substitutes already serve cannot take more, and the page says so
            try:
                move_packs(session, run_id=draft, item_code="IIR",
                           from_home=givers[0].care_home_id, to_home=full[0].care_home_id,
                           packs=1, reason="test", actor=ACTOR, now=NOW)  # fmt: skip
            except EditRefused as refused:
                assert "som ersättning" in " ".join(refused.swedish)
            else:
                raise AssertionError("a move past a line's request was accepted")
        moved = move_packs(
            session,
            run_id=draft,
            item_code="IIR",
            from_home=givers[0].care_home_id,
            to_home=takers[0].care_home_id,
            packs=1,
            reason="test: flytt",
            actor=ACTOR,
            now=NOW,
        )
        assert moved.units == 50
        assert moved.source.delivered_item_code == moved.target.delivered_item_code == "IIR"

    summary = run_day(fresh_engine, round_date=D, actor=ACTOR, now=NOW)
    assert summary.run_id == draft
    with session_scope(fresh_engine) as session:
        reserved: dict[str, int] = {}
        for entry in reserved_by_run(session, run_id=draft):
            reserved[entry.item_code] = reserved.get(entry.item_code, 0) - entry.quantity
        assert reserved == {"IIR": iir_units, "FFP2": ffp2_units}  # the delivered items' stock
        picked: dict[str, int] = {}
        for manifest in list_manifests(session, run_id=draft):
            for stop in manifest.stops:
                for line in stop.lines:
                    picked[line.item_code] = picked.get(line.item_code, 0) + line.units
        assert picked == reserved
        documents = build_manifest_documents(session, round_date=D)
    home_lines = [h for note in documents.delivery_notes for h in note.care_homes]
    substituted = [h for h in home_lines if h.stands_in_for == "IIR"]
    assert substituted and all(h.item_code == "FFP2" for h in substituted)
    assert all(" i stället för Munskydd" in h.item_name for h in substituted)
    assert sum(h.units for h in substituted) == sum(x.quantity for x in stand_ins)
    picks = [
        line for pick in documents.pick_lists for line in pick.lines if line.item_code == "FFP2"
    ]
    assert picks and all("(även i stället för Munskydd" in line.item_name for line in picks)
    # The printed documents say it too (pypdf's text, one cell per line, may wrap a long name).
    note = next(n for n in documents.delivery_notes if any(h.stands_in_for for h in n.care_homes))
    pick = next(p for p in documents.pick_lists if any(x.item_code == "FFP2" for x in p.lines))
    for data in (render_delivery_note_pdf(note), render_pick_list_pdf(pick)):
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
        assert "i stället för" in " ".join(text.split())
