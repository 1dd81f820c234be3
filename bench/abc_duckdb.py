"""The benchmark job written by hand in DuckDB SQL, as a user without tierkit would write it.

The same job as bench/abc_polars.py: cash received over the six months before the as-of date,
then ABC by cumulative share (A below 80%, B below 95%, C from there on), customers ordered by
total (largest first, ties by customer_id), whole cents, shares compared in integers.

    python bench/abc_duckdb.py DATA_FOLDER OUT.parquet|OUT.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

AS_OF = "2026-01-01"
START = "2025-07-01"

SQL = """
with totals as (
    select customer_id, sum(amount) as total
    from read_parquet(?)
    where paid_at >= cast(? as date) and paid_at < cast(? as date)
    group by customer_id
),
ranked as (
    select c.customer_id, coalesce(cast(t.total * 100 as bigint), 0) as cents
    from read_parquet(?) c left join totals t using (customer_id)
),
ahead as (
    select customer_id, cents,
        sum(cents) over (order by cents desc, customer_id
                         rows between unbounded preceding and 1 preceding) as ahead,
        sum(cents) over () as grand
    from ranked
)
select customer_id,
    case when coalesce(ahead, 0) * 100 < grand * 80 then 'A'
         when coalesce(ahead, 0) * 100 < grand * 95 then 'B'
         else 'C' end as category
from ahead
"""


def abc(folder: Path, out: Path) -> None:
    """Write ``customer_id`` and ``category`` for every customer to ``out``."""
    con = duckdb.connect()
    relation = con.sql(
        SQL.replace("?", "{}").format(
            *(
                f"'{v}'"
                for v in (
                    folder / "payments.parquet",
                    START,
                    AS_OF,
                    folder / "customers.parquet",
                )
            )
        )
    )
    kind = "csv, header true" if out.suffix == ".csv" else "parquet"
    relation.query("job", f"copy job to '{out}' (format {kind})")
    con.close()


def main(argv: list[str]) -> None:
    abc(Path(argv[0]), Path(argv[1]))


if __name__ == "__main__":
    main(sys.argv[1:])
