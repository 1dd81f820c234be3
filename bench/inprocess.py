"""Time one implementation in-process: import it once, then run the job several times.

    python bench/inprocess.py IMPLEMENTATION DATA_FOLDER REPEAT OUT.parquet REPORT.json

IMPLEMENTATION is ``tierkit`` (``evaluate()``, vector engine, polars backend, no history
store), ``durable`` (the same with ``engine="durable"``), ``polars`` or ``pandas`` (the
hand-written scripts). Writes REPORT.json: the wall time of each run and, for tierkit, the
stage timings of each run (bench/run.py measures the process's peak memory from outside). The
categories of the last run are written to OUT.parquet (``customer_id``, ``category``) for
bench/run.py to compare.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.data import AS_OF

RULESET = Path(__file__).resolve().parent / "abc-6m.yaml"


def job(implementation: str, folder: Path) -> Any:
    """A function running the job once and returning (categories frame, extra details)."""
    if implementation in ("tierkit", "tierkit-nostore", "durable"):
        from tierkit import evaluate, get_registry

        get_registry()  # plugins are loaded once per process, as in any long-lived program
        engine = "durable" if implementation == "durable" else "vector"

        def run_tierkit() -> Any:
            run = evaluate(RULESET, folder, as_of=AS_OF, engine=engine, store=None)
            return run.results.select("customer_id", "category"), run.manifest["timings"]

        return run_tierkit
    if implementation == "polars":
        from bench.abc_polars import abc as abc_polars

        return lambda: (abc_polars(folder), None)
    if implementation == "pandas":
        from bench.abc_pandas import abc as abc_pandas

        return lambda: (abc_pandas(folder), None)
    raise SystemExit(f"unknown implementation {implementation!r}")


def main(argv: list[str]) -> None:
    implementation, folder, repeat = argv[0], Path(argv[1]), int(argv[2])
    out, report_path = Path(argv[3]), Path(argv[4])
    report: dict[str, Any] = {"implementation": implementation, "times": [], "timings": []}
    try:
        run = job(implementation, folder)
        frame = None
        for _ in range(repeat):
            frame = None
            gc.collect()
            started = time.perf_counter()
            frame, timings = run()
            report["times"].append(time.perf_counter() - started)
            if timings is not None:
                report["timings"].append(timings)
    except Exception as exc:
        from tierkit.errors import EngineUnavailable

        if not isinstance(exc, EngineUnavailable):
            raise
        report["unavailable"] = str(exc)
    else:
        if hasattr(frame, "write_parquet"):
            frame.write_parquet(out)
        else:
            frame.to_parquet(out, index=False)
    report_path.write_text(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
