"""Indicators & benchmarks: what a team watches between reviews, flagged when it deteriorates, and the external
benchmarks with whether each is comparable with the data shown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import face
from face import auth, cached, md, monitoring, records, show_chart
from nps import charts, domain
from nps import format as fmt

ctx = face.context()
if ctx is None:
    st.stop()

st.title("Indicators & benchmarks")
st.caption(f"{md(ctx.dataset.name)} · {ctx.period_label} · the last periods of each indicator, by {ctx.grain}")
face.show_notes(ctx)
face.show_flash(monitoring.FLASH)
editor = auth.allowed(domain.EDITOR)
book = face.codebook() if ctx.dataset.mapping.comment else None
if book is not None:
    face.ensure_tagged(ctx, book)
found = tuple(records.list_indicators(ctx.dataset.id))
indicators_tab, benchmarks_tab = st.tabs(["Indicators to monitor", "Benchmarks"])

with indicators_tab:
    if not found:
        st.info("No indicators yet. An indicator is the NPS of some responses (a touchpoint, a segment), a theme's "
                "share of their detractors' comments or the mean of an item rating, with an alarm threshold, a target "
                "and an owner.")
    statuses = cached.indicator_statuses(ctx, found, ctx.flt, ctx.grain, ctx.opts, book) if found else []
    flagged = [s for s in statuses if s.deteriorated or s.alarm]
    if statuses:
        st.caption(f"{len(flagged)} of {len(statuses)} flagged. ⚠ marks a significant deterioration (the last period "
                   "against the one before, Benjamini–Hochberg across the indicators shown) or a value past its "
                   f"threshold. Intervals at {fmt.level(ctx.opts.level)}.")
    for number, status in enumerate(statuses):
        item = status.indicator
        with st.container(border=True, key=f"indicator_{item.id}"):
            head = st.columns([5, 1], vertical_alignment="center")
            head[0].subheader(("⚠ " if status.deteriorated or status.alarm else "") + md(item.name), anchor=False)
            if editor:
                head[1].button("Delete", key=f"ind_del_{item.id}", icon=":material/delete:",
                               on_click=monitoring.delete_indicator, args=(item.id,))
            st.text(monitoring.what_it_follows(ctx, status))
            st.text(status.sentence)
            show_chart(charts.chart_indicator(status.series, unit=status.unit, title=item.name, level=ctx.opts.level,
                                              threshold=item.threshold, target=item.target, scale=status.scale,
                                              item=ctx.label(item.item) if item.item else None))
    if editor:
        monitoring.indicator_form(ctx, list(book.themes) if book is not None else [])

with benchmarks_tab:
    placements = records.benchmark_placements(ctx)
    if not placements:
        st.info("No benchmarks yet. No benchmark values ship with Passaparola: add the ones you trust, with their "
                "source, year, country, method and n.")
    else:
        st.caption("A benchmark is a reference only where the data shown matches its country and method (one "
                   "country and one survey method in view); the others are greyed, with the reason.")
        table = pd.DataFrame({
            "comparable": [p.comparable for p in placements],
            "benchmark": [p.benchmark.label() for p in placements],
            "NPS": [fmt.points(p.benchmark.nps) for p in placements],
            "why not": [p.reason for p in placements],
        })
        st.dataframe(table.style.apply(lambda row: ["" if row["comparable"] else "color: #9e9e9e"] * len(row), axis=1),
                     hide_index=True, width="stretch",
                     column_config={"comparable": st.column_config.CheckboxColumn("comparable")})
        if editor:
            ids = {p.benchmark.id: p.benchmark.label() for p in placements}
            gone = st.selectbox("Remove a benchmark", list(ids), index=None, format_func=ids.get, key="bm_gone")
            st.button("Remove", icon=":material/delete:", disabled=gone is None, on_click=monitoring.delete_benchmark,
                      args=(gone,))
    if editor:
        monitoring.benchmark_form()
