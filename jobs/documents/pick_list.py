"""The pick list (plocklista) for one route, as an A4 landscape PDF in Swedish.

One row per item and lot, sorted by item and then first expiry first (FEFO), with a box to tick
("Plockat"), packs and units, and how many packs of the row go to each stop: one column per stop
when the route's stops fit across the page, otherwise a section per stop after the main table.
The header shows the stops in driving order and the load against the vehicle's capacity.
"""

from __future__ import annotations

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from jobs.documents.formatting import fmt_date, fmt_decimal, fmt_int, fmt_timestamp
from jobs.documents.layout import (
    ACCENT,
    ALERT,
    BOLD,
    FONT,
    HEADER_FILL,
    INK,
    LANDSCAPE_WIDTH,
    RULE,
    Cell,
    CheckBox,
    build_pdf,
    code_cell,
    data_table,
    facts_table,
    heading,
    organisation,
    para,
    signature_block,
    title_block,
)
from jobs.documents.model import PickList, PickListLine, PickListStop
from jobs.documents.ordering import sorted_pick_lines

__all__ = ["render_pick_list_pdf", "stop_columns_fit"]

BASE_WIDTHS = [14 * mm, 22 * mm, 45 * mm, 31 * mm, 21 * mm, 18 * mm, 14 * mm, 22 * mm]
STOP_WIDTHS = [14 * mm, 23 * mm, LANDSCAPE_WIDTH - 114 * mm, 38 * mm, 21 * mm, 18 * mm]
MIN_STOP_WIDTH = 11 * mm
LOT_ROOM = 12 * mm
MAX_STOP_COLUMNS = int((LANDSCAPE_WIDTH - sum(BASE_WIDTHS)) // MIN_STOP_WIDTH)


def stop_columns_fit(pick_list: PickList) -> bool:
    """Whether every stop gets its own column across the page."""
    return len(pick_list.stops) <= MAX_STOP_COLUMNS


def render_pick_list_pdf(pick_list: PickList) -> bytes:
    """The pick list as PDF bytes (A4 landscape; the same list gives the same bytes)."""
    lines = sorted_pick_lines(pick_list.lines)
    story: list[Flowable] = [
        *title_block(
            "Plocklista",
            f"Leveransdag {fmt_date(pick_list.round_date)} · Rutt {pick_list.route_code}",
            LANDSCAPE_WIDTH,
            issuer=pick_list.issuer,
        ),
        _header(pick_list, lines),
        heading("Att plocka – kortast hållbarhet först (FEFO)"),
    ]
    if stop_columns_fit(pick_list):
        story.append(_lines_table(lines, pick_list.stops))
    else:
        story.append(_lines_table(lines, ()))
        story += _per_stop_sections(lines, pick_list.stops)
    story += [
        signature_block(
            ["Plockat av", "Kontrollerat och lastat av"],
            note="Bocka av varje rad när den är plockad; stäm av antal frp per stopp vid lastning.",
            width=LANDSCAPE_WIDTH,
        ),
    ]
    return build_pdf(
        story,
        title=f"Plocklista rutt {pick_list.route_code} {fmt_date(pick_list.round_date)}",
        subject=f"Plocklista, körning {pick_list.run_id}",
        running_header=(
            f"Plocklista · {fmt_date(pick_list.round_date)} · Rutt {pick_list.route_code} · "
            f"Fordon {pick_list.vehicle}"
        ),
        footer=(
            f"Fördela · {organisation(pick_list.issuer)} · körning {pick_list.run_id} · "
            f"utfärdad {fmt_timestamp(pick_list.issued_at)}"
        ),
        pagesize=landscape(A4),
        issuer=pick_list.issuer,
    )


def _header(pick_list: PickList, lines: list[PickListLine]) -> Table:
    facts = facts_table(
        [
            ("Leveransdag", fmt_date(pick_list.round_date)),
            ("Rutt · fordon", f"{pick_list.route_code} · {pick_list.vehicle}"),
            ("Körning", pick_list.run_id),
            ("Utfärdad", fmt_timestamp(pick_list.issued_at)),
        ],
        62 * mm,
    )
    stops = _stops_table(pick_list.stops, lines)
    load = [para("Lastvolym", "label"), _load_bar(pick_list.load_l, pick_list.capacity_l)]
    table = Table(
        [[facts, stops, load]],
        colWidths=[62 * mm, 110 * mm, LANDSCAPE_WIDTH - 172 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("LEFTPADDING", (2, 0), (2, 0), 10),
            ]
        )
    )
    return table


def _stops_table(stops: tuple[PickListStop, ...], lines: list[PickListLine]) -> Table:
    rows: list[list[Cell]] = [
        [
            str(stop.stop_number),
            f"{stop.municipality_name} ({stop.municipality_code})",
            fmt_int(sum(line.packs_for(stop.stop_number) for line in lines)),
        ]
        for stop in stops
    ]
    return data_table(
        ["Stopp", "Mottagare (kommun)", "Frp"], rows, [14 * mm, 70 * mm, 22 * mm], numeric=(0, 2)
    )


def _load_bar(load_l: float, capacity_l: float) -> Drawing:
    width, height = 80 * mm, 42
    share = load_l / capacity_l if capacity_l > 0 else 1.0
    over = load_l > capacity_l
    text_colour = ALERT if over else INK
    note = "överskrider fordonets kapacitet!" if over else "av fordonets kapacitet"
    drawing = Drawing(width, height)
    drawing.add(
        String(
            0,
            30,
            f"{fmt_decimal(load_l)} l av {fmt_decimal(capacity_l)} l",
            fontName=BOLD,
            fontSize=11,
            fillColor=text_colour,
        )
    )
    drawing.add(Rect(0, 15, width, 9, fillColor=HEADER_FILL, strokeColor=RULE, strokeWidth=0.5))
    drawing.add(
        Rect(
            0, 15, width * min(share, 1.0), 9, fillColor=ALERT if over else ACCENT, strokeColor=None
        )
    )
    drawing.add(
        String(
            0, 2, f"{round(share * 100)} % {note}", fontName=FONT, fontSize=8, fillColor=text_colour
        )
    )
    return drawing


def _line_widths(stops: int) -> list[float]:
    """The columns of the pick table. The stop columns share what the others leave (without
    stop columns the name column takes it), so the table spans the page; with few stops the
    lot column first takes what makes a long lot print at full size."""
    widths = list(BASE_WIDTHS)
    spare = LANDSCAPE_WIDTH - sum(BASE_WIDTHS)
    if not stops:
        widths[2] += spare
        return widths
    lot_room = min(LOT_ROOM, max(0.0, spare - stops * MIN_STOP_WIDTH * 1.5))
    widths[3] += lot_room
    return widths + [(spare - lot_room) / stops] * stops


def _lines_table(lines: list[PickListLine], stops: tuple[PickListStop, ...]) -> Table:
    header = ["Plockat", "Artikel", "Benämning", "Lot/batch", "Bäst före", "Förp.", "Frp", "Antal"]
    header += [f"Stopp {stop.stop_number}" for stop in stops]
    widths = _line_widths(len(stops))
    rows: list[list[Cell]] = []
    group_starts: list[int] = []
    previous = None
    for line in lines:
        if line.item_code != previous:
            group_starts.append(len(rows))
        previous = line.item_code
        rows.append(
            [
                CheckBox(),
                code_cell(line.item_code, widths[1]),
                para(line.item_name, "cell"),
                code_cell(line.lot, widths[3]),
                fmt_date(line.expiry),
                f"à {fmt_int(line.pack_size)} {line.unit}",
                fmt_int(line.packs),
                f"{fmt_int(line.units)} {line.unit}",
                *[_blank_zero(line.packs_for(stop.stop_number)) for stop in stops],
            ]
        )
    # Packs of different sizes add up only as parcels to count on the load, not as a quantity.
    rows.append(
        [
            "",
            "Kolli totalt",
            "",
            "",
            "",
            "",
            fmt_int(sum(line.packs for line in lines)),
            "",
            *[fmt_int(sum(line.packs_for(s.stop_number) for line in lines)) for s in stops],
        ]
    )
    first_stop = len(BASE_WIDTHS)
    return data_table(
        header,
        rows,
        widths,
        numeric=(6, 7, *range(first_stop, first_stop + len(stops))),
        centered=(0,),
        group_starts=group_starts,
        total_row=True,
        extra_style=[
            ("FONT", (6, 1), (6, -1), BOLD, 10),
            ("LINEBEFORE", (first_stop, 0), (first_stop, -1), 0.8, ACCENT),
            ("ALIGN", (5, 1), (5, -1), "RIGHT"),
        ],
    )


def _blank_zero(packs: int) -> str:
    return fmt_int(packs) if packs else ""


def _per_stop_sections(
    lines: list[PickListLine], stops: tuple[PickListStop, ...]
) -> list[Flowable]:
    parts: list[Flowable] = [heading("Lastning per stopp")]
    for stop in stops:
        rows: list[list[Cell]] = [
            [
                CheckBox(),
                code_cell(line.item_code, STOP_WIDTHS[1]),
                para(line.item_name, "cell"),
                code_cell(line.lot, STOP_WIDTHS[3]),
                fmt_date(line.expiry),
                fmt_int(line.packs_for(stop.stop_number)),
            ]
            for line in lines
            if line.packs_for(stop.stop_number)
        ]
        title = f"Stopp {stop.stop_number}: {stop.municipality_name} ({stop.municipality_code})"
        table = data_table(
            ["Lastat", "Artikel", "Benämning", "Lot/batch", "Bäst före", "Frp"],
            rows or [["", "", para("Inget att lasta", "small"), "", "", ""]],
            STOP_WIDTHS,
            numeric=(5,),
            centered=(0,),
        )
        parts.append(KeepTogether([para(title, "cell_bold"), Spacer(1, 2), table, Spacer(1, 6)]))
    return parts
