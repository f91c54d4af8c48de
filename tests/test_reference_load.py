"""``read_region_dir``: a county's reference directory is read and checked before anything is
written, and every bad input is refused with a Swedish message naming file, line and column.

The database half (loading both counties side by side, reloads, clashes with another region, the
CLI) is in ``tests/test_reference_load_db.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from data.reference.load import (
    FILES,
    REFERENCE_DIR,
    ReferenceRefused,
    read_items,
    read_region_dir,
)

FJALLSJO = Path(__file__).resolve().parent / "data" / "regions" / "fjallsjo"


@pytest.fixture
def county(tmp_path: Path) -> Path:
    """A copy of Fjällsjö's directory to spoil."""
    target = tmp_path / "fjallsjo"
    shutil.copytree(FJALLSJO, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _refused(directory: Path) -> str:
    with pytest.raises(ReferenceRefused) as caught:
        read_region_dir(directory)
    return str(caught.value)


def test_stockholm_is_a_county_directory() -> None:
    files = read_region_dir(REFERENCE_DIR)
    assert files.region["code"] == "AB"
    assert files.region["authority"] == "Länsstyrelsen Stockholm"
    assert len(files.municipalities) == 26 and len(files.care_homes) == 383
    assert len(files.routes) == 6
    # data/reference/items.csv is the national catalogue, not Stockholm's own items.
    assert not files.own_items and files.items == read_items()


def test_fjallsjo_reads_with_swedish_numbers_and_an_own_item() -> None:
    files = read_region_dir(FJALLSJO)
    assert files.region["code"] == "FJ" and files.region["name"] == "Fjällsjö län"
    assert [m["code"] for m in files.municipalities] == ["9901", "9902", "9903"]
    assert files.municipalities[2]["population"] == 3115  # "3 115"
    assert len(files.care_homes) == 6
    assert {r.code: r.capacity_l for r in files.routes} == {"FJ-R1": 9000.0, "FJ-R2": 8600.5}
    assert files.own_items and [i["code"] for i in files.items] == ["FJ_SKOSKYDD"]
    assert files.items[0]["pack_volume_l"] == 2.5  # "2,5"
    assert files.lines[("care_homes.csv", "FJ004")] == 5


def test_items_are_optional(county: Path) -> None:
    (county / "items.csv").unlink()
    files = read_region_dir(county)
    assert files.items == [] and not files.own_items


@pytest.mark.parametrize("name", sorted(set(FILES) - {"items.csv"}))
def test_a_missing_file_is_named(county: Path, name: str) -> None:
    (county / name).unlink()
    assert f"{name}: filen saknas i {county}" in _refused(county)


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    assert "katalogen finns inte" in _refused(tmp_path / "nowhere")


def test_a_missing_column_is_named(county: Path) -> None:
    _edit(county / "care_homes.csv", ",places,", ",platser,")
    message = _refused(county)
    assert "care_homes.csv, rad 1, kolumn places: kolumnen saknas i rubrikraden" in message
    assert "care_homes.csv, rad 1, kolumn platser: okänd kolumn" in message


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        (
            "care_homes.csv",
            ",36,",
            ',"5,5",',
            "care_homes.csv, rad 2, kolumn places: '5,5' är ett decimaltal, men här krävs ett "
            "heltal",
        ),
        (
            "care_homes.csv",
            ",36,",
            ",trettiosex,",
            "care_homes.csv, rad 2, kolumn places: 'trettiosex' är inte ett heltal",
        ),
        ("care_homes.csv", ",36,", ",0,", "care_homes.csv, rad 2, kolumn places: 0 är mindre än 1"),
        (
            "care_homes.csv",
            ",36,",
            ",5,5,",
            "care_homes.csv, rad 2: raden har 8 fält men rubriken 7",
        ),
        (
            "care_homes.csv",
            "FJ002,Sjöbackens",
            "FJ001,Sjöbackens",
            "care_homes.csv, rad 3, kolumn id: FJ001 står redan på rad 2",
        ),
        (
            "care_homes.csv",
            ",true\nFJ002",
            ",kanske\nFJ002",
            "care_homes.csv, rad 2, kolumn active: 'kanske' är varken true eller false",
        ),
        (
            "care_homes.csv",
            "SE2120009903-FJ001",
            "SE2120009904-FJ001",
            "care_homes.csv, rad 2, kolumn hsa_id: ogiltigt HSA-id",
        ),
        (
            "care_homes.csv",
            "Björkvägen 3, 999 02 Fjällsjö",
            "",
            "care_homes.csv, rad 2, kolumn address: värdet saknas",
        ),
        (
            "care_homes.csv",
            "FJ005,Tallmons boende,9902",
            "FJ005,Tallmons boende,99O2",
            "care_homes.csv, rad 6, kolumn municipality_code: '99O2' är inte en kommunkod",
        ),
        (
            "municipalities.csv",
            "9902,Älvby",
            "990,Älvby",
            "municipalities.csv, rad 3, kolumn code: '990' är inte en kommunkod (fyra siffror)",
        ),
        (
            "municipalities.csv",
            "9902,Älvby",
            "9902,Fjällsjö",
            "municipalities.csv, rad 3, kolumn name: Fjällsjö står redan på rad 2",
        ),
        (
            "municipalities.csv",
            ",7420,",
            ",sju tusen,",
            "municipalities.csv, rad 3, kolumn population: 'sju tusen' är inte ett heltal",
        ),
        (
            "routes.csv",
            '"9 000"',
            '"9 000,x"',
            "routes.csv, rad 2, kolumn capacity_l: '9 000,x' är inte ett tal (t.ex. 5,5 eller 5.5)",
        ),
        (
            "routes.csv",
            '"9 000"',
            "0",
            "routes.csv, rad 2, kolumn capacity_l: 0 måste vara större än 0",
        ),
        (
            "routes.csv",
            ",9903\n",
            ",9903 9901\n",
            "routes.csv, rad 3, kolumn stops: kommunen 9901 står redan på rutten FJ-R1 (rad 2)",
        ),
        (
            "routes.csv",
            ",9903\n",
            ",\n",
            "routes.csv, rad 3, kolumn stops: rutten har inga stopp",
        ),
        (
            "items.csv",
            '"2,5"',
            '"2,5 l"',
            "items.csv, rad 2, kolumn pack_volume_l: '2,5 l' är inte ett tal",
        ),
        (
            "items.csv",
            ",100,",
            ',"100,5",',
            "items.csv, rad 2, kolumn pack_size: '100,5' är ett decimaltal, men här krävs ett "
            "heltal",
        ),
        (
            "items.csv",
            ",st,",
            ",par,",
            "items.csv, rad 2, kolumn unit: 'par' är varken st eller l",
        ),
        (
            "region.csv",
            "FJ,Fjällsjö län",
            "SE,Fjällsjö län",
            "region.csv, rad 2, kolumn code: SE är den nationella myndighetens kod",
        ),
        (
            "region.csv",
            "FJ,Fjällsjö län",
            "fj,Fjällsjö län",
            "region.csv, rad 2, kolumn code: 'fj' är inte en länskod",
        ),
        (
            "region.csv",
            ",Länsstyrelsen i Fjällsjö län,",
            ",,",
            "region.csv, rad 2, kolumn authority: värdet saknas",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and value.endswith(".csv") else None,
)
def test_a_bad_value_is_named_by_file_line_and_column(
    county: Path, name: str, old: str, new: str, expected: str
) -> None:
    _edit(county / name, old, new)
    message = _refused(county)
    assert message.startswith(f"Referensdata i {county} avvisades, inget sparades:")
    assert expected in message


def test_a_region_file_has_one_row(county: Path) -> None:
    text = (county / "region.csv").read_text(encoding="utf-8")
    (county / "region.csv").write_text(text + text.splitlines()[1] + "\n", encoding="utf-8")
    assert "region.csv: ska ha exakt en rad under rubriken, har 2" in _refused(county)


def test_every_problem_is_reported_at_once(county: Path) -> None:
    _edit(county / "care_homes.csv", ",36,", ",x,")
    _edit(county / "routes.csv", '"9 000"', "y")
    with pytest.raises(ReferenceRefused) as caught:
        read_region_dir(county)
    refused = caught.value
    assert [(p.file, p.line, p.column) for p in refused.problems] == [
        ("care_homes.csv", 2, "places"),
        ("routes.csv", 2, "capacity_l"),
    ]
    assert refused.errors[0] == {
        "field": "care_homes.csv: places",
        "line": 2,
        "message": "'x' är inte ett heltal",
    }


def test_not_utf8_is_named(county: Path) -> None:
    path = county / "municipalities.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))
    assert "municipalities.csv: filen är inte UTF-8" in _refused(county)
