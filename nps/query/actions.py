"""The evidence on an improvement action: did the NPS, and its themes among detractors, move since it started?

The **affected scope** is the action's conditions (its dimension values) as a :class:`Filter`, within
the reader's own scope (the dataset's scope, applied by the row source as for every read). Two
windows of the same length are compared: **since** = the start day to ``today`` (inclusive), and
**before** = as many days just before the start (:func:`windows`), so the two never overlap and
cover the same number of days. For each: the NPS with n and its interval (the options' method and
level), and the difference since − before with its test (:func:`nps.query.comparisons.compare`);
for each of the action's themes, the share of the detractors' comments that mention it, with its
interval (:func:`nps.stats.share_interval`), and its change (:func:`nps.stats.compare_shares`).
Each test stands on its own (no multiplicity control). A side below the options' minimum n is not
tested, and the verdict says how many responses there are and how many are needed. On an employee
dataset what the anonymity rule hides stays hidden, and the verdict says so. Theme figures count
each comment once (no weights, no deduplication); reads never tag (the caller tags first).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from nps import domain, stats
from nps import format as fmt
from nps.query import anonymity, themes
from nps.query.comparisons import Comparison, compare
from nps.query.filters import Filter
from nps.query.options import Options
from nps.store import Dataset
from nps.store.actions import OPEN_STATUSES, Action
from nps.text import Codebook


@dataclass(frozen=True)
class Window:
    """An inclusive run of days, ``since``..``until``."""

    since: dt.date
    until: dt.date

    @property
    def days(self) -> int:
        """How many days the window covers (both ends included)."""
        return (self.until - self.since).days + 1

    def label(self) -> str:
        """``2026-01-01 to 2026-03-31``."""
        return f"{self.since.isoformat()} to {self.until.isoformat()}"


@dataclass(frozen=True)
class ThemeEvidence:
    """One theme's share among the detractors' comments before and since, and its change (percentage points).

    ``before``/``since`` are (mentions, comments, share, low, high), shares and bounds as fractions;
    ``hidden`` when the anonymity rule hides the comments of either window (then nothing else is set).
    """

    theme: str
    before: tuple[int, int, float, float, float] | None
    since: tuple[int, int, float, float, float] | None
    change: stats.Difference | None
    hidden: bool
    verdict: str


@dataclass(frozen=True)
class Evidence:
    """Before and since an action started, in its affected scope: the NPS, its change, the themes, in words.

    ``state``: ``not started`` (no start day, or it is after today), ``hidden`` (the anonymity rule
    hides a window), ``too few`` (a window below the minimum n), ``tested``.
    """

    action_id: int
    scope: Filter
    before: Window | None
    since: Window | None
    nps: Comparison | None
    themes: tuple[ThemeEvidence, ...]
    state: str
    verdict: str
    method: str
    level: float
    min_n: int
    notes: tuple[str, ...] = ()


def windows(started_on: dt.date | None, today: dt.date) -> tuple[Window, Window] | None:
    """The (before, since) windows of an action started on ``started_on``, seen on ``today``; None when not started.

    since = started_on..today; before = the same number of days ending the day before the start.
    """
    if started_on is None or started_on > today:
        return None
    since = Window(started_on, today)
    before = Window(started_on - dt.timedelta(days=since.days), started_on - dt.timedelta(days=1))
    return before, since


def scope_filter(action: Action, base: Filter | None = None) -> Filter:
    """The action's conditions (dimension values) as a filter without a period.

    ``base``: other conditions kept where the action sets none on that column (the page passes the
    sidebar's survey type, so a dataset mixing survey types is not blended).
    """
    include = {column: list(values) for column, values in (base.include if base is not None else ())}
    include.update({column: list(values) for column, values in action.conditions})
    return Filter.build(include=include)


def describe_scope(flt: Filter, label: Callable[[str], str]) -> str:
    """The responses a scope keeps, in words: ``Business function = Billing; Survey type = transactional``."""
    return "; ".join(f"{label(c)} = {', '.join(v)}" for c, v in flt.include) or "every response"


def survey_type_filter(ds: Dataset, flt: Filter | None) -> Filter | None:
    """Only the survey-type choice of ``flt`` (the sidebar's), or None when it makes none."""
    column = ds.mapping.survey_type
    chosen = dict(flt.include).get(column) if flt is not None and column else None
    return Filter.build(include={column: list(chosen)}) if column and chosen else None


def _n(result: stats.NpsResult) -> float:
    return float(result.effective_n) if result.effective_n is not None else float(result.n)


def _too_few(before: float, since: float, min_n: int) -> str | None:
    short = [f"{where} (n {fmt.count(n)})" for where, n in (("before the start", before), ("since the start", since))
             if n < min_n]
    if not short:
        return None
    return f"too few responses {' and '.join(short)} to tell; at least {min_n} needed"


def _verdict_of(diff: stats.Difference) -> str:
    if diff.significant:
        return f"a real change ({fmt.p_equals(diff.p_value)})"
    return f"within the noise ({fmt.p_equals(diff.p_value, digits=2)})"


def _nps_verdict(found: Comparison, min_n: int) -> tuple[str, str]:
    before, since = found.b, found.a
    if before.suppressed or since.suppressed:
        return "hidden", ("Hidden: the employee anonymity rule hides the NPS of this scope before or since the start "
                          "(too few respondents).")
    too_few = _too_few(_n(before), _n(since), min_n)
    if too_few:
        return "too few", too_few[0].upper() + too_few[1:] + "."
    return "tested", (f"NPS moved from {fmt.points(before.nps)} (n {fmt.count(before.n)}) to {fmt.points(since.nps)} "
                      f"(n {fmt.count(since.n)}): {_verdict_of(found.difference)}.")


def _theme(cur: duckdb.DuckDBPyConnection, ds: Dataset, book: Codebook, theme: str, flt_before: Filter,
           flt_since: Filter, opts: Options) -> ThemeEvidence:
    sides = []
    for flt in (flt_before, flt_since):
        try:
            row = themes.theme_shares(cur, ds, book, flt, [theme], category=domain.DETRACTOR).iloc[0]
        except anonymity.CommentsHidden:
            return ThemeEvidence(theme, None, None, None, True,
                                 f"{theme}: hidden (the employee anonymity rule hides these comments).")
        mentions, comments = int(row["mentions"]), int(row["comments"])
        low, high = stats.share_interval(mentions, comments, method=opts.method, level=opts.level)
        sides.append((mentions, comments, float(row["share"]) if comments else math.nan, low, high))
    before, since = sides
    change = stats.compare_shares(since[0], since[1], before[0], before[1], method=opts.method, level=opts.level,
                                  min_n=opts.min_n)
    moved = (f"{theme}: mentioned by {fmt.share(before[2])} of detractors' comments before (n {before[1]}) and "
             f"{fmt.share(since[2])} since (n {since[1]})")
    too_few = _too_few(before[1], since[1], opts.min_n)
    verdict = f"{moved}: {too_few}." if too_few else f"{moved}: {_verdict_of(change)}."
    return ThemeEvidence(theme, before, since, change, False, verdict)


def action_evidence(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    action: Action,
    opts: Options = Options(),
    *,
    today: dt.date,
    codebook: Codebook | None = None,
    base: Filter | None = None,
) -> Evidence:
    """The before/since evidence of ``action`` on ``ds`` (the reader's dataset, scoped), seen on ``today``.

    ``codebook``: the one in use, with which ``ds`` is already tagged (reads never tag); None, or a
    dataset without comments, leaves the themes out (a note says so). Raises ValueError when the
    action belongs to another dataset, :class:`nps.errors.NotTaggedError` when the comments are not
    tagged with ``codebook``. ``base``: conditions the action's own do not replace (:func:`scope_filter`).
    """
    if action.dataset_id != ds.id:
        raise ValueError(f"action {action.id} is on dataset #{action.dataset_id}, not #{ds.id}")
    scope = scope_filter(action, base)
    span = windows(action.started_on, today)
    common = {"method": opts.method, "level": opts.level, "min_n": int(opts.min_n)}
    if span is None:
        words = ("Not started yet: the evidence begins on the day the action starts." if action.started_on is None
                 else f"Starts on {action.started_on.isoformat()}: nothing to compare yet.")
        return Evidence(action.id, scope, None, None, None, (), "not started", words, **common)
    before, since = span
    flt_before = scope.with_period(before.since, before.until)
    flt_since = scope.with_period(since.since, since.until)
    found = compare(cur, ds, flt_since, flt_before, opts)
    state, verdict = _nps_verdict(found, int(opts.min_n))
    notes: list[str] = []
    evidence: list[ThemeEvidence] = []
    if action.themes:
        if codebook is None or not ds.mapping.comment:
            notes.append("The themes are not measured: this dataset has no comments." if not ds.mapping.comment
                         else "The themes are not measured: no codebook given.")
        else:
            missing = [t for t in action.themes if t not in codebook.themes]
            if missing:
                notes.append(f"Not in the codebook in use (counted as never mentioned): {', '.join(missing)}.")
            evidence = [_theme(cur, ds, codebook, t, flt_before, flt_since, opts) for t in action.themes]
    return Evidence(action.id, scope, before, since, found, tuple(evidence), state, verdict, **common,
                    notes=tuple(notes))


def select_actions(found: Sequence[Action], *, statuses: Sequence[str] = (), business_function: str | None = None,
                   owner: str | None = None) -> list[Action]:
    """The actions with one of ``statuses`` (all when empty), that function and that owner (each when given)."""
    return [a for a in found if (not statuses or a.status in statuses)
            and (business_function is None or a.business_function == business_function)
            and (owner is None or a.owner == owner)]


def actions_table(found: Sequence[Action], today: dt.date) -> pd.DataFrame:
    """The Actions page's list: one row per action, plain text, with ``overdue`` True for an open one past due."""
    return pd.DataFrame({
        "#": pd.Series([a.id for a in found], dtype="int64"),
        "title": pd.Series([a.title for a in found], dtype=object),
        "business function": pd.Series([a.business_function or "" for a in found], dtype=object),
        "owner": pd.Series([a.owner or "" for a in found], dtype=object),
        "status": pd.Series([a.status for a in found], dtype=object),
        "due": pd.Series([a.due_date.isoformat() if a.due_date else "" for a in found], dtype=object),
        "started": pd.Series([a.started_on.isoformat() if a.started_on else "" for a in found], dtype=object),
        "overdue": pd.Series([a.overdue(today) for a in found], dtype=bool),
    })


def open_actions_by_function(found: Sequence[Action], today: dt.date,
                             evidence: Mapping[int, str] | None = None) -> dict[str, pd.DataFrame]:
    """The open actions (planned or in progress) per business function, as tables of title, owner, due, status and
    overdue (True for one past its due date), the earliest due first; actions without a function are left out.
    With ``evidence`` (action number → its before/since verdict, :func:`action_evidence`), a column
    ``before → since`` holds it."""
    grouped: dict[str, list[Action]] = {}
    for a in found:
        if a.business_function and a.status in OPEN_STATUSES:
            grouped.setdefault(a.business_function, []).append(a)
    return {function: pd.DataFrame({
        "title": pd.Series([a.title for a in mine], dtype=object),
        "owner": pd.Series([a.owner or "" for a in mine], dtype=object),
        "due": pd.Series([a.due_date.isoformat() if a.due_date else "" for a in mine], dtype=object),
        "status": pd.Series([a.status for a in mine], dtype=object),
        "overdue": pd.Series([a.overdue(today) for a in mine], dtype=bool),
        **({} if evidence is None else
           {"before → since": pd.Series([evidence.get(a.id, "") for a in mine], dtype=object)}),
    }) for function, group in grouped.items()
        for mine in [sorted(group, key=lambda a: (a.due_date or dt.date.max, a.id))]}
