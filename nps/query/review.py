"""The review meeting's scorecards: each value of a dimension with its change, target and gap."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from nps import domain, stats
from nps.query import anonymity, breakdowns, scores
from nps.query.options import Options
from nps.query.filters import Filter
from nps.store import Dataset
from nps.text.codebook import Codebook

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


MOVED_COLUMNS = ("theme", "before", "n_before", "since", "n_since", "change", "change_ci_low", "change_ci_high",
                 "change_p", "change_p_adjusted", "change_significant")


def themes_moved(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    flt: Filter | None,
    compare_flt: Filter,
    opts: Options = Options(),
    *,
    category: str = domain.DETRACTOR,
    top: int = 3,
) -> pd.DataFrame:
    """The themes whose share of one category's comments moved most between ``compare_flt`` and ``flt``.

    For every codebook theme: its share of the category's commented responses before (``compare_flt``) and
    now (``flt``), fractions 0..1, each with its n of comments; the change in percentage points with its
    interval and its two-proportion test (:func:`nps.stats.compare_shares`, ``opts.method`` and ``level``;
    not tested below ``opts.min_n`` comments a side), Benjamini–Hochberg-controlled across the themes
    (``opts.multiplicity`` overrides: a screening display). Returns up to ``top`` rows (columns
    :data:`MOVED_COLUMNS`), significant changes first, then by the size of the change; themes mentioned in
    neither window are left out. ``frame.attrs["family"]`` is the family of the tests. Needs the dataset
    tagged; raises :class:`nps.query.anonymity.CommentsHidden` where the employee anonymity rule hides
    the comments of either window.
    """
    from nps.query import themes

    names = list(codebook.themes)
    now = themes.theme_shares(cur, ds, codebook, flt, names, category=category)
    before = themes.theme_shares(cur, ds, codebook, compare_flt, names, category=category)
    found: dict[str, stats.Difference] = {}
    rows = []
    for (theme, n_now, hits_now), (_, n_before, hits_before) in zip(
            now[["theme", "comments", "mentions"]].itertuples(index=False),
            before[["theme", "comments", "mentions"]].itertuples(index=False)):
        if not hits_now and not hits_before:
            continue
        found[str(theme)] = stats.compare_shares(int(hits_now), int(n_now), int(hits_before), int(n_before),
                                                 method=opts.method, level=opts.level, min_n=opts.min_n)
        rows.append((str(theme), hits_before / n_before if n_before else math.nan, int(n_before),
                     hits_now / n_now if n_now else math.nan, int(n_now)))
    tested = {k: d for k, d in found.items() if not math.isnan(d.p_value)}
    adjusted = stats.adjust_differences(tested, multiplicity=opts.control(stats.SCREENING)) if tested else {}
    out = pd.DataFrame(rows, columns=list(MOVED_COLUMNS[:5]))
    diffs = [adjusted.get(t, found[t]) for t in out["theme"]]
    out["change"] = [d.diff for d in diffs]
    out["change_ci_low"] = [d.ci_low for d in diffs]
    out["change_ci_high"] = [d.ci_high for d in diffs]
    out["change_p"] = [d.p_value for d in diffs]
    out["change_p_adjusted"] = [d.p_adjusted if t in adjusted else math.nan for t, d in zip(out["theme"], diffs)]
    out["change_significant"] = [bool(t in adjusted and adjusted[t].significant) for t in out["theme"]]
    order = out.assign(_size=out["change"].abs().fillna(-1)).sort_values(
        ["change_significant", "_size"], ascending=[False, False], kind="stable")
    result = order.drop(columns="_size").head(top).reset_index(drop=True)
    result.attrs["family"] = stats.Family(opts.control(stats.SCREENING), len(tested), float(opts.level)).as_dict()
    return result


SHARE_COLUMNS = ("category", "share", "share_low", "share_high", "n", "prev_share", "prev_n", "change", "change_ci_low",
                 "change_ci_high", "change_p", "change_p_adjusted", "change_significant")


def share_changes(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    dimension: str,
    cards: pd.DataFrame,
    flt: Filter | None,
    compare_flt: Filter | None,
    opts: Options = Options(),
) -> dict[str, pd.DataFrame]:
    """Each shown card's shares of promoters, passives and detractors with their intervals, and their change.

    ``cards`` is :func:`build_scorecards`' frame as shown (a card the anonymity rule hides is skipped, and a
    change from a hidden previous period is not computed). Per card value, a frame with one row per category
    (columns :data:`SHARE_COLUMNS`): the share now (fraction) with its interval at ``opts.level``
    (:func:`nps.stats.share_interval`, ``opts.method``) and n; with ``compare_flt``, the share before and the
    change in percentage points with its interval and two-proportion test (not tested below ``opts.min_n``).
    The changes of every card are decisions of one meeting: Holm-controlled together (unless
    ``opts.multiplicity`` says otherwise), as the NPS changes are. ``attrs["family"]`` of each frame
    describes that family. Weighted counts use Kish's effective n.
    """
    current = breakdowns.counted_breakdown(cur, ds, [dimension], flt, opts)
    previous = breakdowns.counted_breakdown(cur, ds, [dimension], compare_flt, opts) if compare_flt is not None else None
    shown = {str(v): row for v, row in zip(cards[dimension], cards.to_dict("records"))
             if not row.get(anonymity.SUPPRESSED)}

    def counts(frame: pd.DataFrame | None, value: str) -> tuple[dict[str, float], float] | None:
        if frame is None:
            return None
        found = frame[frame[dimension].astype(str) == value]
        if found.empty:
            return None
        row = found.iloc[0]
        total = float(row["promoters"] + row["passives"] + row["detractors"])
        n_eff = float(row["effective_n"]) if opts.weighted and "effective_n" in row and row["effective_n"] == row[
            "effective_n"] else total
        scale = n_eff / total if total else 0.0
        return {c: float(row[f"{c}s"]) * scale for c in domain.CATEGORIES}, n_eff

    tests: dict[tuple[str, str], stats.Difference] = {}
    rows: dict[str, list[list[Any]]] = {}
    for value, card in shown.items():
        now = counts(current, value)
        if now is None:
            continue
        before = counts(previous, value) if _num_ok(card.get("prev_n")) else None
        mine = []
        for category in domain.CATEGORIES:
            hits, n = now[0][category], now[1]
            low, high = stats.share_interval(hits, n, method=opts.method, level=opts.level)
            prev_share = prev_n = math.nan
            if before is not None:
                prev_n = before[1]
                prev_share = before[0][category] / prev_n if prev_n else math.nan
                tests[(value, category)] = stats.compare_shares(hits, n, before[0][category], prev_n,
                                                                method=opts.method, level=opts.level, min_n=opts.min_n)
            mine.append([category, hits / n if n else math.nan, low, high, n, prev_share, prev_n])
        rows[value] = mine
    tested = {k: d for k, d in tests.items() if not math.isnan(d.p_value)}
    adjusted = stats.adjust_differences(tested, multiplicity=opts.control(stats.DECISION)) if tested else {}
    family = stats.Family(opts.control(stats.DECISION), len(tested), float(opts.level)).as_dict()
    out: dict[str, pd.DataFrame] = {}
    for value, mine in rows.items():
        extra = []
        for category in domain.CATEGORIES:
            diff = adjusted.get((value, category)) or tests.get((value, category))
            if diff is None:
                extra.append([math.nan] * 5 + [False])
            else:
                extra.append([diff.diff, diff.ci_low, diff.ci_high, diff.p_value,
                              diff.p_adjusted if (value, category) in adjusted else math.nan,
                              bool((value, category) in adjusted and adjusted[(value, category)].significant)])
        frame = pd.DataFrame([a + b for a, b in zip(mine, extra)], columns=list(SHARE_COLUMNS))
        frame.attrs["family"] = family
        out[value] = frame
    return out


def _num_ok(value: Any) -> bool:
    """A number that is there (not None, NA or NaN)."""
    return value is not None and value is not pd.NA and value == value
