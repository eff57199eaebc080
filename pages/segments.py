"""Segments & functions: NPS per value of a dimension, its mix of categories, over time, and across two dimensions."""

from __future__ import annotations

import streamlit as st

import face
from nps.query.anonymity import selection_hidden_sentence
from face import cached, md, show_chart
from nps import charts
from nps.charts import tables
from nps.narrative import describe_family
from nps.format import points as format_points

ctx = face.context()
if ctx is None:
    st.stop()

st.title("Segments & functions")
st.caption(f"{md(ctx.dataset.name)} · {ctx.period_label}")
face.show_notes(ctx)

dims = ctx.dimensions
if not dims:
    st.info("This dataset has no dimension columns. Mark some on the Upload page (re-load the file with a mapping).")
    st.stop()


face.adopt_column_param("by", dims, ctx)
# Button labels are Markdown: a column named "[x](http://evil)" must not become a link.
dimension = st.segmented_control("Break down by", dims, default=dims[0], format_func=lambda d: md(ctx.label(d)),
                                 key="by", bind="query-params", required=True) or dims[0]
key = face.filter_key(dimension, ctx.dataset)


def _apply_click() -> None:
    """A click on a value filters the whole app to it (the sidebar's filter for this dimension)."""
    state = st.session_state.get("breakdown_chart")
    points = (state or {}).get("selection", {}).get("pick", []) if state else []
    values = sorted({str(p[charts.VALUE_FIELD]) for p in points if charts.VALUE_FIELD in p})
    if values:
        st.session_state[key] = values


overall = cached.overall(ctx, ctx.flt, ctx.opts)
frame = cached.breakdown(ctx, [dimension], ctx.flt, ctx.opts)
if overall.suppressed:
    st.info(selection_hidden_sentence(ctx.dataset.privacy))
    st.stop()
if frame.empty or overall.n == 0:
    st.warning("No responses match this period and these filters.")
    st.stop()

label, in_sentence = ctx.label(dimension), ctx.label(dimension, in_sentence=True)
show_chart(
    charts.chart_breakdown, frame, dimension, title=f"NPS by {in_sentence} (click a value to filter the app)",
    selection_name="pick", overall=overall.nps, min_n=ctx.opts.min_n, label=label, on_select=_apply_click,
    key="breakdown_chart", level=ctx.opts.level,
)
face.anonymity_note(frame)
if "family" in frame.attrs:
    st.caption(describe_family(frame.attrs["family"], "▲ / ▼ (each value against all the others)"))
selected = st.session_state.get(key) or []
if selected:
    st.caption(f"Filtered to {md(', '.join(selected))}: clear it under *Filters* in the sidebar.")
marks = tables.describe_vs_rest(frame, dimension)
if marks:
    st.text(marks)  # values are user data: plain text

# Full width each: side by side, a year of months left the heatmap's cells too narrow for their numbers.
show_chart(charts.chart_diverging, frame, dimension, title=f"Promoters, passives and detractors by {in_sentence}",
               min_n=ctx.opts.min_n, label=label, level=ctx.opts.level)
by_period = cached.trend(ctx, ctx.grain, ctx.flt, ctx.opts, by=[dimension])
show_chart(charts.chart_heatmap, by_period, dimension, title=f"NPS by {in_sentence} and {ctx.grain}",
               grain=ctx.grain, min_n=ctx.opts.min_n, label=label, level=ctx.opts.level)

st.subheader("Two dimensions")
others = [d for d in dims if d != dimension]
if others:
    face.adopt_column_param("by2", others, ctx)
    second = st.selectbox("Against", others, format_func=ctx.label, key="by2", bind="query-params")
    cross = cached.breakdown(ctx, [dimension, second], ctx.flt, ctx.opts)
    st.caption(f"NPS (n) of each {md(in_sentence)} × {md(ctx.label(second, in_sentence=True))}; "
               f"cells under n = {ctx.opts.min_n} are marked ⚠.")
    pivot = tables.pivot_nps(cross, dimension, second, min_n=ctx.opts.min_n)
    st.dataframe(pivot.rename_axis(index=label, columns=ctx.label(second)), width="stretch")
    face.anonymity_note(cross)

with st.expander("The numbers"):
    st.dataframe(tables.breakdown_table(frame, dimension, level=ctx.opts.level).rename(columns={dimension: label}),
                 hide_index=True, width="stretch")
    st.caption(f"Overall NPS {format_points(overall.nps)} (n = {overall.n:,}).")
