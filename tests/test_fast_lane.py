"""The fast lane (`./dev test -m "not slow"`): it leaves out only test modules that exist and are
slow, and its tests still reach every module of the code."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import SLOW_MODULES

ROOT = Path(__file__).resolve().parent.parent


def test_every_slow_module_exists() -> None:
    # A renamed module would silently rejoin the fast lane (or a typo leave one out of it).
    missing = sorted(path for path in SLOW_MODULES if not (ROOT / path).is_file())
    assert missing == []


PACKAGES = ("allocation", "data", "jobs", "api")


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


SOURCES = {_module(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def _reached_from(path: Path) -> set[str]:
    """The source modules a file imports: import statements, and names given as strings
    (``importlib.import_module("allocation.lp")``, a lazy command's ``"module:attribute"``)."""
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            named.add(node.module)
            named.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            named.add(node.value.split(":")[0])
    found: set[str] = set()
    for name in named:
        parts = name.split(".")
        found.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
    return found & set(SOURCES)


def test_the_fast_lane_reaches_every_module() -> None:
    # Every module of the code is imported by a test of the fast lane, directly or through the
    # modules it imports. The migrations are run by Alembic (data.schema) in every database test.
    fast = [
        p
        for p in (ROOT / "tests").rglob("*.py")
        if p.relative_to(ROOT).as_posix() not in SLOW_MODULES
    ]
    todo = [module for path in fast for module in _reached_from(path)]
    reached: set[str] = set()
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(_reached_from(SOURCES[module]))
    if "data.schema" in reached:
        reached.update(m for m in SOURCES if m.startswith("data.migrations"))
    assert sorted(set(SOURCES) - reached) == []
