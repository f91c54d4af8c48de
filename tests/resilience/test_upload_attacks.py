"""The upload attack corpus of issue 15: small files describing huge tables, each refused clearly.

Every file of ``tests.resilience.upload_attacks`` goes to ``POST /api/v1/needs/upload`` as the
Stockholm municipal coordinator and to the upload page. Each must be answered as a user can act on
it — refused (422) naming the problem, or, for the files that are fine apart from a lie about their
size, read and checked like any other — with a short answer (the old reader echoed a 200 MB cell
twice), nothing stored from a refused file, and the reader's memory bounded by the file's real
content rather than by what it claims (the old reader took 1.4 GB for a 4.7 KB .xlsx).
Times are the benchmark's business (``benchmarks/uploads.py``).
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import Connection

from api.app import create_app
from api.settings import ApiSettings
from data.errors import ValidationFailed
from data.needs.upload import parse_need_file
from tests.api.conftest import (
    DATA_SETTINGS,
    World,
    api_connection,
    api_engine,
    app,
    as_role,
    joined_factory,
    world,
)
from tests.api.testclient import TestClient
from tests.resilience.test_hostile_input import _counts
from tests.resilience.upload_attacks import attacks

__all__ = ["api_connection", "api_engine", "app", "as_role", "world"]

NAMES = sorted(attacks("H-0180-001"))


@pytest.fixture
def roomy_app(api_engine: object, api_connection: Connection) -> Iterator[FastAPI]:
    """The app with the production body limit (10 MB), on the test's rolled-back connection."""
    application = create_app(api_engine, settings=ApiSettings(), data_settings=DATA_SETTINGS)  # type: ignore[arg-type]
    application.state.session_factory = joined_factory(api_connection)
    yield application


def test_every_attack_is_answered_briefly_and_stores_nothing_it_refuses(
    roomy_app: FastAPI, world: World, api_connection: Connection
) -> None:
    """API: 422 naming the problem (or 201 for a file whose only fault is its lie), under 4 KB."""
    own = str(world.ids["own_home"])
    with TestClient(roomy_app) as client:
        client.headers["Authorization"] = f"Bearer {world.tokens['coordinator_own']}"
        for name, (filename, content, expected) in attacks(own).items():
            assert len(content) < 10 * 1024 * 1024, name
            before = _counts(api_connection)
            response = client.post("/api/v1/needs/upload", files={"file": (filename, content)})
            assert len(response.content) < 4096, f"{name}: {len(response.content)} bytes"
            if expected == "stored":
                assert response.status_code == 201, f"{name}: {response.text[:300]}"
                assert _counts(api_connection) == (before[0] + 1, before[1] + 1), name
                continue
            text = json.dumps(response.json(), ensure_ascii=False)
            assert response.status_code == 422, f"{name}: {response.status_code} {text[:300]}"
            assert expected.removeprefix("benign:") in text, f"{name}: {text[:300]}"
            assert _counts(api_connection) == before, f"{name} stored something"


@pytest.mark.parametrize("name", NAMES)
def test_reading_an_attack_takes_memory_of_the_file_not_of_its_claims(name: str) -> None:
    """The reader's peak (Python allocations) stays far below what each file describes."""
    filename, content, expected = attacks("H-0180-001")[name]
    tracemalloc.start()
    try:
        try:
            parse_need_file(filename, content)
            outcome = "read"
        except ValidationFailed as exc:
            outcome = json.dumps(exc.errors, ensure_ascii=False)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * len(content) + 16 * 1024 * 1024, f"{name}: peak {peak / 1e6:.0f} MB"
    if not expected.startswith(("benign:", "stored")):
        assert expected in outcome, f"{name}: {outcome[:300]}"


def test_upload_page_shows_an_attack_as_one_short_error(
    as_role: Callable[[str], TestClient], world: World, api_connection: Connection
) -> None:
    """The page: the refusal in Swedish as the file's error row, the page small, nothing stored."""
    own = str(world.ids["own_home"])
    filename, content, expected = attacks(own)["200 MB shared string"]
    client = as_role("coordinator_own")
    before = _counts(api_connection)
    response = client.post("/kommun/uppladdning", files={"fil": (filename, content)})
    assert response.status_code == 422
    assert expected in response.text
    assert len(response.content) < 64 * 1024
    assert _counts(api_connection) == before
