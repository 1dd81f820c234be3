"""A store is read whole before a write only when it changed since tierkit last knew it sound.

After a run is saved, the store's stamp (size, modification and change times, inode) is kept in
``.NAME.verified`` beside it; the next write skips the whole read while the stamp matches. Any
outside change of the file, even one that keeps its size and modification time, brings the
read back, and a damaged store is still reported and never written to.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.history import HistoryStore, database, verified

RULESET = """
tierkit: 1
name: stamp-test
strategy: working-capital
window: {period: month, periods: 3}
criteria:
  cash: {use: value}
derive:
  ahead: cum_share(cash)
decisions:
  category:
    rules:
      - {when: ahead < 0.8, then: A}
    default: {then: C}
"""


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    ruleset = tmp_path / "rules.yaml"
    ruleset.write_text(RULESET)
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text("customer_id,name\na,A Co\nb,B Co\n")
    (data / "payments.csv").write_text("customer_id,paid_at,amount\na,2026-01-10,600\n")
    return ruleset, data


def _evaluate(setup: tuple[Path, Path], store: Path, as_of: str) -> int:
    ruleset, data = setup
    args = ["evaluate", str(ruleset), "--data", str(data), "--as-of", as_of, "--store", str(store)]
    return CliRunner().invoke(app, args).exit_code


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the whole reads of a store; the process's own memory of stamps is cleared, so
    that only the file beside the store can spare a read."""
    calls: list[int] = []
    real = database.read_whole

    def counted(con: object) -> None:
        calls.append(1)
        real(con)  # type: ignore[arg-type]

    monkeypatch.setattr(database, "read_whole", counted)
    monkeypatch.setattr(verified, "_SEEN", {})
    return calls


def _forget_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verified, "_SEEN", {})


def test_a_saved_store_has_its_stamp_beside_it(setup: tuple[Path, Path], tmp_path: Path) -> None:
    store = tmp_path / "h.duckdb"
    assert _evaluate(setup, store, "2026-02-01") == 0
    side = tmp_path / ".h.duckdb.verified"
    found = store.stat()
    stamp = [found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino]
    assert json.loads(side.read_text())["stamp"] == stamp
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_an_unchanged_store_is_not_read_again(
    setup: tuple[Path, Path], tmp_path: Path, reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "h.duckdb"
    assert _evaluate(setup, store, "2026-02-01") == 0
    first = len(reads)  # a new store: read whole once (it is empty)
    _forget_in_memory(monkeypatch)
    if store.stat().st_mtime_ns >= verified.sidecar(store).stat().st_mtime_ns:
        pytest.skip("the file system's clock did not tick between the save and its stamp")
    assert _evaluate(setup, store, "2026-03-01") == 0
    assert len(reads) == first  # the stamp matched: no whole read
    assert len(HistoryStore(store).runs()) == 2


def test_any_change_of_the_file_brings_the_whole_read_back(
    setup: tuple[Path, Path], tmp_path: Path, reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "h.duckdb"
    assert _evaluate(setup, store, "2026-02-01") == 0
    before = len(reads)
    found = store.stat()
    os.utime(store, ns=(found.st_atime_ns, found.st_mtime_ns))  # same times: a new ctime
    _forget_in_memory(monkeypatch)
    assert _evaluate(setup, store, "2026-03-01") == 0
    assert len(reads) == before + 1


def test_a_stamp_taken_in_the_tick_of_the_last_write_is_not_trusted(
    setup: tuple[Path, Path], tmp_path: Path, reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "h.duckdb"
    assert _evaluate(setup, store, "2026-02-01") == 0
    before = len(reads)
    side = verified.sidecar(store)
    found = store.stat()
    os.utime(side, ns=(found.st_mtime_ns, found.st_mtime_ns))
    _forget_in_memory(monkeypatch)
    assert not verified.is_verified(store)
    assert _evaluate(setup, store, "2026-03-01") == 0
    assert len(reads) == before + 1


def test_damage_that_keeps_size_and_times_is_still_reported(
    setup: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "h.duckdb"
    for as_of in ("2026-02-01", "2026-03-01"):
        assert _evaluate(setup, store, as_of) == 0
    raw = store.read_bytes()
    found = store.stat()
    damaged_any = 0
    # DuckDB's file: three 4 KiB headers, then blocks of 256 KiB; overwrite each in turn
    for offset in [4096, 8192, *range(12288, len(raw), 256 * 1024)]:
        store.write_bytes(raw[: offset + 100] + b"\xab" * 900 + raw[offset + 1000 :])
        os.utime(store, ns=(found.st_atime_ns, found.st_mtime_ns))  # size and mtime as saved
        _forget_in_memory(monkeypatch)
        before = store.read_bytes()
        code = _evaluate(setup, store, "2026-04-01")
        assert code in (0, 2)
        if code == 2:
            damaged_any += 1
            assert store.read_bytes() == before  # never written to
    assert damaged_any >= 1


def test_a_failed_write_forgets_the_stamp(tmp_path: Path) -> None:
    store = tmp_path / "h.duckdb"
    with pytest.raises(RuntimeError), database.connect(store, write=True, timeout=1):
        raise RuntimeError("the writer failed")
    assert not verified.sidecar(store).exists()
    with database.connect(store, write=True, timeout=1) as con:
        assert con is not None
    recorded = json.loads(verified.sidecar(store).read_text())["stamp"]
    assert recorded == list(verified.stamp(store) or ())
