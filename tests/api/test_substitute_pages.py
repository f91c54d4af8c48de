"""A substitute's row on the run page and in the API (issue 12): "FFP2 i stället för IIR", the
row not editable itself, the run's policy card naming the rule, and ``delivered_item_code`` in
``GET /api/v1/runs/{id}/lines`` (the request and unmet on the need line's own row)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from fastapi import FastAPI
from sqlalchemy import Engine

from allocation.model import SubstituteRule
from data.db import session_scope
from data.runs.policy import DEFAULT_POLICY, save_policy
from data.stock.ledger import record_adjustment
from jobs.steps.allocate import allocate_round
from tests.api.conftest import bearer_token
from tests.api.testclient import TestClient
from tests.jobs.cycle_rounds import ACTOR, prepared_round

D = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def test_the_run_page_and_the_api_name_the_substitute(
    committed_app: FastAPI, committed_engine: Engine
) -> None:
    engine = committed_engine
    prepared_round(engine, D)
    with session_scope(engine) as session:
        rule = SubstituteRule("FFP2", "IIR", 1.0, True)
        save_policy(
            session,
            policy=replace(DEFAULT_POLICY, substitutes=(rule,)),
            target_days=3,
            actor=ACTOR,
            now=NOW,
        )
        record_adjustment(
            session, item="FFP2", lot=f"FFP2-{D:%m%d}", delta=-1200, reason="räknat",
            actor=ACTOR, now=NOW,
        )  # fmt: skip
    run_id = allocate_round(engine, round_date=D, actor=ACTOR)
    with TestClient(committed_app) as client:
        client.headers["Authorization"] = f"Bearer {bearer_token(client, 'lansstyrelsen')}"
        lines = client.get(f"/api/v1/runs/{run_id}/lines", params={"limit": 200}).json()["items"]
        stand_ins = [x for x in lines if x["delivered_item_code"] != x["item_code"]]
        assert stand_ins and {x["delivered_item_code"] for x in stand_ins} == {"FFP2"}
        assert all(x["requested"] == 0 and x["unmet"] == 0 for x in stand_ins)
        page = client.get("/lan/korning", params={"datum": D.isoformat(), "visa": "alla"}).text
        assert "FFP2 i stället för IIR" in page
        assert "Ersättning: ändra behovsradens egen artikel" in page
        assert "ersättning: FFP2 för IIR" in page  # the run's policy card
