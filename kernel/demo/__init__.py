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

from tierkit.demo.generate import WrittenTable, demo_frames, generate_demo
from tierkit.demo.spec import TABLES, TOPICS, DemoFormat, DemoSpec, default_as_of

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
