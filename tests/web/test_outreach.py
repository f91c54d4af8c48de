"""In the browser (issue 13): a manager sets an address and turns a notification off on Konto
(a malformed address refused in Swedish, nothing saved); the county's escalations page says the
requests are not sent when no transport is configured, and shows a request's history."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from data.clock import utcnow
from data.db import session_scope
from data.demo import DEMO_USERS
from data.models import User
from data.notifications import ROUND_APPROVED, turned_off
from data.rounds import open_round
from jobs.steps.allocate import allocate_round
from jobs.steps.approve import approve_run
from jobs.steps.day import after_approval
from tests.web.conftest import Live, shot, sign_in

PASSWORDS = {user.username: user.password for user in DEMO_USERS}


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
    page.get_by_label("E-postadress för aviseringar").fill("chef@")
    topic.uncheck()
    page.evaluate("document.querySelector('#epost').type = 'text'")  # past the browser's check
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Inget sparades: 'chef@' är ingen e-postadress"
    )
    expect(page.get_by_label("E-postadress för aviseringar")).to_have_value("chef@")
    assert _manager(live) == (None, set())  # nothing half-written

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
