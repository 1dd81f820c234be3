"""Columns of the customers table as criteria: binding, types, conditions, errors, backends."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.errors import DataInvalid, RulesetInvalid
from tierkit.evaluation import evaluate
from tierkit.registry import Registry
from tierkit.ruleset import load_ruleset

AS_OF = date(2026, 4, 1)

RULESET = """\
tierkit: 1
name: regions
window: {period: month, periods: 3}
criteria:
  paid: payments.received
  region: customer.region
  since: {use: customer.since}
  staff: {use: customer.staff, type: number}
  key_account: {use: customer.key_account, type: boolean}
derive:
  north: region == 'North'
  old_hand: since < date('2020-01-01')
decisions:
  category:
    rules:
      - {when: "north and paid >= 100", then: A, because: big in the North}
      - {when: "old_hand or key_account", then: B, because: long-standing or key account}
      - {when: "staff >= 50", then: B, because: a large company}
    default: {then: C}
"""

# Customers as an export gives them: text everywhere, ids "9" and "10", blanks for missing.
CUSTOMERS = """\
customer_id,name,region,since,staff,key_account,segment
9,Nine,North,2021-05-01,10,no,retail
10,Ten,North,2019-03-15,,no,retail
11,Eleven,South,2018-01-01,-5,false,wholesale
12,Twelve,South,2022-07-01,80,no,retail
13,Thirteen,,,,yes,
14,Fourteen, North ,2023-01-01,1,no,retail
"""
# Payments Jan-Mar 2026: 9 pays 150, 10 pays 60 and 30 (90), 14 pays 300 ("North" with
# spaces around it is read as "North": text is stripped).
PAYMENTS = """\
customer_id,paid_at,amount
9,2026-01-10,150
10,2026-02-01,60
10,2026-03-05,30
14,2026-03-30,300
"""


def _data(folder: Path, customers: str = CUSTOMERS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "customers.csv").write_text(customers)
    (folder / "payments.csv").write_text(PAYMENTS)
    return folder


def _ruleset(folder: Path, text: str = RULESET) -> Path:
    path = folder / "regions.yaml"
    path.write_text(text)
    return path


def _categories(run_results: pl.DataFrame) -> dict[str, str]:
    return dict(zip(run_results["customer_id"], run_results["category"], strict=True))


# 9: North, paid 150 ≥ 100 → A.
# 10: North but 90 < 100; since 2019-03-15 < 2020 → B (long-standing).
# 11: South; since 2018 → B.
# 12: South, since 2022, not key, staff 80 ≥ 50 → B (large company).
# 13: no region, no since, key_account yes → B.
# 14: " North " is North, paid 300 → A.
EXPECTED = {"9": "A", "10": "B", "11": "B", "12": "B", "13": "B", "14": "A"}


@pytest.mark.parametrize("backend", ["polars", "duckdb"])
def test_attributes_in_conditions(tmp_path: Path, registry: Registry, backend: str) -> None:
    run = evaluate(
        _ruleset(tmp_path), _data(tmp_path / "data"), as_of=AS_OF, registry=registry,
        backend=backend, store=None,
    )
    assert _categories(run.results) == EXPECTED
    values = run.values.sort("customer_id")
    by_id = {r["customer_id"]: r for r in values.iter_rows(named=True)}
    assert by_id["13"]["region"] is None  # an empty cell is missing, not ''
    assert by_id["13"]["staff"] is None
    assert by_id["14"]["region"] == "North"
    assert by_id["10"]["since"] == date(2019, 3, 15)
    assert by_id["12"]["staff"] == 80.0
    assert by_id["11"]["staff"] == -5.0  # an attribute may be negative (a balance, a delta)
    assert by_id["13"]["key_account"] is True


def test_types_at_load(registry: Registry, tmp_path: Path) -> None:
    ruleset = load_ruleset(_ruleset(tmp_path), registry)
    kinds = {n: b.type.base for n, b in ruleset.criteria.items()}
    assert kinds == {
        "paid": "number", "region": "text", "since": "date", "staff": "number",
        "key_account": "boolean",
    }
    assert ruleset.criteria["region"].attribute == "region"
    assert ruleset.criteria["region"].where.endswith("regions.yaml:6:11")


def _problems(registry: Registry, path: Path) -> list[str]:
    with pytest.raises(RulesetInvalid) as caught:
        load_ruleset(path, registry)
    return [str(p) for p in caught.value.problems]


def test_comparing_text_with_a_number_is_refused_at_load(
    registry: Registry, tmp_path: Path
) -> None:
    text = RULESET.replace("north: region == 'North'", "north: region > 3")
    problems = _problems(registry, _ruleset(tmp_path, text))
    assert len(problems) == 1 and "regions.yaml:11:10" in problems[0], problems


@pytest.mark.parametrize(
    ("entry", "wrong"),
    [
        ("{use: customer.region, per: period}", "'per' does not apply"),
        ("{use: customer.region, params: {x: 1}}", "'params' does not apply"),
        ("{use: customer.name}", "not a customer attribute"),
        ("{use: customer.customer_id}", "not a customer attribute"),
        ("{use: payments.count, type: text}", "'type' is only for customer attributes"),
        ("{use: customer.region, type: colour}", "type"),
    ],
)
def test_wrong_bindings_are_located(
    registry: Registry, tmp_path: Path, entry: str, wrong: str
) -> None:
    text = RULESET.replace("  staff: {use: customer.staff, type: number}",
                           f"  staff: {{use: customer.staff, type: number}}\n  other: {entry}")
    problems = _problems(registry, _ruleset(tmp_path, text))
    assert any(wrong in p and "regions.yaml:9:" in p for p in problems), problems


def test_one_column_two_types_is_refused(registry: Registry, tmp_path: Path) -> None:
    text = RULESET.replace("  staff: {use: customer.staff, type: number}",
                           "  staff: {use: customer.staff, type: number}\n"
                           "  staff_text: {use: customer.staff, type: text}")
    problems = _problems(registry, _ruleset(tmp_path, text))
    assert any("read as number" in p and "regions.yaml:9:" in p for p in problems), problems


def test_missing_column_names_table_column_and_ruleset_line(
    registry: Registry, tmp_path: Path
) -> None:
    customers = "\n".join(
        ",".join(c for i, c in enumerate(line.split(",")) if i != 2)
        for line in CUSTOMERS.splitlines()
    )  # the region column (third) removed
    data = _data(tmp_path / "data", customers)
    with pytest.raises(DataInvalid) as caught:
        evaluate(_ruleset(tmp_path), data, as_of=AS_OF, registry=registry, store=None)
    text = caught.value.render()
    assert "customers.csv" in text and "column 'region' is missing" in text, text
    assert "regions.yaml:6:11" in text, text


def test_value_not_of_the_declared_type_is_a_data_error(
    registry: Registry, tmp_path: Path
) -> None:
    customers = CUSTOMERS.replace("2022-07-01,80", "2022-07-01,many")
    data = _data(tmp_path / "data", customers)
    with pytest.raises(DataInvalid) as caught:
        evaluate(_ruleset(tmp_path), data, as_of=AS_OF, registry=registry, store=None)
    text = caught.value.render()
    assert "column 'staff': 1 value cannot be read as a number" in text, text
    assert "'many'" in text, text


def test_cli_exit_code_for_a_missing_column(registry: Registry, tmp_path: Path) -> None:
    text = RULESET.replace("customer.region", "customer.regoin")
    result = CliRunner().invoke(
        app,
        ["evaluate", str(_ruleset(tmp_path, text)), "--data", str(_data(tmp_path / "data")),
         "--as-of", "2026-04-01", "--no-store", "-o", str(tmp_path / "out.csv")],
    )
    assert result.exit_code == 2, result.output
    assert "column 'regoin' is missing" in result.output, result.output


def test_examples_give_attributes(registry: Registry, tmp_path: Path) -> None:
    text = RULESET + """\
tests:
  - name: a North customer who paid 100 is A
    given: {paid: 100, region: North, since: 2024-01-01, staff: 3, key_account: false}
    expect: {category: A}
  - name: a South customer since 2019 is B
    given: {paid: 5000, region: South, since: 2019-12-31, staff: 3, key_account: false}
    expect: {category: B}
  - name: from transactions, with the customer's row
    as_of: 2026-04-01
    transactions:
      customers: [{region: South, since: 2021-01-01, staff: 60, key_account: "no"}]
      payments: [{paid_at: 2026-02-01, amount: 500}]
    expect: {category: B}
"""
    from tierkit.evaluation.examples import run_examples

    outcomes = run_examples(load_ruleset(_ruleset(tmp_path, text), registry), registry)
    assert [o.passed for o in outcomes] == [True, True, True], outcomes


def test_typed_columns_from_parquet(registry: Registry, tmp_path: Path) -> None:
    """Typed columns are taken as they are: whole numbers as numbers (or as text where the
    ruleset reads them as text), dates and true/false values unchanged."""
    data = tmp_path / "data"
    data.mkdir()
    pl.DataFrame(
        {
            "customer_id": [9, 10, 11],
            "name": ["Nine", "Ten", "Eleven"],
            "region": [1, 2, 1],  # region codes stored as numbers, read as text
            "since": [date(2019, 1, 1), date(2022, 1, 1), None],
            "staff": [10, 80, -3],
            "key_account": [False, None, True],
        }
    ).write_parquet(data / "customers.parquet")
    pl.DataFrame(
        {"customer_id": [9], "paid_at": [date(2026, 3, 1)], "amount": [500]}
    ).write_parquet(data / "payments.parquet")
    text = RULESET.replace("north: region == 'North'", "north: region == '1'")
    run = evaluate(_ruleset(tmp_path, text), data, as_of=AS_OF, registry=registry, store=None)
    # 9: region '1' and paid 500 -> A; 10: staff 80 -> B; 11: key account -> B
    assert _categories(run.results) == {"9": "A", "10": "B", "11": "B"}
    by_id = {r["customer_id"]: r for r in run.values.iter_rows(named=True)}
    assert by_id["10"]["region"] == "2" and by_id["11"]["staff"] == -3.0
    assert by_id["10"]["key_account"] is None


@pytest.mark.parametrize("backend", ["polars", "duckdb"])
def test_ranking_within_an_attribute(tmp_path: Path, registry: Registry, backend: str) -> None:
    text = RULESET.replace(
        "  north: region == 'North'",
        "  north: region == 'North'\n  best_north: top_share(paid, among=north) <= 0.5",
    ).replace("north and paid >= 100", "best_north")
    run = evaluate(
        _ruleset(tmp_path, text), _data(tmp_path / "data"), as_of=AS_OF, registry=registry,
        backend=backend, store=None,
    )
    # North: 14 (300), 9 (150), 10 (90) -> N = 3; 14 is 1/3 and A, 9 is 2/3 and not; 10 is B
    # (since 2019) and 9 falls to C (since 2021, 10 staff, not a key account)
    assert _categories(run.results) == {
        "9": "C", "10": "B", "11": "B", "12": "B", "13": "B", "14": "A",
    }
