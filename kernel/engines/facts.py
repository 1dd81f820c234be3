"""One fact per customer: the fields a decision's rules read, encoded for durable_rules.

A missing value is left out of the fact (durable_rules then finds every comparison on it
false, as the vector engine does). Sub-expressions durable_rules cannot compute are evaluated
here by the vector engine's own expression compiler, so they mean exactly the same.

Numbers travel as JSON numbers, except that durable_rules' JSON reader cannot read a number in
exponent form without a decimal point (``1e-05``, ``1e+16``: it rejects such a rule and crashes
on such a fact). Python writes every float below 1e-4 or from 1e16 up in exponent form (without
a point when the mantissa has one digit), so when a decision meets a number in that range (in
its facts or its constants), every number of that decision is sent as an order-preserving
integer key instead: the IEEE 754 bits of the double, negated for negative
numbers. Comparing keys gives exactly the order and equality of the numbers.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterable, Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl

from tierkit.contract import Function
from tierkit.engines.conditions import Const, FactSource
from tierkit.engines.errors import DurableUnsupported
from tierkit.engines.vector.expressions import Compiler
from tierkit.engines.vector.frames import ID, Frames

ROW = "r"
"""The row number of the customer; every fact has it, so it also guards every rule."""
FACT_ID = "id"
US_PER_DAY = 86_400_000_000
"""Dates travel as microseconds since 1970-01-01, so dates and timestamps compare."""
MAX_FIELDS = 250
"""durable_rules holds at most 255 properties per fact (with ``id``, ``sid`` and the row)."""
SMALL = 1e-4
LARGE = 1e16
"""Python writes a float in exponent form below ``SMALL`` and from ``LARGE`` up."""
EPOCH = dt.date(1970, 1, 1)
EXACT_INT = 2**53
_SIGN_OFF = 0x7FFF_FFFF_FFFF_FFFF


def fact_frame(
    work: pl.DataFrame,
    sources: Sequence[FactSource],
    functions: dict[str, Function],
    decision: str,
) -> pl.DataFrame:
    """The raw values of every field, one row per customer (in the order of ``work``)."""
    if len(sources) > MAX_FIELDS:
        raise DurableUnsupported(
            f"decision '{decision}' reads {len(sources)} values; durable_rules facts hold at "
            f"most {MAX_FIELDS}"
        )
    missing = [s.column for s in sources if s.column is not None and s.column not in work.columns]
    if missing:
        raise DurableUnsupported(
            f"decision '{decision}' reads {', '.join(repr(m) for m in missing)}, which the "
            "inputs do not have"
        )
    columns = [pl.col(s.column).alias(s.name) for s in sources if s.column is not None]
    frame = work.select(pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW), *columns)
    computed = [s for s in sources if s.expr is not None]
    if computed:
        frame = frame.with_columns(_precompute(work, computed, functions).get_columns())
    return frame


def _precompute(
    work: pl.DataFrame, sources: Sequence[FactSource], functions: dict[str, Function]
) -> pl.DataFrame:
    """Evaluate sub-expressions with the vector engine's compiler."""
    frames = Frames.of_values(work)
    compiler = Compiler(frames, functions)
    exprs = []
    for source in sources:
        assert source.expr is not None
        compiler.types = source.types
        exprs.append(compiler.expr(source.expr, False).alias(source.name))
    names = [s.name for s in sources]
    with_values = frames.customers.with_columns(*exprs)  # constants broadcast to every row
    result = nw.to_native(with_values.select(names).collect(backend="polars"))
    assert isinstance(result, pl.DataFrame)
    return result


def needs_keys(frame: pl.DataFrame, sources: Sequence[FactSource], consts: Iterable[Const]) -> bool:
    """Whether some number would reach durable_rules in a form it cannot read.

    Refuses NaN, which has no place in the order of numbers.
    """
    numbers = [
        (source, frame[source.name])
        for source in sources
        if source.base == "number" and frame[source.name].dtype.is_numeric()
    ]
    for source, series in numbers:
        _refuse_nan(series, source)
    if any(c.base == "number" and _awkward(c.value) for c in consts):
        return True
    return any(_awkward_series(series) for _, series in numbers)


def _awkward_series(series: pl.Series) -> bool:
    size = series.cast(pl.Float64).abs()
    if series.dtype.is_integer():
        return bool((size >= EXACT_INT).any())
    return bool(((size >= LARGE) | ((size < SMALL) & (size > 0))).any())


def _awkward(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, int):
        return abs(value) >= EXACT_INT
    return value != 0 and not SMALL <= abs(value) < LARGE


def _refuse_nan(series: pl.Series, source: FactSource) -> None:
    if series.dtype.is_float() and bool(series.is_nan().any()):
        what = source.column or "a computed value"
        raise DurableUnsupported(
            f"{what} holds NaN (not a number), which the durable engine cannot compare; "
            "use a missing value instead"
        )


def encode(frame: pl.DataFrame, sources: Sequence[FactSource], keys: bool) -> pl.DataFrame:
    """Each field in the form durable_rules reads: numbers, texts, true/false."""
    if not sources:
        return frame
    return frame.with_columns(_encoded(frame[s.name], s, keys) for s in sources)


def _encoded(series: pl.Series, source: FactSource, keys: bool) -> pl.Series:
    dtype = series.dtype
    if dtype == pl.Null:
        return series
    if source.base == "date":
        if dtype == pl.Date:
            return series.cast(pl.Int64) * US_PER_DAY
        if isinstance(dtype, pl.Datetime):
            return series.dt.epoch("us")
    elif source.base == "number" and dtype.is_numeric():
        if keys:
            return _keys(series.cast(pl.Float64))
        return series if dtype.is_integer() or dtype.is_float() else series.cast(pl.Float64)
    elif source.base == "text" and dtype in (pl.String, pl.Categorical, pl.Enum):
        return series.cast(pl.String)
    elif source.base == "boolean" and dtype == pl.Boolean:
        return series
    raise DurableUnsupported(
        f"{source.column or 'a computed value'} has type {dtype}, but the ruleset uses it as "
        f"{source.base}"
    )


def _keys(series: pl.Series) -> pl.Series:
    bits = series.fill_null(0.0).to_numpy().view(np.int64)
    keyed = pl.Series(series.name, np.where(bits >= 0, bits, -(bits & _SIGN_OFF)))
    return keyed.zip_with(series.is_not_null(), pl.Series([None], dtype=pl.Int64))


def number_key(value: float) -> int:
    """The order-preserving integer key of a number (see the module docstring)."""
    (bits,) = struct.unpack("<q", struct.pack("<d", float(value)))
    return int(bits) if bits >= 0 else -(int(bits) & _SIGN_OFF)


def constant(const: Const, keys: bool) -> Any:
    """A constant in the form its field is sent in."""
    value = const.value
    if const.base == "date":
        assert isinstance(value, dt.date)
        return (value - EPOCH).days * US_PER_DAY
    if const.base == "number" and keys:
        assert isinstance(value, int | float)
        return number_key(value)
    return value


def facts(frame: pl.DataFrame, ids: Sequence[str]) -> list[dict[str, Any]]:
    """One fact per row: the fields that have a value (with the row number) and a unique id."""
    made = []
    for values, fact_id in zip(frame.to_dicts(), ids, strict=False):
        fact = {k: v for k, v in values.items() if v is not None}
        fact[FACT_ID] = fact_id
        made.append(fact)
    return made


def customer_ids(work: pl.DataFrame, rows: Iterable[int]) -> list[str]:
    """The customer ids of some rows, for error messages."""
    column = work[ID]
    return [str(column[r]) for r in rows]
