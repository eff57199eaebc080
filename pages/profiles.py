"""Promoters & accounts: who the promoters and detractors are (each value's lift), the passives closest to moving,
and, when the file has an account column, the B2B accounts by revenue at risk."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import face
from face import accounts, cached, md
from nps import format as fmt

ctx = face.context()
if ctx is None:
    st.stop()

st.title("Promoters & accounts")
st.caption(f"{md(ctx.dataset.name)} · {ctx.period_label}")
face.show_notes(ctx)
level = fmt.level(ctx.opts.level)
ARROWS = {"high": " ▲", "low": " ▼"}  # shown only where the multiplicity control flagged it
who, apart_tab, passives_tab, accounts_tab = st.tabs(["Who they are", "What sets them apart", "Passives closest to moving",
                                                      "B2B accounts"])
dims = ctx.dimensions
picked = st.session_state.get("profile_by") or dims[: min(3, len(dims))]

with who:
    by = st.multiselect("Profile by", dims, default=picked, key="profile_by", format_func=ctx.label)
    frame = cached.profiles(ctx, tuple(by), ctx.flt, ctx.opts) if by else pd.DataFrame()
    if frame.empty:
        st.info("Pick one or more columns to profile.")
    else:
        st.caption(f"Lift = the value's share among promoters (or detractors) ÷ its share among all respondents: 1 is "
                   f"as common as overall. ▲ / ▼ where the lift differs from 1 after Benjamini–Hochberg control across "
                   f"the {frame.attrs.get('family', {}).get('tests', 0)} tests on this tab; intervals at {level}.")
        shown = pd.DataFrame({
            "column": [ctx.label(c) for c in frame["dimension"]],
            "value": frame["value"].astype(str),
            "n": frame["n"],
            "share overall": frame["share_overall"].map(fmt.share),
            "promoter lift": [f"{lift:.2f}{' ▲' if flag == 'high' else ' ▼' if flag == 'low' else ''}" if lift == lift
                              else "—" for lift, flag in zip(frame["promoter_lift"], frame["promoter_flag"])],
            f"{level} interval (promoters)": [f"{a:.2f}–{b:.2f}" if a == a else "—"
                                              for a, b in zip(frame["promoter_lift_low"], frame["promoter_lift_high"])],
            "detractor lift": [f"{lift:.2f}{' ▲' if flag == 'high' else ' ▼' if flag == 'low' else ''}" if lift == lift
                               else "—" for lift, flag in zip(frame["detractor_lift"], frame["detractor_flag"])],
            f"{level} interval (detractors)": [f"{a:.2f}–{b:.2f}" if a == a else "—" for a, b in
                                               zip(frame["detractor_lift_low"], frame["detractor_lift_high"])],
        })
        st.dataframe(shown, hide_index=True, width="stretch")

with apart_tab:
    book = face.codebook() if ctx.dataset.mapping.comment else None
    if book is not None:
        face.ensure_tagged(ctx, book)
    shown_values = [] if frame.empty else [
        (d, v) for d, v, hidden in zip(frame["dimension"], frame["value"].astype(str),
                                       frame.get("suppressed", pd.Series(False, index=frame.index))) if not hidden]
    within = st.selectbox("Within", [None, *shown_values], key="apart_within",
                          format_func=lambda pair: "all the responses in view" if pair is None
                          else f"{ctx.label(pair[0])} = {pair[1]}",
                          help="The promoters and detractors of one value of the columns picked on the first tab.")
    flt = ctx.flt if within is None else ctx.flt.with_values(within[0], [within[1]])
    apart = cached.profile_apart(ctx, book, flt, ctx.opts)
    tests = apart.family.get("tests", 0)
    st.caption(f"Promoters (9–10) and detractors (0–6) against the rest of the responses in view"
               f"{'' if within is None else ' within the value chosen'}. ▲ / ▼ only where the difference stays "
               f"significant after Benjamini–Hochberg control across the {tests} tests of this tab (items and themes "
               f"together); intervals at {level}.")
    st.subheader("Item ratings")
    items = apart.items
    if items.empty:
        st.info(md(apart.items_note or "No item ratings to compare."))
    else:
        st.caption("Mean rating on the item's own scale (n who rated it); the difference of the promoters' (detractors') "
                   "mean from the rest's, with Welch's interval.")
        shown = pd.DataFrame({"item": [ctx.label(c) for c in items["item"]]})
        for who, mean, n in (("all", "mean_all", "n"), ("promoters", "mean_promoters", "n_promoters"),
                             ("detractors", "mean_detractors", "n_detractors")):
            shown[f"{who}: mean (n)"] = [f"{m:.2f} ({k:,})" if m == m else "—" for m, k in zip(items[mean], items[n])]
        for g, who in (("promoter", "promoters"), ("detractor", "detractors")):
            shown[f"{who} − rest"] = [f"{d:+.2f}{ARROWS.get(flag, '')}" if d == d else "—"
                                      for d, flag in zip(items[f"{g}_diff"], items[f"{g}_flag"])]
            shown[f"{level} interval ({who} − rest)"] = [f"{lo:+.2f} to {hi:+.2f}" if lo == lo else "—" for lo, hi
                                                         in zip(items[f"{g}_diff_low"], items[f"{g}_diff_high"])]
        st.dataframe(shown, hide_index=True, width="stretch")
        if apart.items_note:
            st.caption(md(apart.items_note))
    st.subheader("Comment themes")
    themes = apart.themes
    if themes is None or themes.empty:
        st.info(md(apart.themes_note or "No comment in view mentions a theme of the codebook."))
    else:
        st.caption(f"Share of the responses with a comment that mention the theme: all ({themes['comments'].iloc[0]:,}), "
                   f"promoters' ({themes['promoter_comments'].iloc[0]:,}), detractors' "
                   f"({themes['detractor_comments'].iloc[0]:,}). Lift = the share among the group's comments ÷ the share "
                   f"among all comments (1: as often as overall), with its interval.")
        shown = pd.DataFrame({"theme": themes["theme"].astype(str), "mentions": themes["mentions"],
                              "all": themes["share_all"].map(fmt.share),
                              "promoters": themes["share_promoters"].map(fmt.share),
                              "detractors": themes["share_detractors"].map(fmt.share)})
        for g, who in (("promoter", "promoters"), ("detractor", "detractors")):
            shown[f"{g} lift"] = [f"{v:.2f}{ARROWS.get(flag, '')}" if v == v else "—"
                                  for v, flag in zip(themes[f"{g}_lift"], themes[f"{g}_flag"])]
            shown[f"{level} interval ({who})"] = [f"{lo:.2f}–{hi:.2f}" if lo == lo else "—"
                                                  for lo, hi in zip(themes[f"{g}_lift_low"], themes[f"{g}_lift_high"])]
        st.dataframe(shown, hide_index=True, width="stretch")

with passives_tab:
    if by and not frame.empty:
        st.caption("The 8s are one point from promoting, the 7s closest to leaving: the targets of the loyalty actions "
                   "of the follow-up (a passive's case asks what would make it a 9 or 10).")
        st.dataframe(pd.DataFrame({
            "column": [ctx.label(c) for c in frame["dimension"]], "value": frame["value"].astype(str), "n": frame["n"],
            "8s": frame["eights"], "8s share": frame["eights_share"].map(fmt.share),
            "7s": frame["sevens"], "7s share": frame["sevens_share"].map(fmt.share),
        }), hide_index=True, width="stretch")
    else:
        st.info("Pick the columns on the first tab.")

with accounts_tab:
    accounts.accounts_tab(ctx)
