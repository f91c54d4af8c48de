"""In the browser (issue 13): the county coordinator opens *Länets uppgifter* from the
escalations page (the menu's *Länet* leads there too), is refused a malformed phone number and
e-mail address in Swedish naming the fields (nothing saved, what was typed kept), then saves the
contact and chooses e-mail for the requests for support; the page then says how they leave."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from data.db import session_scope
from data.demo import DEMO_USERS
from data.models import Region
from tests.web.conftest import Live, shot, sign_in

PASSWORDS = {user.username: user.password for user in DEMO_USERS}


def _row(live: Live) -> tuple[str | None, str | None, str | None]:
    with session_scope(live.engine) as session:
        row = session.get(Region, "AB")
        assert row is not None
        return row.contact_name, row.contact_phone, row.escalation_transport


def test_the_county_edits_its_details_with_swedish_refusals(page: Page, live: Live) -> None:
    before = _row(live)
    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    page.goto("/lan/eskaleringar")
    page.locator("main").get_by_role("link", name="Länets uppgifter").click()
    expect(page).to_have_url(re.compile(r"/lan/region$"))
    expect(page.locator("nav a[href='/lan/region']")).to_have_text("Länet")
    expect(page.get_by_role("heading", name="Länets uppgifter")).to_be_visible()
    expect(page.get_by_text("Stockholms län (AB)")).to_be_visible()

    page.get_by_label("Kontaktperson").fill("Åsa Nyström")
    page.get_by_label("Telefon").fill("ring växeln")
    page.get_by_label("E-post").fill("asa@")
    page.get_by_role("button", name="Spara").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Inget sparades.")
    expect(alert).to_contain_text("Telefon: bara siffror")
    expect(alert).to_contain_text("E-post: 'asa@' är ingen e-postadress")
    expect(page.get_by_label("Telefon")).to_have_value("ring växeln")
    expect(page.get_by_label("Telefon")).to_have_attribute("aria-invalid", "true")
    assert _row(live) == before  # nothing half-written

    page.get_by_label("Telefon").fill("010-223 10 00")
    page.get_by_label("E-post").fill("asa.nystrom@lansstyrelsen.example")
    page.get_by_label("Leveransadress").fill("Hammarby fabriksväg 21, 120 30 Stockholm")
    page.get_by_label("Sätt att skicka begäran om stöd").select_option("email")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("status")).to_contain_text("Länets uppgifter är sparade.")
    expect(page.get_by_label("Kontaktperson")).to_have_value("Åsa Nyström")
    expect(page.get_by_test_id("transport")).to_contain_text("e-post är valt")
    shot(page, "web-lanets-uppgifter")
    assert _row(live) == ("Åsa Nyström", "010-223 10 00", "email")
