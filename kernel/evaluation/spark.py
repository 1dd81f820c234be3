"""The Spark backend: the prepared tables as Spark data frames in a local (or configured) session.

``SPARK_MASTER`` chooses the master (``local[2]`` by default, so it runs on one machine with no
cluster); ``SPARK_LOCAL_IP`` defaults to 127.0.0.1. The session is created once per process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from tierkit.errors import EngineUnavailable


@lru_cache(maxsize=1)
def spark_session() -> Any:
    """A Spark session in UTC, without its web UI."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineUnavailable(
            "the spark backend needs PySpark and Java 17: pip install 'tierkit[spark]'"
        ) from exc
    session = (
        SparkSession.builder.master(os.environ.get("SPARK_MASTER", "local[2]"))
        .appName("tierkit")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_frames(tables: Mapping[str, pl.LazyFrame]) -> dict[str, nw.LazyFrame[Any]]:
    """Each table as a Spark data frame (unsigned integers widened: Spark has none)."""
    session = spark_session()
    frames = {}
    for name, frame in tables.items():
        data = frame.collect()
        data = data.with_columns(
            pl.col(c).cast(pl.Int64) for c, t in data.schema.items() if t.is_unsigned_integer()
        )
        frames[name] = nw.from_native(session.createDataFrame(data.to_arrow()))
    return frames
