"""``tierkit.report``: one self-contained HTML file about a stored run, with charts.

The page embeds its data as JSON and Apache ECharts (vendored in ``vendor/``, Apache License
2.0), so it opens offline, e.g. from an e-mail attachment; see docs/report.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tierkit.errors import UsageError
from tierkit.history import HistoryStore
from tierkit.report.data import MAX_CUSTOMERS, MOVERS, ReportOptions, build_report_data
from tierkit.report.html import ECHARTS_VERSION
from tierkit.report.page import render_page
from tierkit.special_files import refuse_output_target

__all__ = [
    "ECHARTS_VERSION",
    "MAX_CUSTOMERS",
    "MOVERS",
    "ReportOptions",
    "WrittenReport",
    "build_report_data",
    "render_page",
    "render_report",
    "write_report",
]


@dataclass(frozen=True)
class WrittenReport:
    """What :func:`write_report` wrote."""

    path: Path
    run_id: str
    bytes: int
    customers: int
    """Customers in the run."""
    shown: int
    """Customers in the page's table (at most ``max_customers``)."""


def render_report(
    store: HistoryStore | str | Path,
    ref: str = "latest",
    *,
    ruleset: str | None = None,
    options: ReportOptions | None = None,
    now: datetime | None = None,
) -> tuple[str, dict[str, object]]:
    """The report page of the run ``ref`` as HTML text, and the data it shows."""
    history = store if isinstance(store, HistoryStore) else HistoryStore(store)
    data = build_report_data(history, ref, ruleset=ruleset, options=options, now=now)
    return render_page(data, str(history.path)), data


def write_report(
    store: HistoryStore | str | Path,
    ref: str,
    out: str | Path,
    *,
    ruleset: str | None = None,
    options: ReportOptions | None = None,
) -> WrittenReport:
    """Write the report of the run ``ref`` (``latest``, ``previous``, an id or its first
    characters) to ``out``, atomically: a failure leaves no half-written file."""
    target = Path(out)
    store_path = store.path if isinstance(store, HistoryStore) else Path(store)
    if target.resolve() == store_path.resolve():  # the page would replace the history
        raise UsageError(f"{target}: is the history store itself; give the report another file")
    refuse_output_target(target, kinds=(".html", ".htm"), writes="a report is an HTML page")
    html, data = render_report(store, ref, ruleset=ruleset, options=options)
    encoded = html.encode("utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        temporary.write_bytes(encoded)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    run = data["run"]
    customers = data["customers"]
    assert isinstance(run, dict) and isinstance(customers, dict)
    return WrittenReport(
        path=target,
        run_id=str(run["run_id"]),
        bytes=len(encoded),
        customers=int(run["customers"]),
        shown=int(customers["shown"]),
    )
