"""Odd history stores and option combinations: each ends in a located usage error."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from test_history import manifest, results

from tierkit.errors import UsageError
from tierkit.evaluation import evaluate
from tierkit.history import HistoryStore, NotAStore, OverrideError

RULESET = Path(__file__).parent.parent / "rulesets" / "abc-pareto.yaml"


def _sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("create table runs (a integer)")
    con.commit()
    con.close()


def _csv(path: Path) -> None:
    path.write_text("customer_id,name\nC1,One\n")


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("history.duckdb", _sqlite, "a SQLite database"),  # DuckDB would fetch an extension
        ("results.csv", _csv, "not a DuckDB database file"),  # DuckDB would read it as a view
    ],
)
def test_a_foreign_file_as_store_is_named_and_left_alone(
    tmp_path: Path, name: str, make: object, kind: str
) -> None:
    path = tmp_path / name
    make(path)  # type: ignore[operator]
    before = path.read_bytes()
    message = f"{name}: is not a tierkit history store \\({kind}\\)"
    with pytest.raises(NotAStore, match=message):
        HistoryStore(path).runs()
    with pytest.raises(NotAStore, match=message):
        HistoryStore(path).save_run(manifest("r1", "2026-03-01"), results({"a": "A"}))
    assert path.read_bytes() == before


def test_out_and_store_on_one_file_is_refused_before_any_work(tmp_path: Path) -> None:
    same = tmp_path / "o.csv"
    with pytest.raises(UsageError, match=r"o\.csv: --out and --store name the same file"):
        evaluate(RULESET, tmp_path / "no-data", as_of="2026-01-01", store=same, out=same)
    assert list(tmp_path.iterdir()) == []


def _tierkit(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tierkit", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_the_audit_of_an_unknown_override_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    store = HistoryStore(path)
    store.add_override("a", "category", "A", reason="r", approved_by="x", valid_until=date.max)
    assert store.audit(1)["action"].to_list() == ["add"]
    with pytest.raises(OverrideError, match=r"history\.duckdb: no override #2"):
        store.audit(2)  # was an empty trail, as if #2 had never been touched
    done = _tierkit("overrides", "audit", "2", "--store", path)
    assert (done.returncode, done.stdout) == (2, "")
    assert "history.duckdb: no override #2" in done.stderr
    fresh = tmp_path / "fresh.duckdb"
    done = _tierkit("overrides", "audit", "1", "--store", fresh)
    assert done.returncode == 2 and "fresh.duckdb: no override #1" in done.stderr
    assert not fresh.exists()


@pytest.mark.parametrize("command", [("runs",), ("diff", "latest", "previous")])
def test_a_negative_limit_is_a_usage_error(tmp_path: Path, command: tuple[str, ...]) -> None:
    done = _tierkit(*command, "--limit", "-1", "--store", tmp_path / "h.duckdb")
    assert done.returncode == 2 and "'--limit'" in done.stderr  # was taken as 0: all
    assert "Traceback" not in done.stderr


def test_out_onto_a_table_of_the_data_folder_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    customers = "customer_id,name\nC1,One\nC2,Two\n"
    (data / "customers.csv").write_text(customers)
    (data / "payments.csv").write_text("customer_id,paid_at,amount\nC1,2025-12-01,10\n")
    shipments = "customer_id,shipped_at,units\nC1,2025-12-01,3\n"
    (data / "shipments.csv").write_text(shipments)  # a table this ruleset does not read
    # replaced, a second payments table, or the shipments another ruleset reads replaced
    for name in ("customers.csv", "Payments.parquet", "shipments.csv"):
        with pytest.raises(UsageError, match=rf"{name}: --out would write the results over"):
            evaluate(RULESET, data, as_of="2026-01-01", out=data / name)
    assert (data / "customers.csv").read_text() == customers
    assert (data / "shipments.csv").read_text() == shipments
    names = ["customers.csv", "payments.csv", "shipments.csv"]
    assert sorted(p.name for p in data.iterdir()) == names
    run = evaluate(RULESET, data, as_of="2026-01-01", out=data / "results.csv")
    assert run.results["customer_id"].to_list() == ["C1", "C2"]
    assert (data / "results.csv").exists()


def test_a_report_onto_the_store_or_under_a_file_is_refused(tmp_path: Path) -> None:
    from tierkit.report import write_report

    store = HistoryStore(tmp_path / "history.duckdb")
    store.save_run(manifest("r1", "2026-03-01"), results({"a": "A"}))
    before = store.path.read_bytes()
    with pytest.raises(UsageError, match=r"history\.duckdb: is the history store itself"):
        write_report(store, "latest", tmp_path / "." / "history.duckdb")  # was overwritten
    assert store.path.read_bytes() == before
    assert len(store.runs()) == 1  # still a readable store
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match=r"notes\.txt is a file, not a folder"):
        write_report(store, "latest", tmp_path / "notes.txt" / "r.html")  # was FileExistsError


@pytest.mark.parametrize("name", ["results.csv", "report.txt", "report"])
def test_a_report_into_a_file_that_is_no_html_page_is_refused(tmp_path: Path, name: str) -> None:
    """`tierkit report -o results.csv` replaced the results with an HTML page, silently."""
    from tierkit.report import write_report

    store = HistoryStore(tmp_path / "history.duckdb")
    store.save_run(manifest("r1", "2026-03-01"), results({"a": "A"}))
    target = tmp_path / name
    target.write_text("customer_id,category\na,A\n")
    said = rf"{name}: a report is an HTML page; give --out a name ending in \.html"
    with pytest.raises(UsageError, match=said):
        write_report(store, "latest", target)
    assert target.read_text() == "customer_id,category\na,A\n"
    assert write_report(store, "latest", tmp_path / "Report.HTM").customers == 1


def test_export_refuses_its_own_ruleset_a_folder_and_a_path_under_a_file(tmp_path: Path) -> None:
    ruleset = tmp_path / "rules.yaml"
    ruleset.write_bytes(RULESET.read_bytes())
    (tmp_path / "notes.txt").write_text("x")
    for out, said in [
        (ruleset, "rules.yaml: --out is the input file itself"),  # was replaced by the DMN
        (tmp_path, "is a folder; --out names the file to write"),  # was IsADirectoryError
        (tmp_path / "notes.txt" / "m.dmn", "notes.txt is a file, not a folder"),  # FileExists
    ]:
        done = _tierkit("export", ruleset, "--out", out)
        assert done.returncode == 2 and said in done.stderr, done.stderr
    assert ruleset.read_bytes() == RULESET.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "rules.yaml"]


def test_workbook_export_and_import_refuse_a_folder_and_their_own_input(tmp_path: Path) -> None:
    ruleset = tmp_path / "rules.yaml"
    ruleset.write_bytes(RULESET.read_bytes())
    (tmp_path / "folder.xlsx").mkdir()
    done = _tierkit("export", ruleset, "--out", tmp_path / "folder.xlsx")  # IsADirectoryError
    assert done.returncode == 2 and "folder.xlsx: is a folder" in done.stderr, done.stderr
    book = tmp_path / "rules.xlsx"
    assert _tierkit("export", ruleset, "--out", book).returncode == 0
    written = book.read_bytes()
    done = _tierkit("import", book, "--out", book)  # the YAML replaced the workbook, exit 0
    assert done.returncode == 2 and "rules.xlsx: --out is the input file itself" in done.stderr
    assert book.read_bytes() == written


def test_import_export_and_tck_refuse_an_out_of_another_kind(tmp_path: Path) -> None:
    """`tierkit import m.dmn -o data/customers.csv` replaced a data table with YAML, `tierkit
    export r.yaml -o results.csv` replaced results with XML, both with exit 0."""
    ruleset = tmp_path / "rules.yaml"
    ruleset.write_bytes(RULESET.read_bytes())
    table = tmp_path / "customers.csv"
    table.write_text("customer_id,name\nC1,One\n")
    done = _tierkit("export", ruleset, "--out", table)
    assert done.returncode == 2, done.stderr
    said = " ".join(done.stderr.split())
    assert "customers.csv: export writes a DMN model or a workbook; give --out a name ending in " \
        ".dmn or .xml or .xlsx" in said
    model = tmp_path / "rules.dmn"
    assert _tierkit("export", ruleset, "--out", model).returncode == 0
    done = _tierkit("import", model, "--out", table)
    assert done.returncode == 2, done.stderr
    said = " ".join(done.stderr.split())
    assert "customers.csv: import writes a ruleset; give --out a name ending in .yaml or .yml" \
        in said
    done = _tierkit("dmn-tck", tmp_path, "--out", ruleset)
    assert done.returncode == 2, done.stderr
    said = " ".join(done.stderr.split())
    assert "rules.yaml: dmn-tck writes its results as CSV; give --out a name ending in .csv" in said
    assert table.read_text() == "customer_id,name\nC1,One\n"
    assert ruleset.read_bytes() == RULESET.read_bytes()


def test_tierkit_debug_in_the_environment_shows_the_traceback_like_debug(tmp_path: Path) -> None:
    """docs/cli.md said TIERKIT_DEBUG had no effect; it does what --debug does."""
    command = [sys.executable, "-m", "tierkit", "history", "C1", "--store", str(tmp_path / "s")]
    environment = {**os.environ, "TIERKIT_DEBUG": "1"}
    shown = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False,
                           env=environment)
    assert shown.returncode == 2
    assert "Traceback (most recent call last)" in shown.stderr
    without = {key: value for key, value in os.environ.items() if key != "TIERKIT_DEBUG"}
    hidden = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False,
                            env=without)
    assert hidden.returncode == 2
    assert "Traceback" not in hidden.stderr


def test_a_customer_id_written_with_spaces_around_it_names_the_customer(tmp_path: Path) -> None:
    """The data reading strips spaces around ids (` C3 ` in the file is the customer `C3`), but
    `tierkit explain RULES ' C3 '` said there is no such customer, `tierkit history ' C3 '` that
    it is in no run, and `tierkit overrides add ' C3 '` recorded an override that never applied."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text("customer_id,name\n C3 ,Padded\nC4,Four\n")
    (data / "payments.csv").write_text("customer_id,paid_at,amount\n C3 ,2025-12-01,10\n")
    store = tmp_path / "history.duckdb"
    evaluate(RULESET, data, as_of="2026-01-01", store=store)
    explained = _tierkit("explain", RULESET, " C3 ", "--data", data, "--as-of", "2026-01-01",
                         "--no-store")
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.startswith("C3 Padded\n")
    history = _tierkit("history", " C3 ", "--store", store, "--json")
    assert history.returncode == 0, history.stderr
    assert '"customer_id": "C3"' in history.stdout
    added = _tierkit("overrides", "add", " C3 ", "--decision", "category", "--value", "A",
                     "--reason", "r", "--approved-by", "J", "--until", "2099-01-01",
                     "--store", store)
    assert added.returncode == 0, added.stderr
    assert added.stderr == ""  # no warning that the customer is not in the latest run
    assert HistoryStore(store).list_overrides()["customer_id"].to_list() == ["C3"]
    listed = _tierkit("overrides", "list", "--customer", " C3 ", "--store", store, "--json")
    assert '"customer_id": "C3"' in listed.stdout


def test_a_narrow_terminal_never_cuts_a_number_of_the_summary(tmp_path: Path) -> None:
    """At 40 columns `tierkit evaluate` showed the value 123,456,789.12 as `123…`, 10.00 as
    `10.…` and the share 100.0% as `100.…`: numbers that read as other numbers."""
    from typer.testing import CliRunner

    from tierkit.cli import app

    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text("customer_id,name\nC1,One\nC2,Two\n")
    (data / "payments.csv").write_text(
        "customer_id,paid_at,amount\nC1,2025-12-01,123456789.12\nC2,2025-12-01,10\n"
    )
    args = ["evaluate", str(RULESET), "--data", str(data), "--as-of", "2026-01-01", "--no-store"]
    done = CliRunner().invoke(app, args, env={"COLUMNS": "40"})
    assert done.exit_code == 0, done.output
    rows = [line for line in done.output.splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in row.strip("│").split("│")] for row in rows] == [
        ["A", "1", "50.0%", "123,456,789.12", "100.0%"],
        ["C", "1", "50.0%", "10.00", "0.0%"],
    ]


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("2026-02-30", "--as-of: '2026-02-30' is no day of the calendar: "
                       "February 2026 has 28 days"),
        ("2028-02-30", "--as-of: '2028-02-30' is no day of the calendar: "
                       "February 2028 has 29 days"),
        ("2026-13-01", "--as-of: '2026-13-01' is no day of the calendar: there is no month 13"),
        ("2026-1-1x", "--as-of: '2026-1-1x' is not a date in the form YYYY-MM-DD"),
    ],
)
def test_a_date_in_the_right_form_but_not_in_the_calendar_says_why(given: str, said: str) -> None:
    """`--as-of 2026-02-30` said it `is not a date in the form YYYY-MM-DD`: it is in that
    form; February has no day 30."""
    from tierkit.cli.options import parse_date

    with pytest.raises(UsageError) as refused:
        parse_date(given, "--as-of")
    assert str(refused.value) == said


def test_one_customer_is_not_written_one_customers(tmp_path: Path) -> None:
    """`tierkit evaluate` titled a one-customer run `· 1 customers`, `tierkit report` said
    `(run …, 1 customers; …)`."""
    from typer.testing import CliRunner

    from tierkit.cli import app

    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text("customer_id,name\nC1,One\n")
    (data / "payments.csv").write_text("customer_id,paid_at,amount\nC1,2025-12-01,10\n")
    store = tmp_path / "history.duckdb"
    args = ["evaluate", str(RULESET), "--data", str(data), "--as-of", "2026-01-01",
            "--store", str(store)]
    done = CliRunner().invoke(app, args, env={"COLUMNS": "120"})
    assert done.exit_code == 0, done.output
    assert re.search(r"as of 2026-01-01 · 1 customer *\n", done.output), done.output
    out = tmp_path / "r.html"
    done = CliRunner().invoke(app, ["report", "--store", str(store), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert ", 1 customer; " in done.output
