"""The dashboard's and the CLI's questions, answered on any filter.

Each function runs one grouped query through :mod:`nps.store.sql` (counts per category
with ``FILTER`` clauses) and finishes the tiny result with :mod:`nps.stats`. NPS,
SE, bounds and differences are in points (−100..100); shares are fractions 0..1.

Conventions shared by every function:

* A NULL value of a column is shown as ``"(blank)"`` (:data:`nps.store.sql.BLANK`); a
  filter that includes or excludes ``"(blank)"`` matches NULL.
* ``Options.weighted``: each response counts with its ``_weight``; a NULL weight
  counts as 1.0 (so a dataset without a weight column gives the unweighted
  answer). ``promoters``/``passives``/``detractors`` are then sums of weights,
  ``n`` stays the number of responses, and ``effective_n`` (Kish, (Σw)²/Σw²) is
  added and used for the SE, the interval and ``low_n``.
* ``Options.dedupe``: each respondent counts once, with their latest response
  (latest ``_date``, then latest wave, then latest row; undated responses are
  older than dated ones) within the filter's period; the filter's other
  conditions (values, categories, text) then apply to those latest responses.
  Responses without a respondent id are always kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from nps import domain, stats
from nps.store import sql
from nps.query.filters import Filter
from nps.query.periods import previous_period, same_period_last_year
from nps.store import Dataset

__all__ = [
    "GRAINS", "Comparison", "DailyCounts", "Options", "Overview", "ShiftShare", "breakdown", "compare", "data_range",
    "dimension_counts", "dimension_counts_by_day", "dimension_values", "distribution", "overall", "overview",
    "previous_period", "same_period_last_year", "shift_share", "tile_changes", "trend",
]

BLANK = sql.BLANK

# Each of domain.GRAINS in SQL: date_trunc part and the step between consecutive periods; week is ISO (Monday).
GRAINS: dict[str, tuple[str, str]] = {
    "day": ("day", "INTERVAL 1 DAY"),
    "week": ("week", "INTERVAL 7 DAY"),
    "month": ("month", "INTERVAL 1 MONTH"),
    "quarter": ("quarter", "INTERVAL 3 MONTH"),
    "year": ("year", "INTERVAL 1 YEAR"),
}

_WEIGHT = f"COALESCE({sql.WEIGHT}, 1.0)"
# Names the results use for themselves: a column to group by cannot have one of them.
_OUTPUT_NAMES = {"n", "promoters", "passives", "detractors", "effective_n", "sum_w2", *stats.STAT_COLUMNS}
_BREAKDOWN_NAMES = _OUTPUT_NAMES | {"vs_rest", "vs_rest_se", "vs_rest_p", "vs_rest_p_adjusted", "vs_rest_significant"}
_TREND_NAMES = _OUTPUT_NAMES | {"period", *stats.CHANGE_COLUMNS}


@dataclass(frozen=True)
class Options:
    """How to count and score: interval method, confidence level, minimum n, weighting, dedupe, multiplicity.

    ``multiplicity`` (bh, holm, none) overrides every display's own control of
    several tests shown together; None keeps each one's default
    (:data:`nps.stats.SCREENING` for breakdowns and trends,
    :data:`nps.stats.DECISION` for scorecards and the Overview's tiles). Raises
    ValueError on an unknown method or multiplicity, a level outside (0, 1) or a
    negative minimum n.
    """

    method: str = stats.DEFAULT_METHOD
    level: float = stats.DEFAULT_LEVEL
    min_n: int = stats.DEFAULT_MIN_N
    weighted: bool = False
    dedupe: bool = False
    multiplicity: str | None = None

    def __post_init__(self) -> None:
        stats.check_method(self.method)
        stats.check_level(self.level)
        stats.check_min_n(self.min_n)
        if self.multiplicity is not None:
            stats.check_multiplicity(self.multiplicity)

    def control(self, default: str) -> str:
        """The multiplicity control of a display whose own default is ``default``."""
        return self.multiplicity or default


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


@dataclass(frozen=True)
class Overview:
    """A period's NPS, its comparison, its 0–10 distribution and its shift share, counted in one query.

    Each part equals what its own function returns: ``current`` :func:`overall`,
    ``comparison`` :func:`compare` (None without a comparison filter),
    ``distribution`` :func:`distribution`, ``shift_share`` :func:`shift_share`
    (None without a comparison filter or a dimension to split by), ``trend``
    :func:`trend` on the current filter (None without a time grain).
    ``changes`` are the four tiles' changes versus the comparison period,
    ``nps``, ``promoters``, ``passives``, ``detractors`` (shares in percentage
    points, see :func:`tile_changes`), adjusted together as one family; the
    comparison's ``difference`` is the ``nps`` one.
    """

    current: stats.NpsResult
    comparison: Comparison | None
    distribution: pd.DataFrame
    shift_share: ShiftShare | None
    trend: pd.DataFrame | None = None
    changes: dict[str, stats.Difference] | None = None


# --- building blocks ---------------------------------------------------------------------------


def _conditions(flt: Filter | None, ds: Dataset) -> tuple[list[str], list[Any]]:
    where, params = sql.where_clause(flt, ds.all_columns)
    return ([where.removeprefix("WHERE ")] if where else []), params


def _where(conds: Sequence[str]) -> str:
    return ("WHERE " + " AND ".join(f"({c})" for c in conds)) if conds else ""


def _source(
    ds: Dataset,
    flt: Filter | None,
    opts: Options,
    *,
    require: Sequence[str] = (),
    extra: str = "",
    partition: Sequence[str] = (),
) -> tuple[str, list[Any]]:
    """A subquery of the responses to count, and its parameters.

    ``require`` are extra SQL conditions applied before dedupe, ``extra`` extra
    select items (``expr AS name``), ``partition`` extra dedupe partitions (the
    period, for trends, so that a respondent counts once per period).
    """
    table = sql.table(ds.table)
    select = f"SELECT *{', ' + extra if extra else ''} FROM {table}"
    if not opts.dedupe:
        conds, params = _conditions(flt, ds)
        return f"{select} {_where([*conds, *require])}", params
    period_only = Filter(since=flt.since, until=flt.until) if flt else None
    rest = replace(flt, since=None, until=None) if flt else None
    inner, p_inner = _conditions(period_only, ds)
    outer, p_outer = _conditions(rest, ds)
    by = ", ".join([sql.RESPONDENT, *partition])
    text = (
        f"{select} {_where([*inner, *require])} "
        f"QUALIFY {sql.RESPONDENT} IS NULL OR row_number() OVER (PARTITION BY {by} "
        f"ORDER BY {sql.DATE} DESC NULLS LAST, {sql.WAVE} DESC, {sql.ROW} DESC) = 1"
    )
    if outer:
        text = f"SELECT * FROM ({text}) {_where(outer)}"
    return text, p_inner + p_outer


# The category of a score, as ingest derives ``_category`` from it. Counting on the TINYINT
# score rather than comparing the VARCHAR category strings makes every count about a third cheaper.
_IS = {f"{c}s": domain.is_category_sql(c, sql.SCORE) for c in (domain.PROMOTER, domain.PASSIVE, domain.DETRACTOR)}


def _count_items(opts: Options) -> str:
    """Select items counting a group: n, the three categories and, when weighted, Σw²."""
    if not opts.weighted:
        return f"count({sql.SCORE}) AS n, " + ", ".join(
            f"count(*) FILTER (WHERE {cond}) AS {name}" for name, cond in _IS.items()
        )
    w = _WEIGHT
    return (
        f"count({sql.SCORE}) AS n, "
        + "".join(f"COALESCE(sum({w}) FILTER (WHERE {cond}), 0)::DOUBLE AS {name}, " for name, cond in _IS.items())
        + f"COALESCE(sum({w} * {w}) FILTER (WHERE {sql.SCORE} IS NOT NULL), 0)::DOUBLE AS sum_w2"
    )


def _count_names(opts: Options) -> list[str]:
    return ["n", "promoters", "passives", "detractors"] + (["sum_w2"] if opts.weighted else [])


def _with_effective_n(frame: pd.DataFrame, opts: Options) -> pd.DataFrame:
    """Add Kish's effective n from the weight sums (weighted mode only)."""
    if not opts.weighted:
        return frame
    out = frame.copy()
    total = (out["promoters"] + out["passives"] + out["detractors"]).to_numpy(dtype=float)
    w2 = out["sum_w2"].to_numpy(dtype=float)
    with np.errstate(all="ignore"):
        out["effective_n"] = np.where(w2 > 0, total**2 / w2, 0.0)
    return out


def _finish(frame: pd.DataFrame, keys: Sequence[str], opts: Options) -> pd.DataFrame:
    """Stats on a counted frame, columns in the documented order."""
    out = stats.add_stats(_with_effective_n(frame, opts), method=opts.method, level=opts.level, min_n=opts.min_n)
    out["n"] = out["n"].astype("int64")
    if not opts.weighted:
        for c in ("promoters", "passives", "detractors"):
            out[c] = out[c].astype("int64")
    out["low_n"] = out["low_n"].astype(bool)
    counts = ["n"] + (["effective_n"] if opts.weighted else []) + ["promoters", "passives", "detractors"]
    rest = [c for c in out.columns if c not in {*keys, *counts, *stats.STAT_COLUMNS, "sum_w2"}]
    return out[[*keys, *counts, *stats.STAT_COLUMNS, *rest]]


def _key_columns(ds: Dataset, by: Sequence[str], taken: set[str] = _OUTPUT_NAMES) -> list[str]:
    """Quoted identifiers of ``by``, checked against the dataset and the output's own names."""
    if isinstance(by, str):
        by = [by]
    if len(set(by)) != len(by):
        raise ValueError(f"a column appears twice in {list(by)!r}")
    clash = [b for b in by if b in taken]
    if clash:
        raise ValueError(f"cannot group by a column named {clash[0]!r}: the result uses that name for a statistic")
    return [sql.column(b, ds.all_columns) for b in by]


def _key_items(quoted: Sequence[str]) -> str:
    return ", ".join(f"COALESCE(CAST({q} AS VARCHAR), '{BLANK}') AS k{i}" for i, q in enumerate(quoted))


def _rename_keys(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    return frame.rename(columns={f"k{i}": b for i, b in enumerate(by)})


def _result_of(row: dict[str, Any], opts: Options) -> stats.NpsResult:
    kw = {"method": opts.method, "level": opts.level, "min_n": opts.min_n}
    n = int(row.get("n") or 0)
    if not opts.weighted:
        return stats.score_counts(
            int(row.get("detractors") or 0), int(row.get("passives") or 0), int(row.get("promoters") or 0), **kw
        )
    d, pa, p = (float(row.get(c) or 0.0) for c in ("detractors", "passives", "promoters"))
    eff = stats.kish_effective_n(d + pa + p, float(row.get("sum_w2") or 0.0))
    return stats.score_weighted(d, pa, p, n=n, effective_n=eff, **kw)


def _counts_row(cur: duckdb.DuckDBPyConnection, text: str, params: list[Any], opts: Options) -> dict[str, Any]:
    # fetch_all, not fetch_one: DuckDB 2.0 keeps a half-read result open on the cursor.
    rows = sql.fetch_all(cur, text, params)
    return dict(zip(_count_names(opts), rows[0] if rows else ()))


# --- the questions -----------------------------------------------------------------------------


def overall(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None = None, opts: Options = Options()
) -> stats.NpsResult:
    """The NPS of every response the filter keeps, as an :class:`nps.stats.NpsResult` (points).

    NaN stats and ``n`` 0 when nothing matches. Raises
    :class:`nps.errors.UnknownColumnError` for a filter on an unknown column.
    """
    src, params = _source(ds, flt, opts)
    text = f"SELECT {_count_items(opts)} FROM ({src})"
    return _result_of(_counts_row(cur, text, params, opts), opts)


def distribution(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None = None, opts: Options = Options()
) -> pd.DataFrame:
    """Responses per score: DataFrame[score, category, n, share], always the 11 rows 0..10.

    ``n`` is the number of responses with that score (0 where none); ``share`` is
    the fraction 0..1 of all counted responses (of the weights, when weighted; 0.0
    everywhere when nothing matches). Weighted mode adds ``weighted_n`` (Σw).
    Raises :class:`nps.errors.UnknownColumnError` for a filter on an unknown column.
    """
    src, params = _source(ds, flt, opts)
    text = f"SELECT {_score_items(opts)} FROM ({src}) WHERE {sql.SCORE} IS NOT NULL GROUP BY ALL"
    return _distribution_of(_score_rows(sql.fetch_all(cur, text, params), opts), opts)


# Per score: n, and when weighted Σw and Σw² (what overall, distribution and shift share are made of).
def _score_items(opts: Options) -> str:
    weight = f", sum({_WEIGHT})::DOUBLE AS w, sum({_WEIGHT} * {_WEIGHT})::DOUBLE AS w2" if opts.weighted else ""
    return f"{sql.SCORE} AS score, count(*) AS n{weight}"


def _score_rows(rows: list[tuple[Any, ...]], opts: Options) -> dict[int, tuple[int, float, float]]:
    """{score: (n, Σw, Σw²)} from rows ``(score, n[, w, w2])``, NULL scores left out (Σw = n unweighted)."""
    out: dict[int, tuple[int, float, float]] = {}
    for row in rows:
        if row[0] is None:
            continue
        n = int(row[1])
        out[int(row[0])] = (n, float(row[2]), float(row[3])) if opts.weighted else (n, float(n), float(n))
    return out


def _distribution_of(scores: dict[int, tuple[int, float, float]], opts: Options) -> pd.DataFrame:
    """The documented 11-row frame of :func:`distribution` from counts per score."""
    n = np.array([scores.get(s, (0, 0.0, 0.0))[0] for s in range(11)], dtype="int64")
    frame = pd.DataFrame({
        "score": np.arange(11, dtype="int32"),
        "category": [domain.category(s) for s in domain.SCORES],
        "n": n,
    })
    if opts.weighted:
        frame["weighted_n"] = np.array([scores.get(s, (0, 0.0, 0.0))[1] for s in range(11)], dtype="float64")
    basis = frame["weighted_n"] if opts.weighted else frame["n"]
    total = float(basis.sum())
    frame["share"] = basis / total if total > 0 else 0.0
    cols = ["score", "category", "n", "share"] + (["weighted_n"] if opts.weighted else [])
    return frame[cols]


def _counts_of(scores: dict[int, tuple[int, float, float]], opts: Options) -> dict[str, Any]:
    """The counts :func:`_count_items` selects (n, promoters, passives, detractors[, sum_w2]) from counts per score."""
    pick = 1 if opts.weighted else 0
    row: dict[str, Any] = {
        "n": sum(v[0] for v in scores.values()),
        **{f"{c}s": sum(v[pick] for s, v in scores.items() if domain.category(s) == c)
           for c in (domain.PROMOTER, domain.PASSIVE, domain.DETRACTOR)},
    }
    if opts.weighted:
        row["sum_w2"] = sum(v[2] for v in scores.values())
    return row


def breakdown(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    by: Sequence[str],
    flt: Filter | None = None,
    opts: Options = Options(),
) -> pd.DataFrame:
    """NPS per value (or combination of values) of the ``by`` columns, sorted by n (desc), then values.

    Returns DataFrame[*by, n, (effective_n,) promoters, passives, detractors, nps,
    se, ci_low, ci_high, low_n, vs_rest, vs_rest_se, vs_rest_p, vs_rest_p_adjusted,
    vs_rest_significant]. NULL values appear as ``"(blank)"``. ``vs_rest`` is the
    difference (points) between the group's NPS and that of all other responses
    the filter keeps, ``vs_rest_se`` its SE (the method's), ``vs_rest_p`` its
    two-sided p-value (score test; NaN, i.e. not tested, when the group or the
    rest is below the minimum n), ``vs_rest_p_adjusted`` after multiplicity
    control across the groups (Benjamini–Hochberg unless ``opts.multiplicity``
    says otherwise) and ``vs_rest_significant`` marks groups significantly
    above/below the rest after it. ``frame.attrs["family"]`` is the
    :class:`nps.stats.Family` of those tests. Empty (with these columns) when
    nothing matches. Raises ValueError without columns, and
    :class:`nps.errors.UnknownColumnError` for an unknown column.
    """
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise ValueError("a breakdown needs at least one column")
    quoted = _key_columns(ds, by, _BREAKDOWN_NAMES)
    src, params = _source(ds, flt, opts)
    text = f"SELECT {_key_items(quoted)}, {_count_items(opts)} FROM ({src}) GROUP BY ALL"
    frame = _rename_keys(sql.fetch_df(cur, text, params), by)
    frame = _with_effective_n(frame, opts)
    counted = [c for c in _count_names(opts) if c != "n"]
    rest = pd.DataFrame({c: frame[c].sum() - frame[c] for c in counted}).clip(lower=0)
    rest = _with_effective_n(rest, opts)
    vs = stats.differences(frame, rest, method=opts.method, level=opts.level, min_n=opts.min_n)
    adjusted, significant, family = stats.flag_tests(vs["p_value"].to_numpy(), level=opts.level,
                                                     multiplicity=opts.control(stats.SCREENING))
    frame["vs_rest"] = vs["diff"]
    frame["vs_rest_se"] = vs["se"]
    frame["vs_rest_p"] = vs["p_value"]
    frame["vs_rest_p_adjusted"] = adjusted
    frame["vs_rest_significant"] = significant.astype(bool)
    out = _finish(frame, by, opts)
    out = out.sort_values(["n", *by], ascending=[False, *([True] * len(by))], kind="stable").reset_index(drop=True)
    out.attrs["family"] = family.as_dict()
    return out


def trend(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    grain: str,
    flt: Filter | None = None,
    opts: Options = Options(),
    by: Sequence[str] = (),
    rolling: int | None = None,
) -> pd.DataFrame:
    """NPS per period (and per value of ``by``), sorted by period then values.

    Returns DataFrame[period, *by, n, (effective_n,) promoters, passives,
    detractors, nps, se, ci_low, ci_high, low_n] plus, without ``rolling``, the
    change versus the series' previous period: ``prev_n``, ``prev_nps``,
    ``change``, ``change_se``, ``change_ci_low``, ``change_ci_high`` (points),
    ``change_p`` (one test; NaN when either period is below the minimum n),
    ``change_p_adjusted`` (Benjamini–Hochberg across every change in the frame,
    unless ``opts.multiplicity`` says otherwise) and ``change_significant``
    (after that control; ``frame.attrs["family"]`` says which and how many
    tests). ``period`` is the start of the period
    (a timestamp; weeks start on Monday, ISO). ``grain`` is day, week, month,
    quarter or year.

    Responses without a date are left out. Every period from the first to the
    last one with responses is present for every series, with n 0 and NaN stats
    where nothing was answered, so charts show gaps instead of joining distant
    points; periods before the first or after the last response are not added.
    The first and last periods may be partial when the filter's dates cut them.
    ``rolling=k`` scores each period on the counts of its last k periods
    (itself included; fewer at the start of a series). With ``dedupe`` a
    respondent counts once per period. Raises ValueError for an unknown grain or
    a rolling window below 1, :class:`nps.errors.UnknownColumnError` for an
    unknown column.
    """
    domain.check_grain(grain)
    if rolling is not None and (isinstance(rolling, bool) or int(rolling) != rolling or rolling < 1):
        raise ValueError(f"a rolling window is a number of periods (1 or more), not {rolling!r}")
    by = [by] if isinstance(by, str) else list(by)
    quoted = _key_columns(ds, by, _TREND_NAMES)
    part, step = GRAINS[grain]
    period = f"date_trunc('{part}', {sql.DATE})"
    src, params = _source(
        ds, flt, opts, require=[f"{sql.DATE} IS NOT NULL"], extra=f"{period} AS _period", partition=[period]
    )
    keys = [f"k{i}" for i in range(len(by))]
    key_items = (_key_items(quoted) + ", ") if by else ""
    names = _count_names(opts)
    grid = "SELECT p.period" + "".join(f", s.{k}" for k in keys) + " FROM periods p"
    if keys:
        grid += " CROSS JOIN (SELECT DISTINCT " + ", ".join(keys) + " FROM g) s"
    zero = {"n": "0::BIGINT"} | ({} if opts.weighted else {c: "0::BIGINT" for c in names if c != "n"})
    filled = ", ".join(f"COALESCE(g.{c}, {zero.get(c, '0::DOUBLE')}) AS {c}" for c in names)
    if rolling is None or rolling == 1:
        counts = ", ".join(names)
    else:
        window = (
            f"OVER ({'PARTITION BY ' + ', '.join(keys) if keys else ''} ORDER BY period "
            f"ROWS BETWEEN {int(rolling) - 1} PRECEDING AND CURRENT ROW)"
        )
        counts = ", ".join(f"sum({c}) {window} AS {c}" for c in names)
    text = (
        f"WITH g AS (SELECT _period AS period, {key_items}{_count_items(opts)} FROM ({src}) GROUP BY ALL), "
        f"periods AS (SELECT unnest(generate_series(min(period), max(period), {step})) AS period FROM g), "
        f"grid AS ({grid}), "
        f"filled AS (SELECT grid.*, {filled} FROM grid LEFT JOIN g USING (period{''.join(', ' + k for k in keys)})) "
        f"SELECT period{''.join(', ' + k for k in keys)}, {counts} FROM filled "
        f"ORDER BY period{''.join(', ' + k for k in keys)}"
    )
    return _trend_of(_rename_keys(sql.fetch_df(cur, text, params), by), by, opts, rolling is None)


def _trend_of(frame: pd.DataFrame, by: list[str], opts: Options, with_change: bool) -> pd.DataFrame:
    """:func:`trend`'s documented frame from its counts per period, in numpy (a tenth of the frame-by-frame cost)."""
    kind = "float64" if opts.weighted else "int64"
    cols: dict[str, Any] = {"period": pd.to_datetime(frame["period"])}
    for b in by:
        cols[b] = frame[b]
    cols["n"] = frame["n"].to_numpy(dtype="int64")
    d, pa, p = (frame[c].to_numpy(dtype=float) for c in ("detractors", "passives", "promoters"))
    total = d + pa + p
    n_eff = total
    if opts.weighted:
        w2 = frame["sum_w2"].to_numpy(dtype=float)
        with np.errstate(all="ignore"):
            n_eff = np.where(w2 > 0, total**2 / w2, 0.0)
        cols["effective_n"] = n_eff
    for c in ("promoters", "passives", "detractors"):
        cols[c] = frame[c].to_numpy(dtype=kind)
    cols.update(stats.score_arrays(d, pa, p, n_eff, method=opts.method, level=opts.level, min_n=opts.min_n))
    if with_change:
        now = [d, pa, p, n_eff, cols["n"].astype(float)]
        if by:
            # The previous period of the same series: rows are sorted by period, so a shift within each series.
            previous = frame[by].assign(**{f"_{i}": v for i, v in enumerate(now)}).groupby(by, sort=False)
            before = [previous[f"_{i}"].shift(1).to_numpy(dtype=float) for i in range(len(now))]
        else:
            before = [np.concatenate([np.full(min(len(v), 1), np.nan), v[:-1]]) for v in now]
        diff = stats.difference_arrays(tuple(now[:4]), tuple(before[:4]), method=opts.method,  # type: ignore[arg-type]
                                       level=opts.level, min_n=opts.min_n)
        adjusted, significant, family = stats.flag_tests(diff["p_value"], level=opts.level,
                                                         multiplicity=opts.control(stats.SCREENING))
        cols["prev_n"] = np.nan_to_num(before[4], nan=0.0).astype("int64")
        cols["prev_nps"] = stats.score_arrays(*before[:4], method=opts.method, level=opts.level)["nps"]
        cols["change"] = diff["diff"]
        cols["change_se"] = diff["se"]
        cols["change_ci_low"] = diff["ci_low"]
        cols["change_ci_high"] = diff["ci_high"]
        cols["change_p"] = diff["p_value"]
        cols["change_p_adjusted"] = adjusted
        cols["change_significant"] = significant.astype(bool)
        out = pd.DataFrame(cols)
        out.attrs["family"] = family.as_dict()
        return out
    return pd.DataFrame(cols)


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
    src_a, params_a = _source(ds, flt_a, opts)
    src_b, params_b = _source(ds, flt_b, opts)
    items = _count_items(opts)
    text = f"SELECT 'a' AS side, {items} FROM ({src_a}) UNION ALL SELECT 'b' AS side, {items} FROM ({src_b})"
    rows = {r[0]: dict(zip(_count_names(opts), r[1:])) for r in sql.fetch_all(cur, text, params_a + params_b)}
    a = _result_of(rows.get("a", {}), opts)
    b = _result_of(rows.get("b", {}), opts)
    return Comparison(a, b, stats.compare_results(a, b, method=opts.method, level=opts.level, min_n=opts.min_n))


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

    Equal to :func:`overall` / :func:`compare`, :func:`distribution`,
    :func:`shift_share` and :func:`trend` on the same filters (weighted sums up
    to floating-point rounding). ``split_by`` is the dimension of the shift
    share, used only with ``flt_previous``; ``grain`` that of the trend, counted
    in the same scan (in a query of its own with ``dedupe``, which counts a
    respondent once per period there). Raises ValueError for an unknown grain,
    :class:`nps.errors.UnknownColumnError` for an unknown column.
    """
    if grain is not None:
        domain.check_grain(grain)
    split = split_by if flt_previous is not None else None
    quoted = _key_columns(ds, [split]) if split else []
    fold = grain is not None and not opts.dedupe
    items = (f"{_key_items(quoted)}, " if quoted else "") + _score_items(opts)
    src, params = _source(ds, flt, opts)
    if fold:
        # Grouping sets: the segments' counts per score and the periods' counts per score in one pass.
        key = f"COALESCE(CAST({quoted[0]} AS VARCHAR), '{BLANK}')" if quoted else ""
        inner = (f"SELECT *, {key + ' AS _k0, ' if key else ''}date_trunc('{GRAINS[str(grain)][0]}', {sql.DATE}) "
                 f"AS _period FROM ({src})")
        text = (
            f"SELECT 'cur' AS side, grouping(_period) = 0 AS by_period, _period AS period, "
            f"{'_k0 AS k0, ' if key else ''}{_score_items(opts)} FROM ({inner}) "
            f"GROUP BY GROUPING SETS (({'_k0, ' if key else ''}{sql.SCORE}), (_period, {sql.SCORE}))"
        )
        prefix = "false AS by_period, NULL AS period, "
    else:
        text = f"SELECT 'cur' AS side, {items} FROM ({src}) GROUP BY ALL"
        prefix = ""
    if flt_previous is not None:
        src_p, params_p = _source(ds, flt_previous, opts)
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
    scores = {group: _score_rows(rows, opts) for group, rows in groups.items()}
    sides: dict[str, dict[int, tuple[int, float, float]]] = {"cur": {}, "prev": {}}
    for (side, _), counted in scores.items():
        total = sides[side]
        for score, (n, w, w2) in counted.items():
            n0, w0, w20 = total.get(score, (0, 0.0, 0.0))
            total[score] = (n0 + n, w0 + w, w20 + w2)
    current = _result_of(_counts_of(sides["cur"], opts), opts)
    comparison = None
    changes = None
    if flt_previous is not None:
        previous = _result_of(_counts_of(sides["prev"], opts), opts)
        changes = tile_changes(current, previous, opts)
        comparison = Comparison(current, previous, changes["nps"])
    parts = None
    if split:
        parts = _shift_share_of({group: _counts_of(counted, opts) for group, counted in scores.items()}, split)
    series = None
    if fold:
        series = _trend_from_scores(by_period, str(grain), opts)
    elif grain is not None:
        series = trend(cur, ds, grain, flt, opts)
    return Overview(current, comparison, _distribution_of(sides["cur"], opts), parts, series, changes)


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


def _trend_from_scores(by_period: dict[Any, list[tuple[Any, ...]]], grain: str, opts: Options) -> pd.DataFrame:
    """:func:`trend`'s frame (one series) from rows ``(score, n[, w, w2])`` per period start."""
    counted = {period: _counts_of(_score_rows(rows, opts), opts) for period, rows in by_period.items()}
    grid = _period_grid(min(counted), max(counted), grain) if counted else []
    names = _count_names(opts)
    empty = dict.fromkeys(names, 0)
    found = [counted.get(p, empty) for p in grid]
    frame = pd.DataFrame({"period": np.array(grid, dtype="datetime64[us]")} | {
        c: np.array([f[c] for f in found], dtype="int64" if c == "n" or not opts.weighted else "float64")
        for c in names
    })
    return _trend_of(frame, [], opts, True)


def _period_grid(first: Any, last: Any, grain: str) -> list[Any]:
    """Every period start from ``first`` to ``last`` (both starts of a ``grain`` period), as generate_series steps."""
    months = {"month": 1, "quarter": 3, "year": 12}.get(grain)
    out: list[Any] = []
    day, i = first, 0
    while day <= last:
        out.append(day)
        i += 1
        if months:
            m = first.month - 1 + i * months
            day = first.replace(year=first.year + m // 12, month=m % 12 + 1)
        else:
            day = first + dt.timedelta(days=(7 if grain == "week" else 1) * i)
    return out


def data_range(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None = None
) -> tuple[dt.date, dt.date] | None:
    """The first and last response dates (inclusive, as dates) the filter keeps; None when none is dated."""
    conds, params = _conditions(flt, ds)
    rows = sql.fetch_all(cur, f"SELECT min({sql.DATE}), max({sql.DATE}) FROM {sql.table(ds.table)} {_where(conds)}",
                         params)
    row = rows[0] if rows else None
    if row is None or row[0] is None:
        return None
    return _as_date(row[0]), _as_date(row[1])


def _as_date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def dimension_values(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, column: str, flt: Filter | None = None, limit: int = 500
) -> pd.DataFrame:
    """The values of ``column`` with their number of responses: DataFrame[value, n], n desc then value.

    NULL is ``"(blank)"``. At most ``limit`` rows. No dedupe or weights: ``n`` is
    responses. Pass a filter without this column's own choice to list every
    option. Raises :class:`nps.errors.UnknownColumnError` for an unknown column,
    ValueError for a limit below 1.
    """
    if isinstance(limit, bool) or int(limit) != limit or limit < 1:
        raise ValueError(f"limit must be 1 or more, not {limit!r}")
    col = sql.column(column, ds.all_columns)
    conds, params = _conditions(flt, ds)
    text = (
        f"SELECT COALESCE(CAST({col} AS VARCHAR), '{BLANK}') AS value, count(*) AS n "
        f"FROM {sql.table(ds.table)} {_where(conds)} GROUP BY 1 ORDER BY n DESC, value LIMIT ?"
    )
    return sql.fetch_df(cur, text, [*params, int(limit)])


def _per_column_sets(quoted: Sequence[str], also: str | None = None) -> tuple[str, str, str, str]:
    """SQL pieces to count each column's values in one scan: GROUPING SETS of one column (plus ``also``) each.

    Returns the select items (``k0``, ``k1``, … as text), the grouping sets,
    the ``CASE`` body naming which column a row counts (its index) and the
    expression of its value.
    """
    items = ", ".join(f"CAST({q} AS VARCHAR) AS k{i}" for i, q in enumerate(quoted))
    sets = ", ".join(f"({also + ', ' if also else ''}k{i})" for i in range(len(quoted)))
    which = " ".join(f"WHEN grouping(k{i}) = 0 THEN {i}" for i in range(len(quoted)))
    value = "COALESCE(" + ", ".join(f"k{i}" for i in range(len(quoted))) + ")"
    return items, sets, which, value


def dimension_counts(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, columns: Sequence[str], flt: Filter | None = None
) -> dict[str, pd.DataFrame]:
    """The values of several columns with their n, in one pass: {column: DataFrame[value, n]} (n desc, value).

    Equivalent to :func:`dimension_values` per column (NULL is ``"(blank)"``, no
    limit) but one scan with GROUPING SETS, for the sidebar. Raises
    :class:`nps.errors.UnknownColumnError` for an unknown column.
    """
    columns = list(dict.fromkeys(columns))
    if not columns:
        return {}
    quoted = [sql.column(c, ds.all_columns) for c in columns]
    conds, params = _conditions(flt, ds)
    keys, sets, which, value = _per_column_sets(quoted)
    text = (
        f"SELECT CASE {which} END AS col, COALESCE({value}, '{BLANK}') AS value, count(*) AS n "
        f"FROM (SELECT {keys} FROM {sql.table(ds.table)} {_where(conds)}) "
        f"GROUP BY GROUPING SETS ({sets}) ORDER BY col, n DESC, value"
    )
    frame = sql.fetch_df(cur, text, params)
    out: dict[str, pd.DataFrame] = {}
    for i, column in enumerate(columns):
        part = frame[frame["col"] == i]
        out[column] = pd.DataFrame({"value": part["value"].astype(str).to_numpy(),
                                    "n": part["n"].astype("int64").to_numpy()})
    return out


@dataclass(frozen=True)
class DailyCounts:
    """Responses per day of every value of some columns, summed over any period in microseconds.

    Made by :func:`dimension_counts_by_day`; read with :meth:`within`. ``days`` are
    the sorted distinct response dates; ``keys`` the (column, value) pairs, column
    by column; ``cumulative[i, j]`` the responses of key j dated before ``days[i]``
    (one row more than ``days``); ``undated[j]`` those of key j without a date.
    """

    columns: tuple[str, ...]
    days: np.ndarray
    keys: tuple[tuple[str, str], ...]
    cumulative: np.ndarray
    undated: np.ndarray

    def within(self, since: dt.date | None = None, until: dt.date | None = None) -> dict[str, pd.DataFrame]:
        """The values of each column with their n in the inclusive period, as :func:`dimension_counts` returns them.

        {column: DataFrame[value, n]}, n desc then value, values without a response
        in the period left out; no period (both None) counts undated responses too.
        """
        lo = 0 if since is None else int(np.searchsorted(self.days, np.datetime64(since, "D"), side="left"))
        hi = len(self.days) if until is None else int(np.searchsorted(self.days, np.datetime64(until, "D"),
                                                                      side="right"))
        n = self.cumulative[max(hi, lo)] - self.cumulative[lo]
        if since is None and until is None:
            n = n + self.undated
        out: dict[str, pd.DataFrame] = {}
        for column in self.columns:
            picked = sorted(((-int(n[j]), value) for j, (c, value) in enumerate(self.keys) if c == column and n[j] > 0))
            values = np.empty(len(picked), dtype=object)
            values[:] = [v for _, v in picked]
            out[column] = pd.DataFrame({"value": values, "n": np.array([-m for m, _ in picked], dtype="int64")})
        return out


def dimension_counts_by_day(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, columns: Sequence[str], flt: Filter | None = None
) -> DailyCounts:
    """The per-day counts behind :func:`dimension_counts`, for any period later without a query.

    ``flt`` is applied as in :func:`dimension_counts`; give it no period (its
    ``since``/``until`` would cut the days counted). ``result.within(since, until)``
    equals ``dimension_counts(cur, ds, columns, flt.with_period(since, until))``.
    Raises :class:`nps.errors.UnknownColumnError` for an unknown column.
    """
    columns = list(dict.fromkeys(columns))
    quoted = [sql.column(c, ds.all_columns) for c in columns]
    conds, params = _conditions(flt, ds)
    keys: list[tuple[str, str]] = []
    rows: list[tuple[Any, ...]] = []
    if quoted:
        items, sets, which, value = _per_column_sets(quoted, also="day")
        text = (
            f"SELECT CASE {which} END AS col, COALESCE({value}, '{BLANK}') AS value, day, count(*) AS n "
            f"FROM (SELECT CAST({sql.DATE} AS DATE) AS day, {items} FROM {sql.table(ds.table)} {_where(conds)}) "
            f"GROUP BY GROUPING SETS ({sets}) ORDER BY col, value"
        )
        rows = sql.fetch_all(cur, text, params)
        keys = list(dict.fromkeys((columns[r[0]], str(r[1])) for r in rows))
    index = {key: j for j, key in enumerate(keys)}
    days = np.array(sorted({r[2] for r in rows if r[2] is not None}), dtype="datetime64[D]")
    daily = np.zeros((len(days) + 1, len(keys)), dtype="int64")
    undated = np.zeros(len(keys), dtype="int64")
    day_index = {d: i for i, d in enumerate(days.tolist())}
    for col, value, day, n in rows:
        j = index[(columns[col], str(value))]
        if day is None:
            undated[j] += int(n)
        else:
            daily[day_index[day] + 1, j] += int(n)
    return DailyCounts(tuple(columns), days, tuple(keys), np.cumsum(daily, axis=0), undated)


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
    quoted = _key_columns(ds, [dimension])
    src_c, params_c = _source(ds, flt_current, opts)
    src_p, params_p = _source(ds, flt_previous, opts)
    items = f"{_key_items(quoted)}, {_count_items(opts)}"
    text = (
        f"SELECT 'cur' AS side, {items} FROM ({src_c}) GROUP BY ALL "
        f"UNION ALL SELECT 'prev' AS side, {items} FROM ({src_p}) GROUP BY ALL"
    )
    rows = sql.fetch_all(cur, text, params_c + params_p)
    names = ["side", "k0", *_count_names(opts)]
    return _shift_share_of({(r[0], r[1]): dict(zip(names[2:], r[2:])) for r in rows}, dimension)


def _shift_share_of(groups: dict[tuple[str, str], dict[str, Any]], dimension: str) -> ShiftShare:
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
