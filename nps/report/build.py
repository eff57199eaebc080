"""A review pack's numbers, from the engine: the same queries, filters and tests as the Review meeting page.

:func:`build_pack` walks the sections of a :class:`PackRequest` (one per value of the review's
dimension, or the values it names) and fills a :class:`nps.report.model.Pack`: the scorecards come
from :func:`nps.query.review.build_scorecards` (the changes Holm-controlled together, as on the
page), the trend from one :func:`nps.query.trend` by the dimension, and per section its 0–10
distribution, a breakdown by the next dimension with its ▲ / ▼ markers, the shift-share of its
change by that dimension, its detractors' and promoters' top themes with their impact, a few masked
verbatims, its follow-up KPIs and overdue cases, and its open improvement actions with their
before/since evidence. The caveats of the whole selection (:func:`nps.query.caveats.caveats`, split by
the dimension) are computed once; a section gets those about its own value (signs of gaming by the
function). Every read goes through the row source, so the reader's scope and the
employee anonymity rule apply as on screen; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from nps import __version__, domain, stats
from nps import format as fmt
from nps.narrative import describe_family, describe_shift_share
from nps.query import actions as action_reads
from nps.query import anonymity, breakdowns, comparisons, review, scores, themes, trends
from nps.query.caveats import caveats as find_caveats
from nps.query.caveats import checks as caveat_checks
from nps.query.filters import Filter
from nps.query.options import Options
from nps.report.model import (ActionLine, Bar, Breakdown, Caveat, Change, Decision, Figure, FollowUp, Movement, Pack,
                              Provenance, Quote, Section, Theme, ThemeMove, TrendPoint)
from nps.store import Dataset
from nps.store.actions import Action
from nps.text.codebook import Codebook

METHOD_NAMES = {domain.ADJUSTED_WALD: "adjusted Wald", domain.WALD: "Wald"}
TOP_THEMES = 3
QUOTES = 3


@dataclass(frozen=True)
class PackRequest:
    """What a pack covers: the dimension of its sections (None: the summary alone), the values it keeps
    (empty: all), the filter and the comparison filter, the options, the trend's grain, its title, and
    the words of its provenance (filters, period, comparison, the command that rebuilds it)."""

    dimension: str | None
    flt: Filter = field(default_factory=Filter)
    compare_flt: Filter | None = None
    opts: Options = field(default_factory=Options)
    values: tuple[str, ...] = ()
    grain: str = "month"
    title: str = "NPS review"
    subtitle: str = ""
    targets: Mapping[str, float] = field(default_factory=dict)
    filters_text: str = "none"
    period_text: str = "all responses"
    comparison_text: str = "no comparison period"
    command: str = ""
    breakdown_by: str | None = None


def _num(value: Any) -> float | None:
    """A finite float, or None for NaN, NA and None."""
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def figure_of(result: stats.NpsResult) -> Figure:
    """A :class:`Figure` from an engine result (shares as fractions of n; None where unknown or hidden)."""
    if result.suppressed:
        return Figure(0, None, None, None, None, None, None, suppressed=True)
    n = float(result.promoters + result.passives + result.detractors)
    share = (lambda count: float(count) / n) if n else (lambda count: None)
    return Figure(int(result.n), _num(result.nps), _num(result.ci_low), _num(result.ci_high), share(result.promoters),
                  share(result.passives), share(result.detractors), low_n=bool(result.low_n))


def _figure_of_row(row: Mapping[str, Any]) -> Figure:
    if row.get(anonymity.SUPPRESSED):
        return Figure(0, None, None, None, None, None, None, suppressed=True)
    n = float(row["promoters"] + row["passives"] + row["detractors"])
    share = (lambda count: float(count) / n) if n else (lambda count: None)
    return Figure(int(row["n"]), _num(row["nps"]), _num(row["ci_low"]), _num(row["ci_high"]), share(row["promoters"]),
                  share(row["passives"]), share(row["detractors"]), low_n=bool(row["low_n"]))


def _change_of_row(row: Mapping[str, Any]) -> Change | None:
    if _num(row.get("prev_nps")) is None and _num(row.get("change")) is None:
        return None
    return Change(int(row.get("prev_n") or 0), _num(row.get("prev_nps")), _num(row.get("change")),
                  _num(row.get("change_ci_low")), _num(row.get("change_ci_high")), _num(row.get("change_p")),
                  _num(row.get("change_p_adjusted")), bool(row.get("change_significant")))


def _trend_points(frame: pd.DataFrame, grain: str) -> tuple[TrendPoint, ...]:
    out = []
    for row in frame.to_dict("records"):
        if row.get(anonymity.SUPPRESSED):
            continue
        out.append(TrendPoint(fmt_period(row["period"], grain), int(row["n"]), _num(row["nps"]), _num(row["ci_low"]),
                              _num(row["ci_high"]), bool(row["low_n"])))
    return tuple(out)


def fmt_period(value: Any, grain: str) -> str:
    """A period's start as its label (:func:`nps.format.period_code`: ``2026``, ``2026-Q2``, ``2026-03``, the day)."""
    return fmt.period_code(pd.Timestamp(value), grain)


def _distribution(frame: pd.DataFrame) -> tuple[int, ...]:
    if frame.empty or frame["n"].sum() == 0:
        return ()
    counts = dict(zip(frame["score"].astype(int), frame["n"]))
    return tuple(int(round(float(counts.get(score, 0)))) for score in range(11))


def _breakdown(cur: duckdb.DuckDBPyConnection, ds: Dataset, column: str, label: str, flt: Filter,
               opts: Options) -> Breakdown | None:
    frame = breakdowns.breakdown(cur, ds, [column], flt, opts)
    if frame.empty:
        return None
    bars = []
    hidden = 0
    for row in frame.to_dict("records"):
        if row.get(anonymity.SUPPRESSED):
            hidden += 1
            continue
        marker = ""
        if row.get("vs_rest_significant"):
            marker = "▲" if float(row["vs_rest"]) > 0 else "▼"
        bars.append(Bar(str(row[column]), int(row["n"]), _num(row["nps"]), _num(row["ci_low"]), _num(row["ci_high"]),
                        marker, bool(row["low_n"])))
    family = frame.attrs.get("family")
    note = describe_family(family, "▲ / ▼") if family else ""
    if hidden:
        note = f"{note} {hidden} value(s) hidden by the anonymity rule.".strip()
    return Breakdown(column, label, tuple(bars), note)


def _movement(cur: duckdb.DuckDBPyConnection, ds: Dataset, column: str, label: str, flt: Filter,
              compare_flt: Filter, opts: Options, against: str) -> Movement | None:
    parts = comparisons.shift_share(cur, ds, column, flt, compare_flt, opts)
    if parts.suppressed or _num(parts.total) is None:
        return None
    seg = parts.segments
    top = tuple((str(s), float(t)) for s, t in zip(seg[column], seg["total"]) if _num(t) is not None)[:5]
    return Movement(label, float(parts.total), float(parts.within), float(parts.mix), float(parts.interaction),
                    describe_shift_share(parts, label.lower(), against=against), top)


def _themes(frame: pd.DataFrame, category: str) -> tuple[Theme, ...]:
    column = f"{category}s"
    if frame.empty or column not in frame.columns:
        return ()
    ranked = frame[frame[column] > 0].sort_values(column, ascending=False, kind="stable").head(TOP_THEMES)
    return tuple(Theme(str(r["theme"]), float(r[column]), int(r["mentions"]), _num(r["impact"]),
                       _num(r["impact_ci_low"]), _num(r["impact_ci_high"]), bool(r.get("impact_significant", False)))
                 for r in ranked.to_dict("records"))


def _moved(frame: pd.DataFrame) -> tuple[ThemeMove, ...]:
    return tuple(ThemeMove(str(r["theme"]), _num(r["before"]), int(r["n_before"]), _num(r["since"]), int(r["n_since"]),
                           _num(r["change"]), _num(r["change_ci_low"]), _num(r["change_ci_high"]),
                           bool(r["change_significant"])) for r in frame.to_dict("records"))


def _quotes(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter, category: str) -> tuple[Quote, ...]:
    return tuple(Quote(score, comment) for score, comment in review.sample_verbatims(cur, ds, flt, category, k=QUOTES))


@dataclass(frozen=True)
class FollowUpInput:
    """The follow-up of the pack's sections, read by the caller (:mod:`nps.followup`): the KPIs per value and
    the overdue cases per value as (case id, owner, due ISO date, priority)."""

    kpis: Mapping[str, Any] = field(default_factory=dict)
    overdue: Mapping[str, Sequence[tuple[int, str, str, str]]] = field(default_factory=dict)


def _followup(value: str, given: FollowUpInput | None) -> FollowUp | None:
    if given is None:
        return None
    figures = given.kpis.get(value)
    cases = tuple(given.overdue.get(value, ()))
    if figures is None:
        return FollowUp(0, 0, None, None, 0, 0, None, None, cases)
    return FollowUp(figures.detractors, figures.cases_opened, figures.contacted_within_deadline_pct,
                    figures.first_contact_hours_p50, figures.overdue, figures.escalations, figures.recovery_rate,
                    figures.recovery_rate_not_contacted, cases)


def _action_lines(cur: duckdb.DuckDBPyConnection, ds: Dataset, mine: Sequence[Action], opts: Options,
                  today: dt.date, base: Filter) -> tuple[ActionLine, ...]:
    out = []
    for action in mine:
        evidence = action_reads.action_evidence(cur, ds, action, opts, today=today, base=base)
        found = evidence.nps
        before = since = None
        n_before = n_since = 0
        if found is not None and not (found.a.suppressed or found.b.suppressed):
            since, before = _num(found.a.nps), _num(found.b.nps)
            n_since, n_before = int(found.a.n), int(found.b.n)
        out.append(ActionLine(action.id, action.title, action.owner or "",
                              action.due_date.isoformat() if action.due_date else "", action.status,
                              action.overdue(today), before, n_before, since, n_since, evidence.verdict))
    return tuple(out)


def _gap(nps: float | None, target: float | None) -> float | None:
    return None if nps is None or target is None else nps - target


def _second_dimension(ds: Dataset, dimension: str | None, chosen: str | None) -> str | None:
    if chosen:
        return chosen
    for dim in ds.mapping.dimensions:
        if dim not in (dimension, ds.mapping.survey_type):
            return dim
    return None


def build_pack(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    request: PackRequest,
    *,
    label: Any = None,
    codebook: Codebook | None = None,
    actions: Sequence[Action] = (),
    followup: FollowUpInput | None = None,
    decisions: Sequence[Decision] = (),
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    invitations: pd.DataFrame | None = None,
    population: pd.DataFrame | None = None,
) -> Pack:
    """The review pack of ``request`` on ``ds`` (the reader's dataset: its scope and anonymity rule apply).

    ``label`` names a column for people (default: the column); ``codebook``: the one ``ds`` is tagged
    with (None, or a dataset without comments, leaves the themes out); ``actions``: the dataset's
    improvement actions (the open ones of each section's function are shown with their before/since
    evidence); ``followup``: the follow-up figures per value (None: an employee dataset, no cases);
    ``decisions``: the last meeting's notes and decisions; ``today``/``now``: the day the actions'
    evidence is read on and the generation time (default: now, UTC); ``invitations`` and ``population``: the
    optional tables of :func:`nps.query.caveats.caveats` (response rate, coverage; composition and the
    weighted NPS), ValueError when malformed. The numbers depend only on the
    data and the request, so the same request gives the same numbers.
    """
    name = label or (lambda column: column)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    today = today or now.date()
    opts, flt, compare_flt = request.opts, request.flt, request.compare_flt
    against = "previous period"
    provenance = Provenance(
        dataset=ds.name, dataset_id=ds.id, sources=_sources(cur, ds), filters=request.filters_text,
        period=request.period_text, comparison=request.comparison_text,
        method=METHOD_NAMES.get(opts.method, opts.method) + (", weighted" if opts.weighted else "")
        + (", latest response per respondent" if opts.dedupe else ""), level=float(opts.level),
        multiplicity=domain.MULTIPLICITY_NAMES.get(opts.control(stats.DECISION), opts.control(stats.DECISION)), generated_at=now, version=__version__, command=request.command)
    # The summary: the whole selection, its change tested with the three shares' changes (the Overview's tiles).
    overall = scores.overall(cur, ds, flt, opts)
    change = None
    if compare_flt is not None:
        before = scores.overall(cur, ds, compare_flt, opts)
        if not (overall.suppressed or before.suppressed) and before.n:
            diff = comparisons.tile_changes(overall, before, opts)["nps"]
            change = Change(int(before.n), _num(before.nps), _num(diff.diff), _num(diff.ci_low), _num(diff.ci_high),
                            _num(diff.p_value), _num(diff.p_adjusted), bool(diff.significant))
    total_target = request.targets.get("") if request.targets else None
    summary_trend = trends.trend(cur, ds, request.grain, flt, opts)
    summary = Section(
        title=f"All {name(request.dimension).lower()}s" if request.dimension and not request.values else "Overall",
        value=None, figure=figure_of(overall), change=change, target=total_target,
        gap=_gap(_num(overall.nps), total_target), trend=_trend_points(summary_trend, request.grain),
        distribution=_distribution(scores.distribution(cur, ds, flt, opts)), grain=request.grain)
    split = (request.dimension,) if request.dimension else ()
    found = tuple(find_caveats(cur, ds, flt, opts, by=split, invitations=invitations, population=population))
    checked, not_checked = caveat_checks(ds, by=split, invitations=invitations, population=population)
    sections: list[Section] = []
    family_text = ""
    pack_notes: list[str] = []
    if request.dimension is not None:
        dimension = request.dimension
        cards = review.build_scorecards(cur, ds, dimension, flt, compare_flt, opts, request.targets)
        if request.values:
            cards = cards[cards[dimension].astype(str).isin(request.values)].reset_index(drop=True)
        family = cards.attrs.get("family")
        family_text = describe_family(family, "Changes") if family else ""
        hidden = anonymity.hidden_count(cards)
        if hidden:
            pack_notes.append(f"{hidden} {name(dimension).lower()} value(s) hidden by the anonymity rule.")
        trend = trends.trend(cur, ds, request.grain, flt, opts, by=[dimension])
        sparks = review.card_trends(trend, dimension)
        second = _second_dimension(ds, dimension, request.breakdown_by)
        theme_ok = codebook is not None and ds.mapping.comment is not None
        if theme_ok:
            themes.require_tagged(cur, ds, codebook)
        open_by_function: dict[str, list[Action]] = {}
        for action in actions:
            if action.business_function and action.status in action_reads.OPEN_STATUSES:
                open_by_function.setdefault(action.business_function, []).append(action)
        for row in cards.to_dict("records"):
            value = str(row[dimension])
            figure = _figure_of_row(row)
            target = _num(row.get("target"))
            if figure.suppressed:
                sections.append(Section(value, value, figure, None, None, None, grain=request.grain,
                                        notes=("Hidden by the anonymity rule: too few respondents.",)))
                continue
            only = flt.with_values(dimension, [value])
            notes: list[str] = []
            if figure.low_n:
                notes.append(f"Fewer than {opts.min_n:g} responses: read with care; the change is not tested.")
            bd = _breakdown(cur, ds, second, name(second), only, opts) if second else None
            move = None
            if second and compare_flt is not None:
                move = _movement(cur, ds, second, name(second), only, compare_flt.with_values(dimension, [value]),
                                 opts, against)
            detractor_themes: tuple[Theme, ...] = ()
            promoter_themes: tuple[Theme, ...] = ()
            moved: tuple[ThemeMove, ...] = ()
            quotes: dict[str, tuple[Quote, ...]] = {domain.DETRACTOR: (), domain.PROMOTER: ()}
            if ds.mapping.comment is not None:
                if anonymity.comments_allowed(cur, ds, only):
                    quotes = {c: _quotes(cur, ds, only, c) for c in (domain.DETRACTOR, domain.PROMOTER)}
                    if theme_ok and not opts.weighted and not opts.dedupe:
                        summary_frame = themes.theme_summary(cur, ds, codebook, only, opts)
                        detractor_themes = _themes(summary_frame, domain.DETRACTOR)
                        promoter_themes = _themes(summary_frame, domain.PROMOTER)
                        if compare_flt is not None and anonymity.comments_allowed(
                                cur, ds, compare_flt.with_values(dimension, [value])):
                            moved = _moved(review.themes_moved(cur, ds, codebook, only,
                                                               compare_flt.with_values(dimension, [value]), opts))
                else:
                    notes.append("Comments hidden by the anonymity rule (too few respondents).")
            mine = sorted(open_by_function.get(value, []), key=lambda a: (a.due_date or dt.date.max, a.id))
            sections.append(Section(
                title=value, value=value, figure=figure, change=_change_of_row(row), target=target,
                gap=_gap(figure.nps, target), trend=_trend_points(sparks.get(value, trend.iloc[:0]), request.grain),
                distribution=_distribution(review.card_distribution(cur, ds, flt, opts, dimension, value)),
                breakdown=bd, movement=move, detractor_themes=detractor_themes, promoter_themes=promoter_themes,
                moved_themes=moved,
                detractor_quotes=quotes[domain.DETRACTOR], promoter_quotes=quotes[domain.PROMOTER],
                followup=_followup(value, followup) if ds.kind != "employee" else None,
                actions=_action_lines(cur, ds, mine, opts, today, flt.with_period(None, None)),
                notes=tuple(notes), grain=request.grain, caveats=_caveats_of(found, dimension, value)))
    if overall.suppressed:
        pack_notes.append("The whole selection is hidden by the anonymity rule.")
    return Pack(title=request.title, subtitle=request.subtitle, dimension=request.dimension,
                dimension_label=name(request.dimension) if request.dimension else "",
                level=float(opts.level), provenance=provenance, summary=summary, sections=tuple(sections),
                family=family_text, decisions=tuple(decisions), notes=tuple(pack_notes), caveats=found,
                checked=tuple(checked), not_checked=tuple(not_checked))


def _caveats_of(found: Sequence[Caveat], column: str, value: str) -> tuple[Caveat, ...]:
    """The caveats about one value of ``column`` (signs of gaming by it), in their order."""
    return tuple(c for c in found if c.numbers.get("column") == column and c.numbers.get("value") == value)


def _sources(cur: duckdb.DuckDBPyConnection, ds: Dataset) -> tuple[tuple[str, str], ...]:
    from nps.store import catalog

    return tuple((name, sha) for name, sha in catalog.source_files(cur, ds.id))
