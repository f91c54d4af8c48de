"""Substitutes on the demo round (issue 12): turning on "FFP2 for FFP3" lifts the FFP3 lines.

The demo's FFP3 respirators are scarce while FFP2 lies idle. With the county's default rules
(higher protection serves lower; the step down off) the FFP3 lines get only FFP3; turned on, the
idle FFP2 serves them too: these homes rise, and no need line of any item falls.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from allocation import AllocationResult, solve
from allocation.model import SubstituteRule
from data.demo import seed_demo
from data.runs.policy import DEFAULT_POLICY
from data.runs.snapshot import take_snapshot
from data.settings import Settings

DAY = date(2026, 11, 24)
SETTINGS = Settings(database_url="sqlite://", cutoff=time(10, 0))
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
# The homes whose FFP3 line rises on the demo round (seed 2020) when FFP2 may serve FFP3. Every
# demo FFP3 line asks one pack (10 units) and an FFP2 pack holds 20: a line's last pack may carry
# it past its request (docs/contract.md, "Substitutes"), so the 1,700 idle FFP2 serve 85 of the
# 92 short lines; the last 7 lose the tie on equal claims (same weight) by the line key.
HOMES_RISING = 85


def _served(
    result: AllocationResult, factors: dict[tuple[str, str], float]
) -> dict[tuple[str, str], float]:
    """Per need line (care home, item): what serves it, in units of the needed item."""
    served: dict[tuple[str, str], float] = defaultdict(float)
    for row in result.lines:
        factor = 1.0 if row.delivered_item is None else factors[(row.delivered_item, row.item)]
        served[(row.care_home, row.item)] += row.quantity * factor
    return dict(served)


def test_ffp2_for_ffp3_lifts_the_ffp3_lines_and_no_line_falls(session: Session) -> None:
    seed_demo(session, round_date=DAY, settings=SETTINGS)
    before_policy = DEFAULT_POLICY
    rules = tuple(
        replace(r, enabled=True) if (r.item, r.serves) == ("FFP2", "FFP3") else r
        for r in before_policy.substitutes
    )
    assert SubstituteRule("FFP2", "FFP3", 1.0, True) in rules
    after_policy = replace(before_policy, substitutes=rules)
    factors = {(r.item, r.serves): r.factor for r in rules}

    before = solve(take_snapshot(session, round_date=DAY, policy=before_policy, now=NOW).problem)
    after = solve(take_snapshot(session, round_date=DAY, policy=after_policy, now=NOW).problem)
    was, now = _served(before, factors), _served(after, factors)
    assert set(was) == set(now)

    fell = {key: (was[key], now[key]) for key in was if now[key] < was[key] - 1e-9}
    assert fell == {}, f"lines that fell: {fell}"
    rose = sorted(
        home for (home, item) in was if item == "FFP3" and now[(home, item)] > was[(home, item)]
    )
    assert rose, "no FFP3 line rose although FFP2 lies idle"
    assert len(rose) == HOMES_RISING, rose
    # The lift is FFP2 delivered in place of FFP3, and FFP2's own lines keep what they had.
    stand_ins = [r for r in after.lines if r.item == "FFP3" and r.delivered_item == "FFP2"]
    assert stand_ins and {r.care_home for r in stand_ins if r.quantity > 0} == set(rose)
    summary = {s.item: s for s in after.items}
    assert summary["FFP2"].substituted == sum(r.quantity for r in stand_ins)
