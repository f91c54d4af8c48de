"""The national agency's allocation runs (issue 13): its stock shared among the regions' requests.

``NationalRun`` is one solve over the open requests of every region: its inputs (each request
as a requester: region, reference, item, outstanding balance, weight; the agency's stock; the
core's problem in the scenario format) and its result (per request the units, the fair share and
the explanation; per item the summary). A draft is superseded by the next run; an approved run
has turned each region's share into an answer to its request and taken the units out of the
agency's stock (ledger entries referenced ``national:<id>``). The national agency's runs are
national by nature, so the table is not region-owned.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, UTCDateTime
from data.models.cycle import JSONDoc

__all__ = ["NATIONAL_RUN_STATUSES", "NationalRun"]

NATIONAL_RUN_STATUSES = ("draft", "approved", "superseded")


class NationalRun(Base):
    """One national allocation: the requests and stock it read, what it gives each, its status."""

    __tablename__ = "national_runs"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'approved', 'superseded')", name="status_known"),
        CheckConstraint(
            "status != 'approved' OR (approved_at IS NOT NULL AND approved_by IS NOT NULL)",
            name="approval_recorded",
        ),
        # At most one draft at a time: a new run supersedes the one before.
        Index(
            "uq_national_runs_one_draft",
            "status",
            unique=True,
            postgresql_where=text("status = 'draft'"),
            sqlite_where=text("status = 'draft'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    """``NAT-<yyyymmdd>-<n>``: the day (Europe/Stockholm) and the run's number that day."""
    status: Mapped[str] = mapped_column(String(16), default="draft")
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    result: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    check_ok: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    expected_delivery: Mapped[date | None] = mapped_column(Date)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(64))
