"""Defaults the command line shows in its help, in a module that imports nothing.

The modules that use them (the history store, the report) import polars or DuckDB; keeping the
values here lets ``tierkit --help`` print them without importing those.
"""

from __future__ import annotations

DEFAULT_STORE = "tierkit.duckdb"
"""The history store's file name in the working directory when none is given."""

REPORT_MAX_CUSTOMERS = 100_000
"""The most customers the report's table embeds; more are cut, the most valuable kept."""

REPORT_MOVERS = 25
"""How many of the biggest movers the report lists."""
