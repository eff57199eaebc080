"""Responses: the individual answers behind every number, paged from the database, downloadable."""

from __future__ import annotations

import math
from dataclasses import replace

import streamlit as st

import face
from face import md, records
from nps import export
from nps.query import responses
from nps.domain import CATEGORIES

PAGE_SIZE = 50

ctx = face.context()
if ctx is None:
    st.stop()

st.title("Responses")
st.caption(f"{md(ctx.dataset.name)} · {ctx.period_label} · the responses behind the numbers, under the sidebar's filters")
face.show_notes(ctx)

c1, c2, c3 = st.columns([2, 2, 1])
categories = c1.multiselect("Category", list(CATEGORIES), key="cat", bind="query-params", placeholder="All",
                            format_func=str.capitalize)
text = c2.text_input("Comment contains", key="q", bind="query-params",
                     help="Case- and accent-insensitive: 'citta' finds 'Città'.")
order = c3.selectbox("Order", list(responses.ORDERS), key="order", bind="query-params")
mask = st.toggle("Mask personal data", value=True, key="mask",
                 help="E-mail addresses, phone numbers, IBAN- and card-like numbers in comments are replaced by "
                      "[email], [phone], [iban], [card] — on screen and in the downloads.")
flt = replace(ctx.flt, categories=tuple(c for c in CATEGORIES if c in categories), text=text.strip() or None)

total = records.count_responses(ctx, flt)
pages = max(1, math.ceil(total / PAGE_SIZE))
page = int(st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, value=1, step=1, key="page"))
frame = records.responses_page(ctx, flt, page=page, page_size=PAGE_SIZE, order=order, mask=mask)

st.caption(f"{total:,} responses match; showing {len(frame):,} from row {(page - 1) * PAGE_SIZE + 1:,}.")
# Comments are user input: st.dataframe shows cell text as plain text, never as markdown or HTML.
# Dimensions headed by their readable names on screen; the downloads keep the column names.
headers = {c: st.column_config.Column(ctx.label(c)) for c in ctx.dataset.mapping.dimensions if c in frame.columns}
st.dataframe(frame, hide_index=True, width="stretch",
             column_config={**headers, "comment": st.column_config.TextColumn("comment", width="large"),
                            "score": st.column_config.NumberColumn("score", format="%d")})

st.subheader("Download")
if total > export.XLSX_MAX_ROWS:
    st.caption(f"{total:,} responses: more than one Excel sheet holds; the CSV has the first {export.XLSX_MAX_ROWS:,}.")
if st.toggle("Prepare the download files", key="prepare_download",
             help="Reads every matching response; text cells that start with = + - @ are neutralised."):
    everything = records.responses_for_export(ctx, flt, mask=mask)
    face.download_files(everything, f"{ctx.dataset.name}-responses", keys=("dl_csv", "dl_xlsx"))
