"""A PostgreSQL database as a data source: ``--data postgresql://USER@HOST:PORT/DB?schema=NAME``.

Opening the source connects once, checks the login and lists the tables and views of the schema
with their column types; no row is read then. Each table becomes a polars lazy frame (an IO
source) that reads, when the kernel collects it, only the columns the kernel asks for, with
``COPY (SELECT …) TO STDOUT`` through psycopg 3, parsed into Arrow with the types the catalog
gives: ``numeric(p, s)`` becomes an exact decimal, ``date`` a date, text stays text. The source
contract hands no date window to a source, so the window is applied by the kernel after reading
(see docs/decisions.md).

Every failure is a :class:`~tierkit.errors.DataInvalid` naming the server by a URL whose
password is masked: a password never appears in a message.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from tierkit.contract import OpenedSource, Source
from tierkit.errors import DataInvalid, DataProblem
from tierkit.hookspecs import hookimpl

if TYPE_CHECKING:  # polars is imported by the functions that read or write
    import narwhals.stable.v2 as nw
    import polars as pl
else:
    from tierkit.plugins._lazy import nw

SCHEMES = ("postgresql://", "postgres://")
INSTALL = "reading PostgreSQL needs the postgres extra: pip install 'tierkit[postgres]'"
CONNECT_TIMEOUT = 10  # seconds; libpq's default is to wait for ever

# PostgreSQL type name (pg_type.typname) → Arrow type; anything else is read as text.
_PLAIN_TYPES: Mapping[str, str] = {
    "int2": "int16",
    "int4": "int32",
    "int8": "int64",
    "float4": "float32",
    "float8": "float64",
    "bool": "bool",
    "date": "date32",
    "timestamp": "timestamp",
}


def accepts(location: str) -> bool:
    return location.lower().startswith(SCHEMES)


@dataclass(frozen=True)
class Target:
    """What a ``postgresql://`` URL names: the connection string, the schema, a masked name."""

    conninfo: str
    """The URL without tierkit's own ``schema`` parameter, as libpq takes it."""
    schema: str | None
    """The schema named by ``?schema=``; None for the connection's own (its search_path)."""
    shown: str
    """The URL without its password and query, to name the server in messages."""
    password: str | None


def parse_url(location: str) -> Target:
    """Split a URL into what libpq needs, the schema, and a name safe to print."""
    parts = urlsplit(location)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for key, value in query if key == "schema"]
    rest = [(key, value) for key, value in query if key != "schema"]
    if not any(key == "connect_timeout" for key, _ in rest):
        rest.append(("connect_timeout", str(CONNECT_TIMEOUT)))
    # built by hand: urlunsplit drops the // of postgresql:///db (a socket, or PGHOST)
    conninfo = f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(rest, quote_via=quote)}"
    return Target(conninfo, schemas[-1] if schemas else None, mask(location), parts.password)


def mask(location: str) -> str:
    """``location`` without its password (``user:secret@host`` → ``user@host``) and query."""
    parts = urlsplit(location)
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    host = f"{user}@{netloc[2]}" if netloc[1] else netloc[2]
    return f"{parts.scheme}://{host}{parts.path}"


def _problem(target: Target, message: str) -> DataInvalid:
    if target.password:
        message = message.replace(target.password, "***")
        if unquote(target.password) != target.password:
            message = message.replace(unquote(target.password), "***")
    return DataInvalid([DataProblem(target.shown, message)])


def _server(location: str) -> str:
    parts = urlsplit(location)
    host = parts.hostname or "the local socket"
    try:
        port = parts.port or 5432
    except ValueError:
        return host
    return f"{host}:{port}"


def _first_line(exc: BaseException) -> str:
    """libpq's message without the server's address, said once already, nor its ``FATAL:``."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    text = re.sub(r"^connection failed: ", "", text)
    text = re.sub(r"^connection to server (at|on) .*?(, port \d+)? failed: ", "", text)
    return re.sub(r"^(FATAL|ERROR):\s+", "", text)


# Columns of the tables and views of one schema, in table order, with their type, precision and
# scale (numeric(18, 2) gives 18 and 2; an unconstrained numeric gives nulls).
_CATALOG = """
select c.relname, a.attname, t.typname,
       information_schema._pg_numeric_precision(a.atttypid, a.atttypmod),
       information_schema._pg_numeric_scale(a.atttypid, a.atttypmod)
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
join pg_type t on t.oid = a.atttypid
where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p', 'f')
  and has_table_privilege(c.oid, 'select')
order by c.relname, a.attnum
"""


@dataclass(frozen=True)
class PgColumn:
    name: str
    type_name: str
    precision: int | None
    scale: int | None

    def is_decimal(self) -> bool:
        """A ``numeric(p, s)`` that fits Arrow's decimal128 (up to 38 digits)."""
        p, s = self.precision, self.scale
        return self.type_name == "numeric" and p is not None and s is not None and 0 <= s <= p <= 38

    def arrow_type(self) -> Any:
        import pyarrow as pa

        if self.is_decimal():
            return pa.decimal128(self.precision, self.scale)
        plain = _PLAIN_TYPES.get(self.type_name)
        if plain == "date32":
            return pa.date32()
        if plain == "timestamp":
            return pa.timestamp("us")
        if plain is not None:
            return getattr(pa, plain)()
        return pa.string()

    def select(self) -> str:
        """The column in the ``SELECT`` list: types without an Arrow twin are sent as text."""
        quoted = quote_name(self.name)
        known = self.type_name in _PLAIN_TYPES or self.type_name in ("text", "varchar", "bpchar")
        if self.type_name in ("date", "timestamp"):  # 'infinity' has no Arrow twin: missing
            return f"case when isfinite({quoted}) then {quoted} end as {quoted}"
        if known or self.is_decimal():
            return quoted
        if self.type_name == "money":  # '$1,100.37' in the server's locale: its digits instead
            return f"{quoted}::numeric::text as {quoted}"
        return f"{quoted}::text as {quoted}"


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _connect(target: Target) -> Any:
    import psycopg

    return psycopg.connect(target.conninfo, autocommit=True)


def open_postgres(location: str) -> OpenedSource:
    target = parse_url(location)
    try:
        import psycopg
    except ModuleNotFoundError:
        raise _problem(target, INSTALL) from None
    try:
        with _connect(target) as con:
            schema = target.schema
            if schema is None:
                row = con.execute("select current_schema()").fetchone()
                schema = row[0] if row else None
            if schema is None:
                raise _problem(
                    target,
                    "the connection has no schema to read (its search_path is "
                    "empty); name one with ?schema=NAME",
                )
            exists = con.execute(
                "select 1 from pg_namespace where nspname = %s", (schema,)
            ).fetchone()
            if exists is None:
                raise _problem(target, f"no schema '{schema}' in the database")
            columns: dict[str, list[PgColumn]] = {}
            for table, name, type_name, precision, scale in con.execute(_CATALOG, (schema,)):
                columns.setdefault(table, []).append(PgColumn(name, type_name, precision, scale))
    except psycopg.OperationalError as exc:
        said = _first_line(exc)
        if "authentication" in said or 'role "' in said:
            what = "refused the login"
        elif "FATAL" in str(exc):  # the server answered: a database or an option it refuses
            what = "refused the connection"
        else:
            what = "cannot be reached"
        raise _problem(target, f"the server at {_server(location)} {what}: {said}") from None
    except psycopg.Error as exc:
        raise _problem(target, f"cannot read the database's tables: {_first_line(exc)}") from None
    tables = {
        name: nw.from_native(_scan(target, schema, name, cols)) for name, cols in columns.items()
    }
    origins = {name: f"{target.shown}:{schema}.{name}" for name in columns}
    return OpenedSource(tables, origins)


def _scan(target: Target, schema: str, table: str, columns: Sequence[PgColumn]) -> pl.LazyFrame:
    """A lazy frame that reads the table when collected, only the columns asked for."""
    import polars as pl
    import pyarrow as pa
    from polars.io.plugins import register_io_source

    by_name = {c.name: c for c in columns}
    arrow_schema = pa.schema([(c.name, c.arrow_type()) for c in columns])
    polars_schema = pl.from_arrow(arrow_schema.empty_table()).schema  # type: ignore[union-attr]

    def read(
        with_columns: list[str] | None,
        predicate: pl.Expr | None,
        n_rows: int | None,
        batch_size: int | None,
    ) -> Iterator[pl.DataFrame]:
        # the columns asked for and those the filter needs; for a row count, the first
        if with_columns is None:
            names = [c.name for c in columns]
        else:
            names = list(with_columns) if with_columns else [columns[0].name]
        if predicate is not None:
            names += [n for n in predicate.meta.root_names() if n not in names]
        frame = _read(
            target,
            schema,
            table,
            [by_name[n] for n in names],
            n_rows if predicate is None else None,
        )
        if predicate is not None:
            frame = frame.filter(predicate)
            if n_rows is not None:
                frame = frame.head(n_rows)
        yield frame if with_columns is None else frame.select(with_columns or names[:1])

    try:
        return register_io_source(
            read,
            schema=polars_schema,
            explain_name="PostgreSQL",
            explain_detail=f"{schema}.{table}",
        )
    except TypeError:  # a polars older than the scan's names in explain()
        return register_io_source(read, schema=polars_schema)


def _read(
    target: Target, schema: str, table: str, columns: Sequence[PgColumn], n_rows: int | None
) -> pl.DataFrame:
    """The rows of ``columns``: ``COPY … TO STDOUT`` as CSV, parsed by Arrow with known types.

    Arrow parses the rows as they arrive, a block at a time, so the text of the whole table is
    never held in memory.
    """
    import polars as pl
    import psycopg
    import pyarrow as pa
    import pyarrow.csv as pacsv

    select = ", ".join(c.select() for c in columns)
    sql = f"select {select} from {quote_name(schema)}.{quote_name(table)}"
    if n_rows is not None:
        sql += f" limit {int(n_rows)}"
    arrow_schema = pa.schema([(c.name, c.arrow_type()) for c in columns])
    options = {
        "read_options": pacsv.ReadOptions(
            column_names=[c.name for c in columns], block_size=BLOCK_SIZE
        ),
        "parse_options": pacsv.ParseOptions(newlines_in_values=True),
        "convert_options": pacsv.ConvertOptions(
            column_types={c.name: c.arrow_type() for c in columns},
            # COPY writes NULL unquoted and an empty text as "": keep them apart
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            null_values=[""],
            true_values=["t"],
            false_values=["f"],
        ),
    }
    try:
        with (
            _connect(target) as con,
            con.cursor() as cur,
            cur.copy(f"copy ({sql}) to stdout (format csv)") as copy,
        ):
            stream = _Chunks(iter(copy))
            # each block becomes polars' own as soon as it is parsed, so Arrow's copy is freed
            frames = [_frame(arrow_schema.empty_table())]
            if not stream.at_end():
                reader = pacsv.open_csv(io.BufferedReader(stream, BLOCK_SIZE), **options)
                frames.extend(_frame(batch) for batch in reader)
    except psycopg.Error as exc:
        raise _problem(target, f"cannot read {schema}.{table}: {_first_line(exc)}") from None
    except pa.ArrowInvalid as exc:  # a value Arrow cannot hold, such as a date BC
        raise _problem(target, f"cannot read {schema}.{table}: {_first_line(exc)}") from None
    return pl.concat(frames, rechunk=False)


def _frame(arrow: Any) -> pl.DataFrame:
    import polars as pl

    frame = pl.from_arrow(arrow)
    assert isinstance(frame, pl.DataFrame)
    return frame


BLOCK_SIZE = 1 << 20  # bytes of CSV text Arrow parses at a time


class _Chunks(io.RawIOBase):
    """The chunks ``COPY`` sends, as a file Arrow reads from."""

    def __init__(self, chunks: Iterator[Any]) -> None:
        self._chunks = chunks
        self._chunk = memoryview(b"")

    def readable(self) -> bool:
        return True

    def at_end(self) -> bool:
        """Whether no byte is left (fetches the next chunk to know)."""
        while not self._chunk:
            chunk = next(self._chunks, None)
            if chunk is None:
                return True
            self._chunk = memoryview(chunk)
        return False

    def readinto(self, buffer: Any) -> int:
        if self.at_end():
            return 0
        size = min(len(buffer), len(self._chunk))
        buffer[:size] = self._chunk[:size]
        self._chunk = self._chunk[size:]
        return size


@hookimpl(trylast=True)  # a plugin's sources come first, as for the built-in files
def tierkit_sources() -> list[Source]:
    return [
        Source(
            "postgres",
            "a PostgreSQL database URL, postgresql://USER@HOST:PORT/DB?schema=NAME, one table or "
            "view per table",
            accepts,
            open_postgres,
        )
    ]


__all__: list[str] = ["accepts", "mask", "open_postgres", "parse_url", "tierkit_sources"]
