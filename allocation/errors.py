"""The core's errors: one small hierarchy, so callers map them to exit codes or HTTP statuses once.

- `ScenarioError`: the input is wrong (names the field, and the line of the file when known).
- `CheckFailed`: a solver produced an answer that the independent checker rejected.
- `SolverFailed`: no answer at all (solver error, time limit, infeasible model).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for the annotation; the checker imports nothing from here at run time
    from allocation.checker import Violation

__all__ = ["AllocationError", "CheckFailed", "ScenarioError", "SolverFailed"]


class AllocationError(Exception):
    """Base class of every error the allocation core raises on purpose."""


class ScenarioError(AllocationError, ValueError):
    """Bad input: `field` is a path like ``needs[3].requested``; `line` the file line, if known."""

    def __init__(self, field: str, message: str, line: int | None = None) -> None:
        self.field = field
        self.message = message
        self.line = line
        super().__init__(self._text())

    def _text(self) -> str:
        where = self.field if self.line is None else f"{self.field} (line {self.line})"
        return f"{where}: {self.message}" if where else self.message

    def with_line(self, line: int | None) -> ScenarioError:
        """The same error, located at `line` of the scenario file."""
        return ScenarioError(self.field, self.message, line)


class CheckFailed(AllocationError):
    """The independent checker found violations; the answer must not be used."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        shown = "; ".join(str(v) for v in self.violations[:5])
        more = f" (and {len(self.violations) - 5} more)" if len(self.violations) > 5 else ""
        super().__init__(f"allocation failed its check: {shown}{more}")


class SolverFailed(AllocationError):
    """The solver gave no usable answer (error, time limit, infeasible or unbounded model)."""
