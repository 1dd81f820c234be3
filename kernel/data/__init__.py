"""Reading a company's data: open a source, check table contracts, parse and clean the rows.

:func:`~tierkit.data.open.open_source` picks the source kind (a folder of files, a DuckDB or
SQLite file, or a plugin's); :func:`~tierkit.data.prepare.prepare_tables` checks every table
and column the criteria need, parses values (dates, exact money), applies the bad-data rules of
docs/data-formats.md, and reports what it read and skipped.
"""

from tierkit.data.open import open_source
from tierkit.data.prepare import PreparedTables, prepare_tables
from tierkit.data.report import DataReport

__all__ = ["DataReport", "PreparedTables", "open_source", "prepare_tables"]
