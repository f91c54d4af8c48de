"""Pydantic request and response schemas of the REST API (``extra="forbid"`` on every input)."""
