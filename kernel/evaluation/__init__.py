"""Evaluate a ruleset over data: criteria, derived facts, decisions, results."""

from tierkit.evaluation.api import Run, default_as_of, evaluate
from tierkit.evaluation.output import check_output, write_results
from tierkit.evaluation.run import EvaluationResult, evaluate_tables

__all__ = [
    "EvaluationResult",
    "Run",
    "check_output",
    "default_as_of",
    "evaluate",
    "evaluate_tables",
    "write_results",
]
