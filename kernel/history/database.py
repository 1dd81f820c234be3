"""Opening the store's DuckDB file: schema and version, locks, and files that are no store."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tierkit.history import verified
from tierkit.history.errors import (
    NotAStore,
    StoreDamaged,
    StoreLocked,
    StoreTooNew,
    StoreUnreadable,
)

if TYPE_CHECKING:
    import duckdb

SCHEMA_VERSION = 3
"""The version of the tables below; a store with a higher version is refused. Version 3 keeps
each run's results as a Parquet blob in a table of its own (``run_blob_<seq>``); version 2 kept
them all in ``run_results``; version 1, as one table of columns per run."""

DDL = (
    "create table tierkit_meta (key varchar primary key, value varchar not null)",
    "create sequence run_seq start 1",
    "create sequence override_seq start 1",
    "create sequence audit_seq start 1",
    """create table runs (
        seq bigint not null,
        run_id varchar primary key,
        created_at timestamp not null,
        as_of date not null,
        ruleset varchar not null,
        ruleset_sha256 varchar,
        strategy varchar,
        engine varchar,
        backend varchar,
        customers bigint not null,
        decisions varchar not null,
        results_table varchar not null,
        results_schema blob not null,
        results_as_text varchar not null,
        manifest varchar not null
    )""",
    """create table overrides (
        id bigint primary key,
        customer_id varchar not null,
        decision varchar not null,
        value varchar not null,
        ruleset varchar,
        reason varchar not null,
        approved_by varchar not null,
        valid_until date not null,
        created_at timestamp not null,
        created_by varchar not null,
        expired_at timestamp,
        expired_by varchar,
        expired_reason varchar
    )""",
    """create table override_audit (
        id bigint not null,
        override_id bigint not null,
        action varchar not null,
        recorded_at timestamp not null,
        recorded_by varchar not null,
        details varchar not null
    )""",
)


@contextmanager
def connect(
    path: Path, *, write: bool, timeout: float
) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A connection to a checked store, or ``None`` when reading a store that does not exist yet.

    Writing creates the file and the tables. Every write runs in one transaction: on an error
    nothing of it is kept. While another process writes, opening is retried for ``timeout``
    seconds, then :class:`StoreLocked` is raised.

    A store whose blocks cannot be read back (a truncated file, a block overwritten) raises
    :class:`StoreDamaged` naming the file, whatever reads it; before a write every table is
    read once (:func:`verify`), so nothing is ever written to a damaged store. A write that
    succeeds records the file's stamp beside it (:mod:`tierkit.history.verified`): while the
    file is unchanged, the next write need not read it whole again.
    """
    if path.is_dir():
        raise NotAStore(f"{path}: is a folder, not a history store file")
    if not write and not path.exists():
        yield None
        return
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
    with damage_reported(path):
        con = _open(path, write, timeout)
    try:
        with damage_reported(path):
            usable = _check(con, path, write)
            if usable and write:
                verify(con, path)
        if not usable:
            yield None
            return
        if not write:
            with damage_reported(path):
                yield con
            return
        with damage_reported(path):
            con.execute("begin transaction")
            try:
                yield con
            except BaseException:
                _rollback(con)
                verified.forget(path)
                raise
            con.execute("commit")
            con.execute("checkpoint")  # into the file itself, so that its stamp is final
    finally:
        con.close()
    if write:  # read whole (or unchanged since) just before, and written by us since
        verified.record(path)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Undo the transaction; a database DuckDB gave up on has nothing left to undo."""
    import duckdb

    with suppress(duckdb.Error):
        con.execute("rollback")


def verify_store(path: Path, timeout: float = 10.0) -> None:
    """Read every table of the store at ``path`` once; :class:`StoreDamaged` if a block is bad.

    A missing file is fine (it is created by the first write). Commands that will write to
    the store call this before their work starts, so a damaged store stops them at once.
    """
    if path.is_dir() or not path.exists():
        with connect(path, write=False, timeout=timeout):
            return
    with connect(path, write=False, timeout=timeout) as con, damage_reported(path):
        if con is not None:
            verify(con, path)


def verify(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> None:
    """Read every value of every table, so that DuckDB checks the checksum of every block.

    About 0.5 s per 100 MB of store. With ``path``, skipped when the file is unchanged since
    it was last read whole or written by tierkit (:mod:`tierkit.history.verified`), and
    recorded as sound after the read.
    """
    if path is not None and verified.is_verified(path):
        return
    read_whole(con)
    if path is not None:
        verified.record(path)


def read_whole(con: duckdb.DuckDBPyConnection) -> None:
    """Read every value of every table (DuckDB checks each block's checksum as it reads it)."""
    tables = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema = 'main'"
    ).fetchall()
    for (table,) in tables:
        name = '"' + str(table).replace('"', '""') + '"'
        con.execute(f"select bit_xor(hash(columns(*))) from {name}").fetchall()


DAMAGE_SIGNS = (
    "corrupt database file",
    "could not read enough bytes",
    "checksum",
    "invalidated",
    "file is truncated",
)
"""Words of DuckDB's messages for a file whose blocks cannot be read back."""


def is_damage(exc: BaseException) -> bool:
    """Whether a DuckDB error says the file is damaged (not that a query is wrong)."""
    import duckdb

    if isinstance(exc, duckdb.InternalException | duckdb.FatalException):
        return True
    if isinstance(exc, duckdb.SerializationException):
        return True
    return isinstance(exc, duckdb.Error) and any(s in str(exc).lower() for s in DAMAGE_SIGNS)


def damaged(path: Path, exc: BaseException) -> StoreDamaged:
    """The error for a damaged store, with DuckDB's first line as the detail."""
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return StoreDamaged(
        f"{path}: the history store is damaged and cannot be used as a tierkit store "
        f"(DuckDB: {detail}); nothing was written to it. Restore the file from a backup, "
        "or give --store a new file name (--no-store to use none)"
    )


@contextmanager
def damage_reported(path: Path) -> Iterator[None]:
    """Turn DuckDB's errors about a damaged file into :class:`StoreDamaged` naming ``path``."""
    import duckdb

    try:
        yield
    except duckdb.Error as exc:
        if is_damage(exc):
            raise damaged(path, exc) from None
        raise


def first_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> tuple[Any, ...] | None:
    """The first row of a query, or ``None``; the result is read to its end, as DuckDB wants."""
    rows = con.execute(sql, params or []).fetchall()
    return tuple(rows[0]) if rows else None


def _open(path: Path, write: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    import duckdb  # only when a store is opened: importing it takes about 0.1 s

    _refuse_foreign(path)
    deadline = time.monotonic() + timeout
    while True:
        try:
            return duckdb.connect(str(path), read_only=not write)
        except duckdb.Error as exc:
            message = str(exc)
            if is_damage(exc):
                raise damaged(path, exc) from None
            if "could not set lock" in message.lower() or "conflicting lock" in message.lower():
                if time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                found = re.search(r"PID (\d+)", message)
                detail = f"process {found.group(1)}" if found else message.splitlines()[0]
                raise StoreLocked(path, detail) from None
            if "not a valid DuckDB database" in message:
                raise NotAStore(
                    f"{path}: is not a tierkit history store (not a DuckDB database file); "
                    "give --store a store written by tierkit, or a new file name"
                ) from None
            raise StoreUnreadable(
                f"{path}: DuckDB cannot open the history store: {message.splitlines()[0]}"
            ) from None


def _refuse_foreign(path: Path) -> None:
    """:class:`NotAStore` for an existing file without DuckDB's mark (``DUCK`` at byte 8).

    DuckDB itself would open a SQLite file through an extension it downloads, and a CSV or
    Parquet file as a view in a new in-memory database, with messages about neither.
    """
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except FileNotFoundError:
        return
    except OSError:
        return  # DuckDB says why, below
    if head[8:12] == b"DUCK":
        return
    sqlite = head.startswith(b"SQLite format 3\0")
    kind = "a SQLite database" if sqlite else "not a DuckDB database file"
    raise NotAStore(
        f"{path}: is not a tierkit history store ({kind}); "
        "give --store a store written by tierkit, or a new file name"
    )


def _check(con: duckdb.DuckDBPyConnection, path: Path, write: bool) -> bool:
    """Whether the file holds a store; create the tables in an empty database when writing."""
    tables = sorted(
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = 'main'"
        ).fetchall()
    )
    if "tierkit_meta" not in tables:
        if tables:
            shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
            raise NotAStore(
                f"{path}: is a DuckDB database but not a tierkit history store (it holds the "
                f"tables {shown}); give --store a new file name"
            )
        if not write:
            return False
        con.execute("begin transaction")
        for statement in DDL:
            con.execute(statement)
        con.execute("insert into tierkit_meta values ('schema_version', ?)", [str(SCHEMA_VERSION)])
        con.execute("commit")
        return True
    row = first_row(con, "select value from tierkit_meta where key = 'schema_version'")
    version = str(row[0]) if row else ""
    if not version.isdigit():
        raise NotAStore(f"{path}: the history store has no valid schema version ({version!r})")
    if int(version) > SCHEMA_VERSION:
        raise StoreTooNew(
            f"{path}: the history store was written by a newer tierkit (store version "
            f"{version}; this tierkit reads version {SCHEMA_VERSION} and older); upgrade tierkit"
        )
    return True
