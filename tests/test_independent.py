"""tierkit against an independent computation, customer by customer, on company-shaped data.

The expectations here share no code with tierkit: the CSV files are read back with the
standard library, money is added as :class:`~decimal.Decimal`, shares are exact fractions, and
each shipped ruleset's meaning (rulesets/*.yaml, docs/ruleset-reference.md) is written out in
plain Python: order by value, larger first, ties by customer id as a number; ``cum_share`` is
the share of the positive total held by the customers ranked ahead; ``top_share`` is
position / N.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest
from helpers import java_problem
from realistic_data import cd_retailer, read_csv, superstore, write_csv
from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.evaluation import evaluate
from tierkit.shipped import shipped_rulesets

Totals = dict[str, Decimal]


# ---------------------------------------------------------------------------------------------
# the independent side


def month_start(day: date, back: int) -> date:
    """The first day of the month ``back`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def sums(
    rows: Iterable[Mapping[str, str]],
    day: str,
    amount: str,
    start: date,
    end: date,
    minus: str = "",
) -> Totals:
    """Per customer, the sum of ``amount`` (less ``minus``) over rows dated in [start, end)."""
    found: Totals = defaultdict(Decimal)
    for row in rows:
        if start <= date.fromisoformat(row[day]) < end:
            value = Decimal(row[amount]) - (Decimal(row[minus]) if minus else 0)
            found[row["customer_id"]] += value
    return found


def ranked(values: Mapping[str, Decimal], members: Iterable[str]) -> list[str]:
    """``members`` by value, larger first, ties by id as a number."""
    return sorted(members, key=lambda c: (-values.get(c, Decimal(0)), int(c)))


def cum_shares(values: Mapping[str, Decimal], members: Iterable[str]) -> dict[str, Fraction]:
    """The share of the positive total held by the members ranked ahead of each."""
    order = ranked(values, members)
    positive = sum((max(values.get(c, Decimal(0)), Decimal(0)) for c in order), Decimal(0))
    shares, ahead = {}, Decimal(0)
    for c in order:
        shares[c] = Fraction(ahead) / Fraction(positive)
        ahead += max(values.get(c, Decimal(0)), Decimal(0))
    return shares


def top(values: Mapping[str, Decimal], members: Iterable[str], share: Fraction) -> set[str]:
    """The members whose position / N is at most ``share``."""
    order = ranked(values, members)
    return {c for i, c in enumerate(order, 1) if Fraction(i, len(order)) <= share}


def abc(values: Totals, ids: list[str]) -> tuple[dict[str, str], dict[str, Fraction]]:
    """abc-pareto: among customers with a positive value, A while less than 80% of the
    positive total is ahead, B while less than 95%, else (and unranked) C."""
    shares = cum_shares(values, [c for c in ids if values.get(c, 0) > 0])
    classes = {}
    for c in ids:
        share = shares.get(c)
        if share is not None and share < Fraction(4, 5):
            classes[c] = "A"
        elif share is not None and share < Fraction(19, 20):
            classes[c] = "B"
        else:
            classes[c] = "C"
    return classes, shares


def vip_monthly(
    payments: list[dict[str, str]], ids: list[str], as_of: date, previous: Mapping[str, str]
) -> dict[str, str]:
    """vip-monthly's category: VIP = in the top 20% of a month's payers (paid > 0), or that
    month's top payer, in any of six months; good = in the top 20% (or first) of the
    customers who are not VIP and paid a positive total; A = VIP, B = good or A before."""
    months = [month_start(as_of, back) for back in range(6, -1, -1)]
    vip: set[str] = set()
    total: Totals = defaultdict(Decimal)
    for start, end in itertools.pairwise(months):
        paid = sums(payments, "paid_at", "amount", start, end)
        payers = [c for c in ids if paid.get(c, 0) > 0]
        if payers:
            vip |= top(paid, payers, Fraction(1, 5)) | {ranked(paid, payers)[0]}
        for c, v in paid.items():
            total[c] += v
    rest = [c for c in ids if c not in vip and total.get(c, 0) > 0]
    good = top(total, rest, Fraction(1, 5)) | set(ranked(total, rest)[:1])
    return {
        c: "A" if c in vip else "B" if c in good or previous.get(c) == "A" else "C" for c in ids
    }


# ---------------------------------------------------------------------------------------------
# the data


@pytest.fixture(scope="module")
def cd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(cd_retailer(), tmp_path_factory.mktemp("cd-retailer"))


@pytest.fixture(scope="module")
def store_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(superstore(), tmp_path_factory.mktemp("superstore"))


def ids_of(folder: Path) -> list[str]:
    return [row["customer_id"] for row in read_csv(folder / "customers.csv")]


def by_customer(results: pl.DataFrame, column: str) -> dict[str, object]:
    return dict(zip(results["customer_id"].to_list(), results[column].to_list(), strict=True))


def differences(found: Mapping[str, object], expected: Mapping[str, object]) -> list[str]:
    """The customers whose values differ, with both values (the first 10)."""
    wrong = [c for c in expected if found.get(c) != expected[c]]
    return [f"{c}: tierkit {found.get(c)!r}, expected {expected[c]!r}" for c in wrong[:10]]


def variant(ruleset: str, old: str, new: str, folder: Path) -> Path:
    """A copy of a shipped ruleset with one line of its text replaced."""
    text = shipped_rulesets()[ruleset].read_text(encoding="utf-8")
    assert old in text
    path = folder / f"{ruleset}.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# the CD retailer: ABC and top 20%


SPARK = pytest.mark.spark


def skip_without_spark(backend: str) -> None:
    if backend == "spark":
        pytest.importorskip("pyspark", reason="PySpark is not installed")
        problem = java_problem()
        if problem:
            pytest.skip(problem)


@pytest.mark.parametrize("backend", ["polars", "duckdb", pytest.param("spark", marks=SPARK)])
def test_abc_of_every_cd_customer_equals_the_independent_abc(cd: Path, backend: str) -> None:
    skip_without_spark(backend)
    as_of = date(1998, 7, 1)
    payments = read_csv(cd / "payments.csv")
    ids = ids_of(cd)
    classes, shares = abc(sums(payments, "paid_at", "amount", month_start(as_of, 12), as_of), ids)
    run = evaluate(shipped_rulesets()["abc-pareto"], cd, as_of=as_of, backend=backend)
    assert run.results.height == len(ids) == 23570
    assert differences(by_customer(run.results, "category"), classes) == []
    found = by_customer(run.values, "ahead")
    far = [c for c in ids if (found[c] is None) != (c not in shares)]
    far += [c for c in shares if found[c] is not None and abs(found[c] - shares[c]) > 1e-9]
    assert far == []
    counts = {k: list(classes.values()).count(k) for k in "ABC"}
    assert counts["A"] > 1000 and counts["B"] > 1000 and counts["C"] > 10000  # not trivial


def test_abc_over_the_whole_cd_history_equals_the_independent_abc(cd: Path, tmp_path: Path) -> None:
    as_of = date(1998, 7, 1)
    ruleset = variant("abc-pareto", "periods: 12}", "periods: 18}", tmp_path)
    payments = read_csv(cd / "payments.csv")
    ids = ids_of(cd)
    classes, _ = abc(sums(payments, "paid_at", "amount", date(1997, 1, 1), as_of), ids)
    run = evaluate(ruleset, cd, as_of=as_of)
    assert differences(by_customer(run.results, "category"), classes) == []


TOP_FIFTH = """\
tierkit: 1
name: top-fifth
strategy: working-capital
window: {period: month, periods: 18}
criteria:
  total: {use: value}
derive:
  of_payers: top_share(total, among=total > 0) <= 0.20
  of_all: top_share(total) <= 0.20
decisions:
  category:
    rules:
      - {when: of_payers, then: top}
    default: {then: rest}
"""


def test_top_fifth_of_every_cd_customer_equals_the_independent_top(
    cd: Path, tmp_path: Path
) -> None:
    as_of = date(1998, 7, 1)
    path = tmp_path / "top-fifth.yaml"
    path.write_text(TOP_FIFTH, encoding="utf-8")
    totals = sums(read_csv(cd / "payments.csv"), "paid_at", "amount", date(1997, 1, 1), as_of)
    ids = ids_of(cd)
    of_payers = top(totals, [c for c in ids if totals.get(c, 0) > 0], Fraction(1, 5))
    of_all = top(totals, ids, Fraction(1, 5))
    values = evaluate(path, cd, as_of=as_of).values
    assert differences(by_customer(values, "of_payers"), {c: c in of_payers for c in ids}) == []
    assert differences(by_customer(values, "of_all"), {c: c in of_all for c in ids}) == []
    # ties decide hundreds of places here: the cut is inside a block of equal totals
    cut = ranked(totals, ids)[len(ids) // 5 - 1]
    assert sum(1 for c in ids if totals.get(c, 0) == totals[cut]) > 10


# ---------------------------------------------------------------------------------------------
# the CD retailer: vip-monthly with a previous run in the store


ENGINES = [
    ("vector", "polars"),
    ("vector", "duckdb"),
    ("durable", "polars"),
    pytest.param("vector", "spark", marks=SPARK),
]


@pytest.mark.parametrize(("engine", "backend"), ENGINES)
def test_vip_monthly_with_a_previous_run_equals_the_independent_category(
    cd: Path, tmp_path: Path, engine: str, backend: str
) -> None:
    if engine == "durable":
        pytest.importorskip("durable", reason="the durable engine needs durable_rules")
    skip_without_spark(backend)
    store = tmp_path / "history.duckdb"
    payments = read_csv(cd / "payments.csv")
    ids = ids_of(cd)
    ruleset = shipped_rulesets()["vip-monthly"]
    expected: dict[str, str] = {}
    for as_of in (date(1998, 6, 1), date(1998, 7, 1)):  # the second run reads the first
        expected = vip_monthly(payments, ids, as_of, previous=expected)
        # on Spark (17 s a run) the first run, which only fills the store, runs on polars
        first_on_polars = backend == "spark" and as_of.month == 6
        run = evaluate(
            ruleset,
            cd,
            as_of=as_of,
            engine=engine,
            backend="polars" if first_on_polars else backend,
            store=store,
        )
        assert differences(by_customer(run.results, "category"), expected) == []
    cushioned = [
        c
        for c in ids
        if expected[c] == "B"
        and c not in run.values.filter(pl.col("good"))["customer_id"].to_list()
    ]
    assert cushioned  # some B customers are B only because they were A in the first run
    assert by_customer(run.results, "category.previous")[cushioned[0]] == "A"
    near = ["customer_id", "category.to_better", "category.to_worse", "category.limited_by"]
    assert run.results.select(near).null_count().row(0)[1] < len(ids) / 2  # mostly given
    if (engine, backend) != ("vector", "polars"):  # the near miss is the same on every engine
        again = evaluate(ruleset, cd, as_of=date(1998, 7, 1), store=store, save=False)
        assert run.results.select(near).equals(again.results.select(near))


def test_evaluate_on_duckdb_reads_the_previous_run(cd: Path, tmp_path: Path) -> None:
    """A run on DuckDB with a previous run in the store: ``previous.category`` is joined
    on DuckDB (it comes from the store as a polars frame) and the run ends well."""
    store = tmp_path / "history.duckdb"
    runner = CliRunner()
    outputs = []
    for as_of in ("1998-06-01", "1998-07-01"):
        out = tmp_path / f"{as_of}.csv"
        done = runner.invoke(
            app,
            [
                "evaluate",
                "vip-monthly",
                "--data",
                str(cd),
                "--as-of",
                as_of,
                "--backend",
                "duckdb",
                "--store",
                str(store),
                "--out",
                str(out),
            ],
        )
        assert done.exit_code == 0, done.output
        outputs.append(pl.read_csv(out, infer_schema=False))
    on_polars = evaluate(
        shipped_rulesets()["vip-monthly"], cd, as_of=date(1998, 7, 1), store=store, save=False
    ).results
    previous = by_customer(outputs[1], "category.previous")
    assert previous == dict(zip(outputs[0]["customer_id"], outputs[0]["category"], strict=True))
    assert by_customer(outputs[1], "category") == by_customer(on_polars, "category")


# ---------------------------------------------------------------------------------------------
# the superstore: ABC by net profit with loss-makers


@pytest.mark.parametrize(
    ("as_of", "periods"),
    [(date(2018, 1, 1), 12), (date(2017, 4, 1), 1), (date(2017, 9, 1), 1), (date(2017, 7, 1), 1)],
    ids=["2017", "March 2017, net negative", "August 2017, net negative", "June 2017"],
)
def test_abc_by_net_profit_equals_the_independent_abc(
    store_data: Path, tmp_path: Path, as_of: date, periods: int
) -> None:
    invoices = read_csv(store_data / "invoices.csv")
    ids = ids_of(store_data)
    net = sums(invoices, "issued_at", "amount", month_start(as_of, periods), as_of, "cost")
    classes, shares = abc(net, ids)
    ruleset = variant("abc-pareto", "periods: 12}", f"periods: {periods}}}", tmp_path)
    run = evaluate(ruleset, store_data, as_of=as_of, strategy="net-profit")
    assert differences(by_customer(run.results, "category"), classes) == []
    found = by_customer(run.values, "ahead")
    assert all(abs(found[c] - shares[c]) < 1e-9 for c in shares)  # type: ignore[operator]
    losers = [c for c in ids if net.get(c, 0) < 0]
    assert losers and all(found[c] is None and classes[c] == "C" for c in losers)
    assert all(0 <= s <= 1 for s in shares.values())
    if periods == 1 and as_of.month in (4, 9):
        assert sum(net.values()) < 0  # the month's net total is negative
        assert "A" in classes.values()  # the positive part still has its A class
    if periods == 12:
        assert found["9"] < found["10"]  # type: ignore[operator]  # equal profit: 9 first
    # the summary: each class's net value, and its share of the positive total
    positive = sum((max(v, Decimal(0)) for v in net.values()), Decimal(0))
    for row in run.manifest["categories"]:
        members = [c for c in ids if classes[c] == row["category"]]
        value = sum((net.get(c, Decimal(0)) for c in members), Decimal(0))
        held = sum((max(net.get(c, Decimal(0)), Decimal(0)) for c in members), Decimal(0))
        assert (row["customers"], row["value"]) == (len(members), float(value))
        assert row["value_share"] == pytest.approx(float(held / positive), abs=1e-6)


# ---------------------------------------------------------------------------------------------
# five customers by hand: refunds and ranking by region

BY_REGION = """\
tierkit: 1
name: by-region
strategy: working-capital
window: {period: month, periods: 12}
criteria:
  paid: {use: value}
  region: {use: customer.region}
derive:
  in_region: top_share(paid, by=region)
  payer_in_region: top_share(paid, among=paid > 0, by=region)
  ahead: cum_share(paid)
decisions:
  category:
    rules:
      - {when: in_region <= 0.5, then: lead}
    default: {then: other}
"""


def test_refunds_and_ranking_by_region_on_five_customers(tmp_path: Path) -> None:
    data = tmp_path / "five"
    data.mkdir()
    (data / "customers.csv").write_text(
        "customer_id,name,region\n1,One,South\n2,Two,North\n9,Nine,North\n10,Ten,North\n"
        "11,Eleven,South\n",
        encoding="utf-8",
    )
    (data / "payments.csv").write_text(
        "customer_id,paid_at,amount\n"
        "9,2025-03-01,300\n9,2025-04-01,-100\n"  # 200 after a refund
        "10,2025-05-01,200\n"  # 200: ties with 9, and 9 < 10 as numbers
        "2,2025-06-01,500\n2,2025-07-01,-600\n"  # -100: the refund of an older purchase
        "1,2025-02-01,400\n1,2025-08-01,-50\n"  # 350
        "11,2025-09-01,100\n11,2025-10-01,-100\n",  # 0
        encoding="utf-8",
    )
    path = tmp_path / "by-region.yaml"
    path.write_text(BY_REGION, encoding="utf-8")
    run = evaluate(path, data, as_of=date(2026, 1, 1))
    values = {row["customer_id"]: row for row in run.values.iter_rows(named=True)}
    assert {c: values[c]["paid"] for c in values} == {
        "1": 350.0,
        "2": -100.0,
        "9": 200.0,
        "10": 200.0,
        "11": 0.0,
    }
    # North: 9 (200), 10 (200), 2 (-100); South: 1 (350), 11 (0)
    assert {c: values[c]["in_region"] for c in values} == {
        "9": pytest.approx(1 / 3),
        "10": pytest.approx(2 / 3),
        "2": 1.0,
        "1": 0.5,
        "11": 1.0,
    }
    # among payers: North 9, 10 (N = 2); South 1 (N = 1); 2 and 11 are not ranked
    assert {c: values[c]["payer_in_region"] for c in values} == {
        "9": 0.5,
        "10": 1.0,
        "2": None,
        "1": 1.0,
        "11": None,
    }
    # the positive total is 350 + 200 + 200 = 750: 1 first, then 9, 10, then 11 and 2 at 1
    assert {c: values[c]["ahead"] for c in values} == {
        "1": 0.0,
        "9": pytest.approx(350 / 750),
        "10": pytest.approx(550 / 750),
        "11": 1.0,
        "2": 1.0,
    }
    assert by_customer(run.results, "category") == {
        "1": "lead",
        "2": "other",
        "9": "lead",
        "10": "other",
        "11": "other",
    }


# ---------------------------------------------------------------------------------------------
# the CD retailer: RFM


def quintile(rank: Fraction | None) -> int | None:
    """bands(rank, [0.2, 0.4, 0.6, 0.8], [1, 2, 3, 4, 5])."""
    if rank is None:
        return None
    return 1 + sum(rank >= Fraction(edge, 5) for edge in range(1, 5))


def pct_ranks(values: Mapping[str, Decimal], members: list[str]) -> dict[str, Fraction]:
    """(N - position) / (N - 1) in the order of :func:`ranked` (1 when N is 1)."""
    order = ranked(values, members)
    n = len(order)
    return {c: Fraction(n - i, n - 1) if n > 1 else Fraction(1) for i, c in enumerate(order, 1)}


def rfm(payments: list[dict[str, str]], ids: list[str], as_of: date) -> dict[str, str]:
    """The shipped rfm ruleset: recency (days since the last positive payment), frequency
    (payments of a positive amount: refunds are not purchases), monetary (net cash), each
    scored by quintiles of pct_rank among those who bought, then the segment table."""
    start = month_start(as_of, 12)
    last: dict[str, date] = {}
    count: Totals = defaultdict(Decimal)
    cash: Totals = defaultdict(Decimal)
    for row in payments:
        day = date.fromisoformat(row["paid_at"])
        if not start <= day < as_of:
            continue
        c = row["customer_id"]
        cash[c] += Decimal(row["amount"])
        if Decimal(row["amount"]) > 0:  # a refund is not a purchase: not counted, not recent
            count[c] += 1
            last[c] = max(last.get(c, day), day)
    bought = [c for c in ids if c in last]
    fresh = {c: -Decimal((as_of - last[c]).days) for c in bought}  # fewer days rank first
    r = {c: quintile(p) for c, p in pct_ranks(fresh, bought).items()}
    f = {c: quintile(p) for c, p in pct_ranks(count, bought).items()}
    m = {c: quintile(p) for c, p in pct_ranks(cash, bought).items()}
    segments = {}
    for c in ids:
        if c not in last:
            segments[c] = "lost"
            continue
        rs, fm = r[c], Fraction(f[c] + m[c], 2)  # type: ignore[operator]
        assert rs is not None
        if rs >= 4 and fm >= 4:
            segments[c] = "champions"
        elif rs >= 3 and fm >= 3:
            segments[c] = "loyal_customers"
        elif (rs >= 4 and fm >= Fraction(3, 2)) or (rs == 3 and fm == Fraction(3, 2)):
            segments[c] = "potential_loyalists"
        elif rs >= 4:
            segments[c] = "new_customers"
        elif rs == 3 and fm < Fraction(3, 2):
            segments[c] = "promising"
        elif rs == 3:
            segments[c] = "need_attention"
        elif rs == 2 and fm < 2:
            segments[c] = "about_to_sleep"
        elif rs == 1 and fm >= 4:
            segments[c] = "cant_lose_them"
        elif fm >= 2:
            segments[c] = "at_risk"
        elif fm > 1:
            segments[c] = "hibernating"
        else:
            segments[c] = "lost"
    return segments


def test_rfm_of_every_cd_customer_equals_the_independent_rfm(cd: Path) -> None:
    as_of = date(1998, 7, 1)
    expected = rfm(read_csv(cd / "payments.csv"), ids_of(cd), as_of)
    run = evaluate(shipped_rulesets()["rfm"], cd, as_of=as_of)
    assert differences(by_customer(run.results, "segment"), expected) == []
    assert len(set(expected.values())) >= 8  # most segments are met


# ---------------------------------------------------------------------------------------------
# ranking within regions, and vip-totals

REGIONS = """\
tierkit: 1
name: region-leaders
strategy: net-profit
window: {period: month, periods: 12}
criteria:
  profit: {use: value}
  region: {use: customer.region}
derive:
  place: top_share(profit, among=profit > 0, by=region)
  ahead: cum_share(profit, by=region)
decisions:
  category:
    rules:
      - {when: place <= 0.10, then: leader}
    default: {then: other}
"""


def test_top_tenth_of_each_region_by_net_profit_equals_the_independent_one(
    store_data: Path, tmp_path: Path
) -> None:
    as_of = date(2018, 1, 1)
    path = tmp_path / "regions.yaml"
    path.write_text(REGIONS, encoding="utf-8")
    customers = read_csv(store_data / "customers.csv")
    ids = [row["customer_id"] for row in customers]
    net = sums(
        read_csv(store_data / "invoices.csv"),
        "issued_at",
        "amount",
        month_start(as_of, 12),
        as_of,
        "cost",
    )
    leaders: set[str] = set()
    shares: dict[str, Fraction] = {}
    for region in {row["region"] for row in customers}:
        members = [row["customer_id"] for row in customers if row["region"] == region]
        leaders |= top(net, [c for c in members if net.get(c, 0) > 0], Fraction(1, 10))
        shares |= cum_shares(net, members)
    run = evaluate(path, store_data, as_of=as_of)
    expected = {c: "leader" if c in leaders else "other" for c in ids}
    assert differences(by_customer(run.results, "category"), expected) == []
    found = by_customer(run.values, "ahead")
    assert [c for c in ids if abs(found[c] - shares[c]) > 1e-9] == []  # type: ignore[operator]
    assert 20 < len(leaders) < 80  # about a tenth of the 621 with invoices in 2017, less losers


def test_vip_totals_of_every_cd_customer_equals_the_independent_one(cd: Path) -> None:
    """vip-totals: A = the top 20% (at least the first) of those with a positive total over
    three months; B = the top 20% (at least the first) of the others with a positive total."""
    as_of = date(1998, 7, 1)
    ids = ids_of(cd)
    paid = sums(read_csv(cd / "payments.csv"), "paid_at", "amount", month_start(as_of, 3), as_of)
    payers = [c for c in ids if paid.get(c, 0) > 0]
    vip = top(paid, payers, Fraction(1, 5)) | set(ranked(paid, payers)[:1])
    rest = [c for c in payers if c not in vip]
    good = top(paid, rest, Fraction(1, 5)) | set(ranked(paid, rest)[:1])
    expected = {c: "A" if c in vip else "B" if c in good else "C" for c in ids}
    run = evaluate(shipped_rulesets()["vip-totals"], cd, as_of=as_of, save=False)
    assert differences(by_customer(run.results, "category"), expected) == []
