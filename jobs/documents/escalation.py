"""The request for support (begäran om stöd) to Socialstyrelsen: A4 PDF and a JSON document.

One request per item with unmet need after an approved run: the total unmet, the region's stock,
days of supply, the number of care homes with confirmed cases that are short, and the breakdown
by municipality (in the order of the official municipality codes, the same in every format).

The JSON form (:func:`escalation_to_json`) is what the outbox sends; its keys are the dataclass's
field names plus ``schema``, always in the same order, dates and timestamps in ISO 8601.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

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
    signature_block,
    title_block,
)
from jobs.documents.model import EscalationRequest
from jobs.documents.ordering import municipality_rows

__all__ = [
    "ESCALATION_SCHEMA",
    "escalation_to_json",
    "render_escalation_pdf",
]

ESCALATION_SCHEMA = "fordela.escalation/1"
RECIPIENT = "Socialstyrelsen"
SENDER = "Länsstyrelsen Stockholm, regional samordning av skyddsutrustning"
FIGURE_STYLE = ParagraphStyle(
    "figure", fontName=BOLD, fontSize=16, leading=19, alignment=TA_CENTER, textColor=ACCENT
)
FIGURE_LABEL = ParagraphStyle("figure_label", parent=STYLES["label"], alignment=TA_CENTER)
MUNICIPALITY_WIDTHS = [22 * mm, 50 * mm, 34 * mm, 26 * mm, 30 * mm, 18 * mm]


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
    }


def days_of_supply_text(request: EscalationRequest) -> str:
    """``1,4 dagar``, or ``okänt`` when the daily use is not known."""
    if request.days_of_supply is None:
        return "okänt"
    return f"{fmt_decimal(request.days_of_supply)} dagar"


def render_escalation_pdf(request: EscalationRequest) -> bytes:
    """The request as PDF bytes (A4 portrait; the same request gives the same bytes)."""
    unit = request.unit
    story: list[Flowable] = [
        *title_block("Begäran om stöd", f"Till {RECIPIENT} · Ref. {request.reference}"),
        _header(request),
        Spacer(1, 4),
        para(
            f"{SENDER.split(',')[0]} begär stöd med {request.item_name} ({request.item_code}). "
            f"Efter fördelningen för leveransdag {fmt_date(request.round_date)} kunde "
            f"{fmt_int(request.total_unmet)} {unit} av behovet hos länets särskilda boenden "
            "(säbo) inte tillgodoses ur regionens lager. Fördelningen för dagen är gjord efter "
            "behov; resterande behov per kommun framgår nedan."
        ),
        Spacer(1, 8),
        _figures(request),
        Spacer(1, 6),
        # Signed under the request it signs: after all 26 municipalities it sat alone on page 2.
        signature_block(
            ["För Länsstyrelsen Stockholm"],
            note="Svar och leveranser registreras i Fördela mot referensen ovan.",
        ),
        heading("Ej tillgodosett behov per kommun"),
        _municipality_table(request),
    ]
    return build_pdf(
        story,
        title=f"Begäran om stöd {request.reference} – {request.item_name}",
        subject=f"Till {RECIPIENT}, leveransdag {fmt_date(request.round_date)}",
        running_header=(
            f"Begäran om stöd · Ref. {request.reference} · {request.item_name} · "
            f"{fmt_date(request.round_date)}"
        ),
        footer=(
            f"Fördela · Länsstyrelsen Stockholm · körning {request.run_id} · "
            f"skapad {fmt_timestamp(request.created_at)}"
        ),
    )


def _header(request: EscalationRequest) -> Table:
    left = facts_table(
        [("Till", RECIPIENT), ("Från", SENDER), ("Referens", request.reference)], 100 * mm
    )
    right = facts_table(
        [
            ("Artikel", f"{request.item_name} ({request.item_code})"),
            ("Leveransdag · körning", f"{fmt_date(request.round_date)} · {request.run_id}"),
            ("Skapad", fmt_timestamp(request.created_at)),
        ],
        CONTENT_WIDTH - 100 * mm,
    )
    table = Table([[left, right]], colWidths=[100 * mm, CONTENT_WIDTH - 100 * mm])
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, 0), 0)])
    )
    return table


def _figures(request: EscalationRequest) -> Table:
    figures = [
        ("Ej tillgodosett behov", f"{fmt_int(request.total_unmet)} {request.unit}"),
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


def _municipality_table(request: EscalationRequest) -> Table:
    total = request.total_unmet
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
