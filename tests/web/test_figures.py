"""Figures that agree (issue 16): the overview's card counts the items its chart and table show as
short; the days-of-supply chart counts homes (each once, "okänt" included) and adds up to the
homes that reported; the share per municipality is shown per item, not as a sum of units."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from data.clock import utcnow
from data.db import session_scope
from data.demo import DEMO_USERS
from data.models import AllocationRun, CareHome, NeedReport
from data.rounds.calendar import open_round
from jobs.steps.allocate import allocate_round
from jobs.steps.approve import approve_run
from jobs.steps.day import after_approval
from tests.web.conftest import Live, shot, sign_in

PASSWORDS = {user.username: user.password for user in DEMO_USERS}


def _reporting_homes(live: Live, round_date: object, municipality: str) -> int:
    with session_scope(live.engine) as session:
        query = (
            select(func.count(func.distinct(NeedReport.care_home_id)))
            .join(CareHome, CareHome.id == NeedReport.care_home_id)
            .where(
                NeedReport.round_date == round_date,
                NeedReport.superseded.is_(False),
                CareHome.municipality_code == municipality,
            )
        )
        return int(session.scalar(query) or 0)


def test_the_overview_card_chart_and_tables_tell_one_story(page: Page, live: Live) -> None:
    day = open_round(utcnow(), settings=live.settings)
    allocate_round(live.engine, round_date=day, actor="test:web")
    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    page.goto(f"/lan?datum={day.isoformat()}")
    for summary in page.locator("details summary").all():
        summary.click()
    card = page.locator(".fact", has_text="Artiklar i brist").locator("b").inner_text()
    short, shown = (int(n) for n in re.findall(r"\d+", card))
    items_table = page.locator("table").nth(0)
    assert items_table.locator("tbody tr").count() == shown
    assert items_table.locator("tbody tr.short").count() == short
    assert page.locator("svg.chart").nth(0).inner_html().count("(brist)") == short

    buckets = page.locator("table").nth(1)
    expect(buckets.locator("thead")).to_contain_text("Okänt")
    stockholm = buckets.locator("tbody tr", has_text="Stockholm").first
    cells = [int(c) for c in stockholm.locator("td.num").all_inner_texts()]
    assert sum(cells) == _reporting_homes(live, day, "0180") > 0
    chart = page.locator("svg.chart").nth(1).inner_html()
    assert "okänt" in chart and "boenden" in chart

    expect(
        page.get_by_role("heading", name="Tilldelad andel per kommun och artikel")
    ).to_be_visible()
    per_item = page.locator("table").nth(2)
    heads = per_item.locator("thead th").all_inner_texts()
    assert heads[0] == "Kommun" and heads[-1] == "Boenden med brist" and len(heads) > 2
    shot(page, "16-oversikt")


def test_follow_up_over_time_shows_one_item_and_exports_numbers(page: Page, live: Live) -> None:
    day = open_round(utcnow(), settings=live.settings)
    with session_scope(live.engine) as session:
        approved = session.scalar(
            select(func.count())
            .select_from(AllocationRun)
            .where(AllocationRun.round_date == day, AllocationRun.status == "approved")
        )
    if not approved:
        approve_run(live.engine, round_date=day, actor="test:web")
        after_approval(live.engine, round_date=day, actor="test:web")
    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    page.get_by_role("link", name="Uppföljning").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("hela länet")
    rows = page.locator("table").first.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(day.isoformat())
    page.get_by_label("Artikel").select_option("FFP3")
    page.get_by_label("Kommun").select_option(label="Stockholm")
    page.get_by_role("button", name="Visa").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"Uppföljning – Andningsskydd FFP3, Stockholm")
    )
    shot(page, "16-uppfoljning")
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    sheet = book.active
    assert sheet is not None
    header, *data = list(sheet.iter_rows(values_only=True))
    assert header[:5] == ("leveransdag", "artikel", "kommunkod", "kommun", "begärt")
    assert data and all(r[2] == "0180" for r in data)
    assert all(isinstance(r[4], int) and isinstance(r[5], int) for r in data)


def test_the_audit_log_says_who_changed_what_and_why(page: Page) -> None:
    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    page.goto("/lan/lager")
    page.get_by_label("Artikel").select_option("FFP2")
    page.get_by_label("Batch/lot").fill("LOGG-1")
    page.locator("#quantity").fill("25")
    page.get_by_role("button", name="Registrera").click()
    page.get_by_label("Skäl till antalet").fill("en trasig kartong")
    page.get_by_role("button", name="Registrera med skälet").click()
    page.get_by_role("link", name="Logg").click()
    first = page.locator("table tbody tr").first
    expect(first).to_contain_text("lansstyrelsen")
    expect(first).to_contain_text("stock.receipt")
    expect(first).to_contain_text("Skäl: en trasig kartong")
    first.get_by_role("link").click()  # the record's own history
    expect(page.get_by_label("Typ av post")).to_have_value("stock_entry")
    expect(page.locator("table tbody tr")).to_have_count(1)
    shot(page, "16-logg")
