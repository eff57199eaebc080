"""Small pieces the pages share: the Markdown escape, metric deltas, downloads, flash messages, notes, links.

:func:`md` is the one Markdown escape: every piece of user text (a dataset name, a column, a value,
an error message) goes through it before Streamlit renders it as Markdown.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from face.session import Context
from nps import export
from nps.format import delta as format_delta

# Every ASCII character that means something in Streamlit's Markdown: CommonMark and GFM syntax (links, images,
# emphasis, code, HTML, entities (&amp;), headings, lists, tables, strikethrough), autolinks (www., http:, mail@host.),
# LaTeX ($), and Streamlit's directives (:red[…], :material/icon:, :smile:). A backslash before any ASCII
# punctuation is a literal character in CommonMark, so escaping one too many costs nothing.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_{}\[\]()<>#+\-.!|~:$@^]|&(?=#?[0-9A-Za-z]+;)")  # & only as an entity
_LINE_BREAKS = re.compile(r"\s*[\r\n\v\f\u2028\u2029]+\s*")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def md(text: str) -> str:
    """``text`` as plain text inside Streamlit Markdown (st.markdown, captions, titles, labels, options, help, tables).

    Every Markdown, HTML, LaTeX or Streamlit-directive character is backslash-escaped and line
    breaks become one space (a label is one line; a blank line would start a new block), so
    ``[click](http://evil)`` shows as written and links nowhere.
    """
    return _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(0), _LINE_BREAKS.sub(" ", str(text)))


def change_delta(change: float | None, significant: bool) -> dict[str, Any]:
    """st.metric arguments for a change: a coloured arrow only for a significant change, grey otherwise."""
    if change is None or change != change:
        return {"delta": None}
    label = format_delta(change, "(significant)" if significant else "(noise)")
    return {"delta": label, "delta_color": "normal" if significant else "off"}


def gap_delta(gap: float) -> dict[str, Any]:
    """st.metric arguments for the gap to target: below target red and pointing down, at or above it green.

    Colour and arrow are set explicitly rather than read by Streamlit from the text's sign.
    """
    if gap != gap:
        return {"delta": None}
    below = gap < 0
    return {"delta": format_delta(gap, "vs target"), "delta_color": "red" if below else "green",
            "delta_arrow": "down" if below else ("up" if gap > 0 else "off")}


def download_files(frame: pd.DataFrame, name: str, keys: tuple[str, str]) -> None:
    """CSV and Excel download buttons side by side for ``frame`` (text cells that start with = + - @ neutralised)."""
    d1, d2 = st.columns(2)
    d1.download_button("CSV", export.to_csv_bytes(frame), file_name=f"{name}.csv", mime="text/csv",
                       icon=":material/download:", key=keys[0])
    d2.download_button("Excel (XLSX)", export.to_xlsx_bytes(frame), file_name=f"{name}.xlsx", mime=XLSX_MIME,
                       icon=":material/download:", key=keys[1])


def flash(key: str, message: str, kind: str = "success") -> None:
    """Keep a message for the next run (a callback's outcome): ``kind`` is success or error."""
    st.session_state[key] = (kind, message)


def show_flash(key: str, *, icon: str | None = None) -> None:
    """Show, once, the message :func:`flash` kept under ``key`` (``icon`` on a success)."""
    kept = st.session_state.pop(key, None)
    if kept is None:
        return
    kind, message = kept
    if kind == "error":
        st.error(md(message))
    else:
        st.success(md(message), icon=icon)


def show_notes(ctx: Context) -> None:
    """Show the sidebar's notes (mixed survey types, …) at the top of a page."""
    for note in ctx.notes:
        st.info(md(note), icon=":material/filter_alt:" if note.startswith("Filtered") else ":material/info:")


def adopt_column_param(key: str, columns: list[str], ctx: Context) -> None:
    """Keep links that name a column raw (``by=business_function``) working now that the widget
    bound to ``key`` shows, and writes into the URL, the column's readable name (``Business+function``)."""
    raw = st.query_params.get(key)
    if key in st.session_state or raw is None:
        return
    if raw in columns and raw != ctx.label(raw):
        st.session_state[key] = raw
        return
    # A label written before button labels were Markdown-escaped (``by=Plan+(tier)`` for "Plan \\(tier\\)").
    unescaped = [c for c in columns if ctx.label(c) == raw and md(raw) != raw]
    if len(unescaped) == 1:
        st.session_state[key] = unescaped[0]


def anonymity_note(frame: pd.DataFrame) -> None:
    """Under a chart or table of groups: the engine's sentence saying how many groups the employee anonymity rule hides."""
    note = frame.attrs.get("anonymity_note")
    if note:
        st.caption(md(str(note)))
