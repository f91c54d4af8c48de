"""Pages that behave, in a real browser: Swedish 403/404 pages (the API keeps problem+json), an
expired session that keeps the typed form and returns to it, sign-in that returns to the page asked
for, and ``Cache-Control: no-store`` so Back after sign-out shows nothing of the last user."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import update

from data.clock import utcnow
from data.db import session_scope
from data.demo import DEMO_USERS
from data.models import WebSession
from tests.web.conftest import Live, shot, sign_in

PASSWORDS = {user.username: user.password for user in DEMO_USERS}


def test_forbidden_and_missing_pages_are_swedish_pages_and_the_api_keeps_problem_json(
    page: Page,
) -> None:
    sign_in(page, "kommun-stockholm", PASSWORDS["kommun-stockholm"])
    answer = page.goto("/lan")
    assert answer is not None and answer.status == 403
    assert answer.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingen behörighet")
    expect(page.get_by_text("Sidan är inte till för din roll")).to_be_visible()
    expect(page.get_by_role("navigation", name="Huvudmeny")).to_contain_text("Kommunen")
    shot(page, "07-403", full_page=False)
    for missing in ("/finns-inte", "/kommun?kommun=0136"):  # Haninge is not Stockholm's
        answer = page.goto(missing)
        assert answer is not None and answer.status == 404, missing
        expect(page.get_by_role("heading", level=1)).to_have_text("Sidan finns inte")
    api = page.request.get("/api/v1/stock/balances")
    assert api.status == 403 and api.headers["content-type"] == "application/problem+json"
    api = page.request.get("/api/v1/finns-inte")
    assert api.status == 404 and api.headers["content-type"] == "application/problem+json"


def test_sign_in_returns_to_the_page_asked_for_and_never_to_another_site(
    page: Page, live: Live
) -> None:
    page.goto("/lan/korning?artikel=FFP3")
    expect(page).to_have_url(re.compile(r"/logga-in\?nasta="))
    sign_in_here(page, "lansstyrelsen")
    expect(page).to_have_url(re.compile(r"/lan/korning\?artikel=FFP3$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fördelning")
    page.context.clear_cookies()
    page.goto("/logga-in?nasta=//example.org/lan")
    sign_in_here(page, "lansstyrelsen")
    expect(page).to_have_url(f"{live.url}/lan")


def sign_in_here(page: Page, username: str) -> None:
    """Fill the sign-in form already shown (sign_in() would open a fresh one)."""
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORDS[username])
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()


def test_an_expired_session_keeps_the_typed_form_and_returns_to_it(page: Page, live: Live) -> None:
    sign_in(page, "boende-haninge", PASSWORDS["boende-haninge"])
    expect(page).to_have_url(re.compile(r"/behov$"))
    page.locator("[name=requested_FFP3]").fill("120")
    page.locator("[name=on_hand_FFP3]").fill("15")
    page.get_by_label("Bekräftad smitta").check()
    with session_scope(live.engine) as session:  # the session runs out while the form is open
        session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(minutes=1)))
    api = page.request.get("/api/v1/needs")  # the API says the same, as problem+json
    assert api.status == 401 and api.headers["content-type"] == "application/problem+json"
    assert "session has expired" in api.json()["detail"]
    page.get_by_role("button", name=re.compile("Skicka")).click()
    expect(page).to_have_url(re.compile(r"/logga-in\?utgangen=1&nasta=/behov"))
    expect(page.get_by_role("alert")).to_contain_text("Din session har gått ut")
    shot(page, "07-session-utgangen", full_page=False)
    sign_in_here(page, "boende-haninge")
    expect(page).to_have_url(re.compile(r"/behov$"))
    expect(page.get_by_role("status")).to_contain_text("ifyllt igen")
    expect(page.locator("[name=requested_FFP3]")).to_have_value("120")
    expect(page.locator("[name=on_hand_FFP3]")).to_have_value("15")
    expect(page.get_by_label("Bekräftad smitta")).to_be_checked()
    page.get_by_role("button", name=re.compile("Skicka")).click()
    expect(page.get_by_role("status")).to_contain_text("Rapporten är inskickad")
    expect(page.locator("[name=requested_FFP3]")).to_have_value("120")


def test_signed_in_pages_are_not_stored_so_back_after_sign_out_shows_nothing(
    page: Page,
) -> None:
    login = page.goto("/logga-in")
    assert login is not None and "no-store" not in login.headers.get("cache-control", "")
    sign_in(page, "boende-stockholm", PASSWORDS["boende-stockholm"])
    form = page.goto("/behov")
    assert form is not None and form.headers["cache-control"] == "no-store"
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading.startswith("Behov för ")
    document = page.request.get("/logistik/plocklista/1.pdf")  # a 403 for a signed-in user, too
    assert document.headers["cache-control"] == "no-store"
    page.get_by_role("button", name="Logga ut").click()
    expect(page).to_have_url(re.compile(r"/logga-in$"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/logga-in"))
    expect(page.get_by_text(heading)).to_have_count(0)
