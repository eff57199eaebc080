"""The shared sidebar: dataset, period, comparison, time grain, filters and statistics, read into a :class:`Context`.

Every widget is bound to a URL parameter (its key), so a link opens the same view.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import streamlit as st

from face import cached
from face.records import visible_datasets
from face.session import Context
from face.widgets import md
from nps import domain, store
from nps import format as fmt
from nps.narrative import column_label
from nps import query as queries
from nps.query import access, periods
from nps.query.filters import Filter, filter_keys

# The sidebar's time grains in its order (month, the default, second).
GRAINS = {g: g.capitalize() for g in (domain.WEEK, domain.MONTH, domain.QUARTER, domain.DAY, domain.YEAR)}
COMPARISONS = {"previous": "Previous period", "last_year": "Same period last year", "none": "No comparison"}
METHODS = domain.METHODS
MULTIPLICITY = {"auto": "By display (BH / Holm)", domain.BH: "Benjamini–Hochberg everywhere", domain.HOLM: "Holm everywhere",
                domain.NO_ADJUSTMENT: "None (each test alone)"}


def filter_key(column: str, ds: store.Dataset) -> str:
    """The URL parameter of a dimension's filter: ``f_`` and a slug of the column name, unique in ``ds``
    (see :func:`nps.query.filters.filter_keys`)."""
    return filter_keys(ds.columns).get(column) or filter_keys([*ds.columns, column])[column]


def dataset_label(datasets: dict[int, store.Dataset]) -> Callable[[int], str]:
    """How the Dataset picker names a dataset: ``name · #id``.

    A bound widget writes its formatted option into the URL, so labels must not change
    with the data (no counts here): "name · #id" is stable and unique.
    """
    return lambda i: f"{datasets[i].name} · #{i}" if i in datasets else str(i)


def linked_dataset(linked: str, datasets: dict[int, store.Dataset],
                   hidden: dict[int, str] | None = None) -> tuple[int | None, str | None]:
    """The dataset a link's ``ds`` (``name · #id``) opens, and what to tell the user when it is not the one named.

    The label as shown opens its dataset; a renamed dataset is found by its id (ids are never
    reused); a dataset deleted since (or a label matching none) opens nothing: the note says so,
    and the sidebar shows the first dataset. A dataset outside the user's access (``hidden``: its
    id and why) opens nothing either, and the note says why.
    """
    label = dataset_label(datasets)
    if linked in (label(i) for i in datasets):
        return next(i for i in datasets if label(i) == linked), None
    number = re.search(r"#(\d+)\s*$", linked)
    if number and int(number.group(1)) in datasets:
        found = int(number.group(1))
        return found, f"The dataset in this link, {linked}, has been renamed: it is {label(found)}."
    first = label(next(iter(datasets)))
    if number and hidden and int(number.group(1)) in hidden:
        return None, f"{hidden[int(number.group(1))]} Showing {first}."
    return None, (f"The dataset in this link, {linked}, no longer exists (deleted, or the link is wrong); "
                  f"showing {first}. Pick another under Dataset.")


def sidebar() -> Context | None:
    """Draw the sidebar and return what it decided; None (with a note) when there is no dataset yet."""
    visible = visible_datasets()
    datasets = {d.id: d for d in sorted(visible.datasets, key=lambda d: d.id)}
    side = st.sidebar
    if not datasets:
        side.info("No dataset available to you: ask an administrator." if visible.hidden
                  else "No dataset yet: load one on the Upload page.")
        return None
    ds = _pick_dataset(side, datasets, visible.hidden)
    if not ds.scope.is_everything:
        side.caption(md(f"Your access: {_scope_words(ds)}."))
    base = Context(ds, Filter(), None, None, "", None, None, "month", queries.Options(), None, None)
    span = cached.data_range(base)
    data_start, data_end = (span if span else (None, None))

    preset, since, until = _period(side, data_start, data_end)
    compare = side.selectbox("Compare with", list(COMPARISONS), format_func=COMPARISONS.get, key="cmp",
                             bind="query-params")
    grain = side.selectbox("Time grain", list(GRAINS), index=1, format_func=GRAINS.get, key="grain",
                           bind="query-params")

    notes: list[str] = []
    include: dict[str, list[str]] = {}
    _survey_type(side, base, include, notes)
    _dimension_filters(side, base, include, since, until, notes)
    active = [f"{column_label(d, ds.labels, in_sentence=True, among=ds.columns)}: {', '.join(v)}"
              for d, v in include.items() if d != ds.mapping.survey_type]
    if active:
        notes.append("Filtered to " + "; ".join(active) + ".")
    opts = _statistics(side, ds)

    flt = Filter.build(since=since, until=until, include=include)
    compare_flt, compare_label = _comparison(compare, flt, since, until)
    period_label = periods.PRESETS[preset] if not since else f"{since:%d %b %Y} – {until:%d %b %Y}"
    if data_end and preset not in ("all", "custom"):
        side.caption(f"Periods end at the latest response, {data_end:%d %b %Y}.")
    return Context(ds, flt, since, until, period_label, compare_flt, compare_label, grain, opts,
                   data_start, data_end, tuple(notes))


def _scope_words(ds: store.Dataset) -> str:
    """The reader's scope in words, with the columns' readable names."""
    return "; ".join(f"{column_label(c, ds.labels, among=ds.columns)}: {', '.join(v)}" for c, v in ds.scope.rules)


def _pick_dataset(side: Any, datasets: dict[int, store.Dataset], hidden: dict[int, str]) -> store.Dataset:
    """The Dataset picker: a dataset just opened, else the link's (noting a renamed or deleted one), else the first."""
    ids = list(datasets)
    pending = st.session_state.pop("_pending_ds", None)
    if pending in ids:
        st.session_state["ds"] = pending
    elif st.session_state.get("ds") not in ids and "ds" in st.session_state:
        del st.session_state["ds"]
    elif "ds" not in st.session_state and (linked := st.query_params.get("ds")):
        # A link's dataset, before the bound widget silently drops a label it does not know.
        found, note = linked_dataset(linked, datasets, hidden)
        if found is not None:
            st.session_state["ds"] = found
        st.session_state["_ds_note"] = (note, found if found is not None else ids[0]) if note else None
    dataset_id = side.selectbox("Dataset", ids, format_func=dataset_label(datasets), key="ds", bind="query-params")
    ds = datasets[dataset_id] if dataset_id in datasets else datasets[ids[0]]
    link_note = st.session_state.get("_ds_note")
    if link_note and link_note[1] == ds.id:  # shown until another dataset is picked
        side.warning(md(link_note[0]), icon=":material/link_off:")
    else:
        st.session_state.pop("_ds_note", None)
    return ds


def _period(side: Any, data_start: dt.date | None,
            data_end: dt.date | None) -> tuple[str, dt.date | None, dt.date | None]:
    """The Period preset (and its From/To dates when custom), resolved against the data's dates."""
    preset = side.selectbox("Period", list(periods.PRESETS), format_func=periods.PRESETS.get, key="period",
                            bind="query-params")
    custom: tuple[dt.date | None, dt.date | None] = (None, None)
    if preset == "custom":
        c1, c2 = side.columns(2)
        start = c1.date_input("From", value=data_start, min_value=data_start, max_value=data_end, key="from",
                              bind="query-params")
        end = c2.date_input("To", value=data_end, min_value=data_start, max_value=data_end, key="to",
                            bind="query-params")
        custom = (start if isinstance(start, dt.date) else None, end if isinstance(end, dt.date) else None)
        if custom[0] and custom[1] and custom[0] > custom[1]:
            side.error("The period starts after it ends: pick a 'From' date before the 'To' date.")
            custom = (custom[1], custom[0])
    since, until = periods.resolve_preset(preset, data_start, data_end, custom=custom)
    return preset, since, until


def _survey_type(side: Any, base: Context, include: dict[str, list[str]], notes: list[str]) -> None:
    """A dataset mixing survey types shows one at a time (blending them mixes different questions)."""
    survey_type = base.dataset.mapping.survey_type
    if not survey_type:
        return
    kinds = cached.dimension_values(base, survey_type)
    values = [str(v) for v in kinds["value"]]
    if len(values) > 1:
        chosen = side.segmented_control("Survey type", values, default=values[0], key="type",
                                        format_func=md, bind="query-params", required=True)
        chosen = chosen or values[0]
        include[survey_type] = [chosen]
        notes.append(f"This dataset mixes {len(values)} survey types ({', '.join(values)}); "
                     f"showing {chosen} only, since blending them mixes different questions. "
                     "Switch with Survey type in the sidebar.")


def _dimension_filters(side: Any, base: Context, include: dict[str, list[str]], since: dt.date | None,
                       until: dt.date | None, notes: list[str]) -> None:
    """The Filters expander: one multiselect per dimension, with each value's count in the period.

    A link asking for values outside the reader's scope gets nothing of them (the options are the
    scoped dataset's values, and the row source would keep none of those rows anyway) and a note
    saying why, kept while the filter stays as the link set it.
    """
    ds = base.dataset
    dims = [d for d in ds.mapping.dimensions if d != ds.mapping.survey_type]
    if not dims:
        return
    options = cached.dimension_counts(base, dims)
    # Counted per day once per dataset version, so a new period is a sum, not a scan.
    in_period = cached.dimension_counts_by_day(base, dims, Filter.build(include=include)).within(since, until)
    keys = filter_keys([*ds.columns, *dims])
    with side.expander("Filters", expanded=True):
        for dim in dims:
            values = [str(v) for v in options[dim]["value"]]
            _scope_refusal(ds, dim, keys[dim], notes)
            # Raw values only: a bound widget puts its formatted option into the URL.
            picked = st.multiselect(md(column_label(dim, ds.labels, among=ds.columns)), values, key=keys[dim],
                                    bind="query-params", placeholder="All")
            counts = in_period[dim]
            st.caption(md(" · ".join(
                f"{v} {n:,}" for v, n in zip(counts["value"][:8], counts["n"][:8])
            ) + (" · …" if len(counts) > 8 else "")) or "no responses in this period")
            if picked:
                include[dim] = list(picked)


def _scope_refusal(ds: store.Dataset, dim: str, key: str, notes: list[str]) -> None:
    """Note (for this session, until the filter changes) that a link asked for ``dim`` values outside the scope."""
    remembered = st.session_state.setdefault("_scope_refusals", {})
    if key not in st.session_state and (asked := st.query_params.get_all(key)):
        refused = access.outside_scope(ds, dim, asked)
        if refused:
            label = column_label(dim, ds.labels, in_sentence=True, among=ds.columns)
            remembered[(ds.id, key)] = access.scope_note(ds, dim, refused, label)
    note = remembered.get((ds.id, key))
    if note and st.session_state.get(key):  # the user picked values since: the link's request is gone
        remembered.pop((ds.id, key), None)
    elif note:
        notes.append(note)


def _statistics(side: Any, ds: store.Dataset) -> queries.Options:
    """The Statistics expander: interval method, level, minimum n, de-duplication, weighting, multiplicity."""
    with side.expander("Statistics"):
        method = st.selectbox("Interval method", METHODS, key="method", bind="query-params",
                              help="Adjusted Wald (Rocks 2016) is the default: honest at small n. Wald is the textbook one.")
        level = st.selectbox("Confidence level", [0.95, 0.90, 0.99], format_func=fmt.level,
                             key="level", bind="query-params")
        min_n = int(st.number_input("Minimum n", min_value=1, max_value=10_000, value=30, step=5, key="min_n",
                                    bind="query-params", help="Groups with fewer responses are marked as unreliable."))
        dedupe = st.toggle("Latest response per respondent", key="dedupe", bind="query-params",
                           disabled=not ds.mapping.respondent,
                           help="Counts each respondent once (their latest answer)." if ds.mapping.respondent
                           else "This dataset has no respondent id column.")
        weighted = st.toggle("Weighted", key="weighted", bind="query-params", disabled=not ds.mapping.weight,
                             help="Weights responses by the weight column (Kish's effective n in the interval)."
                             if ds.mapping.weight else "This dataset has no weight column.")
        control = st.selectbox("Multiple comparisons", list(MULTIPLICITY), format_func=MULTIPLICITY.get, key="mult",
                               bind="query-params",
                               help="Many tests shown together find 'significant' noise unless the error rate is "
                                    "controlled across them. By display: Benjamini–Hochberg for screening (Segments, "
                                    "trends, themes), Holm where decisions are made (Review meeting, the Overview's tiles).")
    return queries.Options(method=method, level=float(level), min_n=min_n,
                           dedupe=bool(dedupe and ds.mapping.respondent), weighted=bool(weighted and ds.mapping.weight),
                           multiplicity=None if control == "auto" else control)


def _comparison(compare: str, flt: Filter, since: dt.date | None,
                until: dt.date | None) -> tuple[Filter | None, str | None]:
    """The comparison period's filter and its label, or (None, None) with no comparison or no period."""
    if compare == "none" or not since or not until:
        return None, None
    if compare == "previous":
        c_since, c_until = periods.previous_period(since, until)
    else:
        c_since, c_until = periods.same_period_last_year(since, until)
    return (replace(flt, since=c_since, until=c_until),
            f"{COMPARISONS[compare].lower()} ({c_since:%d %b %Y} – {c_until:%d %b %Y})")
