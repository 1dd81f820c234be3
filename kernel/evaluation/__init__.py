"""Evaluate a ruleset over data: criteria, derived facts, decisions, results."""

from tierkit.evaluation.api import Run, default_as_of, evaluate, write_results
from tierkit.evaluation.run import EvaluationResult, evaluate_tables

__all__ = [
    "EvaluationResult",
    "Run",
    "default_as_of",
    "evaluate",
    "evaluate_tables",
    "write_results",
]
