"""Figures that agree (issue 16): the overview's card counts the items its chart and table show as
short; the days-of-supply chart counts homes (each once, "okänt" included) and adds up to the
homes that reported; the share per municipality is shown per item, not as a sum of units."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from data.clock import utcnow
from data.db import session_scope
from data.demo import DEMO_USERS
from data.models import CareHome, NeedReport
from data.rounds import open_round
from jobs.steps.allocate import allocate_round
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
