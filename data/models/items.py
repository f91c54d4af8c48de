"""The item catalogue: protective equipment counted in units and delivered in packs."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base

__all__ = ["Item"]


class Item(Base):
    """One catalogue item. Quantities everywhere are in ``unit``; a pack holds ``pack_size``.

    ``max_daily_per_place`` is the most one resident place could use in a day during an outbreak
    (REFERENCE §2's upper rates, rounded up); need validation uses it to flag absurd requests.
    """

    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint("pack_size > 0", name="pack_size_positive"),
        CheckConstraint("pack_volume_l > 0", name="pack_volume_positive"),
        CheckConstraint("max_daily_per_place > 0", name="max_daily_positive"),
    )

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(16))
    pack_size: Mapped[int] = mapped_column(Integer)
    pack_volume_l: Mapped[float] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(40))
    max_daily_per_place: Mapped[float] = mapped_column(Float)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    """NULL: the national catalogue every region uses; a code: an item only that region has."""
