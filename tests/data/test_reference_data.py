"""Stockholm county's reference data: official municipalities, estimated homes, the catalogue."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import AuditEntry, CareHome, Item, Municipality
from data.reference.identifiers import is_valid_hsa_id, is_valid_orgnr
from data.reference.load import (
    REFERENCE_DIR,
    load_reference_data,
    read_care_homes,
    read_items,
    read_municipalities,
)

# The official kommunkoder and names of Stockholm county (SCB), typed out independently here.
OFFICIAL = {
    "0114": "Upplands Väsby",
    "0115": "Vallentuna",
    "0117": "Österåker",
    "0120": "Värmdö",
    "0123": "Järfälla",
    "0125": "Ekerö",
    "0126": "Huddinge",
    "0127": "Botkyrka",
    "0128": "Salem",
    "0136": "Haninge",
    "0138": "Tyresö",
    "0139": "Upplands-Bro",
    "0140": "Nykvarn",
    "0160": "Täby",
    "0162": "Danderyd",
    "0163": "Sollentuna",
    "0180": "Stockholm",
    "0181": "Södertälje",
    "0182": "Nacka",
    "0183": "Sundbyberg",
    "0184": "Solna",
    "0186": "Lidingö",
    "0187": "Vaxholm",
    "0188": "Norrtälje",
    "0191": "Sigtuna",
    "0192": "Nynäshamn",
}
ESTIMATED_HOMES = {
    "0114": 10, "0115": 7, "0117": 10, "0120": 9, "0123": 17, "0125": 6, "0126": 24,
    "0127": 20, "0128": 4, "0136": 19, "0138": 10, "0139": 6, "0140": 2, "0160": 15,
    "0162": 7, "0163": 16, "0180": 88, "0181": 21, "0182": 22, "0183": 11, "0184": 17,
    "0186": 10, "0187": 3, "0188": 13, "0191": 10, "0192": 6,
}  # fmt: skip


def test_csv_has_exactly_the_official_municipalities() -> None:
    rows = read_municipalities()
    assert {row["code"]: row["name"] for row in rows} == OFFICIAL
    assert len(rows) == 26


def test_database_has_exactly_the_official_municipalities(session: Session) -> None:
    stored = dict(session.execute(select(Municipality.code, Municipality.name)).all())
    assert stored == OFFICIAL


def test_care_homes_follow_the_estimates() -> None:
    homes = read_care_homes()
    assert len(homes) == 383
    assert Counter(home["municipality_code"] for home in homes) == ESTIMATED_HOMES
    assert len({home["id"] for home in homes}) == 383
    assert len({home["name"] for home in homes}) == 383
    assert all(10 <= home["places"] <= 110 for home in homes)
    stockholm = [h["places"] for h in homes if h["municipality_code"] == "0180"]
    assert 40 <= sum(stockholm) / len(stockholm) <= 65  # Stockholms stad averages about 53


def test_hsa_ids_are_well_formed_and_unique() -> None:
    ids = [home["hsa_id"] for home in read_care_homes() if home["hsa_id"]]
    assert len(ids) > 50
    assert all(is_valid_hsa_id(value) for value in ids)
    assert len(set(ids)) == len(ids)


def test_identifier_rules() -> None:
    assert is_valid_orgnr("212000-0142")  # Stockholms stad
    assert is_valid_orgnr("232100-0016")  # Region Stockholm
    assert not is_valid_orgnr("212000-0143")  # wrong check digit
    assert not is_valid_orgnr("211000-0142")  # 3rd-4th digits below 20
    assert is_valid_hsa_id("SE2321000016-15CQ")
    assert not is_valid_hsa_id("SE2321000016-15CÖ")
    assert not is_valid_hsa_id("SE2321000016-" + "A" * 30)
    assert not is_valid_hsa_id("SE2321000017-ABC")


def test_catalogue_covers_the_protective_equipment() -> None:
    items = {row["code"]: row for row in read_items()}
    assert 12 <= len(items) <= 15
    for code in ("IIR", "FFP2", "FFP3", "VISIR", "GLASOGON", "FORKL_KORT", "FORKL_LANG", "ROCK"):
        assert code in items
    assert {"HANDSKE_S", "HANDSKE_M", "HANDSKE_L", "HANDSKE_XL"} <= set(items)
    assert items["HANDDESINF"]["unit"] == "l" and items["YTDESINF"]["unit"] == "l"
    assert all(row["pack_size"] > 0 and row["pack_volume_l"] > 0 for row in items.values())
    assert all(code.replace("_", "").isalnum() for code in items)  # safe LP row names


def test_loading_twice_changes_nothing(session: Session) -> None:
    audit_before = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    result = load_reference_data(session)
    assert not result.changed
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
    assert session.scalar(select(func.count()).select_from(CareHome)) == 383
    assert session.scalar(select(func.count()).select_from(Item)) == len(read_items())


def test_loading_updates_a_changed_row_and_audits_once(session: Session) -> None:
    home = session.get(CareHome, "H0001")
    assert home is not None
    home.places = 999
    session.flush()
    audit_before = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    result = load_reference_data(session)
    assert result.updated["care_homes"] == 1
    assert sum(result.inserted.values()) == 0
    assert home.places == read_care_homes()[0]["places"]
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before + 1


def test_readme_says_the_homes_are_invented_and_counts_estimated() -> None:
    text = (REFERENCE_DIR / "README.md").read_text(encoding="utf-8")
    assert "invented" in text and "estimates" in text
