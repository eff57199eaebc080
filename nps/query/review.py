"""The review meeting's scorecards: each value of a dimension with its change, target and gap."""

from __future__ import annotations

import math
from collections.abc import Mapping

import duckdb
import numpy as np
import pandas as pd

from nps import domain, stats
from nps.query import anonymity, breakdowns, scores
from nps.query.options import Options
from nps.query.filters import Filter
from nps.store import Dataset

FUNCTION_WORDS = ("function", "funzione", "fonction", "department", "dipartimento", "reparto", "team", "area")


def pick_review_dimension(ds: Dataset) -> str | None:
    """The dimension a review meeting walks through: the business-function column if one reads so, else the first."""
    dims = [d for d in ds.mapping.dimensions if d != ds.mapping.survey_type]
    for dim in dims:
        name = f"{dim} {ds.labels.get(dim, '')}".lower()
        if any(word in name for word in FUNCTION_WORDS):
            return dim
    return dims[0] if dims else None


def build_scorecards(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    dimension: str,
    flt: Filter | None,
    compare_flt: Filter | None,
    opts: Options = Options(),
    targets: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """One row per value of ``dimension``: its NPS now, the change vs ``compare_flt`` and the gap to target.

    Columns: the dimension, n, promoters, passives, detractors, nps, se, ci_low,
    ci_high, low_n, prev_n, prev_nps, change, change_se, change_ci_low,
    change_ci_high, change_p, change_p_adjusted, change_significant (False
    without a comparison), target, gap (nps − target, points; NaN without a
    target), sorted by n descending. The changes are decisions taken together in
    one meeting, so their significance is controlled across the values with Holm
    (unless ``opts.multiplicity`` says otherwise); a value or its previous period
    below the minimum n is not tested. ``frame.attrs["family"]`` is the
    :class:`nps.stats.Family` of those tests. On an employee dataset each value is a group of the
    anonymity rule (:mod:`nps.query.anonymity`): a hidden card is ``suppressed``, and a change from a
    hidden previous period is NaN.
    """
    current = breakdowns.counted_breakdown(cur, ds, [dimension], flt, opts)
    previous = None
    if compare_flt is not None:
        previous = breakdowns.counted_breakdown(cur, ds, [dimension], compare_flt, opts)
        frame = stats.add_change(current, previous, [dimension], method=opts.method, level=opts.level,
                                 min_n=opts.min_n, multiplicity=opts.control(stats.DECISION))
    else:
        frame = current.copy()
        for column in ("prev_nps", "change", "change_se", "change_ci_low", "change_ci_high", "change_p",
                       "change_p_adjusted"):
            frame[column] = np.nan
        frame["prev_n"] = 0
        frame["change_significant"] = False
    goals = dict(targets or {})
    frame["target"] = [goals.get(str(v), math.nan) for v in frame[dimension]]
    frame["gap"] = frame["nps"] - frame["target"]
    out = frame.sort_values("n", ascending=False, kind="stable").reset_index(drop=True)
    out = anonymity.protect_changes(cur, ds, [dimension], flt, compare_flt, opts, out, previous)
    tests = int(out["change_p"].notna().sum())
    out.attrs["family"] = stats.Family(opts.control(stats.DECISION), tests, float(opts.level)).as_dict()
    return out


def sample_verbatims(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, category: str, *, k: int = 3
) -> list[tuple[int, str]]:
    """Up to ``k`` recent non-blank comments of one category under ``flt``, as (score, comment)."""
    from dataclasses import replace

    from nps.query import responses

    base = flt or Filter()
    # The card's own selection was checked by card_voices; one category of it is not a group of its own.
    frame = responses.unchecked_page(
        cur, ds, replace(base, categories=(category,)), page=1, page_size=max(k * 10, 20), order="newest"
    )
    out: list[tuple[int, str]] = []
    for score, comment in zip(frame["score"], frame["comment"]):
        if isinstance(comment, str) and len(comment.strip()) >= 12:
            out.append((int(score), comment.strip()))
        if len(out) == k:
            break
    return out


def card_distribution(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options, dimension: str, value: str
) -> pd.DataFrame:
    """The 0–10 distribution of one card: the responses under ``flt`` whose ``dimension`` is ``value``."""
    return scores.distribution(cur, ds, (flt or Filter()).with_values(dimension, [value]), opts)


def card_voices(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, dimension: str, value: str, *, k: int = 3
) -> dict[str, list[tuple[int, str]]]:
    """One card's verbatims: up to ``k`` recent comments of its detractors, then of its promoters (:func:`sample_verbatims`).

    None (empty lists) when the employee anonymity rule hides the card's comments.
    """
    only = (flt or Filter()).with_values(dimension, [value])
    if not anonymity.comments_allowed(cur, ds, only):
        return {category: [] for category in (domain.DETRACTOR, domain.PROMOTER)}
    return {category: sample_verbatims(cur, ds, only, category, k=k) for category in (domain.DETRACTOR, domain.PROMOTER)}


def card_trends(trend: pd.DataFrame, dimension: str) -> dict[str, pd.DataFrame]:
    """A trend by ``dimension`` split into one frame per value (as text), each card's sparkline."""
    keys = trend[dimension].astype(str) if dimension in trend.columns else pd.Series([], dtype=str)
    return {value: trend[keys == value] for value in dict.fromkeys(keys)}


def top_themes_per_value(tops: pd.DataFrame) -> dict[str, list[tuple[str, float]]]:
    """``themes.top_themes_by``'s rows as each value's (theme, share) pairs, in their order."""
    found: dict[str, list[tuple[str, float]]] = {}
    for value, theme, share in zip(tops["value"], tops["theme"], tops["share"]):
        if value is None or value != value:  # no value: no card to caption (as a groupby drops it)
            continue
        found.setdefault(str(value), []).append((str(theme), float(share)))
    return found
