"""The counting blocks every question shares: the select items that count a group, and the stats on the counts.

A question selects :func:`count_items` (n and the three categories, Σw² when
weighted) or :func:`score_items` (counts per score) from :func:`nps.query.rows.source`,
then scores the small result with :mod:`nps.stats` (:func:`finish`, :func:`result_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from nps import domain, stats
from nps.query.options import Options
from nps.query.rows import WEIGHT
from nps.store import Dataset, sql

BLANK = sql.BLANK

# Names the results use for themselves: a column to group by cannot have one of them.
OUTPUT_NAMES = {"n", "promoters", "passives", "detractors", "effective_n", "sum_w2", *stats.STAT_COLUMNS}


# The category of a score, as ingest derives ``_category`` from it. Counting on the TINYINT
# score rather than comparing the VARCHAR category strings makes every count about a third cheaper.
_IS = {f"{c}s": domain.is_category_sql(c, sql.SCORE) for c in (domain.PROMOTER, domain.PASSIVE, domain.DETRACTOR)}


def count_items(opts: Options) -> str:
    """Select items counting a group: n, the three categories and, when weighted, Σw²."""
    if not opts.weighted:
        return f"count({sql.SCORE}) AS n, " + ", ".join(
            f"count(*) FILTER (WHERE {cond}) AS {name}" for name, cond in _IS.items()
        )
    w = WEIGHT
    return (
        f"count({sql.SCORE}) AS n, "
        + "".join(f"COALESCE(sum({w}) FILTER (WHERE {cond}), 0)::DOUBLE AS {name}, " for name, cond in _IS.items())
        + f"COALESCE(sum({w} * {w}) FILTER (WHERE {sql.SCORE} IS NOT NULL), 0)::DOUBLE AS sum_w2"
    )


def count_names(opts: Options) -> list[str]:
    """The names of the columns :func:`count_items` selects, in order."""
    return ["n", "promoters", "passives", "detractors"] + (["sum_w2"] if opts.weighted else [])


def with_effective_n(frame: pd.DataFrame, opts: Options) -> pd.DataFrame:
    """Add Kish's effective n from the weight sums (weighted mode only)."""
    if not opts.weighted:
        return frame
    out = frame.copy()
    total = (out["promoters"] + out["passives"] + out["detractors"]).to_numpy(dtype=float)
    w2 = out["sum_w2"].to_numpy(dtype=float)
    with np.errstate(all="ignore"):
        out["effective_n"] = np.where(w2 > 0, total**2 / w2, 0.0)
    return out


def finish(frame: pd.DataFrame, keys: Sequence[str], opts: Options) -> pd.DataFrame:
    """Stats on a counted frame, columns in the documented order."""
    out = stats.add_stats(with_effective_n(frame, opts), method=opts.method, level=opts.level, min_n=opts.min_n)
    out["n"] = out["n"].astype("int64")
    if not opts.weighted:
        for c in ("promoters", "passives", "detractors"):
            out[c] = out[c].astype("int64")
    out["low_n"] = out["low_n"].astype(bool)
    counts = ["n"] + (["effective_n"] if opts.weighted else []) + ["promoters", "passives", "detractors"]
    rest = [c for c in out.columns if c not in {*keys, *counts, *stats.STAT_COLUMNS, "sum_w2"}]
    return out[[*keys, *counts, *stats.STAT_COLUMNS, *rest]]


def key_columns(ds: Dataset, by: Sequence[str], taken: set[str] = OUTPUT_NAMES) -> list[str]:
    """Quoted identifiers of ``by``, checked against the dataset and the output's own names."""
    if isinstance(by, str):
        by = [by]
    if len(set(by)) != len(by):
        raise ValueError(f"a column appears twice in {list(by)!r}")
    clash = [b for b in by if b in taken]
    if clash:
        raise ValueError(f"cannot group by a column named {clash[0]!r}: the result uses that name for a statistic")
    return [sql.column(b, ds.all_columns) for b in by]


def key_items(quoted: Sequence[str]) -> str:
    """Select items ``k0``, ``k1``, … of the quoted key columns as text, NULL as ``"(blank)"``."""
    return ", ".join(f"COALESCE(CAST({q} AS VARCHAR), '{BLANK}') AS k{i}" for i, q in enumerate(quoted))


def rename_keys(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """``frame`` with ``k0``, ``k1``, … renamed to the columns of ``by``."""
    return frame.rename(columns={f"k{i}": b for i, b in enumerate(by)})


def result_of(row: dict[str, Any], opts: Options) -> stats.NpsResult:
    """The :class:`nps.stats.NpsResult` of one group's counts (names of :func:`count_names`; missing ones are 0)."""
    kw = {"method": opts.method, "level": opts.level, "min_n": opts.min_n}
    n = int(row.get("n") or 0)
    if not opts.weighted:
        return stats.score_counts(
            int(row.get("detractors") or 0), int(row.get("passives") or 0), int(row.get("promoters") or 0), **kw
        )
    d, pa, p = (float(row.get(c) or 0.0) for c in ("detractors", "passives", "promoters"))
    eff = stats.kish_effective_n(d + pa + p, float(row.get("sum_w2") or 0.0))
    return stats.score_weighted(d, pa, p, n=n, effective_n=eff, **kw)


def counts_row(cur: duckdb.DuckDBPyConnection, text: str, params: list[Any], opts: Options) -> dict[str, Any]:
    """Run a query selecting :func:`count_items` once; its row as {name: count} (empty when no row)."""
    # fetch_all, not fetch_one: DuckDB 2.0 keeps a half-read result open on the cursor.
    rows = sql.fetch_all(cur, text, params)
    return dict(zip(count_names(opts), rows[0] if rows else ()))


def score_items(opts: Options) -> str:
    """Select items counting per score: n, and when weighted Σw and Σw² (what overall, distribution and shift share are made of)."""
    weight = f", sum({WEIGHT})::DOUBLE AS w, sum({WEIGHT} * {WEIGHT})::DOUBLE AS w2" if opts.weighted else ""
    return f"{sql.SCORE} AS score, count(*) AS n{weight}"


def score_rows(rows: list[tuple[Any, ...]], opts: Options) -> dict[int, tuple[int, float, float]]:
    """{score: (n, Σw, Σw²)} from rows ``(score, n[, w, w2])``, NULL scores left out (Σw = n unweighted)."""
    out: dict[int, tuple[int, float, float]] = {}
    for row in rows:
        if row[0] is None:
            continue
        n = int(row[1])
        out[int(row[0])] = (n, float(row[2]), float(row[3])) if opts.weighted else (n, float(n), float(n))
    return out


def distribution_of(scores: dict[int, tuple[int, float, float]], opts: Options) -> pd.DataFrame:
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


def counts_of(scores: dict[int, tuple[int, float, float]], opts: Options) -> dict[str, Any]:
    """The counts :func:`count_items` selects (n, promoters, passives, detractors[, sum_w2]) from counts per score."""
    pick = 1 if opts.weighted else 0
    row: dict[str, Any] = {
        "n": sum(v[0] for v in scores.values()),
        **{f"{c}s": sum(v[pick] for s, v in scores.items() if domain.category(s) == c)
           for c in (domain.PROMOTER, domain.PASSIVE, domain.DETRACTOR)},
    }
    if opts.weighted:
        row["sum_w2"] = sum(v[2] for v in scores.values())
    return row
