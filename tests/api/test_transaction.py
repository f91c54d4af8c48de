"""One owner of a request's transaction: ``api.transaction.TransactionRoute``.

Every route of the app is one, so every request's session is committed or rolled back in one
place; nothing else in ``api/`` commits or rolls back, and page handlers keep a savepoint only
where a change can be refused half-way through its stock movements.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts

from api.app import create_app
from api.transaction import TransactionRoute
from tests.api.conftest import DATA_SETTINGS, TEST_SETTINGS

API = Path(__file__).resolve().parents[2] / "api"
OWNER = API / "transaction.py"
# Page handlers whose change moves stock lot by lot and may be refused half-way (see the comment
# at each): the savepoint keeps a refusal from leaving part of it.
SAVEPOINTS = {"pages/logistics.py": 3}


def test_every_route_is_a_transaction_route(api_engine: Any) -> None:
    app = create_app(api_engine, settings=TEST_SETTINGS, data_settings=DATA_SETTINGS)
    routes = [
        context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]
    assert routes
    plain = [route.path for route in routes if not isinstance(route, TransactionRoute)]
    assert plain == []


def _calls(path: Path, names: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(API)}:{node.lineno} {node.func.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in names
    ]


def test_only_the_owner_commits_or_rolls_back() -> None:
    found = [
        call
        for path in sorted(API.rglob("*.py"))
        if path != OWNER
        for call in _calls(path, {"commit", "rollback"})
    ]
    assert found == []


def test_page_handlers_keep_savepoints_only_where_a_change_can_stop_half_way() -> None:
    found: dict[str, int] = {}
    for path in sorted(API.rglob("*.py")):
        calls = _calls(path, {"begin_nested"})
        if calls:
            found[str(path.relative_to(API))] = len(calls)
    assert found == SAVEPOINTS
