"""When a page cannot run: an unexpected error as a message with a reference, a held database as a page that retries."""

from __future__ import annotations

import logging
import secrets

import streamlit as st

from face.widgets import md
from nps import store

APP_TITLE = "Passaparola"
log = logging.getLogger("passaparola")
# Seconds between two attempts to open a database another process holds.
BUSY_RETRY_SECONDS = 5
# Set (to anything) by the test suite (tests/conftest.py): an unexpected error on a page is raised again after
# its message, so Streamlit's own exception element makes AppTest's and the browser tests' checks fail.
RAISE_ERRORS_ENV = "PASSAPAROLA_RAISE_PAGE_ERRORS"


def show_failure(error: Exception) -> str:
    """Show an unexpected error as a message with a short reference; the traceback goes to the server log.

    Returns the reference (8 hex digits), which the log line carries too.
    """
    reference = secrets.token_hex(4)
    log.error("unexpected error on a page [ref %s]", reference, exc_info=error)
    st.error(f"Something went wrong and this page stopped. Reference **{reference}**: the details are in the "
             "server's log under it. Change a filter or reload the page to try again.", icon=":material/error:")
    return reference


def database_busy(error: store.DatabaseBusyError) -> None:
    """The page shown while another process holds the database: says which, and tries again."""
    st.title(APP_TITLE)
    who = f"process {error.pid}" + (f" ({error.holder})" if error.holder else "") if error.pid else "another process"
    st.warning(f"The database {md(error.path)} is in use by {md(who)}. "
               f"Retrying every {BUSY_RETRY_SECONDS} seconds…", icon=":material/lock:")
    st.caption("DuckDB lets one process write a database file. While the app runs it owns the database; "
               "stop the other process (a `python -m nps` command, or another app on the same file) to continue. "
               "Commands that only read can use `--read-only` while the app runs.")
    if st.button("Retry now", icon=":material/refresh:"):
        st.rerun()

    @st.fragment(run_every=BUSY_RETRY_SECONDS)
    def _retry() -> None:
        if st.session_state.get("_busy_waited"):
            st.session_state["_busy_waited"] = False
            st.rerun(scope="app")
        st.session_state["_busy_waited"] = True

    st.session_state["_busy_waited"] = False
    _retry()
