"""Evaluate a ruleset over data: criteria, derived facts, decisions, results."""

from tierkit.evaluate.run import EvaluationResult, evaluate_tables

__all__ = ["EvaluationResult", "evaluate_tables"]
