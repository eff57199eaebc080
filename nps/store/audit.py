"""The audit trail: every write, with who, when, what, and the values before and after, appended only.

A write records itself inside its own transaction (:func:`record`), so a change and its
record are committed together or not at all. Nothing in the library updates or deletes a
row of ``audit_log``; :func:`audit_entries` reads it, newest first.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import duckdb

from nps.store import sql

# Who a change is recorded as when nobody signed in: the single-user mode's one person.
LOCAL_ACTOR = "local user"


@dataclass(frozen=True)
class AuditEntry:
    """One recorded write: its number, time, who did it, the action, its target and the values around it."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str | None
    before: Any
    after: Any


def record(cur: duckdb.DuckDBPyConnection, actor: str, action: str, target: str | None,
           before: Any = None, after: Any = None) -> None:
    """Append one entry (call it inside the write's own ``store.transaction``).

    ``before`` and ``after`` are JSON-serialisable values (None when there was nothing before or is
    nothing after). Raises ValueError for an empty actor or action: a write nobody did is not recorded.
    """
    if not actor.strip() or not action.strip():
        raise ValueError("an audit entry needs who (actor) and what (action)")
    sql.execute(
        cur,
        "INSERT INTO audit_log (happened_at, actor, action, target, before_value, after_value) VALUES (?, ?, ?, ?, ?, ?)",
        [dt.datetime.now(), actor, action, target,
         None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
         None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True)],
    )


# A filter on who and what, None for any: its values are (actor, actor, action, action).
_WHERE = " WHERE (CAST(? AS VARCHAR) IS NULL OR actor = ?) AND (CAST(? AS VARCHAR) IS NULL OR action = ?)"


def audit_entries(cur: duckdb.DuckDBPyConnection, *, limit: int | None = None, offset: int = 0,
                  actor: str | None = None, action: str | None = None) -> list[AuditEntry]:
    """The audit trail, newest first: all of it, or ``limit`` entries after skipping ``offset``;
    only ``actor``'s and only ``action`` entries when given (exact match)."""
    rows = sql.fetch_all(
        cur,
        "SELECT id, happened_at, actor, action, target, before_value, after_value FROM audit_log"
        + _WHERE + " ORDER BY id DESC LIMIT ? OFFSET ?",
        [actor, actor, action, action, limit if limit is not None else 2**62, max(offset, 0)],
    )
    return [AuditEntry(int(i), at, actor, action, target,
                       None if before is None else json.loads(before), None if after is None else json.loads(after))
            for i, at, actor, action, target, before, after in rows]


def count_audit_entries(cur: duckdb.DuckDBPyConnection, *, actor: str | None = None,
                        action: str | None = None) -> int:
    """How many entries :func:`audit_entries` would return with the same filter and no limit."""
    return int(sql.fetch_value(cur, "SELECT count(*) FROM audit_log" + _WHERE, [actor, actor, action, action]) or 0)


def audit_choices(cur: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """The actors and the actions that occur in the trail, each sorted: the choices of its filters."""
    actors = [a for (a,) in sql.fetch_all(cur, "SELECT DISTINCT actor FROM audit_log ORDER BY 1")]
    actions = [a for (a,) in sql.fetch_all(cur, "SELECT DISTINCT action FROM audit_log ORDER BY 1")]
    return actors, actions
