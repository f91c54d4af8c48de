"""Each role's main path in a real browser (headless Chromium against the app under uvicorn).

The tests share one demo database per module and run in order: the manager files a need, the
municipal coordinator's upload with a bad row stores nothing, the county coordinator runs and
approves the round, logistics prints a delivery note and records a delivery.
"""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import FilePayload, Page, expect
from sqlalchemy import func, select

from data.db import session_scope
from data.demo import DEMO_USERS
from data.models import NeedReport
from tests.web.conftest import Live, fill_template, shot, sign_in

PASSWORDS = {user.username: user.password for user in DEMO_USERS}


def test_sign_in_refuses_a_wrong_password_and_sends_each_role_home(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/logga-in$"))
    page.get_by_label("Användarnamn").fill("kommun-stockholm")
    page.get_by_label("Lösenord").fill("fel-lösenord")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("alert")).to_contain_text("Fel användarnamn eller lösenord")
    shot(page, "00-logga-in-fel", full_page=False)
    sign_in(page, "kommun-stockholm", PASSWORDS["kommun-stockholm"])
    expect(page).to_have_url(re.compile(r"/kommun$"))
    page.goto("/lan")
    expect(page.get_by_text("Sidan är inte till för din roll")).to_be_visible()


def test_manager_files_a_need(page: Page, live: Live) -> None:
    sign_in(page, "boende-stockholm", PASSWORDS["boende-stockholm"])
    expect(page).to_have_url(re.compile(r"/behov$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Behov för")
    page.locator("[name=requested_IIR]").fill("-3")
    page.get_by_role("button", name=re.compile("Skicka")).click()
    expect(page.get_by_role("alert")).to_contain_text("rätta de markerade fälten")
    expect(page.locator(".field-error").first).to_contain_text("«-3» är negativt")
    shot(page, "01-behov-fel")
    page.get_by_label("Misstänkt smitta").check()
    page.locator("[name=requested_IIR]").fill("400")
    page.locator("[name=on_hand_IIR]").fill("60")
    page.locator("[name=daily_use_IIR]").fill("90")
    expect(page.locator("tr[data-item=IIR] .suggestion")).to_have_text("250")
    page.get_by_role("button", name=re.compile("Skicka")).click()
    expect(page.get_by_role("status")).to_contain_text("Rapporten är inskickad")
    expect(page.locator(".fact", has_text="Senast ändrad")).not_to_contain_text("–")
    expect(page.locator("[name=requested_IIR]")).to_have_value("400")
    shot(page, "01-behov-inskickat", full_page=False)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("tr[data-item=IIR] td[data-label=Behov] input")).to_be_visible()
    shot(page, "01-behov-mobil", full_page=False)


def _reports(live: Live, municipality: str) -> int:
    query = (
        select(func.count())
        .select_from(NeedReport)
        .where(NeedReport.care_home_id.like("H%"))
        .where(NeedReport.submitted_by == f"kommun-{municipality}")
    )
    with session_scope(live.engine) as session:
        return int(session.scalar(query) or 0)


def _csv(content: bytes) -> FilePayload:
    return {"name": "behov.csv", "mimeType": "text/csv", "buffer": content}


def _two_homes_filled(template: bytes) -> bytes:
    """Two rows for each of the template's first two homes, filled in."""
    header, *rows = csv.reader(io.StringIO(template.decode("utf-8-sig")))
    homes = list(dict.fromkeys(row[0] for row in rows))[:2]
    picked = [row for row in rows if row[0] in homes and row[2] in ("IIR", "HANDSKE_M")]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *picked])
    return fill_template(out.getvalue().encode("utf-8"), ["400,50,80,ingen", "1000,300,,ingen"] * 2)


def test_coordinator_upload_with_a_bad_row_stores_nothing(page: Page, live: Live) -> None:
    sign_in(page, "kommun-stockholm", PASSWORDS["kommun-stockholm"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Stockholm")
    shot(page, "02-kommun", full_page=False)
    page.get_by_role("link", name="Ladda upp behov").first.click()
    template = page.request.get("/kommun/mall.csv")
    assert template.ok and template.headers["content-type"].startswith("text/csv")
    rows = template.text().lstrip("\ufeff").strip().splitlines()
    assert rows[0].startswith("boende,boendets_namn,artikel")  # Swedish headings
    home = rows[1].split(",")[0]
    bad = "\r\n".join([*rows, f"{home},,FFP3,,-5,0,,ingen"]) + "\r\n"
    page.locator("input[type=file]").set_input_files(files=_csv(bad.encode()))
    page.get_by_role("button", name="Ladda upp").click()
    expect(page.get_by_role("alert")).to_contain_text("Inget sparades")
    error_row = page.locator("table.upload-errors tbody tr")
    expect(error_row).to_have_count(1)
    expect(error_row).to_contain_text(str(len(rows) + 1))
    expect(error_row).to_contain_text("får inte vara negativt")
    assert _reports(live, "stockholm") == 0
    shot(page, "02-uppladdning-fel")
    # The template as it comes files nothing (nothing in it is invented) and says so.
    page.locator("input[type=file]").set_input_files(files=_csv(template.body()))
    page.get_by_role("button", name="Ladda upp").click()
    expect(page.get_by_role("alert")).to_contain_text("Inget sparades")
    expect(page.locator("table.upload-errors")).to_contain_text("inga ifyllda rader")
    assert _reports(live, "stockholm") == 0
    filled = _two_homes_filled(template.body())
    page.locator("input[type=file]").set_input_files(files=_csv(filled))
    page.get_by_role("button", name="Ladda upp").click()
    # The demo's homes have reported already: the file would replace their reports, so it asks.
    expect(page.get_by_role("alert")).to_contain_text("Inget sparades ännu")
    assert _reports(live, "stockholm") == 0
    page.locator("input[type=file]").set_input_files(files=_csv(filled))
    page.get_by_label("Ersätt deras rapporter med filens rader").check()
    page.get_by_role("button", name="Ladda upp").click()
    expect(page.get_by_role("status")).to_contain_text("2 boenden och 4 rader sparades")
    assert _reports(live, "stockholm") == 2


def test_county_coordinator_runs_and_approves_the_round(page: Page, live: Live) -> None:
    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    expect(page).to_have_url(re.compile(r"/lan$"))
    expect(page.locator("svg.chart").first).to_be_visible()
    shot(page, "03-lan-oversikt")
    page.get_by_role("link", name="Fördelning", exact=True).click()
    page.get_by_role("button", name="Kör fördelning").click()
    expect(page.locator(".job")).to_contain_text("Fördelningen körs")
    assert live.run_jobs()
    expect(page.get_by_role("button", name="Godkänn fördelningen")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="Vem får för lite – och varför")).to_be_visible()
    shot(page, "03-korning-utkast", full_page=False)
    first = page.locator("table.run-lines tbody tr").first
    first.locator("[name=quantity]").fill("0")
    first.locator("[name=reason]").fill("Boendet har fått leverans direkt från regionen")
    first.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("status")).to_contain_text("Raden är ändrad")
    expect(page.locator("table.edited-lines")).to_contain_text(
        "Boendet har fått leverans direkt från regionen"
    )
    # The open round's cut-off is still ahead: approving closes it early, once confirmed.
    page.get_by_label(re.compile("stäng omgången .* i förtid")).check()
    page.get_by_role("button", name="Godkänn fördelningen").click()
    expect(page.get_by_role("status")).to_contain_text("Godkännandet är köat")
    assert live.run_jobs()
    expect(page.locator(".fact", has_text="Körning")).to_contain_text("godkänd", timeout=30_000)
    shot(page, "03-korning-godkand", full_page=False)
    page.get_by_role("link", name="Översikt för omgången").click()
    expect(page.get_by_role("heading", name="Tilldelad andel per kommun")).to_be_visible()
    expect(page.locator("svg.chart")).to_have_count(3)
    shot(page, "03-lan-oversikt-efter")
    page.get_by_role("link", name="Eskaleringar").first.click()
    expect(page.locator("tbody tr").first).to_contain_text("ESK-")
    pdf = page.request.get(page.get_by_role("link", name="PDF").first.get_attribute("href") or "")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    first_request = page.locator("tbody tr").first
    first_request.get_by_text("Ändra status").click()
    first_request.get_by_label("Ny status").select_option("acknowledged")
    first_request.get_by_label("Myndighetens referens").fill("SoS-2026-118")
    first_request.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("status")).to_contain_text("status är uppdaterad")
    expect(page.locator("tbody tr", has_text="SoS-2026-118")).to_contain_text("mottagen")
    shot(page, "03-eskaleringar", full_page=False)
    # The care home's page opens with what it got and why, above the form.
    page.context.clear_cookies()
    sign_in(page, "boende-stockholm", PASSWORDS["boende-stockholm"])
    page.goto("/behov")
    headings = page.locator("h2").all_inner_texts()
    assert headings.index("Tilldelning") < headings.index("Rapport")
    allocation_top = page.locator("h2", has_text="Tilldelning").bounding_box()
    form_top = page.locator("form[action='/behov']").bounding_box()
    assert allocation_top is not None and form_top is not None
    assert allocation_top["y"] < form_top["y"]
    # In words a manager reads: the item's name, packs and units, the fair share and why.
    allocation = page.locator("table.stack").first
    expect(allocation).to_contain_text("Ni fick")
    expect(allocation).to_contain_text("förpackningar")
    expect(allocation.locator("td[data-label=Artikel]").first).not_to_have_text(
        re.compile(r"^[A-Z0-9_]+$")
    )


def test_logistics_opens_a_delivery_note_and_records_a_delivery(page: Page, live: Live) -> None:
    sign_in(page, "logistik", PASSWORDS["logistik"])
    expect(page).to_have_url(re.compile(r"/logistik$"))
    route = page.locator("section.route").first
    note = route.get_by_role("link", name="Följesedel").first.get_attribute("href")
    assert note is not None
    document = page.request.get(note)
    assert document.ok and document.headers["content-type"] == "application/pdf"
    assert document.body().startswith(b"%PDF")
    route.get_by_text("Markera som utlastad…").click()
    route.get_by_role("checkbox").check()
    route.get_by_role("button", name="Bekräfta utlastning").click()
    expect(page.get_by_role("status")).to_contain_text("är markerad som utlastad")
    shot(page, "04-logistik", full_page=False)
    page.locator("section.route").first.get_by_role("link", name="Kvittera leverans").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kvittera leverans")
    line = page.locator("tbody tr").first
    line.locator("input[name^=short_]").fill("1")
    page.get_by_label("Mottaget av").fill("Karin Mottagare")
    page.get_by_role("button", name="Kvittera leverans").click()
    expect(page.get_by_role("alert")).to_contain_text("ange skäl till avvikelsen")
    page.locator("tbody tr").first.locator("input[name^=reason_]").fill("En förpackning saknades")
    page.get_by_role("button", name="Kvittera leverans").click()
    expect(page.get_by_role("status")).to_contain_text("Leveransen är kvitterad")
    expect(page.locator("section.route").first).to_contain_text("Karin Mottagare")
    shot(page, "04-kvitterad", full_page=False)
