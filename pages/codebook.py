"""Codebook: the themes and their words per language — edit, merge, preview the effect, save a new version."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import face
from face import auth, md, records
from face import text as face_text
from nps import domain, text
from nps.query import themes as query_themes
from nps.text import codebooks

ctx = face.context()
book = face.codebook()
history = records.codebook_history()
current = history.iloc[0]

st.title("Codebook")
saved = pd.Timestamp(current["saved_at"])
st.caption(f"Version {int(current['number'])} · {md(str(current['note'] or ''))} · "
           + ("not edited yet" if pd.isna(saved) else f"saved {saved:%d %b %Y %H:%M}")
           + f" · {len(book.themes)} themes. "
           "A comment mentions a theme when one of its words appears in it, ignoring case and accents and "
           "comparing dictionary forms (\"fattura\" finds \"fatture\"); \"liefer*\" finds every word that starts so; "
           "a phrase matches its words side by side. Every result records the codebook version it used.")


# Changes are saved in button callbacks: they run before the next script run, so nothing is lost to a rerun.
def _save(note: str, new_book: text.Codebook) -> None:
    number = records.save_codebook(new_book, note)
    for key in ("codebook_rows", "merge_sources", "merge_into", "codebook_note"):
        st.session_state.pop(key, None)
    face.flash("_codebook_flash", f"Saved as version {number}: {note}")


def _save_edits() -> None:
    pending = st.session_state.get("_codebook_pending")
    if pending is not None:
        _save(st.session_state.get("codebook_note", "").strip() or "Edited in the app", pending)


def _discard_edits() -> None:
    st.session_state.pop("codebook_rows", None)


def _merge() -> None:
    sources = list(st.session_state.get("merge_sources", []))
    into = str(st.session_state.get("merge_into", "")).strip()
    try:
        merged = codebooks.merge_themes(face.codebook(), sources, into)
    except ValueError as error:
        face.flash("_codebook_flash", str(error), "error")
    else:
        _save(f"Merged {', '.join(sources)} into {into}", merged)


def _restore() -> None:
    number = int(st.session_state["restore_number"])
    restored = records.load_codebook_version(number)
    _save(f"Restored version {number}", restored)


def _replace(name: str) -> None:
    replacement = st.session_state.get("_codebook_upload")
    if replacement is not None:
        _save(f"Uploaded {name}", replacement)


def _show_effect(new_book: themes.Codebook, what: str) -> None:
    """Mentions per theme under the saved codebook and under ``new_book``, on the current dataset and filters."""
    st.markdown(f"**Effect of the changes**: mentions under the saved codebook (before) and the {what} one (after)")
    if ctx is None or not ctx.dataset.mapping.comment:
        st.caption("Open a dataset with comments to see the effect.")
        return
    with st.spinner("Counting the mentions…"):
        face.ensure_tagged(ctx, book)
        preview = records.preview_codebook(ctx, book, new_book, ctx.flt)
    changed = preview[preview["change"] != 0]
    st.dataframe(changed if not changed.empty else preview, hide_index=True, width="stretch",
                 column_config={"change": st.column_config.NumberColumn(format="%+d")})
    sample = f"a seeded sample of {query_themes.PREVIEW_MAX_COMMENTS:,} comments of " if preview.attrs.get("sampled") else ""
    st.caption(f"{'Only the themes that change. ' if not changed.empty else 'No theme changes. '}"
               f"Counted on {sample}{md(ctx.dataset.name)}, {ctx.period_label}, under the sidebar's filters.")


face.show_flash("_codebook_flash", icon=":material/check:")
editor = auth.allowed(domain.EDITOR)  # editing, merging, uploading and restoring: editors; viewers read
if not editor:
    st.info(f"Changing the codebook needs the editor role; you are {md(auth.current_user().email)} "
            f"({auth.current_user().role}): you can read it and download it.")

tab_edit, tab_merge, tab_history = st.tabs(["Themes and words", "Merge themes", "Versions"])

with tab_edit:
    rows = face_text.codebook_rows(book)
    if editor:
        st.markdown("One row per theme; in each language column the words and phrases, separated by commas. "
                    "Rename a theme in its cell, add a row for a new theme, select rows and press Delete to remove them.")
    else:
        st.dataframe(rows, hide_index=True, width="stretch")
    edited = rows if not editor else st.data_editor(
        rows, num_rows="dynamic", hide_index=True, width="stretch", key="codebook_rows",
        column_config={"theme": st.column_config.TextColumn("theme", required=True, width="medium"),
                       **{lang: st.column_config.TextColumn(lang, width="large") for lang in text.CODEBOOK_LANGUAGES}})
    try:
        new_book = face_text.codebook_from_rows(edited)
    except ValueError as error:
        new_book = None
        st.error(md(str(error)))
    if editor and new_book is not None and new_book.version != book.version:
        _show_effect(new_book, "edited")
        st.session_state["_codebook_pending"] = new_book
        st.text_input("What changed", key="codebook_note", placeholder="e.g. added 'rimborso' to Billing")
        s1, s2 = st.columns([1, 5])
        s1.button("Save", type="primary", icon=":material/save:", key="save_codebook", on_click=_save_edits)
        s2.button("Discard the changes", icon=":material/undo:", key="discard_codebook", on_click=_discard_edits)
    # Long word lists do not fit a grid cell at 1280 px: one theme can be read in full here.
    with st.expander("Read a theme's words in full", icon=":material/subject:"):
        shown = st.selectbox("Theme", list(book.themes), key="codebook_read")
        for lang, terms in (book.themes.get(shown) or {}).items() if shown else ():
            st.text(f"{lang}: {', '.join(terms)}")  # codebook words are user input: plain text
    st.download_button("Download as YAML", codebooks.codebook_to_yaml(book), file_name="codebook.yaml",
                       mime="application/x-yaml", icon=":material/download:")
    uploaded = st.file_uploader("Replace with a codebook file (YAML, like data/codebook.yaml)",
                                type=["yaml", "yml"]) if editor else None
    if uploaded is not None:
        try:
            replacement = codebooks.codebook_from_yaml(uploaded.getvalue(), source=uploaded.name)
        except ValueError as error:
            st.error(md(str(error)))
        else:
            st.session_state["_codebook_upload"] = replacement
            st.caption(f"{md(uploaded.name)}: {len(replacement.themes)} themes.")
            if replacement.version == book.version:
                st.caption("This file is the codebook in use.")
            else:
                _show_effect(replacement, "uploaded")
                st.button("Use this codebook", icon=":material/upload:", key="use_upload", on_click=_replace,
                          args=(uploaded.name,))

with tab_merge:
    if not editor:
        st.caption("Merging themes needs the editor role.")
    names = list(book.themes) if editor else []
    sources = st.multiselect("Themes to merge", names, key="merge_sources")
    into = st.text_input("Name of the merged theme", key="merge_into",
                         placeholder=sources[0] if sources else "e.g. Delivery & waiting")
    st.button("Merge", key="merge", disabled=len(sources) < 2 or not into.strip(), icon=":material/merge:",
              on_click=_merge)

with tab_history:
    st.dataframe(history, hide_index=True, width="stretch",
                 column_config={"version": st.column_config.TextColumn("content hash", width="small"),
                                "saved_at": st.column_config.DatetimeColumn("saved", format="D MMM YYYY, HH:mm")})
    older = [int(n) for n in history["number"].iloc[1:]] if editor else []
    if older:
        st.selectbox("Go back to version", older, key="restore_number")
        st.button("Restore", icon=":material/history:", key="restore", on_click=_restore)
