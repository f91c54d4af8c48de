"""Delivery routes as reference data (``data/reference/routes.csv``) and the capacity they give.

Stockholms stad's logistics runs one vehicle per route every delivery day from the central store;
each route serves its municipalities' receiving points in the order listed, and every municipality
is on exactly one route. A route's ``capacity_l`` is its vehicle's usable load space in litres
(about 80 % of the van's or truck's cargo volume: packing loss), which becomes one capacity group of
the allocation (the route's municipalities share it).

``load_routes`` is an idempotent upsert: the same file twice changes nothing and writes no audit
row; a changed file updates the route and rewrites its stops. Nothing here commits.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from allocation import CapacityGroup
from data.access.tenancy import current_region
from data.audit import record_audit
from data.errors import Issue, ValidationFailed
from data.models import Municipality, Route, RouteStop

__all__ = [
    "MAX_CAPACITY_L",
    "ROUTES_CSV",
    "RouteRow",
    "capacity_groups",
    "list_routes",
    "load_routes",
    "read_routes",
    "route_of_municipality",
    "routes_query",
]

ROUTES_CSV = Path(__file__).resolve().parent.parent / "reference" / "routes.csv"
MAX_CAPACITY_L = 10_000_000
"""Litres one route's vehicle may hold (a large truck holds about 90,000); the database refuses
more too (migration 0013)."""


@dataclass(frozen=True)
class RouteRow:
    """One route of the reference file: vehicle, load space (litres) and ordered stops."""

    code: str
    name: str
    vehicle: str
    capacity_l: float
    stops: tuple[str, ...]


def read_routes(path: Path = ROUTES_CSV) -> list[RouteRow]:
    """The routes of ``path``; ``ValidationFailed`` names the line of any malformed row."""
    rows: list[RouteRow] = []
    errors: list[Issue] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, raw in enumerate(csv.DictReader(handle), start=2):
            try:
                capacity = float(raw["capacity_l"])
            except (TypeError, ValueError):
                errors.append(
                    {"field": "capacity_l", "line": number, "message": "must be a number"}
                )
                continue
            stops = tuple((raw.get("stops") or "").split())
            if not 0 < capacity <= MAX_CAPACITY_L or not stops:
                errors.append(
                    {
                        "field": "stops" if not stops else "capacity_l",
                        "line": number,
                        "message": "a route needs stops and a positive capacity of at most "
                        f"{MAX_CAPACITY_L} litres",
                    }
                )
                continue
            rows.append(
                RouteRow(raw["code"].strip(), raw["name"].strip(), raw["vehicle"], capacity, stops)
            )
    repeated = [m for m, n in Counter(m for r in rows for m in r.stops).items() if n > 1]
    errors.extend(
        {"field": "stops", "line": None, "message": f"municipality {m} is on more than one route"}
        for m in sorted(repeated)
    )
    if errors:
        raise ValidationFailed(errors)
    return rows


def _check_coverage(session: Session, rows: list[RouteRow], region: str) -> None:
    known = set(
        session.scalars(select(Municipality.code).where(Municipality.region_code == region))
    )
    on_routes = {m for r in rows for m in r.stops}
    errors: list[Issue] = [
        {"field": "stops", "line": None, "message": f"unknown municipality {m}"}
        for m in sorted(on_routes - known)
    ]
    errors.extend(
        {"field": "stops", "line": None, "message": f"municipality {m} is on no route"}
        for m in sorted(known - on_routes)
    )
    if errors:
        raise ValidationFailed(errors)


def load_routes(
    session: Session,
    *,
    actor: str = "system:reference",
    now: datetime | None = None,
    rows: list[RouteRow] | None = None,
) -> int:
    """Upsert the routes of the session's region (default: Stockholm's reference file); returns
    how many routes changed.

    Every municipality of the region must be on exactly one route. One audit row when anything
    changed.
    """
    rows = read_routes() if rows is None else rows
    # The session's region (the home region when it is not scoped): another region's routes and
    # municipalities are neither checked nor stopped by this file.
    region = current_region(session)
    _check_coverage(session, rows, region)
    existing = {
        r.code: r
        for r in session.scalars(
            select(Route).where(Route.region_code == region).options(selectinload(Route.stops))
        )
    }
    wanted = {row.code for row in rows}
    changed: list[str] = []
    for code, old in existing.items():
        if code not in wanted and (old.active or old.stops):
            old.active = False  # a route left out of the file stops running; kept for history
            changed.append(code)
    for row in rows:
        route = existing.get(row.code)
        if route is None:
            route = Route(code=row.code, stops=[])
            session.add(route)
            existing[row.code] = route
        current = (route.name, route.vehicle, route.capacity_l, route.active)
        stops = tuple(s.municipality_code for s in route.stops)
        if current == (row.name, row.vehicle, row.capacity_l, True) and stops == row.stops:
            continue
        route.name, route.vehicle, route.capacity_l, route.active = (
            row.name,
            row.vehicle,
            row.capacity_l,
            True,
        )
        changed.append(row.code)
    if not changed:
        return 0
    # Stops move between routes as a whole: drop the changed routes' stops, then add them anew.
    for code in changed:
        for stop in list(existing[code].stops):
            existing[code].stops.remove(stop)
            session.delete(stop)
    session.flush()
    by_code = {row.code: row for row in rows}
    for code in changed:
        if code in by_code:
            existing[code].stops.extend(
                RouteStop(route_code=code, seq=seq, municipality_code=m)
                for seq, m in enumerate(by_code[code].stops, start=1)
            )
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="routes.load",
        entity="route",
        entity_id=",".join(changed),
        details={"changed": changed},
        now=now,
    )
    return len(changed)


def routes_query(*, active_only: bool = False) -> Select[Route]:
    """Routes by code, their stops loaded in order (for a paged list)."""
    query = select(Route).options(selectinload(Route.stops)).order_by(Route.code)
    return query.where(Route.active.is_(True)) if active_only else query


def list_routes(session: Session, *, active_only: bool = True) -> list[Route]:
    """Routes by code, their stops loaded in order."""
    return list(session.scalars(routes_query(active_only=active_only)))


def capacity_groups(routes: list[Route]) -> tuple[CapacityGroup, ...]:
    """One allocation capacity group per route with stops: its municipalities share its space."""
    return tuple(
        CapacityGroup(
            key=route.code,
            municipalities=tuple(s.municipality_code for s in route.stops),
            volume_l=float(route.capacity_l),
        )
        for route in routes
        if route.stops
    )


def route_of_municipality(routes: list[Route]) -> dict[str, str]:
    """Municipality code → the code of the route that serves it."""
    return {s.municipality_code: r.code for r in routes for s in r.stops}
