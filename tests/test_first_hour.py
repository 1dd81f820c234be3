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
    misspelled = ["overrides", "add", customer, "--decision", "categroy", "--value", "A"]
    code, output = run(*misspelled, "--reason", "r", "--approved-by", "x", "--until", until)
    assert code == 2, output
    assert (
        "--decision 'categroy': no stored run has such a decision (did you mean 'category'?); "
        "the runs have category, key_partner." in " ".join(output.split())
    )
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
    store.add_override(
        customer, "category", "A", reason="Merger", approved_by="J. Doe", valid_until=until
    )
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


# --------------------------------------------------------------------------------------------
# the quickstart's commands, then those of the report, Excel and watch pages, as written, in
# one fresh folder (the order a new user follows them in)

# commands of the docs that a test folder cannot run as written, and why
NOT_RUN = {
    "python3": "makes the environment: .ci/run does",
    "pip": "installs a package",
    "python": "runs a benchmark or the test suite",
    "chromium": "a browser",
}


def doc_commands(name: str) -> list[tuple[int, list[str], str | None]]:
    """Every command of a docs page's ```bash blocks: (line, words, the file `>` writes to)."""
    text = (ROOT / "docs" / name).read_text(encoding="utf-8")
    commands = []
    for match in re.finditer(r"```bash\n(.*?)```", text, flags=re.DOTALL):
        first = text.count("\n", 0, match.start()) + 2
        for offset, line in enumerate(match.group(1).replace("\\\n", " ").splitlines()):
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                if not words:
                    continue
                target = None
                if ">" in words:
                    at = words.index(">")
                    words, target = words[:at], words[at + 1]
                commands.append((first + offset, words, target))
    return commands


def text_blocks(name: str) -> list[str]:
    text = (ROOT / "docs" / name).read_text(encoding="utf-8")
    return re.findall(r"```text\n(.*?)```", text, flags=re.DOTALL)


def quickstart_ruleset() -> str:
    text = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)[0]


def lines_of(output: str) -> list[str]:
    return [line.rstrip() for line in output.strip().splitlines()]


def test_the_quickstart_report_excel_and_watch_pages_run_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TIERKIT_STORE")  # the default store, tierkit.duckdb here, as for a user
    (tmp_path / "abc.yaml").write_text(quickstart_ruleset(), encoding="utf-8")
    (tmp_path / "november.jsonl").write_text(  # watch.md's event
        '{"table": "payments", "row": {"customer_id": "C0000002", "paid_at": "2026-11-03",'
        ' "amount": 50000}}\n',
        encoding="utf-8",
    )
    outputs: dict[str, str] = {}
    done: set[tuple[str, ...]] = set()
    for page in ("quickstart.md", "report.md", "excel.md", "watch.md"):
        for line, words, target in doc_commands(page):
            where = f"docs/{page}:{line}: {shlex.join(words)}"
            if words[0] == "tail" and "|" in words:  # `tail -f FILE | tierkit watch …`
                words = words[words.index("|") + 1 :]
            program, args = words[0].removeprefix(".venv/bin/"), words[1:]
            if program in NOT_RUN:
                continue
            if program == "ls":
                assert all((tmp_path / arg).exists() for arg in args), where
                continue
            assert program == "tierkit", f"{where}: teach this test to run it"
            if args[:1] == ["watch"]:
                args = [*args, "--events", "november.jsonl"]  # the events tail -f would give
            if tuple(args) in done and args[0] == "demo":
                continue  # the same demo again writes the same files: once is enough here
            if args[:2] == ["validate", "abc.yaml"] and tuple(args) in done:
                continue  # the quickstart shows the broken file in between, tested below
            code, output = run(*args)
            assert code == 0, (where, output)
            assert "internal error" not in output and "Traceback" not in output, (where, output)
            if target:
                (tmp_path / target).write_text(output, encoding="utf-8")
            done.add(tuple(args))
            outputs[f"{page} {shlex.join(args)}"] = output

    # what the quickstart shows is what the commands print (the run ids aside)
    shown = text_blocks("quickstart.md")
    demo = outputs["quickstart.md demo --as-of 2026-01-01"]
    for expected in lines_of(shown[0]):
        if expected != "…" and not expected.startswith("run "):
            assert expected in lines_of(demo), expected
    assert lines_of(outputs["quickstart.md validate abc.yaml"]) == lines_of(shown[1])
    evaluated = lines_of(
        outputs[
            "quickstart.md evaluate abc.yaml --data tierkit-demo --as-of 2026-01-01 --out "
            "abc-results.csv"
        ]
    )
    [table] = [block for block in shown if block.startswith("abc-cash")]
    assert [x for x in lines_of(table) if not x.startswith("run ")] == [
        x for x in evaluated if not x.startswith("run ")
    ]
    [explained] = [block for block in shown if block.startswith("C0000018")]
    assert lines_of(
        outputs["quickstart.md explain abc.yaml C0000018 --data tierkit-demo --as-of 2026-01-01"]
    ) == lines_of(explained)
    [row] = [block for block in shown if block.startswith("customer_id,")]
    header, customer = lines_of(row)
    results = (tmp_path / "abc-results.csv").read_text(encoding="utf-8").splitlines()
    assert results[0] == header
    assert customer in results

    # the command-line reference shows the same evaluation, and explains another customer
    [table] = [block for block in text_blocks("cli.md") if block.startswith("abc-cash")]
    assert [x for x in lines_of(table) if not x.startswith("run ")] == [
        x for x in evaluated if not x.startswith("run ")
    ]
    [explained] = [block for block in text_blocks("cli.md") if block.startswith("C0000002")]
    [(line, words, _)] = [c for c in doc_commands("cli.md") if c[1][:2] == ["tierkit", "explain"]]
    code, output = run(*words[1:])
    assert code == 0, output
    assert lines_of(output) == lines_of(explained), f"docs/cli.md:{line}"

    # the report page: two net-profit months, then the report of the latest
    assert "report: report.html (" in outputs["report.md report latest --out report.html"]
    assert "2,000 customers" in outputs["report.md report latest --out report.html"]
    assert (tmp_path / "report.html").stat().st_size > 100_000
    # the Excel page: the workbook goes round and its examples pass
    assert (tmp_path / "rules.xlsx").is_file() and (tmp_path / "ruleset.yaml").is_file()
    assert "17 examples: 17 passed" in outputs["excel.md test ruleset.yaml"]
    # the watch page: the event makes C0000002 an A customer
    watched = outputs["watch.md watch abc-pareto --data ./tierkit-demo --events november.jsonl"]
    assert '"watch": "started"' in watched
    assert "watch: 1 event, " in watched and ", 0 bad events skipped" in watched
    assert '{"customer": "C0000002", "decision": "category", "old": "C", "new": "A"' in watched


def test_the_quickstart_broken_ruleset_reads_as_shown(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    broken = re.findall(r"<!-- invalid -->\n```yaml\n(.*?)```", text, flags=re.DOTALL)[0]
    (tmp_path / "abc.yaml").write_text(broken, encoding="utf-8")
    [shown] = [block for block in text_blocks("quickstart.md") if block.startswith("abc.yaml:8")]
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "abc.yaml")])
    assert result.exit_code == 2
    assert lines_of(result.output.replace(str(tmp_path / "abc.yaml"), "abc.yaml")) == lines_of(
        shown
    )


def command_paths() -> list[list[str]]:
    import typer.main

    group = typer.main.get_command(app)
    paths = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            paths += [[name, sub] for sub in subcommands]
        else:
            paths.append([name])
    return paths


def test_there_are_commands_to_check() -> None:
    assert ["evaluate"] in command_paths() and ["overrides", "add"] in command_paths()


@pytest.mark.parametrize("command", command_paths(), ids=" ".join)
def test_every_command_help_shows_an_example(command: list[str]) -> None:
    code, output = run(*command, "--help")
    assert code == 0, output
    example = re.search(r"Examples?:(.*?)(\n\n|$)", output, flags=re.DOTALL)
    assert example, output
    assert f"tierkit {' '.join(command)} " in " ".join(example.group(1).split()), output
