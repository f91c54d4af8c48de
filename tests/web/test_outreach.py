"""In the browser (issue 13): a manager sets an address and turns a notification off on Konto
(a malformed address refused in Swedish, nothing saved); the county's escalations page says the
requests are not sent when no transport is configured, and shows a request's history."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from data.clock import utcnow
from data.db import session_scope
from data.demo import DEMO_USERS
from data.escalations.requests import AGENCY_SUPPLIER, get_escalation, latest_answer
from data.models import StockBalance, User
from data.outreach.notifications import ROUND_APPROVED, turned_off
from data.rounds.calendar import open_round
from data.stock.ledger import list_stock_entries
from jobs.steps.allocate import allocate_round
from jobs.steps.approve import approve_run
from jobs.steps.day import after_approval, run_day
from tests.web.conftest import Live, shot, sign_in

PASSWORDS = {user.username: user.password for user in DEMO_USERS}
DEMO_ADDRESS = "boende-stockholm@demo.fordela.example"


def _manager(live: Live) -> tuple[str | None, set[str]]:
    with session_scope(live.engine) as session:
        user = session.scalar(select(User).where(User.username == "boende-stockholm"))
        assert user is not None
        return user.email, turned_off(session, user_id=user.id)


def test_a_manager_sets_an_address_and_turns_a_message_off(page: Page, live: Live) -> None:
    sign_in(page, "boende-stockholm", PASSWORDS["boende-stockholm"])
    page.get_by_role("link", name="Konto").click()
    expect(page).to_have_url(re.compile(r"/konto$"))
    topic = page.get_by_label("När länet har godkänt fördelningen")
    expect(topic).to_be_checked()
    expect(page.get_by_label("E-postadress för aviseringar")).to_have_value(DEMO_ADDRESS)
    page.get_by_label("E-postadress för aviseringar").fill("chef@")
    topic.uncheck()
    page.evaluate("document.querySelector('#epost').type = 'text'")  # past the browser's check
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Inget sparades: 'chef@' är ingen e-postadress"
    )
    expect(page.get_by_label("E-postadress för aviseringar")).to_have_value("chef@")
    assert _manager(live) == (DEMO_ADDRESS, set())  # nothing half-written

    page.get_by_label("E-postadress för aviseringar").fill("maria.lind@stockholm.example")
    page.get_by_label("När länet har godkänt fördelningen").uncheck()
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("status")).to_contain_text("Dina val är sparade.")
    expect(page.get_by_label("När länet har godkänt fördelningen")).not_to_be_checked()
    shot(page, "web-konto")
    assert _manager(live) == ("maria.lind@stockholm.example", {ROUND_APPROVED})
    page.get_by_label("När länet har godkänt fördelningen").check()
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("status")).to_contain_text("Dina val är sparade.")
    assert _manager(live) == ("maria.lind@stockholm.example", set())


def test_the_county_sees_requests_are_not_sent_without_a_transport(page: Page, live: Live) -> None:
    day = open_round(utcnow(), settings=live.settings)
    allocate_round(live.engine, round_date=day, actor="test:web")
    approve_run(live.engine, round_date=day, actor="test:web")
    after_approval(live.engine, round_date=day, actor="test:web")
    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    page.goto("/lan/eskaleringar")
    expect(page.get_by_test_id("transport")).to_contain_text(
        "Begäran skickas inte: ingen mottagare är inställd"
    )
    rows = page.locator("table.stack > tbody > tr:not(.history)")
    expect(rows.first).to_contain_text("ESK-")
    expect(rows.first).to_contain_text("ej skickad")
    expect(page.get_by_text("i kö")).to_have_count(0)
    history = page.locator("tr.history").first
    history.get_by_text("Historik (1 omgång)").click()
    expect(history.locator("table")).to_contain_text(day.isoformat())
    shot(page, "web-eskaleringar-utan-mottagare")


def test_the_county_records_the_agencys_answer_and_delivery(page: Page, live: Live) -> None:
    """The answer (units and a date) and then the delivery, entered on the escalations page,
    become the request's answer and the region's stock against it."""
    day = open_round(utcnow(), settings=live.settings)
    run_day(live.engine, round_date=day, actor="test:web")
    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    page.goto("/lan/eskaleringar")
    row = page.locator("table.stack > tbody > tr:not(.history)").first
    reference = row.get_attribute("id")
    assert reference is not None and reference.startswith("ESK-")
    more = page.locator(f"tr#{reference} + tr.history")

    more.get_by_text("Socialstyrelsens svar…").click()
    answer = more.locator("form[action$='/svar']")
    answer.get_by_label("Antal").fill("5,5")
    answer.get_by_role("button", name="Registrera svar").click()
    expect(page.get_by_role("alert")).to_contain_text("Antal: «5,5» är inte ett helt tal")

    expected = (utcnow().astimezone(live.settings.zone).date() + timedelta(days=3)).isoformat()
    more = page.locator(f"tr#{reference} + tr.history")
    more.get_by_text("Socialstyrelsens svar…").click()
    answer = more.locator("form[action$='/svar']")
    answer.get_by_label("Antal").fill("1 000")
    answer.get_by_label("Väntas").fill(expected)
    answer.get_by_label("Referens").fill("SoS-2026-117")
    answer.get_by_role("button", name="Registrera svar").click()
    expect(page.get_by_role("status")).to_contain_text("Socialstyrelsens svar är registrerat")
    row = page.locator(f"tr#{reference}")
    expect(row.get_by_test_id("svar")).to_contain_text(f"Svar: 1 000 st väntas {expected}")
    expect(row).to_contain_text("SoS-2026-117")

    more = page.locator(f"tr#{reference} + tr.history")
    more.get_by_text("Leverans från Socialstyrelsen…").click()
    delivery = more.locator("form[action$='/leverans']")
    delivery.get_by_label("Antal").fill("300")
    delivery.get_by_label("Batch/lot").fill("SOS-4711")
    delivery.get_by_role("button", name="Lägg in i lagret").click()
    expect(page.get_by_role("status")).to_contain_text("Leveransen från Socialstyrelsen är inlagd")
    row = page.locator(f"tr#{reference}")
    expect(row.locator("td[data-label='Mottaget']")).to_have_text("300")
    shot(page, "web-eskaleringar-svar-och-leverans")
    with session_scope(live.engine) as session:
        request = get_escalation(session, reference=reference)
        assert request.received_units == 300 and request.status in ("partly_met", "met")
        answer_row = latest_answer(session, escalation_id=request.id)
        assert answer_row is not None and answer_row.quantity == 1000
        assert answer_row.expected_delivery is not None
        assert answer_row.expected_delivery.isoformat() == expected
        [receipt] = list_stock_entries(session, reference=reference)
        assert (receipt.kind, receipt.lot, receipt.quantity, receipt.supplier) == (
            "receipt",
            "SOS-4711",
            300,
            AGENCY_SUPPLIER,
        )
        lot = session.get(StockBalance, ("AB", request.item_code, "SOS-4711"))
        assert lot is not None and lot.on_hand == 300  # the region's stock now
