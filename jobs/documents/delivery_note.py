"""The delivery note (följesedel) for one stop of a route, as an A4 portrait PDF in Swedish.

Page 1 opens with the round, route and stop, the receiving point and its contact, and the
confirmation code both printed large and as a QR code (see :func:`delivery_confirmation_payload`).
Then the items (packs, units, lot and expiry), a box for discrepancies and the signature boxes
"Levererat av" / "Mottaget av" right under them; after them the breakdown per care home (säbo).
Tables continue across pages with their header repeated; every page says "Sida X av N" and,
after page 1, which stop it is.
"""

from __future__ import annotations

from itertools import groupby
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from jobs.documents.formatting import (
    confirmation_payload,
    fmt_date,
    fmt_int,
    fmt_timestamp,
)
from jobs.documents.layout import (
    ACCENT,
    BOLD,
    CONTENT_WIDTH,
    RULE,
    STYLES,
    Cell,
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
from jobs.documents.model import DeliveryNote, StopItemLine
from jobs.documents.ordering import care_home_lines

__all__ = ["delivery_confirmation_payload", "render_delivery_note_pdf"]

QR_SIZE = 32 * mm
RECEIPT_HEIGHT = 75 * mm
"""Room the discrepancy box and the signatures take (the box moves to a new page without it)."""
ITEM_WIDTHS = [23 * mm, 45 * mm, 17 * mm, 13 * mm, 22 * mm, 38 * mm, 22 * mm]
HOME_WIDTHS = [60 * mm, 23 * mm, 51 * mm, 18 * mm, 28 * mm]
CODE_STYLE = ParagraphStyle(
    "code", fontName=BOLD, fontSize=20, leading=24, alignment=TA_CENTER, textColor=ACCENT
)


def delivery_confirmation_payload(note: DeliveryNote) -> str:
    """What the note's QR code encodes: ``FORDELA:<run_id>:<route>:<stop>:<code>``."""
    return confirmation_payload(
        note.run_id, note.route_code, note.stop_number, note.confirmation_code
    )


def stop_label(note: DeliveryNote) -> str:
    """``Stopp 2 av 5``."""
    return f"Stopp {note.stop_number} av {note.stop_count}"


def render_delivery_note_pdf(note: DeliveryNote) -> bytes:
    """The delivery note as PDF bytes (A4 portrait; the same note gives the same bytes)."""
    story: list[Flowable] = [
        *title_block(
            "Följesedel",
            f"Leveransdag {fmt_date(note.round_date)} · {stop_label(note)}",
            issuer=note.issuer,
        ),
        _header(note),
        heading("Artiklar"),
        _items_table(note.items),
        # The receipt is signed for the items above, so it follows them, not the per-home
        # breakdown (Stockholm's runs to two dozen pages); the break keeps the boxes together.
        CondPageBreak(RECEIPT_HEIGHT),
        heading("Avvikelser"),
        _discrepancy_box(),
        signature_block(
            ["Levererat av", "Mottaget av"],
            note=(
                "Kontrollera antal förpackningar mot listan ovan, notera brist eller skada "
                "under Avvikelser och registrera mottagningen i Fördela med kvittenskod "
                f"{note.confirmation_code}."
            ),
        ),
    ]
    if note.care_homes:
        story += [
            # A heading with no room for its table under it moves to the next page with it.
            CondPageBreak(45 * mm),
            heading("Bilaga: fördelning per säbo"),
            para("Mottagande kommun fördelar leveransen vidare enligt tabellen.", "small"),
            Spacer(1, 3),
            _care_home_table(note),
        ]
    where = f"{note.municipality_code} {note.municipality_name}"
    return build_pdf(
        story,
        title=f"Följesedel {note.route_code} {stop_label(note)} – {where}",
        subject=f"Leverans {fmt_date(note.round_date)}, körning {note.run_id}",
        running_header=(
            f"Följesedel · {fmt_date(note.round_date)} · Rutt {note.route_code} · "
            f"{stop_label(note)} · {where} · Kod {note.confirmation_code}"
        ),
        footer=(
            f"Fördela · {organisation(note.issuer)} · körning {note.run_id} · "
            f"utfärdad {fmt_timestamp(note.issued_at)}"
        ),
        issuer=note.issuer,
    )


def _header(note: DeliveryNote) -> Table:
    route = facts_table(
        [
            ("Leveransdag", fmt_date(note.round_date)),
            ("Rutt · fordon", f"{note.route_code} · {note.vehicle}"),
            ("Stopp", stop_label(note)),
            ("Körning", note.run_id),
            ("Utfärdad", fmt_timestamp(note.issued_at)),
        ],
        50 * mm,
    )
    place = facts_table(
        [
            ("Mottagningsplats", f"{note.municipality_name} kommun ({note.municipality_code})"),
            ("Adress", note.address),
            ("Kontaktperson", f"{note.contact_name}\n{note.contact_phone}"),
        ],
        70 * mm,
    )
    code = [
        _qr(delivery_confirmation_payload(note)),
        Paragraph(
            "Kvittenskod",
            ParagraphStyle("code_label", parent=STYLES["label"], alignment=TA_CENTER),
        ),
        Paragraph(escape(note.confirmation_code), CODE_STYLE),
    ]
    table = Table([[route, place, code]], colWidths=[52 * mm, 76 * mm, CONTENT_WIDTH - 128 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (2, 0), (2, 0), "CENTER"),
                ("LEFTPADDING", (0, 0), (1, 0), 0),
                ("BOX", (2, 0), (2, 0), 1, ACCENT),
                ("LINEBEFORE", (1, 0), (1, 0), 0.5, RULE),
                ("LEFTPADDING", (1, 0), (1, 0), 8),
            ]
        )
    )
    return table


def _qr(payload: str) -> Drawing:
    widget = QrCodeWidget(payload, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(
        QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x2 - x1), 0, 0, QR_SIZE / (y2 - y1), 0, 0]
    )
    drawing.add(widget)
    return drawing


def _items_table(items: tuple[StopItemLine, ...]) -> Table:
    rows: list[list[Cell]] = []
    group_starts: list[int] = []
    lot_rows: list[int] = []
    for item in items:
        group_starts.append(len(rows))
        single = item.lots[0] if len(item.lots) == 1 else None
        rows.append(
            [
                code_cell(item.item_code, ITEM_WIDTHS[0]),
                para(item.item_name, "cell"),
                f"à {fmt_int(item.pack_size)} {item.unit}",
                fmt_int(item.packs),
                f"{fmt_int(item.units)} {item.unit}",
                code_cell(single.lot, ITEM_WIDTHS[5])
                if single
                else ("–" if not item.lots else "se nedan"),
                fmt_date(single.expiry) if single else "",
            ]
        )
        if len(item.lots) > 1:
            for lot in item.lots:
                lot_rows.append(len(rows))
                rows.append(
                    [
                        "",
                        para("varav lot", "small"),
                        "",
                        fmt_int(lot.packs),
                        f"{fmt_int(lot.units)} {item.unit}",
                        code_cell(lot.lot, ITEM_WIDTHS[5]),
                        fmt_date(lot.expiry),
                    ]
                )
    # Packs of different sizes add up only as parcels to count on the load, not as a quantity.
    rows.append(["Kolli totalt", "", "", fmt_int(sum(i.packs for i in items)), "", "", ""])
    return data_table(
        ["Artikel", "Benämning", "Förp.", "Frp", "Antal", "Lot/batch", "Bäst före"],
        rows,
        ITEM_WIDTHS,
        numeric=(2, 3, 4),
        group_starts=group_starts,
        total_row=True,
        extra_style=[
            ("FONT", (3, 1), (3, -1), BOLD, 9.5),
            *[("LINEABOVE", (0, r + 1), (-1, r + 1), 0, RULE) for r in lot_rows],
            *[("TEXTCOLOR", (2, r + 1), (-1, r + 1), STYLES["small"].textColor) for r in lot_rows],
            *[("FONT", (3, r + 1), (3, r + 1), "Helvetica", 8.5) for r in lot_rows],
        ],
    )


def _care_home_table(note: DeliveryNote) -> Table:
    units_of = {item.item_code: item.unit for item in note.items}
    rows: list[list[Cell]] = []
    groups: list[tuple[int, int]] = []
    for key, lines in groupby(care_home_lines(note), lambda h: (h.care_home_name, h.care_home_id)):
        start = len(rows)
        for home in lines:
            rows.append(
                [
                    _home_cell(*key) if len(rows) == start else "",
                    code_cell(home.item_code, HOME_WIDTHS[1]),
                    para(home.item_name, "cell"),
                    fmt_int(home.packs),
                    f"{fmt_int(home.units)} {units_of[home.item_code]}",
                ]
            )
        groups.append((start, len(rows) - 1))
    # A spanned name cell keeps each care home's rows together on one page.
    return data_table(
        ["Säbo", "Artikel", "Benämning", "Frp", "Antal"],
        rows,
        HOME_WIDTHS,
        numeric=(3, 4),
        group_starts=[start for start, _ in groups],
        extra_style=[
            ("VALIGN", (0, 1), (0, -1), "TOP"),
            ("FONT", (3, 1), (3, -1), BOLD, 9),
            *[("SPAN", (0, first + 1), (0, last + 1)) for first, last in groups],
        ],
    )


def _home_cell(name: str, home_id: str) -> list[Flowable]:
    return [para(name, "cell_bold"), para(home_id, "small")]


def _discrepancy_box() -> Table:
    rows = [[para("Artikel, antal frp, brist eller skada, orsak", "label")]]
    rows += [[""] for _ in range(3)]
    table = Table(rows, colWidths=[CONTENT_WIDTH], rowHeights=[12, 18, 18, 18])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, ACCENT),
                ("LINEBELOW", (0, 1), (-1, -2), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, 0), "TOP"),
            ]
        )
    )
    return table
