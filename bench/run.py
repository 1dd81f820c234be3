"""The benchmark: the same ABC job done by tierkit and by hand, timed in the same run.

    python bench/run.py --sizes 10k,100k,1m [--repeat 3] [--include-10m]

The job: cash received over the six months before 2026-01-01, then ABC by cumulative share
(80/15/5), for every customer (bench/abc-6m.yaml). For each size it generates (or reuses) the
data (bench/data.py), then runs

- tierkit: ``evaluate()`` with the vector engine on polars, in-process (bench/inprocess.py),
  and ``tierkit evaluate … --out results.parquet --no-store`` as a whole process;
- the durable engine: ``evaluate(…, engine="durable")`` in-process, up to ``--durable-max``
  customers (reported as not available while the engine raises EngineUnavailable);
- hand-written polars (bench/abc_polars.py) and pandas (bench/abc_pandas.py) scripts, in-process
  and as whole processes.

Every run's categories are compared customer by customer with the hand-written polars result;
any difference stops the benchmark (exit 1). Times are medians over ``--repeat`` runs; peak
memory is the largest peak resident set size of the whole-process runs (from ``wait4``). Whole
processes run interleaved (one of each implementation per round) so that load from other
programs falls on all of them alike. The table, the machine and the targets are written to
docs/performance.md between its ``bench:start`` and ``bench:end`` markers; the rest of that file
is left as it is.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl

from bench.data import AS_OF, CACHE, ensure_data, ensure_demo, payments_in

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RULESET = HERE / "abc-6m.yaml"
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"

IMPLEMENTATIONS = (
    "tierkit",
    "tierkit-parquet",
    "tierkit-nostore",
    "tierkit-duckdb",
    "durable",
    "polars",
    "duckdb",
    "pandas",
)
LABELS = {
    "tierkit": "tierkit, history on, CSV out",
    "tierkit-parquet": "tierkit, history on, Parquet out",
    "tierkit-nostore": "tierkit --no-store, Parquet out",
    "tierkit-duckdb": "tierkit --backend duckdb, history on, Parquet out",
    "durable": "tierkit (durable engine)",
    "polars": "hand-written polars",
    "duckdb": "hand-written DuckDB SQL",
    "pandas": "hand-written pandas",
}
PROCESS_ORDER = (
    "polars",
    "tierkit",
    "duckdb",
    "tierkit-parquet",
    "tierkit-duckdb",
    "tierkit-nostore",
    "pandas",
)
"""One round of whole processes: the hand-written scripts between tierkit's runs."""
INPROCESS = ("polars", "tierkit-nostore", "pandas", "durable")
"""What also runs in-process (``evaluate()`` without a store, the hand-written functions)."""
REFERENCE = "polars"
DUCKDB_REFERENCE = "duckdb"
DURABLE_TARGET = 25_000
"""Customers per second the durable engine should decide."""
TIME_TARGET, MEMORY_TARGET, TARGET_SIZE = 1.5, 1.3, 1_000_000
HUGE = 10_000_000
"""From this size on only whole processes run (no in-process repeats, no pandas)."""


# sizes ----------------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    """``10k`` → 10,000, ``1m`` → 1,000,000, ``2500`` → 2,500."""
    text = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    value = float(number) * factor
    if value < 1 or value != int(value):
        raise argparse.ArgumentTypeError(f"not a number of customers: {text!r}")
    return int(value)


PAYMENTS: dict[int, int] = {}
"""Payments in the data of each size (known once the data is there)."""


def size_label(customers: int) -> str:
    payments = PAYMENTS.get(customers)
    return f"{customers:,} customers" + (f" / {payments:,} payments" if payments else "")


# measuring ------------------------------------------------------------------------------------


@dataclass
class Measure:
    """The runs of one implementation at one size."""

    implementation: str
    inprocess: list[float] = field(default_factory=list)
    inprocess_rss_kb: int | None = None
    timings: list[dict[str, float]] = field(default_factory=list)
    process_timings: list[dict[str, float]] = field(default_factory=list)
    """The stage timings each whole process saved in its history store."""
    process: list[float] = field(default_factory=list)
    process_cpu: list[float] = field(default_factory=list)
    process_rss_kb: list[int] = field(default_factory=list)
    note: str | None = None
    outputs: list[Path] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "implementation": self.implementation,
            "inprocess_s": self.inprocess,
            "inprocess_peak_rss_kb": self.inprocess_rss_kb,
            "stage_timings": self.timings,
            "process_stage_timings": self.process_timings,
            "process_s": self.process,
            "process_cpu_s": self.process_cpu,
            "process_peak_rss_kb": self.process_rss_kb,
            "note": self.note,
        }


@dataclass
class ProcessRun:
    seconds: float
    cpu: float
    peak_rss_kb: int
    returncode: int
    stderr: str
    stopped: str | None


LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss": usage.ru_maxrss, "code": os.waitstatus_to_exitcode(status)}))
"""
"""Runs a command and reports its wall time, CPU time and peak RSS. A separate, small process
(``python -S``, no site imports) forks it: Linux keeps the peak RSS of the process that forked
across ``exec``, so forking the commands from this process (which has polars loaded) would
count this process's memory as theirs."""


def run_process(command: list[str], limit_kb: int, timeout: float) -> ProcessRun:
    """Run ``command``; wall time, CPU time and peak RSS (``wait4``); stop it past a limit."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        launcher = subprocess.Popen(
            [sys.executable, "-S", "-c", LAUNCHER, *command],
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=ROOT,
            start_new_session=True,
        )
        stopped: list[str] = []
        peak = [0]
        done = threading.Event()

        def watch() -> None:  # RSS watchdog: other people use this machine too
            while not done.wait(0.1):
                rss = sum(_rss_kb(pid) for pid in _tree(launcher.pid))
                peak[0] = max(peak[0], rss)
                if rss > limit_kb:
                    stopped.append(f"stopped at {rss / 1024**2:.1f} GB resident")
                elif time.perf_counter() - started > timeout:
                    stopped.append(f"stopped after {timeout:.0f} s")
                else:
                    continue
                os.killpg(launcher.pid, signal.SIGKILL)
                return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        out, _ = launcher.communicate()
        done.set()
        watcher.join()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    if stopped or launcher.returncode != 0:
        why = stopped[0] if stopped else f"the launcher failed: {stderr[-2000:]}"
        seconds = time.perf_counter() - started
        return ProcessRun(seconds, 0.0, peak[0], launcher.returncode or -9, stderr, why)
    measured = json.loads(out.decode().strip().splitlines()[-1])
    return ProcessRun(
        measured["seconds"],
        measured["cpu"],
        int(measured["rss"]),
        int(measured["code"]),
        stderr,
        None,
    )


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    found = [pid]
    for parent in found:
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found += [int(c) for c in children]
    return found


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_command(implementation: str, folder: Path, out: Path) -> list[str]:
    """The command of one whole-process run; tierkit's history store is a new file each time."""
    if implementation.startswith("tierkit"):
        tierkit = Path(sys.executable).with_name("tierkit")
        command = [
            str(tierkit), "evaluate", str(RULESET), "--data", str(folder),
            "--as-of", AS_OF.isoformat(), "--out", str(out),
        ]  # fmt: skip
        if implementation == "tierkit-nostore":
            return [*command, "--no-store"]
        store = out.with_suffix(".duckdb")
        _remove_store(store)  # a new store for each run: created, then one run saved
        command += ["--store", str(store)]
        if implementation == "tierkit-duckdb":
            command += ["--backend", "duckdb"]
        return command
    script = HERE / f"abc_{implementation}.py"
    return [sys.executable, str(script), str(folder), str(out)]


def output_name(implementation: str, customers: int, round_: int) -> str:
    suffix = "csv" if implementation == "tierkit" else "parquet"
    return f"{implementation}-{customers}-process-{round_}.{suffix}"


def inprocess_command(implementation: str, folder: Path, repeat: int, out: Path) -> list[str]:
    return [
        sys.executable, str(HERE / "inprocess.py"), implementation, str(folder), str(repeat),
        str(out), str(out.with_suffix(".json")),
    ]  # fmt: skip


class BenchError(Exception):
    pass


# comparing ------------------------------------------------------------------------------------


def categories(path: Path) -> pl.DataFrame:
    if path.suffix == ".csv":
        frame = pl.read_csv(path, columns=["customer_id", "category"], infer_schema=False)
    else:
        frame = pl.read_parquet(path, columns=["customer_id", "category"])
    return frame.with_columns(
        pl.col("customer_id").cast(pl.String), pl.col("category").cast(pl.String)
    ).sort("customer_id")


def check_same(reference: pl.DataFrame, path: Path, who: str, customers: int) -> None:
    """Stop unless ``path`` holds the reference category for every customer, and no other."""
    other = categories(path)
    problems = []
    if reference.height != customers:
        problems.append(f"the reference has {reference.height:,} customers, not {customers:,}")
    if other.height != reference.height:
        problems.append(f"{other.height:,} customers, the reference {reference.height:,}")
    joined = reference.join(other, on="customer_id", how="full", suffix="_other", coalesce=True)
    differ = joined.filter(pl.col("category").ne_missing(pl.col("category_other")))
    if differ.height:
        shown = ", ".join(
            f"{r['customer_id']}: {r['category']} vs {r['category_other']}"
            for r in differ.head(5).iter_rows(named=True)
        )
        problems.append(f"{differ.height:,} customers differ ({shown})")
    if problems:
        raise BenchError(f"{who} disagrees with hand-written polars: " + "; ".join(problems))


# one size -------------------------------------------------------------------------------------


def bench_size(customers: int, args: argparse.Namespace, work: Path) -> dict[str, Measure]:
    say = print
    if args.source == "demo":
        folder = ensure_demo(customers, seed=args.seed, root=args.data_root, say=say)
    else:
        folder = ensure_data(customers, seed=args.seed, root=args.data_root, say=say)
    PAYMENTS[customers] = payments_in(folder)
    huge = customers >= HUGE
    wanted = [i for i in IMPLEMENTATIONS if i in args.implementations]
    if huge:
        wanted = [i for i in wanted if i in ("tierkit", "polars", "duckdb", "tierkit-duckdb")]
    measures = {i: Measure(i) for i in wanted}
    if "pandas" in measures and importlib.util.find_spec("pandas") is None:
        measures["pandas"].note = "not installed (pip install -e '.[bench]')"
    if "durable" in measures and customers > args.durable_max:
        measures["durable"].note = f"not run above {args.durable_max:,} customers"
    limit_kb = int(args.memory_limit_gb * 1024**2)

    # whole processes, interleaved: one run of each implementation per round
    for round_ in range(1 if huge else args.repeat):
        for implementation in PROCESS_ORDER:
            measure = measures.get(implementation)
            if measure is None or measure.note:
                continue
            out = work / output_name(implementation, customers, round_)
            say(f"  {size_label(customers)}: {LABELS[implementation]}, process {round_ + 1}")
            done = run_process(process_command(implementation, folder, out), limit_kb, args.timeout)
            if done.stopped or done.returncode != 0:
                measure.note = done.stopped or f"exit {done.returncode}: {done.stderr[-2000:]}"
                measure.process_rss_kb.append(done.peak_rss_kb)
                measure.process.append(done.seconds)
                continue
            measure.process.append(done.seconds)
            measure.process_cpu.append(done.cpu)
            stages = stored_timings(out.with_suffix(".duckdb"))
            if stages:
                measure.process_timings.append(stages)
            measure.process_rss_kb.append(done.peak_rss_kb)
            measure.outputs.append(out)

    # in-process: one process per implementation, the job repeated inside it
    if not huge:
        for implementation in INPROCESS:
            measure = measures.get(implementation)
            if measure is None or (measure.note and implementation == "durable"):
                continue
            out = work / f"{implementation}-{customers}-inprocess.parquet"
            say(f"  {size_label(customers)}: {LABELS[implementation]}, in-process ×{args.repeat}")
            command = inprocess_command(implementation, folder, args.repeat, out)
            done = run_process(command, limit_kb, args.timeout)
            if done.stopped or done.returncode != 0:
                why = done.stopped or f"exit {done.returncode}: {done.stderr[-3000:]}"
                if implementation != "durable":
                    raise BenchError(f"{LABELS[implementation]} (in-process) failed: {why}")
                measure.note = f"failed: {why.strip().splitlines()[-1]}"
                continue
            report = json.loads(out.with_suffix(".json").read_text())
            if "unavailable" in report:
                measure.note = f"not available: {report['unavailable']}"
                continue
            measure.inprocess = report["times"]
            measure.inprocess_rss_kb = done.peak_rss_kb
            measure.timings = report["timings"]
            measure.outputs.append(out)

    reference_outputs = measures[REFERENCE].outputs if REFERENCE in measures else []
    if not reference_outputs:
        raise BenchError(f"hand-written polars produced no result at {size_label(customers)}")
    reference = categories(reference_outputs[0])
    for measure in measures.values():
        for path in measure.outputs:
            who = f"{LABELS[measure.implementation]} ({path.name})"
            check_same(reference, path, who, customers)
    counts = dict(reference["category"].value_counts().iter_rows())
    say(
        f"  all {sum(len(m.outputs) for m in measures.values())} results agree, customer by "
        f"customer (A {counts.get('A', 0):,}, B {counts.get('B', 0):,}, C {counts.get('C', 0):,})"
    )
    for measure in measures.values():
        for path in measure.outputs:
            path.unlink(missing_ok=True)
            _remove_store(path.with_suffix(".duckdb"))
    return measures


def _remove_store(store: Path) -> None:
    """Remove a history store with the stamp tierkit keeps beside it (``.NAME.verified``)."""
    for path in (store, store.with_name(f".{store.name}.verified")):
        path.unlink(missing_ok=True)


def stored_timings(store: Path) -> dict[str, float] | None:
    """The stage timings of the run saved in ``store`` (whole-process runs with history on)."""
    if not store.exists():
        return None
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        row = con.execute("select manifest from runs order by seq desc limit 1").fetchone()
    finally:
        con.close()
    return dict(json.loads(row[0]).get("timings") or {}) if row else None


# reporting ------------------------------------------------------------------------------------


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f} s" if value < 1 else f"{value:.2f} s"


def megabytes(kb: int | None) -> str:
    return "–" if kb is None else f"{kb / 1024:,.0f} MB"


def times(value: float | None, reference: float | None) -> str:
    if value is None or not reference:
        return "–"
    return f"{value / reference:.2f}×"


def size_table(customers: int, measures: dict[str, Measure]) -> list[str]:
    ref = measures.get(REFERENCE)
    ref_in = median(ref.inprocess) if ref else None
    ref_proc = median(ref.process) if ref else None
    ref_mem = max(ref.process_rss_kb) if ref and ref.process_rss_kb else None
    lines = [
        f"### {size_label(customers)}",
        "",
        "| implementation | in-process | × polars | whole process | × polars | CPU "
        "(process) | peak memory | × polars |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for implementation, measure in measures.items():
        label = LABELS[implementation]
        if implementation == "durable":
            inside = median(measure.inprocess)
            if inside is None:
                lines.append(f"| {label} | {measure.note or 'not run'} | | | | | | |")
                continue
            rate = customers / inside
            lines.append(
                f"| {label} | {seconds(inside)} ({rate:,.0f} customers/s) | "
                f"{times(inside, ref_in)} | – | – | – | "
                f"{megabytes(measure.inprocess_rss_kb)} (in-process) | – |"
            )
            continue
        inside = median(measure.inprocess)
        whole = median(measure.process)
        cpu = median(measure.process_cpu)
        memory = max(measure.process_rss_kb) if measure.process_rss_kb else None
        if measure.note and not measure.outputs:
            lines.append(
                f"| {label} | {seconds(inside)} | | {seconds(whole)} "
                f"({measure.note.splitlines()[0]}) | | | {megabytes(memory)} | |"
            )
            continue
        lines.append(
            f"| {label} | {seconds(inside)} | {times(inside, ref_in)} | {seconds(whole)} | "
            f"{times(whole, ref_proc)} | {seconds(cpu)} | {megabytes(memory)} | "
            f"{times(memory, ref_mem)} |"
        )
    for implementation, measure in measures.items():
        if measure.process_timings:
            lines += ["", f"{LABELS[implementation]}, stages of the whole process (median): "
                      f"{stage_medians(measure.process_timings)}."]  # fmt: skip
    nostore = measures.get("tierkit-nostore")
    if nostore and nostore.timings:
        lines += ["", f"tierkit in-process stages (median): {stage_medians(nostore.timings)}."]
    return [*lines, ""]


def stage_medians(runs: list[dict[str, float]]) -> str:
    names = list(dict.fromkeys(k for run in runs for k in run))
    medians = {k: statistics.median(run.get(k, 0.0) for run in runs) for k in names}
    total = sum(medians.values())
    return ", ".join(f"{k} {v:.2f} s" for k, v in medians.items()) + f" (sum {total:.2f} s)"


def targets(results: dict[int, dict[str, Measure]]) -> list[str]:
    lines = ["### Targets", ""]

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("**met**" if ok else "**not met**")

    big = results.get(TARGET_SIZE)
    if big and "tierkit" in big and "polars" in big:
        t, p = big["tierkit"], big["polars"]
        for kind, mine, ref in (
            ("wall time", median(t.process), median(p.process)),
            ("CPU time", median(t.process_cpu), median(p.process_cpu)),
        ):
            ratio = mine / ref if mine and ref else None
            ok = None if ratio is None else ratio <= TIME_TARGET
            shown = f"{ratio:.2f}×" if ratio else "–"
            lines.append(
                f"- 1M customers, history on, CSV out, whole process, {kind} ≤ {TIME_TARGET}× "
                f"hand-written polars: {shown} — {verdict(ok)}"
            )
        if t.process_rss_kb and p.process_rss_kb:
            ratio = max(t.process_rss_kb) / max(p.process_rss_kb)
            lines.append(
                f"- 1M customers, history on, peak memory ≤ {MEMORY_TARGET}× hand-written "
                f"polars: {ratio:.2f}× — {verdict(ratio <= MEMORY_TARGET)}"
            )
    else:
        lines.append("- 1M customers: not run")
    for customers, measures in sorted(results.items()):
        t, d = measures.get("tierkit-duckdb"), measures.get(DUCKDB_REFERENCE)
        if t and d and median(t.process) and median(d.process):
            ratio = (median(t.process) or 0) / (median(d.process) or 1)
            lines.append(
                f"- {customers:,} customers, DuckDB backend (history on) ≤ {TIME_TARGET}× "
                f"hand-written DuckDB SQL, whole process: {ratio:.2f}× — "
                f"{verdict(ratio <= TIME_TARGET)}"
            )
    faster = []
    for customers, measures in sorted(results.items()):
        t, p = measures.get("tierkit-nostore"), measures.get("pandas")
        if not t or not p:
            continue
        for kind, mine, theirs in (
            ("process", median(t.process), median(p.process)),
            ("in-process", median(t.inprocess), median(p.inprocess)),
        ):
            if mine and theirs:
                faster.append((customers, kind, mine < theirs, theirs / mine))
    if faster:
        shown = "; ".join(f"{c:,} {kind} {ratio:.2f}×" for c, kind, _, ratio in faster)
        ok = all(ok for _, _, ok, _ in faster)
        lines.append(
            f"- faster than pandas at every size (pandas time ÷ tierkit time: {shown}) — "
            f"{verdict(ok)}"
        )
    rates = []
    for customers, measures in sorted(results.items()):
        d = measures.get("durable")
        if d and d.inprocess:
            rates.append((customers, customers / statistics.median(d.inprocess)))
    if rates:
        shown = "; ".join(f"{c:,}: {r:,.0f}/s" for c, r in rates)
        ok = all(r >= DURABLE_TARGET for _, r in rates)
        lines.append(f"- durable engine ≥ {DURABLE_TARGET:,} customers/s ({shown}) — {verdict(ok)}")
    else:
        notes = {m["durable"].note for m in results.values() if "durable" in m}
        lines.append(
            f"- durable engine ≥ {DURABLE_TARGET:,} customers/s — not measured "
            f"({'; '.join(sorted(n for n in notes if n)) or 'not run'})"
        )
    huge = results.get(HUGE)
    if huge and "tierkit" in huge:
        t = huge["tierkit"]
        memory = max(t.process_rss_kb) if t.process_rss_kb else None
        state = t.note or "completed"
        lines.append(
            f"- 10M customers / 200M payments from Parquet within 24 GB: {state}, "
            f"{seconds(median(t.process))}, peak {megabytes(memory)}"
        )
    return [*lines, ""]


def machine() -> list[str]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GB"
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = []
    for name in ("polars", "pandas", "pyarrow", "numpy", "narwhals", "duckdb"):
        try:
            module = __import__(name)
            versions.append(f"{name} {module.__version__}")
        except ImportError:
            versions.append(f"{name} not installed")
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=ROOT,
        check=False,
    ).stdout.strip()  # fmt: skip
    return [
        f"- machine: {cpu}, {cores} cores, {memory} memory; {platform.platform()}",
        f"- Python {platform.python_version()}; {', '.join(versions)}",
        f"- tierkit at commit {commit or 'unknown'}",
    ]


def report(
    results: dict[int, dict[str, Measure]],
    args: argparse.Namespace,
    elapsed: float,
    loads: tuple[float, float],
) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")  # noqa: UP017
    sizes = ",".join(_short(c) for c in results)
    lines = [
        START,
        "",
        "<!-- Written by bench/run.py; edit outside the markers. -->",
        "",
        f"Measured {when} by `python bench/run.py --sizes {sizes} --repeat {args.repeat}` "
        f"(the whole benchmark took {elapsed / 60:.1f} minutes):",
        "",
        *machine(),
        f"- load average (1 min) at start and end: {loads[0]:.2f}, {loads[1]:.2f}",
        "",
        "Times are medians of the runs; *in-process* is one call of the job in a process that "
        "has already imported everything, *whole process* is the command from start to exit "
        "(imports, reading, writing the results file), *CPU* its user + system time. Peak "
        "memory is the largest peak resident set size of the whole-process runs.",
        "",
    ]
    for customers, measures in results.items():
        lines += size_table(customers, measures)
    lines += targets(results)
    lines.append(END)
    return "\n".join(lines) + "\n"


def _short(customers: int) -> str:
    if customers % 1_000_000 == 0:
        return f"{customers // 1_000_000}m"
    if customers % 1_000 == 0:
        return f"{customers // 1_000}k"
    return str(customers)


def write_doc(section: str, path: Path) -> None:
    if path.exists():
        text = path.read_text()
        if START in text and END in text:
            before, rest = text.split(START, 1)
            after = rest.split(END, 1)[1]
            path.write_text(before + section.rstrip("\n") + after)
            return
        path.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    path.write_text("# Performance\n\n" + section)


# command --------------------------------------------------------------------------------------


def compile_bytecode() -> None:
    """Compile tierkit's modules to bytecode first, as ``pip install`` does for every package.

    polars and pandas come compiled; an editable install of tierkit is compiled on first
    import, except where ``PYTHONDONTWRITEBYTECODE`` is set: then every whole-process run
    would compile tierkit's 80 modules again (about 60 ms), which an installed tierkit never
    does.
    """
    import compileall
    import importlib.util

    for package in ("tierkit", "tierkit.plugins"):
        spec = importlib.util.find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            compileall.compile_dir(folder, quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1m", help="customers per size: 10k,100k,1m")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (3)")
    parser.add_argument("--include-10m", action="store_true", help="also 10M / 200M, once")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--source", choices=("demo", "synthetic"), default="demo",
        help="the data: `tierkit demo --format parquet` tables (default), or bench/data.py's "
        "exactly sized synthetic tables",
    )  # fmt: skip
    parser.add_argument("--durable-max", type=parse_size, default=100_000)
    parser.add_argument(
        "--only", dest="implementations", default=",".join(IMPLEMENTATIONS),
        help="implementations to run (polars is always run: it is the reference)",
    )  # fmt: skip
    parser.add_argument("--data-root", type=Path, default=CACHE, help=f"data cache ({CACHE})")
    parser.add_argument("--doc", type=Path, default=DOC, help="the page to write (docs/…)")
    parser.add_argument("--no-doc", action="store_true", help="print only, write no page")
    parser.add_argument("--json", type=Path, help="also write every measurement as JSON")
    parser.add_argument(
        "--memory-limit-gb",
        type=float,
        default=20.0,
        help="stop a whole process whose resident memory passes this (20)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per process")
    args = parser.parse_args(argv)
    args.implementations = {*args.implementations.split(","), REFERENCE}
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    if args.include_10m and HUGE not in sizes:
        sizes.append(HUGE)
    compile_bytecode()
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    results: dict[int, dict[str, Measure]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="tierkit-bench-") as work:
            for customers in sizes:
                print(f"{size_label(customers)}")
                results[customers] = bench_size(customers, args, Path(work))
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    section = report(results, args, elapsed, (load_start, os.getloadavg()[0]))
    print(section)
    if args.json:
        args.json.write_text(
            json.dumps(
                {str(c): [m.as_dict() for m in ms.values()] for c, ms in results.items()},
                indent=1,
            )
        )
    if not args.no_doc:
        write_doc(section, args.doc)
        print(f"written to {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
