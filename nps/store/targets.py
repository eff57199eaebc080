"""NPS targets per value of a dimension (per function, per segment), kept in the database."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import duckdb

from nps.store import audit, sql
from nps.store.transactions import transaction


def load_targets(cur: duckdb.DuckDBPyConnection, dataset_id: int, dimension: str) -> dict[str, float]:
    """The targets (NPS points) set for the values of ``dimension`` in a dataset."""
    rows = sql.fetch_all(
        cur, "SELECT value, target FROM targets WHERE dataset_id = ? AND dimension = ? ORDER BY value",
        [dataset_id, dimension],
    )
    return {str(value): float(target) for value, target in rows}


def save_targets(cur: duckdb.DuckDBPyConnection, dataset_id: int, dimension: str, targets: Mapping[str, float | None],
                 *, actor: str = audit.LOCAL_ACTOR) -> None:
    """Replace the targets of ``dimension``; a None or NaN target removes that value's target.

    The change is recorded in the audit trail (as done by ``actor``) with the targets before and after.

    Raises ValueError for a target outside −100..100.
    """
    clean: dict[str, float] = {}
    for value, target in targets.items():
        if target is None or (isinstance(target, float) and math.isnan(target)):
            continue
        if not -100 <= float(target) <= 100:
            raise ValueError(f"the target for {value!r} is {target}: an NPS target lies between -100 and 100")
        clean[str(value)] = float(target)
    now = dt.datetime.now()
    with transaction(cur):
        before = dict(sql.fetch_all(cur, "SELECT value, target FROM targets WHERE dataset_id = ? AND dimension = ? "
                                         "ORDER BY value", [dataset_id, dimension]))
        sql.execute(cur, "DELETE FROM targets WHERE dataset_id = ? AND dimension = ?", [dataset_id, dimension])
        for value, target in clean.items():
            sql.execute(cur, "INSERT INTO targets VALUES (?, ?, ?, ?, ?)", [dataset_id, dimension, value, target, now])
        if before != clean:
            audit.record(cur, actor, "targets changed", f"dataset #{dataset_id} · {dimension}", before, clean)
