"""Opaque secrets (cookies, bearer tokens, CSRF tokens): made at random, stored only as digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["digest", "digests_match", "new_secret"]


def new_secret() -> str:
    """A fresh URL-safe random secret with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The SHA-256 hex digest of ``secret`` (what the database keeps)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def digests_match(secret: str, stored_digest: str) -> bool:
    """True when ``secret`` hashes to ``stored_digest`` (compared in constant time)."""
    return hmac.compare_digest(digest(secret), stored_digest)
