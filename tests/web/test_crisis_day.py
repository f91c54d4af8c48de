"""The crisis day in a real browser: today's draft after the cut-off, and a round closed early.

- ``after_cutoff``: the clock is past today's cut-off (10:00 when the test runs after 10:00 local
  time; else a cut-off a minute ago) and the scheduler has made today's draft. The county sees it
  without picking a date, moves a pack from a fully met home to a short one, approves, and
  logistics sees today's pick lists.
- ``before_cutoff``: the open round is approved early (with its confirmation); a need form and an
  upload opened before that are refused, naming the next round, and nothing is stored.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, time, timedelta

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect, sync_playwright
from sqlalchemy import func, select

from data.clock import utcnow
from data.db import session_scope
from data.demo import DEMO_USERS
from data.models import AllocationLine, CareHome, NeedReport
from data.rounds.calendar import open_round
from data.runs.records import list_round_runs
from data.settings import Settings
from jobs.steps.allocate import allocate_round
from tests.web.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Live,
    fill_template,
    require_chromium,
    serve_demo,
    shot,
    sign_in,
)

PASSWORDS = {user.username: user.password for user in DEMO_USERS}


def _a_cutoff_already_passed(settings: Settings) -> time:
    """10:00 when it is past 10:00 here now, else the start of the minute before now."""
    local = utcnow().astimezone(settings.zone)
    if local.time() >= time(10, 1):
        return time(10, 0)
    earlier = local - timedelta(minutes=1)
    return (
        earlier.time().replace(second=0, microsecond=0)
        if earlier.date() == local.date()
        else time(0)
    )


@pytest.fixture(scope="module")
def after_cutoff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """Today's round past its cut-off, with the draft the scheduler made at the cut-off."""
    require_chromium()
    path = tmp_path_factory.mktemp("late") / "fordela.db"
    probe = Settings(database_url=f"sqlite:///{path}")
    settings = Settings(database_url=probe.database_url, cutoff=_a_cutoff_already_passed(probe))
    today = utcnow().astimezone(settings.zone).date()
    assert open_round(utcnow(), settings=settings) == today + timedelta(days=1)
    for live in serve_demo(settings, round_date=today):
        allocate_round(live.engine, round_date=today, actor="scheduler", trigger="cutoff")
        yield live


@pytest.fixture(scope="module")
def before_cutoff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The open round (its cut-off ahead) with the demo's reports."""
    require_chromium()
    path = tmp_path_factory.mktemp("early") / "fordela.db"
    settings = Settings(database_url=f"sqlite:///{path}")
    yield from serve_demo(settings, round_date=open_round(utcnow(), settings=settings))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module (its servers are this module's own)."""
    require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _page(browser: Browser, live: Live) -> Page:
    context = browser.new_context(
        base_url=live.url, viewport={"width": 1280, "height": 900}, locale="sv-SE"
    )
    context.set_default_timeout(20_000)
    return context.new_page()


def _lines_to_move(live: Live, day: date) -> tuple[AllocationLine, AllocationLine]:
    """A short line and a fully met line of the same item that share a vehicle."""
    with session_scope(live.engine) as session:
        run = list_round_runs(session, round_date=day)[-1]
        lines = session.scalars(select(AllocationLine).where(AllocationLine.run_id == run.id))
        by_group: dict[tuple[str, str | None], list[AllocationLine]] = {}
        for line in lines:
            by_group.setdefault((line.item_code, line.capacity_group), []).append(line)
    for group in by_group.values():
        met = [x for x in group if x.quantity > 0 and x.quantity >= x.requested_rounded]
        short = [x for x in group if x.unmet > 0]
        if met and short:
            return min(short, key=lambda x: (x.level, x.care_home_id)), met[0]
    raise AssertionError("the demo's draft has no item with a short and a fully met line")


def test_after_the_cutoff_the_county_acts_on_todays_draft_and_logistics_gets_it(
    browser: Browser, after_cutoff: Live
) -> None:
    live = after_cutoff
    page = _page(browser, live)
    today = utcnow().astimezone(live.settings.zone).date()
    short, met = _lines_to_move(live, today)
    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    page.get_by_role("link", name="Fördelning", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Fördelning – leveransdag {today.isoformat()}"
    )
    expect(page.locator(".fact", has_text="Körning")).to_contain_text("utkast")
    expect(page.get_by_text("Brytpunkten")).to_have_count(0)  # past it: no early closing
    page.get_by_label("Artikel", exact=True).select_option(short.item_code)
    page.get_by_role("button", name="Filtrera").click()
    expect(page).to_have_url(re.compile(rf"datum={today.isoformat()}.*artikel={short.item_code}"))
    row = page.locator(
        "table.run-lines tbody tr", has=page.locator(f"input[value='{short.care_home_id}']")
    )
    row.get_by_role("link", name="Flytta förpackningar hit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"Flytta förpackningar – {short.item_code}"
    )
    giver = page.locator(f"tr[data-home='{met.care_home_id}']")
    expect(giver).to_contain_text("Behovet täckt")
    giver.get_by_role("radio").check()
    page.get_by_label("Antal förpackningar").fill("1")
    page.get_by_label("Skäl (visas på raderna)").fill("Bekräftad smitta på avdelning 2")
    shot(page, "05-flytta-forpackning")
    page.get_by_role("button", name="Flytta förpackningarna").click()
    expect(page.get_by_role("status")).to_contain_text("Förpackningarna är flyttade")
    edited = page.locator("table.edited-lines tbody tr")
    expect(edited).to_have_count(2)
    expect(edited.first).to_contain_text("Bekräftad smitta på avdelning 2")
    with session_scope(live.engine) as session:
        after = {
            x.care_home_id: x.quantity
            for x in session.scalars(
                select(AllocationLine).where(
                    AllocationLine.run_id == short.run_id,
                    AllocationLine.item_code == short.item_code,
                )
            )
        }
    pack = (met.quantity // met.packs) if met.packs else 0
    assert after[met.care_home_id] == met.quantity - pack
    assert after[short.care_home_id] == short.quantity + pack
    shot(page, "05-korning-efter-flytt", full_page=False)
    page.get_by_role("button", name="Godkänn fördelningen").click()
    expect(page.get_by_role("status")).to_contain_text("Godkännandet är köat")
    assert live.run_jobs()
    expect(page.locator(".fact", has_text="Körning")).to_contain_text("godkänd", timeout=30_000)
    expect(page.get_by_role("heading", level=1)).to_contain_text(today.isoformat())

    logistics = _page(browser, live)
    sign_in(logistics, "logistik", PASSWORDS["logistik"])
    expect(logistics.get_by_role("heading", level=1)).to_have_text(
        f"Rutter – leveransdag {today.isoformat()}"
    )
    pick_list = logistics.get_by_role("link", name="Plocklista (PDF)").first.get_attribute("href")
    document = logistics.request.get(pick_list or "")
    assert document.ok and document.body().startswith(b"%PDF")
    logistics.context.close()
    page.context.close()


def _reports(live: Live, day: date) -> int:
    with session_scope(live.engine) as session:
        query = select(func.count()).select_from(NeedReport).where(NeedReport.round_date == day)
        return int(session.scalar(query) or 0)


def _csv(content: bytes) -> FilePayload:
    return {"name": "behov.csv", "mimeType": "text/csv", "buffer": content}


def test_a_round_approved_early_refuses_the_form_and_the_upload_naming_the_next_round(
    browser: Browser, before_cutoff: Live
) -> None:
    live = before_cutoff
    page = _page(browser, live)
    day = open_round(utcnow(), settings=live.settings)
    following = (day + timedelta(days=1)).isoformat()
    manager = _page(browser, live)
    sign_in(manager, "boende-stockholm", PASSWORDS["boende-stockholm"])
    expect(manager.locator(".fact", has_text="Leveransdag")).to_contain_text(day.isoformat())
    coordinator = _page(browser, live)
    sign_in(coordinator, "kommun-stockholm", PASSWORDS["kommun-stockholm"])
    coordinator.goto("/kommun/uppladdning")
    template = fill_template(
        coordinator.request.get("/kommun/mall.csv").body(), ["40,10,5,ingen", "60,20,,ingen"]
    )

    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    page.goto(f"/lan/korning?datum={day.isoformat()}")
    page.get_by_role("button", name="Kör fördelning").click()
    assert live.run_jobs()
    expect(page.get_by_role("button", name="Godkänn fördelningen")).to_be_visible(timeout=30_000)
    expect(page.locator(".warning", has_text="stängs omgången i förtid")).to_contain_text(following)
    page.get_by_label(re.compile("stäng omgången .* i förtid")).check()
    page.get_by_role("button", name="Godkänn fördelningen").click()
    assert live.run_jobs()
    expect(page.locator(".fact", has_text="Körning")).to_contain_text("godkänd", timeout=30_000)
    stored = _reports(live, day)

    manager.locator("[name=requested_IIR]").fill("400")
    manager.locator("[name=on_hand_IIR]").fill("60")
    manager.get_by_role("button", name=re.compile("Skicka")).click()
    alert = manager.get_by_role("alert")
    expect(alert).to_contain_text(f"Omgången {day.isoformat()} är stängd")
    expect(alert).to_contain_text(f"nästa omgång, {following}")
    expect(manager.locator("[name=requested_IIR]")).to_have_value("400")  # what was typed is kept
    shot(manager, "06-behov-stangd-omgang", full_page=False)
    manager.goto("/behov")
    expect(manager.locator(".fact", has_text="Leveransdag")).to_contain_text(following)

    coordinator.locator("input[type=file]").set_input_files(files=_csv(template))
    coordinator.get_by_role("button", name="Ladda upp").click()
    expect(coordinator.get_by_role("alert")).to_contain_text(
        f"Omgången {day.isoformat()} är stängd"
    )
    expect(coordinator.get_by_role("alert")).to_contain_text(following)
    assert _reports(live, day) == stored
    assert _reports(live, day + timedelta(days=1)) == 0
    for user_page in (page, manager, coordinator):
        user_page.context.close()


def _homes_of(live: Live, municipality: str) -> set[str]:
    with session_scope(live.engine) as session:
        query = select(CareHome.id).where(CareHome.municipality_code == municipality)
        return set(session.scalars(query))


def test_the_municipal_coordinator_sees_own_homes_allocations_and_delivery_note_only(
    browser: Browser, after_cutoff: Live
) -> None:
    live = after_cutoff
    today = utcnow().astimezone(live.settings.zone).date()
    stockholm, haninge = _homes_of(live, "0180"), _homes_of(live, "0136")
    page = _page(browser, live)
    sign_in(page, "kommun-stockholm", PASSWORDS["kommun-stockholm"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Stockholm")
    expect(page.locator(".fact", has_text="Leveransdag")).to_contain_text(today.isoformat())
    homes = page.locator("table.homes tbody tr")
    expect(homes.first).to_contain_text("Ingen rapport")  # the unreported come first
    allocations = page.locator("table.allocations tbody tr")
    expect(allocations.first).to_be_visible()
    shown = set(allocations.evaluate_all("rows => rows.map(r => r.dataset.home)"))
    assert shown and shown <= stockholm and not shown & haninge
    with session_scope(live.engine) as session:
        allocated = session.scalar(
            select(func.sum(AllocationLine.quantity)).where(
                AllocationLine.municipality_code == "0180",
                AllocationLine.run_id == list_round_runs(session, round_date=today)[-1].id,
            )
        )
    cells = allocations.locator("td[data-label=Tilldelat]").all_inner_texts()
    assert (
        sum(int(c.replace("\u00a0", "").replace(" ", "")) for c in cells if c != "–") == allocated
    )
    expect(page.locator("table.stop-items")).to_contain_text("ej kvitterat")
    shot(page, "08-kommun-tilldelning")
    page.get_by_label("Visa").select_option("saknas")
    page.get_by_role("button", name="Filtrera").click()
    statuses = page.locator("table.homes tbody td[data-label=Status]").all_inner_texts()
    assert statuses and all(s == "Ingen rapport" for s in statuses)
    note = page.get_by_role("link", name=re.compile("Följesedel")).get_attribute("href") or ""
    document = page.request.get(note)
    assert document.ok and document.body().startswith(b"%PDF")
    refused = page.request.get(f"{note}&kommun=0136")
    assert refused.status == 404
    answer = page.goto("/kommun?kommun=0136")
    assert answer is not None and answer.status == 404
    page.context.close()


def test_the_upload_says_what_it_stored_and_asks_before_replacing_a_report(
    browser: Browser, after_cutoff: Live
) -> None:
    live = after_cutoff
    tomorrow = open_round(utcnow(), settings=live.settings)  # the round taking reports now
    page = _page(browser, live)
    sign_in(page, "kommun-stockholm", PASSWORDS["kommun-stockholm"])
    page.goto("/kommun/uppladdning")
    template = fill_template(page.request.get("/kommun/mall.csv").body(), ["40,10,5,ingen"] * 4)
    rows = [r for r in list(csv.reader(io.StringIO(template.decode())))[1:] if r[4]]
    homes = {row[0] for row in rows}
    page.locator("input[type=file]").set_input_files(files=_csv(template))
    page.get_by_role("button", name="Ladda upp").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"{len(homes)} boenden och {len(rows)} rader sparades"
    )
    page.goto("/kommun/uppladdning")
    page.locator("input[type=file]").set_input_files(files=_csv(template))
    page.get_by_role("button", name="Ladda upp").click()
    expect(page.get_by_role("alert")).to_contain_text("Inget sparades ännu")
    expect(page.locator(".warning")).to_contain_text(sorted(homes)[0])
    with session_scope(live.engine) as session:
        versions = session.scalars(
            select(func.max(NeedReport.version)).where(
                NeedReport.care_home_id.in_(homes), NeedReport.round_date == tomorrow
            )
        ).one()
    assert versions == 1
    page.locator("input[type=file]").set_input_files(files=_csv(template))
    page.get_by_label("Ersätt deras rapporter med filens rader").check()
    page.get_by_role("button", name="Ladda upp").click()
    expect(page.get_by_role("status")).to_contain_text("rader sparades")
    with session_scope(live.engine) as session:
        versions = session.scalars(
            select(func.max(NeedReport.version)).where(
                NeedReport.care_home_id.in_(homes), NeedReport.round_date == tomorrow
            )
        ).one()
    assert versions == 2
    page.context.close()
