"""The face: Passaparola's Streamlit side, between the router (``app.py``), the pages (``pages/``) and the engine (``nps``).

Pages import what they need from here (and ``nps`` for types, constants, charts and words), never
``app``, and never hold a cursor:

* :mod:`face.session`: the sidebar's :class:`Context`, the cached database connection, ``cursor()``, ``jobs()``;
* :mod:`face.cached`: one cached function per engine read, keyed by dataset version and arguments;
* :mod:`face.records`: uncached reads and writes of the catalog (datasets, targets, codebooks), paging, downloads;
* :mod:`face.tagging`: the codebook in use and the explicit tagging step (``ensure_tagged``);
* :mod:`face.sidebar`: the shared sidebar; :mod:`face.charts`: ``show_chart``;
* :mod:`face.widgets`: ``md`` (the Markdown escape), deltas, downloads, flash messages, notes;
* :mod:`face.uploads`: the Upload page's private copy of a file and its cached inspection;
* :mod:`face.coldlink`: the cold-deep-link workaround; :mod:`face.failure`: error and database-busy pages.

Importing face loads neither the comment libraries (nps.text) nor the load (nps.ingest): the
functions that need them import them when called.
"""

from __future__ import annotations

from face import cached, records
from face.cached import clear_caches
from face.charts import show_chart
from face.records import open_dataset
from face.session import Context, context, cursor, jobs
from face.sidebar import filter_key
from face.tagging import codebook, ensure_tagged
from face.uploads import current_upload, forget_upload, inspect_upload, keep_upload, upload_round
from face.widgets import adopt_column_param, anonymity_note, change_delta, download_files, flash, gap_delta, md, show_flash, show_notes

__all__ = [
    "Context", "adopt_column_param", "anonymity_note", "cached", "change_delta", "clear_caches", "codebook", "context", "current_upload",
    "cursor", "download_files", "ensure_tagged", "filter_key", "flash", "forget_upload", "gap_delta", "inspect_upload",
    "jobs", "keep_upload", "md", "open_dataset", "records", "show_chart", "show_flash", "show_notes", "upload_round",
]
