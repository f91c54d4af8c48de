"""Acute needs in a real browser, between the rounds: a home files one, the county declines another
with a reason and shares out the rest in an extra round that goes out as an extra delivery; what
could not be covered is escalated, and each home sees how its request ended."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from data.db import session_scope
from data.demo import DEMO_USERS
from data.models import AcuteRequest, StockBalance
from tests.web.conftest import Live, shot, sign_in

PASSWORDS = {user.username: user.password for user in DEMO_USERS}


def _free(live: Live, item: str) -> int:
    with session_scope(live.engine) as session:
        lots = session.scalars(select(StockBalance.on_hand).where(StockBalance.item_code == item))
        return sum(lots)


def _other_page(browser: Browser, live: Live) -> Page:
    context = browser.new_context(base_url=live.url, locale="sv-SE")
    context.set_default_timeout(20_000)
    return context.new_page()


def test_an_acute_need_goes_out_in_an_extra_round_and_each_home_sees_the_outcome(
    page: Page, browser: Browser, live: Live
) -> None:
    free = _free(live, "FFP3")
    asked = free + 500  # more than there is: the rest must be escalated
    sign_in(page, "boende-stockholm", PASSWORDS["boende-stockholm"])
    page.get_by_role("link", name="Akut behov").click()
    page.get_by_label("Artikel").select_option("FFP3")
    page.get_by_label("Antal").fill(str(asked))
    page.get_by_label("Bekräftad smitta").check()
    page.get_by_label("Varför är det akut?").fill("Nytt utbrott på avdelning 3 i eftermiddag")
    page.get_by_role("button", name="Skicka akut behov").click()
    expect(page.get_by_role("status")).to_contain_text("skickat till länet")
    expect(page.locator("table.acute-requests tbody tr").first).to_contain_text("Väntar på länet")

    coordinator = _other_page(browser, live)
    sign_in(coordinator, "kommun-stockholm", PASSWORDS["kommun-stockholm"])
    coordinator.get_by_role("link", name="Akut behov").click()
    coordinator.get_by_label("Boende").select_option(index=2)
    coordinator.get_by_label("Artikel").select_option("IIR")
    coordinator.get_by_label("Antal").fill("0")
    coordinator.get_by_label("Varför är det akut?").fill("Smitta misstänkt hos två boende")
    coordinator.get_by_role("button", name="Skicka akut behov").click()
    expect(coordinator.locator(".field-error")).to_contain_text("större än 0")
    coordinator.get_by_label("Antal").fill("100")
    coordinator.get_by_role("button", name="Skicka akut behov").click()
    expect(coordinator.get_by_role("status")).to_contain_text("skickat till länet")

    county = _other_page(browser, live)
    sign_in(county, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    expect(county.locator("nav a[href='/lan/akut'] .nav-count")).to_have_text("2")
    county.get_by_role("link", name=re.compile("^Akut")).click()
    queue = county.locator("table.acute-queue tbody tr")
    expect(queue.first).to_contain_text("IIR")  # newest first
    queue.first.get_by_text("Avslå").first.click()
    queue.first.get_by_label("Skäl till avslag").fill("Levererat direkt från regionen i förmiddags")
    queue.first.get_by_role("button", name="Avslå").click()
    expect(county.get_by_role("status")).to_contain_text("Begäran är avslagen")
    expect(county.locator("nav a[href='/lan/akut'] .nav-count")).to_have_text("1")
    county.get_by_label("Rutt och fordon").select_option("R3")
    county.get_by_label(re.compile("^Avgång")).fill("15:30")
    county.get_by_role("button", name="Fördela de öppna behoven").click()
    expect(county.get_by_role("status")).to_contain_text("extra fördelningen är köad")
    assert live.run_jobs()
    county.reload()
    county.locator("table.extra-runs a").first.click()
    expect(county.get_by_role("heading", level=1)).to_contain_text("Extra fördelning")
    expect(county.locator("table.run-lines tbody tr")).to_have_count(1)
    expect(county.locator("table.run-lines")).to_contain_text(f"{free:,}".replace(",", "\u00a0"))
    shot(county, "09-extra-fordelning", full_page=False)
    county.get_by_role("button", name="Godkänn den extra fördelningen").click()
    expect(county.get_by_role("status")).to_contain_text("Godkännandet är köat")
    assert live.run_jobs()
    county.goto("/lan/akut")
    expect(county.locator("table.extra-runs")).to_contain_text("godkänd")
    county.goto("/lan/eskaleringar")
    expect(county.locator("tbody tr", has_text="FFP3")).to_contain_text("500")

    logistics = _other_page(browser, live)
    sign_in(logistics, "logistik", PASSWORDS["logistik"])
    extra = logistics.locator("section.route", has_text="Extra leverans 15:30")
    expect(extra).to_have_count(1)
    note = extra.get_by_role("link", name="Följesedel").first.get_attribute("href") or ""
    document = logistics.request.get(note)
    assert document.ok and document.body().startswith(b"%PDF")
    shot(logistics, "09-extra-leverans", full_page=False)

    page.goto("/behov")  # the home's own page says it too
    expect(page.locator("ul.acute-outcomes")).to_contain_text(
        "resten eskalerat till Socialstyrelsen"
    )
    page.goto("/behov/akut")
    mine = page.locator("table.acute-requests tbody tr").first
    expect(mine).to_contain_text(f"av {asked:,}".replace(",", "\u00a0"))
    expect(mine).to_contain_text("eskalerat till Socialstyrelsen")
    coordinator.reload()
    theirs = coordinator.locator("table.acute-requests tbody tr").first
    expect(theirs).to_contain_text("Avslaget")
    expect(theirs).to_contain_text("Levererat direkt från regionen i förmiddags")
    with session_scope(live.engine) as session:
        outcomes = {
            r.item_code: (r.status, r.allocated) for r in session.scalars(select(AcuteRequest))
        }
    assert outcomes == {"FFP3": ("partly", free), "IIR": ("declined", 0)}
    assert _free(live, "FFP3") == 0
    for other in (coordinator, county, logistics):
        other.context.close()
