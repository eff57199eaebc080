"""The Overview page's numbers counted in one scan: NPS, comparison, distribution, shift share and trend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from nps import domain, stats
from nps.query import anonymity
from nps.query.comparisons import Comparison, tile_changes
from nps.query.counting import BLANK, counts_of, distribution_of, key_columns, key_items, result_of, score_items, score_rows
from nps.query.filters import Filter
from nps.query.options import GRAINS, Options
from nps.query.rows import source
from nps.query.scores import hide_distribution
from nps.query.trends import protect_trend, trend, trend_from_scores
from nps.stats.shift_share import ShiftShare
from nps.store import Dataset, sql


@dataclass(frozen=True)
class Overview:
    """A period's NPS, its comparison, its 0–10 distribution and its shift share, counted in one query.

    Each part equals what its own function returns: ``current`` :func:`~nps.query.scores.overall`,
    ``comparison`` :func:`~nps.query.comparisons.compare` (None without a comparison filter),
    ``distribution`` :func:`~nps.query.scores.distribution`, ``shift_share`` :func:`~nps.query.comparisons.shift_share`
    (None without a comparison filter or a dimension to split by), ``trend``
    :func:`~nps.query.trends.trend` on the current filter (None without a time grain).
    ``changes`` are the four tiles' changes versus the comparison period,
    ``nps``, ``promoters``, ``passives``, ``detractors`` (shares in percentage
    points, see :func:`~nps.query.comparisons.tile_changes`), adjusted together as one family; the
    comparison's ``difference`` is the ``nps`` one. On an employee dataset the anonymity rule
    applies to every part (:mod:`nps.query.anonymity`): a hidden ``current`` or comparison side is
    ``suppressed`` (then ``changes`` is None and the difference NaN), and so on.
    """

    current: stats.NpsResult
    comparison: Comparison | None
    distribution: pd.DataFrame
    shift_share: ShiftShare | None
    trend: pd.DataFrame | None = None
    changes: dict[str, stats.Difference] | None = None


def overview(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    flt: Filter | None,
    flt_previous: Filter | None = None,
    opts: Options = Options(),
    split_by: str | None = None,
    grain: str | None = None,
) -> Overview:
    """The Overview page's numbers in one scan (see :class:`Overview`): counts per score (and segment) of both periods.

    Equal to the questions of :class:`Overview`'s parts (overall / compare, distribution,
    shift_share and trend) on the same filters (weighted sums up
    to floating-point rounding). ``split_by`` is the dimension of the shift
    share, used only with ``flt_previous``; ``grain`` that of the trend, counted
    in the same scan (in a query of its own with ``dedupe``, which counts a
    respondent once per period there). Raises ValueError for an unknown grain,
    :class:`nps.errors.UnknownColumnError` for an unknown column.
    """
    if grain is not None:
        domain.check_grain(grain)
    split = split_by if flt_previous is not None else None
    quoted = key_columns(ds, [split]) if split else []
    fold = grain is not None and not opts.dedupe
    items = (f"{key_items(quoted)}, " if quoted else "") + score_items(opts)
    src, params = source(ds, flt, opts)
    if fold:
        # Grouping sets: the segments' counts per score and the periods' counts per score in one pass.
        key = f"COALESCE(CAST({quoted[0]} AS VARCHAR), '{BLANK}')" if quoted else ""
        inner = (f"SELECT *, {key + ' AS _k0, ' if key else ''}date_trunc('{GRAINS[str(grain)][0]}', {sql.DATE}) "
                 f"AS _period FROM ({src})")
        text = (
            f"SELECT 'cur' AS side, grouping(_period) = 0 AS by_period, _period AS period, "
            f"{'_k0 AS k0, ' if key else ''}{score_items(opts)} FROM ({inner}) "
            f"GROUP BY GROUPING SETS (({'_k0, ' if key else ''}{sql.SCORE}), (_period, {sql.SCORE}))"
        )
        prefix = "false AS by_period, NULL AS period, "
    else:
        text = f"SELECT 'cur' AS side, {items} FROM ({src}) GROUP BY ALL"
        prefix = ""
    if flt_previous is not None:
        src_p, params_p = source(ds, flt_previous, opts)
        text += f" UNION ALL SELECT 'prev' AS side, {prefix}{items} FROM ({src_p}) GROUP BY ALL"
        params = params + params_p
    rows = sql.fetch_all(cur, text, params)
    by_period: dict[Any, list[tuple[Any, ...]]] = {}
    if fold:
        for row in rows:
            if row[1] and row[2] is not None:  # undated responses have no period
                by_period.setdefault(row[2], []).append(row[4:] if split else row[3:])
        rows = [(row[0], *row[3:]) for row in rows if not row[1]]
    groups: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for row in rows:
        groups.setdefault((row[0], row[1] if split else ""), []).append(row[2:] if split else row[1:])
    scores = {group: score_rows(rows, opts) for group, rows in groups.items()}
    sides: dict[str, dict[int, tuple[int, float, float]]] = {"cur": {}, "prev": {}}
    for (side, _), counted in scores.items():
        total = sides[side]
        for score, (n, w, w2) in counted.items():
            n0, w0, w20 = total.get(score, (0, 0.0, 0.0))
            total[score] = (n0 + n, w0 + w, w20 + w2)
    current = anonymity.check_result(cur, ds, flt, opts, result_of(counts_of(sides["cur"], opts), opts))
    comparison = None
    changes = None
    if flt_previous is not None:
        previous = anonymity.check_result(cur, ds, flt_previous, opts, result_of(counts_of(sides["prev"], opts), opts))
        changes = tile_changes(current, previous, opts)
        if current.suppressed or previous.suppressed:
            changes = None
        comparison = Comparison(current, previous, changes["nps"] if changes else stats.compare_results(
            anonymity.hidden_result(), anonymity.hidden_result(), method=opts.method, level=opts.level,
            min_n=opts.min_n))
    parts = None
    if split:
        counted_groups = {group: counts_of(counted, opts) for group, counted in scores.items()}
        hide = current.suppressed or bool(comparison and comparison.b.suppressed)
        parts = anonymity.protect_shift_share(ds, counted_groups, split, hide)
    series = None
    if fold:
        series = protect_trend(cur, ds, flt, opts, trend_from_scores(by_period, str(grain), opts))
    elif grain is not None:
        series = trend(cur, ds, grain, flt, opts)
    distribution = hide_distribution(cur, ds, flt, opts, distribution_of(sides["cur"], opts))
    return Overview(current, comparison, distribution, parts, series, changes)
