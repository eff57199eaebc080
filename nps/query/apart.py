"""What sets promoters and detractors apart: the item ratings and comment themes that distinguish them from the rest.

For the responses a filter keeps (through the row source: filter, scope, dedupe), two tables:

* **Items** (the mapping's item-rating columns, ``ColumnMapping.items``, read as the drivers read them:
  :func:`nps.query.drivers.item_frame`; counted, averaged and their variances taken per category in DuckDB): each item's mean rating among all responses that rated it, among
  promoters and among detractors, each with its n; the difference promoters − the rest (detractors and
  passives) and detractors − the rest (promoters and passives), with Welch's interval and test
  (:mod:`nps.stats.welch`). A response missing the item is left out of that item only.
* **Themes** (the comment themes of a codebook as the theme machinery tagged them,
  :mod:`nps.store.tagging`): among the responses with a comment, each theme's share of all of them, of the
  promoters' and of the detractors'; the promoters' lift (share among promoters' comments ÷ share among all
  comments) and the detractors', with Katz's interval and test (:mod:`nps.stats.lift`).

Every test of both tables is one family: ``high`` / ``low`` flags only after Benjamini–Hochberg across them all
(``Options.multiplicity`` overrides). A test needs ``Options.min_n`` on each side (items) or mentions (themes).
Responses count unweighted. On an employee dataset the anonymity rule applies (:mod:`nps.query.anonymity`): an
item whose raters include 1 to min_group − 1 promoters, passives or detractors shows only the means of the large
enough groups among promoters and detractors (the overall mean and the differences would give the small one's);
the themes are protected as the Comments page's table (a theme's few mentioners or few others), and a group of
few commenters (promoters', detractors' or the rest's) loses its shares and lift; everything is hidden when the
filter's complement is small, and the themes when the selection's comments are hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd

from nps import domain, stats
from nps.query import anonymity
from nps.query.drivers import item_value
from nps.query.filters import Filter
from nps.query.options import Options
from nps.query.rows import source
from nps.stats.lift import lift_arrays
from nps.stats.welch import welch_arrays
from nps.store import Dataset, sql
from nps.store.tagging import tags_table

if TYPE_CHECKING:
    from nps.text import Codebook

HIGH = "high"
LOW = "low"
GROUPS = ("promoter", "detractor")
_DIFF_PARTS = ("diff", "diff_low", "diff_high", "p", "p_adjusted", "flag")
ITEM_COLUMNS: tuple[str, ...] = (
    "item", "n", "mean_all", "n_promoters", "mean_promoters", "n_detractors", "mean_detractors",
    *(f"{g}_{part}" for g in GROUPS for part in _DIFF_PARTS),
)
_LIFT_PARTS = ("lift", "lift_low", "lift_high", "p", "p_adjusted", "flag")
THEME_COLUMNS: tuple[str, ...] = (
    "theme", "comments", "mentions", "share_all", "promoter_comments", "promoter_mentions", "share_promoters",
    "detractor_comments", "detractor_mentions", "share_detractors",
    *(f"{g}_{part}" for g in GROUPS for part in _LIFT_PARTS),
)


@dataclass(frozen=True)
class Apart:
    """What sets promoters and detractors apart in a selection.

    ``items``: DataFrame[:data:`ITEM_COLUMNS`] in the mapping's order (means on each item's own scale,
    differences in its points); ``themes``: DataFrame[:data:`THEME_COLUMNS`] of the themes mentioned at least
    once, by mentions (desc), then codebook order, shares as fractions 0..1, or None without themes; ``family``: the multiplicity control
    across both tables (``{"method", "tests", "level"}``); ``codebook_version`` the version the themes were
    read with; ``items_note`` / ``themes_note`` say why a table is empty or missing.
    """

    items: pd.DataFrame
    themes: pd.DataFrame | None
    family: dict[str, Any]
    codebook_version: str | None = None
    items_note: str | None = None
    themes_note: str | None = None

    @property
    def notes(self) -> tuple[str, ...]:
        """The notes there are (items', then themes')."""
        return tuple(n for n in (self.items_note, self.themes_note) if n)


def _small(n: Any, min_group: int) -> np.ndarray:
    """Where a group count is 1 to min_group − 1 (a group the anonymity rule hides)."""
    arr = np.asarray(n, dtype=float)
    return (arr > 0) & (arr < min_group)


def _item_moments(cur: duckdb.DuckDBPyConnection, ds: Dataset, items: list[str], flt: Filter | None,
                  opts: Options) -> pd.DataFrame:
    """Per item and NPS category: the ratings' count, mean and sample variance (counted in DuckDB).

    An item reads as the drivers read it (:func:`nps.query.drivers.item_frame`): a number with ``TRY_CAST``, or a
    word of a 5-point scale (:data:`nps.domain.ITEM_LABELS`) as the number 1–5 it stands for; else missing.
    """
    allowed = ds.columns
    parts: list[str] = []
    params: list[object] = []
    for j, item in enumerate(items):
        expression, bound = item_value(item, allowed)
        parts.append(f"{expression} AS i{j}")
        params += bound
    stats_ = ", ".join(f"count(i{j}) AS n{j}, avg(i{j}) AS m{j}, var_samp(i{j}) AS v{j}" for j in range(len(items)))
    src, src_params = source(ds, flt, opts)
    text = (f"SELECT {sql.CATEGORY} AS category, {stats_} FROM (SELECT {sql.CATEGORY}, {', '.join(parts)} "
            f"FROM ({src})) GROUP BY ALL")
    return sql.fetch_df(cur, text, [*params, *src_params]).set_index("category")


def _pooled(n: np.ndarray, mean: np.ndarray, var: np.ndarray) -> tuple[float, float, float]:
    """(n, mean, sample variance) of groups pooled from each one's (n, mean, sample variance); NaN where too few."""
    keep = n > 0
    n, mean, var = n[keep], mean[keep], var[keep]
    total = float(n.sum())
    if total == 0:
        return 0.0, math.nan, math.nan
    centre = float((n * mean).sum() / total)
    within = np.where(n > 1, (n - 1) * np.nan_to_num(var), 0.0)
    spread = float(within.sum() + (n * (mean - centre) ** 2).sum())
    return total, centre, spread / (total - 1) if total > 1 else math.nan


def _item_table(moments: pd.DataFrame, items: list[str], opts: Options) -> pd.DataFrame:
    """The items table's numbers (flags and adjusted p-values still empty)."""
    cats = [c for c in domain.CATEGORIES if c in moments.index]
    rows: list[dict[str, Any]] = []
    for j, item in enumerate(items):
        per = moments.reindex(cats)
        n_c = per[f"n{j}"].to_numpy(dtype=float)
        m_c = per[f"m{j}"].to_numpy(dtype=float)
        v_c = per[f"v{j}"].to_numpy(dtype=float)
        n, mean, _ = _pooled(n_c, m_c, v_c)
        row: dict[str, Any] = {"item": item, "n": int(n), "mean_all": mean}
        for group, name in ((domain.PROMOTER, "promoter"), (domain.DETRACTOR, "detractor")):
            inside = np.array([c == group for c in cats], dtype=bool)
            n_g, m_g, v_g = _pooled(n_c[inside], m_c[inside], v_c[inside])
            n_r, m_r, v_r = _pooled(n_c[~inside], m_c[~inside], v_c[~inside])
            test = welch_arrays(m_g, v_g, n_g, m_r, v_r, n_r, level=opts.level, min_n=opts.min_n)
            row |= {f"n_{name}s": int(n_g), f"mean_{name}s": m_g,
                    f"{name}_diff": float(test["diff"][0]), f"{name}_diff_low": float(test["low"][0]),
                    f"{name}_diff_high": float(test["high"][0]), f"{name}_p": float(test["p_value"][0])}
        rows.append(row)
    out = pd.DataFrame(rows, columns=[c for c in ITEM_COLUMNS if not c.endswith(("_p_adjusted", "_flag"))])
    for c in ("n", "n_promoters", "n_detractors"):
        out[c] = out[c].astype("Int64")
    return out


def _blank(frame: pd.DataFrame, rows: Any, columns: list[str]) -> None:
    """Hide ``columns`` on ``rows`` in place: NaN in a float column, NA in a count (made nullable first)."""
    for c in columns:
        if not pd.api.types.is_float_dtype(frame[c]):
            frame[c] = frame[c].astype("Int64")
            frame.loc[rows, c] = pd.NA
        else:
            frame.loc[rows, c] = math.nan


def _protect_items(out: pd.DataFrame, min_group: int, hide_all: bool) -> pd.DataFrame:
    """The items table under the anonymity rule: no small category's mean can be read or worked out.

    Per item, when the promoters, passives or detractors who rated it count 1 to min_group − 1, the overall mean
    and both differences are hidden (with the other means they would give the small category's mean), and so
    is the mean of a small group; only the promoters' and detractors' means of large enough groups stay.
    """
    out = out.copy()
    if hide_all:
        _blank(out, slice(None), [c for c in out.columns if c != "item"])
        return out
    n = out["n"].astype("float64").to_numpy()
    promoters = out["n_promoters"].astype("float64").to_numpy()
    detractors = out["n_detractors"].astype("float64").to_numpy()
    small = {"promoter": _small(promoters, min_group), "detractor": _small(detractors, min_group)}
    any_small = small["promoter"] | small["detractor"] | _small(n - promoters - detractors, min_group)
    _blank(out, any_small, ["mean_all"])
    for g in GROUPS:
        _blank(out, small[g], [f"mean_{g}s"])
        _blank(out, any_small, [f"{g}_diff", f"{g}_diff_low", f"{g}_diff_high", f"{g}_p"])
    return out


def _theme_counts(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options,
                  version: str) -> tuple[dict[str, float], pd.DataFrame]:
    """The commented responses' counts (all, promoters, detractors), and each theme's mentions among them."""
    src, params = source(ds, flt, opts)
    cats = (f"count(*) AS n, count(*) FILTER (WHERE {sql.CATEGORY} = '{domain.PROMOTER}') AS promoters, "
            f"count(*) FILTER (WHERE {sql.CATEGORY} = '{domain.DETRACTOR}') AS detractors")
    text = (
        f"WITH src AS (SELECT {sql.ROW}, {sql.WAVE}, {sql.CATEGORY} FROM ({src})), "
        f"tags AS (SELECT _row, _wave, theme FROM {sql.table(tags_table(ds))} WHERE version = ?), "
        "commented AS (SELECT s.* FROM src s SEMI JOIN tags t ON t._row = s._row AND t._wave = s._wave), "
        "mentions AS (SELECT DISTINCT c._row, c._wave, c._category, t.theme FROM commented c JOIN tags t "
        "ON t._row = c._row AND t._wave = c._wave WHERE t.theme IS NOT NULL) "
        f"SELECT NULL::VARCHAR AS theme, {cats} FROM commented UNION ALL SELECT theme, {cats} FROM mentions GROUP BY theme"
    )
    counts = sql.fetch_df(cur, text, [*params, version])
    total = counts[counts["theme"].isna()]
    totals = {c: float(total[c].iloc[0]) if len(total) else 0.0 for c in ("n", "promoters", "detractors")}
    return totals, counts[counts["theme"].notna()].set_index("theme")


def _theme_table(totals: dict[str, float], hits: pd.DataFrame, names: list[str], opts: Options) -> pd.DataFrame:
    """The themes table's numbers (flags and adjusted p-values still empty), in codebook order."""
    hits = hits.reindex(names).fillna(0)
    out = pd.DataFrame({"theme": pd.Series(names, dtype=object)})
    out["comments"] = int(totals["n"])
    out["mentions"] = hits["n"].to_numpy(dtype="int64")
    with np.errstate(all="ignore"):
        out["share_all"] = out["mentions"] / totals["n"] if totals["n"] else math.nan
        for g in GROUPS:
            comments = totals[f"{g}s"]
            mentions = hits[f"{g}s"].to_numpy(dtype=float)
            out[f"{g}_comments"] = int(comments)
            out[f"{g}_mentions"] = mentions.astype("int64")
            out[f"share_{g}s"] = mentions / comments if comments else math.nan
            lift = lift_arrays(mentions, np.full(len(out), comments), out["mentions"].to_numpy(dtype=float),
                               np.full(len(out), totals["n"]), level=opts.level, min_n=opts.min_n)
            for key, name in (("lift", "lift"), ("low", "lift_low"), ("high", "lift_high"), ("p_value", "p")):
                out[f"{g}_{name}"] = lift[key]
    return out


def _protect_themes(out: pd.DataFrame, min_group: int) -> pd.DataFrame:
    """The themes table under the anonymity rule (as the Comments page's theme table, per group and per theme)."""
    out = out.copy()
    per_theme = _small(out["mentions"], min_group) | _small(out["comments"] - out["mentions"], min_group)
    for g in GROUPS:
        comments = out[f"{g}_comments"].to_numpy(dtype=float)
        hide = per_theme | _small(comments, min_group) | _small(out["comments"].to_numpy(dtype=float) - comments,
                                                                  min_group)
        _blank(out, hide, [f"{g}_mentions", f"share_{g}s", f"{g}_lift", f"{g}_lift_low", f"{g}_lift_high", f"{g}_p"])
    return out


def _flag(frame: pd.DataFrame, group: str, estimate: str, neutral: float, adjusted: np.ndarray,
          significant: np.ndarray) -> None:
    """Write a group's adjusted p-values and high/low flags into ``frame`` (in place)."""
    value = frame[estimate].to_numpy(dtype=float)
    frame[f"{group}_p_adjusted"] = adjusted
    frame[f"{group}_flag"] = np.where(significant & (value > neutral), HIGH,
                                      np.where(significant & (value < neutral), LOW, ""))


def what_sets_them_apart(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None = None,
                         opts: Options = Options(), *, codebook: Codebook | None = None,
                         items: list[str] | tuple[str, ...] | None = None) -> Apart:
    """The items and themes that distinguish promoters and detractors from the rest, in the responses ``flt`` keeps.

    ``items`` defaults to the mapping's item ratings (stored column names; another name raises
    :class:`nps.errors.UnknownColumnError`). Themes are read when ``codebook`` is given and the dataset has a
    comment column: the dataset must be tagged with it (:class:`nps.errors.NotTaggedError` otherwise; reads
    never tag). Without items or themes the table is empty or None, and a note says why.
    """
    plain = replace(opts, weighted=False)
    chosen = list(ds.mapping.items if items is None else items)
    items_note: str | None = None
    themes_note: str | None = None
    privacy = anonymity.privacy_of(ds)
    hide_all = privacy is not None and anonymity.complement_too_small(cur, ds, flt, plain)
    if chosen:
        table = _item_table(_item_moments(cur, ds, chosen, flt, plain), chosen, plain)
        if privacy is not None:
            table = _protect_items(table, privacy.min_group, hide_all)
            items_note = anonymity.selection_hidden_sentence(privacy) if hide_all else None
    else:
        table = pd.DataFrame(columns=[c for c in ITEM_COLUMNS if not c.endswith(("_p_adjusted", "_flag"))])
        items_note = "this dataset has no item ratings (speed, staff, price… rated next to the 0–10 question)"
    themed: pd.DataFrame | None = None
    version: str | None = None
    if codebook is None:
        pass
    elif not ds.mapping.comment:
        themes_note = "this dataset has no comment column, so no themes"
    else:
        from nps.query.themes import require_tagged

        version = require_tagged(cur, ds, codebook)
        try:
            anonymity.require_comments(cur, ds, flt, plain)
        except anonymity.CommentsHidden as hidden:
            themes_note = str(hidden)
        else:
            if hide_all and privacy is not None:
                themes_note = anonymity.selection_hidden_sentence(privacy)
            else:
                totals, hits = _theme_counts(cur, ds, flt, plain, version)
                themed = _theme_table(totals, hits, list(codebook.themes), plain)
                if privacy is not None:
                    themed = _protect_themes(themed, privacy.min_group)
    p_parts = [table[f"{g}_p"].to_numpy(dtype=float) for g in GROUPS]
    if themed is not None:
        p_parts += [themed[f"{g}_p"].to_numpy(dtype=float) for g in GROUPS]
    adjusted, significant, family = stats.flag_tests(np.concatenate(p_parts) if p_parts else np.zeros(0),
                                                     level=plain.level, multiplicity=plain.control(stats.SCREENING))
    significant = significant.astype(bool)
    start = 0
    for frame, estimate, neutral in ((table, "diff", 0.0), (themed, "lift", 1.0)):
        if frame is None:
            continue
        for g in GROUPS:
            stop = start + len(frame)
            _flag(frame, g, f"{g}_{estimate}", neutral, adjusted[start:stop], significant[start:stop])
            start = stop
    table = table[list(ITEM_COLUMNS)].reset_index(drop=True)
    if themed is not None:
        themed["_order"] = range(len(themed))
        themed = themed[themed["mentions"].fillna(0) > 0]  # a theme no comment mentions sets no one apart
        themed = themed.sort_values(["mentions", "_order"], ascending=[False, True], kind="stable")
        themed = themed[list(THEME_COLUMNS)].reset_index(drop=True)
    return Apart(table, themed, family.as_dict(), version, items_note, themes_note)


__all__ = ["GROUPS", "HIGH", "ITEM_COLUMNS", "LOW", "THEME_COLUMNS", "Apart", "what_sets_them_apart"]
