"""Comments: what the verbatims say — themes and their impact, who mentions them, trends, words, what's uncovered."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

import face
from face import auth, cached, md, records, show_chart
from nps import charts, domain, text
from nps.text import clusters
from nps import format as fmt
from nps.narrative import describe_family, language_name
from nps.format import delta as format_delta

ctx = face.context()
if ctx is None:
    st.stop()

st.title("Comments")
book = face.codebook()
st.caption(f"{md(ctx.dataset.name)} · {ctx.period_label} · themes from codebook version {book.version[:8]} "
           "(edit it on the Codebook page) · comments are shown as plain text with personal data masked")
face.show_notes(ctx)
face.show_flash("_comments_flash")

if not ctx.dataset.mapping.comment:
    st.info("This dataset has no comment column. Pick one on the Upload & datasets page (column roles), "
            "or upload a file with the verbatims.", icon=":material/info:")
    st.stop()
if ctx.opts.weighted or ctx.opts.dedupe:
    st.info("Theme figures count each comment once: weighting and de-duplication are not applied on this page.",
            icon=":material/info:")
opts = replace(ctx.opts, weighted=False, dedupe=False)  # themes count each comment once

face.ensure_tagged(ctx, book)
summary = cached.theme_summary(ctx, book, ctx.flt, opts)
languages = cached.language_counts(ctx, book, ctx.flt)
commented = int(languages["n"].sum()) if not languages.empty else 0
if commented == 0:
    st.warning("No comments match this period and these filters.")
    st.stop()

overall = cached.overall(ctx, ctx.flt, ctx.opts)
k1, k2, k3 = st.columns(3)
k1.metric("Comments", f"{commented:,}",
          help="Responses with a non-blank comment under the sidebar's filters.")
k1.caption(f"{commented / overall.n:.0%} of {overall.n:,} responses" if overall.n else "")
top_langs = ", ".join(f"{language_name(r.language)} {r.n / commented:.0%}"
                      for r in languages.head(4).itertuples())
k2.metric("Languages", f"{len(languages):,}", help="Detected per comment; 'unknown' when too short to tell.")
k2.caption(top_langs)
worst = summary[summary["mentions"] > 0].sort_values("impact").head(1)
if not worst.empty:
    row = worst.iloc[0]
    k3.metric("Costliest theme", md(row["theme"]), delta=format_delta(row["impact"], "points vs the other commenters"),
              delta_color="normal",
              help="The theme whose mentioners' NPS is furthest below the other commenters'.")

st.subheader("Themes")
# The columns a reader acts on first (impact and its interval) come first, so they stay in view at 1280 px.
interval_name = f"impact {fmt.level(ctx.opts.level)} interval"
table = pd.DataFrame({
    "theme": summary["theme"],
    "mentions": summary["mentions"],
    "impact": summary["impact"],
    interval_name: [fmt.points_range(lo, hi) for lo, hi in zip(summary["impact_ci_low"], summary["impact_ci_high"])],
    "NPS if mentioned": summary["nps_with"],
    "NPS otherwise": summary["nps_without"],
    "share": summary["share"] * 100,
    "% of detractors": summary["detractors"] * 100,
    "% of passives": summary["passives"] * 100,
    "% of promoters": summary["promoters"] * 100,
})
pct = st.column_config.NumberColumn(format="%.1f%%", width=110)
pts = st.column_config.NumberColumn(format="%+.1f", width=120)
st.dataframe(table, hide_index=True, width="stretch", height="content",  # every theme, no inner scrolling
             column_config={"theme": st.column_config.TextColumn(width=200),
                            "mentions": st.column_config.NumberColumn(width=80),
                            "impact": st.column_config.NumberColumn(format="%+.1f", width=70),
                            interval_name: st.column_config.TextColumn(width=120),
                            "share": st.column_config.ProgressColumn("share of comments", format="%.1f%%",
                                                                     min_value=0, max_value=100, width=130),
                            "% of detractors": pct, "% of passives": pct, "% of promoters": pct,
                            "NPS if mentioned": pts, "NPS otherwise": pts})
st.caption(f"Impact = NPS of commenters who mention the theme minus NPS of those who don't, with its "
           f"{fmt.level(ctx.opts.level)} interval ({ctx.opts.method}). A comment can mention several themes.")

c1, c2 = st.columns(2)
show_chart(charts.chart_theme_impact(summary, level=ctx.opts.level), where=c1)
if "family" in summary.attrs:
    c1.caption(describe_family(summary.attrs["family"], "Solid: impact significant (themes against the other commenters)"))
show_chart(charts.chart_theme_categories(summary), where=c2)

st.subheader("Themes over time")
mentioned = summary.loc[summary["mentions"] > 0, "theme"].tolist()
chosen = st.multiselect("Themes", mentioned, default=mentioned[:4], key="themes_shown", max_selections=8,
                        placeholder="Pick themes to follow")
if chosen:
    trend = cached.theme_trend(ctx, book, ctx.flt, ctx.grain, opts)
    trend = trend[trend["theme"].isin(chosen)]
    show_chart(charts.chart_theme_trend(trend, grain=ctx.grain, min_n=ctx.opts.min_n))

pairs = cached.theme_cooccurrence(ctx, book, ctx.flt)
if not pairs.empty:
    with st.expander("Themes mentioned together", icon=":material/join_inner:"):
        st.dataframe(pairs.head(15).rename(columns={"theme_a": "theme", "theme_b": "with", "both": "comments with both",
                                                    "a_mentions": "mentions of theme",
                                                    "b_mentions": "mentions of with"}),
                     hide_index=True, width="stretch",
                     column_config={"lift": st.column_config.NumberColumn(
                         format="%.2f", help="How much more often the two appear together than by chance (1 = chance).")})

st.subheader("Words that set detractors and promoters apart")
lang_options = ["all"] + [code for code in languages["language"] if code != text.UNKNOWN]
lang = st.segmented_control("Language", lang_options, default="all", key="terms_lang",
                            format_func=lambda c: "All languages" if c == "all" else language_name(c))
terms = cached.distinctive_terms(ctx, ctx.flt, None if lang in (None, "all") else lang)
show_chart(charts.chart_distinctive_terms(terms))
st.caption("Log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, “Fightin' Words”): "
           "a term's z-score measures how much more typical it is of detractors' than of promoters' comments, "
           "taking its overall frequency into account. Words and two-word phrases, stopwords removed.")

def _make_theme(cluster: clusters.Cluster) -> None:
    # A callback: it runs before the next script run, so the new codebook is used at once.
    name = str(st.session_state.get(f"cluster_name_{cluster.id}", "")).strip()
    try:
        new_book = clusters.cluster_to_theme(face.codebook(), cluster, name)
        number = records.save_codebook(new_book, f"Theme {name!r} from an uncovered cluster")
    except ValueError as error:
        face.flash("_comments_flash", str(error), "error")
    else:
        face.flash("_comments_flash", f"Added the theme {name!r} (codebook version {number}).")


st.subheader("What the codebook misses")
# On demand: grouping (TF-IDF + NMF, and loading scikit-learn) was a third of a first visit's time.
grouped = st.toggle("Group the comments no theme covers", key="clusters_on",
                    help="Finds groups of similar comments that no theme covers (a few seconds the first time); "
                         "each group can become a theme in one click.")
found = cached.uncovered_clusters(ctx, book, ctx.flt) if grouped else []
if grouped and not found:
    st.caption("Too few comments without a theme to group.")
for cluster in found:
    with st.container(border=True):
        head, action = st.columns([4, 1])
        head.markdown(f"**{md(', '.join(cluster.terms[:6]))}** · {cluster.size:,} comments")
        for example in cluster.examples:
            head.text(example)  # verbatims are user input: plain text only
        if not auth.allowed(domain.EDITOR):  # changing the codebook: editors
            continue
        with action.popover("Make a theme", icon=":material/add:"):
            st.text_input("Theme name", value=cluster.terms[0].capitalize(), key=f"cluster_name_{cluster.id}")
            st.button("Add to the codebook", key=f"cluster_add_{cluster.id}", type="primary",
                      on_click=_make_theme, args=(cluster,))
