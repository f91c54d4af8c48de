"""Schemas of allocation runs, their lines, line edits, jobs and what-if."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from api.schemas.base import Input, Output
from api.schemas.policy import PolicyIn
from data.needs.reports import MAX_QUANTITY

__all__ = [
    "JobRead",
    "LineEditIn",
    "MoveIn",
    "MoveRead",
    "PolicyIn",
    "RunLineRead",
    "RunRead",
    "RunTrigger",
    "WhatIfPolicy",
]


class RunTrigger(Input):
    """Allocate a round now (in the worker); ``rerun`` supersedes the round's draft."""

    round_date: date = Field(examples=["2026-11-24"])
    rerun: bool = False


class JobRead(Output):
    """A queued job; poll until ``status`` is ``done`` (see ``result``) or ``failed``."""

    id: int
    kind: str
    params: dict[str, Any]
    status: Literal["queued", "running", "done", "failed"]
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RunRead(Output):
    """A run: its policy, the per-item summary, the check and approval."""

    id: str
    round_date: date
    attempt: int
    kind: str = Field(description="daily (the round's reports) or extra (acute requests)")
    status: str
    method: str
    policy: dict[str, Any]
    items_summary: list[dict[str, Any]]
    stats: dict[str, Any]
    check_ok: bool
    check_messages: list[str]
    trigger: str
    created_at: datetime
    created_by: str
    approved_at: datetime | None
    approved_by: str | None


class RunLineRead(Output):
    """One allocated line with its explanation."""

    care_home_id: str
    item_code: str
    delivered_item_code: str = Field(
        description="The item delivered for this row: ``item_code`` itself, or a substitute"
        " standing in for it (quantity and packs in its units; requested and unmet are 0 on a"
        " substitute's row, they stay on the need line's own row)"
    )
    municipality_code: str
    situation: str
    requested: int
    on_hand: int | None
    daily_use: float | None
    quantity: int
    packs: int
    unmet: int
    level: float
    item_level: float | None
    binding: str
    explanation_sv: str
    explanation_en: str
    solver_quantity: int
    edit_reason: str | None
    edited_by: str | None


class LineEditIn(Input):
    """Change one line of a draft by hand, with the reason (checked against the limits)."""

    care_home_id: str = Field(max_length=16, examples=["H0001"])
    item_code: str = Field(max_length=16, examples=["IIR"])
    quantity: int = Field(ge=0, le=MAX_QUANTITY, examples=[350])
    reason: str = Field(min_length=3, max_length=500, examples=["utbrott bekräftat i morse"])


class MoveIn(Input):
    """Move whole packs of an item from one line of a draft to another (a fully met one may
    give), with the reason; refused (422) when a limit stops it, naming the limit."""

    item_code: str = Field(max_length=16, examples=["FFP3"])
    from_care_home_id: str = Field(max_length=16, examples=["H0002"])
    to_care_home_id: str = Field(max_length=16, examples=["H0001"])
    packs: int = Field(ge=1, le=1_000_000, examples=[1])
    reason: str = Field(min_length=3, max_length=500, examples=["utbrott bekräftat i morse"])


class MoveRead(Output):
    """Both lines after a move, and whether the run is still pack-stable."""

    source: RunLineRead
    target: RunLineRead
    units: int
    stable: bool
    findings: list[str]


class WhatIfPolicy(Input):
    """Re-solve a round's current needs and stock under another policy (nothing is stored)."""

    round_date: date = Field(examples=["2026-11-24"])
    policy: PolicyIn = Field(default_factory=PolicyIn)
