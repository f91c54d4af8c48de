"""A demo round: reference data, a user per role, a stock position and a day of need reports.

For local use only. The demo users and their passwords (printed by ``fordela up``):

    admin             demo-admin-2020      admin
    lansstyrelsen     demo-lan-2020        county coordinator (Länsstyrelsen)
    logistik          demo-logistik-2020   logistics (Stockholms stad)
    kommun-stockholm  demo-kommun-2020     municipal coordinator, 0180 Stockholm
    kommun-haninge    demo-kommun-2020     municipal coordinator, 0136 Haninge
    boende-stockholm  demo-boende-2020     care-home manager, the first Stockholm home
    boende-haninge    demo-boende-2020     care-home manager, the first Haninge home

Each has the e-mail address ``<username>@demo.fordela.example`` (a reserved domain), so the
notifications can be watched on a local SMTP server (README).

The day's needs: about 85 % of active homes report (about 25 % of those with confirmed cases, 20 %
suspected), a few revise once; quantities follow each home's places and REFERENCE.md §2's
consumption estimates (per resident-day: aprons 8–12, glove pairs 10–20, IIR masks 4–8, visors 1–3,
hand rub 0.1 l for covid care; a basal-hygiene rate for everyone), a few days' worth less what the
home holds, rounded up to packs. Stock is set against the total requested: some items short
(FFP3, long-sleeved aprons, gowns, visors, nitrile gloves M, IIR masks), others plentiful.
Everything follows from ``seed`` and ``round_date``: the same pair gives the same records (only
the password hashes differ, being salted).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from data.access.tenancy import NATIONAL_REGION, in_region
from data.access.users import create_user, get_user_by_username
from data.errors import Conflict
from data.logistics.routes import load_routes
from data.models import CareHome, Item, NeedReport, Role, Situation
from data.needs.reports import submit_need_report
from data.reference.catalogue import items_by_code
from data.reference.load import load_reference_data
from data.rounds.calendar import cutoff_at
from data.settings import Settings
from data.stock.ledger import record_receipt

__all__ = ["DEMO_ACTOR", "DEMO_USERS", "DemoSeed", "DemoUser", "seed_demo"]

DEMO_ACTOR = "system:demo"
DEMO_MAIL_DOMAIN = "demo.fordela.example"


@dataclass(frozen=True)
class DemoUser:
    """A demo sign-in; ``scope`` is a municipality code or ``first-home:<code>``."""

    username: str
    password: str
    role: Role
    full_name: str
    scope: str | None = None


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "demo-admin-2020", Role.ADMIN, "Alva Admin"),
    DemoUser("lansstyrelsen", "demo-lan-2020", Role.COUNTY_COORDINATOR, "Lars Länsson"),
    DemoUser("logistik", "demo-logistik-2020", Role.LOGISTICS, "Lo Gistiksson"),
    DemoUser(
        "kommun-stockholm", "demo-kommun-2020", Role.MUNICIPAL_COORDINATOR, "Sara Stad", "0180"
    ),
    DemoUser(
        "kommun-haninge", "demo-kommun-2020", Role.MUNICIPAL_COORDINATOR, "Hans Haninge", "0136"
    ),
    DemoUser(
        "boende-stockholm",
        "demo-boende-2020",
        Role.CARE_HOME_MANAGER,
        "Bodil Boende",
        "first-home:0180",
    ),
    DemoUser(
        "boende-haninge",
        "demo-boende-2020",
        Role.CARE_HOME_MANAGER,
        "Harald Hem",
        "first-home:0136",
    ),
    # The national agency (issue 13): a user of its own region, SE.
    DemoUser("socialstyrelsen", "demo-sos-2020", Role.NATIONAL_AGENCY, "Siri Socialstyrelsen"),
)

REPORTING_SHARE = 0.85
CONFIRMED_SHARE = 0.25
SUSPECTED_SHARE = 0.20
REVISING_SHARE = 0.05
OCCUPANCY = 0.95

# Units per resident-day: everyone (basal hygiene) and each resident in covid care (REFERENCE §2).
BASE_RATE = {
    "FORKL_KORT": 4.0,
    "GLOVES": 10.0,
    "IIR": 1.0,
    "VISIR": 0.1,
    "HANDDESINF": 0.03,
    "YTDESINF": 0.02,
}
COVID_RATE = {
    "FORKL_LANG": 10.0,
    "ROCK": 2.0,
    "GLOVES": 30.0,
    "IIR": 6.0,
    "VISIR": 2.0,
    "GLASOGON": 0.05,
    "FFP2": 0.3,
    "FFP3": 0.1,
    "HANDDESINF": 0.1,
    "YTDESINF": 0.05,
}
GLOVE_SIZES = {"HANDSKE_S": 0.15, "HANDSKE_M": 0.40, "HANDSKE_L": 0.35, "HANDSKE_XL": 0.10}
# Stock as a share of the round's total request: below 1 is short.
STOCK_FACTOR = {
    "FFP3": 0.35,
    "FORKL_LANG": 0.45,
    "ROCK": 0.55,
    "VISIR": 0.6,
    "HANDSKE_M": 0.7,
    "IIR": 0.8,
    "FFP2": 1.6,
    "HANDSKE_S": 1.5,
    "HANDSKE_L": 1.3,
    "HANDSKE_XL": 2.0,
    "FORKL_KORT": 3.0,
    "GLASOGON": 5.0,
    "HANDDESINF": 4.0,
    "YTDESINF": 3.0,
}
SUPPLIERS = ("Region Stockholm", "Socialstyrelsen", "Länsstyrelsens beredskapslager")


@dataclass
class DemoSeed:
    """What ``seed_demo`` recorded."""

    round_date: date
    homes_reporting: int
    reports: int
    receipts: int
    users: list[DemoUser] = field(default_factory=list)


def _daily_use(home: CareHome, share: float, rng: random.Random) -> dict[str, float]:
    """Units a day per item for a home with ``share`` of its residents in covid care."""
    residents = home.places * OCCUPANCY
    use: dict[str, float] = defaultdict(float)
    for key in sorted(set(BASE_RATE) | set(COVID_RATE)):
        rate = BASE_RATE.get(key, 0.0) + share * COVID_RATE.get(key, 0.0)
        value = residents * rate * rng.uniform(0.8, 1.2)
        if key == "GLOVES":
            for size, part in GLOVE_SIZES.items():
                use[size] += value * part
        else:
            use[key] += value
    return use


def _lines(
    home: CareHome, situation: Situation, items: dict[str, Item], rng: random.Random
) -> list[dict[str, Any]]:
    """One home's need lines: a few days' use less what it holds, up to whole packs."""
    share = {
        Situation.CONFIRMED: rng.uniform(0.1, 0.4),
        Situation.SUSPECTED: rng.uniform(0.03, 0.1),
        Situation.NONE: 0.0,
    }[situation]
    days = rng.uniform(4, 7) if situation is Situation.CONFIRMED else rng.uniform(2, 4)
    lines: list[dict[str, Any]] = []
    for code, per_day in sorted(_daily_use(home, share, rng).items()):
        item = items[code]
        on_hand = round(per_day * rng.uniform(0, 3))
        packs = math.ceil(max(0.0, per_day * days - on_hand) / item.pack_size)
        if packs == 0 or per_day < 0.05:
            continue
        line: dict[str, Any] = {
            "item": code,
            "requested": packs * item.pack_size,
            "on_hand": on_hand,
        }
        if rng.random() < 0.7:
            line["daily_use"] = max(1, round(per_day))
        lines.append(line)
    return lines


def _situation(rng: random.Random) -> Situation:
    draw = rng.random()
    if draw < CONFIRMED_SHARE:
        return Situation.CONFIRMED
    if draw < CONFIRMED_SHARE + SUSPECTED_SHARE:
        return Situation.SUSPECTED
    return Situation.NONE


def _ensure_users(session: Session, homes: list[CareHome], now: datetime) -> list[DemoUser]:
    first_home: dict[str, str] = {}
    for home in homes:
        first_home.setdefault(home.municipality_code, home.id)
    for user in DEMO_USERS:
        if get_user_by_username(session, username=user.username) is not None:
            continue
        municipality = care_home = None
        if user.scope and user.scope.startswith("first-home:"):
            care_home = first_home[user.scope.split(":", 1)[1]]
        elif user.scope:
            municipality = user.scope
        # The agency's user belongs to the agency's region (SE), the others to the county's.
        agency = user.role == Role.NATIONAL_AGENCY
        with in_region(session, NATIONAL_REGION) if agency else nullcontext(session):
            created = create_user(
                session,
                username=user.username,
                full_name=user.full_name,
                password=user.password,
                role=user.role.value,
                municipality_code=municipality,
                care_home_id=care_home,
                actor=DEMO_ACTOR,
                now=now,
            )
        # An address on a reserved domain, so the e-mails can be watched on a local SMTP server.
        created.email = f"{user.username}@{DEMO_MAIL_DOMAIN}"
    return list(DEMO_USERS)


def _receive_stock(
    session: Session,
    *,
    requested: dict[str, int],
    items: dict[str, Item],
    round_date: date,
    at: datetime,
    rng: random.Random,
) -> int:
    """Receipts in one to three lots per item, sized against the round's total request."""
    receipts = 0
    for code in sorted(items):
        item = items[code]
        packs = math.floor(requested.get(code, 0) * STOCK_FACTOR.get(code, 1.0) / item.pack_size)
        lots = rng.randint(1, 3)
        for number in range(lots):
            share = packs // lots + (1 if number < packs % lots else 0)
            if share == 0:
                continue
            expiry = round_date + timedelta(days=rng.choice((30, 120, 365, 540, 900)))
            record_receipt(
                session,
                item=code,
                lot=f"{code}-{round_date:%y%m%d}-{number + 1}",
                quantity=share * item.pack_size,
                expiry=expiry,
                supplier=rng.choice(SUPPLIERS),
                actor=DEMO_ACTOR,
                reference=f"demo-{round_date.isoformat()}",
                now=at + timedelta(minutes=receipts),
            )
            receipts += 1
    return receipts


def seed_demo(
    session: Session,
    *,
    round_date: date,
    seed: int = 2020,
    settings: Settings | None = None,
) -> DemoSeed:
    """Fill the database with a demo round delivered on ``round_date`` (flushed, not committed).

    Loads the reference data, adds the demo users that are missing, receives stock if the ledger
    is empty and files the day's need reports before the round's cut-off. Raises ``Conflict`` when
    the round already has reports.
    """
    settings = settings or Settings()
    if session.scalar(select(exists().where(NeedReport.round_date == round_date))):
        raise Conflict(f"the round {round_date.isoformat()} already has need reports")
    rng = random.Random(f"{seed}:{round_date.isoformat()}")
    closes = cutoff_at(round_date, settings=settings)
    opens = closes - timedelta(hours=20)
    load_reference_data(session, actor=DEMO_ACTOR, now=opens)
    load_routes(session, actor=DEMO_ACTOR, now=opens)
    homes = list(
        session.scalars(select(CareHome).where(CareHome.active.is_(True)).order_by(CareHome.id))
    )
    items = items_by_code(session)
    users = _ensure_users(session, homes, opens)

    plans: list[tuple[CareHome, Situation, list[list[dict[str, Any]]], list[datetime]]] = []
    for home in homes:
        if rng.random() >= REPORTING_SHARE:
            continue
        situation = _situation(rng)
        versions = [_lines(home, situation, items, rng)]
        if rng.random() < REVISING_SHARE:
            versions.append(_lines(home, situation, items, rng))
        times = sorted(opens + timedelta(minutes=rng.randint(0, 20 * 60 - 15)) for _ in versions)
        plans.append((home, situation, [v for v in versions if v], times))

    requested: dict[str, int] = defaultdict(int)
    for plan in plans:
        versions = plan[2]
        for line in versions[-1] if versions else []:
            requested[line["item"]] += line["requested"]
    receipts = _receive_stock(
        session,
        requested=requested,
        items=items,
        round_date=round_date,
        at=opens - timedelta(hours=1),
        rng=rng,
    )

    reports = 0
    reporting = 0
    for home, situation, versions, times in plans:
        if not versions:
            continue
        reporting += 1
        for lines, moment in zip(versions, times, strict=False):
            submit_need_report(
                session,
                care_home_id=home.id,
                lines=lines,
                situation=situation.value,
                submitted_by=DEMO_ACTOR,
                now=moment,
                settings=settings,
                round_date=round_date,
            )
            reports += 1
    return DemoSeed(
        round_date=round_date,
        homes_reporting=reporting,
        reports=reports,
        receipts=receipts,
        users=users,
    )
