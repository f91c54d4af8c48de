"""The reference CSVs are what ``data/reference/generate.py`` writes: regenerating them changes
nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.reference import generate


def test_the_generator_reproduces_the_committed_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generate, "HERE", tmp_path)
    generate.main()
    for name in ("municipalities.csv", "care_homes.csv", "items.csv"):
        committed = (Path(generate.__file__).parent / name).read_text(encoding="utf-8")
        assert (tmp_path / name).read_text(encoding="utf-8") == committed, name
