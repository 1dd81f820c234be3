"""Overrides: a manual value for one customer's decision, applied after the rules decided.

An override is *in force* on an as-of date when it is not expired and its ``valid_until`` is on
or after that date. Applying overrides keeps the decided value in ``NAME.decided``, puts the
final value in ``NAME`` and describes the override in ``NAME.override`` (one text column: id,
reason, who approved it, until when). Decisions made after an overridden one used the decided
value: overrides come after all decisions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl

from tierkit.errors import did_you_mean
from tierkit.history.compare import ID, Decision, label, place_after
from tierkit.history.errors import OverrideError
from tierkit.ruleset.compiled import ThenValue

OVERRIDE_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "customer_id": pl.String(),
    "decision": pl.String(),
    "value": pl.String(),
    "ruleset": pl.String(),
    "reason": pl.String(),
    "approved_by": pl.String(),
    "valid_until": pl.Date(),
    "created_at": pl.Datetime("us"),
    "created_by": pl.String(),
    "expired_at": pl.Datetime("us"),
    "expired_by": pl.String(),
    "expired_reason": pl.String(),
}
"""The columns of an overrides frame, as the store returns it."""


def in_force(overrides: pl.DataFrame, as_of: date, ruleset: str | None = None) -> pl.DataFrame:
    """The overrides in force on ``as_of``; with ``ruleset``, those for any ruleset or for it."""
    keep = pl.col("valid_until") >= as_of
    if "expired_at" in overrides.columns:
        keep &= pl.col("expired_at").is_null()
    if ruleset is not None and "ruleset" in overrides.columns:
        keep &= pl.col("ruleset").is_null() | (pl.col("ruleset") == ruleset)
    return overrides.filter(keep)


def chosen_overrides(
    overrides: pl.DataFrame, as_of: date, ruleset: str | None = None
) -> pl.DataFrame:
    """The overrides :func:`apply_overrides` applies on ``as_of``: in force, the newest per
    customer and decision."""
    return _newest(in_force(overrides, as_of, ruleset))


def parse_value(text: str, decision: Decision, override_id: int | None = None) -> ThenValue:
    """The outcome of ``decision`` that ``text`` names (``true``/``false`` for booleans)."""
    for outcome in decision.outcomes:
        if isinstance(outcome, bool):
            if text.strip().lower() == label(outcome):
                return outcome
        elif isinstance(outcome, int | float):
            try:
                if float(text) == float(outcome):
                    return outcome
            except ValueError:
                pass
        elif text == outcome:
            return outcome
    labels = [label(o) for o in decision.outcomes]
    who = f"override #{override_id} sets" if override_id is not None else "cannot set"
    raise OverrideError(
        f"{who} decision '{decision.name}' to '{text}', which is not one of its values "
        f"({', '.join(labels)}){did_you_mean(text, labels)}"
    )


def apply_overrides(
    results: pl.DataFrame,
    overrides: pl.DataFrame,
    decisions: Mapping[str, Decision],
    as_of: date,
) -> pl.DataFrame:
    """``results`` with the overrides in force on ``as_of`` applied.

    For every decision with an override in force, adds ``NAME.decided`` (the rules' value) and
    ``NAME.override`` (the override, as text; missing where none applies) after the decision's
    columns, and sets ``NAME`` to the final value. When several overrides are in force for one
    customer and decision, the newest (highest id) wins. Overrides for decisions the ruleset
    does not have, or for customers not in ``results``, change nothing: :func:`override_summary`
    reports them. Raises :class:`OverrideError`, naming the override, when its value is not
    one of the decision's outcomes or the decision collects values (``hit: collect``).
    """
    chosen = _newest(in_force(overrides, as_of))
    for name, decision in decisions.items():
        rows = chosen.filter(pl.col("decision") == name)
        if rows.is_empty():
            continue
        if decision.hit != "first":
            first = rows["id"][0]
            raise OverrideError(
                f"override #{first}: decision '{name}' collects values (hit: {decision.hit}); "
                "only a decision with one value per customer can be overridden"
            )
        values = [parse_value(r["value"], decision, r["id"]) for r in rows.iter_rows(named=True)]
        dtype = results.schema[name]
        incoming = pl.DataFrame(
            {
                ID: rows[ID],
                "__value": pl.Series(values).cast(dtype),
                "__note": [_describe(r) for r in rows.iter_rows(named=True)],
            }
        )
        joined = results.join(incoming, on=ID, how="left", validate="1:1", maintain_order="left")
        joined = joined.with_columns(
            pl.when(pl.col("__note").is_not_null())
            .then(pl.col("__value"))
            .otherwise(pl.col(name))
            .alias(name),
            pl.col(name).alias(f"{name}.decided"),
            pl.col("__note").alias(f"{name}.override"),
        ).drop("__value", "__note")
        added = [f"{name}.decided", f"{name}.override"]
        results = joined.select(place_after(results.columns, name, added))
    return results


def override_summary(
    results: pl.DataFrame,
    overrides: pl.DataFrame,
    decisions: Mapping[str, Decision],
    as_of: date,
) -> dict[str, Any]:
    """What became of the overrides in force, for the run's manifest.

    ``applied``: ids applied to a customer. ``superseded``: ids a newer override for the same
    customer and decision replaced. ``unknown_customer`` and ``unknown_decision``: overrides
    that name a customer not in the results or a decision the ruleset does not have; they are
    reported here (and should be shown as warnings), not silently dropped, and do not stop the
    run: a customer may have left the data before their override ran out.
    """
    forced = in_force(overrides, as_of)
    chosen = _newest(forced)
    known = set(results[ID].to_list())
    summary: dict[str, Any] = {
        "in_force": forced.height,
        "applied": [],
        "superseded": sorted(set(forced["id"].to_list()) - set(chosen["id"].to_list())),
        "unknown_customer": [],
        "unknown_decision": [],
    }
    for row in chosen.sort("id").iter_rows(named=True):
        brief = {"id": row["id"], "customer_id": row[ID], "decision": row["decision"]}
        if row["decision"] not in decisions:
            summary["unknown_decision"].append(brief)
        elif row[ID] not in known:
            summary["unknown_customer"].append(brief)
        else:
            summary["applied"].append(row["id"])
    return summary


def _newest(overrides: pl.DataFrame) -> pl.DataFrame:
    return overrides.sort("id").unique([ID, "decision"], keep="last", maintain_order=True)


def _describe(row: Mapping[str, Any]) -> str:
    return (
        f"override #{row['id']}: {row['reason']} (approved by {row['approved_by']}, "
        f"until {row['valid_until']})"
    )
