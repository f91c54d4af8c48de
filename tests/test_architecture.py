"""The direction of imports: api → jobs → data → allocation, and a pure core.

Read from the source with an AST walk, so an import hidden inside a function is found too.
"""

from __future__ import annotations

import ast
import functools
import re
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


@functools.cache
def parsed(path: Path) -> ast.Module:
    """A module's syntax tree (each file is parsed once for all the checks)."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_top_levels(path: Path) -> set[str]:
    tree = parsed(path)
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


MODULE_NAME = re.compile(r"^(allocation|data|jobs|api)(\.[a-z_]+)+(:[a-z_]+)?$")


def _names_a_module(text: str) -> str | None:
    """The layer a string like ``"api.cli:serve_command"`` names, when that module exists."""
    if not MODULE_NAME.match(text):
        return None
    parts = text.split(":")[0].split(".")
    path = ROOT.joinpath(*parts)
    return parts[0] if path.with_suffix(".py").is_file() or path.is_dir() else None


@pytest.mark.parametrize("package", LAYERS)
def test_no_layer_names_a_higher_one_to_import_by_name(package: str) -> None:
    # A lazily loaded command ("module:attribute") is an import too: jobs/cli must not name api.
    above = set(LAYERS[LAYERS.index(package) + 1 :])
    offenders = [
        f"{path.relative_to(ROOT)} names {node.value!r}"
        for path in python_files(package)
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _names_a_module(node.value) in above
    ]
    assert not offenders, offenders


def test_no_module_imports_another_modules_private_names() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {alias.name} from {node.module}"
        for package in LAYERS
        for path in python_files(package)
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__"
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert not offenders, offenders


def test_the_command_table_is_built_once_not_patched() -> None:
    # jobs/cli is the composition root; the web layer hands it its commands, never mutates them.
    import api.cli
    import jobs.cli

    assert isinstance(jobs.cli.main, jobs.cli.LazyGroup)
    assert isinstance(api.cli.main, jobs.cli.LazyGroup)
    assert jobs.cli.main.lazy == jobs.cli.COMMANDS
    assert api.cli.main.lazy == {**jobs.cli.COMMANDS, **api.cli.WEB_COMMANDS}
    assert api.cli.main is not jobs.cli.main
    patched = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in python_files("api")
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.Attribute) and node.attr in {"add_command", "lazy"}
    ]
    assert not patched, patched


# SQLAlchemy's query constructs, which belong in data/ behind a named function.
QUERY_CONSTRUCTS = {"select", "text", "exists", "insert", "update", "delete", "union", "table"}
SESSION_QUERIES = {"execute", "scalar", "scalars", "get", "query", "scalar_one"}


def _queries(path: Path) -> list[str]:
    """Where a module builds or runs a query itself."""
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    found = []
    for node in ast.walk(parsed(path)):
        if (
            isinstance(node, ast.ImportFrom)
            and (node.module or "").split(".")[0] == "sqlalchemy"
            and {alias.name for alias in node.names} & QUERY_CONSTRUCTS
        ):
            found.append(f"{where}:{node.lineno} imports a query construct")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SESSION_QUERIES
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in {"session", "db_session"}
        ):
            found.append(f"{where}:{node.lineno} session.{node.func.attr}(…)")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "select":
            found.append(f"{where}:{node.lineno} select(…)")
    return found


@pytest.mark.parametrize("package", ["api", "jobs"])
def test_every_query_is_behind_a_data_function(package: str) -> None:
    offenders = [found for path in python_files(package) for found in _queries(path)]
    assert not offenders, offenders


def test_the_query_check_sees_a_query(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from sqlalchemy import select\ndef f(session):\n    return session.scalars(select(Item))\n"
    )
    assert len(_queries(sample)) == 3
