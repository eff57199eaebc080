"""Two groups or periods compared: their difference, the Overview tiles' changes, and the shift share of a change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from nps import stats
from nps.query.counting import count_items, count_names, key_columns, key_items, result_of
from nps.query.filters import Filter
from nps.query.options import Options
from nps.query.rows import source
from nps.store import Dataset, sql


@dataclass(frozen=True)
class Comparison:
    """Two groups or periods and their difference ``a − b`` (points)."""

    a: stats.NpsResult
    b: stats.NpsResult
    difference: stats.Difference


@dataclass(frozen=True)
class ShiftShare:
    """An NPS change between two periods split into within-segment, mix and interaction parts.

    With w the share of responses (weights when weighted) of a segment and N its
    NPS, ``total = NPS_cur − NPS_prev = within + mix + interaction`` exactly:

    * ``within``      = Σ w_prev·(N_cur − N_prev): segments getting better or worse;
    * ``mix``         = Σ (w_cur − w_prev)·N_prev: the blend of segments moving;
    * ``interaction`` = Σ (w_cur − w_prev)·(N_cur − N_prev).

    (``mix + interaction`` = Σ Δw·N_cur, the mix effect priced at current NPS.) A
    segment present in only one period takes that period's NPS for the other, so
    its whole contribution is mix. ``segments`` has one row per segment: the
    dimension's column, ``n_prev``, ``n_cur``, ``w_prev``, ``w_cur`` (fractions),
    ``nps_prev``, ``nps_cur``, ``within``, ``mix``, ``interaction``, ``total``
    (points), sorted by the absolute total contribution. All NaN when either
    period has no responses.
    """

    nps_current: float
    nps_previous: float
    total: float
    within: float
    mix: float
    interaction: float
    segments: pd.DataFrame


def compare(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    flt_a: Filter | None,
    flt_b: Filter | None,
    opts: Options = Options(),
) -> Comparison:
    """Two groups or periods (two filters) and their difference a − b in points, with CI and p-value.

    The two are assumed independent (no response in both); either below the
    minimum n and the difference is not tested (NaN p). Raises
    :class:`nps.errors.UnknownColumnError` for a filter on an unknown column.
    """
    src_a, params_a = source(ds, flt_a, opts)
    src_b, params_b = source(ds, flt_b, opts)
    items = count_items(opts)
    text = f"SELECT 'a' AS side, {items} FROM ({src_a}) UNION ALL SELECT 'b' AS side, {items} FROM ({src_b})"
    rows = {r[0]: dict(zip(count_names(opts), r[1:])) for r in sql.fetch_all(cur, text, params_a + params_b)}
    a = result_of(rows.get("a", {}), opts)
    b = result_of(rows.get("b", {}), opts)
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
    total, and a per-segment table. Raises
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
    return shift_share_of({(r[0], r[1]): dict(zip(names[2:], r[2:])) for r in rows}, dimension)


def shift_share_of(groups: dict[tuple[str, str], dict[str, Any]], dimension: str) -> ShiftShare:
    """A :class:`ShiftShare` from the counts of each (side ``cur``/``prev``, segment) group."""
    columns = [dimension, "n_prev", "n_cur", "w_prev", "w_cur", "nps_prev", "nps_cur", "within", "mix",
               "interaction", "total"]
    if not groups:
        nan = float("nan")
        return ShiftShare(nan, nan, nan, nan, nan, nan, pd.DataFrame(columns=columns))
    keys = sorted({k for _, k in groups})
    # Arrays, not a frame per step: this runs on every change of the Overview's filters.
    n: dict[str, np.ndarray] = {}
    w: dict[str, np.ndarray] = {}
    net: dict[str, np.ndarray] = {}
    for side in ("cur", "prev"):
        found = [groups.get((side, k)) for k in keys]
        n[side] = np.array([int(g["n"]) if g else 0 for g in found], dtype="int64")
        w[side] = np.array([g["promoters"] + g["passives"] + g["detractors"] if g else 0 for g in found])
        net[side] = np.array([float(g["promoters"] - g["detractors"]) if g else 0.0 for g in found], dtype="float64")
    tot_c, tot_p = float(w["cur"].sum()), float(w["prev"].sum())
    if tot_c <= 0 or tot_p <= 0:
        nan = float("nan")
        now = nan if tot_c <= 0 else float(net["cur"].sum()) / tot_c * 100
        before = nan if tot_p <= 0 else float(net["prev"].sum()) / tot_p * 100
        return ShiftShare(now, before, nan, nan, nan, nan, pd.DataFrame(columns=columns))
    with np.errstate(all="ignore"):
        w_c = w["cur"] / tot_c
        w_p = w["prev"] / tot_p
        nps_c = np.where(w["cur"] > 0, net["cur"] / w["cur"] * 100, np.nan)
        nps_p = np.where(w["prev"] > 0, net["prev"] / w["prev"] * 100, np.nan)
    # A segment seen in one period only: its NPS in the other is taken as equal, so it is all mix.
    n_c = np.nan_to_num(np.where(np.isnan(nps_c), nps_p, nps_c), nan=0.0)
    n_p = np.nan_to_num(np.where(np.isnan(nps_p), nps_c, nps_p), nan=0.0)
    within = w_p * (n_c - n_p)
    mix = (w_c - w_p) * n_p
    interaction = (w_c - w_p) * (n_c - n_p)
    total = within + mix + interaction
    order = np.argsort(-np.abs(total), kind="stable")
    out = pd.DataFrame({
        dimension: pd.Index(keys, name="k0").astype(str)[order],
        "n_prev": n["prev"][order], "n_cur": n["cur"][order],
        "w_prev": w_p[order], "w_cur": w_c[order],
        "nps_prev": nps_p[order], "nps_cur": nps_c[order],
        "within": within[order], "mix": mix[order], "interaction": interaction[order], "total": total[order],
    })
    now = float(net["cur"].sum()) / tot_c * 100
    before = float(net["prev"].sum()) / tot_p * 100
    return ShiftShare(
        nps_current=now, nps_previous=before, total=now - before,
        within=float(out["within"].sum()), mix=float(out["mix"].sum()),
        interaction=float(out["interaction"].sum()), segments=out[columns],
    )
