"""Built-in extra functions for ruleset expressions: abs, round, clip, greatest, least."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tierkit.contract import Function, FunctionArg, ValueType
from tierkit.hookspecs import hookimpl

if TYPE_CHECKING:
    import narwhals.stable.v2 as nw
else:  # imported on first use: loading a plugin computes nothing
    from tierkit.plugins._lazy import nw

N = ValueType.NUMBER


# 10**308 is the largest power of ten a float holds: more digits keep every number as it is,
# fewer than -308 round every number to 0 (10**400 is infinite and 0 * inf is NaN, which
# compares greater than any number).
_DIGITS_LIMIT = 308
# From 2**52 on a float has no fractional part: scaling it further could only overflow.
_WHOLE = float(2**52)


def _round(x: Any, digits: Any = None) -> Any:
    """Half away from zero, to ``digits`` decimals (an expression: scale, round, unscale)."""
    if digits is None:
        return x.round(0)
    digits = (nw.lit(digits) if isinstance(digits, int | float) else digits).clip(
        -_DIGITS_LIMIT, _DIGITS_LIMIT
    )
    scale = nw.lit(10.0) ** digits
    scaled = x * scale
    return nw.when(scaled.abs() >= _WHOLE).then(x).otherwise(scaled.round(0) / scale)


def _both(x: Any, y: Any, pick: Any) -> Any:
    """Missing when either argument is missing, else ``pick``."""
    return nw.when(~x.is_null() & ~y.is_null()).then(pick)


@hookimpl(trylast=True)
def tierkit_functions() -> list[Function]:
    return [
        Function(
            "abs",
            "The absolute value.",
            "abs(trend(paid)) < 10",
            (FunctionArg("x", N),),
            N,
            lambda x: x.abs(),
        ),
        Function(
            "round",
            "x rounded to a number of digits (0 when not given).",
            "round(share(value) * 100, 1)",
            (FunctionArg("x", N), FunctionArg("digits", N, optional=True)),
            N,
            _round,
        ),
        Function(
            "clip",
            "x limited to [low, high].",
            "clip(margin, 0, 1)",
            (FunctionArg("x", N), FunctionArg("low", N), FunctionArg("high", N)),
            N,
            lambda x, low, high: nw.when(x < low).then(low).when(x > high).then(high).otherwise(x),
        ),
        Function(
            "greatest",
            "The larger of two numbers (missing if either is).",
            "greatest(paid, 0)",
            (FunctionArg("x", N), FunctionArg("y", N)),
            N,
            lambda x, y: _both(x, y, nw.when(x >= y).then(x).otherwise(y)),
        ),
        Function(
            "least",
            "The smaller of two numbers (missing if either is).",
            "least(on_time, completeness)",
            (FunctionArg("x", N), FunctionArg("y", N)),
            N,
            lambda x, y: _both(x, y, nw.when(x <= y).then(x).otherwise(y)),
        ),
    ]
