"""Lines that behave alike, solved as one: a smaller LP for the same fair point.

Lines of one item, in one vehicle, with one weight, that start to rise and fill up at the same
levels (in `fill` mode without memory: b = 0 and full at 1/w, so every such line) are moved by the
fair point together: every limit holds all of them or none, and at a common level each gets
a_j·L − b_j. So they are one line to the LPs, with a, b and R summed, and the answer is spread
back over them by their share of a. Nothing else changes: the rounding and the checker see the
real lines.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from allocation.levels import LineTable
from allocation.substitutes import Rows

__all__ = ["Classes", "group_lines"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Classes:
    """The class table (one row per class, in class order) and which class each line is in."""

    table: LineTable
    of_line: IntArray  # per line of the part, its class; −1 outside the part
    part: BoolArray  # per class: every class is in the part

    def spread(
        self, table: LineTable, rows: Rows, class_rows: Rows, q: FloatArray, x: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Per line and per row of the real table: the classes' served units and deliveries."""
        lines = np.flatnonzero(self.of_line >= 0)
        c = self.of_line[lines]
        ct = self.table
        level = (ct.b[c] + q[c]) / ct.a[c]
        served = np.zeros(table.n)
        served[lines] = np.clip(table.a[lines] * level - table.b[lines], 0.0, table.r[lines])
        share = np.where(q[c] > 0, served[lines] / np.where(q[c] > 0, q[c], 1.0), 0.0)
        out = np.zeros(rows.n)
        count = rows.start[lines + 1] - rows.start[lines]
        for offset in range(int(count.max(initial=0))):
            has = count > offset
            out[rows.start[lines[has]] + offset] = x[class_rows.start[c[has]] + offset] * share[has]
        return served, out


def group_lines(table: LineTable, part: BoolArray) -> Classes:
    """Classes of the lines in `part` by item, vehicle, weight and start and full levels."""
    lines = np.flatnonzero(part)
    start = np.round(table.b[lines] / table.a[lines], 12)
    full = np.round((table.b[lines] + table.r[lines]) / table.a[lines], 12)
    keys = np.rec.fromarrays(
        [table.item[lines], table.group[lines], table.weight[lines], start, full]
    )
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    # Classes in the order of their first line, so the class table keeps line-key order.
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    cls = rank[inverse]
    rep = lines[first[order]]
    n = rep.size

    def total(values: FloatArray) -> FloatArray:
        return np.asarray(np.bincount(cls, weights=values[lines], minlength=n), dtype=np.float64)

    of_line = np.full(table.n, -1, dtype=np.int64)
    of_line[lines] = cls
    class_table = replace(
        table,
        care_home=tuple(table.care_home[j] for j in rep.tolist()),
        item_code=tuple(table.item_code[j] for j in rep.tolist()),
        municipality=tuple(table.municipality[j] for j in rep.tolist()),
        requested=np.bincount(cls, weights=table.requested[lines], minlength=n).astype(np.int64),
        r=total(table.r),
        weight=table.weight[rep],
        a=total(table.a),
        b=total(table.b),
        on_hand=total(table.on_hand),
        daily_use=total(table.daily_use),
        use_missing=table.use_missing[rep],
        use_estimated=table.use_estimated[rep],
        pack=table.pack[rep],
        vol=table.vol[rep],
        item=table.item[rep],
        group=table.group[rep],
        past_requested=total(table.past_requested),
        past_received=total(table.past_received),
    )
    return Classes(table=class_table, of_line=of_line, part=np.ones(n, dtype=bool))
