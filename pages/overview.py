"""Overview: the NPS with its interval and movement, the 0–10 distribution, the trend, and why it moved."""

from __future__ import annotations

from types import SimpleNamespace

import streamlit as st

import face
from face import cached, change_delta, md, show_chart, trust
from nps import charts, domain
from nps.charts import tables
from nps.query.anonymity import groups_hidden_sentence, selection_hidden_sentence
from nps.query.tiles import category_shares
from nps.narrative import describe_change, describe_family, describe_shift_share
from nps.format import interval as format_interval
from nps.format import points as format_points
from nps.format import share as format_share

ctx = face.context()
if ctx is None:
    st.stop()

st.title("Overview")
st.caption(f"{md(ctx.dataset.name)} · {ctx.period_label}" + (f" · compared with the {ctx.compare_label}" if ctx.compare_label else ""))
face.show_notes(ctx)

dims = ctx.dimensions
# The tiles, the distribution, the trend and "why did it move" come from one query, so the dimension picked
# under "Why did it move?" (further down) is read from its widget's state before the widget is drawn.
default_split = next((d for d in dims if "segment" in d.lower()), dims[0] if dims else None)
split_by = st.session_state.get("why_by") if st.session_state.get("why_by") in dims else default_split
summary = cached.overview(ctx, ctx.flt, ctx.compare_flt, ctx.opts, split_by, ctx.grain)
comparison = summary.comparison
current = summary.current
# A comparison period the employee anonymity rule hides is no comparison: nothing of it is shown.
previous = comparison.b if comparison and not comparison.b.suppressed else None

if current.suppressed:
    st.info(selection_hidden_sentence(ctx.dataset.privacy))
    st.stop()
if current.n == 0:
    st.warning("No responses match this period and these filters. Widen the period or clear a filter in the sidebar.")
    st.stop()


tiles = st.columns(5)
changes = summary.changes or {}
diff = changes.get("nps")
tiles[0].metric(
    "NPS",
    format_points(current.nps),
    help=f"{format_interval(current.ci_low, current.ci_high, level=ctx.opts.level)}; n = {current.n:,}. "
         "The four changes (NPS and the three shares) are tested together: a change is marked significant "
         "only after multiplicity control across them (see the note under the tiles).",
    border=True,
    **change_delta(diff.diff if diff else None, bool(diff and diff.significant)),
)
tiles[0].caption(format_interval(current.ci_low, current.ci_high, level=ctx.opts.level))
tiles[1].metric("Responses (n)", f"{current.n:,}", border=True,
                **({"delta": f"{current.n - previous.n:+,}", "delta_color": "off"} if previous else {}))
if current.low_n:
    tiles[1].caption(f":orange[Fewer than {ctx.opts.min_n} responses: read with care.]")
shares = category_shares(current)
for tile, key, label, good_up in (
    (tiles[2], "promoters", f"Promoters ({domain.score_range(domain.PROMOTER)})", True),
    (tiles[3], "passives", f"Passives ({domain.score_range(domain.PASSIVE)})", None),
    (tiles[4], "detractors", f"Detractors ({domain.score_range(domain.DETRACTOR)})", False),
):
    share = shares[key]  # of the weight sums when weighted
    kwargs: dict[str, object] = {}
    change = changes.get(key)
    if previous and previous.n and change is not None:
        kwargs = change_delta(change.diff, change.significant)
        if kwargs.get("delta") and good_up is False:
            kwargs["delta_color"] = "inverse" if change.significant else "off"
    tile.metric(label, format_share(share), border=True, help=f"{getattr(current, key):,} of {current.n:,}", **kwargs)

if diff is not None:
    st.markdown(describe_change(diff.diff, diff.p_adjusted, diff.significant, ctx.compare_label or "comparison",
                                tests=diff.tests, multiplicity=diff.multiplicity))
    st.caption(describe_family(SimpleNamespace(method=diff.multiplicity, tests=diff.tests, level=ctx.opts.level),
                               "Changes marked significant on the tiles"))
elif ctx.since is None:
    st.caption("Pick a period in the sidebar (for example *Last full quarter*) to compare it with the one before.")
trust.caveats_panel(ctx)

left, right = st.columns([2, 3])
with left:
    show_chart(charts.chart_distribution, summary.distribution)
with right:
    trend = summary.trend
    if trend["n"].sum() == 0:
        st.info("No dated responses in this period, so there is no trend to draw.")
    else:
        placements = face.records.benchmark_placements(ctx)
        show_chart(charts.chart_trend, trend, title=f"NPS by {ctx.grain}", grain=ctx.grain,
                   min_n=ctx.opts.min_n, fit_y=True, level=ctx.opts.level, references=trust.reference_lines(placements))
        trust.benchmark_note(placements)
        if "family" in trend.attrs:
            st.caption(describe_family(trend.attrs["family"], f"Changes from one {ctx.grain} to the next "
                                                              "marked significant in the tooltips"))

show_chart(charts.chart_category_shares, trend, grain=ctx.grain, min_n=ctx.opts.min_n, level=ctx.opts.level)

st.subheader("Why did it move?")
if not ctx.compare_flt or not previous or not previous.n:
    st.caption("Choose a period and a comparison in the sidebar to split the change into "
               "change within groups and change of the mix of groups.")
elif not dims:
    st.caption("This dataset has no dimension columns to split the change by.")
else:
    dimension = st.selectbox("Split the change by", dims, index=dims.index(default_split), key="why_by",
                             format_func=ctx.label)
    parts = summary.shift_share if dimension == split_by else cached.shift_share(
        ctx, dimension, ctx.flt, ctx.compare_flt, ctx.opts)
    if parts.suppressed:
        st.info(groups_hidden_sentence(1, ctx.dataset.privacy, "segment") + " The split is not shown.")
        st.stop()
    st.text(describe_shift_share(parts, ctx.label(dimension, in_sentence=True),
                                 against=ctx.compare_label or "comparison period"))
    # One above the other: side by side, the table's last columns (mix) were cut off at 1280–1440 px.
    show_chart(charts.chart_shift_share, tables.shift_share_components(parts), title="Change in NPS points, by cause")
    st.dataframe(tables.shift_share_table(parts, dimension).rename(columns={dimension: ctx.label(dimension)}),
                 hide_index=True, width="stretch")
