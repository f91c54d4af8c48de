"""The printable documents: delivery notes, pick lists, escalations (PDF, CSV, JSON).

The sample route R2 serves five municipalities north of Stockholm; every care home gets a few
packs of each of six items, taken from the items' lots first-expiry-first-out across the stops in
driving order. The delivery notes and the pick list come from that one allocation, so they must
agree with each other. PDFs are checked through the text pypdf extracts (one table cell per line).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import math
import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from jobs.documents import (
    DELIVERY_NOTE_COLUMNS,
    ESCALATION_COLUMNS,
    ESCALATION_SCHEMA,
    PICK_LIST_COLUMNS,
    CareHomeLine,
    DeliveryNote,
    DocumentDataError,
    EscalationRequest,
    LotPick,
    MunicipalityShortfall,
    PickList,
    PickListLine,
    PickListStop,
    StopItemLine,
    delivery_confirmation_payload,
    delivery_notes_csv,
    encode_csv,
    escalation_to_json,
    escalations_csv,
    pick_lists_csv,
    render_delivery_note_pdf,
    render_escalation_pdf,
    render_pick_list_pdf,
)
from jobs.documents.formatting import (
    confirmation_payload,
    fmt_date,
    fmt_decimal,
    fmt_int,
    fmt_timestamp,
)
from jobs.documents.pick_list import MAX_STOP_COLUMNS

ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------------------------------------
# Sample data
# ---------------------------------------------------------------------------------------------

ROUND = date(2026, 11, 24)
ISSUED = datetime(2026, 11, 24, 10, 42, tzinfo=ZoneInfo("Europe/Stockholm"))
RUN_ID = "RUN-20261124-01"
ROUTE = "R2"
VEHICLE = "Lastbil ABC 123"


@dataclass(frozen=True)
class Article:
    code: str
    name: str
    pack_size: int
    lots: tuple[tuple[str, date | None, int], ...]  # lot, expiry, packs in stock
    unit: str = "st"


ARTICLES = (
    Article(
        "IIR",
        "Munskydd typ IIR",
        50,
        (("IIR-2405-118", date(2027, 3, 31), 40), ("IIR-2409-022", date(2027, 9, 30), 400)),
    ),
    Article(
        "FFP2",
        "Andningsskydd FFP2",
        20,
        (("FFP2-2311-07", date(2026, 12, 31), 25), ("FFP2-2403-01", date(2028, 3, 31), 300)),
    ),
    Article("VISIR", "Visir, engångs", 25, (("VIS-88213", None, 500),)),
    Article("FORKL", "Plastförkläde, kort/ärmlöst", 100, (("PF-24-0917", date(2029, 6, 30), 500),)),
    Article(
        "ROCK",
        "Skyddsrock, långärmad",
        10,
        (("SR-2410-05", date(2027, 1, 31), 30), ("SR-2411-02", date(2027, 5, 31), 400)),
    ),
    Article(
        "HNIT-M", "Undersökningshandskar nitril, M", 200, (("HN-M-7781", date(2028, 10, 31), 600),)
    ),
)


@dataclass(frozen=True)
class Stop:
    code: str
    name: str
    address: str
    contact: str
    phone: str
    confirmation: str
    homes: tuple[str, ...]


STOPS = (
    Stop(
        "0183",
        "Sundbyberg",
        "Centralförrådet, Landsvägen 37, 172 63 Sundbyberg",
        "Göran Ek",
        "08-706 80 00",
        "S4KQ-7T",
        ("Ängsgården", "Tulegatan säbo", "Lötsjögården", "Fredsborg"),
    ),
    Stop(
        "0184",
        "Solna",
        "Solna kommun, centralt förråd, Industrivägen 20, 171 48 Solna",
        "Åsa Nyström",
        "08-746 10 00",
        "K7QM-42",
        (
            "Solgården",
            "Ekbacken",
            "Hagalund vård- och omsorgsboende",
            "Råsunda säbo",
            "Bagartorp äldreboende",
            "Skytteholm",
            "Polhemsgården",
            "Ulriksdal",
            "Järvastaden",
            "Frösunda",
            "Näckrosen",
            "Huvudsta gård",
            "Stora Mölna",
            "Vårbacka",
            "Signalisten",
        ),
    ),
    Stop(
        "0162",
        "Danderyd",
        "Mörby centrum, lastkaj 3, 182 31 Danderyd",
        "Lena Öberg",
        "08-568 910 00",
        "D9XP-3B",
        ("Ekebo", "Danderyds gård", "Ösby äldreboende"),
    ),
    Stop(
        "0160",
        "Täby",
        "Täby kommunförråd, Reprovägen 12, 183 77 Täby",
        "Mats Sjöberg",
        "08-555 590 00",
        "T2HN-8C",
        ("Allégården", "Tibble äldreboende", "Näsbyhem", "Lyckansborg", "Ella gård"),
    ),
    Stop(
        "0186",
        "Lidingö",
        "Lidingö stad, Stockholmsvägen 50, 181 82 Lidingö",
        "Eva Bäckström",
        "08-731 30 00",
        "L5WD-9F",
        ("Dalängen", "Linnégården"),
    ),
)


def home_id(stop: Stop, index: int) -> str:
    return f"H{stop.code}-{index + 1:02d}"


def packs_for(stop_index: int, home_index: int, article_index: int) -> int:
    """A spread of 0..5 packs; some care homes need nothing of some items."""
    return (home_index * 7 + article_index * 3 + stop_index * 5) % 6


def build_route(
    stops: tuple[Stop, ...] = STOPS,
) -> tuple[tuple[DeliveryNote, ...], PickList]:
    """Delivery notes for every stop and the route's pick list, from one FEFO allocation."""
    remaining = {(a.code, lot): packs for a in ARTICLES for lot, _, packs in a.lots}
    picks: defaultdict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    notes: list[DeliveryNote] = []
    for s, stop in enumerate(stops):
        number = s + 1
        homes: list[CareHomeLine] = []
        items: list[StopItemLine] = []
        for a, article in enumerate(ARTICLES):
            lines = [
                CareHomeLine(
                    home_id(stop, h),
                    name,
                    article.code,
                    article.name,
                    packs_for(s, h, a),
                    packs_for(s, h, a) * article.pack_size,
                )
                for h, name in enumerate(stop.homes)
                if packs_for(s, h, a)
            ]
            total = sum(line.packs for line in lines)
            if not total:
                continue
            homes += lines
            lots: list[LotPick] = []
            wanted = total
            for lot, expiry, _ in article.lots:
                take = min(wanted, remaining[(article.code, lot)])
                if take:
                    remaining[(article.code, lot)] -= take
                    wanted -= take
                    lots.append(LotPick(lot, expiry, take, take * article.pack_size))
                    picks[(article.code, lot)][number] = take
            assert wanted == 0, "sample stock too small"
            items.append(
                StopItemLine(
                    article.code,
                    article.name,
                    article.unit,
                    article.pack_size,
                    total,
                    total * article.pack_size,
                    tuple(lots),
                )
            )
        notes.append(
            DeliveryNote(
                round_date=ROUND,
                run_id=RUN_ID,
                route_code=ROUTE,
                vehicle=VEHICLE,
                stop_number=number,
                stop_count=len(stops),
                municipality_code=stop.code,
                municipality_name=stop.name,
                address=stop.address,
                contact_name=stop.contact,
                contact_phone=stop.phone,
                confirmation_code=stop.confirmation,
                items=tuple(items),
                care_homes=tuple(homes),
                issued_at=ISSUED,
            )
        )
    articles = {a.code: a for a in ARTICLES}
    # Insertion order is deliberately not FEFO: the renderer must sort.
    pick_lines = [
        PickListLine(
            item_code=code,
            item_name=articles[code].name,
            unit=articles[code].unit,
            pack_size=articles[code].pack_size,
            lot=lot,
            expiry=next(e for name, e, _ in articles[code].lots if name == lot),
            packs=sum(split.values()),
            units=sum(split.values()) * articles[code].pack_size,
            stop_packs=tuple(sorted(split.items())),
        )
        for (code, lot), split in reversed(picks.items())
    ]
    load = sum(line.packs * 1.5 for line in pick_lines)
    pick_list = PickList(
        round_date=ROUND,
        run_id=RUN_ID,
        route_code=ROUTE,
        vehicle=VEHICLE,
        capacity_l=1800.0,
        load_l=load,
        stops=tuple(
            PickListStop(number, stop.code, stop.name) for number, stop in enumerate(stops, 1)
        ),
        lines=tuple(pick_lines),
        issued_at=ISSUED,
    )
    return tuple(notes), pick_list


def solna_note() -> DeliveryNote:
    """Stop 2 of 5: Solna, six items, fifteen care homes (runs to three pages)."""
    return build_route()[0][1]


def escalation() -> EscalationRequest:
    """FFP2 respirators short in five municipalities."""
    rows = (
        MunicipalityShortfall("0184", "Solna", 2400, 9, 6),
        MunicipalityShortfall("0180", "Stockholm", 12000, 41, 27),
        MunicipalityShortfall("0117", "Österåker", 800, 4, 2),
        MunicipalityShortfall("0183", "Sundbyberg", 1300, 6, 3),
        MunicipalityShortfall("0186", "Lidingö", 560, 3, 3),
    )
    return EscalationRequest(
        reference="ESK-20261124-FFP2",
        round_date=ROUND,
        run_id=RUN_ID,
        item_code="FFP2",
        item_name="Andningsskydd FFP2",
        unit="st",
        total_unmet=sum(r.unmet for r in rows),
        region_stock=3200,
        days_of_supply=1.4,
        homes_with_confirmed_cases=sum(r.homes_confirmed for r in rows),
        by_municipality=rows,
        created_at=ISSUED,
    )


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def pdf_pages(data: bytes) -> list[list[str]]:
    """Each page's extracted text as stripped, non-empty lines (one table cell per line)."""
    reader = PdfReader(io.BytesIO(data))
    return [
        [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        for page in reader.pages
    ]


def all_lines(data: bytes) -> list[str]:
    return [line for page in pdf_pages(data) for line in page]


def has_run(lines: list[str], run: list[str]) -> bool:
    """Whether ``run`` appears as consecutive lines (a table row, cell by cell)."""
    width = len(run)
    return any(lines[i : i + width] == run for i in range(len(lines) - width + 1))


def page_size(data: bytes) -> tuple[float, float]:
    box = PdfReader(io.BytesIO(data)).pages[0].mediabox
    return round(float(box.width), 1), round(float(box.height), 1)


def parse_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames or []), list(reader)


def note_for(stop_index: int) -> DeliveryNote:
    return build_route()[0][stop_index]


def small_note() -> DeliveryNote:
    """One item without lots assigned, one care home: fits on one page."""
    item = StopItemLine("HDES", "Handdesinfektion 0,5 l", "l", 1, 12, 12)
    home = CareHomeLine("H0187-01", "Vaxholms äldreboende", "HDES", item.item_name, 12, 12)
    return dataclasses.replace(
        note_for(0),
        stop_number=1,
        stop_count=1,
        municipality_code="0187",
        municipality_name="Vaxholm",
        items=(item,),
        care_homes=(home,),
    )


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


def test_the_samples_are_consistent() -> None:
    notes, pick_list = build_route()
    assert [note.stop_number for note in notes] == [1, 2, 3, 4, 5]
    solna = solna_note()
    assert (solna.municipality_name, len(solna.items)) == ("Solna", 6)
    assert len({home.care_home_id for home in solna.care_homes}) == 15
    assert any(len(item.lots) == 2 for item in solna.items)
    assert len(pick_list.lines) > len(ARTICLES)


def test_care_home_lines_must_add_up_to_the_items() -> None:
    note = solna_note()
    first = note.care_homes[0]
    changed = dataclasses.replace(first, units=first.units + 1)
    with pytest.raises(DocumentDataError, match="care homes add up"):
        dataclasses.replace(note, care_homes=(changed, *note.care_homes[1:]))


def test_care_home_lines_name_only_delivered_items() -> None:
    note = solna_note()
    stray = CareHomeLine("H1", "Solgården", "NOPE", "Okänd artikel", 0, 0)
    with pytest.raises(DocumentDataError, match="not among the items"):
        dataclasses.replace(note, care_homes=(*note.care_homes, stray))


def test_lots_must_add_up_to_the_item_line() -> None:
    with pytest.raises(DocumentDataError, match="lots add up"):
        StopItemLine("IIR", "Munskydd", "st", 50, 3, 150, (LotPick("L1", None, 2, 100),))


def test_stop_number_must_lie_within_the_route() -> None:
    with pytest.raises(DocumentDataError, match="stop_number"):
        dataclasses.replace(solna_note(), stop_number=6)


def test_pick_line_split_must_add_up_and_name_known_stops() -> None:
    with pytest.raises(DocumentDataError, match="stop split"):
        PickListLine("IIR", "Munskydd", "st", 50, "L1", None, 3, 150, ((1, 1), (2, 1)))
    _, pick_list = build_route()
    line = PickListLine("IIR", "Munskydd", "st", 50, "L1", None, 2, 100, ((9, 2),))
    with pytest.raises(DocumentDataError, match="unknown stops"):
        dataclasses.replace(pick_list, lines=(line,))


def test_escalation_totals_must_match_the_municipalities() -> None:
    request = escalation()
    with pytest.raises(DocumentDataError, match="unmet"):
        dataclasses.replace(request, total_unmet=request.total_unmet + 1)
    with pytest.raises(DocumentDataError, match="confirmed"):
        dataclasses.replace(request, homes_with_confirmed_cases=0)
    with pytest.raises(DocumentDataError, match="days_of_supply"):
        dataclasses.replace(request, days_of_supply=math.nan)


# ---------------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1 000"),
        (12000, "12 000"),
        (1234567, "1 234 567"),
        (-1500, "-1 500"),
    ],
)
def test_whole_numbers_get_a_space_as_thousands_separator(value: int, text: str) -> None:
    assert fmt_int(value) == text


def test_decimals_dates_and_timestamps_are_written_the_swedish_way() -> None:
    assert fmt_decimal(1234.5) == "1 234,5"
    assert fmt_decimal(0.25, 2) == "0,25"
    assert fmt_date(date(2026, 3, 9)) == "2026-03-09"
    assert fmt_date(None) == "–"
    assert fmt_timestamp(ISSUED) == "2026-11-24 10:42 CET"
    summer = datetime(2026, 6, 1, 8, 5, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert fmt_timestamp(summer) == "2026-06-01 08:05 CEST"
    assert fmt_timestamp(datetime(2026, 6, 1, 8, 5)) == "2026-06-01 08:05"


def test_the_qr_payload_names_run_route_stop_and_code() -> None:
    assert delivery_confirmation_payload(solna_note()) == "FORDELA:RUN-20261124-01:R2:2:K7QM-42"


def test_the_qr_payload_cannot_be_shifted_by_a_colon_in_a_part() -> None:
    payload = confirmation_payload("run:7", "R 2", 3, "A%B")
    assert payload == "FORDELA:run%3A7:R%202:3:A%25B"
    assert len(payload.split(":")) == 5


# ---------------------------------------------------------------------------------------------
# Delivery note (PDF)
# ---------------------------------------------------------------------------------------------


def test_delivery_note_holds_every_item_lot_and_care_home_line() -> None:
    note = solna_note()
    lines = all_lines(render_delivery_note_pdf(note))
    for item in note.items:
        assert has_run(
            lines,
            [
                item.item_code,
                item.item_name,
                f"à {item.pack_size} st",
                str(item.packs),
                f"{fmt_int(item.units)} st",
            ],
        ), item
        for lot in item.lots:
            expected = [str(lot.packs), f"{fmt_int(lot.units)} st", lot.lot, fmt_date(lot.expiry)]
            if len(item.lots) == 1:
                expected = expected[1:]
            assert has_run(lines, expected), lot
    for home in note.care_homes:
        assert has_run(
            lines, [home.item_code, home.item_name, str(home.packs), f"{fmt_int(home.units)} st"]
        ), home
        assert home.care_home_name in lines
        assert home.care_home_id in lines
    assert has_run(lines, ["Kolli totalt", str(sum(item.packs for item in note.items))])


def test_delivery_note_header_code_and_signatures() -> None:
    note = solna_note()
    lines = all_lines(render_delivery_note_pdf(note))
    text = "\n".join(lines)
    for expected in [
        "FÖLJESEDEL",
        "Fördela",
        "Länsstyrelsen Stockholm · Regional fördelning av skyddsutrustning",
        "Leveransdag 2026-11-24 · Stopp 2 av 5",
        "Stopp 2 av 5",
        "RUN-20261124-01",
        "R2 · Lastbil ABC 123",
        "Solna kommun (0184)",
        "Åsa Nyström",
        "08-746 10 00",
        "K7QM-42",
        "Kvittenskod",
        "Levererat av",
        "Mottaget av",
        "Namn (textat)",
        "Datum och tid",
        "Underskrift",
        "Avvikelser",
        "2026-11-24 10:42 CET",
    ]:
        assert expected in lines, expected
    assert "Solna kommun, centralt förråd," in text
    assert "Industrivägen 20, 171 48 Solna" in text


def test_a_long_note_continues_with_page_numbers_and_repeated_headers() -> None:
    pages = pdf_pages(render_delivery_note_pdf(note_for(3)))  # Täby: 5 care homes
    assert len(pages) == 2
    assert pages[0][-1] == "Sida 1 av 2"
    assert "Sida 2 av 2" in pages[1]
    assert "Följesedel · 2026-11-24 · Rutt R2 · Stopp 4 av 5 · 0160 Täby · Kod T2HN-8C" in pages[1]
    assert has_run(pages[1], ["Säbo", "Artikel", "Benämning", "Frp", "Antal"])


def test_the_solna_note_runs_to_three_pages_without_splitting_a_care_home() -> None:
    note = solna_note()
    pages = pdf_pages(render_delivery_note_pdf(note))
    assert [page.count(f"Sida {n} av 3") for n, page in enumerate(pages, 1)] == [1, 1, 1]
    for home in {line.care_home_name for line in note.care_homes}:
        codes = [line.item_code for line in note.care_homes if line.care_home_name == home]
        holding = [page for page in pages if home in page]
        assert len(holding) == 1, home
        after = holding[0][holding[0].index(home) :]
        assert all(code in after for code in codes), home


def test_a_short_note_is_one_page_and_without_lots_says_so() -> None:
    data = render_delivery_note_pdf(small_note())
    pages = pdf_pages(data)
    assert len(pages) == 1
    assert "Sida 1 av 1" in pages[0]
    assert has_run(pages[0], ["HDES", "Handdesinfektion 0,5 l", "à 1 l", "12", "12 l", "–"])
    assert has_run(pages[0], ["Vaxholms äldreboende", "H0187-01", "HDES"])


def test_a_note_without_care_home_breakdown_leaves_the_section_out() -> None:
    note = dataclasses.replace(small_note(), care_homes=())
    lines = all_lines(render_delivery_note_pdf(note))
    assert "Bilaga: fördelning per säbo" not in lines
    assert "Mottaget av" in lines


def _long_codes_note() -> DeliveryNote:
    """The catalogue's longest codes and lots (they wrapped as "FORKL_KO / RT")."""
    lots = (
        LotPick("FORKL_KORT-261207-1", date(2027, 4, 6), 2, 200),
        LotPick("FORKL_KORT-261207-22", date(2028, 5, 30), 1, 100),
    )
    items = (
        StopItemLine("FORKL_KORT", "Plastförkläde, kort ärmlöst (rulle)", "st", 100, 3, 300, lots),
        StopItemLine(
            "HANDDESINF",
            "Handdesinfektion (flaskor à 1 l)",
            "l",
            10,
            1,
            10,
            (LotPick("HANDDESINF-261207-2", date(2027, 1, 6), 1, 10),),
        ),
    )
    homes = (
        CareHomeLine("H0187-01", "Vaxholms äldreboende", "FORKL_KORT", items[0].item_name, 3, 300),
        CareHomeLine("H0187-01", "Vaxholms äldreboende", "HANDDESINF", items[1].item_name, 1, 10),
    )
    return dataclasses.replace(small_note(), items=items, care_homes=homes)


def test_codes_and_lots_print_on_one_line() -> None:
    lines = all_lines(render_delivery_note_pdf(_long_codes_note()))
    for code in ("FORKL_KORT", "HANDDESINF", "FORKL_KORT-261207-22", "HANDDESINF-261207-2"):
        assert code in lines, code
    assert not any(line in ("FORKL_KO", "RT", "HANDDESIN", "F", "-22") for line in lines)


def test_the_receipt_is_signed_under_the_items_before_the_per_home_appendix() -> None:
    for note in (solna_note(), note_for(3)):
        pages = pdf_pages(render_delivery_note_pdf(note))
        first = pages[0]
        assert "Kolli totalt" in first and "Mottaget av" in first, note.municipality_name
        assert first.index("Kolli totalt") < first.index("Mottaget av")
        appendix = next(n for n, page in enumerate(pages) if "Bilaga: fördelning per säbo" in page)
        # The appendix heading is never the last thing on its page.
        assert pages[appendix][-2] != "Bilaga: fördelning per säbo"


def test_the_escalation_is_signed_on_its_first_page() -> None:
    pages = pdf_pages(render_escalation_pdf(escalation()))
    assert "För Länsstyrelsen Stockholm" in pages[0]


def test_delivery_note_is_a4_portrait() -> None:
    assert page_size(render_delivery_note_pdf(solna_note())) == (595.3, 841.9)


def test_text_with_markup_characters_prints_as_it_is() -> None:
    note = small_note()
    home = dataclasses.replace(note.care_homes[0], care_home_name="Hem & Vård <Öst>")
    lines = all_lines(render_delivery_note_pdf(dataclasses.replace(note, care_homes=(home,))))
    assert "Hem & Vård <Öst>" in lines


# ---------------------------------------------------------------------------------------------
# Pick list (PDF)
# ---------------------------------------------------------------------------------------------


def test_pick_list_rows_are_fefo_with_the_split_per_stop() -> None:
    _, pick_list = build_route()
    lines = all_lines(render_pick_list_pdf(pick_list))
    lots = [line.lot for line in pick_list.lines]
    positions = {lot: lines.index(lot) for lot in lots}
    printed = sorted(lots, key=positions.__getitem__)
    assert printed == [
        "FFP2-2311-07",
        "FFP2-2403-01",
        "PF-24-0917",
        "HN-M-7781",
        "IIR-2405-118",
        "IIR-2409-022",
        "SR-2410-05",
        "SR-2411-02",
        "VIS-88213",
    ]
    for line in pick_list.lines:
        split = [fmt_int(line.packs_for(stop.stop_number)) for stop in pick_list.stops]
        assert has_run(
            lines,
            [
                line.item_code,
                line.item_name,
                line.lot,
                fmt_date(line.expiry),
                f"à {line.pack_size} st",
                str(line.packs),
                f"{fmt_int(line.units)} st",
                *[packs for packs in split if packs != "0"],
            ],
        ), line
    per_stop = [
        str(sum(line.packs_for(stop.stop_number) for line in pick_list.lines))
        for stop in pick_list.stops
    ]
    total = str(sum(line.packs for line in pick_list.lines))
    assert has_run(lines, ["Kolli totalt", total, *per_stop])


def test_pick_list_header_load_checkbox_and_signatures() -> None:
    _, pick_list = build_route()
    data = render_pick_list_pdf(pick_list)
    lines = all_lines(data)
    for expected in [
        "PLOCKLISTA",
        "Leveransdag 2026-11-24 · Rutt R2",
        "634,5 l av 1 800,0 l",
        "35 % av fordonets kapacitet",
        "Plockat",
        "Plockat av",
        "Kontrollerat och lastat av",
        "Sida 1 av 1",
        "Solna (0184)",
        "Lidingö (0186)",
        "Stopp 5",
    ]:
        assert expected in lines, expected
    assert page_size(data) == (841.9, 595.3)


def test_pick_list_warns_when_the_load_exceeds_the_vehicle() -> None:
    _, pick_list = build_route()
    lines = all_lines(render_pick_list_pdf(dataclasses.replace(pick_list, capacity_l=500.0)))
    assert "127 % överskrider fordonets kapacitet!" in lines


def test_many_stops_get_a_loading_section_per_stop() -> None:
    many = tuple(
        Stop(f"01{n:02d}", f"Kommun {n}", "Gatan 1", "Kontakt", "08-1", f"C{n}", ("Hem",))
        for n in range(MAX_STOP_COLUMNS + 1)
    )
    notes, pick_list = build_route(many)
    lines = all_lines(render_pick_list_pdf(pick_list))
    assert "Lastning per stopp" in lines
    assert f"Stopp {MAX_STOP_COLUMNS + 1}" not in lines  # no column header
    for note in notes:
        title = f"Stopp {note.stop_number}: {note.municipality_name} ({note.municipality_code})"
        assert title in lines
        block = lines[lines.index(title) :]
        for item in note.items:
            for lot in item.lots:
                assert has_run(block, [lot.lot, fmt_date(lot.expiry), str(lot.packs)]), lot


def test_pick_list_adds_up_to_the_delivery_notes() -> None:
    notes, pick_list = build_route()
    for note in notes:
        for item in note.items:
            for lot in item.lots:
                line = next(
                    line
                    for line in pick_list.lines
                    if (line.item_code, line.lot) == (item.item_code, lot.lot)
                )
                assert line.packs_for(note.stop_number) == lot.packs
            picked = sum(
                line.packs_for(note.stop_number)
                for line in pick_list.lines
                if line.item_code == item.item_code
            )
            assert picked == item.packs


# ---------------------------------------------------------------------------------------------
# Escalation (PDF, JSON)
# ---------------------------------------------------------------------------------------------


def test_escalation_pdf_holds_totals_and_every_municipality() -> None:
    request = escalation()
    lines = all_lines(render_escalation_pdf(request))
    for expected in [
        "BEGÄRAN OM STÖD",
        "Till Socialstyrelsen · Ref. ESK-20261124-FFP2",
        "Socialstyrelsen",
        "17 060 st",
        "3 200 st",
        "1,4 dagar",
        "41",
        "Andningsskydd FFP2 (FFP2)",
        "För Länsstyrelsen Stockholm",
        "Sida 1 av 1",
    ]:
        assert expected in lines, expected
    for row in request.by_municipality:
        assert has_run(
            lines,
            [
                row.municipality_code,
                row.municipality_name,
                f"{fmt_int(row.unmet)} st",
                str(row.homes_short),
                str(row.homes_confirmed),
            ],
        ), row
    assert has_run(lines, ["Summa", "17 060 st", "63", "41", "100 %"])
    codes = [row.municipality_code for row in request.by_municipality]
    assert sorted(codes, key=lines.index) == sorted(codes)


def test_escalation_with_unknown_days_of_supply_says_so() -> None:
    request = dataclasses.replace(escalation(), days_of_supply=None)
    assert "okänt" in all_lines(render_escalation_pdf(request))
    assert escalation_to_json(request)["days_of_supply"] is None


def test_escalation_json_has_stable_keys_and_iso_dates() -> None:
    document = escalation_to_json(escalation())
    assert list(document) == [
        "schema",
        "reference",
        "round_date",
        "run_id",
        "item_code",
        "item_name",
        "unit",
        "total_unmet",
        "region_stock",
        "days_of_supply",
        "homes_with_confirmed_cases",
        "by_municipality",
        "created_at",
        "version",
        "updated_at",
        "status",
        "closed",
        "homes_shortfall",
        "free_stock",
        "received_units",
        "outstanding",
        "sender",
        "history",
    ]
    assert document["schema"] == ESCALATION_SCHEMA
    assert document["round_date"] == "2026-11-24"
    assert document["created_at"] == "2026-11-24T10:42:00+01:00"
    assert document["total_unmet"] == sum(row["unmet"] for row in document["by_municipality"])
    assert [row["municipality_code"] for row in document["by_municipality"]] == [
        "0117",
        "0180",
        "0183",
        "0184",
        "0186",
    ]
    assert list(document["by_municipality"][0]) == [
        "municipality_code",
        "municipality_name",
        "unmet",
        "homes_short",
        "homes_confirmed",
    ]
    text = json.dumps(document, ensure_ascii=False)
    assert json.loads(text) == document
    assert "Österåker" in text


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def test_delivery_notes_csv_rows_add_up_per_stop_and_item() -> None:
    notes, _ = build_route()
    header, rows = parse_csv(delivery_notes_csv(notes))
    assert header == list(DELIVERY_NOTE_COLUMNS)
    expected_rows = sum(
        len(note.items) + sum(len(item.lots) for item in note.items) + len(note.care_homes)
        for note in notes
    )
    assert len(rows) == expected_rows
    totals: defaultdict[tuple[str, str, str], int] = defaultdict(int)
    for row in rows:
        key = (row["stop_number"], row["item_code"], row["line_type"])
        totals[key] += int(row["units"])
    for note in notes:
        for item in note.items:
            stop = str(note.stop_number)
            assert totals[(stop, item.item_code, "item")] == item.units
            assert totals[(stop, item.item_code, "care_home")] == item.units
            assert totals[(stop, item.item_code, "lot")] == item.units
    solna = [row for row in rows if row["municipality_code"] == "0184"]
    assert {row["care_home_name"] for row in solna if row["line_type"] == "care_home"} == {
        line.care_home_name for line in solna_note().care_homes
    }
    assert solna[0]["round_date"] == "2026-11-24"
    assert solna[0]["issued_at"] == "2026-11-24T10:42:00+01:00"
    assert solna[0]["contact_name"] == "Åsa Nyström"


def test_pick_lists_csv_stop_rows_add_up_to_lines_and_to_the_notes() -> None:
    notes, pick_list = build_route()
    header, rows = parse_csv(pick_lists_csv([pick_list]))
    assert header == list(PICK_LIST_COLUMNS)
    line_rows = [row for row in rows if row["line_type"] == "line"]
    assert [row["lot"] for row in line_rows][:2] == ["FFP2-2311-07", "FFP2-2403-01"]
    split: defaultdict[tuple[str, str], int] = defaultdict(int)
    per_stop_item: defaultdict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        if row["line_type"] == "stop":
            assert row["units"] == ""
            split[(row["item_code"], row["lot"])] += int(row["packs"])
            per_stop_item[(row["stop_number"], row["item_code"])] += int(row["packs"])
    for row in line_rows:
        assert split[(row["item_code"], row["lot"])] == int(row["packs"])
        assert row["capacity_l"] == "1800.00"
    for note in notes:
        for item in note.items:
            assert per_stop_item[(str(note.stop_number), item.item_code)] == item.packs


def test_escalations_csv_has_a_row_per_municipality() -> None:
    request = escalation()
    unknown = dataclasses.replace(request, reference="ESK-2", days_of_supply=None)
    header, rows = parse_csv(escalations_csv([request, unknown]))
    assert header == list(ESCALATION_COLUMNS)
    assert len(rows) == 2 * len(request.by_municipality)
    first = [row for row in rows if row["reference"] == request.reference]
    assert sum(int(row["unmet"]) for row in first) == int(first[0]["total_unmet"]) == 17060
    assert [row["municipality_code"] for row in first] == ["0117", "0180", "0183", "0184", "0186"]
    assert first[0]["municipality_name"] == "Österåker"
    assert first[0]["days_of_supply"] == "1.40"
    assert {row["days_of_supply"] for row in rows if row["reference"] == "ESK-2"} == {""}


def test_csv_quotes_commas_and_neutralises_formulas() -> None:
    note = dataclasses.replace(
        small_note(), contact_name='=HYPERLINK("http://x")', contact_phone="+46 8 555 00 00"
    )
    text = delivery_notes_csv([note])
    assert '"Centralförrådet, Landsvägen 37, 172 63 Sundbyberg"' in text
    _, rows = parse_csv(text)
    assert rows[0]["address"] == "Centralförrådet, Landsvägen 37, 172 63 Sundbyberg"
    assert rows[0]["contact_name"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["contact_phone"] == "'+46 8 555 00 00"
    assert rows[0]["municipality_code"] == "0187"


def test_a_lot_named_like_a_formula_is_neutralised_in_both_csvs() -> None:
    """A lot is typed in when stock arrives: free text, so a formula in it must not run."""
    evil = '=HYPERLINK("http://evil.example/x","Klicka")'
    notes, pick_list = build_route()
    note = notes[0]
    item = note.items[0]
    lots = (dataclasses.replace(item.lots[0], lot=evil), *item.lots[1:])
    note = dataclasses.replace(note, items=(dataclasses.replace(item, lots=lots), *note.items[1:]))
    line = dataclasses.replace(pick_list.lines[0], lot=evil)
    pick_list = dataclasses.replace(pick_list, lines=(line, *pick_list.lines[1:]))
    for text in (delivery_notes_csv([note]), pick_lists_csv([pick_list])):
        _, rows = parse_csv(text)
        lots_written = {row["lot"] for row in rows if row["lot"]}
        assert "'" + evil in lots_written
        assert evil not in lots_written
        assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())


def test_csv_is_crlf_without_bom_and_encodes_with_bom_for_excel() -> None:
    text = delivery_notes_csv(build_route()[0])
    assert text.startswith("round_date,run_id,")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    data = encode_csv(text)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == text
    assert "Linnégården" in text


def test_empty_inputs_give_just_the_header() -> None:
    assert delivery_notes_csv([]) == ",".join(DELIVERY_NOTE_COLUMNS) + "\r\n"
    assert pick_lists_csv([]) == ",".join(PICK_LIST_COLUMNS) + "\r\n"
    assert escalations_csv([]) == ",".join(ESCALATION_COLUMNS) + "\r\n"


# ---------------------------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------------------------


def test_same_input_gives_the_same_bytes() -> None:
    notes, pick_list = build_route()
    request = escalation()
    assert render_delivery_note_pdf(notes[1]) == render_delivery_note_pdf(solna_note())
    assert render_pick_list_pdf(pick_list) == render_pick_list_pdf(build_route()[1])
    assert render_escalation_pdf(request) == render_escalation_pdf(escalation())
    assert delivery_notes_csv(notes) == delivery_notes_csv(build_route()[0])
    assert pick_lists_csv([pick_list]) == pick_lists_csv([build_route()[1]])
    assert escalations_csv([request]) == escalations_csv([escalation()])
    assert render_delivery_note_pdf(notes[1]) != render_delivery_note_pdf(notes[2])


RENDER_IN_CHILD = """
import hashlib, sys
from jobs.documents import render_delivery_note_pdf, render_pick_list_pdf
from tests.jobs.test_documents import build_route
notes, pick_list = build_route()
data = render_delivery_note_pdf(notes[1]) + render_pick_list_pdf(pick_list)
sys.stdout.write(hashlib.sha256(data).hexdigest())
"""


def test_pdf_bytes_do_not_depend_on_the_process() -> None:
    notes, pick_list = build_route()
    here = hashlib.sha256(render_delivery_note_pdf(notes[1]) + render_pick_list_pdf(pick_list))
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    child = subprocess.run(
        [sys.executable, "-c", RENDER_IN_CHILD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert child.stdout == here.hexdigest()
