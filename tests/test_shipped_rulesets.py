"""The shipped rulesets: valid, documented, fully exercised by their own examples, and sensible
on demo data under every built-in strategy."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tierkit.demo import DemoFormat, DemoSpec, generate_demo
from tierkit.evaluation import Run, evaluate
from tierkit.evaluation.examples import describe_result, run_examples
from tierkit.registry import Registry
from tierkit.ruleset import load_ruleset
from tierkit.ruleset.compiled import CompiledRuleset
from tierkit.shipped import shipped_rulesets

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = shipped_rulesets()
NAMES = list(SHIPPED)
STRATEGIES = ["market-expansion", "working-capital", "net-profit"]
AS_OF = date(2026, 1, 1)
METHODS = {
    "abc-pareto",
    "vip-monthly",
    "vip-totals",
    "pyramid",
    "value-matrix",
    "points",
    "key-partner",
    "lifecycle",
    "rfm",
}


def test_every_method_is_shipped() -> None:
    assert set(NAMES) == METHODS


@pytest.fixture(scope="module")
def compiled(registry: Registry) -> dict[str, CompiledRuleset]:
    return {name: load_ruleset(path, registry) for name, path in SHIPPED.items()}


@pytest.mark.parametrize("name", NAMES)
def test_header_explains_method_use_and_tuning(name: str) -> None:
    text = SHIPPED[name].read_text(encoding="utf-8")
    header = text.split("\ntierkit: 1", 1)[0]
    assert header.startswith("# yaml-language-server: $schema=")
    if name != "vip-monthly":  # written before this rule; its page says when to use it
        assert "When to use it" in header, f"{name}: the header does not say when to use it"
    assert "tune" in header.lower(), f"{name}: the header does not say what to tune"
    assert all(len(line) <= 100 for line in header.splitlines()), f"{name}: header too wide"


@pytest.mark.parametrize("name", NAMES)
def test_has_a_docs_page(name: str) -> None:
    page = ROOT / "docs" / "rulesets" / f"{name}.md"
    assert page.is_file(), f"docs/rulesets/{name}.md is missing"
    text = page.read_text(encoding="utf-8")
    assert "## What to tune" in text and "## A worked example" in text


@pytest.mark.parametrize("name", NAMES)
def test_examples_pass(name: str, compiled: dict[str, CompiledRuleset], registry: Registry) -> None:
    ruleset = compiled[name]
    results = run_examples(ruleset, registry)
    assert len(results) >= 5
    failed = [line for r in results if not r.passed for line in describe_result(r)]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("name", NAMES)
def test_examples_exercise_every_rule_default_and_previous(
    name: str, compiled: dict[str, CompiledRuleset], registry: Registry
) -> None:
    ruleset = compiled[name]
    fired: dict[str, set[str]] = {d: set() for d in ruleset.decisions}
    for result in run_examples(ruleset, registry):
        for check in result.checks:
            if check.name in fired and check.rule:
                if check.rule == "default":
                    fired[check.name].add("default")
                else:
                    fired[check.name] |= set(re.findall(r"\d+", check.rule.split("(")[0]))
    for decision in ruleset.decisions.values():
        wanted = {str(r.index) for r in decision.rules}
        if decision.default is not None:
            wanted.add("default")
        missing = wanted - fired[decision.name]
        assert not missing, f"{name}: no example expects {decision.name} from {sorted(missing)}"
    used = {p for d in ruleset.decisions.values() for r in d.rules for p in r.when.previous}
    used |= {p for f in ruleset.derived.values() for p in f.expr.previous}
    for previous in used:
        key = f"previous.{previous}"
        given = [
            e
            for e in ruleset.examples
            if e.given.get(key) is not None
            or any(row.get(key) is not None for row in e.population or [])
        ]
        assert given, f"{name}: no example gives {key}"


# --------------------------------------------------------------------------------------------
# demo data


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate_demo(DemoSpec(customers=2000, months=24, seed=7, as_of=AS_OF), folder, DemoFormat.CSV)
    return folder


@pytest.fixture(scope="module")
def runs(demo: Path, registry: Registry) -> dict[tuple[str, str], Run]:
    return {
        (name, strategy): evaluate(
            SHIPPED[name], demo, as_of=AS_OF, strategy=strategy, registry=registry
        )
        for name in NAMES
        for strategy in STRATEGIES
    }


def categories(run: Run) -> dict[str, dict[str, float]]:
    return {str(row["category"]): row for row in run.manifest["categories"]}


def count(run: Run, value: str) -> int:
    return int(categories(run).get(value, {}).get("customers", 0))


def active(run: Run) -> int:
    """Customers with value over the ruleset's window (the ranked population)."""
    return run.results.filter(pl.col("value") > 0).height


def check_abc(run: Run) -> None:
    shares = {k: v["value_share"] for k, v in categories(run).items()}
    assert 0.79 <= shares["A"] <= 0.86
    assert 0.10 <= shares["B"] <= 0.17
    assert count(run, "A") < count(run, "B") + count(run, "C")


def check_pyramid(run: Run) -> None:
    ranked = active(run)
    assert count(run, "VIP") == math.floor(0.01 * ranked)
    assert count(run, "major") == math.floor(0.05 * ranked) - math.floor(0.01 * ranked)
    assert count(run, "common") == math.floor(0.20 * ranked) - math.floor(0.05 * ranked)
    assert 0.005 <= count(run, "VIP") / run.results.height <= 0.012


def check_vip_totals(run: Run) -> None:
    assert count(run, "A") == math.floor(0.20 * active(run))
    assert count(run, "B") > 0


def check_vip_monthly(run: Run) -> None:
    a, b, c = count(run, "A"), count(run, "B"), count(run, "C")
    assert 0 < b < a < c
    assert categories(run)["A"]["value_share"] > 0.6
    partners = run.results.filter(pl.col("key_partner"))
    assert 0 < partners.height < a
    assert set(partners["category"].unique()) == {"A"}


def check_value_matrix(run: Run) -> None:
    high = count(run, "platinum") + count(run, "gold")
    assert abs(high - 0.30 * active(run)) <= 2
    assert all(count(run, q) > 0 for q in ("platinum", "gold", "iron", "lead"))
    assert categories(run)["gold"]["value_share"] > categories(run)["iron"]["value_share"]


def check_points(run: Run) -> None:
    a, b, c = count(run, "A"), count(run, "B"), count(run, "C")
    assert 0 < a < b and c > 0
    shares = categories(run)
    assert shares["A"]["value_share"] > shares["A"]["customer_share"] * 2


def check_key_partner(run: Run) -> None:
    key = count(run, "key")
    assert 0.005 * run.results.height <= key <= 0.10 * run.results.height
    assert count(run, "candidate") > 0
    shares = categories(run)["key"]
    assert shares["value_share"] > shares["customer_share"] * 2
    standard = run.results.filter(pl.col("partner") == "standard")
    assert (standard["failed_gates"] != "").all()
    assert not run.results["review"].any()  # no previous run: nothing to review


def check_lifecycle(run: Run) -> None:
    assert all(count(run, s) > 0 for s in ("potential", "new", "regular", "old", "loyal"))
    assert categories(run)["potential"]["customer_share"] < 0.3
    assert not run.results["slowing_down"].any()


RFM_SEGMENTS = (
    "champions", "loyal_customers", "potential_loyalists", "new_customers", "promising",
    "need_attention", "about_to_sleep", "cant_lose_them", "at_risk", "hibernating", "lost",
)


def check_rfm(run: Run) -> None:
    assert all(count(run, s) > 0 for s in RFM_SEGMENTS), categories(run)
    scored = run.values.filter(pl.col("bought"))
    n = scored.height
    # quintiles: every score holds a fifth of the scored customers, give or take one
    for score in ("r_score", "f_score", "m_score"):
        sizes = scored.group_by(score).len()["len"].to_list()
        assert len(sizes) == 5 and max(sizes) - min(sizes) <= 1 and sum(sizes) == n, sizes
    # who paid nothing in the twelve months is lost, and nobody else is unscored
    unscored = run.values.filter(~pl.col("bought"))
    assert set(unscored["segment"].unique()) <= {"lost"}
    shares = categories(run)["champions"]
    assert shares["value_share"] > shares["customer_share"] * 2


CHECKS: dict[str, Callable[[Run], None]] = {
    "abc-pareto": check_abc,
    "pyramid": check_pyramid,
    "vip-totals": check_vip_totals,
    "vip-monthly": check_vip_monthly,
    "value-matrix": check_value_matrix,
    "points": check_points,
    "key-partner": check_key_partner,
    "lifecycle": check_lifecycle,
    "rfm": check_rfm,
}


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("name", NAMES)
def test_evaluates_sensibly_on_demo_data(
    name: str, strategy: str, runs: dict[tuple[str, str], Run]
) -> None:
    run = runs[(name, strategy)]
    assert run.manifest["strategy"] == strategy
    assert run.results.height == 2000
    primary = run.ruleset.primary_decision
    outcomes = {str(o) for o in run.ruleset.decisions[primary].outcomes}
    assert set(run.results[primary].cast(pl.String).unique()) <= outcomes
    assert run.results[primary].null_count() == 0
    CHECKS[name](run)


def test_strategies_rank_the_same_customers_differently(
    runs: dict[tuple[str, str], Run],
) -> None:
    """The observation docs/choosing-a-strategy.md makes: the A customers differ by objective."""
    a = {
        s: set(runs[("abc-pareto", s)].results.filter(pl.col("category") == "A")["customer_id"])
        for s in STRATEGIES
    }
    for one, other in (("market-expansion", "working-capital"), ("working-capital", "net-profit")):
        overlap = len(a[one] & a[other]) / len(a[one] | a[other])
        assert 0.3 < overlap < 0.95


# --------------------------------------------------------------------------------------------
# the docs pages agree with the rulesets and the demo data


def blocks(page: Path, language: str) -> list[tuple[str, str]]:
    """(marker before the block, block text) for each fenced block of ``language``."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(rf"^```{language}[ \t]*\n(.*?)^```[ \t]*$", text, re.M | re.S):
        before = text[: match.start()].rstrip().splitlines()
        found.append((before[-1] if before else "", match.group(1)))
    return found


@pytest.mark.parametrize("name", NAMES)
def test_docs_excerpts_are_verbatim(name: str) -> None:
    import yaml

    ruleset = SHIPPED[name].read_text(encoding="utf-8")
    for marker, block in blocks(ROOT / "docs" / "rulesets" / f"{name}.md", "yaml"):
        yaml.safe_load(block)
        if "<!-- excerpt -->" in marker:
            assert block in ruleset, (
                f"docs/rulesets/{name}.md: excerpt not in the ruleset:\n{block}"
            )


def demo_table(page: Path) -> dict[str, int]:
    """The first column and the customer counts of the table after 'On the demo data'."""
    text = page.read_text(encoding="utf-8").split("On the demo data", 1)[1]
    rows: dict[str, int] = {}
    for line in text.split("\n\n", 2)[1].splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) > 1 and cells[1].replace(",", "").isdigit():
            rows[cells[0]] = int(cells[1].replace(",", ""))
    return rows


@pytest.mark.parametrize("name", NAMES)
def test_docs_demo_numbers(name: str, runs: dict[tuple[str, str], Run]) -> None:
    run = runs[(name, load_ruleset(SHIPPED[name]).strategy)]
    documented = demo_table(ROOT / "docs" / "rulesets" / f"{name}.md")
    assert documented == {str(c["category"]): c["customers"] for c in run.manifest["categories"]}


def test_choosing_a_strategy_example_runs_and_matches_the_page(demo: Path) -> None:
    page = ROOT / "docs" / "choosing-a-strategy.md"
    [(_, code)] = blocks(page, "python")
    namespace: dict[str, object] = {}
    exec(compile(code.replace('"demo"', repr(str(demo))), str(page), "exec"), namespace)
    matrix = namespace["matrix"]
    assert isinstance(matrix, pl.DataFrame)
    got = {row["by cash"]: [row["A"], row["B"], row["C"]] for row in matrix.iter_rows(named=True)}
    text = page.read_text(encoding="utf-8")
    for category, counts in got.items():
        assert f"| **{category}** | {' | '.join(str(n) for n in counts)} |" in text


def test_choosing_a_strategy_shows_what_compare_prints(demo: Path) -> None:
    from typer.testing import CliRunner

    from tierkit.cli import app

    args = ["compare", "abc-pareto", "-s", "working-capital", "-s", "net-profit"]
    args += ["--data", str(demo), "--as-of", AS_OF.isoformat(), "--no-store"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    text = (ROOT / "docs" / "choosing-a-strategy.md").read_text(encoding="utf-8")
    overlap = [line for line in done.output.splitlines() if " under both " in line]
    assert len(overlap) == 3
    for line in [*overlap, next(x for x in done.output.splitlines() if x.startswith("up "))]:
        assert line in text, f"docs/choosing-a-strategy.md does not show: {line}"
