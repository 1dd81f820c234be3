"""The history store: runs, their results, and overrides with an audit trail, in a DuckDB file.

Tables (see docs/history.md): ``runs`` (one row per run: when, as-of date, ruleset, strategy,
engine, backend, the decisions with their outcomes, the manifest as JSON), ``run_blob_<seq>``
(each run's results frame as it was, one Parquet file in a table per run:
:mod:`tierkit.history.results`),
``overrides``, ``override_audit`` and ``tierkit_meta`` (the schema version). The rows of
``runs``: :mod:`tierkit.history.runs`.

Every method opens the file, does its work in one transaction and closes it again, so other
processes can use the store in between; while one writes, the others wait (see ``timeout``).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from tierkit import defaults
from tierkit.history.audit import audit_row, expire
from tierkit.history.compare import ID, Decision
from tierkit.history.database import connect, first_row
from tierkit.history.errors import OverrideError, StoreError, UnknownCustomer, UnknownRun
from tierkit.history.frames import encode_portable
from tierkit.history.overrides import OVERRIDE_SCHEMA, in_force
from tierkit.history.results import drop_results, load_results, save_results, to_parquet
from tierkit.history.runs import (
    RUN_COLUMNS,
    SUFFIXES,
    RunInfo,
    decisions_of,
    history_row,
    identity,
    run_info_of,
    same_runs_of,
    with_replaced,
)

if TYPE_CHECKING:
    import duckdb

__all__ = ["DEFAULT_STORE", "SUFFIXES", "HistoryStore", "RunInfo", "current_user"]

DEFAULT_STORE = defaults.DEFAULT_STORE
"""The store's file name in the working directory when none is given."""


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def current_user() -> str:
    """The operating-system user, for ``created_by`` and the audit trail."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


_RESULTS = "run_id, results_table, results_schema, results_as_text"
"""The columns of ``runs`` that say where and how a run's results are stored."""


class HistoryStore:
    """Runs, results and overrides in one DuckDB file (created on the first write).

    Reading a store that does not exist yet finds nothing; a file that is not a store, or one
    written by a newer tierkit, raises a :class:`~tierkit.history.errors.StoreError` naming it.
    """

    def __init__(
        self,
        path: str | Path = DEFAULT_STORE,
        *,
        timeout: float = 10.0,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.path = Path(path)
        self.timeout = timeout
        """Seconds to wait for another process that holds the store."""
        self.clock = clock
        """The current time in UTC (naive), for ``created_at`` and the audit trail."""
        if self.path.exists():
            with self._read():
                pass  # checks the file now, not at the first use

    def __repr__(self) -> str:
        return f"HistoryStore({str(self.path)!r})"

    @contextmanager
    def _read(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        with connect(self.path, write=False, timeout=self.timeout) as con:
            yield con

    @contextmanager
    def _write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.path, write=True, timeout=self.timeout) as con:
            assert con is not None
            yield con

    # ----------------------------------------------------------------------------------------
    # runs

    def save_run(
        self,
        manifest: Mapping[str, Any],
        results: pl.DataFrame,
        decisions: Mapping[str, Decision] | None = None,
        *,
        last: Callable[[list[str]], Mapping[str, Any]] | None = None,
    ) -> str:
        """Store a run's manifest and results in one transaction; returns the run id.

        ``last``, when given, is called with the ids of the runs this one replaces just before
        the transaction ends, and the manifest it returns is the one stored (of the same run:
        ``manifest`` names the run, its as-of date and ruleset); so the manifest can time the
        saving too, and anything that must succeed before the run is stored (the results
        file's flush) can run beside the saving and be waited for there.

        ``decisions`` (the compiled ruleset's decisions) records each decision's outcomes in
        order, which ``tierkit diff`` needs to tell up from down; without it they are taken
        from ``manifest['decisions']`` or the category summary, as far as these know them.

        A rerun replaces: stored runs of the same ruleset, as-of date and strategy
        (:meth:`same_runs`) are deleted in the same transaction, and the saved manifest lists
        their ids under ``replaces`` (only when there were any). One run per ruleset, month
        and strategy stays, so "previous" always names one run.
        """
        given = manifest
        run_id, as_of, ruleset = identity(given)
        if ID not in results.columns:
            raise StoreError(f"{self.path}: run {run_id}: the results have no '{ID}' column")
        stored = decisions_of(given, results, decisions)
        encoded = encode_portable(results)
        data = to_parquet(encoded.frame)  # before the store is opened: others may use it meanwhile
        with self._write() as con:
            if first_row(con, "select 1 from runs where run_id = ?", [run_id]):
                raise StoreError(f"{self.path}: run {run_id} is already stored")
            replaced = same_runs_of(con, ruleset, as_of, given.get("strategy"))
            for old_id, old_table in replaced:
                con.execute("delete from runs where run_id = ?", [old_id])
                drop_results(con, old_id, old_table)
            row = first_row(con, "select nextval('run_seq')")
            assert row is not None
            seq = int(row[0])
            ruleset_info = given.get("ruleset") or {}
            table = save_results(con, seq, data)
            if last is not None:
                given = last([r for r, _ in replaced])
                if identity(given) != (run_id, as_of, ruleset):
                    raise StoreError(f"{self.path}: run {run_id}: its last manifest is another's")
            con.execute(
                "insert into runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    seq,
                    run_id,
                    self.clock(),
                    as_of,
                    ruleset,
                    ruleset_info.get("sha256"),
                    given.get("strategy"),
                    given.get("engine"),
                    given.get("backend"),
                    results.height,
                    json.dumps(
                        {n: {"hit": d.hit, "outcomes": list(d.outcomes)} for n, d in stored.items()}
                    ),
                    table,
                    encoded.schema,
                    encoded.as_text,
                    json.dumps(with_replaced(given, replaced), default=str),
                ],
            )
        return run_id

    def same_runs(self, ruleset: str, as_of: date, strategy: str | None) -> list[str]:
        """Ids of the stored runs a new run of ``ruleset``, ``as_of`` and ``strategy`` replaces."""
        with self._read() as con:
            return (
                [] if con is None else [r for r, _ in same_runs_of(con, ruleset, as_of, strategy)]
            )

    def runs(self, ruleset: str | None = None) -> list[RunInfo]:
        """Stored runs, newest first; only those of ``ruleset`` when given."""
        with self._read() as con:
            if con is None:
                return []
            where, params = ("where ruleset = ?", [ruleset]) if ruleset else ("", [])
            rows = con.execute(
                f"select {RUN_COLUMNS} from runs {where} order by seq desc", params
            ).fetchall()
        return [run_info_of(row) for row in rows]

    def resolve(self, ref: str, ruleset: str | None = None) -> str:
        """The run id for ``latest``, ``previous``, a run id or a unique prefix of one.

        ``latest`` is the newest run saved (of ``ruleset`` when given); ``previous`` is the
        run ``latest`` was compared with: :meth:`previous_run_id` of its ruleset, as-of date and
        strategy (the latest run of them with an earlier as-of date).
        """
        runs = self.runs(ruleset)
        scope = f" of ruleset '{ruleset}'" if ruleset else ""
        if not runs:
            raise UnknownRun(f"{self.path}: no runs{scope} are stored yet")
        key = ref.strip()
        if key.lower() == "latest":
            return runs[0].run_id
        if key.lower() == "previous":
            latest = runs[0]
            before = self.previous_run_id(latest.ruleset, latest.as_of, latest.strategy)
            if before is None:
                raise UnknownRun(
                    f"{self.path}: the latest run ({latest.run_id[:8]}, ruleset "
                    f"'{latest.ruleset}', strategy {latest.strategy}, as of {latest.as_of}) has "
                    "no previous run: none of that ruleset and strategy with an earlier as-of "
                    "date is stored"
                )
            return before
        exact = [r.run_id for r in runs if r.run_id == key]
        if exact:
            return exact[0]
        matches = [r.run_id for r in runs if key and r.run_id.startswith(key)] or [
            r.run_id for r in runs if key and r.run_id.lower().startswith(key.lower())
        ]  # E1BB, typed in capitals, is the run e1bb...
        if len(matches) == 1:
            return matches[0]
        if matches:
            shown = ", ".join(m[:12] for m in matches[:5])
            raise UnknownRun(
                f"{self.path}: '{ref}' matches {len(matches)} runs ({shown}); "
                "give more of the run id"
            )
        raise UnknownRun(
            f"{self.path}: no run '{ref}'{scope}; give a run id or its first characters, "
            "'latest' or 'previous' (tierkit runs lists them)"
        )

    def run(self, ref: str, ruleset: str | None = None) -> dict[str, Any]:
        """The manifest of a run, as saved (``ref`` as for :meth:`resolve`)."""
        row = self._run_row(self.resolve(ref, ruleset), "manifest")
        manifest: dict[str, Any] = json.loads(row[0])
        return manifest

    def run_info(self, ref: str, ruleset: str | None = None) -> RunInfo:
        """What :meth:`runs` says about one run."""
        run_id = self.resolve(ref, ruleset)
        return next(r for r in self.runs() if r.run_id == run_id)

    def results(self, ref: str, columns: list[str] | None = None) -> pl.DataFrame:
        """A run's results frame, exactly as saved: same columns, types and row order; only
        the ``columns`` it has of those named, when given."""
        return self._load_results(self.resolve(ref), columns)

    def has_customer(self, ref: str, customer_id: str) -> bool:
        """Whether the run ``ref`` decided ``customer_id``."""
        run_id = self.resolve(ref)
        with self._read() as con:
            assert con is not None
            row = first_row(con, f"select {_RESULTS} from runs where run_id = ?", [run_id])
            if row is None:
                raise UnknownRun(f"{self.path}: no run '{run_id}'")
            return not load_results(con, row, customer_id).is_empty()

    def previous_run_id(self, ruleset: str, as_of: date, strategy: str | None = None) -> str | None:
        """The run of ``ruleset`` with the latest as-of date before ``as_of``, or ``None``.

        Among runs with that date, the newest saved wins. With ``strategy``, only runs with
        that strategy count (an experiment with ``--strategy`` is not the next run's previous).
        """
        with self._read() as con:
            if con is None:
                return None
            sql = "select run_id from runs where ruleset = ? and as_of < ?"
            params: list[Any] = [ruleset, as_of]
            if strategy is not None:
                sql += " and strategy = ?"
                params.append(strategy)
            row = first_row(con, sql + " order by as_of desc, seq desc limit 1", params)
        return None if row is None else str(row[0])

    def previous_results(
        self, ruleset: str, as_of: date, strategy: str | None = None
    ) -> pl.DataFrame | None:
        """Results of :meth:`previous_run_id`'s run; ``None`` (``previous.*`` missing) if none."""
        run_id = self.previous_run_id(ruleset, as_of, strategy)
        return None if run_id is None else self._load_results(run_id)

    def customer_history(self, customer_id: str, ruleset: str | None = None) -> pl.DataFrame:
        """One row per run that decided ``customer_id``, newest first.

        Columns: run_id, created_at, as_of, ruleset, strategy, name, then for each decision its
        value and the ``NAME.rule``, ``NAME.because``, ``NAME.decided``, ``NAME.override``,
        ``NAME.previous`` and ``NAME.change`` columns the run has, then ``value``.
        Raises :class:`UnknownCustomer` when no run has the customer.
        """
        rows: list[pl.DataFrame] = []
        with self._read() as con:
            for info, stored in self._runs_with_results(con, ruleset):
                assert con is not None
                found = load_results(con, stored, customer_id)
                if not found.is_empty():
                    rows.append(history_row(info, found))
        if not rows:
            scope = f" of ruleset '{ruleset}'" if ruleset else ""
            raise UnknownCustomer(
                f"{self.path}: customer '{customer_id}' is in no stored run{scope}"
            )
        combined = pl.concat(rows, how="diagonal_relaxed")
        base = ["run_id", "created_at", "as_of", "ruleset", "strategy", "name"]
        decisions = [c for c in combined.columns if c not in {*base, "value"} and "." not in c]
        order = [c for c in base if c in combined.columns]
        for name in decisions:
            order += [c for c in (name, *(name + s for s in SUFFIXES)) if c in combined.columns]
        order += [c for c in combined.columns if c not in order]
        return combined.select(order)

    def _runs_with_results(
        self, con: duckdb.DuckDBPyConnection | None, ruleset: str | None
    ) -> list[tuple[RunInfo, tuple[Any, ...]]]:
        if con is None:
            return []
        where, params = ("where ruleset = ?", [ruleset]) if ruleset else ("", [])
        rows = con.execute(
            f"select {RUN_COLUMNS}, {_RESULTS} from runs {where} order by seq desc", params
        ).fetchall()
        return [(run_info_of(r[:12]), r[12:]) for r in rows]

    def _run_row(self, run_id: str, columns: str) -> tuple[Any, ...]:
        with self._read() as con:
            row = (
                None
                if con is None
                else first_row(con, f"select {columns} from runs where run_id = ?", [run_id])
            )
        if row is None:
            raise UnknownRun(f"{self.path}: no run '{run_id}'")
        return tuple(row)

    def _load_results(self, run_id: str, columns: list[str] | None = None) -> pl.DataFrame:
        with self._read() as con:
            row = (
                None
                if con is None
                else first_row(con, f"select {_RESULTS} from runs where run_id = ?", [run_id])
            )
            if con is None or row is None:
                raise UnknownRun(f"{self.path}: no run '{run_id}'")
            return load_results(con, row, columns=columns)

    # ----------------------------------------------------------------------------------------
    # overrides

    def add_override(
        self,
        customer_id: str,
        decision: str,
        value: str,
        *,
        reason: str,
        approved_by: str,
        valid_until: date,
        by: str | None = None,
        ruleset: str | None = None,
    ) -> int:
        """Record an override and return its id; audited.

        An unexpired override for the same customer, decision and ruleset is expired in the
        same transaction ("superseded by #id"), so at most one is in force at a time.
        """
        fields = {
            "customer_id": customer_id,
            "decision": decision,
            "value": value,
            "reason": reason,
            "approved_by": approved_by,
        }
        for field, text in fields.items():
            if not str(text).strip():
                raise OverrideError(f"an override needs a non-empty {field.replace('_', ' ')}")
        who = by or current_user()
        now = self.clock()
        with self._write() as con:
            row = first_row(con, "select nextval('override_seq')")
            assert row is not None
            new_id = int(row[0])
            older = con.execute(
                "select id from overrides where customer_id = ? and decision = ? and "
                "ruleset is not distinct from ? and expired_at is null order by id",
                [customer_id, decision, ruleset],
            ).fetchall()
            row_values = [new_id, customer_id, decision, value, ruleset, reason, approved_by]
            con.execute(
                "insert into overrides values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, null, null)",
                [*row_values, valid_until, now, who],
            )
            details = {**fields, "ruleset": ruleset, "valid_until": valid_until.isoformat()}
            audit_row(con, new_id, "add", now, who, details)
            for (old_id,) in older:
                expire(con, int(old_id), now, who, f"superseded by #{new_id}")
        return new_id

    def list_overrides(
        self, active_on: date | None = None, customer_id: str | None = None
    ) -> pl.DataFrame:
        """Overrides by id: every one, or those in force on ``active_on``; of one customer."""
        frame = self._select("select * from overrides order by id", OVERRIDE_SCHEMA)
        if active_on is not None:
            frame = in_force(frame, active_on)
        if customer_id is not None:
            frame = frame.filter(pl.col(ID) == customer_id)
        return frame

    def active_overrides(self, on: date, ruleset: str | None = None) -> pl.DataFrame:
        """The overrides in force on ``on``: not expired, ``valid_until`` on or after it.

        With ``ruleset``, those recorded for every ruleset or for that one.
        """
        return in_force(self.list_overrides(), on, ruleset)

    def expire_overrides(self, today: date, by: str | None = None) -> list[int]:
        """Mark every unexpired override whose ``valid_until`` is before ``today`` expired.

        Expiry is for good, so ``today`` may not be later than the store's clock (allowing one
        day for time zones): a later day would expire overrides still valid now.
        """
        who = by or current_user()
        now = self.clock()
        if today > (now + timedelta(days=1)).date():
            raise OverrideError(
                f"{self.path}: cannot expire overrides as of {today}, a day still to come "
                f"(it is {now:%Y-%m-%d} UTC); expiring is for good"
            )
        with self._write() as con:
            rows = con.execute(
                "select id, valid_until from overrides where expired_at is null and "
                "valid_until < ? order by id",
                [today],
            ).fetchall()
            for override_id, until in rows:
                expire(con, int(override_id), now, who, f"valid until {until}, expired {today}")
        return [int(r[0]) for r in rows]

    def withdraw_override(
        self, override_id: int, by: str | None = None, reason: str | None = None
    ) -> None:
        """Expire one override now, before its date; audited."""
        who = by or current_user()
        with self._write() as con:
            row = first_row(con, "select expired_at from overrides where id = ?", [override_id])
            if row is None:
                raise OverrideError(f"{self.path}: no override #{override_id}")
            if row[0] is not None:
                raise OverrideError(
                    f"{self.path}: override #{override_id} already expired on {row[0]:%Y-%m-%d}"
                )
            expire(con, override_id, self.clock(), who, reason or "withdrawn")

    def audit(self, override_id: int | None = None) -> pl.DataFrame:
        """The audit trail: every add and expiry, oldest first; of one override when given."""
        schema: dict[str, pl.DataType] = {
            "id": pl.Int64(),
            "override_id": pl.Int64(),
            "action": pl.String(),
            "recorded_at": pl.Datetime("us"),
            "recorded_by": pl.String(),
            "details": pl.String(),
        }
        frame = self._select("select * from override_audit order by id", schema)
        if override_id is not None:
            frame = frame.filter(pl.col("override_id") == override_id)
            if frame.is_empty():  # every override added has an entry
                raise OverrideError(f"{self.path}: no override #{override_id}")
        return frame

    def _select(self, sql: str, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
        """A small table as a frame: rows through Python, not Arrow (which would import
        pyarrow and numpy, about 0.1 s, on every run that reads the overrides)."""
        with self._read() as con:
            rows = [] if con is None else con.execute(sql).fetchall()
        return pl.DataFrame(rows, schema=dict(schema), orient="row")
