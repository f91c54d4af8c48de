"""Logistics undoes a dispatch in the browser: confirmed with a reason, refused once delivered."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from data.clock import utcnow
from data.db import session_scope
from data.demo import DEMO_USERS
from data.models import AuditEntry
from data.rounds.calendar import open_round
from jobs.steps.allocate import allocate_round
from jobs.steps.approve import approve_run
from jobs.steps.day import after_approval
from tests.web.conftest import Live, sign_in

PASSWORDS = {user.username: user.password for user in DEMO_USERS}


def _dispatch(page: Page) -> None:
    route = page.locator("section.route").first
    route.get_by_text("Markera som utlastad…").click()
    route.get_by_role("checkbox").check()
    route.get_by_role("button", name="Bekräfta utlastning").click()
    expect(page.get_by_role("status")).to_contain_text("är markerad som utlastad")


def _open_undo(page: Page, reason: str) -> None:
    route = page.locator("section.route").first
    if route.locator("details.confirm-undo").get_attribute("open") is None:
        route.get_by_text("Ångra utlastning…").click()
    route.get_by_label("Skäl (krävs)").fill(reason)
    route.get_by_role("checkbox").check()


def test_logistics_undoes_a_dispatch_until_a_delivery_is_recorded(page: Page, live: Live) -> None:
    day = open_round(utcnow(), settings=live.settings)
    allocate_round(live.engine, round_date=day, actor="test:web")
    approve_run(live.engine, round_date=day, actor="test:web")
    after_approval(live.engine, round_date=day, actor="test:web")
    sign_in(page, "logistik", PASSWORDS["logistik"])
    expect(page).to_have_url(re.compile(r"/logistik$"))
    route_id = page.locator("section.route").first.get_attribute("id")
    _dispatch(page)
    route = page.locator(f"#{route_id}")
    expect(route).to_contain_text("utlastad")
    # Without a reason the browser does not send it: the route stays dispatched.
    route.get_by_text("Ångra utlastning…").click()
    route.get_by_role("checkbox").check()
    route.get_by_role("button", name="Ångra utlastning").click()
    expect(route.get_by_text("Markera som utlastad…")).to_have_count(0)

    _open_undo(page, "Fordonet lämnade aldrig lagret")
    page.locator(f"#{route_id}").get_by_role("button", name="Ångra utlastning").click()
    expect(page.get_by_role("status")).to_contain_text("Utlastningen är ångrad")
    route = page.locator(f"#{route_id}")
    expect(route.get_by_text("Markera som utlastad…")).to_be_visible()
    expect(route.get_by_text("Ångra utlastning…")).to_have_count(0)
    with session_scope(live.engine) as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "manifest.undo_dispatch")
        ).all()
        reasons = [entry.details.get("reason") for entry in entries]
    assert reasons == ["Fordonet lämnade aldrig lagret"]

    # Dispatched again; the undo form is open when a stop's delivery is recorded elsewhere.
    _dispatch(page)
    _open_undo(page, "Fel rutt")
    other = page.context.new_page()
    other.goto("/logistik")
    other.locator(f"#{route_id}").get_by_role("link", name="Kvittera leverans").first.click()
    other.get_by_label("Mottaget av").fill("Karin Mottagare")
    other.get_by_role("button", name="Kvittera leverans").click()
    expect(other.get_by_role("status")).to_contain_text("Leveransen är kvitterad")
    expect(other.locator(f"#{route_id}").get_by_text("Ångra utlastning…")).to_have_count(0)
    page.locator(f"#{route_id}").get_by_role("button", name="Ångra utlastning").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "kan inte ångras: leverans är redan kvitterad"
    )
    expect(page.locator(f"#{route_id}")).to_contain_text("Karin Mottagare")
