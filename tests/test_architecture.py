"""The direction of imports: api → jobs → data → allocation, and a pure core.

Read from the source with an AST walk, so an import hidden inside a function is found too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["allocation", "data", "jobs", "api"]  # lowest first
CORE_FORBIDDEN = {
    "fastapi",
    "sqlalchemy",
    "apscheduler",
    "alembic",
    "starlette",
    "psycopg",
    "uvicorn",
}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", LAYERS)
def test_no_layer_imports_upward(package: str) -> None:
    above = set(LAYERS[LAYERS.index(package) + 1 :])
    offenders = [
        f"{path.relative_to(ROOT)} imports {sorted(imported_top_levels(path) & above)}"
        for path in python_files(package)
        if imported_top_levels(path) & above
    ]
    assert not offenders, offenders


def test_core_imports_no_web_db_or_scheduler_library() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {sorted(imported_top_levels(path) & CORE_FORBIDDEN)}"
        for path in python_files("allocation")
        if imported_top_levels(path) & CORE_FORBIDDEN
    ]
    assert not offenders, offenders


def test_the_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import sqlalchemy\n    from api.app import x\n")
    assert {"sqlalchemy", "api"} <= imported_top_levels(sample)


def test_no_star_import_of_pulp() -> None:
    for package in LAYERS:
        for path in python_files(package):
            assert "from pulp import *" not in path.read_text(encoding="utf-8"), path
