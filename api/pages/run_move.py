"""Moving packs in a draft (``/lan/korning/flytta``): from any line of an item to another.

The page shows the receiving line (``till``) and every line of the same item that has packs — a
fully met home too, the most favoured first — to pick the giving one, the number of packs and a
reason. The data layer (``data.runs.edits.move_packs``) re-checks the run; a move that breaks a
limit is refused with a Swedish message naming it (the line's request, the stock, the vehicle, what
the giving line has). A move that only breaks pack-stability is kept, with its reason shown.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import OptionalUser, SessionDep
from api.pages.common import page_user, render, see_other
from api.pages.form_numbers import whole_number
from api.transaction import TransactionRoute
from data.access.roles import Capability
from data.clock import utcnow
from data.errors import Conflict, NotFound, ValidationFailed
from data.models import AllocationRun, User
from data.overview.county import RunLineView, run_lines
from data.reference.catalogue import find_item
from data.runs.edits import EditRefused, move_packs
from data.runs.records import get_run

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute)

NEEDED = Capability.ALLOCATE
ALL_LINES = 5000


def _lines(session: Session, run: AllocationRun, item_code: str) -> list[RunLineView]:
    found, _total = run_lines(
        session, run_id=run.id, item_code=item_code, short_only=False, limit=ALL_LINES
    )
    return found


def _page(
    request: Request,
    session: Session,
    me: User,
    *,
    run_id: str,
    artikel: str,
    till: str,
    posted: dict[str, str] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        run = get_run(session, run_id=run_id) if run_id else None
    except NotFound:
        run = None
    lines = _lines(session, run, artikel) if run else []
    target = next((v for v in lines if v.line.care_home_id == till), None)
    if run is None or target is None:
        problem = problem or "Raden finns inte i körningen; gå tillbaka till fördelningen."
        status_code = 404 if status_code == 200 else status_code
    elif run.status != "draft" and problem is None:
        problem = "Körningen är inte ett utkast längre: inget kan flyttas i den."
    givers = sorted(
        (v for v in lines if v.line.quantity > 0 and v.line.care_home_id != till),
        key=lambda v: (-v.line.level, v.home_name, v.line.care_home_id),
    )
    return render(
        request,
        "pages/run_move.html",
        me,
        status_code=status_code,
        problem=problem,
        run=run,
        item=find_item(session, code=artikel) if artikel else None,
        target=target,
        givers=givers,
        posted=posted or {},
    )


@router.get("/lan/korning/flytta", response_class=HTMLResponse)
def move_form(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    korning: str = "",
    artikel: str = "",
    till: str = "",
) -> Response:
    """The receiving line and the lines that can give packs of the same item."""
    me = page_user(user, NEEDED)
    return _page(request, session, me, run_id=korning, artikel=artikel, till=till)


def _whole(raw: str) -> int | None:
    raw = raw.strip()
    value = whole_number(raw)
    return value if value is not None and 0 < value <= 1_000_000 else None


@router.post("/lan/korning/flytta", response_class=HTMLResponse)
def move(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    korning: Annotated[str, Form()] = "",
    artikel: Annotated[str, Form()] = "",
    till: Annotated[str, Form()] = "",
    fran: Annotated[str, Form()] = "",
    forpackningar: Annotated[str, Form()] = "",
    skal: Annotated[str, Form()] = "",
) -> Response:
    """Move the packs, or show why not (nothing changes then)."""
    me = page_user(user, NEEDED)
    posted = {"fran": fran, "forpackningar": forpackningar, "skal": skal}
    packs = _whole(forpackningar)
    problem = None
    if not fran:
        problem = "Välj boendet som lämnar förpackningar."
    elif packs is None:
        problem = "Ange antalet förpackningar som ett helt tal, 1 eller större."
    elif not skal.strip():
        problem = "Ange ett skäl till flytten; det visas på raderna."
    else:
        try:
            outcome = move_packs(
                session,
                run_id=korning,
                item_code=artikel,
                from_home=fran,
                to_home=till,
                packs=packs,
                reason=skal.strip(),
                actor=me.username,
                now=utcnow(),
            )
        except EditRefused as exc:
            problem = "Flytten gjordes inte. " + " ".join(exc.swedish)
        except NotFound:
            problem = "Flytten gjordes inte: raden finns inte i körningen."
        except (Conflict, ValidationFailed):
            problem = "Flytten gjordes inte: körningen är inte ett utkast längre."
    if problem:
        return _page(
            request,
            session,
            me,
            run_id=korning,
            artikel=artikel,
            till=till,
            posted=posted,
            problem=problem,
            status_code=422,
        )
    moved = get_run(session, run_id=korning)
    notice = "flyttad" if outcome.stable else "flyttad-instabil"
    if moved.kind == "extra":
        return see_other(f"/lan/akut/korning/{moved.id}?klart={notice}")
    day = moved.round_date.isoformat()
    return see_other(f"/lan/korning?datum={day}&klart={notice}&artikel={artikel}")
