"""Server-rendered SVG charts for the county dashboard: no script, no library, printable.

Each function takes plain rows and returns an ``<svg>`` element as ``Markup`` with a ``<title>``
per bar (the figure on hover) and a text label, so the chart reads without colour as well. The
tables beside the charts carry the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

__all__ = [
    "BUCKET_COLOURS",
    "bucket_chart",
    "fill_chart",
    "item_fill_chart",
    "need_stock_chart",
    "number_sv",
    "trend_chart",
]

WIDTH = 640
LABEL_W = 170
ROW_H = 22
BAR_H = 8
# Orange to blue, then grey for "okänt": told apart with red-green colour blindness too.
BUCKET_COLOURS = ("#a63603", "#fd8d3c", "#9ecae1", "#2171b5", "#bdbdbd")


def number_sv(value: float, places: int = 0) -> str:
    """Swedish number format: a space between thousands, a decimal comma."""
    text = f"{value:,.{places}f}".replace(",", "\u00a0").replace(".", ",")
    return text


def _svg(height: int, body: list[str], label: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body)
        + "</svg>"
    )


def _label(y: float, text: str) -> str:
    return (
        f'<text x="{LABEL_W - 6}" y="{y:.1f}" text-anchor="end" class="chart-label">'
        f"{escape(text)}</text>"
    )


def _bar(x: float, y: float, w: float, h: float, cls: str, title: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" class="{cls}">'
        f"<title>{escape(title)}</title></rect>"
    )


def _legend(y: float, entries: Sequence[tuple[str, str]]) -> str:
    parts = []
    x = float(LABEL_W)
    for cls, text in entries:
        parts.append(f'<rect x="{x:.0f}" y="{y - 9:.0f}" width="10" height="10" class="{cls}"/>')
        parts.append(
            f'<text x="{x + 14:.0f}" y="{y:.0f}" class="chart-label">{escape(text)}</text>'
        )
        x += 24 + 7 * len(text)
    return "".join(parts)


def need_stock_chart(rows: Sequence[tuple[str, int, int]]) -> Markup:
    """Per item (label, requested, in stock): two bars each, on one scale."""
    top = max([max(r, s) for _, r, s in rows] + [1])
    span = WIDTH - LABEL_W - 70
    body = [_legend(14, (("bar-need", "Behov"), ("bar-stock", "Lager")))]
    for n, (label, requested, stock) in enumerate(rows):
        y = 26 + n * ROW_H
        body.append(_label(y + BAR_H + 3, label))
        short = " (brist)" if requested > stock else ""
        body.append(
            _bar(LABEL_W, y, span * requested / top, BAR_H, "bar-need", f"Behov {requested}")
        )
        body.append(
            _bar(LABEL_W, y + BAR_H + 1, span * stock / top, BAR_H, "bar-stock", f"Lager {stock}")
        )
        end = LABEL_W + span * max(requested, stock) / top + 4
        pct = f"{number_sv(100 * stock / requested)} %" if requested else "–"
        body.append(
            f'<text x="{end:.1f}" y="{y + BAR_H + 3:.1f}" class="chart-value">{pct}{short}</text>'
        )
    return _svg(34 + len(rows) * ROW_H, body, "Behov mot lager per artikel")


def bucket_chart(rows: Sequence[tuple[str, Sequence[int]]], buckets: Sequence[str]) -> Markup:
    """Per municipality (label, homes per bucket): one bar stacked by days of supply.

    ``buckets`` are the legend's words ("0 dagar", …, "okänt"), one per count.
    """
    top = max([sum(counts) for _, counts in rows] + [1])
    span = WIDTH - LABEL_W - 40
    legend = [(f"bucket-{i}", name) for i, name in enumerate(buckets)]
    body = [_legend(14, legend)]
    for n, (label, counts) in enumerate(rows):
        y = 26 + n * ROW_H
        body.append(_label(y + 12, label))
        x = float(LABEL_W)
        for i, count in enumerate(counts):
            w = span * count / top
            title = f"{label}: {count} boenden, {buckets[i]}"
            body.append(_bar(x, y, w, 16, f"bucket-{i}", title))
            x += w
        body.append(f'<text x="{x + 4:.1f}" y="{y + 12}" class="chart-value">{sum(counts)}</text>')
    return _svg(34 + len(rows) * ROW_H, body, "Boenden per kommun efter dagars förråd")


def item_fill_chart(rows: Sequence[tuple[str, str | None, float | None]]) -> Markup:
    """Per municipality (label, its least-met item, that item's share): one bar on 0–100 %."""
    span = WIDTH - LABEL_W - 110
    body = []
    for n, (label, item, fill) in enumerate(rows):
        y = 8 + n * ROW_H
        body.append(_label(y + 12, label))
        body.append(_bar(LABEL_W, y, span, 16, "bar-track", label))
        if item is not None and fill is not None:
            text = f"{item} {number_sv(100 * fill)} %"
            body.append(_bar(LABEL_W, y, span * min(fill, 1.0), 16, "bar-fill", f"{label}: {text}"))
        else:
            text = "inget behov"
        body.append(
            f'<text x="{LABEL_W + span + 4}" y="{y + 12}" class="chart-value">{escape(text)}</text>'
        )
    return _svg(16 + len(rows) * ROW_H, body, "Sämst täckta artikel per kommun")


def fill_chart(rows: Sequence[tuple[str, float | None]]) -> Markup:
    """Per municipality (label, fill 0..1 or None): one bar on a 0–100 % scale."""
    span = WIDTH - LABEL_W - 60
    body = []
    for n, (label, fill) in enumerate(rows):
        y = 8 + n * ROW_H
        body.append(_label(y + 12, label))
        body.append(_bar(LABEL_W, y, span, 16, "bar-track", label))
        if fill is not None:
            text = f"{number_sv(100 * fill)} %"
            body.append(_bar(LABEL_W, y, span * min(fill, 1.0), 16, "bar-fill", text))
        else:
            text = "inget behov"
        body.append(
            f'<text x="{LABEL_W + span + 4}" y="{y + 12}" class="chart-value">{text}</text>'
        )
    return _svg(16 + len(rows) * ROW_H, body, "Tilldelad andel av behovet per kommun")


def trend_chart(rows: Sequence[tuple[str, int, int, int | None]], unit: str) -> Markup:
    """Per round (label, asked, allocated, delivered or None): three bars each, on one scale."""
    top = max([max(a, b, c or 0) for _, a, b, c in rows] + [1])
    span = WIDTH - LABEL_W - 70
    step = 3 * BAR_H + 6
    body = [
        _legend(
            14,
            (("bar-need", "Begärt"), ("bucket-1", "Tilldelat"), ("bar-stock", "Levererat")),
        )
    ]
    for n, (label, asked, given, delivered) in enumerate(rows):
        y = 26 + n * step
        body.append(_label(y + BAR_H + 5, label))
        body.append(
            _bar(LABEL_W, y, span * asked / top, BAR_H, "bar-need", f"Begärt {asked} {unit}")
        )
        body.append(
            _bar(
                LABEL_W, y + BAR_H + 1, span * given / top, BAR_H, "bucket-1", f"Tilldelat {given}"
            )
        )
        if delivered is not None:
            body.append(
                _bar(
                    LABEL_W,
                    y + 2 * BAR_H + 2,
                    span * delivered / top,
                    BAR_H,
                    "bar-stock",
                    f"Levererat {delivered}",
                )
            )
        share = f"{number_sv(100 * given / asked)} %" if asked else "–"
        end = LABEL_W + span * max(asked, given) / top + 4
        body.append(
            f'<text x="{end:.1f}" y="{y + BAR_H + 5:.1f}" class="chart-value">{share}</text>'
        )
    return _svg(34 + len(rows) * step, body, "Begärt, tilldelat och levererat per omgång")
