"""The run page at county scale (issue 16): the policy card shows the policy the run used, the
lines come short first a page at a time with filters, and an edit comes back to its line."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from api.pages.run import LINES_PER_PAGE
from data.clock import utcnow
from data.demo import DEMO_USERS
from data.rounds.calendar import open_round
from jobs.steps.allocate import allocate_round
from tests.web.conftest import Live, shot, sign_in

PASSWORDS = {user.username: user.password for user in DEMO_USERS}


def _draft(live: Live) -> str:
    day = open_round(utcnow(), settings=live.settings).isoformat()
    allocate_round(live.engine, round_date=open_round(utcnow(), settings=live.settings), actor="t")
    return day


def test_the_policy_card_shows_the_policy_the_run_used(page: Page, live: Live) -> None:
    day = _draft(live)
    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    page.goto("/lan/policy")
    page.get_by_label("Vikt bekräftad smitta").fill("5,5")
    page.get_by_label("Reserv (% av lagret)").fill("10")
    page.get_by_role("button", name="Spara policy").click()
    expect(page.get_by_text("Policyn är sparad")).to_be_visible()
    page.goto(f"/lan/korning?datum={day}")
    card = page.locator(".policy-card")
    expect(card).to_contain_text("Policyn som användes")
    expect(card).to_contain_text("vikter 3/2/1, reserv 0 %")
    expect(card).to_contain_text("Sparad sedan dess: vikter 5,5/2/1, reserv 10 %")


def test_lines_come_short_first_a_page_at_a_time_and_an_edit_returns_to_its_line(
    page: Page, live: Live
) -> None:
    day = open_round(utcnow(), settings=live.settings).isoformat()
    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    page.goto(f"/lan/korning?datum={day}")
    rows = page.locator("table.run-lines tbody tr")
    expect(rows).to_have_count(LINES_PER_PAGE)
    summary = page.locator("p.muted", has_text="rader med brist").inner_text()
    total, _, pages = (int(n) for n in re.findall(r"\d+", summary.replace("\u00a0", ""))[:3])
    assert total > LINES_PER_PAGE and pages == -(-total // LINES_PER_PAGE)
    # The whole run, short lines first: the first page is all short lines.
    page.get_by_label("Rader", exact=True).select_option("alla")
    page.get_by_role("button", name="Filtrera").click()
    assert page.locator("table.run-lines tbody tr:not(.short)").count() == 0
    nav = page.get_by_role("navigation", name="Sidor med rader")
    nav.get_by_role("link", name="Nästa").click()
    expect(page).to_have_url(re.compile(r"sida=2"))
    # One item in one municipality, then an edit on the second page of all lines.
    page.get_by_label("Artikel").select_option("IIR")
    page.get_by_label("Kommun").select_option(label="Stockholm")
    page.get_by_label("Rader", exact=True).select_option("")
    page.get_by_role("button", name="Filtrera").click()
    lines = page.locator("table.run-lines tbody tr")
    assert lines.count() >= 1
    assert all("IIR" in t for t in lines.locator("td[data-label=Artikel]").all_inner_texts())
    target = lines.last
    anchor = target.get_attribute("id")
    target.get_by_label("Nytt antal").fill("1,5")
    target.get_by_label("Skäl").fill("test")
    target.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("alert")).to_contain_text("helt tal")
    target = page.locator(f"#{anchor}")
    quantity = target.get_by_label("Nytt antal").input_value()
    target.get_by_label("Skäl").fill("ringt boendet: de har fått från grannkommunen")
    target.get_by_role("button", name="Spara").click()
    expect(page).to_have_url(re.compile(rf"artikel=IIR.*kommun=0180.*#{anchor}$"))
    expect(page.get_by_role("status")).to_contain_text("Raden är ändrad")
    assert page.evaluate("window.scrollY") > 0, "the page came back at the top"
    expect(page.locator(f"#{anchor}")).to_be_in_viewport()
    assert quantity
    shot(page, "16-korning-rad")
