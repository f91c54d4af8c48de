"""Printed documents rendered once per approved run and stored, so a download is a read."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, UTCDateTime

__all__ = ["StoredDocument"]


class StoredDocument(Base):
    """One rendered document (a route's pick list, a stop's delivery note) and its bytes.

    ``key`` names what it is (``pick_list:<manifest id>``, ``delivery_note:<stop id>``); a
    manifest made again for a new run gets new ids, so a stored file never outlives its content.
    """

    __tablename__ = "stored_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    manifest_id: Mapped[int] = mapped_column(
        ForeignKey("manifests.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[str] = mapped_column(String(40))
    round_date: Mapped[date] = mapped_column(Date)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
