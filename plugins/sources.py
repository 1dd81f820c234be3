"""Built-in data sources: a folder of files (CSV, Parquet, Excel), a DuckDB file, a SQLite file.

CSV and Excel cells are read as text and parsed by the kernel, so a file gives the same values
whatever the backend; every frame carries ``_row``, the row number a user sees in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tierkit.contract import OpenedSource, Source
from tierkit.errors import DataInvalid, DataProblem
from tierkit.hookspecs import hookimpl
from tierkit.plugins._csv import csv_problems
from tierkit.plugins._xlsx_cells import (
    hidden_first_sheet,
    odd_cells,
    unsaved_formulas_problem,
    with_error_text,
)

if TYPE_CHECKING:  # polars is imported by the functions that read or write
    import narwhals.stable.v2 as nw
    import polars as pl
else:
    from tierkit.plugins._lazy import nw

ROW = "_row"
FILE_KINDS = (".csv", ".parquet", ".xlsx")


def _is_folder(location: str) -> bool:
    return Path(location).is_dir()


def _open_folder(location: str) -> OpenedSource:
    folder = Path(location)
    files: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in FILE_KINDS and not path.name.startswith((".", "~$")):
            files.setdefault(path.stem, []).append(path)
    problems = [
        DataProblem(
            str(folder),
            f"table '{name}' is given twice ({', '.join(p.name for p in ps)});"
            " keep one file per table",
        )
        for name, ps in files.items()
        if len(ps) > 1
    ]
    for paths in files.values():
        problems += _file_problems(paths[0])
    if problems:
        raise DataInvalid(problems)
    tables = {name: nw.from_native(_read_file(paths[0])) for name, paths in files.items()}
    origins = {name: str(paths[0]) for name, paths in files.items()}
    return OpenedSource(tables, origins)


def _file_problems(path: Path) -> list[DataProblem]:
    """What keeps the file of a table from being read, each named (nothing: an empty list)."""
    import polars as pl

    suffix = path.suffix.lower()
    if suffix == ".csv":
        return csv_problems(path)
    if path.is_dir() and suffix != ".parquet":  # a Parquet dataset may be a folder of parts
        return [DataProblem(str(path), "is a folder, expected a file")]
    if path.is_file() and path.stat().st_size == 0:
        return [DataProblem(str(path), "is empty (0 bytes)")]
    if suffix != ".parquet":
        return []
    parts = _parquet_parts(path)
    if not parts:
        return [DataProblem(str(path), "is a folder without Parquet files (*.parquet) in it")]
    first: pl.Schema | None = None
    for part in parts:
        if part.stat().st_size == 0:
            return [DataProblem(str(part), "is empty (0 bytes)")]
        try:
            schema = pl.scan_parquet(part, glob=False).collect_schema()  # the footer only
        except Exception as exc:
            said = (str(exc).splitlines() or [type(exc).__name__])[0]
            return [DataProblem(str(part), f"cannot be read as a Parquet file: {said}")]
        merged = schema if first is None else _merged(first, schema)
        if first is not None and merged is None:
            said = _difference(schema, first, parts[0].name)
            return [
                DataProblem(
                    str(part), f"{said}; every part of a Parquet dataset needs the same columns"
                )
            ]
        first = merged
    return []


def _merged(first: pl.Schema, schema: pl.Schema) -> pl.Schema | None:
    """The columns of two parts of a dataset, where one part may hold a column of no value at
    all (type null: pandas writes a chunk's empty column so) that the other gives a type;
    ``None`` when they differ otherwise."""
    import polars as pl

    if list(first) != list(schema):
        return None
    merged: dict[str, pl.DataType] = {}
    for name, dtype in first.items():
        other = schema[name]
        if dtype != other and pl.Null not in (dtype, other):
            return None
        merged[name] = other if dtype == pl.Null else dtype
    return pl.Schema(merged)


def _parquet_parts(path: Path) -> list[Path]:
    """The files a Parquet table is read from: the file itself, or the ``*.parquet`` files of
    a dataset folder (in any depth, for Hive partitions such as ``region=North/``), leaving out
    what Spark and Hadoop write beside them (``_SUCCESS``, ``.part-0.parquet.crc``)."""
    if not path.is_dir():
        return [path]
    return sorted(
        part
        for part in path.rglob("*")
        if part.suffix.lower() == ".parquet"
        and part.is_file()
        and not any(n.startswith((".", "_")) for n in part.relative_to(path).parts)
    )


def _scan_dataset(path: Path) -> pl.LazyFrame:
    """The parts of a Parquet dataset folder as one table; a Hive partition's value is text,
    parsed as a CSV cell is (inferred, ``customer_id=007`` was the number 7: customer 7's)."""
    import polars as pl

    parts = _parquet_parts(path)
    folders = {folder for part in parts for folder in part.relative_to(path).parts[:-1]}
    keys = sorted({_partition_key(folder) for folder in folders} - {""})
    schemas = [pl.scan_parquet(part, glob=False).collect_schema() for part in parts]
    common = schemas[0]
    for schema in schemas[1:]:
        common = _merged(common, schema) or common  # parts that differ were refused
    frame = pl.scan_parquet(
        [str(part) for part in parts],
        glob=False,
        hive_partitioning=True,
        hive_schema={key: pl.String for key in keys} or None,
        # a part's column of type null is read as the other parts' type
        schema=common if any(schema != common for schema in schemas) else None,
    )
    return _numbered(frame, first=1)


def _numbered(frame: pl.LazyFrame, first: int) -> pl.LazyFrame:
    """``frame`` with the row number a user sees in column :data:`ROW`, from ``first``; a
    column of the file so named (an export's own numbering) is no column a criterion reads:
    it is left out, where it made adding ours an internal error."""
    if ROW in frame.clone().collect_schema().names():  # a clone: the scan keeps its plan
        frame = frame.drop(ROW)
    return frame.with_row_index(ROW, offset=first)


def _partition_key(folder: str) -> str:
    """The column a Hive partition folder (``region=North``) gives ("" for another folder)."""
    key, equals, _ = folder.partition("=")
    return key if equals else ""


def _difference(schema: pl.Schema, first: pl.Schema, name: str) -> str:
    """The first column in which a part's ``schema`` differs from ``first``, the one of ``name``."""
    for column, dtype in first.items():
        if column not in schema:
            return f"column '{column}' is missing (it is in {name})"
        if schema[column] != dtype:
            return f"column '{column}' holds {schema[column]}, in {name} {dtype}"
    extra = next(column for column in schema if column not in first)
    return f"column '{extra}' is not in {name}"


def _read_file(path: Path) -> pl.LazyFrame:
    import polars as pl

    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = pl.scan_csv(
            path,
            infer_schema=False,
            encoding="utf8-lossy",
            glob=False,  # a folder named 'sales[2025]' or 'data*' is a name, not a pattern
        )
        # a line of empty fields (',,': a row Excel saved emptied but formatted) is no row, as
        # an empty row of a sheet is not
        return _numbered(rows, first=2).filter(~pl.all_horizontal(pl.exclude(ROW).is_null()))
    if suffix == ".parquet" and path.is_dir():
        return _scan_dataset(path)
    if suffix == ".parquet":
        return _numbered(pl.scan_parquet(path, glob=False), first=1)
    hidden = hidden_first_sheet(path)
    if hidden is not None:
        raise DataInvalid([hidden])
    try:
        frame = pl.read_excel(path, engine="calamine", infer_schema_length=0, drop_empty_rows=False)
        header = pl.read_excel(
            path,
            engine="calamine",
            has_header=False,
            infer_schema_length=0,
            read_options={"n_rows": 1},
        )
    except ModuleNotFoundError as exc:
        raise DataInvalid(
            [
                DataProblem(
                    str(path),
                    "reading Excel files needs fastexcel, which tierkit installs; "
                    "reinstall it: pip install fastexcel",
                )
            ]
        ) from exc
    except Exception as exc:
        said = (str(exc).splitlines() or [type(exc).__name__])[0]
        if "empty Excel sheet" in said:  # the data may be on another sheet, never read
            raise DataInvalid(
                [
                    DataProblem(
                        str(path),
                        "its first sheet is empty; tierkit reads the first sheet only, with "
                        "the column names in its first row: move the table there",
                    )
                ]
            ) from exc
        raise DataInvalid(
            [DataProblem(str(path), "cannot be read as an Excel workbook: " + said)]
        ) from exc
    names = [str(v).strip() for v in header.row(0) if v is not None] if header.height else []
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:  # polars would rename the second one (amount_1) and read the first silently
        raise DataInvalid(
            [
                DataProblem(
                    str(path),
                    f"row 1: column '{n}' appears twice in the header; keep one",
                    column=n,
                )
                for n in twice
            ]
        )
    cells = odd_cells(path)
    if cells.unsaved:
        raise DataInvalid([unsaved_formulas_problem(str(path), cells, frame.columns)])
    # Rows are numbered as the sheet numbers them: calamine's table starts at the first row
    # with something in it, and empty rows are kept until they are numbered.
    numbered = _numbered(with_error_text(frame, cells).lazy(), first=cells.first_row + 1)
    return numbered.filter(~pl.all_horizontal(pl.exclude(ROW).is_null()))


def _magic(location: str) -> bytes:
    path = Path(location)
    if not path.is_file():
        return b""
    with path.open("rb") as handle:
        return handle.read(16)


def _is_duckdb(location: str) -> bool:
    return _magic(location)[8:12] == b"DUCK"


def _is_sqlite(location: str) -> bool:
    return _magic(location).startswith(b"SQLite format 3\x00")


def _open_duckdb(location: str) -> OpenedSource:
    import duckdb  # only for DuckDB files: importing it costs 0.1 s at every start

    with duckdb.connect(location, read_only=True) as con:
        names = [
            r[0]
            for r in con.sql(
                "select table_name from information_schema.tables "
                "where table_schema = 'main' order by table_name"
            ).fetchall()
        ]
        tables = {
            name: nw.from_native(con.sql(f'select * from "{name}"').pl().lazy()) for name in names
        }
    return OpenedSource(tables, {name: f"{location}:{name}" for name in names})


def _open_sqlite(location: str) -> OpenedSource:
    import sqlite3

    import polars as pl

    with sqlite3.connect(f"file:{location}?mode=ro", uri=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select name from sqlite_master where type in ('table', 'view') "
                "and name not like 'sqlite_%' order by name"
            )
        ]
        tables = {}
        for name in names:
            frame = pl.read_database(f'select * from "{name}"', con, infer_schema_length=None)
            tables[name] = nw.from_native(frame.lazy())
    return OpenedSource(tables, {name: f"{location}:{name}" for name in names})


@hookimpl(trylast=True)
def tierkit_sources() -> list[Source]:
    return [
        Source(
            "folder",
            "a folder with one file per table (CSV, Parquet or Excel)",
            _is_folder,
            _open_folder,
        ),
        Source("duckdb", "a DuckDB database file, one table per table", _is_duckdb, _open_duckdb),
        Source("sqlite", "a SQLite database file, one table per table", _is_sqlite, _open_sqlite),
    ]
