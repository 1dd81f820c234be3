"""The Python API of docs/python-api.md: tierkit.evaluate, explain, run_examples, the store."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

import tierkit
from tierkit.demo import DemoFormat, DemoSpec, generate_demo

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("api") / "tierkit-demo"
    generate_demo(
        DemoSpec(customers=400, months=12, seed=2, as_of=date(2026, 11, 1)),
        folder,
        DemoFormat.CSV,
        None,
    )
    return folder


def test_the_documented_snippets_run(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(demo.parent)
    text = (ROOT / "docs" / "python-api.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    namespace: dict[str, object] = {}
    exec(blocks[0], namespace)
    run = namespace["run"]
    assert isinstance(run, tierkit.Run)
    assert run.results.height == 400
    assert run.manifest["as_of"] == "2026-11-01"


def test_evaluate_explain_examples_and_store(demo: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    run = tierkit.evaluate("vip-monthly", demo, as_of="2026-11-01", store=store)
    customer = run.results["customer_id"][0]
    [explained] = tierkit.explain(run, [customer])
    assert explained.customer_id == customer
    assert explained.describe().startswith(customer)
    results = tierkit.run_examples(tierkit.load_ruleset("vip-monthly"))
    assert results and all(r.passed for r in results)
    history = tierkit.HistoryStore(store)
    assert history.results("latest").equals(run.results)
    tierkit.write_results(run.results, tmp_path / "r.parquet")
    assert (tmp_path / "r.parquet").exists()


def test_bad_date_is_a_usage_error(demo: Path) -> None:
    with pytest.raises(tierkit.TierkitError, match="not a date"):
        tierkit.evaluate("vip-monthly", demo, as_of="2026-13-01")
