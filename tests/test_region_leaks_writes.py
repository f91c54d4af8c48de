"""Nothing leaks between regions through a write: every POST/PUT/PATCH/DELETE route of the API
and every form POST of the pages × every role that may use it × each region (issue 13, part 5).

The world is ``tests/test_region_leaks.py``'s (Stockholm, AB, and Fjällsjö, FJ, each with its day
run), with more to aim at in each region: a draft run for the next round (two homes reporting the
same items), an extra run, a dispatched manifest beside the planned ones, a spare user, a token.
Every request runs in a transaction rolled back after the test (the app's sessions join it with
SAVEPOINTs), so each case starts from the same world. For each case, as each role of each region
allowed to use the route (the API and page matrices say who):

- aimed at the *other* region's object with a body that would succeed on an own one, the answer
  is the one the same request gets aimed at an object that exists nowhere (same status; a
  redirect to the same place), and names nothing of the other region it was not told;
- nothing of the other region changed: its region-owned rows (audit log and stock ledger
  included) and the rows hanging off them (lines, stops, answers, tokens, sessions), its jobs.

Routes with nothing of another region to aim at (one's own account, the round's run, the policy,
the agency's own stock and runs) are sent as they are, and must change nothing in the other
region either. The controls: the same writes aimed at one's own region's objects succeed and
write there (a test that refused everything would fail them). The routes come from the app, so a
new write route without an entry in ``WRITES`` fails ``test_every_write_route_is_covered``.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from httpx import Cookies, Response
from sqlalchemy import Connection, Engine, or_, select
from sqlalchemy.orm import Session

from data.access.tenancy import working_in
from data.access.tokens import create_api_token
from data.access.users import create_user
from data.db import session_scope
from data.logistics.deliveries import dispatch_manifest
from data.models import (
    AllocationLine,
    AllocationRun,
    ApiToken,
    CareHome,
    Item,
    Manifest,
    NeedReport,
    Route,
    StockBalance,
    User,
)
from data.models.base import Base
from data.needs.reports import submit_need_report
from data.rounds.calendar import cutoff_at
from data.settings import Settings
from data.stock.ledger import record_receipt
from jobs.steps.allocate import allocate_round
from jobs.steps.extra import allocate_extra
from tests.api.test_matrix import CASES, _case_key
from tests.test_region_leaks import (
    ACTOR,
    AGENCY_USER,
    MISSING,
    PASSWORD,
    PASSWORDS,
    ROLES,
    World,
    _leaks,
    world,
)
from tests.web.test_page_matrix import PAGES

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

__all__ = ["world"]  # the GET test's world, built again for this module

Body = Callable[[dict[str, str]], dict[str, Any]]


def _none(_ids: dict[str, str]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Write:
    """A write aimed at an object (``url`` and ``body`` filled from a region's ids), or, with
    ``aims`` False, one with nothing of another region to aim at (``why``)."""

    url: str
    body: Body = _none
    aims: bool = True
    why: str = ""
    control: tuple[int, ...] = (200, 201, 202, 204, 303)
    mine: dict[str, str] = field(default_factory=dict)
    """For the control: placeholder → the own region's id key to fill it with instead."""


def own(url: str, why: str, body: Body = _none) -> Write:
    """A write with no other region's object to aim at."""
    return Write(url, body, aims=False, why=why)


LINES = [{"item": "IIR", "requested": 400, "on_hand": 50, "daily_use": 80}]


def _csv(ids: dict[str, str]) -> bytes:
    home = ids["home"]
    return (
        "care_home_id,item,requested,on_hand,daily_use,situation\n"
        f"{home},IIR,400,50,80,none\n{home},HANDSKE_M,1000,300,,none\n"
    ).encode()


WRITES: dict[tuple[str, str], Write] = {
    # The own account: signing in and out, tokens of one's own, password, notifications.
    ("POST", "/api/v1/auth/tokens"): own(
        "/api/v1/auth/tokens",
        "a token of one's own",
        lambda ids: {"json": {"username": ids["me"], "password": ids["password"]}},
    ),
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): Write(
        "/api/v1/auth/tokens/{token}", mine={"token": "my_token"}
    ),
    ("POST", "/api/v1/auth/tokens/{token_id}/renew"): Write(
        "/api/v1/auth/tokens/{token}/renew", mine={"token": "my_token"}
    ),
    ("POST", "/api/v1/auth/session"): own(
        "/api/v1/auth/session",
        "signing in oneself",
        lambda ids: {"json": {"username": ids["me"], "password": ids["password"]}},
    ),
    ("DELETE", "/api/v1/auth/session"): own("/api/v1/auth/session", "signing out oneself"),
    ("POST", "/api/v1/auth/password"): own(
        "/api/v1/auth/password",
        "one's own password",
        lambda _: {"json": {"current_password": "not-mine", "new_password": "x"}},
    ),
    ("PUT", "/api/v1/me/notifications"): own(
        "/api/v1/me/notifications",
        "one's own notifications",
        lambda _: {"json": {"email": "jag@kommun.example", "on": []}},
    ),
    # Reference data (admin).
    ("PATCH", "/api/v1/care-homes/{care_home_id}"): Write(
        "/api/v1/care-homes/{home}", lambda _: {"json": {"places": 31}}
    ),
    ("PATCH", "/api/v1/items/{item_code}"): Write(
        "/api/v1/items/{item}",
        lambda _: {"json": {"name_en": "Shoe covers, changed"}},
        mine={"item": "own_item"},
    ),
    # Needs and acute requests.
    ("POST", "/api/v1/needs"): Write(
        "/api/v1/needs",
        lambda ids: {"json": {"care_home_id": ids["home"], "situation": "none", "lines": LINES}},
        mine={"home": "home3"},  # a home that has not reported for the open round
    ),
    ("PUT", "/api/v1/needs/{report_id}"): Write(
        "/api/v1/needs/{report}",
        lambda ids: {
            "json": {"situation": "suspected", "lines": LINES},
            "headers": {"If-Match": ids["report_etag"]},
        },
    ),
    ("POST", "/api/v1/needs/upload"): Write(
        "/api/v1/needs/upload",
        lambda ids: {
            "params": {"municipality_code": ids["municipality"]},
            "files": {"file": ("behov.csv", _csv(ids), "text/csv")},
        },
    ),
    ("POST", "/api/v1/acute-requests"): Write(
        "/api/v1/acute-requests",
        lambda ids: {
            "json": {
                "care_home_id": ids["home"],
                "item_code": "FFP3",
                "quantity": 100,
                "situation": "confirmed",
                "reason": "nytt utbrott",
            }
        },
    ),
    ("POST", "/api/v1/acute-requests/{request_id}/decline"): Write(
        "/api/v1/acute-requests/{acute}/decline",
        lambda _: {"json": {"reason": "levererat i går"}},
    ),
    ("POST", "/api/v1/extra-runs"): Write(
        "/api/v1/extra-runs",
        lambda ids: {"json": {"route_code": ids["route"], "departure": "15:30"}},
    ),
    # Stock.
    ("POST", "/api/v1/stock/receipts"): Write(
        "/api/v1/stock/receipts",
        lambda ids: {
            "json": {"item": ids["item"], "lot": "T-1", "quantity": 500, "supplier": "Region"}
        },
        mine={"item": "own_item"},
    ),
    ("POST", "/api/v1/stock/adjustments"): Write(
        "/api/v1/stock/adjustments",
        lambda ids: {
            "json": {"item": ids["lot_item"], "lot": ids["lot"], "delta": 5, "reason": "count"}
        },
    ),
    # Runs.
    ("POST", "/api/v1/runs"): own(
        "/api/v1/runs",
        "a round of one's own region",
        lambda ids: {"json": {"round_date": ids["draft_day"]}},
    ),
    ("PATCH", "/api/v1/runs/{draft_run}/lines"): Write(
        "/api/v1/runs/{draft}/lines",
        lambda ids: {
            "json": {
                "care_home_id": ids["draft_home"],
                "item_code": ids["draft_item"],
                "quantity": 0,
                "reason": "test edit",
            }
        },
    ),
    ("POST", "/api/v1/runs/{draft_run}/approve"): Write("/api/v1/runs/{draft}/approve"),
    ("POST", "/api/v1/runs/{draft_run}/moves"): Write(
        "/api/v1/runs/{draft}/moves",
        lambda ids: {
            "json": {
                "item_code": ids["draft_item"],
                "from_care_home_id": ids["draft_home"],
                "to_care_home_id": ids["draft_home2"],
                "packs": 1,
                "reason": "test move",
            }
        },
    ),
    ("PUT", "/api/v1/policy"): own(
        "/api/v1/policy",
        "one's own region's policy",
        lambda _: {
            "json": {
                "fairness": "fill",
                "weights": {"outbreak": 3, "suspected": 2, "normal": 1},
                "reserve_fraction": 0,
                "target_days": 3,
                "memory_rounds": 0,
                "substitutes": [],
            }
        },
    ),
    ("POST", "/api/v1/what-if/scenario"): own(
        "/api/v1/what-if/scenario", "a scenario in the body, nothing stored", lambda _: {}
    ),
    ("POST", "/api/v1/what-if/policy"): own(
        "/api/v1/what-if/policy",
        "one's own round under another policy, nothing stored",
        lambda ids: {"json": {"round_date": ids["day"], "policy": {}}},
    ),
    # Logistics.
    ("POST", "/api/v1/manifests/{manifest_id}/dispatch"): Write(
        "/api/v1/manifests/{manifest}/dispatch"
    ),
    ("POST", "/api/v1/manifests/{manifest_id}/dispatch/undo"): Write(
        "/api/v1/manifests/{dispatched}/dispatch/undo",
        lambda _: {"json": {"reason": "fel rutt"}},
    ),
    ("POST", "/api/v1/manifests/stops/{confirmation_code}/delivery"): Write(
        "/api/v1/manifests/stops/{code}/delivery",
        lambda _: {"json": {"received_by": "Anna Andersson"}},
    ),
    # Requests for support.
    ("PATCH", "/api/v1/escalations/{reference}"): Write(
        "/api/v1/escalations/{escalation}", lambda _: {"json": {"status": "acknowledged"}}
    ),
    ("POST", "/api/v1/escalations/{reference}/answer"): Write(
        "/api/v1/escalations/{escalation}/answer", lambda _: {"json": {"quantity": 0}}
    ),
    ("POST", "/api/v1/escalations/{reference}/deliveries"): Write(
        "/api/v1/escalations/{escalation}/deliveries",
        lambda _: {"json": {"quantity": 10, "lot": "SOS-T"}},
    ),
    # The national agency: a region's request named under another region is not found.
    ("POST", "/api/v1/agency/requests/{region}/{reference}/acknowledge"): Write(
        "/api/v1/agency/requests/{region}/{escalation}/acknowledge"
    ),
    ("POST", "/api/v1/agency/requests/{region}/{reference}/answer"): Write(
        "/api/v1/agency/requests/{region}/{escalation}/answer",
        lambda _: {"json": {"quantity": 0}},
    ),
    ("POST", "/api/v1/agency/stock/receipts"): own(
        "/api/v1/agency/stock/receipts",
        "the agency's own stock",
        lambda _: {
            "json": {"item": "IIR", "lot": "SOS-M", "quantity": 500, "supplier": "Upphandling"}
        },
    ),
    ("POST", "/api/v1/agency/allocation/preview"): own(
        "/api/v1/agency/allocation/preview", "stores nothing"
    ),
    ("POST", "/api/v1/agency/allocation/runs"): own(
        "/api/v1/agency/allocation/runs", "the agency's own run"
    ),
    ("POST", "/api/v1/agency/allocation/runs/{national_run_id}/approve"): own(
        "/api/v1/agency/allocation/runs/{national_run}/approve",
        "the agency's own runs belong to no county",
        lambda _: {"json": {"expected_delivery": None}},
    ),
    # The region's own settings (its contact, address, transport).
    ("PUT", "/api/v1/region"): own("/api/v1/region", "one's own region's settings"),
    ("POST", "/lan/region"): own("/lan/region", "one's own region's settings"),
    # Users (admin): a new user may not be put in another region's home.
    ("POST", "/api/v1/users"): Write(
        "/api/v1/users",
        lambda ids: {
            "json": {
                "username": "ny.forestandare",
                "full_name": "Ny Föreståndare",
                "password": "long-enough-1",
                "role": "care_home_manager",
                "care_home_id": ids["home"],
            }
        },
    ),
    ("POST", "/api/v1/users/{user_id}/deactivate"): Write("/api/v1/users/{user}/deactivate"),
    ("POST", "/api/v1/users/{user_id}/unlock"): Write("/api/v1/users/{user}/unlock"),
    ("POST", "/api/v1/users/{user_id}/password"): Write(
        "/api/v1/users/{user}/password", lambda _: {"json": {"password": "another-long-one"}}
    ),
    # Pages: one's own account.
    ("POST", "/logga-in"): own(
        "/logga-in",
        "signing in oneself",
        lambda ids: {"data": {"username": ids["me"], "password": ids["password"]}},
    ),
    ("POST", "/logga-ut"): own("/logga-ut", "signing out oneself"),
    ("POST", "/byt-losenord"): own("/byt-losenord", "one's own password"),
    ("POST", "/konto"): own(
        "/konto", "one's own account", lambda _: {"data": {"email": "jag@kommun.example"}}
    ),
    # Pages: needs and acute requests.
    ("POST", "/behov"): own(
        "/behov",
        "the manager's own home",
        lambda _: {"data": {"situation": "none", "requested_IIR": "100", "on_hand_IIR": "0"}},
    ),
    ("POST", "/behov/akut"): Write(
        "/behov/akut",
        lambda ids: {
            "data": {
                "care_home_id": ids["home"],
                "item": "FFP3",
                "quantity": "10",
                "situation": "confirmed",
                "reason": "utbrott",
            }
        },
    ),
    ("POST", "/kommun/akut"): Write(
        "/kommun/akut",
        lambda ids: {
            "data": {
                "care_home_id": ids["home"],
                "item": "FFP3",
                "quantity": "10",
                "situation": "confirmed",
                "reason": "utbrott",
            }
        },
    ),
    ("POST", "/lan/akut/{request_id}/avsla"): Write(
        "/lan/akut/{acute}/avsla", lambda _: {"data": {"skal": "levererat i går"}}
    ),
    ("POST", "/lan/akut/extra"): Write(
        "/lan/akut/extra", lambda ids: {"data": {"rutt": ids["route"], "avgang": "15:30"}}
    ),
    ("POST", "/lan/akut/korning/{run_id}/godkann"): Write("/lan/akut/korning/{extra}/godkann"),
    ("POST", "/kommun/uppladdning"): Write(
        "/kommun/uppladdning?kommun={municipality}",
        lambda ids: {
            "data": {"ersatt": "ja"},
            "files": {"fil": ("behov.csv", _csv(ids), "text/csv")},
        },
    ),
    # Pages: the county's stock, policy and runs.
    ("POST", "/lan/lager"): Write(
        "/lan/lager",
        lambda ids: {
            "data": {"item": ids["item"], "lot": "T-1", "quantity": "100", "supplier": "Region"}
        },
        mine={"item": "own_item"},
    ),
    ("POST", "/lan/policy"): own("/lan/policy", "one's own region's policy"),
    ("POST", "/lan/korning/starta"): own(
        "/lan/korning/starta", "a round of one's own region", lambda ids: {"data": {}}
    ),
    ("POST", "/lan/korning/rad"): Write(
        "/lan/korning/rad",
        lambda ids: {
            "data": {
                "run_id": ids["draft"],
                "care_home_id": ids["draft_home"],
                "item_code": ids["draft_item"],
                "quantity": "0",
                "reason": "test edit",
            }
        },
    ),
    ("POST", "/lan/korning/godkann"): Write(
        "/lan/korning/godkann", lambda ids: {"data": {"run_id": ids["draft"], "stang": "ja"}}
    ),
    ("POST", "/lan/korning/flytta"): Write(
        "/lan/korning/flytta",
        lambda ids: {
            "data": {
                "korning": ids["draft"],
                "artikel": ids["draft_item"],
                "fran": ids["draft_home"],
                "till": ids["draft_home2"],
                "forpackningar": "1",
                "skal": "test move",
            }
        },
    ),
    # Pages: logistics.
    ("POST", "/logistik/{manifest_id}/utlastad"): Write(
        "/logistik/{manifest}/utlastad", lambda _: {"data": {"bekrafta": "ja"}}
    ),
    ("POST", "/logistik/{manifest_id}/angra-utlastning"): Write(
        "/logistik/{dispatched}/angra-utlastning",
        lambda _: {"data": {"bekrafta": "ja", "skal": "fel rutt"}},
    ),
    ("POST", "/logistik/stopp/{stop_id}"): Write(
        "/logistik/stopp/{dispatched_stop}", lambda _: {"data": {"received_by": "Anna Andersson"}}
    ),
    # Pages: requests for support.
    ("POST", "/lan/eskaleringar/{reference}/status"): Write(
        "/lan/eskaleringar/{escalation}/status", lambda _: {"data": {"status": "acknowledged"}}
    ),
    ("POST", "/lan/eskaleringar/{reference}/svar"): Write(
        "/lan/eskaleringar/{escalation}/svar", lambda _: {"data": {"antal": "0"}}
    ),
    ("POST", "/lan/eskaleringar/{reference}/leverans"): Write(
        "/lan/eskaleringar/{escalation}/leverans",
        lambda _: {"data": {"antal": "10", "parti": "SOS-T"}},
    ),
    # Pages: the national agency.
    ("POST", "/socialstyrelsen/begaran/{region}/{reference}/kvittera"): Write(
        "/socialstyrelsen/begaran/{region}/{escalation}/kvittera"
    ),
    ("POST", "/socialstyrelsen/begaran/{region}/{reference}/svar"): Write(
        "/socialstyrelsen/begaran/{region}/{escalation}/svar", lambda _: {"data": {"antal": "0"}}
    ),
    ("POST", "/socialstyrelsen/lager"): own(
        "/socialstyrelsen/lager",
        "the agency's own stock",
        lambda _: {
            "data": {"item": "IIR", "lot": "SOS-M", "quantity": "500", "supplier": "Upphandling"}
        },
    ),
    ("POST", "/socialstyrelsen/fordelning"): own(
        "/socialstyrelsen/fordelning", "the agency's own run"
    ),
    ("POST", "/socialstyrelsen/fordelning/{run_id}/godkann"): own(
        "/socialstyrelsen/fordelning/{national_run}/godkann",
        "the agency's own runs belong to no county",
    ),
}

# Ids that exist nowhere, beside the GET test's.
NOWHERE: dict[str, str] = {
    **MISSING,
    "report_etag": '"1"',
    "draft": MISSING["run"],
    "extra": MISSING["run"],
    "draft_home": MISSING["home"],
    "draft_home2": "X9998",
    "draft_item": "IIR",
    "dispatched": MISSING["manifest"],
    "dispatched_stop": MISSING["stop"],
    "code": "ZZZZZZ",
    "token": "987654321",
    "route": "NO-ROUTE",
    "lot_item": "IIR",
    "lot": "NO-SUCH-LOT",
}
# The matrices' parts → the roles of this test.
MATRIX_ROLES = {
    "manager_own": "care_home_manager",
    "manager_other": "care_home_manager",
    "coordinator_own": "municipal_coordinator",
    "coordinator_other": "municipal_coordinator",
    "county": "county_coordinator",
    "logistics": "logistics",
    "admin": "admin",
    "agency": "national_agency",
    # the page matrix names roles as they are
    **{role: role for role in (*ROLES, "national_agency")},
}
# Columns that change when a row is only read (a token used, a session seen).
VOLATILE = {"last_used_at", "last_seen_at"}
# Rows hanging off a region's rows: table → (column, parent table, parent's key).
PARENTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "allocation_lines": (("run_id", "allocation_runs", "id"),),
    "escalation_answers": (("escalation_id", "escalations", "id"),),
    "escalation_rounds": (("escalation_id", "escalations", "id"),),
    "manifest_stops": (("manifest_id", "manifests", "id"),),
    "manifest_lines": (("stop_id", "manifest_stops", "id"),),
    "delivery_lines": (("manifest_line_id", "manifest_lines", "id"),),
    "need_lines": (("report_id", "need_reports", "id"),),
    "stored_documents": (("manifest_id", "manifests", "id"), ("run_id", "allocation_runs", "id")),
    "api_tokens": (("user_id", "users", "id"),),
    "web_sessions": (("user_id", "users", "id"),),
    "notification_opt_outs": (("user_id", "users", "id"),),
    "idempotency_keys": (("user_id", "users", "id"),),
}
# Tables that belong to no region: sign-in attempts (by username), the agency's national runs
# (checked whole: only the agency makes them), the regions' own rows (by code).
UNOWNED = {"login_attempts"}


AB_OWN_ITEM = "AB_PROVKIT"
"""An item only Stockholm has (the national catalogue is no county's to change)."""


@dataclass
class Writes:
    """The world, the ids to aim at in each region, a signed-in page client and its CSRF token
    per user."""

    world: World
    engine: Engine
    ids: dict[str, dict[str, str]]
    clients: dict[str, tuple[TestClient, str]] = field(default_factory=dict)
    my_tokens: dict[str, str] = field(default_factory=dict)


def _draft_and_more(engine: Engine, code: str, ids: dict[str, str], settings: Settings) -> None:
    """A draft run for the next round, an extra run, a dispatched manifest, a spare user and a
    token in region ``code`` (committed, working in it)."""
    day = date.fromisoformat(ids["day"])
    draft_day = day + timedelta(days=1)
    with working_in(code), session_scope(engine) as session:
        record_receipt(
            session,
            item="IIR",
            lot=f"WT-{code}",
            quantity=1000,
            expiry=day + timedelta(days=365),
            supplier="Test",
            actor=ACTOR,
        )
        for home, requested in ((ids["home"], 400), (ids["home2"], 2000)):
            submit_need_report(
                session,
                care_home_id=home,
                lines=[{"item": "IIR", "requested": requested, "on_hand": 0, "daily_use": 60}],
                situation="confirmed",
                submitted_by=ACTOR,
                now=cutoff_at(draft_day, settings=settings) - timedelta(hours=1),
                settings=settings,
                round_date=draft_day,
            )
        if code == "AB":  # Fjällsjö's own item is in its files; Stockholm gets one here
            session.add(
                Item(
                    code=AB_OWN_ITEM,
                    name_sv="Provtagningskit",
                    name_en="Test kit",
                    unit="st",
                    pack_size=10,
                    pack_volume_l=1.0,
                    category="övrigt",
                    max_daily_per_place=2.0,
                    region_code="AB",
                )
            )
            session.flush()
        spare = create_user(
            session,
            username=f"{code.lower()}-spare",
            full_name=f"Reserv {code}",
            password=PASSWORD,
            role="logistics",
            actor=ACTOR,
        )
        ids["user"] = str(spare.id)
        token, _secret = create_api_token(session, user=spare, name="spare")
        ids["token"] = str(token.id)
    with working_in(code):
        draft = allocate_round(engine, round_date=draft_day, actor=ACTOR)
        ids["extra"] = allocate_extra(
            engine, delivery_date=day, route_code=ids["route"], departure="15:30", actor=ACTOR
        )
    with working_in(code), session_scope(engine) as session:
        ids["draft"] = draft
        ids["draft_day"] = draft_day.isoformat()
        # A move of a pack from the home served in part to the one asking for more.
        served = {
            home: packs
            for home, packs in session.execute(
                select(AllocationLine.care_home_id, AllocationLine.packs).where(
                    AllocationLine.run_id == draft, AllocationLine.item_code == "IIR"
                )
            )
        }
        assert served.get(ids["home"]) and ids["home2"] in served, f"{code}'s draft: {served}"
        ids["draft_item"] = "IIR"
        ids["draft_home"], ids["draft_home2"] = ids["home"], ids["home2"]
        manifests = session.scalars(
            select(Manifest).where(Manifest.round_date == day).order_by(Manifest.id)
        ).all()
        assert len(manifests) >= 2, f"{code} has {len(manifests)} manifests"
        ids["manifest"] = str(manifests[0].id)
        dispatched = dispatch_manifest(session, actor=ACTOR, manifest_id=manifests[-1].id)
        ids["dispatched"] = str(dispatched.id)
        ids["dispatched_stop"] = str(dispatched.stops[0].id)
        ids["code"] = dispatched.stops[0].confirmation_code
        report = session.scalars(
            select(NeedReport).where(
                NeedReport.round_date == draft_day,
                NeedReport.care_home_id == ids["home"],
                NeedReport.superseded.is_(False),
            )
        ).one()
        ids["report"] = str(report.id)
        ids["report_etag"] = f'"{report.version}"'


def _region_ids(session: Session, code: str, base: dict[str, str], other: str) -> dict[str, str]:
    """``base`` (the GET test's ids) with more of region ``code`` (the session sees all)."""
    ids = dict(base)
    homes = session.scalars(
        select(User.care_home_id).where(User.region_code == code, User.role == "care_home_manager")
    ).all()
    manager_home = next(home for home in homes if home)
    ids["home"] = manager_home
    ids["municipality"] = str(
        session.scalar(select(CareHome.municipality_code).where(CareHome.id == manager_home))
    )
    ids["home2"], ids["home3"] = [
        home
        for home in session.scalars(
            select(AllocationLine.care_home_id)
            .join(AllocationRun, AllocationRun.id == AllocationLine.run_id)
            .where(AllocationRun.region_code == code)
            .distinct()
            .order_by(AllocationLine.care_home_id)
        )
        if home != manager_home
    ][:2]
    ids["own_item"] = "FJ_SKOSKYDD" if code == "FJ" else AB_OWN_ITEM
    ids["route"] = str(
        session.scalars(
            select(Route.code).where(Route.region_code == code).order_by(Route.code)
        ).first()
    )
    others = set(
        session.scalars(select(StockBalance.lot).where(StockBalance.region_code == other)).all()
    )
    lot = next(
        balance
        for balance in session.scalars(
            select(StockBalance)
            .where(StockBalance.region_code == code, StockBalance.on_hand > 0)
            .order_by(StockBalance.item_code, StockBalance.lot)
        )
        if balance.lot not in others
    )
    ids["lot_item"], ids["lot"] = lot.item_code, lot.lot
    ids["region"] = code
    return ids


@pytest.fixture(scope="module")
def writes(world: World) -> Iterator[Writes]:
    """The GET test's world with more to aim at, and every user signed in to the pages."""
    engine: Engine = world.app.state.engine
    settings: Settings = world.app.state.data_settings
    ids: dict[str, dict[str, str]] = {}
    with session_scope(engine) as session:
        for code, other in (("AB", "FJ"), ("FJ", "AB")):
            ids[code] = _region_ids(session, code, world.regions[code].ids, other)
    for code in ("AB", "FJ"):
        _draft_and_more(engine, code, ids[code], settings)
    built = Writes(world, engine, ids)
    with session_scope(engine) as session:
        for token_id, username in session.execute(
            select(ApiToken.id, User.username).join(User, User.id == ApiToken.user_id)
        ):
            built.my_tokens[username] = str(token_id)
    for username in [*world.regions["AB"].users.values(), *world.regions["FJ"].users.values()]:
        built.clients[username] = _signed_in(world, username)
    built.clients[AGENCY_USER] = _signed_in(world, AGENCY_USER)
    factory = world.app.state.session_factory
    try:
        yield built
    finally:
        world.app.state.session_factory = factory
        for client, _csrf in built.clients.values():
            client.close()


def _signed_in(world: World, username: str) -> tuple[TestClient, str]:
    client = TestClient(world.app)
    response = client.post(
        "/logga-in", data={"username": username, "password": PASSWORDS[username]}
    )
    assert response.status_code == 200, response.text[:300]
    token = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert token is not None
    return client, token.group(1)


@pytest.fixture
def rolled_back(writes: Writes) -> Iterator[Connection]:
    """The app's sessions join a transaction rolled back after the test."""
    with writes.engine.connect() as connection:
        outer = connection.begin()

        def make() -> Session:
            return Session(
                bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            )

        writes.world.app.state.session_factory = make
        try:
            yield connection
        finally:
            outer.rollback()


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def _fingerprint(connection: Connection, regions: set[str]) -> dict[str, list[str]]:
    """Every row of ``regions``: their region-owned rows, the rows hanging off them, their jobs
    (by the region in a job's params; none: the home region) and the regions' own rows."""
    kept: dict[str, set[Any]] = {}
    found: dict[str, list[str]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in UNOWNED:
            continue
        # Narrowed in the statement where it can be: the home region's tables are large, and
        # this runs twice a case.
        query = select(table)
        if "region_code" in table.c:
            query = query.where(table.c.region_code.in_(sorted(regions)))
        elif table.name in PARENTS:
            query = query.where(
                or_(
                    *(
                        table.c[column].in_(sorted(kept[parent]))
                        for column, parent, _key in PARENTS[table.name]
                    )
                )
            )
        rows = [dict(row._mapping) for row in connection.execute(query)]
        if "region_code" in table.c:
            rows = [row for row in rows if row["region_code"] in regions]
        elif table.name == "national_runs":
            rows = rows if "SE" in regions else []
        elif table.name == "regions":
            rows = [row for row in rows if row["code"] in regions]
        elif table.name == "job_queue":
            rows = [row for row in rows if _job_region(row["params"]) in regions]
        elif table.name in PARENTS:
            rows = [
                row
                for row in rows
                if any(row[column] in kept[parent] for column, parent, _key in PARENTS[table.name])
            ]
        primary = [column.name for column in table.primary_key.columns]
        if len(primary) == 1:
            kept[table.name] = {row[primary[0]] for row in rows}
        found[table.name] = sorted(
            json.dumps(
                {k: _jsonable(v) for k, v in row.items() if k not in VOLATILE}, sort_keys=True
            )
            for row in rows
        )
    return found


def _job_region(params: Any) -> str:
    if isinstance(params, str):
        params = json.loads(params)
    region = params.get("region") if isinstance(params, dict) else None
    return region if isinstance(region, str) and region else "AB"


def _changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, int]:
    """Table → how many rows differ."""
    return {
        name: len(set(before[name]) ^ set(after[name]))
        for name in before
        if before[name] != after[name]
    }


def _request(
    writes: Writes, username: str, method: str, write: Write, ids: dict[str, str]
) -> Response:
    client, csrf = writes.clients[username]
    request = write.body(ids)
    headers = dict(request.pop("headers", {}))
    url = write.url.format(**ids)
    if url.startswith("/api/"):
        headers["Authorization"] = f"Bearer {writes.world.tokens[username]}"
    else:
        request["data"] = {**request.get("data", {}), "csrf_token": csrf}
    cookies = Cookies(client.cookies)  # signing out or in again must not end the client's
    try:
        response: Response = client.request(
            method, url, headers=headers, follow_redirects=False, **request
        )
    finally:
        client.cookies = cookies
    return response


def _roles(method: str, path: str) -> list[str]:
    """The roles the API or page matrix lets use the route."""
    key = _case_key(method, path) if path.startswith("/api/") else (method, path)
    case = CASES.get(key) or PAGES.get(key)
    roles = case.roles if case is not None else frozenset({"county"})
    return sorted({MATRIX_ROLES[role] for role in roles if role in MATRIX_ROLES})


def _callers(method: str, path: str) -> list[tuple[str, str]]:
    """(region, role) for every role of each region that may use the route."""
    roles = _roles(method, path)
    found = [(code, role) for code in ("AB", "FJ") for role in roles if role in ROLES]
    if "national_agency" in roles:
        found.append(("SE", "national_agency"))
    return found


CALLS = [
    (method, path, region, role)
    for (method, path) in sorted(WRITES)
    for region, role in _callers(method, path)
]


def _username(writes: Writes, region: str, role: str) -> str:
    if region == "SE":
        return AGENCY_USER
    return writes.world.regions[region].users[role]


def _own_ids(writes: Writes, region: str, username: str) -> dict[str, str]:
    """The ids a user of ``region`` aims at in its own region."""
    code = "AB" if region == "SE" else region
    ids = dict(writes.ids[code])
    ids["me"], ids["password"] = username, PASSWORDS[username]
    return ids


def _aimed(writes: Writes, region: str, username: str) -> tuple[dict[str, str], set[str]]:
    """The other region's ids as a user of ``region`` aims at them, and the other regions. The
    agency aims at Fjällsjö's request under Stockholm's code."""
    if region == "SE":
        ids = {**writes.ids["FJ"], "region": "AB"}
        others = {"AB", "FJ"}
    else:
        other = "FJ" if region == "AB" else "AB"
        ids, others = dict(writes.ids[other]), {other}
    ids["me"], ids["password"] = username, PASSWORDS[username]
    return ids, others


def _nowhere(ids: dict[str, str]) -> dict[str, str]:
    return {**ids, **NOWHERE, "region": ids["region"]}


def _where_to(response: Response) -> str:
    """Where a page sends the browser (ids left out: a new job's number is no answer)."""
    if response.request.url.path.startswith("/api/"):
        return ""
    return re.sub(r"\d+", "N", response.headers.get("location", "").split("?")[0])


def test_every_write_route_is_covered(writes: Writes) -> None:
    found = set()
    for context in iter_route_contexts(writes.world.app.routes):
        methods = getattr(context.original_route, "methods", None) or set()
        found |= {
            (m, context.path or "") for m in methods if m in {"POST", "PUT", "PATCH", "DELETE"}
        }
    keyed = {_case_key(m, p) if p.startswith("/api/") else (m, p) for m, p in found}
    assert keyed - set(WRITES) == set(), "write routes the leak test does not try"
    assert set(WRITES) - keyed == set(), "entries for no write route"


@pytest.mark.parametrize(("method", "path", "region", "role"), CALLS, ids=str)
def test_no_write_reaches_another_region(
    method: str, path: str, region: str, role: str, writes: Writes, rolled_back: Connection
) -> None:
    """As ``role`` of ``region``, aimed at the other region: answered as for a missing object,
    nothing of the other region written or named."""
    write = WRITES[(method, path)]
    username = _username(writes, region, role)
    ids, others = _aimed(writes, region, username)
    before = _fingerprint(rolled_back, others)
    response = _request(writes, username, method, write, ids)
    after = _fingerprint(rolled_back, others)
    where = f"{method} {write.url.format(**ids)} as {username} ({region}): {response.status_code}"
    assert response.status_code < 500, f"{where} {response.text[:300]}"
    assert not _changed(before, after), f"{where} wrote in {others}: {_changed(before, after)}"
    if write.aims:
        missing = _request(writes, username, method, write, _nowhere(ids))
        assert (response.status_code, _where_to(response)) == (
            missing.status_code,
            _where_to(missing),
        ), (
            f"{where}, but {missing.status_code} {_where_to(missing)} for an object that exists "
            f"nowhere: {response.text[:300]}"
        )
    asked = {str(value) for value in ids.values()}
    markers = [
        marker
        for other in others
        for marker in writes.world.regions[other].markers
        if marker[0] not in asked
    ]
    if not (region == "SE" and path.startswith(("/api/v1/agency/", "/socialstyrelsen"))):
        leaked = _leaks(response.text, markers)
        assert not leaked, f"{where} names the other region's {leaked[:12]}"


def _controller(method: str, path: str, region: str) -> str:
    """The role that makes the control: the county coordinator when it may, else the first."""
    roles = [role for m, p, r, role in CALLS if (m, p, r) == (method, path, region)]
    return "county_coordinator" if "county_coordinator" in roles else roles[0]


CONTROLS = sorted(
    {
        (m, p, region, _controller(m, p, region))
        for m, p, region, _role in CALLS
        if WRITES[(m, p)].aims
    }
)


@pytest.mark.parametrize(("method", "path", "region", "role"), CONTROLS, ids=str)
def test_a_write_in_the_own_region_succeeds(
    method: str, path: str, region: str, role: str, writes: Writes, rolled_back: Connection
) -> None:
    """The control: the same write aimed at one's own region's object is done, and written
    there."""
    write = WRITES[(method, path)]
    username = _username(writes, region, role)
    ids = _own_ids(writes, region, username)
    if region == "SE":
        ids = {**writes.ids["FJ"], "me": username, "password": PASSWORDS[username]}
    ids["my_token"] = writes.my_tokens[username]
    ids.update({name: ids[key] for name, key in write.mine.items()})
    mine = {"FJ"} if region == "SE" else {region}
    before = _fingerprint(rolled_back, mine)
    response = _request(writes, username, method, write, ids)
    after = _fingerprint(rolled_back, mine)
    where = f"{method} {write.url.format(**ids)} as {username} ({region}): {response.status_code}"
    assert response.status_code in write.control, f"{where} {response.text[:300]}"
    assert _changed(before, after), f"{where} wrote nothing in {mine}"


def test_a_county_admin_leaves_the_national_catalogue_alone(
    writes: Writes, rolled_back: Connection
) -> None:
    """A county's admin is refused a national item (every region's: it would be renamed for
    Fjällsjö too), by name, and may change the county's own item."""
    write = Write("/api/v1/items/IIR", lambda _: {"json": {"name_en": "Renamed by one county"}})
    response = _request(writes, "admin", "PATCH", write, _own_ids(writes, "AB", "admin"))
    assert response.status_code == 409, f"PATCH /api/v1/items/IIR as admin (AB): {response.text}"
    assert "nationella katalogen" in response.text
    own = Write(
        "/api/v1/items/FJ_SKOSKYDD", lambda _: {"json": {"name_en": "Shoe covers, Fjällsjö"}}
    )
    changed = _request(writes, "fj-admin", "PATCH", own, _own_ids(writes, "FJ", "fj-admin"))
    assert changed.status_code == 200, changed.text


# Writes aimed at one's own object with another region's object in the body: (method, route)
# → the write, and which of its ids are the other region's (the rest are one's own).
MIXED: dict[str, tuple[str, str, Write, tuple[str, ...]]] = {
    "report naming another region's item": (
        "POST",
        "/api/v1/needs",
        Write(
            "/api/v1/needs",
            lambda ids: {
                "json": {
                    "care_home_id": ids["home3"],
                    "situation": "none",
                    "lines": [{"item": ids["item"], "requested": 40, "on_hand": 0}],
                }
            },
        ),
        ("item",),
    ),
    "acute request for another region's item": (
        "POST",
        "/api/v1/acute-requests",
        Write(
            "/api/v1/acute-requests",
            lambda ids: {
                "json": {
                    "care_home_id": ids["home"],
                    "item_code": ids["item"],
                    "quantity": 10,
                    "situation": "confirmed",
                    "reason": "utbrott",
                }
            },
        ),
        ("item",),
    ),
    "own draft's line for another region's home": (
        "PATCH",
        "/api/v1/runs/{draft_run}/lines",
        WRITES[("PATCH", "/api/v1/runs/{draft_run}/lines")],
        ("draft_home",),
    ),
    "own draft's pack moved to another region's home": (
        "POST",
        "/api/v1/runs/{draft_run}/moves",
        WRITES[("POST", "/api/v1/runs/{draft_run}/moves")],
        ("draft_home2",),
    ),
    "own draft's pack moved on the page to another region's home": (
        "POST",
        "/lan/korning/flytta",
        WRITES[("POST", "/lan/korning/flytta")],
        ("draft_home2",),
    ),
    "a coordinator for another region's municipality": (
        "POST",
        "/api/v1/users",
        Write(
            "/api/v1/users",
            lambda ids: {
                "json": {
                    "username": "ny.samordnare",
                    "full_name": "Ny Samordnare",
                    "password": "long-enough-1",
                    "role": "municipal_coordinator",
                    "municipality_code": ids["municipality"],
                }
            },
        ),
        ("municipality",),
    ),
    "upload for one's municipality naming another region's home": (
        "POST",
        "/api/v1/needs/upload",
        Write(
            "/api/v1/needs/upload",
            lambda ids: {
                "params": {"municipality_code": ids["own_municipality"]},
                "files": {"file": ("behov.csv", _csv(ids), "text/csv")},
            },
        ),
        ("home",),
    ),
}
MIXED_CALLS = [
    (name, region, role)
    for name, (method, path, _write, _keys) in sorted(MIXED.items())
    for region, role in _callers(method, path)
]


@pytest.mark.parametrize(("name", "region", "role"), MIXED_CALLS, ids=str)
def test_no_write_mixes_in_another_region(
    name: str, region: str, role: str, writes: Writes, rolled_back: Connection
) -> None:
    """One's own object with another region's in the body: answered as with one that exists
    nowhere, and nothing of the other region written."""
    method, _path, write, keys = MIXED[name]
    username = _username(writes, region, role)
    mine = _own_ids(writes, region, username)
    mine["own_municipality"] = mine["municipality"]
    other = "FJ" if region == "AB" else "AB"
    ids = {**mine, **{key: writes.ids[other][key] for key in keys}}
    before = _fingerprint(rolled_back, {other})
    response = _request(writes, username, method, write, ids)
    after = _fingerprint(rolled_back, {other})
    where = f"{name}: {method} {write.url.format(**ids)} as {username}: {response.status_code}"
    assert response.status_code < 500, f"{where} {response.text[:300]}"
    assert not _changed(before, after), f"{where} wrote in {other}: {_changed(before, after)}"
    missing = _request(writes, username, method, write, {**ids, **{k: NOWHERE[k] for k in keys}})
    assert (response.status_code, _where_to(response)) == (
        missing.status_code,
        _where_to(missing),
    ), f"{where}, but {missing.status_code} for one that exists nowhere: {response.text[:300]}"
