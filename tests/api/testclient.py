"""Starlette's TestClient, imported without its warning about running on httpx.

Starlette 1.x prefers ``httpx2`` for its test client and warns (an error under
``filterwarnings = error``) when it falls back to ``httpx``, which we ship; the client works
the same.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

__all__ = ["TestClient"]
