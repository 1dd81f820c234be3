"""Decision changes made by events, kept in the history store's ``event_changes`` table.

Each change is committed before it is printed, so a watch killed at any moment has printed
nothing that the store does not hold. The batch runs' own tables are left alone: ``tierkit
runs`` and ``tierkit history`` show batch runs only. A change belongs to the run it started
from; once a newer run of the ruleset is saved, it supersedes the changes made since the older
one (they stay in the table, for the record; :func:`read_changes` leaves them out).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from tierkit.history import HistoryStore
from tierkit.history.database import connect
from tierkit.watch.session import Change

TABLE = "event_changes"
CREATE = f"""create table if not exists {TABLE} (
    session varchar not null,
    seq bigint not null,
    run_id varchar not null,
    ruleset varchar not null,
    recorded_at timestamp not null,
    customer_id varchar not null,
    decision varchar not null,
    old varchar,
    new varchar,
    rule varchar,
    because varchar,
    cause varchar not null,
    line bigint not null,
    as_of date not null,
    event varchar not null
)"""
SCHEMA = {
    "session": pl.String,
    "seq": pl.Int64,
    "run_id": pl.String,
    "ruleset": pl.String,
    "recorded_at": pl.Datetime,
    "customer_id": pl.String,
    "decision": pl.String,
    "old": pl.String,
    "new": pl.String,
    "rule": pl.String,
    "because": pl.String,
    "cause": pl.String,
    "line": pl.Int64,
    "as_of": pl.Date,
    "event": pl.String,
}
"""Values (old, new, rule) are kept as JSON text, so true stays a boolean and 1 a number."""


class ChangeLog:
    """Records the changes of one watch session, each batch in one committed transaction."""

    def __init__(self, store: str | Path, run_id: str, ruleset: str, timeout: float = 10.0):
        self.path = Path(store)
        self.run_id = run_id
        self.ruleset = ruleset
        self.timeout = timeout
        self.session = uuid.uuid4().hex
        self.count = 0
        self._held = ExitStack()
        self._con: duckdb.DuckDBPyConnection | None = None

    def record(self, changes: Sequence[Change]) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = []
        for change in changes:
            self.count += 1
            rows.append(
                (
                    self.session,
                    self.count,
                    self.run_id,
                    self.ruleset,
                    now,
                    change.customer,
                    change.decision,
                    _json(change.old),
                    _json(change.new),
                    _json(change.rule),
                    None if change.because is None else str(change.because),
                    change.cause,
                    change.line,
                    change.as_of,
                    json.dumps(dict(change.event), sort_keys=True),
                )
            )
        frame = pl.DataFrame(rows, schema=SCHEMA, orient="row")
        con = self._connection()
        # one insert of the whole batch: executemany inserts row by row, 1,000 times slower
        con.register("tierkit_changes", frame.to_arrow())
        con.execute(f"insert into {TABLE} select * from tierkit_changes")
        con.unregister("tierkit_changes")
        con.execute("commit")  # kept, whatever happens to this process from here on
        con.execute("begin transaction")

    def _connection(self) -> duckdb.DuckDBPyConnection:
        """The store, held from the first change of a burst until :meth:`release`."""
        if self._con is None:
            con = self._held.enter_context(connect(self.path, write=True, timeout=self.timeout))
            assert con is not None
            con.execute(CREATE)
            con.execute("commit")
            con.execute("begin transaction")
            self._con = con
        return self._con

    def release(self) -> None:
        """Let go of the store (when the input is idle, and at the end): a batch run or a
        reader can open it. Opening and closing it for each batch of changes would cost about
        0.1 s each (closing writes a checkpoint)."""
        self._con = None
        self._held.close()


def read_changes(
    store: str | Path, ruleset: str | None = None, *, superseded: bool = False
) -> pl.DataFrame:
    """The event changes in ``store`` (of ``ruleset``), oldest first.

    Without ``superseded``, only those made since the latest run of their ruleset: a newer
    batch run replaces what events decided before it.
    """
    with connect(Path(store), write=False, timeout=10.0) as con:
        if con is None:
            return pl.DataFrame(schema=SCHEMA)
        known = con.execute(
            "select count(*) from information_schema.tables where table_name = ?", [TABLE]
        ).fetchone()
        if not known or not known[0]:
            return pl.DataFrame(schema=SCHEMA)
        sql = f"select * from {TABLE}"
        params: list[Any] = []
        if ruleset is not None:
            sql += " where ruleset = ?"
            params.append(ruleset)
        rows = con.execute(sql + " order by recorded_at, session, seq", params).fetchall()
    frame = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    if superseded or frame.is_empty():
        return frame
    history = HistoryStore(store)
    latest = {
        name: history.previous_run_id(name, date.max)
        for name in frame["ruleset"].unique().to_list()
    }
    keep = [latest.get(r) == run for r, run in zip(frame["ruleset"], frame["run_id"], strict=True)]
    return frame.filter(pl.Series(keep, dtype=pl.Boolean))


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)
