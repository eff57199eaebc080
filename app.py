"""Passaparola's entrypoint, a router: page config, navigation, the shared sidebar, then the page in the error frame.

Everything else lives in ``face`` (session, cached reads, sidebar, charts, widgets); pages import it, never this file.
No garbage collection after a run: ``[runner] postScriptGC = false`` (.streamlit/config.toml). Streamlit's default
``gc.collect(2)`` after every run walks the ~135,000 long-lived objects of pandas, Altair and the Vega-Lite schema.
Overview reruns, median of 30 (AppTest, 2 busy cores): default 369 ms; gc.freeze() 189 ms; the setting 177 ms.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from face import auth, coldlink, failure
from face.sidebar import sidebar
from face.widgets import md
from nps import domain, store
from nps.errors import NpsError

# (file, title, icon, url path); the url path equals the name Streamlit derives from the
# file name, so a cold deep link routed through the legacy pages/ mode lands on the same page.
PAGES: dict[str, list[tuple[str, str, str, str]]] = {
    "Data": [("pages/upload.py", "Upload & datasets", ":material/upload_file:", "upload"),
             ("pages/codebook.py", "Codebook", ":material/menu_book:", "codebook")],
    "Explore": [("pages/overview.py", "Overview", ":material/monitoring:", "overview"),
                ("pages/segments.py", "Segments & functions", ":material/bar_chart:", "segments"),
                ("pages/profiles.py", "Promoters & accounts", ":material/diversity_3:", "profiles"),
                ("pages/drivers.py", "Key drivers", ":material/insights:", "drivers"),
                ("pages/responses.py", "Responses", ":material/table_rows:", "responses"),
                ("pages/comments.py", "Comments", ":material/forum:", "comments"),
                ("pages/explorer.py", "Comment explorer", ":material/manage_search:", "explorer")],
    "Review": [("pages/review.py", "Review meeting", ":material/groups:", "review"),
               ("pages/actions.py", "Actions", ":material/task_alt:", "actions"),
               ("pages/indicators.py", "Indicators & benchmarks", ":material/monitor_heart:", "indicators")],
    "Follow-up": [("pages/followup.py", "Follow-up", ":material/support_agent:", "followup")],
    "Admin": [("pages/admin.py", "Admin", ":material/admin_panel_settings:", "admin")],
}
DEFAULT_PAGE = "overview"
# Metric tiles wrap their label and change instead of cutting them ("+1.5 (significa…" in five
# tiles side by side at 1280 px). Styling only: no user text goes through this HTML.
TILE_STYLE = """<style>
[data-testid="stMetricLabel"] .stMarkdownEllipsis, [data-testid="stMetricLabel"] .stMarkdownEllipsis p,
[data-testid="stMetricDelta"] .stMarkdownEllipsis, [data-testid="stMetricDelta"] .stMarkdownEllipsis p
 {white-space: normal !important; overflow: visible !important; text-overflow: clip !important;}
</style>"""


def main() -> None:
    """One script run: config, navigation, sidebar, the chosen page. No traceback reaches a page: an unexpected
    error shows a message and reference (``face.failure``), a database held by another process a page that retries."""
    st.set_page_config(page_title=failure.APP_TITLE, page_icon=":material/campaign:", layout="wide",
                       initial_sidebar_state="expanded")
    pages = {section: [st.Page(file, title=title, icon=icon, url_path=url, default=(url == DEFAULT_PAGE))
                       for file, title, icon, url in entries] for section, entries in PAGES.items()}
    page = st.navigation(pages, position="hidden")
    try:
        _frame(page, pages)
    except store.DatabaseBusyError as error:
        failure.database_busy(error)
    except Exception as error:  # noqa: BLE001 - st.rerun / st.stop are BaseExceptions and pass through
        failure.show_failure(error)
        if os.environ.get(failure.RAISE_ERRORS_ENV):
            raise


def _frame(page: Any, pages: dict[str, list[Any]]) -> None:
    st.html(TILE_STYLE)
    auth.gate()  # team mode: nothing below for a visitor who is not signed in with a role
    # The page menu, as links: Streamlit's own (off in .streamlit/config.toml) would first show the legacy menu.
    # The Admin section only for admins (the page refuses anyone else opening it by URL).
    for section, entries in pages.items():
        if section == "Admin" and not auth.allowed(domain.ADMIN):
            continue
        st.sidebar.caption(section)
        for entry in entries:
            st.sidebar.page_link(entry, width="stretch")
    st.sidebar.markdown(f"### {failure.APP_TITLE}")
    auth.sidebar_note()
    ctx = None
    try:
        ctx = sidebar()
    except NpsError as error:
        if isinstance(error, store.DatabaseBusyError):
            raise
        st.error(md(str(error)))
    st.session_state["_context"] = ctx
    st.session_state["_frame_ran"] = True
    st.session_state["_chart_seq"] = 0
    with coldlink.in_frame():
        try:
            page.run()
        except NpsError as error:  # meant for people: its message is the whole story
            # A notice (the employee anonymity rule hiding comments) is what the page is meant to say, not a fault.
            (st.info if getattr(error, "notice", False) else st.error)(md(str(error)))


if __name__ == "__main__":
    main()
