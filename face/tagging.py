"""Comment themes: the codebook in use, and the one explicit tagging step (with a progress bar).

Reads never tag: a page that shows themes calls :func:`ensure_tagged` first, once per dataset
and codebook version; the reads in :mod:`face.cached` only read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from face.session import Context, cursor, db_path

if TYPE_CHECKING:
    from nps.text import Codebook


@st.cache_resource(show_spinner=False, max_entries=16)
def _codebook_version(path: str, number: int) -> Codebook:
    from nps.store import codebooks

    with cursor() as cur:
        return codebooks.load_codebook_version(cur, number)


def codebook() -> Codebook:
    """The codebook in use: the newest one saved in the database (the default codebook at first)."""
    from nps.store import codebooks

    with cursor() as cur:
        # Only the number: the content is compiled once per number by _codebook_version (it was
        # parsed and compiled twice on every run of the comment pages).
        number = codebooks.current_number(cur)  # the default codebook is number 1 until the first save
    return _codebook_version(db_path(), number)


def ensure_tagged(ctx: Context, book: Codebook) -> None:
    """Tag the dataset's comments with ``book`` unless done before, with a progress bar (once per version)."""
    from nps.store.tagging import is_tagged, tag_dataset
    from nps.text import TaggingCancelled

    with cursor() as cur:
        if is_tagged(cur, ctx.dataset, book):
            return
        bar = st.progress(0.0, text="Reading the comments…")

        def progress(done: int, total: int) -> None:
            so_far = f": {done:,} done" if 0 < done < total else "…"
            bar.progress(done / total if total else 1.0,
                         text=f"Finding the themes of {total:,} comments (once per codebook version){so_far}")

        try:
            tag_dataset(cur, ctx.dataset, book, on_progress=progress, cancel=run_stopping())
        except TaggingCancelled:
            # The run was asked to stop or rerun (page left, session ended, server stopping): the workers
            # are gone; the next Streamlit call raises that request's own exception.
            bar.empty()
            st.stop()
        bar.empty()


def run_stopping() -> Callable[[], bool]:
    """A check that turns True once this script run is asked to stop or rerun (another page, a closed
    session, a server shutting down), so long work started by the run can end with it."""
    from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    requests = getattr(get_script_run_ctx(suppress_warning=True), "script_requests", None)
    if requests is None:
        return lambda: False
    # ScriptRequests has no public "pending?" query: on_scriptrunner_yield() would consume the request.
    return lambda: getattr(requests, "_state", ScriptRequestType.CONTINUE) != ScriptRequestType.CONTINUE
