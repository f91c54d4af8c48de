"""``/byt-losenord``: a signed-in user sets their own password.

Every page sends a user whose password an admin chose (a new user, a reset) here first
(``api.pages.common.page_user``); anyone may come to change theirs. The policy is
``data.access.password_policy``; its objections are shown in Swedish.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import OptionalUser, SessionDep
from api.pages.common import render, see_other, start_page
from api.transaction import TransactionRoute
from data.access.password_policy import MIN_PASSWORD_LENGTH
from data.access.users import change_own_password
from data.models import User

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute)

PROBLEMS_SV = {
    "wrong_current": "Det nuvarande lösenordet stämmer inte.",
    "same": "Det nya lösenordet måste skilja sig från det nuvarande.",
    "short": f"Det nya lösenordet måste ha minst {MIN_PASSWORD_LENGTH} tecken.",
    "common": "Det lösenordet är ett av de första som gissas; välj ett annat.",
    "username": "Lösenordet får inte vara användarnamnet.",
    "repeated": "Lösenordet får inte vara samma tecken upprepat.",
    "mismatch": "De två nya lösenorden är inte lika.",
}


def _signed_in(user: User | None) -> User:
    if user is None:
        raise HTTPException(status_code=303, headers={"Location": "/logga-in"})
    return user


@router.get("/byt-losenord", response_class=HTMLResponse)
def password_form(request: Request, user: OptionalUser) -> Response:
    """The form: current password, the new one twice."""
    me = _signed_in(user)
    return render(request, "pages/password.html", me, minimum=MIN_PASSWORD_LENGTH)


@router.post("/byt-losenord", response_class=HTMLResponse)
def change_password(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    nuvarande: Annotated[str, Form()] = "",
    nytt: Annotated[str, Form()] = "",
    upprepa: Annotated[str, Form()] = "",
) -> Response:
    """Store the new password, or show why not (nothing changes)."""
    me = _signed_in(user)
    problems = ["mismatch"] if nytt != upprepa else []
    if not problems:
        problems = change_own_password(session, user=me, current=nuvarande, new=nytt)
    if not problems:
        return see_other(f"{start_page(me.role) or '/'}?klart=losenord")
    return render(
        request,
        "pages/password.html",
        me,
        status_code=422,
        minimum=MIN_PASSWORD_LENGTH,
        problem="Lösenordet byttes inte: " + " ".join(PROBLEMS_SV[p] for p in problems),
    )
