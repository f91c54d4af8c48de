"""The policy page in Chromium (issues 12 and 14): the substitute rules and the memory of
shortfalls round-trip — a rule turned on with a Swedish factor "1,5", one removed, one added, the
memory set — and a wrong rule is refused naming the rule and its column, with nothing stored."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from data.db import session_scope
from data.demo import DEMO_USERS
from data.runs.policy import saved_policy
from tests.web.conftest import Live, shot, sign_in

PASSWORDS = {user.username: user.password for user in DEMO_USERS}


def _rules(page: Page) -> list[tuple[str, str, str, bool]]:
    rows = page.locator("#substitute-rules tbody tr.rule")
    found = []
    for k in range(rows.count()):
        found.append(
            (
                page.locator(f"#rule_{k}_item").input_value(),
                page.locator(f"#rule_{k}_for").input_value(),
                page.locator(f"#rule_{k}_factor").input_value(),
                page.locator(f"#rule_{k}_on").is_checked(),
            )
        )
    return found


def test_the_policy_page_round_trips_rules_and_memory(page: Page, live: Live) -> None:
    sign_in(page, "lansstyrelsen", PASSWORDS["lansstyrelsen"])
    page.goto("/lan/policy")
    # The defaults the runs use: higher protection serves lower (on), the step down off.
    before = _rules(page)
    assert ("FFP3", "FFP2", "1", True) in before and ("FFP2", "FFP3", "1", False) in before
    assert page.get_by_label("Minne av brister (omgångar, 0 = av)").input_value() == "0"

    step_down = next(k for k, r in enumerate(before) if r[:2] == ("FFP2", "FFP3"))
    apron = next(k for k, r in enumerate(before) if r[:2] == ("FORKL_LANG", "FORKL_KORT"))
    page.get_by_label(f"Regel {step_down + 1} på").check()
    page.get_by_label(f"Regel {step_down + 1}, faktor").fill("1,5")
    page.get_by_label(f"Ta bort regel {apron + 1}").check()
    new = len(before) + 1
    page.get_by_label(f"Regel {new}, levereras").fill("HANDSKE_L")
    page.get_by_label(f"Regel {new}, i stället för").fill("HANDSKE_M")
    page.get_by_label(f"Regel {new}, faktor").fill("1")
    page.get_by_label("Minne av brister (omgångar, 0 = av)").fill("3")
    page.get_by_role("button", name="Spara policy").click()
    expect(page.get_by_text("Policyn är sparad")).to_be_visible()

    page.reload()
    after = _rules(page)
    assert ("FFP2", "FFP3", "1,5", True) in after
    assert not [r for r in after if r[:2] == ("FORKL_LANG", "FORKL_KORT")]
    assert ("HANDSKE_L", "HANDSKE_M", "1", True) in after
    assert page.get_by_label("Minne av brister (omgångar, 0 = av)").input_value() == "3"
    with session_scope(live.engine) as session:
        stored = saved_policy(session).policy
    assert stored.memory_rounds == 3
    assert [(r.item, r.serves, r.factor, r.enabled) for r in stored.substitutes] == [
        (item, serves, float(factor.replace(",", ".")), on) for item, serves, factor, on in after
    ]

    # A wrong rule: the page names it and its column, keeps what was typed, stores nothing.
    page.get_by_label("Regel 1, faktor").fill("1,5x")
    page.get_by_label(f"Regel {len(after) + 1}, levereras").fill("FFP9")
    page.get_by_label(f"Regel {len(after) + 1}, i stället för").fill("FFP2")
    page.get_by_role("button", name="Spara policy").click()
    expect(page.get_by_text("Policyn sparades inte: rätta fälten.")).to_be_visible()
    expect(page.get_by_text("Regel 1, faktor: «1,5x» är inget tal")).to_be_visible()
    expect(
        page.get_by_text(f"Regel {len(after) + 1}, levereras: «FFP9» är ingen känd artikel.")
    ).to_be_visible()
    expect(page.get_by_label("Regel 1, faktor")).to_have_value("1,5x")
    shot(page, "web-policy-fel")
    with session_scope(live.engine) as session:
        assert saved_policy(session).policy == stored
