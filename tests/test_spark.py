"""The same criteria and decisions on PySpark (local mode) as on polars.

Marked ``spark``: they need PySpark and Java 17 and start a local Spark session (about 10 s).
``.ci/run`` runs them; locally `python -m pytest -m spark`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from helpers import java_problem

pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'tierkit[spark]')")

if (problem := java_problem()) is not None:  # pragma: no cover - CI machines have Java 17
    pytest.skip(problem, allow_module_level=True)

from tierkit.data import open_source, prepare_tables
from tierkit.demo import DemoFormat, DemoSpec, generate_demo
from tierkit.evaluation import evaluate
from tierkit.evaluation.spark import spark_frames
from tierkit.registry import get_registry
from tierkit.shipped import shipped_rulesets

pytestmark = pytest.mark.spark
AS_OF = date(2026, 1, 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("spark-demo")
    generate_demo(
        DemoSpec(customers=300, months=14, seed=11, as_of=AS_OF), folder, DemoFormat.CSV, None
    )
    return folder


def test_every_criterion_gives_the_same_values_on_spark(demo: Path) -> None:
    registry = get_registry()
    criteria = list(registry.criteria.values())
    prepared = prepare_tables(open_source(str(demo), registry), criteria, AS_OF, str(demo))
    from tierkit.contract import Window

    window = Window(AS_OF, "month", 6)
    on_spark = spark_frames(prepared.tables)
    import narwhals.stable.v2 as nw

    on_polars = {n: nw.from_native(f) for n, f in prepared.tables.items()}
    for criterion in criteria:
        for per_period in [True, False] if criterion.per_period else [False]:
            params = {p.name: p.default for p in criterion.params} | {"_per_period": per_period}
            results = []
            for tables in (on_polars, on_spark):
                frame = criterion.compute(tables, window, params).collect(backend="polars")
                native = nw.to_native(frame)
                assert isinstance(native, pl.DataFrame)
                results.append(
                    native.select("customer_id", "period", "value")
                    .with_columns(pl.col("period").cast(pl.Int64))
                    .sort("customer_id", "period")
                )
            assert results[0].equals(results[1]), f"{criterion.name} per_period={per_period}"


@pytest.mark.parametrize("ruleset", ["vip-monthly", "abc-pareto", "value-matrix"])
def test_rulesets_decide_the_same_on_spark(demo: Path, ruleset: str) -> None:
    path = shipped_rulesets()[ruleset]
    polars_run = evaluate(path, demo, as_of=AS_OF)
    spark_run = evaluate(path, demo, as_of=AS_OF, backend="spark")
    assert spark_run.results.equals(polars_run.results)
