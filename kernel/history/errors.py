"""Errors of the history store and of overrides; every one names the store file or override."""

from __future__ import annotations

from pathlib import Path

from tierkit.errors import TierkitError


class StoreError(TierkitError):
    """The history store cannot be used as asked."""


class NotAStore(StoreError):
    """The file is not a DuckDB database, or a DuckDB database that is not a tierkit store."""


class StoreTooNew(StoreError):
    """The store was written by a newer tierkit with a schema this one cannot read."""


class StoreUnreadable(StoreError):
    """DuckDB cannot open the file (a newer DuckDB storage format, permissions, ...)."""


class StoreDamaged(StoreError):
    """The file is a DuckDB database whose blocks cannot be read back: truncated or overwritten.

    Nothing is written to a damaged store; every command that opens it says so.
    """


class StoreLocked(StoreError):
    """Another process holds the store open for writing."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        super().__init__(
            f"{path}: the history store is in use by another process ({detail}); DuckDB lets "
            "one process write at a time. Wait for it to finish, or give --store another file."
        )


class UnknownRun(StoreError):
    """A run reference matches no stored run, or more than one."""


class UnknownCustomer(StoreError):
    """A customer is in no stored run."""


class OverrideError(StoreError):
    """An override is malformed, unknown, or cannot apply to a decision."""
