"""Ranking functions against the population of the last stored run (frozen between runs).

Between batch runs, ``top_share(total)``, ``cum_share(total)`` and the other ranking functions
of a re-decided customer are computed as if everyone else still had the value of the last
stored run: the customer's own value is replaced by its new one, nobody else moves. So a
customer crosses into A exactly when its value passes the value at the last run's cut-off,
and an unchanged customer keeps the rank the batch run gave it. The arithmetic is the batch
run's (exact integer totals, the same formulas and rounding:
:func:`tierkit.engines.vector.expressions._rank`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from tierkit.columns import ID, ORDER
from tierkit.contract import Function
from tierkit.engines.vector.expressions import DIGITS, SCALE, Compiler, _rank
from tierkit.engines.vector.frames import Frames, internal
from tierkit.ruleset.compiled import CompiledRuleset
from tierkit.ruleset.expr import Binary, Call, Expr, Keyword, ListLit, Literal, Name, Unary
from tierkit.ruleset.language import RANKING

COMPARING = ("<", "<=", ">", ">=")


@dataclass
class _Own:
    group: Hashable
    x: float
    xi: int
    index: int


@dataclass
class _Group:
    """One ranked population (the whole population, or one group of ``by=``), best first."""

    keys: list[tuple[float, int]] = field(default_factory=list)
    xs: list[float] = field(default_factory=list)
    ranks: list[float | None] = field(default_factory=list)
    prefix: list[int] = field(default_factory=lambda: [0])
    tot: int = 0
    sq: int = 0


@dataclass
class _Ranking:
    call: Call
    groups: dict[Hashable, _Group] = field(default_factory=dict)
    own: dict[str, _Own] = field(default_factory=dict)


@dataclass
class FrozenRankings:
    """The values every ranking function of a ruleset saw in one batch run."""

    rankings: dict[Call, _Ranking] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)
    """Each customer's place in id order: the tie order of every ranking."""

    def learn(self, call: Call, frame: pl.DataFrame, ranks: pl.Series) -> None:
        """Keep the population of ``call``: ``frame`` holds id, x, member, group, order."""
        found = _Ranking(call)
        rows = sorted(
            (
                (-x, order, cid, group, xi, rank)
                for cid, x, member, group, order, xi, rank in zip(
                    frame[ID],
                    frame["x"],
                    frame["member"],
                    frame["group"],
                    frame["order"],
                    frame["xi"],
                    ranks,
                    strict=True,
                )
                if member and x is not None
            ),
            key=lambda r: (r[0], r[1]),
        )
        for negx, order, cid, group, xi, rank in rows:
            pop = found.groups.setdefault(group, _Group())
            found.own[cid] = _Own(group, -negx, xi, len(pop.keys))
            pop.keys.append((negx, order))
            pop.xs.append(-negx)
            pop.ranks.append(rank)
            pop.prefix.append(pop.prefix[-1] + max(xi, 0))
            pop.tot += xi
            pop.sq += xi * xi
        self.rankings[call] = found
        for cid, order in zip(frame[ID], frame["order"], strict=True):
            self.order[cid] = order

    def rank(self, call: Call, frame: pl.DataFrame) -> pl.Series:
        """The value of ``call`` for each row of ``frame`` (id, x, member, group, xi), each
        customer ranked alone against the frozen population."""
        ranking = self.rankings[call]
        names = ("__pos", "__n", "__tot", "__ptot", "__pcum", "__min", "__max", "__sq")
        columns: dict[str, list[Any]] = {n: [] for n in names}
        for cid, x, member, group, xi in zip(
            frame[ID], frame["x"], frame["member"], frame["group"], frame["xi"], strict=True
        ):
            stats = _stats(ranking, cid, x, bool(member), group, xi, self.order)
            for name, value in zip(names, stats, strict=True):
                columns[name].append(value)
        work = frame.select(
            pl.col("x").alias("__x"), pl.col("xi").alias("__xi"), pl.col("member")
        ).with_columns(
            pl.Series("__pos", columns["__pos"], pl.Float64),
            pl.Series("__n", columns["__n"], pl.Float64),
            *(pl.Series(n, columns[n], pl.Int128) for n in ("__tot", "__ptot", "__pcum")),
            pl.Series("__sq", columns["__sq"], pl.Float64),
            pl.Series("__min", columns["__min"], pl.Float64),
            pl.Series("__max", columns["__max"], pl.Float64),
            __xp=pl.when(pl.col("__xi") > 0).then(pl.col("__xi")).otherwise(pl.lit(0, pl.Int128)),
        )
        inside = pl.col("member") & pl.col("__pos").is_not_null()
        out = work.select(pl.when(inside).then(_rank(call.func, pl).round(DIGITS)).alias("r"))
        return out["r"]

    def cutoffs(self, ruleset: CompiledRuleset) -> list[dict[str, Any]]:
        """For each comparison of a ranking function with a number (in a derived fact or a
        rule): the lowest value inside and the highest outside in the frozen population."""
        named = {
            f.name: f.expr.tree
            for f in ruleset.derived.values()
            if isinstance(f.expr.tree, Call) and f.expr.tree.func in RANKING
        }
        places = [(f.name, f.expr.text, f.expr.tree) for f in ruleset.derived.values()]
        places += [
            (f"{d.name} rule {r.index}", r.when.text, r.when.tree)
            for d in ruleset.decisions.values()
            for r in d.rules
        ]
        found: list[dict[str, Any]] = []
        for where, text, tree in places:
            for node in _nodes(tree):
                if not (isinstance(node, Binary) and node.op in COMPARING):
                    continue
                call, limit, op = _ranking_side(node, named)
                if call is None or call not in self.rankings:
                    continue
                for group, pop in self.rankings[call].groups.items():
                    holds = [
                        (x, r is not None and _compare(r, op, limit))
                        for x, r in zip(pop.xs, pop.ranks, strict=True)
                    ]
                    inside = [x for x, ok in holds if ok]
                    outside = [x for x, ok in holds if not ok]
                    entry: dict[str, Any] = {
                        "where": where,
                        "condition": text[node.start : node.end],
                        "function": call.func,
                        "lowest_inside": min(inside) if inside else None,
                        "highest_outside": max(outside) if outside else None,
                        "ranked": len(holds),
                    }
                    if group is not None:
                        entry["group"] = group
                    found.append(entry)
        return found


def _stats(
    ranking: _Ranking,
    cid: str,
    x: float | None,
    member: bool,
    group: Hashable,
    xi: int | None,
    order: Mapping[str, int],
) -> tuple[Any, ...]:
    if not member or x is None or xi is None:
        return (None,) * 8
    pop = ranking.groups.get(group, _Group())
    own = ranking.own.get(cid)
    if own is not None and own.group != group:
        own = None
    k = bisect_left(pop.keys, (-x, order.get(cid, -1)))
    ahead, ahead_xp = k, pop.prefix[k]
    n, tot, ptot, sq = (
        len(pop.keys) + 1,
        pop.tot + xi,
        pop.prefix[-1] + max(xi, 0),
        pop.sq + xi * xi,
    )
    if own is not None:
        if own.index < k:
            ahead -= 1
            ahead_xp -= max(own.xi, 0)
        n -= 1
        tot -= own.xi
        ptot -= max(own.xi, 0)
        sq -= own.xi * own.xi
    ends = [i for i in (0, 1, len(pop.xs) - 2, len(pop.xs) - 1) if 0 <= i < len(pop.xs)]
    others = [i for i in ends if own is None or i != own.index]
    values = [pop.xs[i] for i in others] + [x]
    return (
        float(ahead + 1),
        float(n),
        tot,
        ptot,
        ahead_xp + max(xi, 0),
        min(values),
        max(values),
        (n * sq - tot * tot) / n,  # the sum of squared deviations, exact until this division
    )


def _compare(value: float, op: str, limit: float) -> bool:
    return {
        "<": value < limit,
        "<=": value <= limit,
        ">": value > limit,
        ">=": value >= limit,
    }[op]


def _ranking_side(node: Binary, named: Mapping[str, Call]) -> tuple[Call | None, float, str]:
    """The ranking call compared (directly, or through a derived fact that is one), the
    number, and the comparison with the call on the left."""
    flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
    left, right = (
        named.get(side.name, side) if isinstance(side, Name) else side
        for side in (node.left, node.right)
    )
    if isinstance(left, Call) and left.func in RANKING and _number(right) is not None:
        return left, _number(right) or 0.0, node.op
    if isinstance(right, Call) and right.func in RANKING and _number(left) is not None:
        return right, _number(left) or 0.0, flipped[node.op]
    return None, 0.0, node.op


def _number(node: Expr) -> float | None:
    if (
        isinstance(node, Literal)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return float(node.value)
    if isinstance(node, Unary) and node.op == "-" and isinstance(node.operand, Literal):
        inner = _number(node.operand)
        return None if inner is None else -inner
    return None


def _nodes(node: Expr | Keyword) -> list[Expr]:
    """Every node of a tree, parents first."""
    if isinstance(node, Keyword):
        return _nodes(node.value)
    found: list[Expr] = [node]
    children: list[Expr | Keyword] = []
    if isinstance(node, Unary):
        children = [node.operand]
    elif isinstance(node, Binary):
        children = [node.left, node.right]
    elif isinstance(node, Call):
        children = [*node.args, *node.kwargs]
    elif isinstance(node, ListLit):
        children = list(node.items)
    for child in children:
        found += _nodes(child)
    return found


def ranking_calls(ruleset: CompiledRuleset) -> list[tuple[str, Call, bool]]:
    """Every ranking call of the derived facts: (fact, call, whether it ranks per period)."""
    calls = []
    for fact in ruleset.derived.values():
        for node in _nodes(fact.expr.tree):
            if isinstance(node, Call) and node.func in RANKING:
                argument = fact.expr.node_types.get(node.args[0])
                calls.append((fact.name, node, bool(argument and argument.per_period)))
    return calls


class FrozenCompiler(Compiler):
    """The batch compiler, with ranking functions answered from a :class:`FrozenRankings`.

    With ``learn`` (the start-up pass over every customer at the last run's as-of date), each
    ranking is computed as the batch run computes it and its population is kept.
    """

    def __init__(
        self,
        frames: Frames,
        functions: Mapping[str, Function],
        frozen: FrozenRankings,
        *,
        learn: bool = False,
    ) -> None:
        super().__init__(frames, functions)
        self.frozen = frozen
        self.learn = learn

    def ranking(self, node: Call) -> str:
        frames = self.frames
        among = next((k.value for k in node.kwargs if k.name == "among"), None)
        by = next((k.value for k in node.kwargs if k.name == "by"), None)
        member = nw.lit(True) if among is None else self.expr(among, False).fill_null(False)
        group = nw.lit(None) if by is None else self.expr(by, False)
        value = self.expr(node.args[0], False)
        present = frames.customers.collect_schema().names()
        order = nw.col(ORDER) if ORDER in present else nw.lit(None)
        native = nw.to_native(frames.customers.collect(backend="polars"))
        assert isinstance(native, pl.DataFrame)
        frames.customers = nw.from_native(native.lazy())  # computed once, not again at the end
        work = nw.to_native(
            nw.from_native(native).select(
                nw.col(ID),
                value.cast(nw.Float64).alias("x"),
                (member & ~value.is_null()).alias("member"),
                group.alias("group"),
                order.alias("order"),
            )
        )
        assert isinstance(work, pl.DataFrame)
        if ORDER not in present:
            work = work.with_columns(pl.col(ID).rank("ordinal").cast(pl.Int64).alias("order"))
        work = work.with_columns(
            xi=pl.when(pl.col("member")).then((pl.col("x") * SCALE).round(0).cast(pl.Int128))
        )
        out = frames.temp()
        if self.learn:
            batch = Compiler(Frames(nw.from_native(native.lazy())), self.functions)
            batch.types = self.types
            column = batch.ranking(node)
            ranked = nw.to_native(batch.frames.customers.select(ID, nw.col(column)).collect())
            assert isinstance(ranked, pl.DataFrame)
            ranks = work.select(ID).join(ranked, on=ID, how="left")[internal(column)]
            self.frozen.learn(node, work, ranks)
        else:
            ranks = self.frozen.rank(node, work)
        frames.join_scalar(
            nw.from_native(work.select(ID).with_columns(ranks.alias(out)).lazy()), [out]
        )
        return out
