"""Two groups or periods compared: their difference, the Overview tiles' changes, and the shift share of a change."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from nps import stats
from nps.query import anonymity
from nps.query.counting import count_items, count_names, key_columns, key_items, result_of
from nps.query.filters import Filter
from nps.query.options import Options
from nps.query.rows import source
from nps.stats.shift_share import ShiftShare, shift_share_of
from nps.store import Dataset, sql


@dataclass(frozen=True)
class Comparison:
    """Two groups or periods and their difference ``a − b`` (points)."""

    a: stats.NpsResult
    b: stats.NpsResult
    difference: stats.Difference


def compare(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    flt_a: Filter | None,
    flt_b: Filter | None,
    opts: Options = Options(),
) -> Comparison:
    """Two groups or periods (two filters) and their difference a − b in points, with CI and p-value.

    The two are assumed independent (no response in both); either below the
    minimum n and the difference is not tested (NaN p). On an employee dataset a side the
    anonymity rule hides is ``suppressed`` and the difference NaN. Raises
    :class:`nps.errors.UnknownColumnError` for a filter on an unknown column.
    """
    src_a, params_a = source(ds, flt_a, opts)
    src_b, params_b = source(ds, flt_b, opts)
    items = count_items(opts)
    text = f"SELECT 'a' AS side, {items} FROM ({src_a}) UNION ALL SELECT 'b' AS side, {items} FROM ({src_b})"
    rows = {r[0]: dict(zip(count_names(opts), r[1:])) for r in sql.fetch_all(cur, text, params_a + params_b)}
    a = anonymity.check_result(cur, ds, flt_a, opts, result_of(rows.get("a", {}), opts))
    b = anonymity.check_result(cur, ds, flt_b, opts, result_of(rows.get("b", {}), opts))
    return Comparison(a, b, stats.compare_results(a, b, method=opts.method, level=opts.level, min_n=opts.min_n))


def tile_changes(current: stats.NpsResult, previous: stats.NpsResult, opts: Options = Options()) -> dict[str, stats.Difference]:
    """The changes of the NPS and of the three category shares from ``previous`` to ``current``, as one family.

    Keys ``nps`` (points), ``promoters``, ``passives``, ``detractors``
    (percentage points of the shares). Each is tested on its own (the NPS with
    :func:`nps.stats.compare_results`, a share with
    :func:`nps.stats.compare_shares` on the effective n when weighted, never
    the sum of weights), then the four are adjusted together (Holm unless
    ``opts.multiplicity`` says otherwise): four tests shown side by side.
    """
    kw = {"method": opts.method, "level": opts.level, "min_n": opts.min_n}
    found: dict[str, stats.Difference] = {"nps": stats.compare_results(current, previous, **kw)}

    def basis(r: stats.NpsResult) -> tuple[float, float]:
        total = float(r.promoters + r.passives + r.detractors)
        n_eff = float(r.effective_n) if r.effective_n is not None else total
        return total, n_eff

    total_c, n_c = basis(current)
    total_p, n_p = basis(previous)
    for key in ("promoters", "passives", "detractors"):
        share_c = float(getattr(current, key)) / total_c if total_c > 0 else 0.0
        share_p = float(getattr(previous, key)) / total_p if total_p > 0 else 0.0
        found[key] = stats.compare_shares(share_c * n_c, n_c, share_p * n_p, n_p, **kw)
    return stats.adjust_differences(found, multiplicity=opts.control(stats.DECISION))


def shift_share(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    dimension: str,
    flt_current: Filter | None,
    flt_previous: Filter | None,
    opts: Options = Options(),
) -> ShiftShare:
    """Split the NPS change from the previous to the current filter by segments of ``dimension``.

    Returns a :class:`ShiftShare` (see there for the formula): total change,
    within-segment, mix and interaction parts in points, which sum exactly to the
    total, and a per-segment table (``suppressed`` and empty when the employee anonymity rule
    hides a segment, :func:`nps.query.anonymity.protect_shift_share`). Raises
    :class:`nps.errors.UnknownColumnError` for an unknown column.
    """
    quoted = key_columns(ds, [dimension])
    src_c, params_c = source(ds, flt_current, opts)
    src_p, params_p = source(ds, flt_previous, opts)
    items = f"{key_items(quoted)}, {count_items(opts)}"
    text = (
        f"SELECT 'cur' AS side, {items} FROM ({src_c}) GROUP BY ALL "
        f"UNION ALL SELECT 'prev' AS side, {items} FROM ({src_p}) GROUP BY ALL"
    )
    rows = sql.fetch_all(cur, text, params_c + params_p)
    names = ["side", "k0", *count_names(opts)]
    groups = {(r[0], r[1]): dict(zip(names[2:], r[2:])) for r in rows}
    if anonymity.privacy_of(ds) is None:
        return shift_share_of(groups, dimension)
    hide = any(anonymity.complement_too_small(cur, ds, f, opts) for f in (flt_current, flt_previous))
    return anonymity.protect_shift_share(ds, groups, dimension, hide)
