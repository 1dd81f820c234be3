"""Rulesets through Excel: ``tierkit export R --out r.xlsx`` and ``tierkit import r.xlsx``."""

from __future__ import annotations

import os
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.demo import DemoFormat, DemoSpec, generate_demo
from tierkit.evaluation import evaluate
from tierkit.evaluation.examples import run_examples
from tierkit.registry import Registry
from tierkit.ruleset import load_ruleset, load_ruleset_text
from tierkit.ruleset.compiled import CompiledRuleset
from tierkit.ruleset.expr import unparse
from tierkit.ruleset.expr_parse import SyntaxProblem, parse_expression
from tierkit.shipped import shipped_rulesets
from tierkit.workbook.layout import cell_condition, condition_tests, join_conditions

AS_OF = date(2026, 1, 1)


def table(sheet: Any) -> list[list[Any]]:
    """A sheet's values, row by row, without the empty cells at the end of a row."""
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    for row in rows:
        while row and row[-1] is None:
            row.pop()
    return rows


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def round_trip(source: str | Path, folder: Path) -> Path:
    """Export to a workbook and import it back; the imported ruleset file."""
    book = folder / "rules.xlsx"
    back = folder / "back.yaml"
    exported = cli("export", str(source), "--out", str(book))
    assert exported.exit_code == 0, exported.output
    imported = cli("import", str(book), "--out", str(back))
    assert imported.exit_code == 0, imported.output
    return back


def shape(ruleset: CompiledRuleset) -> dict[str, Any]:
    """Everything a ruleset means, without where its text sat in its file."""
    return {
        "head": (
            ruleset.name,
            ruleset.title,
            ruleset.description,
            ruleset.strategy,
            ruleset.period,
            ruleset.periods,
            ruleset.primary_decision,
            {k: dict(v) for k, v in ruleset.policies.items()},
            ruleset.order,
        ),
        "criteria": {
            n: (
                b.criterion,
                b.uses_value,
                b.per_period,
                b.periods,
                dict(b.params),
                b.type,
                b.title,
                b.attribute,
            )
            for n, b in ruleset.criteria.items()
        },
        "derived": {n: unparse(d.expr.tree) for n, d in ruleset.derived.items()},
        "decisions": {
            n: (
                d.policy,
                d.hit,
                d.aggregate,
                d.outcomes,
                d.declared,
                d.title,
                d.default,
                d.type,
                [
                    (r.index, r.name, unparse(r.when.tree), r.then, type(r.then), r.because)
                    for r in d.rules
                ],
            )
            for n, d in ruleset.decisions.items()
        },
        "examples": ruleset.examples,
    }


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate_demo(DemoSpec(customers=40, months=24, seed=11, as_of=AS_OF), folder, DemoFormat.CSV)
    return folder


# --------------------------------------------------------------------------------------------
# every shipped ruleset survives the round trip


@pytest.mark.parametrize("name", sorted(shipped_rulesets()))
def test_a_shipped_ruleset_round_trips_through_excel(
    name: str, tmp_path: Path, small_demo: Path, registry: Registry
) -> None:
    original = load_ruleset(shipped_rulesets()[name])
    back = load_ruleset(round_trip(name, tmp_path))
    assert shape(back) == shape(original)
    results = run_examples(back, registry)
    assert results and all(r.passed for r in results)
    before = evaluate(original, small_demo, as_of=AS_OF, registry=registry)
    after = evaluate(back, small_demo, as_of=AS_OF, registry=registry)
    assert before.results.height == 40  # one row per demo customer
    assert after.values.equals(before.values)
    assert after.results.equals(before.results)


# --------------------------------------------------------------------------------------------
# the layout

SHOP = """tierkit: 1
name: shop
title: A shop's tiers
criteria:
  paid: {use: payments.received}
  tenure: {use: tenure.months}
  count: {use: payments.count, periods: 6, title: Payments in six months}
derive:
  big: paid >= 1000
  loyal: tenure >= 24
decisions:
  category:
    rules:
      - {when: "paid >= 1000 and tenure >= 24", then: A, because: "Big and loyal"}
      - {when: "paid >= 100", then: B, name: middle}
    default: {then: C, because: "Everyone else"}
  flags:
    hit: collect
    outcomes: [call, watch, "= 1 refund"]
    rules:
      - {when: "category in ['A', 'B'] and not loyal", then: call}
      - {when: "tenure < 24 and paid >= 100", then: watch}
      - {when: "paid < -5 or count == 0", then: "= 1 refund"}
      - {when: "previous.category == 'A'", then: watch}
  band:
    rules:
      - {when: "paid >= 100 and paid < 1000 and tenure < 12", then: new, because: "Middle, new"}
      - {when: "paid >= 1000", then: big}
      - {when: "tenure >= 12 and paid >= 100 and paid < 1000", then: middle}
    default: {then: small}
policies:
  A: {account_manager: senior}
tests:
  - name: big and loyal is A
    given: {paid: 2000, tenure: 30}
    expect: {category: A, flags: []}
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP, encoding="utf-8")
    return path


@pytest.fixture
def shop_book(shop: Path, tmp_path: Path) -> Path:
    book = tmp_path / "shop.xlsx"
    result = cli("export", str(shop), "--out", str(book))
    assert result.exit_code == 0, result.output
    return book


def test_the_hand_written_ruleset_round_trips(shop: Path, tmp_path: Path) -> None:
    assert shape(load_ruleset(round_trip(shop, tmp_path))) == shape(load_ruleset(shop))


def test_a_decision_sheet_is_a_dmn_style_table(shop_book: Path) -> None:
    sheet = load_workbook(shop_book)["category"]
    rows = table(sheet)
    # the header block: decision, hit, default, default because; a blank row; the note
    assert rows[0][:2] == ["decision", "category"]
    assert rows[1][:2] == ["hit", "first"]
    assert rows[2][:2] == ["default", "C"]
    assert str(rows[5][0]).startswith("# How to edit")
    # row 7: one column per name tested, then, because, rule (a rule has a name)
    assert rows[6] == ["paid", "tenure", "then", "because", "rule"]
    assert rows[7] == [">= 1000", ">= 24", "A", "Big and loyal"]
    assert rows[8] == [">= 100", "-", "B", None, "middle"]
    assert sheet.freeze_panes == "A8"
    assert sheet["A7"].font.b


def test_tests_that_are_not_comparisons_of_names_stay_in_a_when_column(shop_book: Path) -> None:
    sheet = load_workbook(shop_book)["flags"]
    rows = table(sheet)
    assert rows[2] == ["outcomes", "call", "watch", "= 1 refund"]
    header = rows[5]
    assert header == [
        "category",
        "loyal",
        "tenure",
        "paid",
        "previous.category",
        "when",
        "then",
        "because",
    ]
    assert rows[6][:6] == ["in ['A', 'B']", "false", "-", "-", "-", None]
    # 'tenure < 24 and paid >= 100' keeps the columns' order: tests
    assert rows[7][:5] == ["-", "-", "< 24", ">= 100", "-"]
    # an 'or' is no conjunction of tests
    assert rows[8][5] == "paid < -5 or count == 0"
    assert rows[9][4] == '"A"'


def test_two_bounds_on_a_name_take_two_columns(shop_book: Path) -> None:
    rows = table(load_workbook(shop_book)["band"])
    assert rows[5] == ["paid", "paid", "tenure", "when", "then", "because"]
    assert rows[6] == [">= 100", "< 1000", "< 12", None, "new", "Middle, new"]
    assert rows[7] == [">= 1000", "-", "-", None, "big"]
    # tenure before paid: out of the columns' order, so whole
    assert rows[8] == ["-", "-", "-", "tenure >= 12 and paid >= 100 and paid < 1000", "middle"]
    edit(shop_book, {"band": {"B7": "< 500"}})
    rule = imported(shop_book).decisions["band"].rules[0]
    assert unparse(rule.when.tree) == "((paid >= 100) and (paid < 500)) and (tenure < 12)"


def test_names_out_of_the_columns_order_keep_the_condition_whole() -> None:
    assert condition_tests("a >= 1 and b < 2") == [("a", ">= 1"), ("b", "< 2")]
    assert condition_tests("a >= 1 and (b < 2 and c == 3)") is None  # another tree
    assert condition_tests("a >= 1 and a < 5") == [("a", ">= 1"), ("a", "< 5")]
    assert condition_tests("a >= b") is None  # not a constant
    assert condition_tests("x >= -5") == [("x", ">= -5")]
    assert condition_tests(True) == []


def test_text_starting_like_a_formula_is_stored_as_text(shop_book: Path) -> None:
    book = load_workbook(shop_book)
    assert book["flags"]["G9"].value == "= 1 refund"
    assert book["flags"]["G9"].data_type == "s"
    key = load_workbook(shop_book)["category"]
    assert key["A8"].value == ">= 1000" and key["A8"].data_type == "s"
    with zipfile.ZipFile(shop_book) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in archive.read(n) for n in sheets)


def test_on_time_095_round_trips_as_text(tmp_path: Path) -> None:
    book = tmp_path / "vip.xlsx"
    assert cli("export", "vip-monthly", "--out", str(book)).exit_code == 0
    sheet = load_workbook(book)["key_partner"]
    row = [c for c in next(r for r in sheet.iter_rows() if r[0].value == '"A"')]
    assert [c.value for c in row[:3]] == ['"A"', ">= 0.95", ">= 24"]
    assert all(c.data_type == "s" for c in row[:3])


# --------------------------------------------------------------------------------------------
# an analyst's edits


def edit(book: Path, changes: dict[str, dict[str, Any]]) -> None:
    workbook = load_workbook(book)
    for sheet, cells in changes.items():
        for cell, value in cells.items():
            workbook[sheet][cell].value = value
    workbook.save(book)


def imported(book: Path) -> CompiledRuleset:
    out = book.with_name("imported.yaml")
    result = cli("import", str(book), "--out", str(out))
    assert result.exit_code == 0, result.output
    return load_ruleset(out)


def test_an_edited_threshold_changes_the_rule(shop_book: Path) -> None:
    edit(shop_book, {"category": {"A8": ">= 2000", "B9": 12}})
    rules = imported(shop_book).decisions["category"].rules
    assert unparse(rules[0].when.tree) == "(paid >= 2000) and (tenure >= 24)"
    # a number typed in a cell tests equality
    assert unparse(rules[1].when.tree) == "(paid >= 100) and (tenure == 12)"


def test_true_false_and_any(shop_book: Path) -> None:
    # flags row 7: category, loyal: TRUE typed as a boolean; tenure '-' stays any
    edit(shop_book, {"flags": {"B7": True, "A7": None}})
    rule = imported(shop_book).decisions["flags"].rules[0]
    assert unparse(rule.when.tree) == "loyal"


def test_a_new_row_is_a_new_rule(shop_book: Path) -> None:
    edit(shop_book, {"category": {"A10": "> 50", "C10": "B", "D10": "Fifty and up"}})
    rules = imported(shop_book).decisions["category"].rules
    assert [unparse(r.when.tree) for r in rules[2:]] == ["paid > 50"]
    assert (rules[2].then, rules[2].because) == ("B", "Fifty and up")


# --------------------------------------------------------------------------------------------
# mistakes, by sheet and cell


def failing(book: Path) -> str:
    out = book.with_name("imported.yaml")
    result = cli("import", str(book), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert not out.exists()
    return str(result.output)


def test_a_condition_that_does_not_parse_names_its_cell(shop_book: Path) -> None:
    edit(shop_book, {"category": {"A9": ">>= 5"}})
    assert "category!A9: " in failing(shop_book)


def test_a_when_that_does_not_parse_names_its_cell(shop_book: Path) -> None:
    edit(shop_book, {"flags": {"F9": "paid >>= 5"}})
    assert "flags!F9: " in failing(shop_book)


def test_an_unknown_name_in_a_column_header_names_the_header(shop_book: Path) -> None:
    edit(shop_book, {"category": {"B7": "tenur"}})
    output = failing(shop_book)
    assert "category!B7: " in output and "tenur" in output


def test_an_unknown_name_in_a_when_names_the_cell(shop_book: Path) -> None:
    edit(shop_book, {"flags": {"F9": "paid < -5 or cuont == 0"}})
    output = failing(shop_book)
    assert "flags!F9: " in output and "cuont" in output


def test_an_unknown_criterion_names_the_use_cell(shop_book: Path) -> None:
    # criteria sheet: note, header, then paid, tenure, count from row 3
    edit(shop_book, {"criteria": {"B4": "tenure.monthz"}})
    output = failing(shop_book)
    assert "criteria!B4: " in output and "tenure.monthz" in output


def test_an_unknown_column_header_is_reported(shop_book: Path) -> None:
    edit(shop_book, {"category": {"B7": "tenure (months)"}})
    assert "category!B7: unknown column header 'tenure (months)'" in failing(shop_book)


def test_a_rule_without_then_is_reported(shop_book: Path) -> None:
    edit(shop_book, {"category": {"C8": None}})
    assert "category!C8: missing then" in failing(shop_book)


def test_a_bad_derived_fact_and_a_bad_hit_policy_name_their_cells(shop_book: Path) -> None:
    # derive: note, header, big (row 3), loyal (row 4)
    edit(shop_book, {"derive": {"B4": "tenure >= "}, "flags": {"B2": "colect"}})
    output = failing(shop_book)
    assert "derive!B4: " in output
    assert "flags!B2: " in output


def test_a_file_that_is_no_workbook_is_a_located_error(tmp_path: Path) -> None:
    book = tmp_path / "rules.xlsx"
    book.write_text("not a zip", encoding="utf-8")
    output = failing(book)
    assert f"{book}: not an Excel workbook" in output
    assert "no such file" in failing(tmp_path / "missing.xlsx")


def test_the_imported_text_loads_as_written(shop_book: Path) -> None:
    result = cli("import", str(shop_book))
    assert result.exit_code == 0
    assert load_ruleset_text(result.output).name == "shop"


# --------------------------------------------------------------------------------------------
# sheet names and long texts


ODD = """tierkit: 1
name: odd
criteria:
  paid: {use: payments.received}
decisions:
  derive:
    rules:
      - {when: "paid > 0", then: " paying "}
    default: {then: none}
  a_decision_name_longer_than_thirty_one:
    rules:
      - {when: "derive == ' paying '", then: 1}
    default: {then: 0}
tests:
  - name: a large population
    population: [%s]
    customer: customer-number-00000
    expect: {derive: " paying "}
"""


def test_sheet_titles_never_clash_and_long_texts_span_cells(tmp_path: Path) -> None:
    # 800 customers of at least 44 characters each: over 35,000 characters of YAML
    population = ", ".join(
        f"{{customer_id: customer-number-{i:05d}, paid: {i + 1}}}" for i in range(800)
    )
    source = tmp_path / "odd.yaml"
    source.write_text(ODD % population, encoding="utf-8")
    back = round_trip(source, tmp_path)
    assert shape(load_ruleset(back)) == shape(load_ruleset(source))
    book = load_workbook(tmp_path / "rules.xlsx")
    # the decision 'derive' may not take the derive sheet's title; Excel allows 31 characters
    assert book.sheetnames[:2] == ["derive~2", "a_decision_name_longer_than_thi"]
    assert book["examples"]["C3"].value  # the example's YAML continues in column C


def test_labels_and_fixed_headers_in_any_case(shop_book: Path) -> None:
    edit(shop_book, {"category": {"A2": "Hit", "C7": "Then", "D7": "BECAUSE"}})
    rule = imported(shop_book).decisions["category"].rules[0]
    assert (rule.then, rule.because) == ("A", "Big and loyal")


def test_policies_are_a_table(shop_book: Path) -> None:
    sheet = load_workbook(shop_book)["policies"]
    assert table(sheet)[1:] == [["value", "account_manager"], ["A", "senior"]]
    edit(shop_book, {"policies": {"A4": "B", "B4": "shared", "C2": "terms", "C3": 45}})
    policies = imported(shop_book).policies
    assert {k: dict(v) for k, v in policies.items()} == {
        "A": {"account_manager": "senior", "terms": 45},
        "B": {"account_manager": "shared"},
    }


def test_policies_given_twice_are_a_mistake(shop_book: Path) -> None:
    # ruleset sheet: note, header, then tierkit, name, title (rows 3-5); row 6 is free
    edit(shop_book, {"ruleset": {"A6": "policies", "B6": "{A: {account_manager: x}}"}})
    assert "ruleset!A6: policies are given twice" in failing(shop_book)


def test_a_null_policy_stays_yaml(tmp_path: Path) -> None:
    source = tmp_path / "null.yaml"
    source.write_text(SHOP.replace("{account_manager: senior}", "{account_manager: null}"))
    back = round_trip(source, tmp_path)
    assert dict(load_ruleset(back).policies["A"]) == {"account_manager": None}
    assert "policies" not in load_workbook(tmp_path / "rules.xlsx").sheetnames


# --------------------------------------------------------------------------------------------
# any chain of tests on names reads back as the same condition

_NAMES = st.sampled_from(["paid", "tenure", "region", "previous.category"])
_TEXT = st.text(alphabet="AB '\"\\,=-", min_size=0, max_size=6)


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


_CONSTANTS = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(repr),
    _TEXT.map(_quoted),
    st.sampled_from(["true", "false"]),
    st.lists(_TEXT.map(_quoted), max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
)
_OPS = st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(_NAMES, _OPS, _CONSTANTS), min_size=1, max_size=4))
def test_a_chain_of_tests_is_laid_out_and_reads_back_the_same(
    parts: list[tuple[str, str, str]],
) -> None:
    condition = " and ".join(f"{name} {op} {value}" for name, op, value in parts)
    tests = condition_tests(condition)
    assert tests is not None, condition
    assert [name for name, _ in tests] == [name for name, _, _ in parts]
    back, _ = join_conditions([cell_condition(name, cell) or "" for name, cell in tests])
    original, read = parse_expression(condition), parse_expression(back)
    assert not isinstance(read, SyntaxProblem) and not isinstance(original, SyntaxProblem)
    assert unparse(read) == unparse(original)


def test_a_wrong_outcome_names_its_cell(shop_book: Path) -> None:
    # flags: outcomes call (B3), watch (C3), '= 1 refund' (D3); 'watch' given twice
    edit(shop_book, {"flags": {"D3": "watch"}})
    output = failing(shop_book)
    assert "flags!D3: " in output and "twice" in output


def test_a_formula_is_a_mistake(shop_book: Path) -> None:
    # openpyxl stores text starting with = as a formula, as Excel does when one is typed
    edit(shop_book, {"category": {"C8": "=1+1"}})
    assert "category!C8: a formula (=1+1)" in failing(shop_book)


def test_the_workbook_is_readable_like_any_new_file(shop_book: Path) -> None:
    mask = os.umask(0)
    os.umask(mask)
    assert shop_book.stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_row_of_dashes_alone_is_no_rule(shop_book: Path) -> None:
    edit(shop_book, {"category": {"A10": "-", "B10": "-"}})
    assert len(imported(shop_book).decisions["category"].rules) == 2
