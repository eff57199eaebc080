"""A dataset's history: the changes made to it after loading (a remap), with the counts before and after."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from nps.store import sql
from nps.store.catalog import ColumnMapping


@dataclass(frozen=True)
class HistoryEntry:
    """One change made to a dataset after it was loaded: when, what, and the counts before and after."""

    dataset_id: int
    changed_at: dt.datetime
    action: str
    summary: str
    mapping_before: ColumnMapping
    mapping_after: ColumnMapping
    accepted_before: int
    accepted_after: int
    rejected_before: int
    rejected_after: int


def record_history(cur: duckdb.DuckDBPyConnection, entry: HistoryEntry) -> None:
    """Add a change to a dataset's history (inside the caller's transaction)."""
    sql.execute(
        cur,
        "INSERT INTO dataset_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            entry.dataset_id, entry.changed_at, entry.action, entry.summary, entry.mapping_before.to_json(),
            entry.mapping_after.to_json(), entry.accepted_before, entry.accepted_after, entry.rejected_before,
            entry.rejected_after,
        ],
    )


def dataset_history(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> list[HistoryEntry]:
    """A dataset's changes after loading, oldest first."""
    rows = sql.fetch_all(
        cur,
        "SELECT dataset_id, changed_at, action, summary, mapping_before, mapping_after, accepted_before, "
        "accepted_after, rejected_before, rejected_after FROM dataset_history WHERE dataset_id = ? "
        "ORDER BY changed_at, rowid",
        [dataset_id],
    )
    return [
        HistoryEntry(
            dataset_id=int(r[0]), changed_at=r[1], action=str(r[2]), summary=str(r[3]),
            mapping_before=ColumnMapping.from_json(r[4]), mapping_after=ColumnMapping.from_json(r[5]),
            accepted_before=int(r[6]), accepted_after=int(r[7]), rejected_before=int(r[8]), rejected_after=int(r[9]),
        )
        for r in rows
    ]
