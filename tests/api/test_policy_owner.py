"""One owner of the policy (issue 14): the page, the REST API, `fordela run allocate`, the
scheduler and the worker (a run queued from the web) all read ``data.runs.policy.effective_policy``,
so they agree — before anything is saved (the defaults) and after the county saves a policy on
the page. The bug this fixes: the CLI used the
environment's policy and ignored the saved one, and with nothing saved the page showed defaults
that differed from what runs used.

Also the policy page's substitute rules and memory (issue 12): "1,5" read the Swedish way, an
unknown item or a bad factor refused naming the rule and its column, nothing half-written.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy import Engine, select

from allocation import Policy
from allocation.model import DEFAULT_SUBSTITUTES, SubstituteRule
from data.db import session_scope
from data.models import PolicySetting
from data.rounds.calendar import cutoff_at
from data.runs.policy import (
    DEFAULT_POLICY,
    effective_policy,
    policy_to_dict,
    save_policy,
    saved_policy,
)
from data.runs.records import get_run, list_round_runs
from data.settings import Settings
from jobs.cli import main
from jobs.scheduler import Timetable, allocation_job
from jobs.settings import CycleSettings
from jobs.worker import run_pending_jobs
from tests.api.conftest import bearer_token
from tests.api.testclient import TestClient
from tests.jobs.cycle_rounds import file_reports, receive_stock, setup_county

FIRST = date(2026, 11, 24)
SECOND = FIRST + timedelta(days=1)
THIRD = FIRST + timedelta(days=2)


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    assert found, name
    return found.group(1)


def _page_policy(page: str) -> dict[str, object]:
    """The policy as the page shows it, in the core's vocabulary."""
    rules = []
    count = int(_field(page, "rule_count"))
    for k in range(count):
        item = _field(page, f"rule_{k}_item")
        if not item:
            continue
        on = re.search(rf'name="rule_{k}_on"[^>]*checked', page) is not None
        factor = float(_field(page, f"rule_{k}_factor").replace(",", "."))
        rules.append({"item": item, "for": _field(page, f"rule_{k}_for"), "factor": factor,
                      "enabled": on})  # fmt: skip
    checked = re.search(r'name="fairness" value="(\w+)" checked', page)
    assert checked
    return {
        "fairness": checked.group(1),
        "weights": {
            key: float(_field(page, f"weight_{key}").replace(",", "."))
            for key in ("outbreak", "suspected", "normal")
        },
        "reserve_fraction": float(_field(page, "reserve_percent").replace(",", ".")) / 100,
        "whole_packs": re.search(r'name="whole_packs"[^>]*checked', page) is not None,
        "substitutes": rules,
        "memory_rounds": int(_field(page, "memory_rounds")),
    }


def _cli_allocate(engine: Engine, day: date, *extra: str) -> str:
    url = engine.url.render_as_string(hide_password=False)
    done = CliRunner().invoke(
        main,
        ["run", "allocate", "--date", day.isoformat(), *extra],
        env={"FORDELA_DATABASE_URL": url},
    )
    assert done.exit_code == 0, done.output
    with session_scope(engine) as session:
        return next(r.id for r in list_round_runs(session, round_date=day) if r.status == "draft")


def _scheduler_allocate(engine: Engine, day: date) -> str:
    timetable = Timetable(
        settings=Settings(database_url="sqlite://", cutoff=time(10, 0)), cycle=CycleSettings()
    )
    run_id = allocation_job(engine, timetable, now=cutoff_at(day, settings=timetable.settings))
    assert run_id is not None
    return run_id


def _run_policy(engine: Engine, run_id: str) -> dict[str, object]:
    with session_scope(engine) as session:
        return dict(get_run(session, run_id=run_id).policy)


def test_cli_scheduler_and_page_agree_before_and_after_a_save(
    committed_app: FastAPI, committed_engine: Engine
) -> None:
    engine = committed_engine
    if engine.dialect.name != "sqlite":  # the CLI leaves its engine to the process's end
        pytest.skip("the commands are the same on both engines; the scheduler test runs on both")
    homes = setup_county(engine)
    for day in (FIRST, SECOND, THIRD):
        receive_stock(engine, day)
        file_reports(engine, day, homes)
    with TestClient(committed_app) as client:
        client.headers["Authorization"] = f"Bearer {bearer_token(client, 'lansstyrelsen')}"

        # Nothing saved: the page, the API, the CLI and the scheduler all use the defaults.
        shown = _page_policy(client.get("/lan/policy").text)
        assert shown == policy_to_dict(DEFAULT_POLICY)
        api = client.get("/api/v1/policy").json()
        assert api["saved"] is False and api["memory_rounds"] == 0
        assert [(r["item"], r["for"], r["enabled"]) for r in api["substitutes"]] == [
            (r.item, r.serves, r.enabled) for r in DEFAULT_SUBSTITUTES
        ]
        assert _run_policy(engine, _cli_allocate(engine, FIRST)) == shown
        assert _run_policy(engine, _scheduler_allocate(engine, SECOND)) == shown

        # The county saves another policy on the page: the next runs, by CLI or scheduler, use it.
        form = {
            "fairness": "cover",
            "weight_outbreak": "5,5",
            "weight_suspected": "2",
            "weight_normal": "1",
            "reserve_percent": "10",
            "whole_packs": "on",
            "target_days": "4",
            "memory_rounds": "2",
            "rule_count": "2",
            "rule_0_item": "FFP2",
            "rule_0_for": "FFP3",
            "rule_0_factor": "1,5",
            "rule_0_on": "on",
            "rule_1_item": "",
            "rule_1_for": "",
            "rule_1_factor": "1",
        }
        saved = client.post("/lan/policy", data=form, follow_redirects=False)
        assert saved.status_code == 303, saved.text
        shown = _page_policy(client.get("/lan/policy").text)
        assert shown["weights"] == {"outbreak": 5.5, "suspected": 2.0, "normal": 1.0}
        assert shown["substitutes"] == [
            {"item": "FFP2", "for": "FFP3", "factor": 1.5, "enabled": True}
        ]
        with session_scope(engine) as session:
            assert policy_to_dict(effective_policy(session)) == shown
            assert saved_policy(session).target_days == 4
        assert _run_policy(engine, _cli_allocate(engine, FIRST, "--rerun")) == shown
        assert _run_policy(engine, _scheduler_allocate(engine, THIRD)) == shown
        # A run queued from the web (the worker runs it) uses it too.
        queued = client.post("/api/v1/runs", json={"round_date": SECOND.isoformat(), "rerun": True})
        assert queued.status_code == 202, queued.text
        assert run_pending_jobs(engine)
        with session_scope(engine) as session:
            web = next(
                r.id for r in list_round_runs(session, round_date=SECOND) if r.status == "draft"
            )
        assert _run_policy(engine, web) == shown
        # the CLI's options go on top of the saved policy, the rest stays
        cover_off = _run_policy(
            engine, _cli_allocate(engine, FIRST, "--rerun", "--fairness", "fill")
        )
        assert cover_off == {**shown, "fairness": "fill"}


def test_the_scheduler_uses_the_saved_policy(committed_engine: Engine) -> None:
    engine = committed_engine
    homes = setup_county(engine)
    receive_stock(engine, FIRST)
    file_reports(engine, FIRST, homes)
    chosen = Policy(
        fairness="cover",
        weights={"outbreak": 4, "suspected": 2, "normal": 1},
        substitutes=(SubstituteRule("FFP3", "FFP2", 1.0, True),),
        memory_rounds=1,
    )
    with session_scope(engine) as session:
        save_policy(session, policy=chosen, target_days=3, actor="test", now=datetime.now(UTC))
    assert _run_policy(engine, _scheduler_allocate(engine, FIRST)) == policy_to_dict(chosen)


def test_rest_api_replaces_the_policy_whole_or_not_at_all(
    committed_app: FastAPI, committed_engine: Engine
) -> None:
    body = {
        "fairness": "fill",
        "weights": {"outbreak": 3, "suspected": 2, "normal": 1},
        "reserve_fraction": 0.05,
        "target_days": 3,
        "memory_rounds": 3,
        "substitutes": [
            {"item": "FFP3", "for": "FFP2", "factor": 1},
            {"item": "FFP2", "for": "FFP3", "factor": 1, "enabled": False},
        ],
    }
    with TestClient(committed_app) as client:
        client.headers["Authorization"] = f"Bearer {bearer_token(client, 'lansstyrelsen')}"
        stored = client.put("/api/v1/policy", json=body)
        assert stored.status_code == 200, stored.text
        read = client.get("/api/v1/policy").json()
        assert read["saved"] is True and read["memory_rounds"] == 3
        assert read["substitutes"][1] == {
            "item": "FFP2",
            "for": "FFP3",
            "factor": 1.0,
            "enabled": False,
        }
        wrong = {
            **body,
            "memory_rounds": 15,
            "substitutes": [
                {"item": "FFP9", "for": "FFP2"},
                {"item": "FFP3", "for": "FFP2", "factor": 0},
            ],
        }
        refused = client.put("/api/v1/policy", json=wrong)
        assert refused.status_code == 422
        errors = {(e["field"], e["line"]) for e in refused.json()["errors"]}
        assert errors == {
            ("memory_rounds", None),
            ("substitutes.item", 1),
            ("substitutes.factor", 2),
        }
        assert client.get("/api/v1/policy").json() == read  # nothing half-written
    with session_scope(committed_engine) as session:
        assert session.scalar(select(PolicySetting.memory_rounds)) == 3


def test_the_page_names_the_rule_and_its_column_and_stores_nothing(
    committed_app: FastAPI, committed_engine: Engine
) -> None:
    form = {
        "fairness": "fill",
        "weight_outbreak": "3",
        "weight_suspected": "2",
        "weight_normal": "1",
        "reserve_percent": "0",
        "whole_packs": "on",
        "target_days": "3",
        "memory_rounds": "20",
        "rule_count": "3",
        "rule_0_item": "FFP3",
        "rule_0_for": "FFP2",
        "rule_0_factor": "1,5x",
        "rule_0_on": "on",
        "rule_1_item": "FFP9",
        "rule_1_for": "FFP3",
        "rule_1_factor": "1",
        "rule_2_item": "ROCK",
        "rule_2_for": "ROCK",
        "rule_2_factor": "1",
    }
    with TestClient(committed_app) as client:
        client.headers["Authorization"] = f"Bearer {bearer_token(client, 'lansstyrelsen')}"
        refused = client.post("/lan/policy", data=form)
        assert refused.status_code == 422
        page = refused.text
        assert "Regel 1, faktor: «1,5x» är inget tal" in page
        assert "Regel 2, levereras: «FFP9» är ingen känd artikel." in page
        assert "Regel 3, i stället för: en artikel kan inte ersätta sig själv." in page
        assert "Ange 0 (av) till 14 omgångar." in page
        assert 'value="1,5x"' in page and 'value="FFP9"' in page  # kept as typed
        with session_scope(committed_engine) as session:
            assert not saved_policy(session).saved
        # Removing a rule and adding one in the empty row, with a Swedish decimal factor.
        fixed = {**form, "memory_rounds": "3", "rule_0_factor": "1,5", "rule_1_remove": "on",
                 "rule_2_for": "FORKL_LANG"}  # fmt: skip
        assert client.post("/lan/policy", data=fixed, follow_redirects=False).status_code == 303
    with session_scope(committed_engine) as session:
        policy = saved_policy(session).policy
    assert policy.memory_rounds == 3
    assert policy.substitutes == (
        SubstituteRule("FFP3", "FFP2", 1.5, True),
        SubstituteRule("ROCK", "FORKL_LANG", 1.0, False),
    )
