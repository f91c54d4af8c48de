"""The allocation core: weighted max-min fair sharing of scarce stock, pure maths.

It imports nothing else of Fördela's and no web, database or scheduler library: a problem goes in,
a checked and explained result comes out.
"""

from allocation.checker import Violation, check
from allocation.errors import AllocationError, CheckFailed, ScenarioError, SolverFailed
from allocation.model import (
    AllocationResult,
    CapacityGroup,
    CareHome,
    Item,
    ItemSummary,
    LineResult,
    Municipality,
    Need,
    Policy,
    Problem,
    SolveStats,
    StockLine,
)
from allocation.scenario import (
    dumps_result,
    iter_result_json,
    load_scenario,
    problem_from_dict,
    problem_to_dict,
    result_to_dict,
    write_result,
)
from allocation.solve import METHODS, solve
from allocation.validate import validate

__all__ = [
    "METHODS",
    "AllocationError",
    "AllocationResult",
    "CapacityGroup",
    "CareHome",
    "CheckFailed",
    "Item",
    "ItemSummary",
    "LineResult",
    "Municipality",
    "Need",
    "Policy",
    "Problem",
    "ScenarioError",
    "SolveStats",
    "SolverFailed",
    "StockLine",
    "Violation",
    "check",
    "dumps_result",
    "iter_result_json",
    "load_scenario",
    "problem_from_dict",
    "problem_to_dict",
    "result_to_dict",
    "solve",
    "validate",
    "write_result",
]
