"""Reads of the comment themes: all from the stored tags, joined to the filtered responses in SQL.

The tags are written once per dataset and codebook version by
:func:`nps.store.tagging.tag_dataset` (the explicit step: the Comments pages run
it with a progress bar, ``python -m nps comments`` before its report). Every
read here (summary, trend, co-occurrence, top themes per value, languages,
uncovered comments, the preview of an edited codebook) needs the dataset tagged
(:func:`require_tagged`, which raises otherwise: reads never write) and records
the codebook version it used in ``frame.attrs["codebook_version"]``.
:func:`distinctive_terms` reads the comments themselves. (A little over 500 lines: one
read per figure the Comments pages show, sharing the ``WITH`` clauses of :func:`_tagged`.)
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from nps import domain, stats
from nps.domain import CATEGORIES
from nps.errors import NotTaggedError
from nps.query import anonymity
from nps.query.filters import Filter
from nps.query.rows import where_for
from nps.query.options import GRAINS, Options
from nps.store import Dataset, sql
from nps.store.tagging import has_comment_sql, is_tagged, tags_table
from nps.text import Codebook, tagging, terms
from nps.text.language import detect_languages

SUMMARY_COLUMNS: tuple[str, ...] = (
    "theme", "mentions", "share", "detractors", "passives", "promoters",
    "nps_with", "nps_without", "impact", "impact_ci_low", "impact_ci_high", "impact_p", "impact_p_adjusted",
    "impact_significant",
)


def require_tagged(cur: duckdb.DuckDBPyConnection, ds: Dataset, codebook: Codebook) -> str:
    """The codebook version a read of themes uses; raises :class:`NotTaggedError` when ``ds`` is not tagged with it.

    Reads never write: tagging is its own step (:func:`tag_dataset`, which the
    Comments pages run with a progress bar and ``python -m nps comments`` runs
    before its report).
    """
    if not is_tagged(cur, ds, codebook):
        raise NotTaggedError(
            f"the comments of {ds.name!r} are not tagged with codebook version {codebook.version} yet: "
            "tag them first (the Comments page does, and so does python -m nps comments)"
        )
    return codebook.version




def theme_summary(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    flt: Filter | None = None,
    opts: Options = Options(),
) -> pd.DataFrame:
    """One row per codebook theme: how often it is mentioned and what it does to NPS.

    Among the responses the filter keeps that have a comment: ``mentions`` (count)
    and ``share`` (fraction 0..1) of comments mentioning the theme;
    ``detractors``/``passives``/``promoters`` the fraction of each category's
    comments that mention it; ``nps_with`` / ``nps_without`` the NPS (points) of
    commenters who do / do not mention it; ``impact`` = ``nps_with − nps_without``
    (points) with ``impact_ci_low``/``impact_ci_high`` its interval from
    :func:`nps.stats.differences` (``opts.method``, ``opts.level``), ``impact_p``
    its p-value (NaN, not tested, when either side is below ``opts.min_n``),
    ``impact_p_adjusted`` after Benjamini–Hochberg control across the themes
    (unless ``opts.multiplicity`` says otherwise) and ``impact_significant``
    after it. NaN where a side is empty. Sorted by mentions (desc), then codebook order. Needs the
    dataset tagged (:func:`require_tagged`); ``frame.attrs["codebook_version"]`` is the version
    used. Raises ValueError for weighted or deduplicated options (not supported
    for themes yet).
    """
    anonymity.require_comments(cur, ds, flt)
    _check_options(opts)
    version = require_tagged(cur, ds, codebook)
    tagged, params = _tagged(ds, flt, version)
    cats = ", ".join(f"count(*) FILTER (WHERE {sql.CATEGORY} = '{c}') AS {c}s" for c in CATEGORIES)
    query = (
        f"{tagged}, totals AS (SELECT NULL::VARCHAR AS theme, {cats} FROM commented), "
        f"hits AS (SELECT theme, {cats} FROM mentions GROUP BY theme) "
        "SELECT * FROM totals UNION ALL SELECT * FROM hits"
    )
    counts = sql.fetch_df(cur, query, params)
    names = list(codebook.themes)
    total = counts[counts["theme"].isna()]
    hits = counts[counts["theme"].notna()].set_index("theme").reindex(names).fillna(0)
    frame = pd.DataFrame({"theme": names})
    for c in CATEGORIES:
        all_of_c = float(total[f"{c}s"].iloc[0]) if len(total) else 0.0
        frame[f"{c}s_with"] = hits[f"{c}s"].to_numpy(dtype=float)
        frame[f"{c}s_without"] = all_of_c - frame[f"{c}s_with"]
    return _versioned(_protect_summary(_finish_summary(frame, opts), frame, ds), version)


def _protect_summary(out: pd.DataFrame, counts: pd.DataFrame, ds: Dataset) -> pd.DataFrame:
    """A theme table under the employee anonymity rule: what a theme's few mentioners (or few others) scored is hidden.

    Those who mention a theme, and the commenters who do not, are groups: where either counts 1 to
    min_group − 1, the theme's category shares, NPS with and without and impact are NaN (its mentions stay).
    """
    privacy = anonymity.privacy_of(ds)
    if privacy is None or out.empty:
        return out
    sides = {name: counts[[f"{c}s_{name}" for c in CATEGORIES]].sum(axis=1) for name in ("with", "without")}
    small = pd.Series(False, index=counts.index)
    for n in sides.values():
        small |= (n > 0) & (n < privacy.min_group)
    few = set(counts.loc[small, "theme"])
    hide = out["theme"].isin(few).to_numpy()
    protected = out.copy()
    cols = ["detractors", "passives", "promoters", "nps_with", "nps_without", "impact", "impact_ci_low",
            "impact_ci_high", "impact_p", "impact_p_adjusted"]
    protected.loc[hide, cols] = float("nan")
    protected.loc[hide, "impact_significant"] = False
    protected.attrs = dict(out.attrs)
    return protected


def _finish_summary(frame: pd.DataFrame, opts: Options) -> pd.DataFrame:
    def side(name: str) -> pd.DataFrame:
        return pd.DataFrame(
            {c: frame[f"{c[:-1]}s_{name}"].astype(float) for c in ("detractors", "passives", "promoters")}
        )

    with_, without = side("with"), side("without")
    kw: dict[str, Any] = {"method": opts.method, "level": opts.level, "min_n": opts.min_n}
    scored_with = stats.add_stats(with_, **kw)
    scored_without = stats.add_stats(without, **kw)
    diff = stats.differences(with_, without, method=opts.method, level=opts.level, min_n=opts.min_n)
    adjusted, significant, family = stats.flag_tests(diff["p_value"].to_numpy(), level=opts.level,
                                                     multiplicity=opts.control(stats.SCREENING))
    by_cat = with_ + without
    mentions = with_.sum(axis=1)
    comments = by_cat.sum(axis=1)
    out = pd.DataFrame({"theme": frame["theme"], "mentions": mentions.astype("int64")})
    out["share"] = (mentions / comments).where(comments > 0)
    for c in ("detractors", "passives", "promoters"):
        out[c] = (with_[c] / by_cat[c]).where(by_cat[c] > 0)
    out["nps_with"] = scored_with["nps"]
    out["nps_without"] = scored_without["nps"]
    out["impact"] = out["nps_with"] - out["nps_without"]
    out["impact_ci_low"] = diff["ci_low"]
    out["impact_ci_high"] = diff["ci_high"]
    out["impact_p"] = diff["p_value"]
    out["impact_p_adjusted"] = adjusted
    out["impact_significant"] = significant.astype(bool)
    out["_order"] = range(len(out))
    out = out.sort_values(["mentions", "_order"], ascending=[False, True], kind="stable")
    out = out[list(SUMMARY_COLUMNS)].reset_index(drop=True)
    out.attrs["family"] = family.as_dict()
    return out


# --- more theme analytics: all from the stored tags, joined to the filtered responses ---------

PREVIEW_MAX_COMMENTS = 200_000
TREND_COLUMNS: tuple[str, ...] = ("period", "theme", "comments", "mentions", "share", "nps_with", "n_with", "low_n")
COOCCURRENCE_COLUMNS: tuple[str, ...] = ("theme_a", "theme_b", "both", "a_mentions", "b_mentions", "lift")


def _check_options(opts: Options) -> None:
    if opts.weighted or opts.dedupe:
        raise ValueError("theme figures count each comment once: turn off weighting and deduplication")


def _versioned(frame: pd.DataFrame, version: str) -> pd.DataFrame:
    """``frame`` with the codebook version it was computed with in ``attrs["codebook_version"]``."""
    frame.attrs["codebook_version"] = version
    return frame


def _tagged(ds: Dataset, flt: Filter | None, version: str, extra: str = "") -> tuple[str, list[Any]]:
    """``WITH`` clauses over the filtered responses and their tags, and the parameters.

    ``src``: the kept responses (``_row``, ``_wave``, ``_category`` and ``extra``
    select items); ``tags``: this version's tags; ``commented``: the kept responses
    with a comment (they have tags); ``mentions``: one row per commented response
    and theme it mentions (``src``'s columns and ``theme``).
    """
    where, params = where_for(flt, ds)
    text_ = (
        f"WITH src AS (SELECT {sql.ROW}, {sql.WAVE}, {sql.CATEGORY}{', ' + extra if extra else ''} "
        f"FROM {sql.table(ds.table)} {where}), "
        f"tags AS (SELECT _row, _wave, language, theme FROM {sql.table(tags_table(ds))} WHERE version = ?), "
        "commented AS (SELECT s.* FROM src s SEMI JOIN tags t ON t._row = s._row AND t._wave = s._wave), "
        "mentions AS (SELECT c.*, t.theme FROM commented c JOIN tags t ON t._row = c._row AND t._wave = c._wave "
        "WHERE t.theme IS NOT NULL)"
    )
    return text_, [*params, version]


def theme_trend(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    flt: Filter | None = None,
    grain: str = "month",
    opts: Options = Options(),
) -> pd.DataFrame:
    """Each theme's share of the comments per period, and the NPS of those who mention it.

    Returns DataFrame[period, theme, comments, mentions, share, nps_with,
    n_with, low_n], sorted by period then codebook order: ``period`` the start
    of the period (a timestamp; weeks start on Monday), ``comments`` the
    commented responses of the period, ``mentions`` (= ``n_with``) those that
    mention the theme, ``share`` = mentions / comments (fraction, NaN without
    comments), ``nps_with`` the NPS (points) of the responses that mention it
    (NaN without any), ``low_n`` True when the period has fewer comments than
    ``opts.min_n``. Every period from the first to the last one with comments
    is there for every theme (zeros where nothing was said). Responses without
    a date are left out. ``grain`` is day, week, month, quarter or year (as
    :func:`nps.query.trend`). Needs the dataset tagged (:func:`require_tagged`). Raises
    ValueError for an unknown grain or weighted/deduplicated options.
    """
    anonymity.require_comments(cur, ds, flt)
    domain.check_grain(grain)
    _check_options(opts)
    version = require_tagged(cur, ds, codebook)
    part, step = GRAINS[grain]
    tagged, params = _tagged(ds, flt, version, f"date_trunc('{part}', {sql.DATE}) AS period")
    cats = ", ".join(f"count(*) FILTER (WHERE {sql.CATEGORY} = '{c}') AS {c}s" for c in CATEGORIES)
    names = list(codebook.themes)
    query = (
        f"{tagged}, "
        "per AS (SELECT period, count(*) AS comments FROM commented WHERE period IS NOT NULL GROUP BY period), "
        f"hits AS (SELECT period, theme, count(*) AS mentions, {cats} FROM mentions "
        "WHERE period IS NOT NULL GROUP BY period, theme), "
        f"periods AS (SELECT unnest(generate_series(min(period), max(period), {step})) AS period FROM per), "
        "names AS (SELECT unnest(l) AS theme, generate_subscripts(l, 1) AS ord FROM (SELECT ?::VARCHAR[] AS l)) "
        "SELECT p.period, n.theme, COALESCE(per.comments, 0) AS comments, COALESCE(h.mentions, 0) AS mentions, "
        + ", ".join(f"COALESCE(h.{c}s, 0) AS {c}s" for c in CATEGORIES)
        + " FROM periods p CROSS JOIN names n LEFT JOIN per ON per.period = p.period "
        "LEFT JOIN hits h ON h.period = p.period AND h.theme = n.theme ORDER BY p.period, n.ord"
    )
    frame = sql.fetch_df(cur, query, [*params, names])
    scored = stats.add_stats(
        frame[["detractors", "passives", "promoters"]].astype(float),
        method=opts.method, level=opts.level, min_n=opts.min_n,
    )
    comments = frame["comments"].astype("int64")
    mentions = frame["mentions"].astype("int64")
    out = pd.DataFrame({
        "period": pd.to_datetime(frame["period"]),
        "theme": frame["theme"].astype(str),
        "comments": comments,
        "mentions": mentions,
        "share": (mentions / comments.where(comments > 0)).astype(float),
        "nps_with": scored["nps"].where(mentions > 0).astype(float),
        "n_with": mentions,
        "low_n": (comments < opts.min_n).astype(bool),
    })
    privacy = anonymity.privacy_of(ds)
    if privacy is not None:
        # A period with few comments is a small group: what its few commenters said is not shown.
        few = (comments > 0) & (comments < privacy.min_comment_group)
        out.loc[few, ["share", "nps_with"]] = float("nan")
        out["mentions"] = out["mentions"].astype("Int64")
        out["n_with"] = out["n_with"].astype("Int64")
        out.loc[few, ["mentions", "n_with"]] = pd.NA
    return _versioned(out[list(TREND_COLUMNS)].reset_index(drop=True), version)


def theme_cooccurrence(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, codebook: Codebook, flt: Filter | None = None
) -> pd.DataFrame:
    """Pairs of themes mentioned in the same comment, and how much more often than by chance.

    Among the commented responses the filter keeps (N of them): ``both`` the
    comments mentioning both themes, ``a_mentions``/``b_mentions`` those
    mentioning each, ``lift`` = P(a and b) / (P(a)·P(b)) = both·N /
    (a_mentions·b_mentions) (1 = independent). Returns DataFrame[theme_a,
    theme_b, both, a_mentions, b_mentions, lift], one row per pair with
    ``both`` > 0 and ``theme_a`` before ``theme_b`` in codebook order, sorted
    by ``both`` (desc), then codebook order. Needs the dataset tagged (:func:`require_tagged`).
    """
    anonymity.require_comments(cur, ds, flt)
    version = require_tagged(cur, ds, codebook)
    tagged, params = _tagged(ds, flt, version)
    query = (
        f"{tagged}, "
        "names AS (SELECT unnest(l) AS theme, generate_subscripts(l, 1) AS ord FROM (SELECT ?::VARCHAR[] AS l)), "
        "m AS (SELECT x._row, x._wave, x.theme, n.ord FROM mentions x JOIN names n ON n.theme = x.theme), "
        "counts AS (SELECT theme, count(*) AS mentions FROM m GROUP BY theme), "
        "pairs AS (SELECT a.theme AS theme_a, b.theme AS theme_b, a.ord AS ord_a, b.ord AS ord_b, count(*) AS both "
        "FROM m a JOIN m b ON a._row = b._row AND a._wave = b._wave AND a.ord < b.ord GROUP BY ALL) "
        "SELECT p.theme_a, p.theme_b, p.both, ca.mentions AS a_mentions, cb.mentions AS b_mentions, "
        "(SELECT count(*) FROM commented) AS commented FROM pairs p "
        "JOIN counts ca ON ca.theme = p.theme_a JOIN counts cb ON cb.theme = p.theme_b "
        "ORDER BY p.both DESC, p.ord_a, p.ord_b"
    )
    frame = sql.fetch_df(cur, query, [*params, list(codebook.themes)])
    out = pd.DataFrame({
        "theme_a": frame["theme_a"].astype(str),
        "theme_b": frame["theme_b"].astype(str),
        "both": frame["both"].astype("int64"),
        "a_mentions": frame["a_mentions"].astype("int64"),
        "b_mentions": frame["b_mentions"].astype("int64"),
    })
    out["lift"] = (out["both"] * frame["commented"].astype(float)
                   / (out["a_mentions"] * out["b_mentions"])).astype(float)
    return _versioned(out[list(COOCCURRENCE_COLUMNS)].reset_index(drop=True), version)


def top_themes_by(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    flt: Filter | None,
    column: str,
    *,
    category: str | None = domain.DETRACTOR,
    top: int = 3,
) -> pd.DataFrame:
    """Per value of ``column``, the themes most mentioned in that value's comments of one category.

    Returns DataFrame[value, theme, mentions, share]: for each value (NULL is
    ``"(blank)"``) up to ``top`` themes with mentions > 0, by mentions (desc)
    then codebook order; ``share`` = mentions / that value's commented
    responses of ``category`` (fraction 0..1). ``category`` is detractor,
    passive or promoter, or None for all. Values come by their number of such
    comments (desc), then value. Needs the dataset tagged (:func:`require_tagged`). Raises
    :class:`nps.errors.UnknownColumnError` for a column not in the dataset and
    ValueError for an unknown category or a ``top`` below 1.
    """
    anonymity.require_comments(cur, ds, flt)
    if category is not None and category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; use one of {', '.join(CATEGORIES)} or None for all")
    if isinstance(top, bool) or int(top) != top or top < 1:
        raise ValueError(f"top is a number of themes (1 or more), not {top!r}")
    col = sql.column(column, ds.all_columns)
    version = require_tagged(cur, ds, codebook)
    tagged, params = _tagged(ds, flt, version, f"COALESCE(CAST({col} AS VARCHAR), '{sql.BLANK}') AS value")
    pick = f"WHERE {sql.CATEGORY} = ?" if category is not None else ""
    query = (
        f"{tagged}, "
        "names AS (SELECT unnest(l) AS theme, generate_subscripts(l, 1) AS ord FROM (SELECT ?::VARCHAR[] AS l)), "
        f"base AS (SELECT value, count(*) AS comments FROM commented {pick} GROUP BY value), "
        f"hits AS (SELECT value, theme, count(*) AS mentions FROM mentions {pick} GROUP BY value, theme), "
        "ranked AS (SELECT h.value, h.theme, h.mentions, h.mentions / b.comments AS share, b.comments, "
        "row_number() OVER (PARTITION BY h.value ORDER BY h.mentions DESC, n.ord) AS rank "
        "FROM hits h JOIN base b ON b.value = h.value JOIN names n ON n.theme = h.theme) "
        "SELECT value, theme, mentions, share FROM ranked WHERE rank <= ? ORDER BY comments DESC, value, rank"
    )
    chosen = [category] * 2 if category is not None else []
    frame = sql.fetch_df(cur, query, [*params, list(codebook.themes), *chosen, int(top)])
    out = pd.DataFrame({
        "value": frame["value"].astype(str),
        "theme": frame["theme"].astype(str),
        "mentions": frame["mentions"].astype("int64"),
        "share": frame["share"].astype(float),
    })
    allowed = anonymity.comment_groups(cur, ds, flt, column)
    if allowed is not None:
        # Per value, as the whole selection: no themes of a value with fewer respondents than the comments threshold.
        out = out[out["value"].isin(allowed)].reset_index(drop=True)
    return _versioned(out, version)


def language_counts(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, codebook: Codebook, flt: Filter | None = None
) -> pd.DataFrame:
    """The detected languages of the comments the filter keeps: DataFrame[language, n], n desc then language.

    ``language`` is an ISO 639-1 code or ``"unknown"`` (too short or unsure);
    ``n`` counts commented responses. Read from the stored tags (the dataset
    must be tagged: :func:`require_tagged`).
    """
    anonymity.require_comments(cur, ds, flt)
    version = require_tagged(cur, ds, codebook)
    where, params = where_for(flt, ds)
    query = (
        f"WITH src AS (SELECT {sql.ROW}, {sql.WAVE} FROM {sql.table(ds.table)} {where}), "
        f"tags AS (SELECT DISTINCT _row, _wave, language FROM {sql.table(tags_table(ds))} WHERE version = ?) "
        "SELECT t.language, count(*) AS n FROM tags t SEMI JOIN src s ON s._row = t._row AND s._wave = t._wave "
        "GROUP BY t.language ORDER BY n DESC, t.language"
    )
    frame = sql.fetch_df(cur, query, [*params, version])
    out = pd.DataFrame({"language": frame["language"].astype(str), "n": frame["n"].astype("int64")})
    return _versioned(out, version)


def uncovered_comments(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    flt: Filter | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The comments the filter keeps that mention no theme of ``codebook``.

    Returns DataFrame[_row, _wave, comment, category, language] in file order
    (wave, then row), at most ``limit`` rows (all when None). Comments are as
    stored (not masked). Needs the dataset tagged (:func:`require_tagged`). Raises ValueError
    for a ``limit`` below 1.
    """
    anonymity.require_comments(cur, ds, flt)
    if limit is not None and (isinstance(limit, bool) or int(limit) != limit or limit < 1):
        raise ValueError(f"limit is a number of comments (1 or more) or None for all, not {limit!r}")
    version = require_tagged(cur, ds, codebook)
    where, params = where_for(flt, ds)
    query = (
        f"WITH src AS (SELECT {sql.ROW}, {sql.WAVE}, {sql.COMMENT}, {sql.CATEGORY} FROM {sql.table(ds.table)} "
        f"{where}) SELECT s._row, s._wave, s._comment AS comment, s._category AS category, t.language "
        f"FROM src s JOIN {sql.table(tags_table(ds))} t ON t._row = s._row AND t._wave = s._wave "
        "WHERE t.version = ? AND t.theme IS NULL ORDER BY s._wave, s._row"
        + (" LIMIT ?" if limit is not None else "")
    )
    frame = sql.fetch_df(cur, query, [*params, version, *([int(limit)] if limit is not None else [])])
    out = pd.DataFrame({
        "_row": frame["_row"].astype("int64"),
        "_wave": frame["_wave"].astype("int64"),
        "comment": frame["comment"].astype(str),
        "category": frame["category"].astype(object),
        "language": frame["language"].astype(str),
    })
    return _versioned(out, version)


# Responses are sampled for a preview in the order of this seeded hash (same sample every time).
_PREVIEW_SEED = 20_240_601


def preview_codebook(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    old: Codebook,
    new: Codebook,
    flt: Filter | None = None,
    *,
    max_comments: int = PREVIEW_MAX_COMMENTS,
) -> pd.DataFrame:
    """Mentions per theme under the saved codebook ``old`` and under an edited ``new`` one, before saving it.

    ``old``'s figures come from the stored tags (the dataset must be tagged
    with it: :func:`require_tagged`); ``new`` tags the kept comments in memory only (nothing is
    stored) with the languages already detected. When the filter keeps more
    than ``max_comments`` commented responses, both sides count the same seeded
    sample of ``max_comments`` of them. Returns DataFrame[theme, before, after,
    change] (counts of commented responses; change = after − before): ``new``'s
    themes in its order, then themes only ``old`` has (0 after); a theme only
    ``new`` has is 0 before. ``frame.attrs``: ``sampled`` (bool), ``comments``
    (responses counted), ``total`` (commented responses the filter keeps),
    ``codebook_version`` (old) and ``new_version``. Raises ValueError for
    ``max_comments`` below 1.
    """
    anonymity.require_comments(cur, ds, flt)
    if isinstance(max_comments, bool) or int(max_comments) != max_comments or max_comments < 1:
        raise ValueError(f"max_comments is a number of comments (1 or more), not {max_comments!r}")
    version = require_tagged(cur, ds, old)
    where, params = where_for(flt, ds)
    base = (
        f"WITH src AS (SELECT {sql.ROW}, {sql.WAVE}, {sql.COMMENT} FROM {sql.table(ds.table)} {where}), "
        "kept AS (SELECT s._row, s._wave, s._comment, any_value(t.language) AS language, "
        "list(t.theme ORDER BY t.theme) FILTER (WHERE t.theme IS NOT NULL) AS themes "
        f"FROM src s JOIN {sql.table(tags_table(ds))} t ON t._row = s._row AND t._wave = s._wave "
        "WHERE t.version = ? GROUP BY s._row, s._wave, s._comment)"
    )
    total = int(sql.fetch_value(cur, f"{base} SELECT count(*) FROM kept", [*params, version]) or 0)
    sampled = total > max_comments
    sample = " ORDER BY hash(_row, _wave, ?::BIGINT), _row, _wave LIMIT ?" if sampled else ""
    rows = sql.fetch_all(
        cur,
        f"{base}, picked AS (SELECT * FROM kept{sample}) "
        "SELECT _comment, any_value(language), any_value(themes), count(*) FROM picked GROUP BY _comment",
        [*params, version, *([_PREVIEW_SEED, int(max_comments)] if sampled else [])],
    )
    before: dict[str, int] = {}
    for _, _, found, n in rows:
        for theme in found or ():
            before[theme] = before.get(theme, 0) + int(n)
    _, found_new = tagging.tag_comments([r[0] for r in rows], new, languages=[r[1] for r in rows])
    after: dict[str, int] = {}
    for found, (_, _, _, n) in zip(found_new, rows):
        for theme in found:
            after[theme] = after.get(theme, 0) + int(n)
    names = list(new.themes) + [t for t in old.themes if t not in new.themes]
    out = pd.DataFrame({
        "theme": names,
        "before": [before.get(t, 0) for t in names],
        "after": [after.get(t, 0) for t in names],
    }).astype({"before": "int64", "after": "int64"})
    out["change"] = out["after"] - out["before"]
    out.attrs.update(sampled=sampled, comments=sum(int(r[3]) for r in rows), total=total, new_version=new.version)
    return _versioned(out, version)


# --- distinctive terms ------------------------------------------------------------------------

# The informative prior's weight relative to the data (see distinctive_terms).
PRIOR_WEIGHT = 0.1


def distinctive_terms(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    flt: Filter | None = None,
    *,
    top: int = 20,
    ngrams: tuple[int, int] = (1, 2),
    min_count: int = 3,
    language: str | None = None,
    prior_weight: float = PRIOR_WEIGHT,
) -> pd.DataFrame:
    """The terms most typical of detractors' and of promoters' comments (Fightin' Words).

    Among the comments the filter keeps (only those detected in ``language``
    when given, an ISO 639-1 code), :func:`nps.stats.score_log_odds` of detractors
    (a) vs promoters (b), with an informative prior: each term's count in every
    kept comment (passives included) times ``prior_weight``, so the prior
    weighs that fraction of the data (at 1 a prior drawn mostly from the larger
    group swamps its differences: detractors' "months", 120 uses against 1,
    would score z ≈ 1). Terms seen fewer than ``min_count`` times overall are
    left out. Returns DataFrame[side, term, score, detractors, promoters]: up
    to ``top`` rows with side ``"detractors"`` (score = z > 0) then up to ``top``
    with side ``"promoters"`` (score = −z > 0), each sorted by score
    (descending); ``detractors``/``promoters`` are the term's occurrences.
    """
    anonymity.require_comments(cur, ds, flt)
    where, params = where_for(flt, ds)
    cond = has_comment_sql()
    where = f"{where} AND {cond}" if where else f"WHERE {cond}"
    rows = sql.fetch_all(cur, f"SELECT {sql.CATEGORY}, {sql.COMMENT} FROM {sql.table(ds.table)} {where}", params)
    langs = detect_languages([comment for _, comment in rows])
    by_cat: dict[str, tuple[list[str], list[str]]] = {c: ([], []) for c in CATEGORIES}
    for (category, comment), lang in zip(rows, langs):
        if category in by_cat and (language is None or lang == language):
            by_cat[category][0].append(comment)
            by_cat[category][1].append(lang)
    det = terms.count_terms(by_cat[domain.DETRACTOR][0], ngrams, by_cat[domain.DETRACTOR][1])
    pro = terms.count_terms(by_cat[domain.PROMOTER][0], ngrams, by_cat[domain.PROMOTER][1])
    prior = terms.count_terms(by_cat[domain.PASSIVE][0], ngrams, by_cat[domain.PASSIVE][1])
    for counts in (det, pro):
        for term, n in counts.items():
            prior[term] = prior.get(term, 0) + n
    if not 0 < prior_weight <= 1:
        raise ValueError(f"prior_weight must be in (0, 1], not {prior_weight}")
    prior = {t: n * prior_weight for t, n in prior.items() if n >= min_count}
    columns = ["side", "term", "score", "detractors", "promoters"]
    if not prior:
        return pd.DataFrame(columns=columns)
    scored = stats.score_log_odds(det, pro, prior).rename(columns={"a": "detractors", "b": "promoters"})
    lean_d = scored[scored["z"] > 0].head(top).assign(side="detractors", score=lambda f: f["z"])
    lean_p = scored[scored["z"] < 0].assign(score=lambda f: -f["z"]).sort_values(
        ["score", "term"], ascending=[False, True], kind="stable"
    ).head(top).assign(side="promoters")
    out = pd.concat([lean_d, lean_p], ignore_index=True)
    out[["detractors", "promoters"]] = out[["detractors", "promoters"]].astype("int64")
    return out[columns]


def theme_shares(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    flt: Filter | None,
    themes: list[str] | tuple[str, ...],
    *,
    category: str = domain.DETRACTOR,
) -> pd.DataFrame:
    """How many of one category's commented responses mention each of ``themes`` (an improvement action's evidence).

    Returns DataFrame[theme, comments, mentions, share], one row per theme in the order given:
    ``comments`` the responses of ``category`` the filter keeps that have a comment, ``mentions``
    those that mention the theme, ``share`` = mentions / comments (NaN when there are none). A
    theme the codebook lacks counts 0 mentions. Needs the dataset tagged (:func:`require_tagged`);
    the employee anonymity rule applies as for every comment read (:func:`anonymity.require_comments`).
    Raises ValueError for an unknown category.
    """
    anonymity.require_comments(cur, ds, flt)
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; use one of {', '.join(CATEGORIES)}")
    version = require_tagged(cur, ds, codebook)
    tagged, params = _tagged(ds, flt, version)
    query = (
        f"{tagged} SELECT NULL::VARCHAR AS theme, count(*) AS n FROM commented WHERE {sql.CATEGORY} = ? "
        f"UNION ALL SELECT theme, count(*) AS n FROM mentions WHERE {sql.CATEGORY} = ? GROUP BY theme"
    )
    rows = sql.fetch_all(cur, query, [*params, category, category])
    comments = next((int(n) for theme, n in rows if theme is None), 0)
    hits = {str(theme): int(n) for theme, n in rows if theme is not None}
    names = list(dict.fromkeys(str(t) for t in themes))
    out = pd.DataFrame({
        "theme": pd.Series(names, dtype=object),
        "comments": pd.Series([comments] * len(names), dtype="int64"),
        "mentions": pd.Series([hits.get(t, 0) for t in names], dtype="int64"),
    })
    out["share"] = (out["mentions"] / out["comments"]).where(out["comments"] > 0)
    return _versioned(out, version)
