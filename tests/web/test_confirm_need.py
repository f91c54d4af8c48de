"""The need form: an implausibly large figure is confirmed with a reason, not refused outright;
without the reason nothing is stored and what was typed stays. Hard limits stay refusals."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from data.db import session_scope
from data.demo import DEMO_USERS
from data.models import AuditEntry, NeedLine, NeedReport, User
from tests.web.conftest import Live, shot, sign_in

PASSWORDS = {user.username: user.password for user in DEMO_USERS}
MANAGER = "boende-stockholm"


def _reports(live: Live) -> int:
    with session_scope(live.engine) as session:
        home = session.scalars(select(User.care_home_id).where(User.username == MANAGER)).one()
        return int(
            session.scalar(
                select(func.count()).select_from(NeedReport).where(NeedReport.care_home_id == home)
            )
            or 0
        )


def test_an_implausible_figure_is_stored_only_when_confirmed_with_a_reason(
    page: Page, live: Live
) -> None:
    before = _reports(live)
    sign_in(page, MANAGER, PASSWORDS[MANAGER])
    page.locator("[name=requested_IIR]").fill("9 000 000")
    page.locator("[name=on_hand_IIR]").fill("10")
    page.get_by_role("button", name="Skicka").click()
    expect(page.get_by_role("alert")).to_contain_text("orimligt stort")
    box = page.locator(".confirm-figures")
    expect(box).to_contain_text("(IIR)")
    expect(box).to_contain_text("är mer än gränsen")
    expect(box).to_contain_text("30 dagars högsta förbrukning")
    expect(page.locator(".field-error").first).to_have_text(
        "Orimligt stort: rätta eller bekräfta nedan."
    )
    assert _reports(live) == before

    # "Bekräfta" without a reason: not stored, the figures stay as typed.
    page.get_by_role("button", name="Bekräfta").click()
    expect(page.locator(".confirm-figures .field-error")).to_contain_text("Ange ett skäl")
    expect(page.locator("[name=requested_IIR]")).to_have_value("9 000 000")
    expect(page.locator("[name=on_hand_IIR]")).to_have_value("10")
    assert _reports(live) == before
    page.locator(".confirm-figures").scroll_into_view_if_needed()
    shot(page, "17-bekrafta-antal", full_page=False)

    page.get_by_label("Skäl till det stora antalet (krävs)").fill("Lager för hela kommunen")
    page.get_by_role("button", name="Bekräfta").click()
    expect(page.get_by_role("status")).to_contain_text("Rapporten är inskickad")
    expect(page.locator("p.warning").first).to_contain_text("bekräftat med skäl")
    assert _reports(live) == before + 1
    with session_scope(live.engine) as session:
        report = session.scalars(select(NeedReport).order_by(NeedReport.id.desc())).first()
        assert report is not None
        requested = session.scalars(
            select(NeedLine.requested).where(
                NeedLine.report_id == report.id, NeedLine.item_code == "IIR"
            )
        ).one()
        assert requested == 9_000_000
        audit = session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "need_report", AuditEntry.entity_id == str(report.id)
            )
        ).one()
        assert audit.details["reason"] == "Lager för hela kommunen"


def test_a_figure_above_the_hard_limit_is_refused_without_a_confirmation(
    page: Page, live: Live
) -> None:
    before = _reports(live)
    sign_in(page, MANAGER, PASSWORDS[MANAGER])
    page.locator("[name=requested_IIR]").fill("200000000")
    page.locator("[name=on_hand_IIR]").fill("0")
    page.get_by_role("button", name="Skicka").click()
    expect(page.get_by_role("alert")).to_contain_text("rätta de markerade fälten")
    expect(page.locator(".confirm-figures")).to_have_count(0)
    expect(page.locator("[name=requested_IIR]")).to_have_value("200000000")
    assert _reports(live) == before
