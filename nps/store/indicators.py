"""Indicators to monitor: what a team watches between reviews, each with its alarm threshold, target and owner.

An indicator is either the **NPS** of some responses (a touchpoint, a segment, a function: ``conditions``,
column → values; none for the whole dataset) or a **theme**'s share of the detractors' comments among those
responses (``theme``, a codebook theme) or the mean of an **item** rating among them (``item``, one of the
dataset's :attr:`~nps.store.catalog.ColumnMapping.items`). ``threshold`` is the alarm level (an NPS or an item's
mean below it, a theme share above it, in points / percent / the item's scale), ``target`` what it should reach, ``owner`` who answers for it. How they move
is computed by :mod:`nps.query.indicators`. Every change is audited.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from nps.errors import NpsError
from nps.store import audit, sql
from nps.store.catalog import get_dataset
from nps.store.transactions import transaction

NPS, THEME, ITEM = "nps", "theme", "item"
KINDS: tuple[str, ...] = (NPS, THEME, ITEM)
_COLUMNS = "id, dataset_id, name, kind, conditions, theme, threshold, target, owner, created_at, created_by, item"


class IndicatorError(NpsError):
    """An indicator that cannot be stored; the message says which field and why."""


@dataclass(frozen=True)
class Indicator:
    """One indicator to monitor (see the module's text); ``conditions`` are sorted (column, values) pairs."""

    id: int
    dataset_id: int
    name: str
    kind: str
    conditions: tuple[tuple[str, tuple[str, ...]], ...]
    theme: str | None
    threshold: float | None
    target: float | None
    owner: str | None
    created_at: dt.datetime | None = None
    created_by: str | None = None
    item: str | None = None

    def describe(self) -> dict[str, Any]:
        """Plain values (the audit trail, JSON)."""
        out = asdict(self)
        out["conditions"] = {c: list(v) for c, v in self.conditions}
        out["created_at"] = self.created_at.isoformat(timespec="seconds") if self.created_at else None
        return out


def _row(row: tuple[Any, ...]) -> Indicator:
    conditions = tuple((str(c), tuple(str(v) for v in vals)) for c, vals in sorted(json.loads(row[4]).items()))
    return Indicator(int(row[0]), int(row[1]), str(row[2]), str(row[3]), conditions, row[5],
                     None if row[6] is None else float(row[6]), None if row[7] is None else float(row[7]), row[8],
                     row[9], row[10], row[11] if len(row) > 11 else None)


def add_indicator(cur: duckdb.DuckDBPyConnection, *, dataset_id: int, name: str, kind: str,
                  conditions: Mapping[str, Sequence[str]] | None = None, theme: str | None = None,
                  threshold: float | None = None, target: float | None = None, owner: str | None = None,
                  item: str | None = None, scale: tuple[float, float] | None = None, actor: str,
                  now: dt.datetime | None = None) -> Indicator:
    """Store an indicator; :class:`IndicatorError` for an empty or taken name, an unknown kind, a theme indicator
    without a theme, an item indicator without one of the dataset's items, a condition on a column the dataset
    lacks, or a threshold/target out of range — an item's is its ``scale`` (lowest, highest), which the store
    cannot read from the ratings: :func:`nps.query.indicators.define` passes it (ValueError without it)."""
    clean = " ".join((name or "").split())
    if not clean:
        raise IndicatorError("an indicator needs a name")
    if kind not in KINDS:
        raise IndicatorError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if kind == THEME and not (theme or "").strip():
        raise IndicatorError("a theme indicator needs the theme it follows (--theme)")
    ds = get_dataset(cur, dataset_id)
    item = ((item or "").strip() or None) if kind == ITEM else None
    if kind == ITEM and item not in ds.mapping.items:
        listed = ", ".join(repr(i) for i in ds.mapping.items) or "none: the dataset has no item ratings"
        raise IndicatorError(f"an item indicator needs one of the dataset's items (--item): "
                             f"{'not ' + repr(item) + '; ' if item else ''}its items are {listed}")
    wanted = {str(c): sorted({str(v) for v in vals}) for c, vals in (conditions or {}).items()}
    unknown = [c for c in wanted if c not in ds.columns]
    if unknown:
        raise IndicatorError(f"the dataset {ds.name!r} has no column {', '.join(repr(c) for c in unknown)}")
    low, high = (-100.0, 100.0) if kind == NPS else (0.0, 100.0)
    if kind == ITEM:
        if scale is None:
            raise ValueError("an item indicator is stored with its item's scale (nps.query.indicators.define)")
        low, high = float(scale[0]), float(scale[1])
    for label, value in (("threshold", threshold), ("target", target)):
        if value is not None and not low <= float(value) <= high:
            what = f"the scale of the item {item!r}" if kind == ITEM else f"a {kind} indicator"
            raise IndicatorError(f"the {label} {value} is outside {low:g}..{high:g}, {what}")
    now = now or dt.datetime.now()
    with transaction(cur):
        if sql.fetch_value(cur, "SELECT count(*) FROM indicators WHERE dataset_id = ? AND lower(name) = lower(?)",
                           [ds.id, clean]):
            raise IndicatorError(f"the dataset {ds.name!r} already has an indicator named {clean!r}")
        new_id = int(sql.fetch_value(
            cur, "INSERT INTO indicators (dataset_id, name, kind, conditions, theme, threshold, target, owner, "
                 "created_at, created_by, item) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [ds.id, clean, kind, json.dumps(wanted, ensure_ascii=False), (theme or "").strip() or None,
             threshold, target, (owner or "").strip() or None, now, actor, item]))
        made = _row((new_id, ds.id, clean, kind, json.dumps(wanted), (theme or "").strip() or None, threshold, target,
                     (owner or "").strip() or None, now, actor, item))
        audit.record(cur, actor, "indicator added", f"indicator #{new_id}", None, made.describe())
    return made


def list_indicators(cur: duckdb.DuckDBPyConnection, dataset_id: int | None = None) -> list[Indicator]:
    """The indicators (of one dataset, or all), by name."""
    where, params = (" WHERE dataset_id = ?", [int(dataset_id)]) if dataset_id is not None else ("", [])
    return [_row(r) for r in sql.fetch_all(cur, f"SELECT {_COLUMNS} FROM indicators{where} ORDER BY lower(name), id",
                                          params)]


def remove_indicator(cur: duckdb.DuckDBPyConnection, indicator_id: int, *, actor: str) -> Indicator:
    """Delete one indicator; audited ``indicator removed``."""
    with transaction(cur):
        row = sql.fetch_one(cur, f"SELECT {_COLUMNS} FROM indicators WHERE id = ?", [int(indicator_id)])
        if row is None:
            raise IndicatorError(f"there is no indicator #{indicator_id}")
        gone = _row(row)
        sql.execute(cur, "DELETE FROM indicators WHERE id = ?", [int(indicator_id)])
        audit.record(cur, actor, "indicator removed", f"indicator #{indicator_id}", gone.describe(), None)
    return gone
