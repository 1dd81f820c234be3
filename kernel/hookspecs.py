"""The tierkit plugin contract: every hook a plugin may implement.

A plugin is a module or object with functions named like these hooks and marked with
:data:`hookimpl`, registered through the ``tierkit`` entry-point group::

    [project.entry-points.tierkit]
    my_criteria = "my_package.criteria"

Definition hooks return a list of the objects of :mod:`tierkit.contract`; the kernel stamps each
with the plugin's name, refuses a name registered twice, and stops with an error naming the
plugin when a hook raises or returns something else. Event hooks return nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

from tierkit.contract import Criterion, Function, Source, Strategy, Writer

if TYPE_CHECKING:  # polars is imported when an evaluation runs, not with the contract
    import polars as pl

PROJECT = "tierkit"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

# --------------------------------------------------------------------------------------------
# definition hooks


@hookspec
def tierkit_criteria() -> Iterable[Criterion]:
    """Declare criteria: measurable facts about a customer.

    :returns: :class:`~tierkit.contract.Criterion` objects. Each names the tables and columns it
        needs (checked before anything runs), its parameters, and a ``compute(tables, window,
        params)`` function returning a lazy frame of ``customer_id``, ``period``, ``value``.
    """
    return ()  # a plugin that does not implement the hook declares nothing


@hookspec
def tierkit_strategies() -> Iterable[Strategy]:
    """Declare strategies: what a customer's ``value`` means under one company objective.

    :returns: :class:`~tierkit.contract.Strategy` objects naming the criterion (and parameters)
        that ``value`` stands for, e.g. ``working-capital`` → ``payments.received``.
    """
    return ()  # a plugin that does not implement the hook declares nothing


@hookspec
def tierkit_functions() -> Iterable[Function]:
    """Declare extra functions for ruleset expressions.

    :returns: :class:`~tierkit.contract.Function` objects with their argument types, result
        type and a ``compile`` function building a narwhals expression.
    """
    return ()  # a plugin that does not implement the hook declares nothing


@hookspec
def tierkit_sources() -> Iterable[Source]:
    """Declare data source kinds: a folder of files, a database file, a URL scheme.

    :returns: :class:`~tierkit.contract.Source` objects that say which paths they accept and
        open them as a mapping of table names to narwhals lazy frames.
    """
    return ()  # a plugin that does not implement the hook declares nothing


@hookspec
def tierkit_writers() -> Iterable[Writer]:
    """Declare output formats for results, chosen by file extension.

    :returns: :class:`~tierkit.contract.Writer` objects.
    """
    return ()  # a plugin that does not implement the hook declares nothing


# --------------------------------------------------------------------------------------------
# run hooks


@hookspec
def tierkit_run_started(manifest: Mapping[str, Any]) -> None:
    """Called when an evaluation starts, before any data is read.

    :param manifest: what is known of the run so far: run id, as-of date, ruleset name and
        hash, strategy, engine, backend.
    """


@hookspec
def tierkit_run_finished(manifest: Mapping[str, Any], results: pl.DataFrame) -> None:
    """Called when an evaluation has decided every customer and stored the run.

    :param manifest: the complete run manifest (see docs/concepts.md "Results").
    :param results: the results as a polars data frame, one row per customer.
    """
