"""Typing Swedish numbers in Chromium (issue 16): a ``type="number"`` field dropped the comma, so
"5,5" reached the server as 55. The fields are text now and the server reads or refuses them.
Stock receipts: an expiry in the past is refused; a count that is not whole packs asks for a
reason; litre items are counted in litres."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from data.db import session_scope
from data.demo import DEMO_USERS
from data.models import PolicySetting, StockEntry
from tests.web.conftest import Live, shot, sign_in

PASSWORDS = {user.username: user.password for user in DEMO_USERS}
WIDER_THAN_PHONE = """[...document.querySelectorAll('main *')]
  .filter(e => e.getBoundingClientRect().right > 392)
  .map(e => `${e.tagName}.${e.className}#${e.id}: ${Math.round(e.getBoundingClientRect().right)}`)
  .slice(0, 8)"""


def test_a_weight_typed_with_a_comma_is_saved_as_typed(page: Page, live: Live) -> None:
    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    page.goto("/lan/policy")
    expect(page.get_by_label("Vikt misstänkt smitta")).to_have_value("2")
    weight = page.get_by_label("Vikt bekräftad smitta")
    weight.fill("")
    weight.press_sequentially("5,5")
    page.get_by_role("button", name="Spara policy").click()
    expect(page.get_by_text("Policyn är sparad")).to_be_visible()
    expect(page.get_by_label("Vikt bekräftad smitta")).to_have_value("5,5")
    with session_scope(live.engine) as session:
        assert session.scalar(select(PolicySetting.weight_outbreak)) == 5.5
    days = page.get_by_label("Målnivå i behovsformuläret (dagar)")
    days.fill("")
    days.press_sequentially("4,5")
    page.get_by_role("button", name="Spara policy").click()
    expect(page.get_by_text("«4,5» är inte ett helt tal")).to_be_visible()
    expect(days).to_have_value("4,5")
    shot(page, "16-policy-decimal")


def test_a_need_typed_with_a_comma_is_refused_by_name(page: Page) -> None:
    sign_in(page, "boende-stockholm", PASSWORDS["boende-stockholm"])
    page.goto("/behov")
    field = page.locator("#daily_use_IIR")
    field.fill("")
    field.press_sequentially("1,5")
    expect(field).to_have_value("1,5")
    expect(page.locator("tr[data-item=IIR] .suggestion")).to_have_text("–")
    page.get_by_role("button", name="Skicka").click()
    expect(page.get_by_text("«1,5» är inte ett helt tal")).to_be_visible()
    expect(page.locator("#daily_use_IIR")).to_have_value("1,5")


def _receipt(page: Page, item: str, lot: str, quantity: str, expiry: str = "") -> None:
    page.goto("/lan/lager")
    page.get_by_label("Artikel").select_option(item)
    page.get_by_label("Batch/lot").fill(lot)
    page.locator("#quantity").press_sequentially(quantity)
    if expiry:
        page.get_by_label("Bäst före").fill(expiry)
    page.get_by_role("button", name="Registrera").click()


def _receipts(live: Live, lot: str) -> list[tuple[int, str | None]]:
    with session_scope(live.engine) as session:
        rows = session.execute(
            select(StockEntry.quantity, StockEntry.reason).where(StockEntry.lot == lot)
        )
        return [(int(q), r) for q, r in rows]


def test_stock_receipts_refuse_the_expired_and_ask_why_for_broken_packs(
    page: Page, live: Live
) -> None:
    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    _receipt(page, "HANDSKE_M", "OLD-1", "2 000", "2020-01-01")
    expect(page.get_by_text("Bäst före 2020-01-01 har redan passerat")).to_be_visible()
    assert _receipts(live, "OLD-1") == []

    _receipt(page, "HANDSKE_M", "ODD-1", "1 005", "2030-06-30")
    expect(page.get_by_text("inte hela förpackningar à 200")).to_be_visible()
    expect(page.get_by_text("5 förp. och 5 st över")).to_be_visible()
    assert _receipts(live, "ODD-1") == []
    shot(page, "16-lager-forpackningar")
    page.get_by_label("Skäl till antalet").fill("bruten förpackning från leverantören")
    page.get_by_role("button", name="Registrera med skälet").click()
    expect(page.get_by_text("Inleveransen är registrerad")).to_be_visible()
    assert _receipts(live, "ODD-1") == [(1005, "bruten förpackning från leverantören")]

    _receipt(page, "HANDDESINF", "LIT-1", "5,5")
    expect(page.get_by_text("«5,5» är inte ett helt tal")).to_be_visible()
    expect(page.get_by_text("Antal (liter)")).to_be_visible()
    assert _receipts(live, "LIT-1") == []

    _receipt(page, "HANDSKE_M", "ODD-1", "200", "2031-01-01")
    expect(page.get_by_text("redan registrerad med bäst före 2030-06-30")).to_be_visible()


def test_the_stock_page_fits_a_phone_and_the_skip_link_comes_first(
    browser: Browser, live: Live
) -> None:
    context = browser.new_context(
        base_url=live.url, viewport={"width": 390, "height": 844}, locale="sv-SE"
    )
    try:
        phone = context.new_page()
        sign_in(phone, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
        phone.goto("/lan/lager")
        phone.locator("#quantity").fill("1,5")
        phone.get_by_role("button", name="Registrera").click()
        expect(phone.get_by_text("«1,5» är inte ett helt tal")).to_be_visible()
        wide = phone.evaluate("document.documentElement.scrollWidth")
        wider = phone.evaluate(WIDER_THAN_PHONE)
        assert wide <= 390, f"the page is {wide} px wide on a 390 px phone: {wider}"
        shot(phone, "16-lager-mobil")
        phone.keyboard.press("Tab")
        expect(phone.locator(":focus")).to_have_text("Hoppa till innehållet")
    finally:
        context.close()


def test_a_long_error_on_the_need_form_stays_on_a_phone_screen(
    browser: Browser, live: Live
) -> None:
    context = browser.new_context(
        base_url=live.url, viewport={"width": 390, "height": 844}, locale="sv-SE"
    )
    try:
        phone = context.new_page()
        sign_in(phone, "boende-stockholm", PASSWORDS["boende-stockholm"])
        phone.goto("/behov")
        phone.locator("#requested_IIR").fill("900000000")
        phone.locator("#on_hand_IIR").fill("0")
        phone.get_by_role("button", name="Skicka").click()
        expect(phone.get_by_text("kontrollera antalet nollor")).to_be_visible()
        wide = phone.evaluate("document.documentElement.scrollWidth")
        wider = phone.evaluate(WIDER_THAN_PHONE)
        assert wide <= 390, f"the page is {wide} px wide on a 390 px phone: {wider}"
        # Every field and its error stay on screen (the table scrolled them off before).
        for box in phone.locator("tr[data-item=IIR] input, tr[data-item=IIR] .field-error").all():
            edge = box.bounding_box()
            assert edge is not None and edge["x"] + edge["width"] <= 390, box.get_attribute("id")
        shot(phone, "16-behov-fel-mobil")
    finally:
        context.close()
