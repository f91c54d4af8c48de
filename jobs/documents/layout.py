"""The shared look of the printed documents: page, fonts, tables, signature boxes, page numbers.

Every document is A4 with 15 mm side margins, the built-in Helvetica (its WinAnsi encoding covers
å ä ö é), a title block on page 1, a running header on later pages and a footer with
"Sida X av N". Tables repeat their header row when they continue on the next page. PDFs are built
with reportlab's ``invariant`` flag, so the same input gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from io import BytesIO
from typing import Any, TypeAlias
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from data.reference.region import RegionSettings

__all__ = [
    "CONTENT_WIDTH",
    "LANDSCAPE_WIDTH",
    "Cell",
    "CheckBox",
    "build_pdf",
    "code_cell",
    "data_table",
    "facts_table",
    "heading",
    "organisation",
    "para",
    "signature_block",
    "signature_parts",
    "title_block",
]

SYSTEM = "Fördela"
TAGLINE = "Regional fördelning av skyddsutrustning"

MARGIN = 15 * mm
TOP_MARGIN = 20 * mm
BOTTOM_MARGIN = 18 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN
LANDSCAPE_WIDTH = A4[1] - 2 * MARGIN

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
ACCENT = colors.HexColor("#1f3b5c")
HEADER_FILL = colors.HexColor("#dfe5ec")
ZEBRA_FILL = colors.HexColor("#f4f6f8")
RULE = colors.HexColor("#9aa5b1")
ALERT = colors.HexColor("#a61b1b")

FONT = "Helvetica"
BOLD = "Helvetica-Bold"

STYLES: dict[str, ParagraphStyle] = {
    "body": ParagraphStyle("body", fontName=FONT, fontSize=9, leading=11.5, textColor=INK),
    "small": ParagraphStyle("small", fontName=FONT, fontSize=7.5, leading=9, textColor=MUTED),
    "cell": ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=10, textColor=INK),
    "cell_bold": ParagraphStyle("cell_bold", fontName=BOLD, fontSize=8.5, leading=10),
    "head_cell": ParagraphStyle("head_cell", fontName=BOLD, fontSize=8, leading=9.5),
    "head_cell_right": ParagraphStyle(
        "head_cell_right", fontName=BOLD, fontSize=8, leading=9.5, alignment=TA_RIGHT
    ),
    "h2": ParagraphStyle(
        "h2", fontName=BOLD, fontSize=11, leading=14, textColor=ACCENT, spaceBefore=8, spaceAfter=4
    ),
    "label": ParagraphStyle("label", fontName=FONT, fontSize=7.5, leading=9, textColor=MUTED),
    "value": ParagraphStyle("value", fontName=BOLD, fontSize=9.5, leading=12, textColor=INK),
}

Cell: TypeAlias = str | Flowable
"""A table cell: plain text (one line, never wraps) or a flowable such as a wrapping Paragraph."""


def para(text: str, style: str = "body") -> Paragraph:
    """A paragraph of plain text (escaped, so ``&`` and ``<`` in names print as they are)."""
    return Paragraph(escape(text).replace("\n", "<br/>"), STYLES[style])


CELL_PADDING = 3
"""Left and right padding of a ``data_table`` cell, in points."""
SMALLEST_CODE = 5.5


def code_cell(text: str, width: float, style: str = "cell") -> Paragraph:
    """An item code or lot on one line of a ``width`` column: the type shrinks (to 5.5 pt at
    least) rather than the word breaking, since "FORKL_KO / RT" reads as two codes."""
    base = STYLES[style]
    room = width - 2 * CELL_PADDING
    size = float(base.fontSize)
    while size > SMALLEST_CODE and stringWidth(text, base.fontName, size) > room:
        size -= 0.25
    fitted = ParagraphStyle(
        f"{style}_{size}", parent=base, fontSize=size, leading=max(size + 1.5, base.leading - 1)
    )
    return Paragraph(escape(text), fitted)


def heading(text: str) -> Paragraph:
    """A section heading."""
    return para(text, "h2")


def organisation(issuer: str | None = None) -> str:
    """The coordinating authority a document speaks for: its region's (``issuer``), else the
    home region's (``FORDELA_REGION_AUTHORITY``)."""
    return issuer or RegionSettings().authority


def title_block(
    title: str, subtitle: str, width: float = CONTENT_WIDTH, *, issuer: str | None = None
) -> list[Flowable]:
    """Page 1's top: the organisation on the left, the document's name on the right, a rule."""
    left = [
        para(SYSTEM, "value"),
        para(f"{organisation(issuer)} · {TAGLINE}", "small"),
    ]
    right = [
        Paragraph(
            escape(title.upper()),
            ParagraphStyle(
                "doc_title",
                fontName=BOLD,
                fontSize=18,
                leading=21,
                alignment=TA_RIGHT,
                textColor=ACCENT,
            ),
        ),
        Paragraph(
            escape(subtitle),
            ParagraphStyle("sub", fontName=BOLD, fontSize=10, leading=13, alignment=TA_RIGHT),
        ),
    ]
    table = Table([[left, right]], colWidths=[width * 0.5, width * 0.5])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [
        table,
        HRFlowable(width="100%", thickness=1.2, color=ACCENT, spaceBefore=3, spaceAfter=6),
    ]


def facts_table(facts: Sequence[tuple[str, str]], width: float) -> Table:
    """Label above value, one fact per row: the header facts of a document."""
    rows = [[[para(label, "label"), para(value, "value")]] for label, value in facts]
    table = Table(rows, colWidths=[width])
    table.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    widths: Sequence[float],
    *,
    numeric: Sequence[int] = (),
    centered: Sequence[int] = (),
    total_row: bool = False,
    group_starts: Sequence[int] = (),
    extra_style: Sequence[tuple[Any, ...]] = (),
) -> Table:
    """A ruled table whose header row repeats on every page it continues on.

    ``numeric`` columns are right-aligned (header too); ``group_starts`` are data-row indexes
    (0-based) before which a heavier rule separates groups; ``total_row`` sets the last row bold.
    """
    head = [
        Paragraph(escape(text), STYLES["head_cell_right" if i in numeric else "head_cell"])
        for i, text in enumerate(header)
    ]
    table = Table([head, *[list(row) for row in rows]], colWidths=list(widths), repeatRows=1)
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, 8.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    style += [("ALIGN", (col, 1), (col, -1), "RIGHT") for col in numeric]
    style += [("ALIGN", (col, 1), (col, -1), "CENTER") for col in centered]
    if not group_starts:
        style += [
            ("BACKGROUND", (0, row), (-1, row), ZEBRA_FILL) for row in range(2, len(rows) + 1, 2)
        ]
    style += [("LINEABOVE", (0, row + 1), (-1, row + 1), 0.8, RULE) for row in group_starts]
    if total_row and rows:
        style += [
            ("FONT", (0, -1), (-1, -1), BOLD, 8.5),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, ACCENT),
            ("BACKGROUND", (0, -1), (-1, -1), HEADER_FILL),
        ]
    style += list(extra_style)
    table.setStyle(TableStyle(style))
    return table


class CheckBox(Flowable):  # type: ignore[misc]
    """An empty square to tick by hand."""

    def __init__(self, size: float = 4 * mm) -> None:
        super().__init__()
        self.size = size

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        self.canv.setLineWidth(0.8)
        self.canv.setStrokeColor(INK)
        self.canv.rect(0, 0, self.size, self.size, stroke=1, fill=0)


def signature_block(
    roles: Sequence[str], *, note: str | None = None, width: float = CONTENT_WIDTH
) -> KeepTogether:
    """A form to fill in by hand: one row per role, with name, date and signature fields."""
    return KeepTogether(signature_parts(roles, note=note, width=width))


def signature_parts(
    roles: Sequence[str], *, note: str | None = None, width: float = CONTENT_WIDTH
) -> list[Flowable]:
    """The signature form's parts, for a caller that keeps them together with more (a
    ``KeepTogether`` inside another pushed the whole to the next page)."""
    fields = ("Namn (textat)", "Datum och tid", "Underskrift")
    role_width = 48 * mm
    field_width = (width - role_width) / len(fields)
    rows: list[list[Cell]] = [
        [para(role, "cell_bold"), *[para(field, "label") for field in fields]] for role in roles
    ]
    table = Table(
        rows,
        colWidths=[role_width, *[field_width] * len(fields)],
        rowHeights=[28] * len(roles),
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (0, -1), HEADER_FILL),
                ("BOX", (0, 0), (-1, -1), 0.8, ACCENT),
                ("INNERGRID", (0, 0), (-1, -1), 0.5, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    parts: list[Flowable] = [heading("Kvittens")]
    if note:
        parts += [para(note, "small"), Spacer(1, 3)]
    parts.append(table)
    return parts


class _NumberedCanvas(Canvas):  # type: ignore[misc]
    """A canvas that knows the page count when it finishes, for the "Sida X av N" footer.

    Pages are kept until ``save``; then each gets its footer (and, after page 1, the running
    header) and is written out.
    """

    def __init__(self, *args: Any, running_header: str, footer: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._running_header = running_header
        self._footer = footer
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decorate(number, total)
            super().showPage()
        super().save()

    def _decorate(self, number: int, total: int) -> None:
        width, height = self._pagesize
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, BOTTOM_MARGIN - 5 * mm, width - MARGIN, BOTTOM_MARGIN - 5 * mm)
        self.setFont(FONT, 7.5)
        self.setFillColor(MUTED)
        self.drawString(MARGIN, BOTTOM_MARGIN - 9 * mm, self._footer)
        self.setFont(BOLD, 8.5)
        self.setFillColor(INK)
        self.drawRightString(width - MARGIN, BOTTOM_MARGIN - 9 * mm, f"Sida {number} av {total}")
        if number > 1:
            self.setFont(BOLD, 8.5)
            self.drawString(MARGIN, height - 11 * mm, self._running_header)
            self.line(MARGIN, height - 13 * mm, width - MARGIN, height - 13 * mm)
        self.restoreState()


def build_pdf(
    story: Sequence[Flowable],
    *,
    title: str,
    subject: str,
    running_header: str,
    footer: str,
    pagesize: tuple[float, float] = A4,
    issuer: str | None = None,
) -> bytes:
    """Lay out ``story`` on A4 pages and return the PDF's bytes (deterministic)."""
    buffer = BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=TOP_MARGIN,
        bottomMargin=BOTTOM_MARGIN,
        title=title,
        author=f"{SYSTEM} – {organisation(issuer)}",
        subject=subject,
        creator=SYSTEM,
        lang="sv-SE",
        invariant=1,
    )
    # A frame without padding, so tables of CONTENT_WIDTH fill the margins exactly.
    body = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[body])])
    doc.build(
        list(story),
        canvasmaker=partial(_NumberedCanvas, running_header=running_header, footer=footer),
    )
    return buffer.getvalue()
