"""Base classes of the API schemas: inputs reject unknown fields, outputs read ORM objects."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["Input", "Output", "Page"]


class Input(BaseModel):
    """A request body: unknown fields are an error (422 naming the field)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    """A response body, built from ORM objects or dicts."""

    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(Output, Generic[T]):
    """One page of a list: the items, the total across pages, and the page asked for."""

    items: list[T]
    total: int
    limit: int
    offset: int
