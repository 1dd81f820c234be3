"""A new user's first commands: the demo's run is visible to the next commands, the demo does
not overwrite a folder it did not write, and a missing optional engine says how to add it."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.cli.evaluate_cmd import skipped_lines
from tierkit.numbers import number

DEMO = ["demo", "--customers", "200", "--months", "12", "--seed", "3", "--as-of", "2026-01-01"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_the_demo_run_is_listed_by_runs_and_found_by_report(tmp_path: Path) -> None:
    code, output = run(*DEMO, "--out", str(tmp_path / "demo"))
    assert code == 0, output
    assert "saved in" in output
    code, output = run("runs", "--json")
    assert code == 0, output
    assert '"as_of": "2026-01-01"' in output
    assert '"ruleset": "vip-monthly"' in output
    code, output = run("report", "latest", "--out", str(tmp_path / "r.html"))
    assert code == 0, output
    assert (tmp_path / "r.html").is_file()


def test_the_demo_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "work"
    out.mkdir()
    (out / "budget.xlsx").write_bytes(b"mine")
    code, output = run(*DEMO, "--out", str(out))
    assert code == 2, output
    assert "budget.xlsx" in output and "--force" in output
    assert sorted(p.name for p in out.iterdir()) == ["budget.xlsx"]  # nothing written
    code, output = run(*DEMO, "--no-evaluate", "--out", str(out), "--force")
    assert code == 0, output
    assert (out / "budget.xlsx").read_bytes() == b"mine"
    assert (out / "customers.csv").is_file()


def test_the_demo_writes_again_over_its_own_output(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert run(*DEMO, "--no-evaluate", "--out", str(out))[0] == 0
    code, output = run(*DEMO, "--out", str(out))
    assert code == 0, output
    assert (out / "results.csv").is_file()


def test_the_durable_engine_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "demo"
    assert run(*DEMO, "--no-evaluate", "--out", str(out))[0] == 0
    monkeypatch.setitem(sys.modules, "durable", None)
    monkeypatch.setitem(sys.modules, "durable.lang", None)
    evaluate = ["evaluate", "vip-monthly", "--as-of", "2026-01-01", "--engine", "durable"]
    code, output = run(*evaluate, "--data", str(out))
    assert code == 2, output
    assert "pip install 'tierkit[durable]'" in " ".join(output.split())
    assert "Traceback" not in output


def test_explain_shows_the_override_in_force(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert run(*DEMO, "--out", str(out))[0] == 0
    results = pl.read_csv(out / "results.csv")
    customer = results.filter(pl.col("category") == "C")["customer_id"][0]
    until = (date.today() + timedelta(days=400)).isoformat()
    add = ["overrides", "add", customer, "--decision", "category", "--value", "A"]
    code, output = run(*add, "--reason", "Merger", "--approved-by", "J. Doe", "--until", until)
    assert code == 0, output
    explain = ["explain", "vip-monthly", customer, "--data", str(out), "--as-of", "2026-01-01"]
    code, output = run(*explain)
    assert code == 0, output
    assert "category = A  (by override #1: Merger)" in output
    assert f"approved by J. Doe, in force until {until}" in output
    assert "the rules decided C (by the default" in output
    code, output = run(*explain, "--json")
    assert code == 0, output
    [category] = [d for d in json.loads(output)[0]["decisions"] if d["decision"] == "category"]
    assert (category["value"], category["decided"]) == ("A", "C")
    assert category["override"]["reason"] == "Merger"
    assert category["override"]["approved_by"] == "J. Doe"
    assert category["override"]["valid_until"] == until


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (476_200.0, "476,200"),  # was 4.762e+05
        (1_234_567.891, "1,234,568"),  # the whole part in full, no decimals left
        (8_168.35, "8,168"),  # 4 significant digits: none left for decimals
        (733.3, "733.3"),
        (0.82171, "0.8217"),
        (0.0000123456, "0.00001235"),  # was 1.235e-05
        (-1_250.0, "-1,250"),
        (27.0, "27"),
        (0.0, "0"),
        (10**16, "10,000,000,000,000,000"),
        (True, "true"),
    ],
)
def test_numbers_are_written_for_people(value: float, shown: str) -> None:
    assert number(value) == shown


def test_skipped_rows_are_a_sentence_per_table() -> None:
    data = {
        "customers": {"rows": 4, "skipped": {}},
        "payments": {
            "rows": 1_500,
            "skipped": {
                "unknown customer": 2,
                "no paid_at": 1,
                "on or after the as-of date": 1_200,
            },
        },
    }
    # 2 + 1 + 1,200 = 1,203 of 1,500 rows
    assert skipped_lines(data) == [
        "skipped rows in payments: 1,203 of 1,500 (2 of a customer not in the customers table, "
        "1 with no paid_at, 1,200 dated on or after the as-of date)"
    ]


# --------------------------------------------------------------------------------------------
# the README's commands, as written, in a fresh folder

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[list[str]]:
    """Every command of the README's ```bash blocks, split at ``&&``, comments dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL):
        for line in block.splitlines():
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                if words:
                    commands.append(words)
    return commands


def test_the_readme_commands_run_in_a_fresh_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ran = []
    for words in readme_commands():
        program, args = words[0], words[1:]
        if program == "python3" or program in {".venv/bin/pip", ".venv/bin/python"}:
            continue  # making the environment and running the tests: .ci/run does both
        if program == "cp":
            source, target = args
            shutil.copy(ROOT / source, tmp_path / target)
            continue
        assert program == ".venv/bin/tierkit", f"the README runs {words}; teach this test it"
        code, output = run(*args)
        assert code == 0, (words, output)
        assert "internal error" not in output, (words, output)
        ran.append(args[0])
        if args[0] == "runs":
            assert "vip-monthly" in output, output  # the demo's run is there
    assert ran[0] == "demo"
    assert {"runs", "evaluate", "explain", "validate", "plugins"} <= set(ran)
    assert (tmp_path / "r.xlsx").stat().st_size > 0


def test_applied_and_unused_overrides_are_sentences(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert run(*DEMO, "--no-evaluate", "--out", str(out))[0] == 0
    evaluate = ["evaluate", "vip-monthly", "--data", str(out), "--as-of", "2026-01-01"]
    assert run(*evaluate)[0] == 0  # a first run, so the overrides' names can be checked
    until = (date.today() + timedelta(days=30)).isoformat()
    for customer in ("C0000001", "C9999999"):  # the second is in no data
        add = ["overrides", "add", customer, "--decision", "category", "--value", "A"]
        code, output = run(*add, "--reason", "r", "--approved-by", "x", "--until", until)
        assert code == 0, output
    code, output = run(*evaluate)
    assert code == 0, output
    text = " ".join(output.split())
    assert "overrides applied: 1 (#1)" in text
    assert (
        "warning: override #2 (customer C9999999, category) applies to no one here: the "
        "customer C9999999 is not in the data" in text
    )
    assert "{" not in output and "[" not in output  # no Python or JSON shown
    assert "it replaces run" in text  # the same month again


def test_the_python_explain_shows_the_override_too(tmp_path: Path) -> None:
    import tierkit

    out = tmp_path / "demo"
    assert run(*DEMO, "--no-evaluate", "--out", str(out))[0] == 0
    store = tierkit.HistoryStore(tmp_path / "h.duckdb")
    first = tierkit.evaluate("vip-monthly", out, as_of="2026-01-01", store=store)
    customer = first.results.filter(pl.col("category") == "C")["customer_id"][0]
    until = date.today() + timedelta(days=30)
    store.add_override(customer, "category", "A", reason="Merger", approved_by="J. Doe",
                       valid_until=until)
    again = tierkit.evaluate("vip-monthly", out, as_of="2026-01-01", store=store, save=False)
    [explained] = tierkit.explain(again, [customer])
    category = explained.decisions[0]
    assert category.name == "category"
    assert category.override is not None
    assert (category.override.value, category.override.decided) == ("A", "C")
    assert category.override.note == f"override #1: Merger (approved by J. Doe, until {until})"
    assert "the rules decided C" in explained.describe()


def test_the_durable_engine_names_its_backend_even_when_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "durable", None)
    monkeypatch.setitem(sys.modules, "durable.lang", None)
    args = ["--engine", "durable", "--backend", "duckdb", "--data", str(tmp_path)]
    code, output = run("evaluate", "vip-monthly", *args)
    assert code == 2, output
    assert "the durable engine runs with the polars backend" in output
