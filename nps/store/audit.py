"""The audit trail: every write, with who, when, what, and the values before and after, appended only.

A write records itself inside its own transaction (:func:`record`), so a change and its
record are committed together or not at all. Nothing in the library updates or deletes a
row of ``audit_log``; :func:`audit_entries` reads it, newest first, filtered by day, actor,
action and count.

Recorded: a dataset loaded or a wave appended (:mod:`nps.ingest.commit`), remapped
(:mod:`nps.ingest.remap`), renamed or deleted (:mod:`nps.store.catalog`), targets changed
(:mod:`nps.store.targets`), a codebook version saved (:mod:`nps.store.codebooks`), users added,
changed or removed (:mod:`nps.store.users`), improvement actions created or changed (:mod:`nps.store.actions`),
reviews, their meetings, notes, decisions, linked actions and queued packs (:mod:`nps.store.reviews`). Not recorded, being derived data or upkeep and no
one's action: comment tags and their cache (:mod:`nps.store.tagging`), the scheduler's housekeeping
and snapshot, the removal of an interrupted load's leftovers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from nps.store import sql

# Who a change is recorded as when nobody signed in: the single-user mode's one person.
LOCAL_ACTOR = "local user"
# Who a change the app makes by itself is recorded as: the sample data loaded into an empty database at start.
APP_ACTOR = "app"


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

    def describe(self) -> dict[str, Any]:
        """The entry as plain values (the command line's JSON): the time as ISO text, before and after as recorded."""
        return {"id": self.id, "at": self.at.isoformat(timespec="seconds"), "actor": self.actor,
                "action": self.action, "target": self.target, "before": self.before, "after": self.after}


def record(cur: duckdb.DuckDBPyConnection, actor: str, action: str, target: str | None,
           before: Any = None, after: Any = None) -> None:
    """Append one entry (call it inside the write's own ``store.transaction``).

    ``before`` and ``after`` are JSON-serialisable values (None when there was nothing before or is
    nothing after). Raises ValueError for an empty actor or action: a write nobody did is not recorded.
    """
    record_many(cur, actor, action, [(target, before, after)])


def record_many(cur: duckdb.DuckDBPyConnection, actor: str, action: str,
                entries: Sequence[tuple[str | None, Any, Any]]) -> None:
    """Append one entry per (target, before, after) of ``entries``, all by ``actor`` doing ``action``, in one statement.

    For a write that changes many things at once (the follow-up sweep opening a batch of cases);
    the same rules as :func:`record`.
    """
    if not actor.strip() or not action.strip():
        raise ValueError("an audit entry needs who (actor) and what (action)")
    if not entries:
        return
    now = dt.datetime.now()
    params: list[Any] = []
    for target, before, after in entries:
        params.extend([now, actor, action, target,
                       None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
                       None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True)])
    rows = ", ".join("(?, ?, ?, ?, ?, ?)" for _ in entries)
    sql.execute(cur, f"INSERT INTO audit_log (happened_at, actor, action, target, before_value, after_value) VALUES {rows}",
                params)


def audit_entries(cur: duckdb.DuckDBPyConnection, *, limit: int | None = None, since: dt.date | None = None,
                  actor: str | None = None, action: str | None = None, offset: int = 0) -> list[AuditEntry]:
    """The audit trail, newest first: all of it, or the entries that match every filter given.

    ``since``: entries of that day or later (local time, as recorded); ``actor`` and ``action``:
    exact matches (``action`` ignoring case); ``limit``: the ``limit`` newest of those, after skipping
    the ``offset`` newest (the Admin page's paging). The filters are bound parameters, never SQL text.
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more, not {limit}")
    where, params = _where(since=since, actor=actor, action=action)
    rows = sql.fetch_all(
        cur,
        "SELECT id, happened_at, actor, action, target, before_value, after_value FROM audit_log"
        f"{where} ORDER BY id DESC LIMIT ? OFFSET ?",
        [*params, limit if limit is not None else 2**62, max(offset, 0)],
    )
    return [AuditEntry(int(i), at, actor, action, target,
                       None if before is None else json.loads(before), None if after is None else json.loads(after))
            for i, at, actor, action, target, before, after in rows]


def _where(*, since: dt.date | None, actor: str | None, action: str | None) -> tuple[str, list[Any]]:
    """The WHERE clause of :func:`audit_entries`' filters (fixed text) and its bound parameters."""
    parts: list[str] = []
    params: list[Any] = []
    if since is not None:
        parts.append("happened_at >= ?")
        params.append(dt.datetime.combine(since, dt.time(0)))
    if actor is not None:
        parts.append("actor = ?")
        params.append(actor)
    if action is not None:
        parts.append("lower(action) = lower(?)")
        params.append(action)
    return (" WHERE " + " AND ".join(parts) if parts else ""), params


def actions(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """The actions the trail holds, alphabetically (what ``--action`` can pick)."""
    return [str(a) for (a,) in sql.fetch_all(cur, "SELECT DISTINCT action FROM audit_log ORDER BY action")]


def count_audit_entries(cur: duckdb.DuckDBPyConnection, *, since: dt.date | None = None, actor: str | None = None,
                        action: str | None = None) -> int:
    """How many entries :func:`audit_entries` would return with the same filters and no limit."""
    where, params = _where(since=since, actor=actor, action=action)
    return int(sql.fetch_value(cur, f"SELECT count(*) FROM audit_log{where}", params) or 0)


def actors(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Who the trail names, alphabetically (what the Admin page's *Who* filter can pick)."""
    return [str(a) for (a,) in sql.fetch_all(cur, "SELECT DISTINCT actor FROM audit_log ORDER BY actor")]
