"""Daily use estimated from a care home's report history, as the CDC's PPE burn-rate calculator.

burn rate = (stock at the earlier report + units received since − stock now) / days between.

"Stock" is what the home said it had on hand in its need reports (the last version of each
round's report); "received" is what approved allocation runs gave the home for the rounds from the
earlier report's up to the day before this one (a round's delivery arrives after its report). The
earliest report in the look-back window is used, so the rate is an average over that span. No
estimate (None) when the home has no earlier report in the window or the figure is not positive
(then the core counts the request as one day's use, and says so).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import AllocationLine, AllocationRun, NeedLine, NeedReport

__all__ = ["LOOKBACK_DAYS", "BurnRate", "burn_rate", "estimate_daily_use"]

LOOKBACK_DAYS = 14


@dataclass(frozen=True)
class BurnRate:
    """One estimate and the figures it comes from (shown in the line's explanation)."""

    since: date
    stock_before: int
    received: int
    stock_now: int
    days: int

    @property
    def daily_use(self) -> float:
        """Units used per day over the span."""
        return (self.stock_before + self.received - self.stock_now) / self.days

    def explain_sv(self, unit: str) -> str:
        """The calculation in Swedish."""
        return (
            f" Förbrukningstakt: ({self.stock_before} i lager {self.since.isoformat()}"
            f" + {self.received} mottaget − {self.stock_now} i lager nu) / {self.days} dagar"
            f" = {_sv(self.daily_use)} {unit} per dag."
        )

    def explain_en(self, unit: str) -> str:
        """The calculation in English."""
        return (
            f" Burn rate: ({self.stock_before} on hand {self.since.isoformat()}"
            f" + {self.received} received − {self.stock_now} on hand now) / {self.days} days"
            f" = {self.daily_use:.1f} {unit} a day."
        )


def _sv(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def burn_rate(
    *, since: date, stock_before: int, received: int, stock_now: int, today: date
) -> BurnRate | None:
    """The estimate for one home and item, or None when it is not usable (no span, not > 0)."""
    days = (today - since).days
    if days <= 0:
        return None
    estimate = BurnRate(since, stock_before, received, stock_now, days)
    return estimate if estimate.daily_use > 0 else None


def estimate_daily_use(
    session: Session,
    *,
    round_date: date,
    lines: Iterable[tuple[str, str, int]],
    lookback_days: int = LOOKBACK_DAYS,
) -> dict[tuple[str, str], BurnRate]:
    """Burn-rate estimates for ``lines`` = (care home, item, on hand now) of the round.

    Lines without a usable estimate are left out of the answer.
    """
    wanted = {(home, item): on_hand for home, item, on_hand in lines}
    if not wanted:
        return {}
    homes = sorted({home for home, _ in wanted})
    start = round_date - timedelta(days=lookback_days)
    earliest: dict[tuple[str, str], tuple[date, int]] = {}
    for chunk in _chunks(homes):
        history = session.execute(
            select(
                NeedReport.care_home_id, NeedLine.item_code, NeedReport.round_date, NeedLine.on_hand
            )
            .join(NeedLine, NeedLine.report_id == NeedReport.id)
            .where(
                NeedReport.care_home_id.in_(chunk),
                NeedReport.superseded.is_(False),
                NeedReport.round_date >= start,
                NeedReport.round_date < round_date,
            )
            .order_by(NeedReport.round_date)
        )
        for home, item, day, on_hand in history:
            key = (home, item)
            if key in wanted and key not in earliest:
                earliest[key] = (day, on_hand)
    if not earliest:
        return {}
    received: dict[tuple[str, str], int] = defaultdict(int)
    first_day = min(day for day, _ in earliest.values())
    for chunk in _chunks(sorted({home for home, _ in earliest})):
        deliveries = session.execute(
            select(
                AllocationLine.care_home_id,
                AllocationLine.item_code,
                AllocationRun.round_date,
                func.sum(AllocationLine.quantity),
            )
            .join(AllocationRun, AllocationRun.id == AllocationLine.run_id)
            .where(
                AllocationRun.status == "approved",
                AllocationRun.round_date >= first_day,
                AllocationRun.round_date < round_date,
                AllocationLine.care_home_id.in_(chunk),
            )
            .group_by(
                AllocationLine.care_home_id, AllocationLine.item_code, AllocationRun.round_date
            )
        )
        for home, item, day, units in deliveries:
            key = (home, item)
            if key in earliest and day >= earliest[key][0]:
                received[key] += int(units or 0)
    out: dict[tuple[str, str], BurnRate] = {}
    for key, (since, before) in earliest.items():
        estimate = burn_rate(
            since=since,
            stock_before=before,
            received=received[key],
            stock_now=wanted[key],
            today=round_date,
        )
        if estimate is not None:
            out[key] = estimate
    return out


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
