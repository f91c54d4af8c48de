"""Need reports: one per care home, round (delivery date) and version, with a line per item."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Base, UTCDateTime
from data.models.enums import Situation, check_in
from data.models.places import CareHome
from data.models.regions import RegionOwned

__all__ = ["NeedLine", "NeedReport"]


class NeedReport(RegionOwned, Base):
    """One version of a care home's need report for the round delivered on ``round_date``.

    A revision adds a version and marks the earlier one ``superseded``; at most one version per
    home and round is current (a partial unique index says so on both engines). ``late`` means the
    report was meant for an earlier round whose cut-off had passed, so it landed in this one.
    """

    __tablename__ = "need_reports"
    __table_args__ = (
        UniqueConstraint("care_home_id", "round_date", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(check_in("situation", Situation), name="situation_known"),
        Index(
            "uq_need_reports_current",
            "care_home_id",
            "round_date",
            unique=True,
            sqlite_where=text("superseded = 0"),
            postgresql_where=text("superseded = false"),
        ),
        Index("ix_need_reports_round_date", "round_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    care_home_id: Mapped[str] = mapped_column(ForeignKey("care_homes.id"))
    round_date: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    situation: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str] = mapped_column(String(64))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)

    care_home: Mapped[CareHome] = relationship(lazy="raise")
    lines: Mapped[list[NeedLine]] = relationship(
        back_populates="report",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="NeedLine.item_code",
    )


class NeedLine(Base):
    """One item in a need report, in the item's units."""

    __tablename__ = "need_lines"
    __table_args__ = (
        UniqueConstraint("report_id", "item_code"),
        CheckConstraint("requested >= 0", name="requested_non_negative"),
        CheckConstraint("on_hand >= 0", name="on_hand_non_negative"),
        CheckConstraint("daily_use IS NULL OR daily_use >= 0", name="daily_use_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("need_reports.id", ondelete="CASCADE"))
    item_code: Mapped[str] = mapped_column(ForeignKey("items.code"), index=True)
    requested: Mapped[int] = mapped_column(Integer)
    on_hand: Mapped[int] = mapped_column(Integer)
    daily_use: Mapped[int | None] = mapped_column(Integer)

    report: Mapped[NeedReport] = relationship(back_populates="lines", lazy="raise")
