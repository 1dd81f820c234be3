"""The file formats ``tierkit demo`` writes, apart from the generators (they import numpy) so
that the command line can offer them without importing numpy."""

from __future__ import annotations

from enum import StrEnum


class DemoFormat(StrEnum):
    """File format of the written tables."""

    CSV = "csv"
    PARQUET = "parquet"
