"""The dashboard's server-rendered SVG charts."""

from __future__ import annotations

from api.charts import bucket_chart, fill_chart, need_stock_chart, number_sv
from data.overview.county import BUCKETS


def test_charts_are_svg_with_a_title_per_bar() -> None:
    chart = str(need_stock_chart([("IIR", 100, 50), ("FFP2", 0, 10)]))
    assert chart.startswith("<svg") and chart.count("<title>") == 4 and "(brist)" in chart
    stacked = str(bucket_chart([("Solna", [1, 2, 0, 3])], BUCKETS))
    assert stacked.count("<rect") == 4 + len(BUCKETS)
    assert "inget behov" in str(fill_chart([("Solna", 0.5), ("Nykvarn", None)]))


def test_numbers_are_written_the_swedish_way() -> None:
    assert number_sv(1234567) == "1\u00a0234\u00a0567"
    assert number_sv(12.5, 1) == "12,5"
