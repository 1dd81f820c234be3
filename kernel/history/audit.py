"""The override audit trail in the store: every add and expiry, recorded in the same transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb


def expire(
    con: duckdb.DuckDBPyConnection, override_id: int, now: datetime, by: str, reason: str
) -> None:
    con.execute(
        "update overrides set expired_at = ?, expired_by = ?, expired_reason = ? where id = ?",
        [now, by, reason, override_id],
    )
    audit_row(con, override_id, "expire", now, by, {"reason": reason})


def audit_row(
    con: duckdb.DuckDBPyConnection,
    override_id: int,
    action: str,
    now: datetime,
    by: str,
    details: Mapping[str, Any],
) -> None:
    con.execute(
        "insert into override_audit values (nextval('audit_seq'), ?, ?, ?, ?, ?)",
        [override_id, action, now, by, json.dumps(details, sort_keys=True)],
    )
