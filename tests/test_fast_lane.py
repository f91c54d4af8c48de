"""The fast lane (`./dev test -m "not slow"`) leaves out only modules that exist and are slow."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SLOW_MODULES

ROOT = Path(__file__).resolve().parent.parent


def test_every_slow_module_exists() -> None:
    # A renamed module would silently rejoin the fast lane (or a typo leave one out of it).
    missing = sorted(path for path in SLOW_MODULES if not (ROOT / path).is_file())
    assert missing == []
