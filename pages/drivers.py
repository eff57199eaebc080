"""Key drivers: which item ratings explain the 0–10 score (LMG shares with bootstrap intervals, guard rails in
words) and where to act (importance × performance: fix first, keep up, monitor, maintain), overall or per value."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

import face
from face import cached, md, show_chart
from nps import format as fmt
from nps.charts.drivers import chart_drivers, drivers_table

if TYPE_CHECKING:
    from nps.drivers.dataset import DriverView

ctx = face.context()
if ctx is None:
    st.stop()

st.title("Key drivers")
st.caption(f"{md(ctx.dataset.name)} · {ctx.period_label} · what the item ratings explain of the 0–10 score")
face.show_notes(ctx)
items = tuple(ctx.dataset.mapping.items)
if not items:
    st.info("This dataset has no item ratings: the questions asked beside the 0–10 one (speed, staff, price… on a "
            "1–5, 1–7 or 0–10 scale, or agreement words). They are found when a file is loaded (columns named like "
            "ratings or satisfaction items); when they were not, choose them on *Upload & datasets → Columns and "
            "roles → Item ratings* (editors), or load the file with `python -m nps ingest FILE --item-column C` "
            "(once per item). `python -m nps drivers DATASET --items C` names them for one analysis.")
    st.stop()

METHODS = {"lmg": "Linear", "logistic": "Logistic", "correlation": "Correlation"}
EXPLAINED = {
    "lmg": "Each item's part of the variance of the 0–10 score that the items explain together (the R² of a linear "
           "regression), split by LMG: its gain in R² when it joins a model, averaged over every order of entry, so "
           "correlated items share what they explain together.",
    "logistic": "The same split of McFadden's pseudo-R² of a logistic regression of promoter (9–10) or not: what "
                "makes a promoter rather than what moves the score.",
    "correlation": "The simple mode: each item's plain correlation with the score on the importance axis. Correlated "
                   "items each get all they share, so read it as a ranking, not as parts of a whole.",
}
level = fmt.level(ctx.opts.level)
left, middle, right = st.columns([3, 3, 2])
method = left.segmented_control("Method", list(METHODS), default="lmg", format_func=METHODS.get, key="drv_method",
                                bind="query-params", required=True) or "lmg"
dims = ctx.dimensions
face.adopt_column_param("drv_by", dims, ctx)
by = right.selectbox("Per value of", ["", *dims], format_func=lambda c: ctx.label(c) if c else "(all responses together)",
                     key="drv_by", bind="query-params") or None
chosen = middle.multiselect("Items", list(items), default=list(items), key="drv_items", bind="query-params",
                            format_func=ctx.label, help="The item ratings that explain the score (all by default); the "
                            "logistic variant takes at most 6.")
st.caption(EXPLAINED[method])
if not chosen:
    st.info("Pick at least one item rating under *Items*.")
    st.stop()
mode = "correlation" if method == "correlation" else "drivers"
with st.spinner("Computing the key drivers and their bootstrap intervals…"):
    views = cached.drivers(ctx, tuple(chosen), "lmg" if method == "correlation" else method, by, ctx.flt, ctx.opts)

TOO_FEW = ("Widen the period (sidebar, Period), remove filters, or choose a dimension with fewer values; "
           "the analysis needs at least 30 complete responses and 10 per item.")


def _section(view: DriverView, title: str) -> None:
    """One analysis: its numbers, its guard rails in words, the quadrant and the table."""
    result = view.result
    if not result.computed:
        reason, *earlier = reversed(result.warnings)
        st.info(md(f"{reason[:1].upper()}{reason[1:]}. {TOO_FEW}"), icon=":material/info:")
        for warning in reversed(earlier):
            st.caption(md(warning))
        return
    tiles = st.columns(3)
    tiles[0].metric("McFadden R²" if result.method == "logistic" else "R²", f"{result.r2:.3f}",
                    help="How much of the score's variance (of promoter or not, for the logistic variant) the items "
                         "explain together.")
    tiles[1].metric("Responses analysed (n)", fmt.count(result.n))
    tiles[2].metric("Items", fmt.count(len(result.items)))
    for warning in result.warnings:
        st.warning(md(warning), icon=":material/warning:")
    rows = view.simple if mode == "correlation" else view.drivers
    show_chart(chart_drivers, rows, title=title, level=ctx.opts.level, mode=mode)
    st.dataframe(drivers_table(rows, level=ctx.opts.level), hide_index=True, width="stretch")


if by is None:
    _section(views[0], "Importance × performance")
else:
    st.caption(f"One analysis per {md(ctx.label(by, in_sentence=True))} value, most responses first; intervals at "
               f"{level}.")
    for view in views:
        st.subheader(md(f"{ctx.label(by)}: {view.value}"), anchor=False)
        _section(view, f"Importance × performance · {ctx.label(by)}: {view.value}")

st.caption(f"Intervals: {level} bootstrap percentile intervals (respondents resampled, seeded). Quadrants cut at the "
           "median importance and the median performance over the items: fix first (important, low), keep up "
           "(important, high), monitor (less important, low), maintain (less important, high). Explained variance is "
           "association, not causation: items and score are asked together, so a happy customer rates everything "
           "higher; the shares change with the items asked. See the README's Drivers section.")
