"""Fuzzing fixtures: the API tests' seeded world (SQLite and PostgreSQL) and its rolled-back app.

The fixtures are the ones of ``tests/api/conftest.py``: ``world`` (the demo round run through
approval, manifests and escalations, a bearer token per role), ``api_connection`` (an outer
transaction rolled back after each test) and ``app`` (request sessions joining it).
"""

from __future__ import annotations

from tests.api.conftest import api_connection, api_engine, app, world

__all__ = ["api_connection", "api_engine", "app", "world"]
