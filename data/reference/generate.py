"""Write the reference CSVs beside this file, deterministically (run it to regenerate them).

    .venv/bin/python -m data.reference.generate

The municipality codes, names and 2017 populations are official (REFERENCE.md §1). Everything else
is invented for demonstration: receiving points and contacts (fictional phone numbers from PTS's
range for fiction, ``.example`` e-mail domains), care-home names, addresses, places and HSA-ids. The
number of care homes per municipality follows REFERENCE.md's estimates (Stockholm: 88, sourced).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from data.reference.identifiers import luhn_check_digit

HERE = Path(__file__).resolve().parent
SEED = 2020

# code, name, population 2017, residents (EST), care homes (EST), post town, postal prefix
MUNICIPALITIES: list[tuple[str, str, int, int, int, str, str]] = [
    ("0114", "Upplands Väsby", 44493, 220, 10, "Upplands Väsby", "194"),
    ("0115", "Vallentuna", 33144, 170, 7, "Vallentuna", "186"),
    ("0117", "Österåker", 43945, 220, 10, "Åkersberga", "184"),
    ("0120", "Värmdö", 43134, 220, 9, "Gustavsberg", "134"),
    ("0123", "Järfälla", 76055, 380, 17, "Järfälla", "177"),
    ("0125", "Ekerö", 27692, 140, 6, "Ekerö", "178"),
    ("0126", "Huddinge", 109523, 550, 24, "Huddinge", "141"),
    ("0127", "Botkyrka", 91631, 460, 20, "Tumba", "147"),
    ("0128", "Salem", 16665, 80, 4, "Rönninge", "144"),
    ("0136", "Haninge", 87490, 440, 19, "Handen", "136"),
    ("0138", "Tyresö", 47176, 240, 10, "Tyresö", "135"),
    ("0139", "Upplands-Bro", 27447, 140, 6, "Kungsängen", "196"),
    ("0140", "Nykvarn", 10608, 50, 2, "Nykvarn", "155"),
    ("0160", "Täby", 70315, 350, 15, "Täby", "183"),
    ("0162", "Danderyd", 32890, 160, 7, "Djursholm", "182"),
    ("0163", "Sollentuna", 71639, 360, 16, "Sollentuna", "191"),
    ("0180", "Stockholm", 949164, 4612, 88, "Stockholm", "1"),
    ("0181", "Södertälje", 95834, 480, 21, "Södertälje", "151"),
    ("0182", "Nacka", 101026, 510, 22, "Nacka", "131"),
    ("0183", "Sundbyberg", 49105, 250, 11, "Sundbyberg", "172"),
    ("0184", "Solna", 79834, 400, 17, "Solna", "171"),
    ("0186", "Lidingö", 47111, 240, 10, "Lidingö", "181"),
    ("0187", "Vaxholm", 11798, 60, 3, "Vaxholm", "185"),
    ("0188", "Norrtälje", 60668, 300, 13, "Norrtälje", "761"),
    ("0191", "Sigtuna", 46982, 230, 10, "Märsta", "195"),
    ("0192", "Nynäshamn", 28048, 140, 6, "Nynäshamn", "149"),
]

STOCKHOLM_ORGNR = "2120000142"  # Stockholms stad (REFERENCE §5)

# code, name_sv, name_en, unit, pack size, pack volume (l), category, max per place and day
ITEMS: list[tuple[str, str, str, str, int, float, str, float]] = [
    ("IIR", "Munskydd typ IIR", "Surgical mask type IIR", "st", 50, 1.2, "mask", 8),
    ("FFP2", "Andningsskydd FFP2", "Respirator FFP2", "st", 20, 1.0, "respirator", 2),
    ("FFP3", "Andningsskydd FFP3", "Respirator FFP3", "st", 10, 0.8, "respirator", 2),
    ("VISIR", "Visir, engångs", "Face shield, disposable", "st", 25, 6.0, "eye", 3),
    ("GLASOGON", "Skyddsglasögon", "Safety goggles", "st", 10, 2.5, "eye", 1),
    (
        "FORKL_KORT",
        "Plastförkläde, kort ärmlöst (rulle)",
        "Plastic apron, short sleeveless (roll)",
        "st",
        100,
        1.5,
        "apron",
        12,
    ),
    ("FORKL_LANG", "Långärmat förkläde", "Long-sleeved apron", "st", 50, 3.0, "apron", 12),
    ("ROCK", "Skyddsrock, engångs", "Isolation gown, disposable", "st", 10, 4.0, "gown", 6),
    (
        "HANDSKE_S",
        "Undersökningshandske nitril S",
        "Nitrile glove S",
        "st",
        200,
        1.4,
        "glove",
        40,
    ),
    (
        "HANDSKE_M",
        "Undersökningshandske nitril M",
        "Nitrile glove M",
        "st",
        200,
        1.4,
        "glove",
        40,
    ),
    (
        "HANDSKE_L",
        "Undersökningshandske nitril L",
        "Nitrile glove L",
        "st",
        200,
        1.4,
        "glove",
        40,
    ),
    (
        "HANDSKE_XL",
        "Undersökningshandske nitril XL",
        "Nitrile glove XL",
        "st",
        200,
        1.4,
        "glove",
        40,
    ),
    (
        "HANDDESINF",
        "Handdesinfektion (flaskor à 1 l)",
        "Hand disinfectant (1 l bottles)",
        "l",
        10,
        12.0,
        "disinfectant",
        0.2,
    ),
    (
        "YTDESINF",
        "Ytdesinfektion (flaskor à 1 l)",
        "Surface disinfectant (1 l bottles)",
        "l",
        6,
        7.5,
        "disinfectant",
        0.1,
    ),
]

NAME_STEMS = [
    "Sol", "Lind", "Ek", "Björk", "Rosen", "Ljung", "Berg", "Sjö", "Äng", "Lärk", "Tall", "Gran",
    "Asp", "Lönn", "Al", "Klöver", "Vide", "Hassel", "Rönn", "Måns", "Sälg", "Syren", "Linné",
    "Höst", "Vår", "Sommar", "Strand", "Kvarn", "Smedje", "Bäck", "Kastanj", "Fyr", "Näck",
    "Blåsippe", "Viol", "Lilje", "Nypon", "Hägg", "Ros", "Kung", "Drottning", "Prost", "Mor",
]  # fmt: skip
NAME_ENDINGS = [
    "gården", "hemmet", "lunden", "backen", "dalen", "hagen", "ängen", "höjden", "udden",
    "vik", "gläntan", "torpet", "bo", "stugan", "parken", "berga",
]  # fmt: skip
NAME_FORMS = [
    "{stem}{end}",
    "{stem}{end}",
    "{stem}{end}",
    "{stem}{end}s vård- och omsorgsboende",
    "{stem}{end}s äldreboende",
]
STREET_ENDINGS = ["vägen", "gatan", "stigen", "backe", "allé", "gränd", "torget"]
FIRST_NAMES = [
    "Anna", "Eva", "Maria", "Karin", "Sara", "Lena", "Kerstin", "Emma", "Ingrid", "Malin",
    "Lars", "Mikael", "Anders", "Johan", "Per", "Erik", "Karl", "Peter", "Thomas", "Jonas",
]  # fmt: skip
LAST_NAMES = [
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Lindberg", "Lindqvist",
    "Berglund", "Holm", "Sandberg", "Forsberg", "Lundgren", "Ekström",
]  # fmt: skip


def municipal_orgnr(code: str) -> str:
    """Stockholms stad's real organisationsnummer, or an invented valid one for the others."""
    if code == "0180":
        return STOCKHOLM_ORGNR
    body = f"212000{int(code) % 1000:03d}"
    return body + str(luhn_check_digit(body))


def postal_code(rng: random.Random, prefix: str) -> str:
    """A plausible postal code: Stockholm's 1xx xx range, or the town's prefix."""
    if prefix == "1":
        return f"1{rng.choice(['12', '13', '16', '17', '18', '20', '21', '22', '23', '24', '25'])}"
    return prefix


def address(rng: random.Random, prefix: str, town: str) -> str:
    """An invented street address in the municipality's post town."""
    street = f"{rng.choice(NAME_STEMS)}{rng.choice(STREET_ENDINGS)}"
    head = postal_code(rng, prefix)
    return f"{street} {rng.randint(1, 60)}, {head} {rng.randint(30, 99)} {town}"


def slug(name: str) -> str:
    """``Upplands Väsby`` → ``upplandsvasby`` for an e-mail domain."""
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", " ": "", "-": ""})
    return name.lower().translate(table)


def municipality_rows(rng: random.Random) -> list[dict[str, object]]:
    """The 26 municipalities with an invented receiving point and contact each."""
    rows: list[dict[str, object]] = []
    for index, (code, name, population, _res, _homes, town, prefix) in enumerate(MUNICIPALITIES):
        street = f"{rng.choice(['Industri', 'Lager', 'Förråds', 'Verkstads', 'Hamn'])}"
        rows.append(
            {
                "code": code,
                "name": name,
                "population": population,
                "receiving_address": (
                    f"Centralförrådet, {street}vägen {rng.randint(2, 40)}, "
                    f"{postal_code(rng, prefix)} {rng.randint(30, 99)} {town}"
                ),
                "contact_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "contact_phone": f"08-465 004 {index:02d}",
                "contact_email": f"skyddsutrustning@{slug(name)}.example",
            }
        )
    return rows


def care_home_name(rng: random.Random, taken: set[str]) -> str:
    """An invented but typical Swedish care-home name, unique in the county."""
    while True:
        form = rng.choice(NAME_FORMS)
        name = form.format(stem=rng.choice(NAME_STEMS), end=rng.choice(NAME_ENDINGS))
        name = name[0].upper() + name[1:].lower()
        if name not in taken:
            taken.add(name)
            return name


def care_home_rows(rng: random.Random) -> list[dict[str, object]]:
    """About 383 care homes spread over the municipalities by REFERENCE.md's estimates."""
    rows: list[dict[str, object]] = []
    taken: set[str] = set()
    number = 0
    for code, _name, _pop, residents, homes, town, prefix in MUNICIPALITIES:
        mean = residents / homes
        orgnr = municipal_orgnr(code)
        for _ in range(homes):
            number += 1
            places = max(10, min(110, round(rng.gauss(mean, mean * 0.35))))
            hsa_id = ""
            if rng.random() < 0.45:
                suffix = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(5))
                hsa_id = f"SE{orgnr}-{suffix}"
            rows.append(
                {
                    "id": f"H{number:04d}",
                    "name": care_home_name(rng, taken),
                    "municipality_code": code,
                    "address": address(rng, prefix, town),
                    "places": places,
                    "hsa_id": hsa_id,
                    "active": "true",
                }
            )
    return rows


def item_rows() -> list[dict[str, object]]:
    """The item catalogue."""
    columns = [
        "code",
        "name_sv",
        "name_en",
        "unit",
        "pack_size",
        "pack_volume_l",
        "category",
        "max_daily_per_place",
    ]
    return [dict(zip(columns, item, strict=True)) for item in ITEMS]


def write(name: str, rows: list[dict[str, object]]) -> None:
    """Write ``rows`` as UTF-8 CSV with a header and Unix line ends."""
    with (HERE / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    """Regenerate municipalities.csv, care_homes.csv and items.csv."""
    rng = random.Random(SEED)
    write("municipalities.csv", municipality_rows(rng))
    write("care_homes.csv", care_home_rows(rng))
    write("items.csv", item_rows())


if __name__ == "__main__":
    main()
