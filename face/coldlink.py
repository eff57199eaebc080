"""The cold deep link: a page opened by URL on a server that has not yet run the entrypoint.

Streamlit routes such a first request through its legacy ``pages/`` mode, which runs the page file
without ``app.py`` (no sidebar, no context). The router marks its own runs (:func:`in_frame`); a page
run outside one switches that legacy mode off and reruns, so the page comes back inside the
navigation with its query params. Checked in a real browser by tests/browser/test_e2e.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

# Set while the router runs the page on this script thread: a page run without it was routed by
# the legacy pages/ mode (a cold deep link), not by st.navigation.
_this_run = threading.local()


@contextmanager
def in_frame() -> Iterator[None]:
    """Mark the page run inside it as routed by the entrypoint (``app.py``)."""
    _this_run.in_frame = True
    try:
        yield
    finally:
        _this_run.in_frame = False


def routed_by_frame() -> bool:
    """Whether this script thread is running a page inside :func:`in_frame`."""
    return bool(getattr(_this_run, "in_frame", False))


def ensure_in_frame() -> None:
    """Outside the entrypoint's frame, switch the legacy ``pages/`` mode off and rerun through the navigation."""
    from streamlit.runtime.pages_manager import PagesManager

    if not routed_by_frame():
        PagesManager.uses_pages_directory = False
        st.rerun()
