"""Review meeting: one section per business function (or any dimension): scorecard, trend, distribution, voices."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import streamlit as st

import face
from face import auth, cached, md, records, show_chart
from face import meeting
from face import review as review_face
from nps import charts, domain
from nps import format as fmt
from nps.followup.kpis import CAVEAT
from nps.query import actions as improvement
from nps.query import review
from nps.narrative import describe_family
from nps.format import delta as format_delta
from nps.format import interval as format_interval
from nps.format import points as format_points

# Presentation mode, for a projector: no sidebar or Streamlit menus, large type, and one
# function's card per screen (each at least a screen tall; scrolling snaps to the next card).
PRESENTATION_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stExpandSidebarButton"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stAppToolbar"], [data-testid="stSidebarNav"],
[data-testid="stMain"] [data-testid="stPopover"] {display: none !important;}
[data-testid="stMain"] {scroll-snap-type: y mandatory; outline: none;}
[data-testid="stMainBlockContainer"] {max-width: none !important; padding: 1.5rem 3rem !important;}
[data-testid="stMain"] h1, [class*="st-key-review_card_"] {scroll-snap-align: start;}
[class*="st-key-review_card_"] {min-height: 100vh; box-sizing: border-box; break-before: page;}
[data-testid="stMain"] h3 {font-size: 2.4rem !important; padding-top: 0 !important;}
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p, [data-testid="stMain"] [data-testid="stText"],
[data-testid="stMetricLabel"] p {font-size: 1.3rem !important;}
[data-testid="stMain"] [data-testid="stCaptionContainer"] {font-size: 1.1rem !important;}
[data-testid="stMain"] [data-testid="stTable"] th, [data-testid="stMain"] [data-testid="stTable"] td {font-size: 1.3rem !important;}
[data-testid="stMain"] [data-testid="stMetricValue"], [data-testid="stMain"] [data-testid="stMetricValue"] p
 {font-size: 3.75rem !important; line-height: 1.15 !important;}
[data-testid="stMain"] [data-testid="stMetricDelta"], [data-testid="stMain"] [data-testid="stMetricDelta"] p
 {font-size: 1.2rem !important;}
</style>"""

ctx = face.context()
if ctx is None:
    st.stop()

dims = ctx.dimensions
if not dims:
    st.title("Review meeting")
    st.info("This dataset has no dimension columns to review by.")
    st.stop()

top = st.columns([3, 2, 1.4], vertical_alignment="bottom")
top[0].title("Review meeting")
view = meeting.choose(ctx, st.container())  # a stored review's meeting, or None: the sidebar's period
default_dim = review.pick_review_dimension(ctx.dataset) or dims[0]
face.adopt_column_param("review_by", dims, ctx)
fixed = view.review.dimension if view is not None and view.review.dimension in dims else None
dimension = top[1].selectbox("Review by", dims, index=dims.index(default_dim), key="review_by", bind="query-params",
                             format_func=ctx.label, disabled=fixed is not None,
                             help="Set by the review" if fixed else None)
dimension = fixed or dimension
presenting = top[2].toggle("Presentation", key="present", bind="query-params",
                           help="For a projector: hides the sidebar and the menus, enlarges the type and shows one "
                                "section per screen (scroll or Page Down for the next). Switch it off here, at the top.")
label = ctx.label(dimension)
flt, compare_flt = (view.flt, view.compare_flt) if view is not None else (ctx.flt, ctx.compare_flt)
if view is None:
    st.caption(f"{md(ctx.dataset.name)} · {md(label)} · {ctx.period_label}"
               + (f" vs the {ctx.compare_label}" if ctx.compare_label else " · no comparison period (pick one in the sidebar)"))
else:
    meeting.header(view, ctx)
face.show_notes(ctx)
if presenting:
    st.html(PRESENTATION_CSS)  # styling only: no user text goes through this HTML

goals = records.load_targets(ctx.dataset.id, dimension)
cards = cached.scorecards(ctx, dimension, flt, compare_flt, ctx.opts, goals)
if view is not None and view.review.value is not None:  # a function's own review: its card alone
    cards = cards[cards[dimension].astype(str) == view.review.value].reset_index(drop=True)
face.anonymity_note(cards)
pack_slot = st.container()  # the pack's download buttons, filled once the comments are tagged (at the end)
if view is not None and not presenting:
    meeting.since_last(view, ctx)
if not presenting:
    meeting.flagged_indicators(ctx)
if cards.empty:
    st.warning("No responses match this period and these filters.")
    if view is not None and not presenting:  # the meeting's minutes still matter without responses
        meeting.minutes(view, ctx)
    if not presenting:
        meeting.definitions(ctx)
    st.stop()

if not presenting and auth.allowed(domain.EDITOR):  # set before the meeting, not on the projector; editors
    with st.expander(f"Targets per {md(ctx.label(dimension, in_sentence=True))}", icon=":material/flag:"):
        editor = pd.DataFrame({label: cards[dimension].astype(str), "target NPS": [goals.get(str(v)) for v in cards[dimension]]})
        edited = st.data_editor(editor, hide_index=True, disabled=[label], key=f"targets_{dimension}",
                                column_config={"target NPS": st.column_config.NumberColumn(min_value=-100, max_value=100,
                                                                                           step=1, format="%+d")})
        if st.button("Save targets", icon=":material/save:"):
            try:
                records.save_targets(ctx.dataset.id, dimension,
                                     dict(zip(edited[label], edited["target NPS"].astype(float))))
            except ValueError as error:
                st.error(md(str(error)))
            else:
                st.rerun()

summary = pd.DataFrame({
    label: cards[dimension].astype(str),
    "NPS": cards["nps"].map(format_points),
    f"{fmt.level(ctx.opts.level)} interval": [fmt.points_range(low, high) for low, high in zip(cards["ci_low"], cards["ci_high"])],
    "n": cards["n"],
    "change": [f"{format_points(c)}{' ●' if s else ''}" for c, s in zip(cards["change"], cards["change_significant"])],
    "target": cards["target"].map(lambda t: format_points(t) if t == t else ""),
    "gap": cards["gap"].map(lambda g: format_points(g) if g == g else ""),
})
if presenting:  # a plain table, whose type the presentation CSS can enlarge; st.table renders Markdown in cells
    st.table(summary.assign(**{label: summary[label].map(md)}).set_index(label).rename_axis(md(label)))
else:
    st.dataframe(summary, hide_index=True, width="stretch")
st.caption("● marks a change that is statistically significant; the others are within the noise. "
           + describe_family(cards.attrs.get("family") or SimpleNamespace(method="holm", tests=0, level=ctx.opts.level),
                             "Changes"))

trend = cached.trend(ctx, ctx.grain, flt, ctx.opts, by=[dimension])
sparks = review.card_trends(trend, dimension)
# Each card keeps a slot for its top themes, filled once the cards are drawn: on a new dataset the
# comments are tagged first, and the scorecards should not wait for that.
theme_slots: dict[tuple[str, str], object] = {}
followup = cached.followup_by(ctx, dimension, flt)  # None on an employee dataset: no cases
today = records.today()
visible_actions = records.list_actions(ctx.dataset)
base = improvement.survey_type_filter(ctx.dataset, ctx.flt)  # as the Actions page: the sidebar's survey type
evidence = {a.id: cached.action_evidence(ctx, a, ctx.opts, today, None, base).verdict
            for a in improvement.select_actions(visible_actions, statuses=improvement.OPEN_STATUSES)
            if a.business_function}
open_actions = improvement.open_actions_by_function(visible_actions, today, evidence)
shares = cached.share_changes(ctx, dimension, cards, flt, compare_flt, ctx.opts)
if followup is not None and not presenting:
    st.caption(f"Follow-up in each section: cases opened in the period. {CAVEAT}")
if shares and compare_flt is not None:
    st.caption("Under each NPS: the shares of promoters (P), passives (Pa) and detractors (D) with their intervals and "
               "their change in points. " + describe_family(next(iter(shares.values())).attrs["family"], "Share changes"))


for number, card in enumerate(cards.to_dict("records")):
    row = SimpleNamespace(**{k: v for k, v in card.items() if k != dimension})
    value = str(card[dimension])
    with st.container(border=True, key=f"review_card_{number}"):  # the key is the card's CSS class
        st.subheader(md(value), anchor=False)
        c1, c2, c3, c4 = st.columns(4)
        delta = None
        if row.change == row.change:
            delta = format_delta(row.change, "(significant)" if row.change_significant else "(noise)")
        c1.metric("NPS", format_points(row.nps), delta=delta,
                  delta_color="normal" if row.change_significant else "off")
        c1.caption(format_interval(row.ci_low, row.ci_high, level=ctx.opts.level))
        c2.metric("Responses", f"{row.n:,}", help="Fewer than the minimum n: read with care." if row.low_n else None)
        if row.low_n:
            c2.caption(f":orange[Low n (< {ctx.opts.min_n})]")
        c3.metric("Target", format_points(row.target), **face.gap_delta(row.gap))
        if value in shares:
            c1.caption(review_face.shares_text(shares[value], ctx.opts.level))
        spark = sparks.get(value, trend.iloc[:0])
        show_chart(charts.chart_sparkline(spark, min_n=ctx.opts.min_n, level=ctx.opts.level), where=c4)
        d1, d2 = st.columns([2, 3])
        dist = cached.card_distribution(ctx, flt, ctx.opts, dimension, value)
        show_chart(charts.chart_distribution(dist, title=f"Scores, {value}"), where=d1)
        voices = cached.card_voices(ctx, flt, dimension, value)
        with d2:
            for category, heading in ((domain.DETRACTOR, "Detractors say"), (domain.PROMOTER, "Promoters say")):
                quotes = voices[category]
                st.markdown(f"**{heading}**")
                theme_slots[(category, value)] = st.empty()
                if not quotes:
                    st.caption("No comments.")
                for score, comment in quotes:
                    st.text(f"{score} · {comment}")  # verbatims are user input: plain text only
            theme_slots[("moved", value)] = st.empty()
        if presenting:  # one card per screen on the projector: the follow-up is for the prepared view
            pass
        elif followup is None:
            review_face.employee_note()
        else:
            review_face.followup_section(followup.get(value), dimension, value, open_actions.get(value), number)

if ctx.dataset.mapping.comment:
    book = face.codebook()
    face.ensure_tagged(ctx, book)
    for category in (domain.DETRACTOR, domain.PROMOTER):
        tops = cached.top_themes_by(ctx, book, flt, dimension, category, top=3)
        for value, pairs in review.top_themes_per_value(tops).items():
            named = [f"{t} {s:.0%}" for t, s in pairs]
            slot = theme_slots.get((category, value))
            if slot is not None and named:
                slot.caption(f"Top themes: {md(' · '.join(named))} of their comments")
    if compare_flt is not None:  # what moved since the comparison period, per card
        for value in cards[dimension].astype(str):
            slot = theme_slots.get(("moved", value))
            mine, theirs = flt.with_values(dimension, [value]), compare_flt.with_values(dimension, [value])
            if slot is not None and cached.comments_allowed(ctx, mine) and cached.comments_allowed(ctx, theirs):
                slot.caption(review_face.moved_text(cached.themes_moved(ctx, book, mine, theirs, ctx.opts),
                                                    ctx.opts.level))

if not presenting:
    book = face.codebook() if ctx.dataset.mapping.comment else None  # tagged above
    request, decisions = records.pack_request(ctx, dimension, view.review if view else None,
                                              view.meeting if view else None, goals)
    with pack_slot:
        meeting.pack_buttons(ctx, lambda fmt: records.review_pack(ctx.dataset, request, decisions, book, fmt),
                             f"review-{view.review.id}-{view.meeting.isoformat()}" if view else f"review-{ctx.dataset.id}")
    if view is not None:
        meeting.minutes(view, ctx)
    meeting.definitions(ctx)
