"""A 64-bit key per customer, for criteria to group rows by (:data:`CUSTOMER_KEY`).

Grouping 10M payments by a million customer ids costs most of a criterion's time, and most of
that is hashing and comparing the id text: grouping by a 64-bit key of the id is twice as fast
(docs/performance.md). On the polars backend the kernel adds the key to every prepared table as
a lazy column, so it is computed only for the rows a criterion reads, and to the customers, where
it is checked to be distinct. A criterion that groups by the key returns it instead of
``customer_id``; the kernel joins its values to the customers by the key.

Rows of unknown customers are skipped before (:mod:`tierkit.data.scan`), and a row whose key
is not a customer's key finds no customer. The keys are the hashes the data check uses; two
distinct customers with one key (a chance of about n²/2^65 for n customers) turn the key off
for the run, and every criterion groups by the id text.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from tierkit.contract import CUSTOMER_KEY

ID = "customer_id"
CUSTOMERS = "customers"
SEED = 20_261_123
"""Any fixed seed: keys are only compared within one process."""


def key_of(ids: pl.Expr) -> pl.Expr:
    """The key of each id (text): its 64-bit hash. The data check looks rows' customers up by
    it (:mod:`tierkit.data.scan`), and criteria group rows by it."""
    return ids.hash(SEED)


def keys_of(ids: pl.Series) -> pl.Series:
    """:func:`key_of` for a series of ids."""
    return ids.to_frame().select(key_of(pl.col(ids.name))).to_series()


def with_customer_keys(tables: Mapping[str, pl.LazyFrame]) -> dict[str, pl.LazyFrame]:
    """``tables`` with :data:`CUSTOMER_KEY` beside ``customer_id``, if the keys are distinct.

    The customers table (in memory once prepared) gets the keys computed; the other tables
    get them as an expression, computed for the rows that are read.
    """
    if CUSTOMERS not in tables:
        return dict(tables)
    customers = tables[CUSTOMERS].collect()
    keys = keys_of(customers[ID]).alias(CUSTOMER_KEY)
    if keys.n_unique() != keys.len():
        return dict(tables)  # two customers share a key: criteria group by the id text
    keyed = dict(tables)
    for name, frame in tables.items():
        if name != CUSTOMERS and ID in frame.collect_schema().names():
            keyed[name] = frame.with_columns(key_of(pl.col(ID)).alias(CUSTOMER_KEY))
    keyed[CUSTOMERS] = customers.with_columns(keys).lazy()
    return keyed
