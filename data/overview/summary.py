"""A round at a glance: who reported, what is asked for against what is in stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import CareHome, NeedLine, NeedReport, Situation
from data.reference.catalogue import list_items
from data.stock.ledger import item_balances

__all__ = ["ItemPosition", "RoundSummary", "round_summary"]


@dataclass(frozen=True)
class ItemPosition:
    """One item in a round: units requested (last versions) against units available."""

    code: str
    name: str
    unit: str
    requested: int
    available: int

    @property
    def short(self) -> bool:
        """True when more is requested than is available."""
        return self.requested > self.available

    @property
    def shortfall(self) -> int:
        """Units requested beyond what is available (0 when covered)."""
        return max(0, self.requested - self.available)


@dataclass(frozen=True)
class RoundSummary:
    """The headline figures of one round."""

    round_date: date
    homes_active: int
    homes_reporting: int
    homes_confirmed: int
    homes_suspected: int
    late_reports: int
    items: list[ItemPosition]

    @property
    def items_short(self) -> list[ItemPosition]:
        """The items with more requested than available."""
        return [item for item in self.items if item.short]


def round_summary(session: Session, *, round_date: date) -> RoundSummary:
    """Sum the round's current reports per item and set them against today's stock."""
    current = (NeedReport.round_date == round_date) & NeedReport.superseded.is_(False)
    situations: dict[str, int] = {
        situation: count
        for situation, count in session.execute(
            select(NeedReport.situation, func.count()).where(current).group_by(NeedReport.situation)
        )
    }
    late = session.scalar(select(func.count()).where(current & NeedReport.late.is_(True))) or 0
    requested: dict[str, int] = {
        code: int(total)
        for code, total in session.execute(
            select(NeedLine.item_code, func.sum(NeedLine.requested))
            .join(NeedReport, NeedReport.id == NeedLine.report_id)
            .where(current)
            .group_by(NeedLine.item_code)
        )
    }
    available = item_balances(session, as_of=round_date)
    items = [
        ItemPosition(
            code=item.code,
            name=item.name_sv,
            unit=item.unit,
            requested=int(requested.get(item.code, 0)),
            available=available.get(item.code, 0),
        )
        for item in list_items(session)
    ]
    homes_active = session.scalar(select(func.count()).where(CareHome.active.is_(True))) or 0
    return RoundSummary(
        round_date=round_date,
        homes_active=homes_active,
        homes_reporting=sum(situations.values()),
        homes_confirmed=situations.get(Situation.CONFIRMED.value, 0),
        homes_suspected=situations.get(Situation.SUSPECTED.value, 0),
        late_reports=late,
        items=items,
    )
