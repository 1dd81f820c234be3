"""Outputs checked before a run and written before it is stored; damaged stores reported.

Every case ends in exit 0 with the right result or exit 2 naming the path: never an internal
error, never a stored run without its results file, never a write to a damaged store.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from tierkit.cli import app
from tierkit.contract import Writer
from tierkit.evaluation import evaluate, output, write_results
from tierkit.history import HistoryStore, StoreDamaged
from tierkit.registry import get_registry

RULESET = """
tierkit: 1
name: out-test
strategy: working-capital
window: {period: month, periods: 3}
criteria:
  cash: {use: value}
derive:
  ahead: cum_share(cash)
decisions:
  category:
    rules:
      - {when: ahead < 0.8, then: A, because: first 80%}
      - {when: ahead < 0.95, then: B}
    default: {then: C}
"""
# cash in the three months before 2026-04-01: a 600, b 250, c 100, d 50, e nothing
CUSTOMERS = "customer_id,name\na,A Co\nb,B Co\nc,C Co\nd,D Co\ne,E Co\n"
PAYMENTS = (
    "customer_id,paid_at,amount\n"
    "a,2026-01-10,600\nb,2026-02-01,250\nc,2026-03-01,100\nd,2026-03-15,50\n"
)
# ahead (the share of the total before each customer): a 0, b 0.6, c 0.85, d 0.95, e 1.0
EXPECTED = {"a": "A", "b": "A", "c": "B", "d": "C", "e": "C"}


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    """A ruleset file and a data folder."""
    ruleset = tmp_path / "rules.yaml"
    ruleset.write_text(RULESET)
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text(CUSTOMERS)
    (data / "payments.csv").write_text(PAYMENTS)
    return ruleset, data


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _evaluate(ruleset: Path, data: Path, *extra: str, as_of: str = "2026-04-01") -> Result:
    return _cli("evaluate", str(ruleset), "--data", str(data), "--as-of", as_of, *extra)


def _runs(store: Path) -> int:
    return len(HistoryStore(store).runs()) if store.exists() else 0


# --------------------------------------------------------------------------------------------
# the output is checked before any evaluation


@pytest.mark.parametrize(
    ("name", "make", "said"),
    [
        ("a folder", lambda p: p.mkdir() or p, "is a folder; --out names the results file"),
        ("an unknown extension", lambda p: p.with_suffix(".txt"), "unknown output format '.txt'"),
        ("no extension", lambda p: p.with_suffix(""), "unknown output format (no extension)"),
        (
            "a file as its folder",
            lambda p: (p.parent / "f").write_text("x") and p.parent / "f" / "r.csv",
            "is a file, not a folder",
        ),
    ],
)
def test_a_wrong_out_is_refused_before_the_data_is_read(
    setup: tuple[Path, Path], tmp_path: Path, name: str, make: Callable[[Path], Path], said: str
) -> None:
    ruleset, _ = setup
    out = make(tmp_path / "results.csv")
    store = tmp_path / "store.duckdb"
    # the data does not exist: an error about the output shows it was checked first
    done = _evaluate(ruleset, tmp_path / "no-such-data", "--out", str(out), "--store", str(store))
    assert done.exit_code == 2, done.output
    assert f"{out}: " in done.output and said in done.output, done.output
    assert not store.exists()


def test_a_folder_that_cannot_be_written_is_refused_first(
    setup: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ruleset, data = setup
    folder = tmp_path / "locked"
    folder.mkdir()

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "touch", refuse)  # what a read-only folder answers
    called: list[bool] = []
    monkeypatch.setattr("tierkit.evaluation.api.evaluate_tables", lambda *a: called.append(True))
    store = tmp_path / "store.duckdb"
    done = _evaluate(ruleset, data, "--out", str(folder / "r.csv"), "--store", str(store))
    assert done.exit_code == 2, done.output
    assert f"{folder / 'r.csv'}: cannot write into the folder {folder}: permission denied" in (
        done.output
    )
    assert not called and not store.exists()


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder(setup: tuple[Path, Path], tmp_path: Path) -> None:
    ruleset, data = setup
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        done = _evaluate(ruleset, data, "--out", str(folder / "r.csv"), "--no-store")
    finally:
        folder.chmod(0o755)
    assert done.exit_code == 2, done.output
    assert "permission denied" in done.output


def test_a_missing_folder_is_created(setup: tuple[Path, Path], tmp_path: Path) -> None:
    ruleset, data = setup
    out = tmp_path / "new" / "deeper" / "r.csv"
    done = _evaluate(ruleset, data, "--out", str(out), "--no-store")
    assert done.exit_code == 0, done.output
    written = pl.read_csv(out)
    assert dict(written.select("customer_id", "category").iter_rows()) == EXPECTED


# --------------------------------------------------------------------------------------------
# written before the run is stored


def _full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(output, "_flush", no_space)


def test_a_full_disk_stores_nothing(
    setup: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ruleset, data = setup
    store = tmp_path / "store.duckdb"
    assert _evaluate(ruleset, data, "--store", str(store), as_of="2026-03-01").exit_code == 0
    _full_disk(monkeypatch)
    out = tmp_path / "out" / "r.csv"
    done = _evaluate(ruleset, data, "--out", str(out), "--store", str(store))
    assert done.exit_code == 2, done.output
    assert f"{out}: cannot write the results: the disk is full" in done.output
    assert _runs(store) == 1  # the earlier run only
    assert list(out.parent.iterdir()) == []  # no results file, no partial file


def test_a_failing_writer_stores_nothing(setup: tuple[Path, Path], tmp_path: Path) -> None:
    ruleset, data = setup
    store = tmp_path / "store.duckdb"

    def broken(frame: pl.DataFrame, path: str) -> None:
        Path(path).write_text("half")
        raise ValueError("broken writer")

    registry = get_registry()
    writers = {**registry.writers, "csv": Writer("csv", (".csv",), "broken", broken)}
    registry = dataclasses.replace(registry, writers=MappingProxyType(writers))
    with pytest.raises(ValueError, match="broken writer"):
        evaluate(
            ruleset,
            data,
            as_of="2026-04-01",
            store=store,
            out=tmp_path / "r.csv",
            registry=registry,
        )
    assert _runs(store) == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith("partial")] == []
    assert not (tmp_path / "r.csv").exists()


def test_the_python_api_writes_before_it_saves(setup: tuple[Path, Path], tmp_path: Path) -> None:
    ruleset, data = setup
    store = tmp_path / "store.duckdb"
    run = evaluate(ruleset, data, as_of="2026-04-01", store=store, out=tmp_path / "r.parquet")
    assert pl.read_parquet(tmp_path / "r.parquet").equals(run.results)
    assert HistoryStore(store).results("latest")["category"].to_list() == list(EXPECTED.values())


def test_leftovers_of_dead_processes_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "r.csv"
    dead = tmp_path / ".r.csv.999999999.partial"  # beyond any process id
    alive = tmp_path / f".r.csv.{os.getppid()}.partial"  # the test runner's parent runs
    other = tmp_path / ".other.csv.999999999.partial"  # another target's: not ours to judge
    for path in (dead, alive, other):
        path.write_text("half")
    write_results(pl.DataFrame({"customer_id": ["a"]}), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, alive.name, other.name]
    )


def test_demo_checks_its_results_file_before_generating(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    (out / "results.csv").mkdir(parents=True)
    store = tmp_path / "store.duckdb"
    done = _cli("demo", "--customers", "20", "--out", str(out), "--store", str(store), "--force")
    assert done.exit_code == 2, done.output
    assert f"{out / 'results.csv'}: is a folder" in done.output
    assert sorted(p.name for p in out.iterdir()) == ["results.csv"]
    assert not store.exists()


def test_demo_writes_its_results_before_saving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _full_disk(monkeypatch)
    out = tmp_path / "demo"
    store = tmp_path / "store.duckdb"
    done = _cli(
        "demo", "--customers", "20", "--months", "3", "--out", str(out), "--store", str(store)
    )
    assert done.exit_code == 2, done.output
    assert "the disk is full" in done.output
    assert _runs(store) == 0
    assert not (out / "results.csv").exists()


# --------------------------------------------------------------------------------------------
# a damaged history store


@pytest.fixture
def stored(setup: tuple[Path, Path], tmp_path: Path) -> Path:
    """A store with runs of two months (so 'previous' and 'diff' have something to do)."""
    ruleset, data = setup
    store = tmp_path / "good.duckdb"
    for as_of in ("2026-02-01", "2026-03-01", "2026-04-01"):
        evaluate(ruleset, data, as_of=as_of, store=store)
    return store


def _commands(setup: tuple[Path, Path], store: Path, tmp_path: Path) -> dict[str, list[str]]:
    ruleset, data = setup
    other = ruleset.with_name("other.yaml")
    other.write_text(RULESET.replace("name: out-test", "name: other").replace("0.8", "0.5"))
    s = ["--store", str(store)]
    return {
        "runs": ["runs", *s],
        "history": ["history", "a", *s],
        "diff": ["diff", "previous", "latest", *s],
        "report": ["report", "latest", "--out", str(tmp_path / "report.html"), *s],
        "overrides list": ["overrides", "list", "--all", *s],
        "overrides add": [
            "overrides", "add", "a", "--decision", "category", "--value", "B", "--reason", "r",
            "--approved-by", "me", "--until", "2030-01-01", *s,
        ],
        "explain": ["explain", str(ruleset), "a", "--data", str(data), "--as-of", "2026-04-01", *s],
        "compare": [
            "compare", str(ruleset), str(other), "--data", str(data), "--as-of", "2026-04-01", *s,
        ],
        "evaluate": ["evaluate", str(ruleset), "--data", str(data), "--as-of", "2026-05-01", *s],
    }  # fmt: skip


def _damaged_copies(good: Path, folder: Path) -> dict[str, Path]:
    """The store truncated, overwritten block by block, and files that are no store at all."""
    raw = good.read_bytes()
    copies = {
        "truncated to half": raw[: len(raw) // 2],
        "truncated to 5000 bytes": raw[:5000],
        "text": b"hello\n" * 1000,
        "empty": b"",
    }
    # DuckDB's file: three 4 KiB headers, then blocks of 256 KiB; overwrite each in turn
    for offset in [4096, 8192, *range(12288, len(raw), 256 * 1024)]:
        copies[f"garbage at {offset}"] = raw[: offset + 100] + b"\xab" * 900 + raw[offset + 1000 :]
    paths = {}
    for index, (name, content) in enumerate(copies.items()):
        path = folder / f"damaged-{index}.duckdb"
        path.write_bytes(content)
        paths[name] = path
    return paths


def test_a_damaged_store_is_reported_by_every_command(
    setup: tuple[Path, Path], stored: Path, tmp_path: Path
) -> None:
    copies = _damaged_copies(stored, tmp_path)
    refused_somewhere = 0
    for name, path in copies.items():
        before = path.read_bytes()
        failed = []
        # every command on whole-file damage; the quick readers on each overwritten block
        readers = None if not name.startswith("garbage") else ("runs", "history", "report")
        for command, args in _commands(setup, path, tmp_path).items():
            if command in ("evaluate", "overrides add") or (readers and command not in readers):
                continue
            done = _cli(*args)
            assert done.exit_code in (0, 2), (name, command, done.output)
            if done.exit_code == 2:
                said = " ".join(done.output.split())
                assert str(path) in said, (name, command, said)
                assert "damaged" in said or "not a tierkit history store" in said, said
                failed.append(command)
        assert path.read_bytes() == before, name
        for command in ("overrides add", "evaluate"):
            done = _cli(*_commands(setup, path, tmp_path)[command])
            assert done.exit_code in (0, 2), (name, command, done.output)
            if failed:  # a store some command found damaged is never written to
                assert done.exit_code == 2, (name, command, failed, done.output)
                assert path.read_bytes() == before, (name, command)
        if failed:
            refused_somewhere += 1
        else:  # the damage was in unused space: the store still works after the writes
            assert _cli("history", "a", "--store", str(path)).exit_code == 0, name
    assert refused_somewhere >= 5, refused_somewhere


def test_the_python_api_raises_store_damaged(setup: tuple[Path, Path], stored: Path) -> None:
    ruleset, data = setup
    raw = stored.read_bytes()
    stored.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(StoreDamaged, match="damaged"):
        evaluate(ruleset, data, as_of="2026-05-01", store=stored)
    assert stored.read_bytes() == raw[: len(raw) // 2]


def test_a_locked_looking_message_is_not_a_lock(stored: Path, tmp_path: Path) -> None:
    """DuckDB's 'block at location' once read as 'lock': a damaged header waited 10 seconds
    and blamed another process."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(stored, copy)
    with open(copy, "r+b") as handle:
        handle.seek(4096)
        handle.write(os.urandom(8192))
    done = _cli("runs", "--store", str(copy))
    assert done.exit_code == 2
    assert "damaged" in done.output and "in use by another process" not in done.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_or_device_is_never_replaced_by_a_file(tmp_path: Path) -> None:
    """Written atomically (a temporary file renamed over the target), /dev/full was replaced by
    a regular file and the full disk reported as a success; a pipe is refused the same way."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text("customer_id,name\nc1,Alpha\n")
    (data / "payments.csv").write_text("customer_id,paid_at,amount\nc1,2026-06-15,5\n")
    store = tmp_path / "store.duckdb"
    runner = CliRunner()
    for name in ("results.csv", "report.html", "model.dmn"):
        pipe = tmp_path / name
        os.mkfifo(pipe)
        command = {
            "results.csv": ["evaluate", "abc-pareto", "--data", str(data), "--as-of",
                            "2026-07-01", "--store", str(store), "--out", str(pipe)],
            "report.html": ["report", "--store", str(store), "--out", str(pipe)],
            "model.dmn": ["export", "abc-pareto", "--out", str(pipe)],
        }[name]
        if name == "report.html":  # a run to report on
            done = runner.invoke(app, ["evaluate", "abc-pareto", "--data", str(data),
                                       "--as-of", "2026-07-01", "--store", str(store)])
            assert done.exit_code == 0, done.output
        done = runner.invoke(app, command)
        assert done.exit_code == 2, done.output
        assert f"{pipe}: is a device, pipe or socket, not a file" in done.output
        assert pipe.is_fifo()
    assert HistoryStore(store).runs()[0].as_of.isoformat() == "2026-07-01"
    assert len(HistoryStore(store).runs()) == 1  # the refused evaluate stored nothing
