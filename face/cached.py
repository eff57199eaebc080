"""The engine's reads as the pages make them: one typed, cached function per engine call.

Each function is ``@st.cache_data`` itself, so a rerun on the same numbers reads nothing. The key
is the dataset's id and version (:attr:`face.session.Context.version`: it changes with a new wave,
a corrected mapping, a rename's reload) and the arguments, hashed quickly:

* a filter and the options are frozen dataclasses of plain values: their ``repr`` is their
  content, and ten times quicker to hash than Streamlit's walk of the objects;
* a codebook is hashed by its content version: equal versions tag and count identically;
* a context by its dataset version (its other fields are passed explicitly when they matter).

Frames of groups (breakdowns, trends, scorecards) come without the groups the employee anonymity rule
hides (:func:`nps.query.anonymity.shown`); ``attrs["anonymity_note"]`` says how many, for
:func:`face.widgets.anonymity_note`. Theme reads never tag: a page calls :func:`face.tagging.ensure_tagged` first. The comment
libraries (nps.text, nps.ingest) are imported inside the functions that need them, so a server's
first Overview does not load them. :func:`clear_caches` forgets every result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
import streamlit as st

from face.session import Context, cursor
from nps import stats
from nps import query as queries
from nps.query import anonymity
from nps.query.filters import Filter

if TYPE_CHECKING:
    from nps.followup.kpis import Kpis
    from nps.query.actions import Evidence
    from nps.accounts.analysis import AccountAnalysis
    from nps.caveats.rules import Caveat
    from nps.drivers.dataset import DriverView
    from nps.query.apart import Apart
    from nps.query.explorer import Search, SearchPage
    from nps.query.indicators import Status as IndicatorStatus
    from nps.store.indicators import Indicator
    from nps.store.actions import Action
    from nps.text.clusters import Cluster
    from nps.text import Codebook

F = TypeVar("F", bound=Callable[..., Any])
_ALL: list[Any] = []

HASH_FUNCS: dict[Any, Callable[[Any], Any]] = {
    "nps.text.codebook.Codebook": lambda c: c.version, Filter: repr, queries.Options: repr, Context: lambda c: c.version,
    "nps.store.actions.Action": repr, "nps.store.indicators.Indicator": repr,
}


def _cached(fn: F) -> F:
    """``st.cache_data`` with the shared hash functions, registered for :func:`clear_caches`."""
    wrapped = st.cache_data(show_spinner=False, max_entries=2048, ttl=3600, hash_funcs=HASH_FUNCS)(fn)
    _ALL.append(wrapped)
    return wrapped  # type: ignore[return-value]


def clear_caches() -> None:
    """Forget cached query results (after a dataset is renamed, deleted, appended to or remapped)."""
    for fn in _ALL:
        fn.clear()


# --- the sidebar ---------------------------------------------------------------------------------


@_cached
def data_range(ctx: Context) -> tuple[dt.date, dt.date] | None:
    """The first and last response dates of the dataset (``queries.data_range``)."""
    with cursor() as cur:
        return queries.data_range(cur, ctx.dataset)


@_cached
def dimension_values(ctx: Context, column: str) -> pd.DataFrame:
    """A column's values and counts (``queries.dimension_values``)."""
    with cursor() as cur:
        return queries.dimension_values(cur, ctx.dataset, column)


@_cached
def dimension_counts(ctx: Context, columns: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Each dimension's values and counts over the whole dataset (``queries.dimension_counts``)."""
    with cursor() as cur:
        return queries.dimension_counts(cur, ctx.dataset, columns)


@_cached
def dimension_counts_by_day(ctx: Context, columns: Sequence[str], flt: Filter) -> queries.DailyCounts:
    """Each dimension's counts per day, so a new period is a sum (``queries.dimension_counts_by_day``)."""
    with cursor() as cur:
        return queries.dimension_counts_by_day(cur, ctx.dataset, columns, flt)


# --- scores --------------------------------------------------------------------------------------


@_cached
def overall(ctx: Context, flt: Filter, opts: queries.Options) -> stats.NpsResult:
    """The NPS under ``flt`` (``queries.overall``)."""
    with cursor() as cur:
        return queries.overall(cur, ctx.dataset, flt, opts)


@_cached
def overview(ctx: Context, flt: Filter, compare_flt: Filter | None, opts: queries.Options, split_by: str | None,
             grain: str) -> queries.Overview:
    """The Overview's tiles, distribution, trend and shift-share in one read (``queries.overview``)."""
    from dataclasses import replace

    with cursor() as cur:
        found = queries.overview(cur, ctx.dataset, flt, compare_flt, opts, split_by, grain)
    return replace(found, distribution=anonymity.shown(found.distribution, ctx.dataset),
                   trend=None if found.trend is None else anonymity.shown(found.trend, ctx.dataset))


@_cached
def shift_share(ctx: Context, dimension: str, flt: Filter, compare_flt: Filter | None,
                opts: queries.Options) -> queries.ShiftShare:
    """The change split into within-group and mix effects (``queries.shift_share``)."""
    with cursor() as cur:
        return queries.shift_share(cur, ctx.dataset, dimension, flt, compare_flt, opts)


@_cached
def breakdown(ctx: Context, by: Sequence[str], flt: Filter, opts: queries.Options) -> pd.DataFrame:
    """The NPS per value of ``by`` (``queries.breakdown``)."""
    with cursor() as cur:
        return anonymity.shown(queries.breakdown(cur, ctx.dataset, by, flt, opts), ctx.dataset)


@_cached
def trend(ctx: Context, grain: str, flt: Filter, opts: queries.Options, by: Sequence[str] = ()) -> pd.DataFrame:
    """The NPS per period, optionally per value of ``by`` (``queries.trend``)."""
    with cursor() as cur:
        return anonymity.shown(queries.trend(cur, ctx.dataset, grain, flt, opts, by=by), ctx.dataset)


# --- the review meeting --------------------------------------------------------------------------


@_cached
def scorecards(ctx: Context, dimension: str, flt: Filter, compare_flt: Filter | None, opts: queries.Options,
               goals: Mapping[str, float]) -> pd.DataFrame:
    """One scorecard per value of ``dimension`` (``review.build_scorecards``)."""
    from nps.query import review

    with cursor() as cur:
        return anonymity.shown(review.build_scorecards(cur, ctx.dataset, dimension, flt, compare_flt, opts, goals),
                               ctx.dataset)


@_cached
def card_distribution(ctx: Context, flt: Filter, opts: queries.Options, dimension: str, value: str) -> pd.DataFrame:
    """One card's 0–10 distribution (``review.card_distribution``)."""
    from nps.query import review

    with cursor() as cur:
        return review.card_distribution(cur, ctx.dataset, flt, opts, dimension, value)


@_cached
def card_voices(ctx: Context, flt: Filter, dimension: str, value: str) -> dict[str, list[tuple[int, str]]]:
    """One card's detractor and promoter verbatims (``review.card_voices``)."""
    from nps.query import review

    with cursor() as cur:
        return review.card_voices(cur, ctx.dataset, flt, dimension, value)


def followup_by(ctx: Context, dimension: str, flt: Filter) -> dict[str, Kpis] | None:
    """The follow-up KPIs per value of ``dimension`` in ``flt``'s period, as of now (``kpis.compute_by``).

    None on an employee dataset (its answers are anonymous: no cases). Keyed by the cases' stamp (a
    case opened or changed is a new key) and the minute, so the figures are at most a minute old.
    """
    from face.followup import now
    from nps.store import cases

    if ctx.dataset.kind == "employee":
        return None
    with cursor() as cur:
        stamp = cases.stamp(cur)
    return _followup_by(ctx, dimension, flt.since, flt.until, now().replace(second=0, microsecond=0), stamp)


@_cached
def _followup_by(ctx: Context, dimension: str, since: dt.date | None, until: dt.date | None, now: dt.datetime,
                 stamp: tuple[int, int]) -> dict[str, Kpis]:
    """The cached read of :func:`followup_by` (``stamp`` only keys it)."""
    from nps.followup import kpis

    with cursor() as cur:
        return kpis.compute_by(cur, ctx.dataset, dimension, now, since=since, until=until)


# --- comments ------------------------------------------------------------------------------------


@_cached
def theme_summary(ctx: Context, book: Codebook, flt: Filter, opts: queries.Options) -> pd.DataFrame:
    """Mentions, impact and categories per theme (``themes.theme_summary``)."""
    from nps.query import themes

    with cursor() as cur:
        return themes.theme_summary(cur, ctx.dataset, book, flt, opts)


@_cached
def theme_trend(ctx: Context, book: Codebook, flt: Filter, grain: str, opts: queries.Options) -> pd.DataFrame:
    """Each theme's share per period (``themes.theme_trend``)."""
    from nps.query import themes

    with cursor() as cur:
        return themes.theme_trend(cur, ctx.dataset, book, flt, grain, opts)


@_cached
def theme_cooccurrence(ctx: Context, book: Codebook, flt: Filter) -> pd.DataFrame:
    """Pairs of themes mentioned together (``themes.theme_cooccurrence``)."""
    from nps.query import themes

    with cursor() as cur:
        return themes.theme_cooccurrence(cur, ctx.dataset, book, flt)


@_cached
def top_themes_by(ctx: Context, book: Codebook, flt: Filter, column: str, category: str | None,
                  top: int = 3) -> pd.DataFrame:
    """The top themes of each value of ``column`` (``themes.top_themes_by``)."""
    from nps.query import themes

    with cursor() as cur:
        return themes.top_themes_by(cur, ctx.dataset, book, flt, column, category=category, top=top)


@_cached
def share_changes(ctx: Context, dimension: str, cards: pd.DataFrame, flt: Filter, compare_flt: Filter | None,
                  opts: queries.Options) -> dict[str, pd.DataFrame]:
    """Each shown card's shares with their intervals and changes (``review.share_changes``)."""
    from nps.query import review

    with cursor() as cur:
        return review.share_changes(cur, ctx.dataset, dimension, cards, flt, compare_flt, opts)


@_cached
def indicator_statuses(ctx: Context, found: tuple[Indicator, ...], flt: Filter, grain: str, opts: queries.Options,
                       book: Codebook | None) -> list[IndicatorStatus]:
    """Each indicator's series, last change and flags under the sidebar's filters (``indicators.evaluate``)."""
    from nps.query import indicators

    with cursor() as cur:
        return indicators.evaluate(cur, ctx.dataset, list(found), flt, grain, opts, codebook=book)


@_cached
def profiles(ctx: Context, by: tuple[str, ...], flt: Filter, opts: queries.Options) -> pd.DataFrame:
    """The promoter and detractor profile of each value of ``by`` (``profiles.profiles``)."""
    from nps.query import profiles as profiling

    with cursor() as cur:
        return profiling.profiles(cur, ctx.dataset, list(by), flt, opts)


@_cached
def accounts(ctx: Context, flt: Filter, opts: queries.Options,
             account_list: pd.DataFrame | None = None) -> AccountAnalysis | str:
    """The B2B accounts analysis (``accounts.analyse_accounts``), with an account list if given, or the sentence
    saying why there is none."""
    from nps.accounts.analysis import analyse_accounts
    from nps.errors import NpsError

    with cursor() as cur:
        try:
            return analyse_accounts(cur, ctx.dataset, flt=flt, opts=opts, account_list=account_list)
        except (NpsError, ValueError) as error:
            return str(error)


# Bootstrap resamples per method: the logistic variant fits a model per subset of items in every resample
# (16 fits for 4 items), about 0.2 s a resample on the sample's 20,000 responses, so it gets half as many.
DRIVER_BOOTSTRAP = {"lmg": 200, "logistic": 100}


@_cached
def drivers(ctx: Context, items: tuple[str, ...], method: str, by: str | None, flt: Filter,
            opts: queries.Options) -> list[DriverView]:
    """The key drivers of the score among ``items`` (``dataset.analyse_dataset``), per value of ``by`` if given.

    The bootstrap (:data:`DRIVER_BOOTSTRAP` resamples, seeded) is the slow part: cached, a rerun or a switch to
    the simple mode (the same results' correlations) computes nothing.
    """
    from nps.drivers.dataset import analyse_dataset

    with cursor() as cur:
        return analyse_dataset(cur, ctx.dataset, list(items), flt, opts, method=method, by=by,
                               bootstrap=DRIVER_BOOTSTRAP[method], label=ctx.label)


@_cached
def caveats(ctx: Context, flt: Filter, opts: queries.Options, population: pd.DataFrame | None = None,
            invitations: pd.DataFrame | None = None) -> tuple[list[Caveat], list[str], list[str]]:
    """How far to trust the view: its caveats, warnings first (``caveats.caveats``, through the row source), the
    checks run and those that could not be (``caveats.checks``), with the optional population and invitations."""
    from nps.query import caveats as trust

    with cursor() as cur:
        found = trust.caveats(cur, ctx.dataset, flt, opts, population=population, invitations=invitations)
    ran, not_run = trust.checks(ctx.dataset, population=population, invitations=invitations)
    return found, ran, not_run


@_cached
def comments_allowed(ctx: Context, flt: Filter) -> bool:
    """Whether the employee anonymity rule lets this selection's comments be shown (``anonymity.comments_allowed``)."""
    with cursor() as cur:
        return anonymity.comments_allowed(cur, ctx.dataset, flt)


@_cached
def themes_moved(ctx: Context, book: Codebook, flt: Filter, compare_flt: Filter, opts: queries.Options) -> pd.DataFrame:
    """The detractors' themes whose share moved most between the two filters (``review.themes_moved``)."""
    from nps.query import review

    with cursor() as cur:
        return review.themes_moved(cur, ctx.dataset, book, flt, compare_flt, opts)


@_cached
def language_counts(ctx: Context, book: Codebook, flt: Filter) -> pd.DataFrame:
    """Comments per detected language (``themes.language_counts``)."""
    from nps.query import themes

    with cursor() as cur:
        return themes.language_counts(cur, ctx.dataset, book, flt)


@_cached
def distinctive_terms(ctx: Context, flt: Filter, language: str | None) -> pd.DataFrame:
    """Words that set detractors and promoters apart (``themes.distinctive_terms``)."""
    from nps.query import themes

    with cursor() as cur:
        return themes.distinctive_terms(cur, ctx.dataset, flt, language=language)


@_cached
def uncovered_clusters(ctx: Context, book: Codebook, flt: Filter) -> list[Cluster]:
    """Groups of comments no theme covers (``clusters.uncovered_clusters``)."""
    from nps.query import clusters

    with cursor() as cur:
        return clusters.uncovered_clusters(cur, ctx.dataset, book, flt)


@_cached
def search_comments(ctx: Context, book: Codebook, flt: Filter, search: Search, page: int, page_size: int, order: str,
                    mask: bool) -> SearchPage:
    """One page of the comment explorer's matches (``explorer.search_comments``)."""
    from nps.query import explorer

    with cursor() as cur:
        return explorer.search_comments(cur, ctx.dataset, book, flt, search, page=page, page_size=page_size,
                                        order=order, mask=mask)


# --- improvement actions -------------------------------------------------------------------------


@_cached
def action_evidence(ctx: Context, action: Action, opts: queries.Options, today: dt.date,
                    book: Codebook | None, base: Filter | None = None) -> Evidence:
    """An action's NPS and themes before and since it started, in its scope (``actions.action_evidence``).

    Keyed by the action's content (a changed action is a new key), so an edit shows fresh evidence.
    """
    from nps.query import actions

    with cursor() as cur:
        return actions.action_evidence(cur, ctx.dataset, action, opts, today=today, codebook=book, base=base)


@_cached
def profile_apart(ctx: Context, book: Codebook | None, flt: Filter, opts: queries.Options) -> Apart:
    """The items and themes that set promoters and detractors apart (``apart.what_sets_them_apart``).

    Themes need the dataset tagged with ``book`` (the page calls :func:`face.tagging.ensure_tagged` first); None
    leaves them out.
    """
    from nps.query import apart

    with cursor() as cur:
        return apart.what_sets_them_apart(cur, ctx.dataset, flt, opts, codebook=book)
