"""``/konto``: a signed-in user's own e-mail address and which notifications they get (issue 13).

Each role has its topics (``data.outreach.notifications.TOPICS``); a box per topic, ticked while it
is on. Without an address nothing is sent. A malformed address is refused in Swedish, naming it, and
nothing is saved (the address and the topics are saved together or not at all).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import OptionalUser, SessionDep
from api.pages.common import page_user, render, see_other
from api.transaction import TransactionRoute
from data.errors import ValidationFailed
from data.models import User
from data.outreach.notifications import TOPICS, set_preferences, topics_for, turned_off

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute)

SAVED = "Dina val är sparade."


def _page(
    request: Request,
    session: Session,
    me: User,
    *,
    status_code: int = 200,
    problem: str | None = None,
    email: str | None = None,
    keep_on: set[str] | None = None,
) -> Response:
    off = turned_off(session, user_id=me.id)
    topics = [
        (topic, TOPICS[topic][1], topic in keep_on if keep_on is not None else topic not in off)
        for topic in topics_for(me)
    ]
    notice = SAVED if request.query_params.get("klart") == "konto" and not problem else None
    return render(
        request,
        "pages/account.html",
        me,
        status_code=status_code,
        problem=problem,
        notice=notice,
        email=me.email if email is None else email,
        topics=topics,
    )


@router.get("/konto", response_class=HTMLResponse)
def account_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The user's address and their notification topics."""
    return _page(request, session, page_user(user))


@router.post("/konto", response_class=HTMLResponse)
def save_account(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    epost: Annotated[str, Form(max_length=1000)] = "",
    aviseringar: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Save the address and the topics together, or show why not (nothing changes)."""
    me = page_user(user)
    keep_on = set(aviseringar or [])
    try:  # both checked before either is written: a refusal changes nothing
        set_preferences(session, user=me, email=epost, keep_on=keep_on, actor=me.username)
    except ValidationFailed as exc:
        messages = " ".join(issue["message"] for issue in exc.errors)
        return _page(
            request,
            session,
            me,
            status_code=422,
            problem=f"Inget sparades: {messages}.",
            email=epost,
            keep_on=keep_on,
        )
    return see_other("/konto?klart=konto")
