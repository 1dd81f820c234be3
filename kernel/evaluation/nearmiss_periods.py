"""The near miss of a decision built on the top shares of a per-period value (vip-monthly).

The shape (each part a derived fact; the shares and names are the ruleset's own)::

    vip_month: top_share(paid, among=paid > 0) <= 0.20 [or pct_rank(paid, among=paid > 0) == 1]
    vip: any(vip_month)
    total: sum(paid)
    rest: not vip and total > 0
    good: top_share(total, among=rest) <= 0.20 [or pct_rank(total, among=rest) == 1]
    category: vip -> best; good [or previous.category == V] -> middle; default -> worst

"The top s" of N ranked customers is the first k of them, k = floor(s·N) (at least 1 with the
``pct_rank == 1`` clause). The limiting value is ``paid``, one period's value; every distance is
a change of it (a change of the total is a change of some periods' values), the other customers'
values and classes as they are:

- middle → best (``to_better``): the least rise of the value of one period that makes the
  customer one of that period's top k (the smallest over the periods).
- worst → middle (``to_better``): the least rise of the total that makes the customer one of the
  top k of the rest.
- best → middle (``to_worse``): the least fall, summed over the periods the customer is a top
  payer in, that takes it out of all of them — when the customer, with the total that leaves,
  is then one of the top k of the rest (or kept by the ``previous`` clause); else missing.
- middle → worst (``to_worse``): the least fall of the total that takes the customer out of the
  top k of the rest; missing when the ``previous`` clause keeps it in the middle class.

A customer reaches a line exactly when it wins the tie there (a lower id); else the smallest
step more is needed, as in :mod:`tierkit.evaluation.nearmiss`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from tierkit.columns import ID, PERIOD
from tierkit.ruleset.compiled import CompiledRuleset, ThenValue
from tierkit.ruleset.expr import Binary, Call, Expr, Literal, Name, Previous, Unary, unparse

ROW = "__row"


@dataclass(frozen=True)
class Top:
    """``top_share(measure, among=...) <= share``, with ``first``: ``or pct_rank(...) == 1``."""

    measure: str
    among: Expr | None
    share: float
    first: bool

    def places(self, n: pl.Expr) -> pl.Expr:
        """k: how many of n ranked customers are inside."""
        k = (n.cast(pl.Float64) * self.share + 1e-9).floor().cast(pl.Int64)
        return pl.max_horizontal(k, pl.lit(1, pl.Int64)) if self.first else k


@dataclass(frozen=True)
class PeriodLadder:
    """A decision of the shape above, with the names of its parts."""

    measure: str
    month: Top
    total: str
    rest: Top
    best: ThenValue
    middle: ThenValue
    worst: ThenValue
    kept: tuple[str, ThenValue] | None
    """The ``previous.NAME == VALUE`` clause that keeps a customer in the middle class."""


def period_ladder(ruleset: CompiledRuleset) -> PeriodLadder | None:
    """The main decision in the shape above, or None."""
    decision = ruleset.decisions[ruleset.primary_decision]
    if decision.hit != "first" or len(decision.rules) != 2 or decision.default is None:
        return None
    first, second = decision.rules
    vip = _name(first.when.tree)
    month_fact = _fact(ruleset, vip)
    if not (isinstance(month_fact, Call) and month_fact.func == "any" and month_fact.args):
        return None
    month = _top(_fact(ruleset, _name(month_fact.args[0])))
    if month is None or not _positive(month.among, month.measure):
        return None
    good, kept = _good_and_kept(second.when.tree)
    rest = _top(_fact(ruleset, good))
    if rest is None or rest.among is None:
        return None
    total = _fact(ruleset, rest.measure)
    if not (
        isinstance(total, Call) and total.func == "sum" and _name(total.args[0]) == month.measure
    ):
        return None
    among = rest.among if not isinstance(rest.among, Name) else _fact(ruleset, rest.among.name)
    if not (
        isinstance(among, Binary)
        and among.op == "and"
        and isinstance(among.left, Unary)
        and among.left.op == "not"
        and _name(among.left.operand) == vip
        and _positive(among.right, rest.measure)
    ):
        return None
    return PeriodLadder(
        month.measure, month, rest.measure, rest,
        first.then, second.then, decision.default.then, kept,
    )  # fmt: skip


def _text(call: Call) -> list[tuple[str, str]]:
    """A call's keywords as text (nodes hold their place in the source, so compare text)."""
    return [(k.name, unparse(k.value)) for k in call.kwargs]


def _name(tree: Expr | None) -> str | None:
    return tree.name if isinstance(tree, Name) else None


def _fact(ruleset: CompiledRuleset, name: str | None) -> Expr | None:
    fact = ruleset.derived.get(name or "")
    return fact.expr.tree if fact is not None else None


def _positive(tree: Expr | None, measure: str) -> bool:
    """``measure > 0``."""
    return (
        isinstance(tree, Binary)
        and tree.op == ">"
        and _name(tree.left) == measure
        and isinstance(tree.right, Literal)
        and tree.right.value == 0
    )


def _good_and_kept(tree: Expr) -> tuple[str | None, tuple[str, ThenValue] | None]:
    if isinstance(tree, Name):
        return tree.name, None
    if isinstance(tree, Binary) and tree.op == "or" and isinstance(tree.left, Name):
        right = tree.right
        if (
            isinstance(right, Binary)
            and right.op == "=="
            and isinstance(right.left, Previous)
            and isinstance(right.right, Literal)
        ):
            return tree.left.name, (right.left.name, right.right.value)
    return None, None


def _top(tree: Expr | None) -> Top | None:
    """``top_share(x, among=a) <= s`` [``or pct_rank(x, among=a) == 1``]."""
    first, pct = False, None
    if isinstance(tree, Binary) and tree.op == "or":
        rank = tree.right
        if not (
            isinstance(rank, Binary)
            and rank.op == "=="
            and isinstance(rank.left, Call)
            and rank.left.func == "pct_rank"
            and isinstance(rank.right, Literal)
            and rank.right.value == 1
        ):
            return None
        first, tree, pct = True, tree.left, rank.left
    if not (
        isinstance(tree, Binary)
        and tree.op == "<="
        and isinstance(tree.left, Call)
        and tree.left.func == "top_share"
        and isinstance(tree.right, Literal)
        and isinstance(tree.right.value, int | float)
        and not isinstance(tree.right.value, bool)
    ):
        return None
    call = tree.left
    measure = _name(call.args[0]) if call.args else None
    kwargs = {k.name: k.value for k in call.kwargs}
    if measure is None or set(kwargs) - {"among"}:
        return None
    if pct is not None and (_name(pct.args[0]) != measure or _text(pct) != _text(call)):
        return None
    return Top(measure, kwargs.get("among"), float(tree.right.value), first)


# ---------------------------------------------------------------------------------------------


def near_miss_periods(
    ladder: PeriodLadder, values: pl.DataFrame, periods: pl.DataFrame, decision: str
) -> pl.DataFrame:
    """``customer_id``, ``to_better``, ``to_worse`` for every customer of ``values`` (in
    its order, which is id order: the row number breaks ties)."""
    rows = values.select(ID).with_row_index(ROW)
    paid = periods.select(
        ID, PERIOD, pl.col(ladder.measure).cast(pl.Float64).fill_null(0.0).alias("v")
    ).join(rows, on=ID)
    # month lines: rise to enter (c not inside) and fall to leave (c inside)
    month = _lines(paid, ladder.month, [PERIOD])
    rise = month.filter(~pl.col("inside")).group_by(ROW).agg(pl.col("gap").min().alias("to_a"))
    inside = month.filter(pl.col("inside"))
    fall = inside.group_by(ROW).agg(pl.col("gap").sum().alias("fall"))  # <= 0
    customers = values.select(
        ID,
        pl.col(ladder.total).cast(pl.Float64).fill_null(0.0).alias("total"),
        pl.col(decision).alias("decided"),
        (
            (pl.col(f"previous.{ladder.kept[0]}") == pl.lit(ladder.kept[1])).fill_null(False)
            if ladder.kept and f"previous.{ladder.kept[0]}" in values.columns
            else pl.lit(False)
        ).alias("kept"),
    ).with_row_index(ROW)
    vip = customers.join(inside.select(ROW).unique(), on=ROW, how="semi")
    rest = customers.join(vip, on=ROW, how="anti").filter(pl.col("total") > 0)
    ranked = rest.select(ROW, pl.col("total").alias("v"), pl.lit(0).alias(PERIOD))
    everyone = customers.select(ROW, pl.col("total").alias("v"), pl.lit(0).alias(PERIOD))
    good = _lines(ranked, ladder.rest, [PERIOD], everyone)
    frame = (
        customers.join(rise, on=ROW, how="left")
        .join(fall, on=ROW, how="left")
        .join(good.select(ROW, "inside", "gap", "line", "wins"), on=ROW, how="left")
        .with_columns(is_vip=pl.col(ROW).is_in(vip[ROW].implode()))
    )
    best, middle, worst = ladder.best, ladder.middle, ladder.worst
    total_after = pl.col("total") + pl.col("fall")
    good_after = (total_after > 0) & (
        (total_after > pl.col("line")) | ((total_after == pl.col("line")) & pl.col("wins"))
    )
    is_good = pl.col("inside").fill_null(False)
    outcome = (
        pl.when(pl.col("is_vip")).then(pl.lit(best))
        .when(is_good | pl.col("kept")).then(pl.lit(middle))
        .otherwise(pl.lit(worst))
    )  # fmt: skip
    explained = outcome == pl.col("decided")
    better = (
        pl.when(pl.col("decided") == pl.lit(middle)).then(pl.col("to_a"))
        .when(pl.col("decided") == pl.lit(worst)).then(pl.col("gap"))
    )  # fmt: skip
    worse = (
        pl.when((pl.col("decided") == pl.lit(best)) & (good_after | pl.col("kept")))
        .then(pl.col("fall"))
        .when((pl.col("decided") == pl.lit(middle)) & is_good & ~pl.col("kept"))
        .then(pl.col("gap"))
    )  # fmt: skip
    return frame.sort(ROW).select(
        ID,
        pl.when(explained).then(better).round(6).alias("to_better"),
        pl.when(explained).then(worse).round(6).alias("to_worse"),
    )


def _lines(
    ranked: pl.DataFrame, top: Top, group: list[str], everyone: pl.DataFrame | None = None
) -> pl.DataFrame:
    """For each customer and group: ``inside`` (one of the top k of the group's ranked rows,
    those with ``v > 0``) and ``gap``, the change of ``v`` to the line — to leave for those
    inside (<= 0), to enter for the others (>= 0) — with ``line`` (the value of the other
    customer to pass, 0 when there is none) and ``wins`` (whether the customer wins a tie
    with it: a lower id). ``everyone`` (``ROW``, ``v``) adds customers that are not ranked
    (not in the among) to every group, as newcomers."""
    members = ranked.filter(pl.col("v") > 0)
    order = members.sort([*group, "v", ROW], descending=[False] * len(group) + [True, False])
    order = order.with_columns(
        pos=pl.int_range(pl.len(), dtype=pl.Int64).over(group),
        n=pl.len().over(group).cast(pl.Int64),
    )
    newcomers = (everyone if everyone is not None else ranked).join(
        members.select(*group, ROW), on=[*group, ROW], how="anti"
    )
    sizes = order.group_by(group).agg(pl.col("n").first())
    newcomers = newcomers.join(sizes, on=group, how="left").with_columns(
        pos=pl.lit(None, dtype=pl.Int64), n=pl.col("n").fill_null(0)
    )
    rows = pl.concat(
        [
            order.select(*group, ROW, "v", "pos", "n"),
            newcomers.select(*group, ROW, "v", "pos", "n"),
        ],
        how="vertical_relaxed",
    )
    # with the customer among them: n' = n (ranked) or n + 1 (a newcomer); k = its top places
    k = top.places(pl.when(pl.col("pos").is_null()).then(pl.col("n") + 1).otherwise(pl.col("n")))
    inside = pl.col("pos").is_not_null() & (pl.col("pos") < pl.col("k"))
    # the k-th other customer (0-based k - 1 among the others): overall k when the customer is
    # one of the first k, else k - 1
    other = pl.when(inside).then(pl.col("k")).otherwise(pl.col("k") - 1)
    rows = rows.with_columns(k=k).with_columns(inside=inside, at=other)
    targets = order.select(*group, pl.col("pos").alias("at"), pl.col("v").alias("line"),
                           pl.col(ROW).alias("other"))  # fmt: skip
    rows = rows.join(targets, on=[*group, "at"], how="left")
    line = pl.col("line").fill_null(0.0)  # nobody to pass: the customer must (stay) above 0
    wins = pl.col("other").is_null() | (pl.col(ROW) < pl.col("other"))
    gap = line - pl.col("v")
    return rows.with_columns(
        line=line,
        wins=pl.when(pl.col("other").is_null()).then(False).otherwise(wins),
        # no place at all (k = 0: under 1/s customers without the pct_rank clause): no line
        gap=pl.when(pl.col("k") > 0).then(gap).otherwise(pl.lit(None, dtype=pl.Float64)),
    )
