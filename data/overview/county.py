"""Aggregates for the web overviews, scope-aware: the county sees all, a municipality its own.

- ``item_positions``: per item, units requested in the round (the reports that count) against units
  in stock (lots not expired on the delivery day), for the whole county or one municipality.
- ``supply_buckets``: per municipality, how many of the round's reporting homes hold 0, 1–3, 4–14
  or 15+ days of supply of the item that runs out first (on hand / daily use, whole days: "0" is
  under one day). A home none of whose lines has a daily use is counted as ``unknown``.
- ``municipality_fill``: per municipality, the share of the rounded request a run allocates.
- ``municipality_item_fill``: the same per municipality and item, so a short item is not hidden
  behind the units of a plentiful one (gloves outnumber visors a hundred to one).
- ``home_report_status``: every active home of a municipality with its report for the round.
- ``round_run``: the run to show for a round (approved, else the current draft).

Reads only; nothing here flushes or commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from data.models import (
    AllocationLine,
    AllocationRun,
    CareHome,
    Job,
    Manifest,
    Municipality,
    NeedLine,
    NeedReport,
)
from data.reference.catalogue import list_items
from data.runs.records import list_round_runs, reserved_by_run
from data.stock.ledger import item_balances

__all__ = [
    "BUCKETS",
    "HomeStatus",
    "ItemNeed",
    "MunicipalityFill",
    "MunicipalityItemFill",
    "RunLineView",
    "SupplyBuckets",
    "bucket_of",
    "home_report_status",
    "homes_short_by_item",
    "item_positions",
    "latest_job",
    "manifest_days",
    "municipality_fill",
    "municipality_item_fill",
    "municipality_names",
    "round_run",
    "run_lines",
    "supply_buckets",
]

BUCKETS: tuple[str, ...] = ("0", "1–3", "4–14", "15+")


@dataclass(frozen=True)
class ItemNeed:
    """One item: requested in the round against in stock."""

    code: str
    name: str
    unit: str
    requested: int
    in_stock: int

    @property
    def shortfall(self) -> int:
        """Units requested beyond the stock (0 when covered)."""
        return max(0, self.requested - self.in_stock)

    @property
    def cover(self) -> float | None:
        """Stock as a share of the request (None when nothing is requested)."""
        return self.in_stock / self.requested if self.requested else None


@dataclass
class SupplyBuckets:
    """One municipality's reporting homes counted by days of supply of their scarcest item."""

    code: str
    name: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    unknown: int = 0

    @property
    def total(self) -> int:
        """Homes counted (with or without a known figure)."""
        return sum(self.counts.values()) + self.unknown


@dataclass(frozen=True)
class MunicipalityFill:
    """One municipality's share of its (rounded) request allocated by a run."""

    code: str
    name: str
    requested: int
    allocated: int
    homes_short: int

    @property
    def fill(self) -> float | None:
        """Allocated over requested (None when nothing was requested)."""
        return self.allocated / self.requested if self.requested else None


@dataclass(frozen=True)
class HomeStatus:
    """A care home and its report (the version that counts) for a round, if any."""

    id: str
    name: str
    places: int
    version: int | None
    situation: str | None
    submitted_at: datetime | None
    late: bool
    lines: int


def bucket_of(days: float) -> str:
    """The bucket of a days-of-supply figure: 0 (under a day), 1–3, 4–14, 15+."""
    if days < 1:
        return BUCKETS[0]
    if days < 4:
        return BUCKETS[1]
    if days < 15:
        return BUCKETS[2]
    return BUCKETS[3]


def _current(round_date: date, municipality_code: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        NeedReport.round_date == round_date,
        NeedReport.superseded.is_(False),
    ]
    if municipality_code is not None:
        conditions.append(CareHome.municipality_code == municipality_code)
    return conditions


def item_positions(
    session: Session,
    *,
    round_date: date,
    municipality_code: str | None = None,
    approved_run_id: str | None = None,
) -> list[ItemNeed]:
    """Every catalogue item: requested in the round (in scope) against the region's stock.

    With ``approved_run_id`` the stock is counted before that run's reservation, so an approved
    round still shows what it was shared out of.
    """
    query = (
        select(NeedLine.item_code, func.sum(NeedLine.requested))
        .join(NeedReport, NeedReport.id == NeedLine.report_id)
        .join(CareHome, CareHome.id == NeedReport.care_home_id)
        .where(*_current(round_date, municipality_code))
        .group_by(NeedLine.item_code)
    )
    requested = {code: int(total) for code, total in session.execute(query)}
    stock = item_balances(session, as_of=round_date)
    if approved_run_id is not None:
        for entry in reserved_by_run(session, run_id=approved_run_id):
            stock[entry.item_code] = stock.get(entry.item_code, 0) - entry.quantity
    return [
        ItemNeed(
            code=item.code,
            name=item.name_sv,
            unit=item.unit,
            requested=requested.get(item.code, 0),
            in_stock=stock.get(item.code, 0),
        )
        for item in list_items(session)
    ]


def _municipalities(session: Session, municipality_code: str | None) -> list[Municipality]:
    query = select(Municipality).order_by(Municipality.name)
    if municipality_code is not None:
        query = query.where(Municipality.code == municipality_code)
    return list(session.scalars(query))


def supply_buckets(
    session: Session, *, round_date: date, municipality_code: str | None = None
) -> list[SupplyBuckets]:
    """Per municipality (in scope), the round's reporting homes by days of supply (module doc)."""
    query = (
        select(CareHome.municipality_code, CareHome.id, NeedLine.on_hand, NeedLine.daily_use)
        .join(NeedReport, NeedReport.id == NeedLine.report_id)
        .join(CareHome, CareHome.id == NeedReport.care_home_id)
        .where(*_current(round_date, municipality_code))
    )
    places = _municipalities(session, municipality_code)
    rows = {m.code: SupplyBuckets(m.code, m.name) for m in places}
    # A home is as well supplied as the item it runs out of first; None: no line has a daily use.
    first_out: dict[tuple[str, str], float | None] = {}
    for code, home, on_hand, daily_use in session.execute(query):
        days = on_hand / daily_use if daily_use else None
        known = first_out.get((code, home))
        if days is None:
            first_out[(code, home)] = known
        else:
            first_out[(code, home)] = days if known is None else min(known, days)
    for (code, _home), days in first_out.items():
        if days is None:
            rows[code].unknown += 1
        else:
            rows[code].counts[bucket_of(days)] += 1
    return list(rows.values())


def round_run(session: Session, *, round_date: date) -> AllocationRun | None:
    """The round's approved run, else its current draft, else None."""
    runs = list_round_runs(session, round_date=round_date)
    for status in ("approved", "draft"):
        found = [run for run in runs if run.status == status]
        if found:
            return found[-1]
    return None


def municipality_fill(
    session: Session, *, run_id: str, municipality_code: str | None = None
) -> list[MunicipalityFill]:
    """Per municipality (in scope): units requested (rounded to packs) and allocated by the run."""
    query = (
        select(
            AllocationLine.municipality_code,
            func.sum(AllocationLine.requested_rounded),
            func.sum(AllocationLine.quantity),
            func.count(func.distinct(AllocationLine.care_home_id)).filter(AllocationLine.unmet > 0),
        )
        .where(AllocationLine.run_id == run_id)
        .group_by(AllocationLine.municipality_code)
    )
    if municipality_code is not None:
        query = query.where(AllocationLine.municipality_code == municipality_code)
    totals = {code: (int(r), int(a), int(s)) for code, r, a, s in session.execute(query)}
    return [
        MunicipalityFill(m.code, m.name, *totals.get(m.code, (0, 0, 0)))
        for m in _municipalities(session, municipality_code)
    ]


@dataclass(frozen=True)
class MunicipalityItemFill:
    """One municipality's (rounded) request and allocation per item in a run."""

    code: str
    name: str
    items: dict[str, tuple[int, int]]
    homes_short: int

    def fill(self, item: str) -> float | None:
        """Allocated over requested for ``item`` (None when it was not requested)."""
        requested, allocated = self.items.get(item, (0, 0))
        return allocated / requested if requested else None

    @property
    def lowest(self) -> tuple[str, float] | None:
        """The item with the lowest share met and that share (None without requests)."""
        shares = [
            (fill, code) for code in sorted(self.items) if (fill := self.fill(code)) is not None
        ]
        if not shares:
            return None
        fill, code = min(shares)
        return code, fill


def municipality_item_fill(
    session: Session, *, run_id: str, municipality_code: str | None = None
) -> list[MunicipalityItemFill]:
    """Per municipality (in scope) and item: units requested (rounded) and allocated by the run."""
    conditions: list[ColumnElement[bool]] = [AllocationLine.run_id == run_id]
    if municipality_code is not None:
        conditions.append(AllocationLine.municipality_code == municipality_code)
    per_item = session.execute(
        select(
            AllocationLine.municipality_code,
            AllocationLine.item_code,
            func.sum(AllocationLine.requested_rounded),
            func.sum(AllocationLine.quantity),
        )
        .where(*conditions)
        .group_by(AllocationLine.municipality_code, AllocationLine.item_code)
    )
    items: dict[str, dict[str, tuple[int, int]]] = {}
    for code, item, requested, allocated in per_item:
        items.setdefault(code, {})[item] = (int(requested), int(allocated))
    short_query = (
        select(
            AllocationLine.municipality_code,
            func.count(func.distinct(AllocationLine.care_home_id)),
        )
        .where(*conditions, AllocationLine.unmet > 0)
        .group_by(AllocationLine.municipality_code)
    )
    short = {code: int(count) for code, count in session.execute(short_query)}
    return [
        MunicipalityItemFill(m.code, m.name, items.get(m.code, {}), short.get(m.code, 0))
        for m in _municipalities(session, municipality_code)
    ]


def home_report_status(
    session: Session, *, round_date: date, municipality_code: str
) -> list[HomeStatus]:
    """The municipality's active homes by name, each with its counting report for the round."""
    homes = session.scalars(
        select(CareHome)
        .where(CareHome.municipality_code == municipality_code, CareHome.active.is_(True))
        .order_by(CareHome.name, CareHome.id)
    ).all()
    reports = {
        report.care_home_id: (report, lines)
        for report, lines in session.execute(
            select(NeedReport, func.count(NeedLine.id))
            .join(NeedLine, NeedLine.report_id == NeedReport.id)
            .join(CareHome, CareHome.id == NeedReport.care_home_id)
            .where(*_current(round_date, municipality_code))
            .group_by(NeedReport.id)
        )
    }
    rows: list[HomeStatus] = []
    for home in homes:
        found = reports.get(home.id)
        report = found[0] if found else None
        rows.append(
            HomeStatus(
                id=home.id,
                name=home.name,
                places=home.places,
                version=report.version if report else None,
                situation=report.situation if report else None,
                submitted_at=report.submitted_at if report else None,
                late=bool(report and report.late),
                lines=int(found[1]) if found else 0,
            )
        )
    return rows


def homes_short_by_item(session: Session, *, run_id: str) -> dict[str, int]:
    """Per item, how many homes a run leaves short."""
    query = (
        select(AllocationLine.item_code, func.count())
        .where(AllocationLine.run_id == run_id, AllocationLine.unmet > 0)
        .group_by(AllocationLine.item_code)
    )
    return {code: int(count) for code, count in session.execute(query)}


def municipality_names(session: Session) -> dict[str, str]:
    """Municipality code → name."""
    query = select(Municipality.code, Municipality.name)
    return {code: name for code, name in session.execute(query)}


@dataclass(frozen=True)
class RunLineView:
    """A run line with its care home's and municipality's names, for the run preview."""

    line: AllocationLine
    home_name: str
    municipality_name: str


def run_lines(
    session: Session,
    *,
    run_id: str,
    item_code: str | None = None,
    municipality_code: str | None = None,
    short_only: bool = True,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[RunLineView], int]:
    """A run's lines (the short ones by default), filtered, short lines first and the lowest
    level first among them; at most ``limit`` from ``offset``, and the total."""
    conditions: list[ColumnElement[bool]] = [AllocationLine.run_id == run_id]
    if short_only:
        conditions.append(AllocationLine.unmet > 0)
    if item_code:
        conditions.append(AllocationLine.item_code == item_code)
    if municipality_code:
        conditions.append(AllocationLine.municipality_code == municipality_code)
    total = session.scalar(select(func.count()).select_from(AllocationLine).where(*conditions))
    query = (
        select(AllocationLine, CareHome.name, Municipality.name)
        .join(CareHome, CareHome.id == AllocationLine.care_home_id)
        .join(Municipality, Municipality.code == AllocationLine.municipality_code)
        .where(*conditions)
        .order_by(
            (AllocationLine.unmet > 0).desc(),
            AllocationLine.item_code,
            AllocationLine.level,
            AllocationLine.care_home_id,
        )
        .offset(offset)
        .limit(limit)
    )
    rows = [RunLineView(line, home, place) for line, home, place in session.execute(query)]
    return rows, int(total or 0)


def manifest_days(session: Session) -> list[date]:
    """The delivery days that have manifests, latest first."""
    query = select(Manifest.round_date).distinct().order_by(Manifest.round_date.desc())
    return list(session.scalars(query))


def latest_job(session: Session, *, kinds: tuple[str, ...]) -> Job | None:
    """The most recent job of one of ``kinds`` (for the run page's progress box)."""
    query = select(Job).where(Job.kind.in_(kinds)).order_by(Job.id.desc()).limit(1)
    return session.scalar(query)
