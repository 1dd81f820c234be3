"""Realistic demo data for all six tables tierkit reads, reproducible from a seed.

>>> from datetime import date
>>> from tierkit.demo import DemoSpec, demo_frames
>>> tables = demo_frames(DemoSpec(customers=50, months=12, seed=1, as_of=date(2026, 1, 1)))
>>> sorted(tables)
['assessments', 'contracts', 'customers', 'invoices', 'payments', 'shipments']

:func:`generate_demo` writes the tables as CSV or Parquet files, in bounded memory, with a
progress callback; ``tierkit demo`` is its command line. See docs/demo-data.md for what the
data models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from tierkit.demo.formats import DemoFormat

if TYPE_CHECKING:
    from tierkit.demo.generate import WrittenTable, demo_frames, generate_demo
    from tierkit.demo.spec import TABLES, TOPICS, DemoSpec, default_as_of

_LAZY = {
    "TABLES": "tierkit.demo.spec",
    "TOPICS": "tierkit.demo.spec",
    "DemoSpec": "tierkit.demo.spec",
    "WrittenTable": "tierkit.demo.generate",
    "default_as_of": "tierkit.demo.spec",
    "demo_frames": "tierkit.demo.generate",
    "generate_demo": "tierkit.demo.generate",
}
"""Names imported when first used (PEP 562): the generators import numpy, which the command
line only needs for ``tierkit demo`` (it imports :class:`DemoFormat` at start-up)."""

__all__ = [
    "TABLES",
    "TOPICS",
    "DemoFormat",
    "DemoSpec",
    "WrittenTable",
    "default_as_of",
    "demo_frames",
    "generate_demo",
]


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
