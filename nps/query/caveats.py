"""How far to trust a view: the caveats computed from the data in view (:mod:`nps.caveats` holds the rules).

:func:`caveats` reads the rows the filter keeps through the row source (:mod:`nps.query.rows`, so a
scoped reader's caveats are about their rows only) and hands small counts to :mod:`nps.caveats.rules`.
On an employee dataset the anonymity rule (:mod:`nps.query.anonymity`) applies: a group a breakdown
would hide is neither named nor counted in a caveat, comments are looked at only for groups of at least
``min_comment_group`` respondents, and a hidden selection gets no caveat but the one saying so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from nps import stats
from nps.caveats import columns as names
from nps.caveats import rules
from nps.caveats.raking import population_targets, rake
from nps.caveats.rules import INFO, WARN, Caveat
from nps.caveats.tables import INVITATIONS, PERIOD  # an invitations table's count and period columns
from nps.query import anonymity
from nps.query.counting import BLANK, count_items, count_names, key_columns, key_items
from nps.query.filters import Filter
from nps.query.options import Options
from nps.query.review import pick_review_dimension
from nps.query.rows import source
from nps.store import Dataset, sql
from nps.store.catalog import resolve_column

# Passing NONE as a column override says "the data has no such column" (no guess is made).
NONE = ""


def caveats(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    flt: Filter | None = None,
    opts: Options = Options(),
    *,
    by: Sequence[str] = (),
    invitations: pd.DataFrame | None = None,
    population: pd.DataFrame | None = None,
    invitation_column: str | None = None,
    country: str | None = None,
    language: str | None = None,
    agent: str | None = None,
    survey_type: str | None = None,
    respondent: str | None = None,
    fatigue_days: int = rules.FATIGUE_DAYS,
) -> list[Caveat]:
    """The caveats of the view (``flt``, ``opts``, split ``by`` these columns), warnings first.

    ``invitations``: an optional table of invitations sent, DataFrame[invitations] with at most one
    column of the dataset (invitations per value: coverage) and an optional ``period`` (a date in the
    month: the response-rate trend, by month). ``population``: an optional DataFrame[column, value,
    share] of the population's shares (composition and raking weights). Each column role is found by
    :mod:`nps.caveats.columns` unless given: ``invitation_column`` (a per-row invitation count, summed
    over the rows in view), ``country``, ``language``, ``agent`` (store, agent or, failing that, the
    business-function column), ``survey_type`` and ``respondent`` (default: the mapping's roles);
    :data:`NONE` (``""``) says there is none. Raises :class:`nps.errors.UnknownColumnError` for an
    unknown column and ValueError for a malformed table.
    """
    plain = replace(opts, weighted=False)
    privacy = anonymity.privacy_of(ds)
    n_view = anonymity.respondents(cur, ds, flt, plain)
    if privacy is not None and n_view and (n_view < privacy.min_group
                                           or anonymity.complement_too_small(cur, ds, flt, plain, n_view)):
        return [Caveat("hidden", INFO, "Hidden", anonymity.selection_hidden_sentence(privacy), {})]
    if n_view == 0:
        return []
    by = [resolve_column(ds, b) for b in by]
    found: list[Caveat | None] = []
    role = roles(ds, invitation_column=invitation_column, country=country, language=language, agent=agent,
                 survey_type=survey_type, respondent=respondent)
    types = role.survey_type
    if types and types not in by:  # split by the survey type, each number is one type's
        found.append(rules.survey_mix(types, _nameable_counts(cur, ds, flt, plain, types)))
    for column in role.cultures:
        counts = _nameable_counts(cur, ds, flt, plain, column)  # most answers first, then by name: a stable order
        values = [v for v, n in sorted(counts.items(), key=lambda kv: (-(kv[1] or 0), kv[0])) if n and v != BLANK]
        found.append(rules.culture(column, values, column in by))
    found += _invitation_caveats(cur, ds, flt, plain, n_view, invitations, role.invitation_column)
    if population is not None:
        found += _population_caveats(cur, ds, flt, opts, population)
    if role.agent:
        found += _gaming_caveats(cur, ds, flt, plain, role.agent)
    if role.respondent:
        found.append(_fatigue(cur, ds, flt, plain, fatigue_days))
    kept = [c for c in found if c is not None]
    return [c for c in kept if c.severity == WARN] + [c for c in kept if c.severity != WARN]


@dataclass(frozen=True)
class Roles:
    """The columns the caveats look at (None, or empty, where the data has none): the survey type, the country and
    language columns (``cultures``), a per-row invitation count, the store/agent/function looked at for gaming,
    and the respondent id."""

    survey_type: str | None
    cultures: tuple[str, ...]
    invitation_column: str | None
    agent: str | None
    respondent: str | None


def roles(ds: Dataset, *, invitation_column: str | None = None, country: str | None = None,
          language: str | None = None, agent: str | None = None, survey_type: str | None = None,
          respondent: str | None = None) -> Roles:
    """The columns :func:`caveats` looks at, given (resolved; :data:`NONE` for none) or found as it finds them."""
    who = _role(ds, agent, None, names.AGENT_WORDS)
    if agent is None and not who:
        who = pick_review_dimension(ds)
    cultures = (_role(ds, country, None, names.COUNTRY_WORDS), _role(ds, language, None, names.LANGUAGE_WORDS))
    return Roles(survey_type=_role(ds, survey_type, ds.mapping.survey_type),
                 cultures=tuple(c for c in cultures if c),
                 invitation_column=_role(ds, invitation_column, None, names.INVITATION_WORDS),
                 agent=who or None, respondent=_role(ds, respondent, ds.mapping.respondent))


def checks(ds: Dataset, *, by: Sequence[str] = (), invitations: pd.DataFrame | None = None,
           population: pd.DataFrame | None = None, fatigue_days: int = rules.FATIGUE_DAYS,
           **columns: str | None) -> tuple[list[str], list[str]]:
    """What :func:`caveats` looks at on ``ds`` with these arguments, in words: (the checks it runs, the checks it
    cannot run with the reason). ``columns`` are :func:`roles`' overrides. For a reader who sees no caveat: the
    sentence says what was checked and found nothing, and what could not be checked."""
    role = roles(ds, **columns)
    by = [resolve_column(ds, b) for b in by]
    ran: list[str] = []
    not_run: list[str] = []
    if role.survey_type and role.survey_type not in by:
        ran.append(f"survey types pooled ({role.survey_type})")
    ran += [f"scale use across {column} values" for column in role.cultures]
    if invitations is not None:
        keys = [c for c in invitations.columns if c not in (INVITATIONS, PERIOD)]
        ran.append("response rate" + (f" and coverage by {keys[0]}" if keys else "")
                   + (" and its trend" if PERIOD in invitations.columns else ""))
    elif role.invitation_column:
        ran.append(f"response rate and its trend ({role.invitation_column})")
    else:
        not_run.append("response rate (no invitation counts given)")
    if population is not None:
        ran.append("sample vs population and the weighted NPS")
    else:
        not_run.append("sample vs population (no population table given)")
    if role.agent:
        kinds = "spikes of 10s, too little variance" + (", comments asking for a 10" if ds.mapping.comment else "")
        ran.append(f"signs of gaming by {role.agent} ({kinds})")
    if role.respondent:
        ran.append(f"survey fatigue ({fatigue_days} days)")
    else:
        not_run.append("survey fatigue (no respondent id)")
    return ran, not_run


def _role(ds: Dataset, given: str | None, mapped: str | None, words: Sequence[str] = ()) -> str | None:
    """The column of a role: the one given (resolved), none for :data:`NONE`, else the mapping's, else a guess."""
    if given is not None:
        return resolve_column(ds, given) if given != NONE else None
    if mapped:
        return mapped
    if not words:
        return None
    if words is names.INVITATION_WORDS:  # a count: any column of the file
        return names.find_column(ds.columns, ds.labels, words)
    # A country, a language, a store or agent is a category: only the mapping's dimensions qualify.
    return names.find_column(ds.mapping.dimensions, ds.labels, words)


def _nameable(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options,
              counts: dict[str, int]) -> set[str]:
    """The values of a grouping that may be named and counted (all, but on an employee dataset)."""
    if anonymity.privacy_of(ds) is None:
        return set(counts)
    frame = pd.DataFrame({"value": list(counts), "n": list(counts.values())})
    shown = anonymity.suppress_groups(frame, ds, ["value"], hide_all=anonymity.complement_too_small(cur, ds, flt, opts))
    return {str(v) for v, hidden in zip(shown["value"], shown[anonymity.SUPPRESSED]) if not hidden}


def _nameable_counts(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options,
                     column: str) -> dict[str, int | None]:
    """{value: respondents} of ``column`` in view; None for a value too small to name (employee anonymity)."""
    counts = anonymity.group_respondents(cur, ds, flt, column, opts)
    ok = _nameable(cur, ds, flt, opts, counts)
    return {v: (n if v in ok else None) for v, n in counts.items() if n > 0}


# --- invitations -----------------------------------------------------------------------------------


def _invitation_caveats(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options,
                        n_view: int, table: pd.DataFrame | None, column: str | None) -> list[Caveat | None]:
    if table is not None:
        return _invitation_table(cur, ds, flt, opts, n_view, table)
    if not column:
        return []
    src, params = source(ds, flt, opts)
    col = sql.column(column, ds.all_columns)
    total = sql.fetch_value(cur, f"SELECT sum(TRY_CAST({col} AS DOUBLE)) FROM ({src})", params)
    out: list[Caveat | None] = [rules.response_rate(n_view, float(total or 0.0))]
    text = (f"SELECT strftime(date_trunc('month', {sql.DATE}), '%Y-%m') AS p, count({sql.SCORE}) AS n, "
            f"sum(TRY_CAST({col} AS DOUBLE)) AS i FROM ({src}) GROUP BY ALL HAVING p IS NOT NULL ORDER BY p")
    rows = sql.fetch_all(cur, text, params)
    rows = [r for r in rows if _month_shown(ds, int(r[1]))]
    out.append(rules.rate_trend([r[0] for r in rows], [int(r[1]) for r in rows], [float(r[2] or 0) for r in rows]))
    return out


def _invitation_table(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options,
                      n_view: int, table: pd.DataFrame) -> list[Caveat | None]:
    """Rate, coverage per value and trend per month from an invitations table, restricted to the view."""
    if INVITATIONS not in table.columns:
        raise ValueError(f"an invitations table needs a column {INVITATIONS!r} (its other columns: a column of the "
                         f"dataset, and optionally {PERIOD!r})")
    keys = [c for c in table.columns if c not in (INVITATIONS, PERIOD)]
    if len(keys) > 1:
        raise ValueError(f"an invitations table gives invitations by at most one column, not {', '.join(keys)}")
    frame = table.copy()
    counts = pd.to_numeric(frame[INVITATIONS], errors="coerce")
    if counts.isna().any() or (counts < 0).any():
        bad = frame.loc[counts.isna() | (counts < 0), INVITATIONS].iloc[0]
        raise ValueError(f"invitations table: {bad!r} is not a count of invitations")
    frame[INVITATIONS] = counts.astype(float)
    key = resolve_column(ds, keys[0]) if keys else None
    if key is not None:
        frame = frame.rename(columns={keys[0]: key})
        frame[key] = frame[key].astype(str)
        chosen = dict(flt.include).get(key) if flt else None
        dropped = dict(flt.exclude).get(key, ()) if flt else ()
        if chosen:
            frame = frame[frame[key].isin(chosen)]
        frame = frame[~frame[key].isin(dropped)]
    if PERIOD in frame.columns:
        try:
            frame[PERIOD] = pd.to_datetime(frame[PERIOD].astype(str), format="mixed").dt.to_period("M").astype(str)
        except (ValueError, TypeError):
            raise ValueError("invitations table: each period must be a date (YYYY-MM-DD, or YYYY-MM)") from None
        if flt is not None and flt.since is not None:
            frame = frame[frame[PERIOD] >= flt.since.strftime("%Y-%m")]
        if flt is not None and flt.until is not None:
            frame = frame[frame[PERIOD] <= flt.until.strftime("%Y-%m")]
    out: list[Caveat | None] = [rules.response_rate(n_view, float(frame[INVITATIONS].sum()))]
    if flt is not None:
        others = sorted({c for c, _ in (*flt.include, *flt.exclude) if c != key})
        if others or flt.categories or flt.text:
            out.append(rules.invitations_not_narrowed(others or ["the answers' content"]))
    if key is not None:
        counts = anonymity.group_respondents(cur, ds, flt, key, opts)
        ok = _nameable(cur, ds, flt, opts, counts)
        invited = frame.groupby(key)[INVITATIONS].sum().to_dict()
        # A value too small to name is left out of the rates (it answered, so it is covered).
        invited = {v: i for v, i in invited.items() if counts.get(v, 0) == 0 or v in ok}
        out.append(rules.coverage(key, {v: n for v, n in counts.items() if v in ok}, invited))
    if PERIOD in frame.columns:
        src, params = source(ds, flt, opts)
        text = (f"SELECT strftime(date_trunc('month', {sql.DATE}), '%Y-%m') AS p, count({sql.SCORE}) AS n "
                f"FROM ({src}) GROUP BY ALL HAVING p IS NOT NULL ORDER BY p")
        answered = {str(p): int(n) for p, n in sql.fetch_all(cur, text, params)}
        per = frame.groupby(PERIOD)[INVITATIONS].sum().sort_index()
        per = per[[_month_shown(ds, answered.get(p, 0)) for p in per.index]]
        out.append(rules.rate_trend(list(per.index), [answered.get(p, 0) for p in per.index], list(per.to_numpy())))
    return out


def _month_shown(ds: Dataset, answered: int) -> bool:
    """Whether a month's response rate may be shown: always, but on an employee dataset not for 1 to min_group − 1."""
    privacy = anonymity.privacy_of(ds)
    return privacy is None or answered == 0 or answered >= privacy.min_group


# --- population ------------------------------------------------------------------------------------


def _population_caveats(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options,
                        population: pd.DataFrame) -> list[Caveat | None]:
    """Composition per column and the raked (weighted) NPS beside the unweighted one."""
    targets = population_targets(population)
    targets = {resolve_column(ds, c): shares for c, shares in targets.items()}
    columns = list(targets)
    plain = replace(opts, weighted=False)
    cells = cells_of(cur, ds, flt, plain, columns)
    out: list[Caveat | None] = []
    for column in columns:
        counts = cells.groupby(column)["n"].sum()
        counts = counts[counts > 0]
        ok = _nameable(cur, ds, flt, plain, {str(k): int(v) for k, v in counts.items()})
        total = float(counts.sum())
        sample = {str(v): float(n) / total for v, n in counts.items() if str(v) in ok}
        shares = {v: s for v, s in targets[column].items() if v in ok or v not in counts.index}
        out.append(rules.composition(column, sample, shares))
    raked = rake(cells, targets)
    w = raked.weights
    d, pa, p = (cells[c].to_numpy(dtype=float) for c in ("detractors", "passives", "promoters"))
    n = cells["n"].to_numpy(dtype=float)
    kw = {"method": opts.method, "level": opts.level, "min_n": opts.min_n}
    unweighted = stats.score_counts(int(d.sum()), int(pa.sum()), int(p.sum()), **kw)
    used = w > 0
    eff = stats.kish_effective_n(float((n * w).sum()), float((n * w * w).sum()))
    weighted = stats.score_weighted(float((d * w).sum()), float((pa * w).sum()), float((p * w).sum()),
                                    n=int(n[used].sum()), effective_n=eff, **kw)
    out.append(rules.weighted_nps(unweighted, weighted, columns, raked.max_error, raked.left_out))
    return out


def cells_of(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options,
             columns: Sequence[str]) -> pd.DataFrame:
    """The view's responses counted per combination of ``columns``: DataFrame[*columns, n, promoters, passives,
    detractors] (values as text, NULL as ``"(blank)"``), sorted by the values."""
    quoted = key_columns(ds, list(columns))
    src, params = source(ds, flt, opts)
    text = f"SELECT {key_items(quoted)}, {count_items(opts)} FROM ({src}) GROUP BY ALL ORDER BY ALL"
    rows = sql.fetch_all(cur, text, params)
    frame = pd.DataFrame(rows, columns=[*columns, *count_names(opts)])
    return frame[frame["n"] > 0].reset_index(drop=True)


# --- gaming ----------------------------------------------------------------------------------------


def _gaming_caveats(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options,
                    column: str) -> list[Caveat]:
    quoted = key_columns(ds, [column])
    src, params = source(ds, flt, opts)
    text = (f"SELECT {key_items(quoted)}, {sql.SCORE} AS score, count(*) AS n FROM ({src}) "
            f"WHERE {sql.SCORE} IS NOT NULL GROUP BY ALL")
    table: dict[str, list[int]] = {}
    for value, score, n in sql.fetch_all(cur, text, params):
        table.setdefault(str(value), [0] * 11)[int(score)] += int(n)
    counts = {v: sum(row) for v, row in table.items()}
    ok = _nameable(cur, ds, flt, opts, counts) - {BLANK}
    groups = {v: table[v] for v in sorted(table) if v in ok}  # sorted: the same caveats in the same order each run
    asking: dict[str, int] = {}
    if ds.mapping.comment:
        folded = f"regexp_replace(strip_accents(lower({sql.COMMENT})), '[^0-9a-z]+', ' ', 'g')"
        text = (f"SELECT {key_items(quoted)}, count(*) FILTER (WHERE regexp_matches({folded}, ?)) AS asking "
                f"FROM ({src}) GROUP BY ALL")
        privacy = anonymity.privacy_of(ds)
        least = privacy.min_comment_group if privacy is not None else 0
        asking = {str(v): int(a) for v, a in sql.fetch_all(cur, text, [rules.ASK_FOR_TEN, *params])
                  if str(v) in groups and counts.get(str(v), 0) >= least}
    return rules.gaming(column, groups, asking, level=opts.level, multiplicity=opts.control(stats.SCREENING))


# --- fatigue ---------------------------------------------------------------------------------------


def _fatigue(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options,
             days: int) -> Caveat | None:
    """Surveys per respondent in the ``days`` up to the latest response in view (every response counts)."""
    src, params = source(ds, flt, replace(opts, dedupe=False))
    text = (f"WITH v AS ({src}), per AS (SELECT {sql.RESPONDENT}, count(*) AS surveys FROM v "
            f"WHERE {sql.RESPONDENT} IS NOT NULL AND {sql.DATE} > (SELECT max({sql.DATE}) FROM v) - to_days(?) "
            f"GROUP BY ALL) SELECT surveys, count(*) FROM per GROUP BY ALL ORDER BY surveys")
    rows = sql.fetch_all(cur, text, [*params, int(days)])
    privacy = anonymity.privacy_of(ds)
    return rules.fatigue({int(k): int(v) for k, v in rows}, days,
                         min_group=privacy.min_group if privacy is not None else None)


def as_records(found: Sequence[Caveat]) -> list[dict[str, Any]]:
    """The caveats as JSON-ready dicts (numpy numbers made plain)."""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, (np.integer,)):
            return int(value)
        if isinstance(value, (np.floating, float)):
            return None if value != value else float(value)
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        return value
    return [plain(c.as_dict()) for c in found]


@dataclass(frozen=True)
class StoredInputs:
    """A dataset's kept caveat tables read back (:mod:`nps.store.caveat_tables`): the population and invitations
    frames (None when not kept) and, in words, what they are or why one could not be used."""

    population: pd.DataFrame | None
    invitations: pd.DataFrame | None
    notes: tuple[str, ...]


def stored_tables(cur: duckdb.DuckDBPyConnection, ds: Dataset) -> StoredInputs:
    """The population and invitations tables kept for ``ds``, checked again (:mod:`nps.caveats.tables`): a kept
    table that no longer reads is left out with a note naming it and the problem."""
    from nps.caveats.tables import TableError, read_invitations, read_population
    from nps.store import caveat_tables

    kept = caveat_tables.stored_tables(cur, ds.id)
    frames: dict[str, pd.DataFrame | None] = {}
    notes: list[str] = []
    for kind, read in ((caveat_tables.POPULATION, read_population), (caveat_tables.INVITATIONS, read_invitations)):
        table = kept.get(kind)
        frames[kind] = None
        if table is None:
            continue
        try:
            frames[kind] = read(table.content, table.name)
        except TableError as error:
            notes.append(f"the kept {kind} table is not used: {error}")
            continue
        notes.append(f"{kind} table {table.name} (kept by {table.saved_by}, {table.saved_at:%Y-%m-%d})")
    return StoredInputs(frames[caveat_tables.POPULATION], frames[caveat_tables.INVITATIONS], tuple(notes))
