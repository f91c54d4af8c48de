"""In the browser (issue 13): the national agency answers a region's request on its page, the
county coordinator sees the answer and registers the delivery, and it becomes the region's stock;
the agency receives national stock and runs, previews and approves the national allocation.

Headless Chromium against the app under uvicorn (``tests.web.conftest``); slow lane.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from data.access.tenancy import in_region
from data.clock import utcnow
from data.db import session_scope
from data.demo import DEMO_USERS
from data.escalations.requests import latest_answer
from data.national.incoming import find_request
from data.rounds.calendar import open_round
from data.stock.ledger import item_balances
from jobs.steps.day import run_day
from tests.web import conftest as web
from tests.web.conftest import Live, shot, sign_in

pytestmark = pytest.mark.slow
# The browser fixtures of tests/web (a conftest reaches only its own folder).
live, browser, page = web.live, web.browser, web.page

PASSWORDS = {user.username: user.password for user in DEMO_USERS}


def _region_stock(app: Live, region: str, item: str) -> int:
    with session_scope(app.engine) as session, in_region(session, region):
        return item_balances(session).get(item, 0)


def test_the_agency_answers_and_the_delivery_becomes_the_regions_stock(
    page: Page, live: Live
) -> None:
    day = open_round(utcnow(), settings=live.settings)
    run_day(live.engine, round_date=day, actor="test:web")
    sign_in(page, "socialstyrelsen", PASSWORDS["socialstyrelsen"])
    expect(page).to_have_url(re.compile(r"/socialstyrelsen$"))
    row = page.locator("table[data-testid=begaran] > tbody > tr:not(.history)").first
    region, reference = row.get_attribute("data-region"), row.get_attribute("data-reference")
    assert region and reference and reference.startswith("ESK-")
    more = page.locator(f"tr#{region}-{reference} + tr.history")
    more.get_by_text("Svara…").click()
    form = more.get_by_test_id("svarsformular")
    form.get_by_label("Antal").fill("5,5")
    form.get_by_role("button", name="Registrera svar").click()
    expect(page.get_by_role("alert")).to_contain_text("Antal: «5,5» är inte ett helt tal")

    expected = (utcnow().astimezone(live.settings.zone).date() + timedelta(days=2)).isoformat()
    more = page.locator(f"tr#{region}-{reference} + tr.history")
    more.get_by_text("Svara…").click()
    form = more.get_by_test_id("svarsformular")
    form.get_by_label("Antal").fill("1 000")
    form.get_by_label("Väntas").fill(expected)
    form.get_by_role("button", name="Registrera svar").click()
    expect(page.get_by_role("status")).to_contain_text("Svaret är registrerat")
    answered = page.locator(f"tr#{region}-{reference}")
    expect(answered.get_by_test_id("svar")).to_contain_text(f"väntas {expected}")
    shot(page, "web-socialstyrelsen-begaran")
    with session_scope(live.engine) as session:
        request = find_request(session, region=region, reference=reference)
        item = request.item_code
        with in_region(session, region):
            answer = latest_answer(session, escalation_id=request.id)
        assert answer is not None and answer.quantity == 1000

    # The national stock and the allocation pages.
    page.goto("/socialstyrelsen/lager")
    page.get_by_label("Artikel").select_option(item)
    page.get_by_label("Batch/lot").fill("SOS-NAT-WEB")
    page.get_by_label("Antal").fill("2 000")
    page.get_by_role("button", name="Registrera").click()
    expect(page.get_by_role("status")).to_contain_text("Inleveransen är registrerad")
    page.goto("/socialstyrelsen/fordelning")
    page.get_by_role("button", name="Förhandsgranska").click()
    expect(page.get_by_test_id("forhandsgranskning")).to_contain_text(reference)
    page.get_by_role("button", name="Kör fördelning").click()
    expect(page.get_by_role("status")).to_contain_text("Fördelningen är körd som utkast")
    shot(page, "web-socialstyrelsen-fordelning")

    # The county sees the answer and registers the delivery against the request.
    page.context.clear_cookies()
    before = _region_stock(live, region, item)
    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    page.goto(f"/lan/eskaleringar?datum={day.isoformat()}")
    expect(page.locator(f"tr#{reference}").get_by_test_id("svar")).to_contain_text(
        f"väntas {expected}"
    )
    more = page.locator(f"tr#{reference} + tr.history")
    more.get_by_text("Leverans från Socialstyrelsen…").click()
    delivery = more.locator("form[action$='/leverans']")
    delivery.get_by_label("Antal").fill("300")
    delivery.get_by_label("Batch/lot").fill("SOS-4712")
    delivery.get_by_role("button", name="Lägg in i lagret").click()
    expect(page.get_by_role("status")).to_contain_text("Leveransen från Socialstyrelsen är inlagd")
    assert _region_stock(live, region, item) == before + 300
    page.goto("/socialstyrelsen")
    expect(page.get_by_text("Sidan är inte till för din roll")).to_be_visible()
