"""What was read from each table and what was skipped, for the run manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass
class TableReport:
    """What was read from one table and what was skipped, for the run manifest."""

    origin: str
    rows: int = 0
    used: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    first_date: date | None = None
    last_date: date | None = None
    negative: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per money column with negative values among the rows used (refunds, credit notes):
    ``{"rows": n, "total": "-30.00"}``, the total exact in currency units."""
    warnings: list[str] = field(default_factory=list)
    """What looks wrong without being an error: the as-of date far from the table's dates."""


@dataclass
class DataReport:
    tables: dict[str, TableReport] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            name: {
                "origin": t.origin,
                "rows": t.rows,
                "used": t.used,
                "skipped": dict(t.skipped),
                "first_date": t.first_date.isoformat() if t.first_date else None,
                "last_date": t.last_date.isoformat() if t.last_date else None,
                "negative": {k: dict(v) for k, v in t.negative.items()},
                "warnings": list(t.warnings),
            }
            for name, t in self.tables.items()
        }
