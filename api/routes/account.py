"""The signed-in user's own notifications: ``GET`` / ``PUT /api/v1/me/notifications`` (issue 13).

The same choices as the web page ``/konto``: the e-mail address (``null`` or ``""`` removes it)
and the topics of the user's role that are on. A malformed address or a topic not of the role is
refused (422, naming the field) and nothing changes.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from api.deps import CurrentUser, SessionDep
from api.schemas.base import Input, Output
from api.transaction import TransactionRoute
from data.outreach.notifications import TOPICS, set_preferences, topics_for, turned_off

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute, prefix="/me", tags=["users"])


class TopicRead(Output):
    """One notification topic of the user's role."""

    topic: str = Field(examples=["notify.round_approved"])
    description: str
    on: bool


class NotificationsRead(Output):
    """The user's address and topics."""

    email: str | None
    topics: list[TopicRead]


class NotificationsUpdate(Input):
    """The address (``null`` or empty: none) and the topics to keep on (the rest go off)."""

    email: str | None = Field(default=None, max_length=254, examples=["maria.lind@kommun.se"])
    on: list[str] = Field(default_factory=list, max_length=20)


def _read(session: SessionDep, user: CurrentUser) -> NotificationsRead:
    off = turned_off(session, user_id=user.id)
    return NotificationsRead(
        email=user.email,
        topics=[
            TopicRead(topic=topic, description=TOPICS[topic][1], on=topic not in off)
            for topic in topics_for(user)
        ],
    )


@router.get("/notifications", response_model=NotificationsRead)
def read_notifications(user: CurrentUser, session: SessionDep) -> NotificationsRead:
    """The signed-in user's e-mail address and notification topics."""
    return _read(session, user)


@router.put("/notifications", response_model=NotificationsRead)
def update_notifications(
    body: NotificationsUpdate, user: CurrentUser, session: SessionDep
) -> NotificationsRead:
    """Set the address and which topics are on, together."""
    set_preferences(
        session, user=user, email=body.email or "", keep_on=set(body.on), actor=user.username
    )
    return _read(session, user)
