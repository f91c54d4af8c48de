"""A round's inputs, frozen: need reports, stock, routes and policy mapped to the core's problem.

``take_snapshot`` reads, in the caller's (short) transaction, the last version of each care home's
need report for the round (a report made after the cut-off already belongs to the next round), the
stock available per item (the sum of its lots' balances, lots expired before the round left out;
stock reserved by approved runs has already left the balances), and the active routes (one capacity
group per route). It maps them to ``allocation.Problem``: situation confirmed → ``outbreak``,
suspected → ``suspected``, none → ``normal``; in ``cover`` mode a line without a daily use gets the
burn-rate estimate from the home's report history (``daily_use_estimated``). The snapshot also
holds a JSON record of all of it (``inputs``), stored with the run, from which the problem can be
rebuilt exactly (``problem_from_inputs``). With the policy's ``memory_rounds`` the problem carries
the need lines' earlier rounds (``data.runs.shortfall_memory``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from allocation import (
    CareHome,
    Item,
    Municipality,
    Need,
    Policy,
    Problem,
    StockLine,
    problem_from_dict,
    problem_to_dict,
)
from data.errors import DataError
from data.logistics.routes import capacity_groups, list_routes
from data.models import CareHome as CareHomeRecord
from data.models import Item as ItemRecord
from data.models import Municipality as MunicipalityRecord
from data.models import NeedLine, NeedReport, Route, Situation
from data.needs.burn_rate import BurnRate, estimate_daily_use
from data.runs.policy import policy_from_dict, policy_to_dict
from data.runs.shortfall_memory import shortfall_history
from data.stock.ledger import LotBalance, balances

__all__ = [
    "PRIORITY_OF_SITUATION",
    "NoReports",
    "Snapshot",
    "core_care_homes",
    "core_items",
    "policy_from_dict",
    "policy_to_dict",
    "problem_from_inputs",
    "take_snapshot",
]

PRIORITY_OF_SITUATION: Mapping[str, str] = {
    Situation.CONFIRMED.value: "outbreak",
    Situation.SUSPECTED.value: "suspected",
    Situation.NONE.value: "normal",
}


class NoReports(DataError):
    """The round has no need report with anything requested: there is nothing to allocate."""

    def __init__(self, round_date: date) -> None:
        self.round_date = round_date
        super().__init__(f"the round {round_date.isoformat()} has no need reports to allocate")


@dataclass(frozen=True)
class Snapshot:
    """What a run is computed from: the problem, its JSON record and the burn-rate estimates."""

    round_date: date
    problem: Problem
    inputs: dict[str, Any]
    estimates: dict[tuple[str, str], BurnRate] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    situations: dict[str, str] = field(default_factory=dict)


def _report_rows(session: Session, round_date: date) -> list[tuple[Any, ...]]:
    query = (
        select(
            NeedReport.id,
            NeedReport.care_home_id,
            NeedReport.version,
            NeedReport.situation,
            NeedReport.submitted_at,
            NeedReport.late,
        )
        .where(NeedReport.round_date == round_date, NeedReport.superseded.is_(False))
        .order_by(NeedReport.care_home_id)
    )
    return [tuple(row) for row in session.execute(query)]


def _need_rows(session: Session, round_date: date) -> list[tuple[str, str, int, int, int | None]]:
    query = (
        select(
            NeedReport.care_home_id,
            NeedLine.item_code,
            NeedLine.requested,
            NeedLine.on_hand,
            NeedLine.daily_use,
        )
        .join(NeedLine, NeedLine.report_id == NeedReport.id)
        .where(
            NeedReport.round_date == round_date,
            NeedReport.superseded.is_(False),
            NeedLine.requested > 0,
        )
        .order_by(NeedReport.care_home_id, NeedLine.item_code)
    )
    return [
        (h, i, int(r), int(s), None if u is None else int(u))
        for h, i, r, s, u in session.execute(query)
    ]


def core_items(items: Iterable[ItemRecord]) -> tuple[Item, ...]:
    """The core's view of catalogue items (Swedish names: they reach the explanations)."""
    return tuple(
        Item(i.code, i.name_sv, i.unit, i.pack_size, float(i.pack_volume_l)) for i in items
    )


def core_care_homes(
    homes: Mapping[str, CareHomeRecord], situation: Mapping[str, str], ids: Iterable[str]
) -> tuple[CareHome, ...]:
    """The core's view of the homes `ids`, each with the priority of its reported situation."""
    return tuple(
        CareHome(
            id=home_id,
            name=homes[home_id].name,
            municipality=homes[home_id].municipality_code,
            priority=PRIORITY_OF_SITUATION[situation[home_id]],
        )
        for home_id in sorted(ids)
    )


def take_snapshot(session: Session, *, round_date: date, policy: Policy, now: datetime) -> Snapshot:
    """The round's problem and its record; ``NoReports`` when nothing is requested.

    The steps: the round's reports and need lines, the stock usable on the round's day, the
    needs (daily use estimated where the policy needs one and a line has none), the problem with
    the homes' earlier rounds, and the record of what it was computed from (``_inputs``)."""
    reports = _report_rows(session, round_date)
    rows = _need_rows(session, round_date)
    if not rows:
        raise NoReports(round_date)
    situation = {home: sit for _, home, _, sit, _, _ in reports}
    reporting = {home for home, *_ in rows}
    homes = {
        h.id: h
        for h in session.scalars(
            select(CareHomeRecord).where(CareHomeRecord.id.in_(sorted(reporting)))
        )
    }
    items = list(session.scalars(select(ItemRecord).order_by(ItemRecord.code)))
    municipalities = list(
        session.scalars(select(MunicipalityRecord).order_by(MunicipalityRecord.code))
    )
    usable, stock = _usable_stock(session, round_date, items)
    routes = list_routes(session)
    needs, estimates = _needs(session, round_date, policy, rows)
    problem = Problem(
        round=round_date.isoformat(),
        items=core_items(items),
        municipalities=tuple(Municipality(m.code, m.name) for m in municipalities),
        care_homes=core_care_homes(homes, situation, reporting),
        stock=tuple(StockLine(code, quantity) for code, quantity in sorted(stock.items())),
        needs=needs,
        capacity=capacity_groups(routes),
        policy=policy,
        history=shortfall_history(
            session,
            round_date=round_date,
            lines=[(n.care_home, n.item) for n in needs],
            rounds=policy.memory_rounds,
            substitutes=policy.substitutes,
        ),
    )
    return Snapshot(
        round_date=round_date,
        problem=problem,
        inputs=_inputs(now, problem, reports, reporting, usable, routes, estimates),
        estimates=estimates,
        units={i.code: i.unit for i in items},
        situations={home: situation[home] for home in reporting},
    )


def _usable_stock(
    session: Session, round_date: date, items: list[ItemRecord]
) -> tuple[list[LotBalance], dict[str, int]]:
    """The lots not expired on the round's day, and their units per item (0 for none)."""
    usable = [b for b in balances(session) if b.expiry is None or b.expiry >= round_date]
    stock = {item.code: 0 for item in items}
    for lot in usable:
        stock[lot.item] += lot.on_hand
    return usable, stock


def _needs(
    session: Session,
    round_date: date,
    policy: Policy,
    rows: list[tuple[str, str, int, int, int | None]],
) -> tuple[tuple[Need, ...], dict[tuple[str, str], BurnRate]]:
    """The core's need lines; a line without a daily use gets an estimate when days of supply
    are shared (``cover``), and the estimates are returned for the record."""
    estimates: dict[tuple[str, str], BurnRate] = {}
    if policy.fairness == "cover":
        missing = [(h, i, s) for h, i, _, s, u in rows if u is None]
        estimates = estimate_daily_use(session, round_date=round_date, lines=missing)
    needs = []
    for home, item, requested, on_hand, daily_use in rows:
        estimate = estimates.get((home, item))
        needs.append(
            Need(
                care_home=home,
                item=item,
                requested=requested,
                on_hand=on_hand,
                daily_use=(
                    float(daily_use)
                    if daily_use is not None
                    else (round(estimate.daily_use, 3) if estimate is not None else None)
                ),
                daily_use_estimated=daily_use is None and estimate is not None,
            )
        )
    return tuple(needs), estimates


def _inputs(
    now: datetime,
    problem: Problem,
    reports: list[tuple[Any, ...]],
    reporting: set[str],
    usable: list[LotBalance],
    routes: list[Route],
    estimates: dict[tuple[str, str], BurnRate],
) -> dict[str, Any]:
    """What the run was computed from, as stored with it: the problem, the report versions,
    the lots, the routes and the daily-use estimates."""
    return {
        "taken_at": now.isoformat(),
        "problem": problem_to_dict(problem),
        "reports": [
            {
                "id": rid,
                "care_home": home,
                "version": version,
                "situation": sit,
                "submitted_at": submitted.isoformat(),
                "late": bool(late),
            }
            for rid, home, version, sit, submitted, late in reports
            if home in reporting
        ],
        "stock_lots": [
            {
                "item": b.item,
                "lot": b.lot,
                "expiry": b.expiry.isoformat() if b.expiry else None,
                "on_hand": b.on_hand,
            }
            for b in usable
            if b.on_hand > 0
        ],
        "routes": [
            {
                "code": r.code,
                "vehicle": r.vehicle,
                "capacity_l": r.capacity_l,
                "stops": [s.municipality_code for s in r.stops],
            }
            for r in routes
        ],
        "burn_rates": {
            f"{home}/{item}": {
                "since": e.since.isoformat(),
                "stock_before": e.stock_before,
                "received": e.received,
                "stock_now": e.stock_now,
                "days": e.days,
                "daily_use": round(e.daily_use, 3),
            }
            for (home, item), e in sorted(estimates.items())
        },
    }


def problem_from_inputs(inputs: Mapping[str, Any]) -> Problem:
    """The exact problem a run was computed from, rebuilt from its stored inputs."""
    return problem_from_dict(dict(inputs["problem"]))
