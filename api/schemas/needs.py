"""Schemas of need reports: submit, revise, read, history and the file upload's answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import ConfigDict, Field

from api.schemas.base import Input, Output
from data.needs.reports import MAX_QUANTITY

__all__ = [
    "IssueRead",
    "NeedCreate",
    "NeedLineIn",
    "NeedLineRead",
    "NeedRead",
    "NeedSubmitted",
    "NeedUpdate",
    "UploadResult",
]

SituationName = Literal["confirmed", "suspected", "none"]


class NeedLineIn(Input):
    """One item of a need report, in the item's units."""

    item: str = Field(min_length=1, max_length=16, examples=["IIR"])
    requested: int = Field(ge=0, le=MAX_QUANTITY, examples=[400])
    on_hand: int = Field(ge=0, le=MAX_QUANTITY, examples=[50])
    daily_use: int | None = Field(default=None, ge=0, le=MAX_QUANTITY, examples=[80])


class NeedUpdate(Input):
    """A revision of a report: the situation and every line (the last version counts)."""

    situation: SituationName = Field(examples=["confirmed"])
    lines: list[NeedLineIn] = Field(min_length=1, max_length=200)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "situation": "suspected",
                    "lines": [{"item": "IIR", "requested": 400, "on_hand": 50, "daily_use": 80}],
                }
            ]
        }
    )


class NeedCreate(NeedUpdate):
    """A new report. A care-home manager's home is their own (``care_home_id`` may be left out);
    a coordinator names one of their municipality's homes."""

    care_home_id: str | None = Field(default=None, max_length=16, examples=["H0001"])
    round_date: date | None = Field(
        default=None,
        description=(
            "The round (delivery day) meant; default the round open for reports now, as on the"
            " need page (so a report without a date is never late). After the meant round's"
            " cut-off the report goes to the next round (late); a round already approved is"
            " refused with 409 naming the next round."
        ),
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "care_home_id": "H0001",
                    "situation": "confirmed",
                    "lines": [
                        {"item": "IIR", "requested": 400, "on_hand": 50, "daily_use": 80},
                        {"item": "HANDSKE_M", "requested": 1000, "on_hand": 300},
                    ],
                }
            ]
        }
    )


class NeedLineRead(Output):
    """A stored need line."""

    item_code: str
    requested: int
    on_hand: int
    daily_use: int | None


class NeedRead(Output):
    """One version of a care home's report; ``version`` is its ETag."""

    id: int
    care_home_id: str
    round_date: date
    version: int
    situation: str
    submitted_at: datetime
    submitted_by: str
    late: bool
    superseded: bool
    lines: list[NeedLineRead]


class IssueRead(Output):
    """A problem with an input: the field, the line or file row, and why."""

    field: str
    line: int | None
    message: str


class NeedSubmitted(Output):
    """The stored version and warnings worth a second look (not errors)."""

    report: NeedRead
    warnings: list[IssueRead]


class UploadResult(Output):
    """An upload stored: one report per home in the file."""

    reports: list[NeedRead]
    homes: int
    lines: int
