"""The request for support (begäran om stöd) to the national agency: A4 PDF and a JSON document.

One open request per item the region cannot cover, updated round by round: what is asked (the
running balance), the homes' shortfall and the region's free stock that covers part of it, the
region's stock and days of supply, the care homes with confirmed cases that are short, the
breakdown by municipality (in the order of the official municipality codes, the same in every
format), who to contact and where to deliver (the region's settings), and the history per round.
Times are printed as the mapping gives them (local time, Europe/Stockholm).

The JSON form (:func:`escalation_to_json`) is what the outbox sends; its keys are the dataclass's
field names plus ``schema``, always in the same order, dates and timestamps in ISO 8601.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from data.reference.region import RegionSettings
from jobs.documents.formatting import fmt_date, fmt_decimal, fmt_int, fmt_timestamp
from jobs.documents.layout import (
    ACCENT,
    BOLD,
    CONTENT_WIDTH,
    HEADER_FILL,
    STYLES,
    Cell,
    build_pdf,
    data_table,
    facts_table,
    heading,
    para,
    signature_parts,
    title_block,
)
from jobs.documents.model import EscalationRequest, RegionContact
from jobs.documents.ordering import municipality_rows

__all__ = [
    "ESCALATION_SCHEMA",
    "escalation_to_json",
    "render_escalation_pdf",
]

ESCALATION_SCHEMA = "fordela.escalation/1"
FIGURE_STYLE = ParagraphStyle(
    "figure", fontName=BOLD, fontSize=16, leading=19, alignment=TA_CENTER, textColor=ACCENT
)
FIGURE_LABEL = ParagraphStyle("figure_label", parent=STYLES["label"], alignment=TA_CENTER)
MUNICIPALITY_WIDTHS = [22 * mm, 50 * mm, 34 * mm, 26 * mm, 30 * mm, 18 * mm]
HISTORY_WIDTHS = [24 * mm, 26 * mm, 30 * mm, 30 * mm, 26 * mm, 22 * mm, 22 * mm]
NOT_GIVEN = "ej angivet"


def region_of(request: EscalationRequest) -> RegionContact:
    """The request's sender; the region's settings without a contact when the mapping gave
    none."""
    if request.region is not None:
        return request.region
    region = RegionSettings()
    return RegionContact(
        region=region.name,
        authority=region.authority,
        unit=region.unit,
        agency=region.agency_name,
    )


def _sender(region: RegionContact) -> str:
    return f"{region.authority}, {region.unit}" if region.unit else region.authority


def escalation_to_json(request: EscalationRequest) -> dict[str, Any]:
    """The request as a JSON-ready dict with stable keys (``json.dumps`` needs no default)."""
    return {
        "schema": ESCALATION_SCHEMA,
        "reference": request.reference,
        "round_date": request.round_date.isoformat(),
        "run_id": request.run_id,
        "item_code": request.item_code,
        "item_name": request.item_name,
        "unit": request.unit,
        "total_unmet": request.total_unmet,
        "region_stock": request.region_stock,
        "days_of_supply": request.days_of_supply,
        "homes_with_confirmed_cases": request.homes_with_confirmed_cases,
        "by_municipality": [
            {
                "municipality_code": row.municipality_code,
                "municipality_name": row.municipality_name,
                "unmet": row.unmet,
                "homes_short": row.homes_short,
                "homes_confirmed": row.homes_confirmed,
            }
            for row in municipality_rows(request)
        ],
        "created_at": request.created_at.isoformat(),
        "version": request.version,
        "updated_at": (request.updated_at or request.created_at).isoformat(),
        "status": request.status,
        "closed": request.closed,
        "homes_shortfall": (
            request.total_unmet if request.homes_shortfall is None else request.homes_shortfall
        ),
        "free_stock": request.free_stock,
        "received_units": request.received_units,
        "outstanding": request.outstanding,
        "sender": _region_json(region_of(request)),
        "history": [
            {
                "version": row.version,
                "round_date": row.round_date.isoformat(),
                "run_id": row.run_id,
                "extra_round": row.extra,
                "unmet": row.unmet,
                "homes_shortfall": row.homes_shortfall,
                "region_stock": row.region_stock,
                "days_of_supply": row.days_of_supply,
                "balance": row.balance,
                "received_units": row.received_units,
            }
            for row in request.history
        ],
    }


def _region_json(region: RegionContact) -> dict[str, Any]:
    return {
        "region": region.region,
        "authority": region.authority,
        "unit": region.unit,
        "recipient": region.agency,
        "contact_name": region.contact_name,
        "contact_phone": region.contact_phone,
        "contact_email": region.contact_email,
        "delivery_address": region.delivery_address,
    }


def days_of_supply_text(request: EscalationRequest) -> str:
    """``1,4 dagar``, or ``okänt`` when the daily use is not known."""
    if request.days_of_supply is None:
        return "okänt"
    return f"{fmt_decimal(request.days_of_supply)} dagar"


def _asked(request: EscalationRequest) -> int:
    return request.total_unmet if request.outstanding is None else request.outstanding


def _summary_text(request: EscalationRequest, region: RegionContact) -> str:
    unit = request.unit
    shortfall = request.total_unmet if request.homes_shortfall is None else request.homes_shortfall
    text = (
        f"{region.authority} begär stöd med {request.item_name} ({request.item_code}). "
        f"Efter fördelningen för leveransdag {fmt_date(request.round_date)} saknade länets "
        f"särskilda boenden (säbo) {fmt_int(shortfall)} {unit}."
    )
    if request.free_stock:
        covered = min(request.free_stock, shortfall)
        text += f" Av det täcker regionens lediga lager {fmt_int(covered)} {unit}."
    if request.closed:
        return text + " Regionen täcker nu behovet själv; begäran är avslutad."
    text += (
        f" Regionen kan inte täcka {fmt_int(_asked(request))} {unit}: det är vad vi begär. "
        "Fördelningen är gjord efter behov; bristen per kommun framgår nedan."
    )
    if request.version > 1:
        text += (
            f" Begäran är öppen sedan leveransdag {fmt_date(request.history[0].round_date)} "
            f"och uppdateras varje omgång (uppdatering {request.version})"
            if request.history
            else f" Uppdatering {request.version} av begäran"
        )
        text += (
            f"; mottaget från {region.agency} hittills: {fmt_int(request.received_units)} {unit}."
        )
    return text


def render_escalation_pdf(request: EscalationRequest) -> bytes:
    """The request as PDF bytes (A4 portrait; the same request gives the same bytes)."""
    region = region_of(request)
    story: list[Flowable] = [
        *title_block("Begäran om stöd", f"Till {region.agency} · Ref. {request.reference}"),
        _header(request, region),
        Spacer(1, 4),
        # The request, its figures, who to call and the signature stay on one page together.
        KeepTogether(
            [
                para(_summary_text(request, region)),
                Spacer(1, 8),
                _figures(request),
                Spacer(1, 6),
                _contact(region),
                Spacer(1, 6),
                *signature_parts(
                    [f"För {region.authority}"],
                    note="Svar och leveranser registreras i Fördela mot referensen ovan.",
                ),
            ]
        ),
        heading("Ej tillgodosett behov per kommun (brist hos boendena)"),
        _municipality_table(request),
    ]
    if len(request.history) > 1:
        story += [heading("Historik per omgång"), _history_table(request)]
    return build_pdf(
        story,
        title=f"Begäran om stöd {request.reference} – {request.item_name}",
        subject=f"Till {region.agency}, leveransdag {fmt_date(request.round_date)}",
        running_header=(
            f"Begäran om stöd · Ref. {request.reference} · {request.item_name} · "
            f"{fmt_date(request.round_date)}"
        ),
        footer=(
            f"Fördela · {region.authority} · körning {request.run_id} · "
            f"skapad {fmt_timestamp(request.created_at)}"
            + (
                f" · uppdaterad {fmt_timestamp(request.updated_at)}"
                if request.updated_at is not None and request.version > 1
                else ""
            )
        ),
    )


def _header(request: EscalationRequest, region: RegionContact) -> Table:
    left = facts_table(
        [
            ("Till", region.agency),
            ("Från", _sender(region)),
            (
                "Referens",
                request.reference
                + (f" · uppdatering {request.version}" if request.version > 1 else ""),
            ),
        ],
        100 * mm,
    )
    right = facts_table(
        [
            ("Artikel", f"{request.item_name} ({request.item_code})"),
            ("Leveransdag · körning", f"{fmt_date(request.round_date)} · {request.run_id}"),
            (
                "Uppdaterad" if request.version > 1 else "Skapad",
                fmt_timestamp(request.updated_at or request.created_at),
            ),
        ],
        CONTENT_WIDTH - 100 * mm,
    )
    table = Table([[left, right]], colWidths=[100 * mm, CONTENT_WIDTH - 100 * mm])
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, 0), 0)])
    )
    return table


def _contact(region: RegionContact) -> Table:
    half = CONTENT_WIDTH / 2
    left = facts_table(
        [
            ("Kontaktperson", region.contact_name or NOT_GIVEN),
            ("Telefon", region.contact_phone or NOT_GIVEN),
            ("E-post", region.contact_email or NOT_GIVEN),
        ],
        half,
    )
    right = facts_table(
        [("Leveransadress", region.delivery_address or NOT_GIVEN), ("Län", region.region or "–")],
        half,
    )
    table = Table([[left, right]], colWidths=[half, half])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.5, HEADER_FILL),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _figures(request: EscalationRequest) -> Table:
    figures = [
        (
            "Begärt (kan inte täckas)",
            f"{fmt_int(0 if request.closed else _asked(request))} {request.unit}",
        ),
        ("Regionens lager", f"{fmt_int(request.region_stock)} {request.unit}"),
        ("Räcker i", days_of_supply_text(request)),
        ("Säbo med bekräftad smitta som berörs", fmt_int(request.homes_with_confirmed_cases)),
    ]
    cells = [
        [Paragraph(escape(value), FIGURE_STYLE), Paragraph(escape(label), FIGURE_LABEL)]
        for label, value in figures
    ]
    table = Table([cells], colWidths=[CONTENT_WIDTH / len(figures)] * len(figures))
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), HEADER_FILL),
                ("LINEBEFORE", (1, 0), (-1, 0), 1.5, "white"),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _history_table(request: EscalationRequest) -> Table:
    unit = request.unit
    rows: list[list[Cell]] = [
        [
            fmt_date(row.round_date) + (" (extra)" if row.extra else ""),
            f"{fmt_int(row.homes_shortfall)} {unit}",
            f"{fmt_int(row.unmet)} {unit}",
            f"{fmt_int(row.region_stock)} {unit}",
            "okänt" if row.days_of_supply is None else fmt_decimal(row.days_of_supply),
            f"{fmt_int(row.received_units)} {unit}",
            f"{fmt_int(row.balance)} {unit}",
        ]
        for row in request.history
    ]
    return data_table(
        [
            "Leveransdag",
            "Brist hos boendena",
            "Kan inte täckas",
            "Regionens lager",
            "Dagar",
            "Mottaget",
            "Saldo",
        ],
        rows,
        HISTORY_WIDTHS,
        numeric=(1, 2, 3, 4, 5, 6),
    )


def _municipality_table(request: EscalationRequest) -> Table:
    total = request.total_unmet if request.homes_shortfall is None else request.homes_shortfall
    rows: list[list[Cell]] = [
        [
            row.municipality_code,
            para(row.municipality_name, "cell"),
            f"{fmt_int(row.unmet)} {request.unit}",
            fmt_int(row.homes_short),
            fmt_int(row.homes_confirmed),
            f"{round(100 * row.unmet / total)} %" if total else "–",
        ]
        for row in municipality_rows(request)
    ]
    rows.append(
        [
            "",
            "Summa",
            f"{fmt_int(total)} {request.unit}",
            fmt_int(sum(row.homes_short for row in request.by_municipality)),
            fmt_int(request.homes_with_confirmed_cases),
            "100 %" if total else "–",
        ]
    )
    return data_table(
        [
            "Kommunkod",
            "Kommun",
            "Ej tillgodosett",
            "Säbo med brist",
            "varav bekräftad smitta",
            "Andel",
        ],
        rows,
        MUNICIPALITY_WIDTHS,
        numeric=(2, 3, 4, 5),
        total_row=True,
    )
