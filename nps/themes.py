"""Themes from a codebook: which comments mention what, and what each theme costs in NPS.

A codebook maps a theme to words and phrases per language (``data/codebook.yaml``).
A comment mentions a theme when one of its terms appears in it, compared as
folded lemmas (case and accents ignored) in the comment's language; comments in
another or an unknown language, or where nothing matched, are tried against
every language's terms.

Tags are computed once per dataset and codebook version into
``comment_tags_<dataset id>`` (``version``, ``_row``, ``_wave``, ``language``,
``theme``; one row with a NULL theme for a comment that mentions none) and
recorded in the ``comment_tagging`` catalog, so a filter change never re-tags.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import yaml

from nps import sql, stats, text
from nps.filters import Filter
from nps.queries import Options
from nps.store import PROJECT_ROOT, Dataset

DEFAULT_CODEBOOK = PROJECT_ROOT / "data" / "codebook.yaml"
CODEBOOK_LANGUAGES: tuple[str, ...] = ("it", "en", "fr", "es", "de")
SUMMARY_COLUMNS: tuple[str, ...] = (
    "theme", "mentions", "share", "detractors", "passives", "promoters",
    "nps_with", "nps_without", "impact", "impact_ci_low", "impact_ci_high",
)

# A compiled term: its folded lemmas in order, and whether the last one is a prefix (``word*``).
_Term = tuple[tuple[str, ...], bool]


@dataclass(frozen=True)
class Codebook:
    """Themes and their terms per language, with a content version.

    ``themes`` maps a theme name to ``{language: (term, ...)}`` in file order.
    ``version`` is the sha256 (hex) of the codebook's canonical JSON: two
    codebooks with the same themes and words have the same version.
    """

    themes: Mapping[str, Mapping[str, tuple[str, ...]]]
    version: str
    _index: Mapping[str, Mapping[str, tuple[tuple[str, _Term], ...]]] = field(
        default_factory=dict, repr=False, compare=False, hash=False
    )

    @classmethod
    def build(cls, themes: Mapping[str, Mapping[str, Sequence[str]]]) -> Codebook:
        """A codebook from ``{theme: {language: [term, ...]}}``, versioned and compiled for matching.

        Raises ValueError on an empty theme name, a language outside
        :data:`nps.text.LANGUAGES` or a theme without any term.
        """
        clean: dict[str, dict[str, tuple[str, ...]]] = {}
        for name, by_lang in themes.items():
            name = str(name).strip()
            if not name:
                raise ValueError("a theme needs a name")
            words: dict[str, tuple[str, ...]] = {}
            for lang, terms in (by_lang or {}).items():
                if lang not in text.LANGUAGES:
                    raise ValueError(
                        f"theme {name!r}: unknown language {lang!r}; use one of {', '.join(text.LANGUAGES)}"
                    )
                kept = tuple(dict.fromkeys(str(t).strip() for t in terms or () if str(t).strip()))
                if kept:
                    words[str(lang)] = kept
            if not words:
                raise ValueError(f"theme {name!r} has no words; give it at least one")
            clean[name] = words
        canonical = json.dumps(clean, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        version = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        return cls(themes=clean, version=version, _index=_compile(clean))


def _compile_term(term: str, lang: str) -> _Term | None:
    prefix = term.endswith("*")
    words = text.split_words(term.rstrip("*"))
    if not words:
        return None
    # A prefix is matched as written: lemmatising a stem would change it.
    lemmas = text.lemmatize(words[:-1], lang) + ([words[-1]] if prefix else text.lemmatize(words[-1:], lang))
    return tuple(text.fold(w) for w in lemmas), prefix


def _compile(themes: Mapping[str, Mapping[str, tuple[str, ...]]]) -> dict[str, dict[str, tuple[tuple[str, _Term], ...]]]:
    """Per language, per first word (or ``*`` for prefixes): the (theme, term) pairs to try."""
    index: dict[str, dict[str, list[tuple[str, _Term]]]] = {}
    for theme, by_lang in themes.items():
        for lang, terms in by_lang.items():
            for term in terms:
                compiled = _compile_term(term, lang)
                if compiled is None:
                    continue
                words, prefix = compiled
                key = "*" if prefix and len(words) == 1 else words[0]
                index.setdefault(lang, {}).setdefault(key, []).append((theme, compiled))
    return {lang: {k: tuple(v) for k, v in by_key.items()} for lang, by_key in index.items()}


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read a codebook YAML (default ``data/codebook.yaml``) into a :class:`Codebook`.

    The file has ``themes:``, a list of ``{name, words: {language: [term, ...]}}``.
    Raises ValueError, naming the file, when it is not shaped like that.
    """
    source = Path(path) if path is not None else DEFAULT_CODEBOOK
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    entries = data.get("themes") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{source}: expected a 'themes:' list of {{name, words}} entries")
    themes: dict[str, dict[str, list[str]]] = {}
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or "name" not in entry or not isinstance(entry.get("words"), dict):
            raise ValueError(f"{source}: theme {i} needs a 'name' and a 'words' mapping of language to terms")
        if entry["name"] in themes:
            raise ValueError(f"{source}: theme {entry['name']!r} appears twice; merge its words into one entry")
        themes[entry["name"]] = entry["words"]
    try:
        return Codebook.build(themes)
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None


def _matches(words: Sequence[str], index: Mapping[str, tuple[tuple[str, _Term], ...]]) -> set[str]:
    found: set[str] = set()
    prefixes = index.get("*", ())
    for i, word in enumerate(words):
        for theme, (term, _) in index.get(word, ()):
            if theme not in found and tuple(words[i:i + len(term)]) == term:
                found.add(theme)
        for theme, (term, _) in prefixes:
            if theme not in found and word.startswith(term[0]):
                found.add(theme)
    # Multi-word terms ending in a prefix are rare; checked here rather than indexed.
    return found


def _themes_in(words: list[str], lang: str, index: Mapping[str, tuple[tuple[str, _Term], ...]]) -> set[str]:
    folded = [text.fold(w) for w in words]
    lemmas = [text.fold(w) for w in text.lemmatize(words, lang)]
    return _matches(folded, index) | _matches(lemmas, index)


def tag_comment(comment: str | None, codebook: Codebook, lang: str | None = None) -> set[str]:
    """The names of the codebook's themes that ``comment`` mentions (empty set for none).

    ``lang`` is the comment's language (detected when None). Terms of that
    language are tried first; when the language has no terms or nothing
    matched, every language's terms are tried with lemmas of that language.
    """
    words = text.split_words(comment)
    if not words:
        return set()
    lang = lang or text.detect_language(comment)
    index = codebook._index
    if lang in index:
        found = _themes_in(words, lang, index[lang])
        if found:
            return found
    found = set()
    for other, other_index in index.items():
        found |= _themes_in(words, other, other_index)
    return found


# --- storing tags -----------------------------------------------------------------------------

_CATALOG = """
CREATE TABLE IF NOT EXISTS comment_tagging (
    dataset_id INTEGER,
    codebook_version VARCHAR,
    tagged_at TIMESTAMP,
    comments BIGINT,
    PRIMARY KEY (dataset_id, codebook_version)
)
"""


def tags_table(ds: Dataset) -> str:
    """Name of the table holding a dataset's comment tags."""
    return f"comment_tags_{ds.id}"


def is_tagged(cur: duckdb.DuckDBPyConnection, ds: Dataset, codebook: Codebook) -> bool:
    """True when ``ds``'s comments are already tagged with this codebook version."""
    sql.execute(cur, _CATALOG)
    return bool(
        sql.fetch_value(
            cur,
            "SELECT count(*) FROM comment_tagging WHERE dataset_id = ? AND codebook_version = ?",
            [ds.id, codebook.version],
        )
    )


def tag_dataset(cur: duckdb.DuckDBPyConnection, ds: Dataset, codebook: Codebook) -> str:
    """Tag every comment of ``ds`` with ``codebook`` once, store the tags, return the codebook version.

    Does nothing when this dataset and codebook version were tagged before.
    Tags of other codebook versions are kept (switching back costs nothing).
    All or nothing: a failure leaves no partial tags.
    """
    if is_tagged(cur, ds, codebook):
        return codebook.version
    table = sql.table(tags_table(ds))
    rows = sql.fetch_all(
        cur,
        f"SELECT {sql.ROW}, {sql.WAVE}, {sql.COMMENT} FROM {sql.table(ds.table)} "
        f"WHERE {sql.COMMENT} IS NOT NULL AND trim({sql.COMMENT}) <> ''",
    )
    out_rows: list[int] = []
    out_waves: list[int] = []
    out_langs: list[str] = []
    out_themes: list[str | None] = []
    for row, wave, comment in rows:
        lang = text.detect_language(comment)
        found = sorted(tag_comment(comment, codebook, lang)) or [None]
        for theme in found:
            out_rows.append(row)
            out_waves.append(wave)
            out_langs.append(lang)
            out_themes.append(theme)
    frame = pd.DataFrame(
        {"_row": out_rows, "_wave": out_waves, "language": out_langs, "theme": out_themes}
    ).astype({"_row": "int64", "_wave": "int32", "language": "object", "theme": "object"})
    own = cur.cursor()
    try:
        own.register("comment_tags_frame", frame)
        sql.execute(own, "BEGIN TRANSACTION")
        try:
            sql.execute(
                own,
                f"CREATE TABLE IF NOT EXISTS {table} (version VARCHAR, _row BIGINT, _wave INTEGER, "
                "language VARCHAR, theme VARCHAR)",
            )
            sql.execute(own, f"DELETE FROM {table} WHERE version = ?", [codebook.version])
            sql.execute(
                own,
                f"INSERT INTO {table} SELECT ?, _row, _wave, language, theme FROM comment_tags_frame",
                [codebook.version],
            )
            sql.execute(
                own,
                "INSERT INTO comment_tagging VALUES (?, ?, ?, ?)",
                [ds.id, codebook.version, dt.datetime.now(), len(rows)],
            )
            sql.execute(own, "COMMIT")
        except Exception:
            sql.execute(own, "ROLLBACK")
            raise
        own.unregister("comment_tags_frame")
    finally:
        own.close()
    return codebook.version


# --- the theme table --------------------------------------------------------------------------


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
    :func:`nps.stats.differences` (``opts.method``, ``opts.level``). NaN where a
    side is empty. Sorted by mentions (desc), then codebook order. Tags the
    dataset first if needed. Raises ValueError for weighted or deduplicated
    options (not supported for themes yet).
    """
    if opts.weighted or opts.dedupe:
        raise ValueError("theme summaries count each comment once: turn off weighting and deduplication")
    version = tag_dataset(cur, ds, codebook)
    where, params = sql.where_clause(flt, ds.all_columns)
    cat = sql.CATEGORY
    counts = ", ".join(
        f"count(*) FILTER (WHERE {cat} = '{c}' AND {m}) AS {c}s_{side}"
        for c in ("detractor", "passive", "promoter")
        for side, m in (("with", "mentioned"), ("without", "NOT mentioned"))
    )
    query = (
        f"WITH src AS (SELECT {sql.ROW}, {sql.WAVE}, {cat} FROM {sql.table(ds.table)} {where}), "
        f"tags AS (SELECT _row, _wave, language, theme FROM {sql.table(tags_table(ds))} WHERE version = ?), "
        "commented AS (SELECT DISTINCT s._row, s._wave, s._category FROM src s "
        "JOIN tags t ON t._row = s._row AND t._wave = s._wave), "
        "names AS (SELECT unnest(?::VARCHAR[]) AS theme), "
        "marked AS (SELECT n.theme, c._category, EXISTS (SELECT 1 FROM tags t WHERE t._row = c._row "
        "AND t._wave = c._wave AND t.theme = n.theme) AS mentioned FROM names n CROSS JOIN commented c) "
        f"SELECT theme, {counts} FROM marked GROUP BY theme"
    )
    names = list(codebook.themes)
    frame = sql.fetch_df(cur, query, [*params, version, names])
    frame = frame.set_index("theme").reindex(names).fillna(0).reset_index()
    return _finish_summary(frame, opts)


def _finish_summary(frame: pd.DataFrame, opts: Options) -> pd.DataFrame:
    def side(name: str) -> pd.DataFrame:
        return pd.DataFrame(
            {c: frame[f"{c[:-1]}s_{name}"].astype(float) for c in ("detractors", "passives", "promoters")}
        )

    with_, without = side("with"), side("without")
    kw: dict[str, Any] = {"method": opts.method, "level": opts.level, "min_n": opts.min_n}
    scored_with = stats.add_stats(with_, **kw)
    scored_without = stats.add_stats(without, **kw)
    diff = stats.differences(with_, without, method=opts.method, level=opts.level)
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
    out["_order"] = range(len(out))
    out = out.sort_values(["mentions", "_order"], ascending=[False, True], kind="stable")
    return out[list(SUMMARY_COLUMNS)].reset_index(drop=True)


# --- distinctive terms ------------------------------------------------------------------------


def score_log_odds(
    counts_a: Mapping[str, float], counts_b: Mapping[str, float], prior: Mapping[str, float]
) -> pd.DataFrame:
    """Log-odds ratio of each term between groups a and b, with an informative Dirichlet prior.

    Monroe, Colaresi & Quinn (2008), "Fightin' Words", eq. 16 and 20: with y the
    term counts, n the group totals and α the prior counts (α0 their sum),
    δ = log((y_a+α)/(n_a+α0−y_a−α)) − log((y_b+α)/(n_b+α0−y_b−α)),
    var(δ) ≈ 1/(y_a+α) + 1/(y_b+α), z = δ/√var. Positive z leans to group a.
    Returns DataFrame[term, a, b, delta, z] over the prior's terms with α > 0,
    sorted by z (descending), then term.
    """
    terms = sorted(t for t, a in prior.items() if a > 0)
    alpha = pd.Series([float(prior[t]) for t in terms], index=terms, dtype=float)
    ya = pd.Series([float(counts_a.get(t, 0.0)) for t in terms], index=terms, dtype=float)
    yb = pd.Series([float(counts_b.get(t, 0.0)) for t in terms], index=terms, dtype=float)
    a0, na, nb = alpha.sum(), float(sum(counts_a.values())), float(sum(counts_b.values()))
    delta = (ya + alpha).div(na + a0 - ya - alpha).map(math.log) - (yb + alpha).div(nb + a0 - yb - alpha).map(math.log)
    z = delta / (1.0 / (ya + alpha) + 1.0 / (yb + alpha)) ** 0.5
    out = pd.DataFrame(
        {"term": terms, "a": ya.to_numpy(), "b": yb.to_numpy(), "delta": delta.to_numpy(), "z": z.to_numpy()}
    )
    return out.sort_values(["z", "term"], ascending=[False, True], kind="stable").reset_index(drop=True)


def count_terms(comments: Sequence[str | None], ngrams: tuple[int, int] = (1, 2)) -> dict[str, int]:
    """Occurrences of each term (lower-case words without stopwords, and their n-grams) in ``comments``.

    Each comment's language is detected to pick its stopwords; n-grams join
    adjacent content words with a space. ``ngrams`` is the (min, max) length.
    """
    low, high = ngrams
    if not 1 <= low <= high:
        raise ValueError(f"n-gram lengths must satisfy 1 <= min <= max, not {ngrams!r}")
    counts: dict[str, int] = {}
    for comment in comments:
        words = text.tokenize(comment, text.detect_language(comment))
        for size in range(low, high + 1):
            for i in range(len(words) - size + 1):
                term = " ".join(words[i:i + size])
                counts[term] = counts.get(term, 0) + 1
    return counts


def distinctive_terms(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    flt: Filter | None = None,
    *,
    top: int = 20,
    ngrams: tuple[int, int] = (1, 2),
    min_count: int = 3,
) -> pd.DataFrame:
    """The terms most typical of detractors' and of promoters' comments (Fightin' Words).

    Among the comments the filter keeps, :func:`score_log_odds` of detractors
    (a) vs promoters (b), with the prior counts of every kept comment
    (passives included); terms seen fewer than ``min_count`` times overall are
    left out. Returns DataFrame[side, term, score, detractors, promoters]: up
    to ``top`` rows with side ``"detractors"`` (score = z > 0) then up to ``top``
    with side ``"promoters"`` (score = −z > 0), each sorted by score
    (descending); ``detractors``/``promoters`` are the term's occurrences.
    """
    where, params = sql.where_clause(flt, ds.all_columns)
    cond = f"{sql.COMMENT} IS NOT NULL AND trim({sql.COMMENT}) <> ''"
    where = f"{where} AND {cond}" if where else f"WHERE {cond}"
    rows = sql.fetch_all(cur, f"SELECT {sql.CATEGORY}, {sql.COMMENT} FROM {sql.table(ds.table)} {where}", params)
    by_cat: dict[str, list[str]] = {"detractor": [], "passive": [], "promoter": []}
    for category, comment in rows:
        if category in by_cat:
            by_cat[category].append(comment)
    det = count_terms(by_cat["detractor"], ngrams)
    pro = count_terms(by_cat["promoter"], ngrams)
    prior = count_terms(by_cat["passive"], ngrams)
    for counts in (det, pro):
        for term, n in counts.items():
            prior[term] = prior.get(term, 0) + n
    prior = {t: n for t, n in prior.items() if n >= min_count}
    columns = ["side", "term", "score", "detractors", "promoters"]
    if not prior:
        return pd.DataFrame(columns=columns)
    scored = score_log_odds(det, pro, prior).rename(columns={"a": "detractors", "b": "promoters"})
    lean_d = scored[scored["z"] > 0].head(top).assign(side="detractors", score=lambda f: f["z"])
    lean_p = scored[scored["z"] < 0].assign(score=lambda f: -f["z"]).sort_values(
        ["score", "term"], ascending=[False, True], kind="stable"
    ).head(top).assign(side="promoters")
    out = pd.concat([lean_d, lean_p], ignore_index=True)
    out[["detractors", "promoters"]] = out[["detractors", "promoters"]].astype("int64")
    return out[columns]
