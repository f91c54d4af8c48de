"""Follow-up over time (issue 16): per round, item and municipality what was asked, allocated and
left short, from the approved runs only, and the homes short several rounds running."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import AllocationLine, AllocationRun, CareHome
from data.overview.follow_up import follow_up_rounds, follow_up_rows, short_streaks

FIRST = date(2026, 10, 1)


def _homes(session: Session, municipality: str, count: int) -> list[str]:
    query = (
        select(CareHome.id)
        .where(CareHome.municipality_code == municipality)
        .order_by(CareHome.id)
        .limit(count)
    )
    return list(session.scalars(query))


def _run(
    session: Session, day: date, status: str, lines: list[tuple[str, str, str, int, int]]
) -> None:
    """A run of ``day`` with lines (home, item, municipality, asked, allocated)."""
    run_id = f"T-{day.isoformat()}-{status}"
    at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    session.add(
        AllocationRun(
            id=run_id,
            round_date=day,
            attempt=1 if status == "approved" else 2,
            status=status,
            method="water",
            policy={},
            inputs={},
            items_summary=[],
            stats={},
            check_ok=True,
            check_messages=[],
            trigger="test",
            created_at=at,
            created_by="test",
            approved_at=at if status == "approved" else None,
            approved_by="test" if status == "approved" else None,
        )
    )
    session.flush()
    for home, item, place, asked, given in lines:
        session.add(
            AllocationLine(
                run_id=run_id,
                care_home_id=home,
                item_code=item,
                municipality_code=place,
                situation="none",
                requested=asked,
                requested_rounded=asked,
                on_hand=0,
                daily_use=None,
                daily_use_estimated=False,
                quantity=given,
                packs=given // 10,
                unmet=asked - given,
                level=given / asked,
                item_level=None,
                binding="supply" if given < asked else "met",
                capacity_group=None,
                explanation_sv="",
                explanation_en="",
                solver_quantity=given,
            )
        )
    session.flush()


def test_rounds_items_and_homes_short_rounds_running(session: Session) -> None:
    steady, recovered = _homes(session, "0180", 2)
    (haninge,) = _homes(session, "0136", 1)
    for n in range(3):
        day = FIRST + timedelta(days=n)
        _run(
            session,
            day,
            "approved",
            [
                (steady, "FFP3", "0180", 40, 20),  # short every round
                (recovered, "FFP3", "0180", 40, 40 if n == 2 else 10),  # met in the last
                (steady, "HANDSKE_M", "0180", 2000, 2000),
                (haninge, "FFP3", "0136", 20, 10),
            ],
        )
    # A draft that was never approved counts for nothing.
    _run(session, FIRST + timedelta(days=3), "draft", [(steady, "FFP3", "0180", 999, 0)])

    rounds = follow_up_rounds(session, rounds=30)
    assert rounds[-3:] == [FIRST, FIRST + timedelta(days=1), FIRST + timedelta(days=2)]
    assert follow_up_rounds(session, rounds=2)[0] == FIRST + timedelta(days=1)
    rows = follow_up_rows(session, rounds=rounds, municipality="0180")
    last = {r.item: r for r in rows if r.round_date == FIRST + timedelta(days=2)}
    # Gloves and respirators stay apart: no sum of units of different items.
    assert (last["FFP3"].asked, last["FFP3"].allocated, last["FFP3"].short) == (80, 60, 20)
    assert last["FFP3"].homes_short == 1 and last["FFP3"].delivered is None
    assert (last["HANDSKE_M"].asked, last["HANDSKE_M"].short) == (2000, 0)
    assert {r.municipality_code for r in rows} == {"0180"}

    streaks = short_streaks(session, rounds=rounds, item="FFP3")
    assert [(s.care_home_id, s.rounds, s.short_latest) for s in streaks] == [
        (steady, 3, 20),
        (haninge, 3, 10),
    ]
    assert recovered not in {s.care_home_id for s in streaks}
    assert short_streaks(session, rounds=rounds, item="FFP3", municipality="0136")[0].rounds == 3
