"""Comment explorer: search the verbatims in any language, filter by category, theme and language, read, download."""

from __future__ import annotations

import streamlit as st

import face
from face import cached, md, records
from face import text as face_text
from nps.query import explorer
from nps.domain import CATEGORIES
from nps.query.explorer import NO_THEME, Search
from nps.narrative import language_name

PAGE_SIZE = 25

ctx = face.context()
if ctx is None:
    st.stop()

st.title("Comment explorer")
st.caption(f"{md(ctx.dataset.name)} · {ctx.period_label} · search the comments under the sidebar's filters")
face.show_notes(ctx)
if not ctx.dataset.mapping.comment:
    st.info("This dataset has no comment column. Pick one on the Upload & datasets page.", icon=":material/info:")
    st.stop()

book = face.codebook()
face.ensure_tagged(ctx, book)
languages = cached.language_counts(ctx, book, ctx.flt)

query = st.text_input("Search", key="search", bind="query-params", icon=":material/search:",
                      placeholder='Words or "a phrase", in any language — e.g. consegna "on hold" facture',
                      help="Every word or quoted phrase must appear. Case and accents don't matter "
                           "('citta' finds 'Città'), and a word also finds longer ones ('deliver' finds 'delivery').")
f1, f2, f3, f4 = st.columns([2, 3, 2, 1])
categories = f1.multiselect("Category", list(CATEGORIES), key="xcat", bind="query-params", placeholder="All",
                            format_func=str.capitalize)
chosen_themes = f2.multiselect("Theme", [*book.themes, NO_THEME], key="theme", bind="query-params", placeholder="All")
chosen_langs = f3.multiselect("Language", list(languages["language"]), key="lang", bind="query-params",
                              placeholder="All", format_func=language_name)
order = f4.selectbox("Order", list(explorer.ORDERS), key="xorder", bind="query-params")
mask = st.toggle("Mask personal data", value=True, key="mask",
                 help="E-mail addresses, phone numbers, IBAN- and card-like numbers are replaced by [email], [phone], …")

search = Search(query=query, themes=tuple(chosen_themes), languages=tuple(chosen_langs),
                categories=tuple(c for c in CATEGORIES if c in categories))
try:
    terms = explorer.parse_query(query)
except ValueError as error:
    st.error(md(str(error)))
    st.stop()

# A new search starts on its first page.
signature = (search, ctx.flt, order)
if st.session_state.get("_explorer_search") != signature:
    st.session_state["_explorer_search"] = signature
    st.session_state["xpage"] = 1
page = int(st.session_state.get("xpage", 1))
result = cached.search_comments(ctx, book, ctx.flt, search, page=page, page_size=PAGE_SIZE, order=order,
                                mask=mask)
if result.page != page:
    st.session_state["xpage"] = result.page

st.caption(f"**{result.total:,}** comments match" + (f"; page {result.page:,} of {result.pages:,}" if result.total else "."))
if result.total == 0:
    st.info("Nothing matches. Try fewer words, a shorter stem, or clear the theme and language filters.",
            icon=":material/search_off:")

dimensions = explorer.display_dimensions([d for d in ctx.dimensions if d in result.rows.columns])
for row in result.rows.to_dict("records"):
    with st.container(border=True):
        meta = [f"**{int(row['score'])}** · {row['category']}",
                row["date"].strftime("%d %b %Y") if row["date"] == row["date"] and row["date"] is not None else "no date",
                language_name(str(row["language"]))]
        meta += [md(str(row[d])) for d in dimensions if row[d] is not None and row[d] == row[d]]
        if row["themes"]:
            meta.append(f":violet[{md(row['themes'])}]")
        st.caption(" · ".join(meta))
        # The comment is user input: every character is escaped; the only markup is our <mark>.
        st.html(f"<div style='white-space: pre-wrap'>{face_text.highlight_html(row['comment'], terms)}</div>")

if result.pages > 1:
    st.number_input(f"Page (of {result.pages:,})", min_value=1, max_value=result.pages, step=1, key="xpage")

st.subheader("Download")
if st.toggle("Prepare the download files", key="prepare_comments",
             help="Every matching comment; text cells that start with = + - @ are neutralised."):
    everything = records.comments_for_export(ctx, book, ctx.flt, search, order=order, mask=mask)
    face.download_files(everything, f"{ctx.dataset.name}-comments", keys=("dl_comments_csv", "dl_comments_xlsx"))
