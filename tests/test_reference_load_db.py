"""``load_region`` and ``fordela reference load``: two counties side by side in one database, on
both engines; a reload changes nothing; a directory that clashes with another region or names a
place the county does not have is refused by file, line and column and writes nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from api.cli import main as fordela
from data.db import session_scope
from data.logistics.routes import load_routes
from data.models import AuditEntry, CareHome, Item, Municipality, Region, Route, RouteStop
from data.reference.load import (
    REFERENCE_DIR,
    ReferenceRefused,
    load_reference_data,
    load_region,
    read_items,
)
from tests.conftest import ENGINES, _create_database

FJALLSJO = Path(__file__).resolve().parent / "data" / "regions" / "fjallsjo"
TABLES = (Region, Municipality, CareHome, Item, Route, RouteStop, AuditEntry)


@pytest.fixture(scope="module", params=ENGINES)
def two_counties(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A database with Stockholm (AB) and Fjällsjö (FJ) loaded, committed."""
    engine, drop = _create_database(request.param, tmp_path_factory.mktemp("regions"))
    try:
        with session_scope(engine) as session:
            load_region(session, REFERENCE_DIR, actor="test")
        with session_scope(engine) as session:
            load_region(session, FJALLSJO, actor="test")
        yield engine
    finally:
        drop()


@pytest.fixture
def db(two_counties: Engine) -> Iterator[Session]:
    """A session in a transaction rolled back after the test."""
    with two_counties.connect() as connection:
        outer = connection.begin()
        try:
            yield _session(connection)
        finally:
            outer.rollback()


def _session(connection: Connection) -> Session:
    return Session(bind=connection, join_transaction_mode="create_savepoint")


@pytest.fixture
def county(tmp_path: Path) -> Path:
    target = tmp_path / "fjallsjo"
    shutil.copytree(FJALLSJO, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in TABLES
    }


def _by_region(session: Session, model: type[Municipality | CareHome | Route]) -> dict[str, int]:
    rows = session.execute(select(model.region_code, func.count()).group_by(model.region_code))
    return {region: count for region, count in rows}


def test_both_counties_load_side_by_side(db: Session) -> None:
    fj = db.get(Region, "FJ")
    assert fj is not None and fj.kind == "county" and fj.active
    assert (fj.name, fj.authority) == ("Fjällsjö län", "Länsstyrelsen i Fjällsjö län")
    assert fj.contact_phone == "0980-319 200"
    ab = db.get(Region, "AB")
    assert ab is not None and ab.authority == "Länsstyrelsen Stockholm"
    assert _by_region(db, Municipality) == {"AB": 26, "FJ": 3}
    assert _by_region(db, CareHome) == {"AB": 383, "FJ": 6}
    assert _by_region(db, Route) == {"AB": 6, "FJ": 2}
    items = {item.code: item.region_code for item in db.scalars(select(Item))}
    assert items == {**{row["code"]: None for row in read_items()}, "FJ_SKOSKYDD": "FJ"}
    route = db.get(Route, "FJ-R2")
    assert route is not None and route.capacity_l == 8600.5 and route.active
    stops = db.scalars(select(RouteStop.municipality_code).where(RouteStop.route_code == "FJ-R1"))
    assert list(stops) == ["9901", "9902"]
    home = db.get(CareHome, "FJ004")
    assert home is not None and home.municipality_code == "9902" and home.region_code == "FJ"


def test_a_reload_changes_nothing(db: Session) -> None:
    before = _counts(db)
    for directory in (FJALLSJO, REFERENCE_DIR):
        result = load_region(db, directory, actor="test")
        assert not result.changed, result
    assert not load_reference_data(db).changed
    assert load_routes(db, actor="test") == 0  # Stockholm's routes, beside Fjällsjö's
    assert _counts(db) == before


def test_a_changed_file_updates_only_what_changed(db: Session, county: Path) -> None:
    _edit(county / "care_homes.csv", ",36,", ",40,")
    _edit(county / "routes.csv", '"8 600,5"', "8700")
    _edit(county / "region.csv", "Inga Fjällström", "Ivar Fjällström")
    result = load_region(db, county, actor="test")
    assert result.updated == {
        "regions": 1,
        "municipalities": 0,
        "items": 0,
        "care_homes": 1,
        "routes": 1,
    }
    assert sum(result.inserted.values()) == 0
    home, route, region = db.get(CareHome, "FJ001"), db.get(Route, "FJ-R2"), db.get(Region, "FJ")
    assert home is not None and home.places == 40
    assert route is not None and route.capacity_l == 8700
    assert region is not None and region.contact_name == "Ivar Fjällström"
    entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.action == "reference_data.load"
    assert entry.entity_id == "FJ" and entry.region_code == "FJ"


def test_a_route_left_out_stops_running_in_its_own_region_only(db: Session, county: Path) -> None:
    _edit(county / "routes.csv", "9901 9902\n", "9901 9902 9903\n")
    text = (county / "routes.csv").read_text(encoding="utf-8").splitlines()
    (county / "routes.csv").write_text("\n".join(text[:2]) + "\n", encoding="utf-8")
    load_region(db, county, actor="test")
    active = {r.code: r.active for r in db.scalars(select(Route))}
    assert active["FJ-R2"] is False and active["FJ-R1"] is True
    assert all(active[f"R{n}"] for n in range(1, 7))


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        (
            "municipalities.csv",
            "9903,Norrmyra",
            "0180,Norrmyra",
            "municipalities.csv, rad 4, kolumn code: kommunkoden 0180 (Stockholm) används redan "
            "av region AB",
        ),
        (
            "municipalities.csv",
            "9903,Norrmyra",
            "9903,Solna",
            "municipalities.csv, rad 4, kolumn name: namnet Solna används redan av kommunen 0184 "
            "(region AB)",
        ),
        (
            "care_homes.csv",
            "FJ006,Myrbacka äldreboende,9903",
            "FJ006,Myrbacka äldreboende,0180",
            "care_homes.csv, rad 7, kolumn municipality_code: kommunen 0180 (Stockholm) hör till "
            "region AB, inte FJ",
        ),
        (
            "care_homes.csv",
            "FJ006,Myrbacka äldreboende,9903",
            "FJ006,Myrbacka äldreboende,9904",
            "care_homes.csv, rad 7, kolumn municipality_code: kommunen 9904 finns varken i "
            "municipalities.csv eller i databasen för FJ",
        ),
        (
            "care_homes.csv",
            "FJ006,",
            "H0001,",
            "care_homes.csv, rad 7, kolumn id: boendet H0001 finns redan i region AB",
        ),
        (
            "care_homes.csv",
            "SE2120009903-FJ001",
            "SE2120001140-R4U0N",
            "care_homes.csv, rad 2, kolumn hsa_id: HSA-id SE2120001140-R4U0N används redan av "
            "boendet H0002",
        ),
        (
            "routes.csv",
            "9901 9902\n",
            "9901 9902 0136\n",
            "routes.csv, rad 2, kolumn stops: kommunen 0136 (Haninge) hör till region AB, inte FJ",
        ),
        (
            "routes.csv",
            "9901 9902\n",
            "9901\n",
            "routes.csv, kolumn stops: kommunen 9902 (Älvby) ligger inte på någon rutt",
        ),
        (
            "routes.csv",
            "FJ-R2,",
            "R5,",
            "routes.csv, rad 3, kolumn code: ruttkoden R5 används redan av region AB",
        ),
        (
            "items.csv",
            "FJ_SKOSKYDD,",
            "FFP3,",
            "items.csv, rad 2, kolumn code: artikelkoden FFP3 finns redan i den nationella "
            "katalogen",
        ),
        (
            "region.csv",
            ",Fjällsjö län,",
            ",Stockholms län,",
            "region.csv, rad 2, kolumn name: namnet används redan av region AB",
        ),
        (
            "care_homes.csv",
            ",36,",
            ',"36,5",',
            "care_homes.csv, rad 2, kolumn places: '36,5' är ett decimaltal",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and value.endswith(".csv") else None,
)
def test_a_clash_is_refused_and_nothing_is_written(
    db: Session, county: Path, name: str, old: str, new: str, expected: str
) -> None:
    _edit(county / name, old, new)
    _edit(county / "care_homes.csv", ",42,", ",43,")  # a change that must not be written
    before = _counts(db)
    with pytest.raises(ReferenceRefused) as caught:
        load_region(db, county, actor="test")
    assert expected in str(caught.value)
    assert _counts(db) == before
    home = db.get(CareHome, "FJ002")
    assert home is not None and home.places == 42


def test_a_new_county_is_refused_whole(db: Session, county: Path) -> None:
    """A county not yet in the database: one bad stop, and not even its region is written."""
    for name in ("region.csv", "municipalities.csv", "care_homes.csv", "routes.csv", "items.csv"):
        path = county / name
        text = path.read_text(encoding="utf-8")
        for old, new in (
            ("FJ", "XY"),
            ("Fjällsjö län", "Xylands län"),
            ("99", "98"),
            ("Fjällsjö,", "Xby,"),
            ("Älvby,", "Yby,"),
            ("Norrmyra,", "Zby,"),
        ):
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    (county / "care_homes.csv").write_text(
        "\n".join(
            line.split(",SE")[0] + ",,true" if ",SE" in line else line
            for line in (county / "care_homes.csv").read_text(encoding="utf-8").splitlines()
        )
        + "\n",
        encoding="utf-8",
    )
    _edit(county / "routes.csv", "9801 9802\n", "9801 9802 0180\n")
    before = _counts(db)
    with pytest.raises(ReferenceRefused) as caught:
        load_region(db, county, actor="test")
    assert "kommunen 0180 (Stockholm) hör till region AB, inte XY" in str(caught.value)
    assert _counts(db) == before and db.get(Region, "XY") is None
    _edit(county / "routes.csv", "9801 9802 0180\n", "9801 9802\n")
    assert load_region(db, county, actor="test").inserted["care_homes"] == 6


def _cli(two_counties: Engine, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setenv(
        "FORDELA_DATABASE_URL", two_counties.url.render_as_string(hide_password=False)
    )
    result = CliRunner().invoke(fordela, ["reference", "load", *args])
    return result.exit_code, result.output


def test_the_command_loads_and_refuses(
    two_counties: Engine, county: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = _cli(two_counties, monkeypatch, str(FJALLSJO))
    assert code == 0 and "Region FJ: nothing changed" in output, output
    _edit(county / "care_homes.csv", "FJ006,Myrbacka äldreboende,9903", "FJ006,Myrbacka,0136")
    _edit(county / "care_homes.csv", ",36,", ",37,")
    code, output = _cli(two_counties, monkeypatch, str(county))
    assert code == 2, output
    assert f"Referensdata i {county} avvisades, inget sparades:" in output
    assert "care_homes.csv, rad 7, kolumn municipality_code: kommunen 0136 (Haninge)" in output
    with session_scope(two_counties) as session:
        home = session.get(CareHome, "FJ001")
        assert home is not None and home.places == 36
    code, output = _cli(two_counties, monkeypatch, str(county / "nowhere"))
    assert code == 2 and "katalogen finns inte" in output
