"""Passaparola's entrypoint: page config, navigation, the shared sidebar, then the page.

Streamlit executes this file as ``__main__`` on every run; the code lives in the
importable module ``app`` (the last lines hand over to it) so that the pages share
one copy of the cached connection, the cached queries and the sidebar's context.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import importlib
import importlib.util
import logging
import os
import pickle
import re
import secrets
import threading
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import altair as alt
import duckdb
import pandas as pd
import streamlit as st

from nps import charts, domain, store
from nps.sample import demo
from nps.query import periods
from nps.query import queries
from nps.store import scheduler
from nps import format as fmt
from nps.errors import NpsError
from nps.query.filters import Filter, filter_keys
from nps.narrative import column_label, escape_markdown

if TYPE_CHECKING:
    from nps import ingest
    from nps.text import Codebook

APP_TITLE = "Passaparola"
log = logging.getLogger("passaparola")
# Seconds between two attempts to open a database another process holds.
BUSY_RETRY_SECONDS = 5
# Set (to anything) by the test suite (tests/conftest.py): an unexpected error on a page is raised again after
# its message, so Streamlit's own exception element makes AppTest's and the browser tests' checks fail.
RAISE_ERRORS_ENV = "PASSAPAROLA_RAISE_PAGE_ERRORS"
# The sidebar's time grains in its order (month, the default, second).
GRAINS = {g: g.capitalize() for g in (domain.WEEK, domain.MONTH, domain.QUARTER, domain.DAY, domain.YEAR)}
COMPARISONS = {"previous": "Previous period", "last_year": "Same period last year", "none": "No comparison"}
METHODS = domain.METHODS
MULTIPLICITY = {"auto": "By display (BH / Holm)", domain.BH: "Benjamini–Hochberg everywhere", domain.HOLM: "Holm everywhere",
                domain.NO_ADJUSTMENT: "None (each test alone)"}

# (file, title, icon, url path); the url path equals the name Streamlit derives from the
# file name, so a cold deep link routed through the legacy pages/ mode lands on the same page.
PAGES: dict[str, list[tuple[str, str, str, str]]] = {
    "Data": [
        ("pages/upload.py", "Upload & datasets", ":material/upload_file:", "upload"),
        ("pages/codebook.py", "Codebook", ":material/menu_book:", "codebook"),
    ],
    "Explore": [
        ("pages/overview.py", "Overview", ":material/monitoring:", "overview"),
        ("pages/segments.py", "Segments & functions", ":material/bar_chart:", "segments"),
        ("pages/responses.py", "Responses", ":material/table_rows:", "responses"),
        ("pages/comments.py", "Comments", ":material/forum:", "comments"),
        ("pages/explorer.py", "Comment explorer", ":material/manage_search:", "explorer"),
    ],
    "Review": [("pages/review.py", "Review meeting", ":material/groups:", "review")],
}
DEFAULT_PAGE = "overview"
# Metric tiles wrap their label and change instead of cutting them ("+1.5 (significa…" in five
# tiles side by side at 1280 px). Styling only: no user text goes through this HTML.
TILE_STYLE = """<style>
[data-testid="stMetricLabel"] .stMarkdownEllipsis, [data-testid="stMetricLabel"] .stMarkdownEllipsis p,
[data-testid="stMetricDelta"] .stMarkdownEllipsis, [data-testid="stMetricDelta"] .stMarkdownEllipsis p
 {white-space: normal !important; overflow: visible !important; text-overflow: clip !important;}
</style>"""


@dataclass(frozen=True)
class Context:
    """What the shared sidebar decided, read by every page."""

    dataset: store.Dataset
    flt: Filter
    since: dt.date | None
    until: dt.date | None
    period_label: str
    compare_flt: Filter | None
    compare_label: str | None
    grain: str
    opts: queries.Options
    data_start: dt.date | None
    data_end: dt.date | None
    notes: tuple[str, ...] = ()

    @property
    def dimensions(self) -> list[str]:
        """The dimensions to break down by (the survey type is a filter of its own, not one of them)."""
        return [d for d in self.dataset.mapping.dimensions if d != self.dataset.mapping.survey_type]

    def label(self, column: str, *, in_sentence: bool = False) -> str:
        """A column's readable name: the dataset's label, else the name humanised (plain text)."""
        return column_label(column, self.dataset.labels, in_sentence=in_sentence, among=self.dataset.columns)

    @property
    def version(self) -> str:
        """Changes whenever the dataset's rows or roles change (a new wave, a corrected mapping), so caches refresh."""
        roles = zlib.crc32(repr(self.dataset.mapping).encode())
        return f"{self.dataset.id}:{self.dataset.waves}:{self.dataset.accepted}:{self.dataset.loaded_at}:{roles:08x}"


# --- the database: one connection per file per process, a cursor per use --------------------


@dataclass(frozen=True)
class Database:
    """The server's database: one connection per file per process, and the scheduler that runs beside it."""

    con: duckdb.DuckDBPyConnection
    scheduler: scheduler.Scheduler


def _release(database: Database) -> None:
    database.scheduler.stop(timeout=5)


# While the server runs it owns the database (DuckDB lets one process write a file): the scheduled
# work (housekeeping, the snapshot that `python -m nps … --read-only` reads) runs here, on a daemon
# thread started once with the connection, whatever the sessions and reruns.
@st.cache_resource(show_spinner="Opening the database…", on_release=_release)
def _database(path: str) -> Database:
    con = store.connect(path)  # raises store.DatabaseBusyError while another process holds the file
    cur = con.cursor()
    try:
        demo.ensure_sample(cur)
    finally:
        cur.close()
    jobs = scheduler.standard_jobs(scheduler.Scheduler(con, name=f"passaparola-scheduler {path}"), path)
    return Database(con, jobs.start())


def _connection(path: str) -> duckdb.DuckDBPyConnection:
    return _database(path).con


def jobs() -> scheduler.Scheduler:
    """The scheduler of the server's database, to register more scheduled work (``jobs().register(name, seconds, fn)``)."""
    return _database(str(store.default_db_path())).scheduler


def cursor() -> duckdb.DuckDBPyConnection:
    """A new cursor on the cached connection (close it, or use it in ``with``)."""
    return _connection(str(store.default_db_path())).cursor()


def _resolve(name: str) -> Callable[..., Any]:
    """``overall`` → nps.query.queries.overall; ``review.build_scorecards`` → nps.query.review.build_scorecards."""
    module_name, _, function_name = name.rpartition(".")
    module_name = module_name or "queries"
    package = next(p for p in ("query", "text", "store", "stats", "charts") if importlib.util.find_spec(f"nps.{p}.{module_name}"))
    module = importlib.import_module(f"nps.{package}.{module_name}")
    return getattr(module, function_name)


# A codebook is hashed by its content version: equal versions tag and count identically.
# A filter and the options are frozen dataclasses of plain values: their repr is their content,
# and ten times quicker to hash than Streamlit's walk of the objects.
@st.cache_data(show_spinner=False, max_entries=2048, ttl=3600,
               hash_funcs={"nps.text.codebook.Codebook": lambda c: c.version, Filter: repr, queries.Options: repr})
def _cached(name: str, dataset_id: int, version: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...],
            _ds: store.Dataset | None = None) -> Any:
    # ``_ds`` (not hashed: the id and version stand for it) saves a catalog read per miss.
    with cursor() as cur:
        ds = _ds if _ds is not None and _ds.id == dataset_id else store.get_dataset(cur, dataset_id)
        return _resolve(name)(cur, ds, *args, **dict(kwargs))


def query(name: str, ctx: Context, *args: Any, **kwargs: Any) -> Any:
    """Call an nps function ``f(cursor, dataset, *args, **kwargs)``, cached by dataset version and arguments.

    ``name`` is a function of :mod:`nps.query.queries` (``"overall"``) or ``"module.function"`` of another nps module.
    """
    return _cached(name, ctx.dataset.id, ctx.version, args, tuple(sorted(kwargs.items())), _ds=ctx.dataset)


def clear_caches() -> None:
    """Forget cached query results (after a dataset is renamed, deleted or appended to)."""
    _cached.clear()


# --- the Upload page's inspection, once per file and choices -------------------------------------


# The upload's path names its sha256 (see pages/upload.py), so the path and the choices are the whole key.
@st.cache_data(show_spinner=False, max_entries=32, ttl=3600, hash_funcs={"nps.ingest.Overrides": repr})
def _inspection(path: str, sheet: str | None, overrides: ingest.Overrides | None, display_name: str | None,
                encoding: str | None) -> ingest.Inspection:
    from nps import ingest

    return ingest.inspect_file(path, sheet=sheet, overrides=overrides, display_name=display_name, encoding=encoding)


def inspect_upload(path: str | Path, *, sheet: str | None = None, overrides: ingest.Overrides | None = None,
                   display_name: str | None = None, encoding: str | None = None) -> ingest.Inspection:
    """``nps.ingest.inspect_file``, cached: a rerun of the Upload page (a role changed, a name typed) reads nothing again.

    ``path`` must name its content (the uploads are stored under their sha256). No overrides and empty
    overrides are the same inspection, so the page's two inspections of a fresh upload are one.
    """
    from nps import ingest

    if overrides == ingest.Overrides():
        overrides = None
    return _inspection(str(path), sheet, overrides, display_name, encoding)


# --- uploads: streamed to a private file, kept only while needed -----------------------------


@dataclass(frozen=True)
class Upload:
    """The session's uploaded file, as the page uses it: its name, its private copy on disk, its sha256, its size."""

    name: str
    path: Path
    digest: str
    size: int


def keep_upload(uploaded: Any) -> Upload:
    """Copy a file just chosen in the uploader to a private file (``nps.ingest.tempfiles``) and drop Streamlit's copy.

    Copied in 1 MB chunks, then Streamlit's in-memory copy is dropped at once, so no
    server memory is held while the user checks the roles, nor during the load; the
    page shows the file by name from now on (:func:`current_upload`) instead of the
    uploader, whose key (:func:`upload_round`) moves on for the next file.
    """
    from nps.ingest import tempfiles

    forget_upload()  # the session's previous file
    state = st.session_state
    owner = state.setdefault("_upload_owner", uuid.uuid4().hex[:16])
    suffix = re.sub(r"[^.a-z0-9]", "", Path(uploaded.name).suffix.lower())[:10]
    path, digest = tempfiles.save_upload(uploaded, suffix=suffix, owner=owner)
    state["_upload_saved"] = (str(path), digest, uploaded.name, uploaded.size)
    _drop_from_memory(uploaded)
    state["_upload_round"] = upload_round() + 1
    return Upload(uploaded.name, path, digest, uploaded.size)


def current_upload() -> Upload | None:
    """The session's uploaded file kept by :func:`keep_upload`, if any; marks it as in use.

    An abandoned copy expires (``tempfiles.UPLOAD_TTL`` after its last use): then this
    forgets it and raises NpsError asking for the file again.
    """
    from nps.ingest import tempfiles

    saved = st.session_state.get("_upload_saved")
    if not saved:
        return None
    path, digest, name, size = saved
    if not tempfiles.touch_upload(Path(path)):
        forget_upload()
        raise NpsError(f"{name}: the uploaded copy was removed after an hour unused; upload the file again")
    return Upload(name, Path(path), digest, size)


def _drop_from_memory(upload: Any) -> None:
    # Streamlit keeps each upload in memory until its session ends; its chat input frees them like this.
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None and isinstance(ctx.uploaded_file_mgr, MemoryUploadedFileManager):
        ctx.uploaded_file_mgr.remove_file(session_id=ctx.session_id, file_id=upload.file_id)
    upload.close()


def forget_upload() -> None:
    """Delete the session's private copy of its upload, if any (after its load, or to choose another file)."""
    from nps.ingest import tempfiles

    saved = st.session_state.pop("_upload_saved", None)
    if saved:
        tempfiles.remove_upload(Path(saved[0]))


def upload_round() -> int:
    """How many uploads this session has loaded: part of the uploader's key, so a loaded file leaves the widget."""
    return int(st.session_state.get("_upload_round", 0))


# --- comment themes: the codebook in use, tagged once per dataset and codebook version ---------


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
        number = codebooks.current_number(cur)  # saves the default as number 1 on a new database
    return _codebook_version(str(store.default_db_path()), number)


def ensure_tagged(ctx: Context, book: Codebook) -> None:
    """Tag the dataset's comments with ``book`` unless done before, with a progress bar (once per version)."""
    from nps.store import tagging
    from nps.text import TaggingCancelled

    with cursor() as cur:
        if tagging.is_tagged(cur, ctx.dataset, book):
            return
        bar = st.progress(0.0, text="Reading the comments…")

        def progress(done: int, total: int) -> None:
            so_far = f": {done:,} done" if 0 < done < total else "…"
            bar.progress(done / total if total else 1.0,
                         text=f"Finding the themes of {total:,} comments (once per codebook version){so_far}")

        try:
            tagging.tag_dataset(cur, ctx.dataset, book, on_progress=progress, cancel=_run_stopping())
        except TaggingCancelled:
            # The run was asked to stop or rerun (page left, session ended, server stopping): the workers
            # are gone; the next Streamlit call raises that request's own exception.
            bar.empty()
            st.stop()
        bar.empty()


def _run_stopping() -> Callable[[], bool]:
    """A check that turns True once this script run is asked to stop or rerun (another page, a closed
    session, a server shutting down), so long work started by the run can end with it."""
    from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    requests = getattr(get_script_run_ctx(suppress_warning=True), "script_requests", None)
    if requests is None:
        return lambda: False
    # ScriptRequests has no public "pending?" query: on_scriptrunner_yield() would consume the request.
    return lambda: getattr(requests, "_state", ScriptRequestType.CONTINUE) != ScriptRequestType.CONTINUE


def _frame_bytes(frame: pd.DataFrame) -> bytes:
    # A frame's pickle is its content, and 5× quicker to take than Streamlit's default frame hash.
    return pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)


@st.cache_data(show_spinner=False, max_entries=512, ttl=3600, hash_funcs={pd.DataFrame: _frame_bytes})
def _chart_spec(module: str, builder: str, args: tuple[Any, ...], options: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    # Construction-time validation is Altair's debug mode: the builders are validated in
    # tests/test_charts.py, so the app builds without it (it costs more than the drawing).
    with alt.utils.schemapi.debug_mode(False):
        chart = getattr(importlib.import_module(module), builder)(*args, **dict(options))
        return _spec_of(chart)


def _spec_of(chart: Any) -> dict[str, Any]:
    # st.altair_chart validates every spec against the Vega-Lite schema on every run
    # (~20 ms a chart, under a global lock); the builders are validated once, in
    # tests/test_charts.py, so the app converts without validation.
    spec = chart.to_dict(validate=False)
    spec.get("config", {}).pop("view", None)  # Altair's default 300×300 view; Streamlit sizes the chart
    # Altair names the rows after a hash of them. Under a fixed name, a chart whose layout did not
    # change gets only its rows swapped in the browser instead of being compiled and drawn anew.
    datasets, data = spec.get("datasets", {}), spec.get("data")
    if len(datasets) == 1 and isinstance(data, dict) and data.get("name") in datasets:
        spec["datasets"] = {"rows": datasets[data["name"]]}
        spec["data"] = {**data, "name": "rows"}
    return spec


def show_chart(chart: Any, *args: Any, where: Any = None, key: str | None = None,
               on_select: str | Callable[[], None] = "ignore", **options: Any) -> Any:
    """Draw a chart from nps.charts, with SVG and PNG downloads made only when clicked.

    ``chart`` is a builder called as ``chart(*args, **options)`` (its Vega-Lite spec is
    cached by the builder and its arguments, frames included, so a rerun on the same
    numbers skips Altair) or an Altair chart already built.
    """
    target = where or st
    if isinstance(chart, alt.TopLevelMixin):
        spec, build = _spec_of(chart), functools.partial(lambda c: c, chart)
    else:
        spec = _chart_spec(chart.__module__, chart.__name__, args, tuple(sorted(options.items())))
        build = functools.partial(chart, *args, **options)
    state = target.vega_lite_chart(spec, width="stretch", key=key, on_select=on_select)
    title = spec.get("title")
    title = title.get("text") if isinstance(title, dict) else title
    slug = re.sub(r"[^0-9a-zA-Z]+", "-", str(title or "chart")).strip("-").lower()[:60] or "chart"
    # Keys by drawing order: stable from run to run, unique within one.
    seq = st.session_state.get("_chart_seq", 0) + 1
    st.session_state["_chart_seq"] = seq
    with target.popover("Save chart", icon=":material/download:", type="tertiary", key=f"save_{seq}"):
        st.download_button("SVG", lambda: charts.export_chart(build(), "svg"), file_name=f"{slug}.svg",
                           mime="image/svg+xml", on_click="ignore", key=f"svg_{seq}")
        st.download_button("PNG", lambda: charts.export_chart(build(), "png"), file_name=f"{slug}.png",
                           mime="image/png", on_click="ignore", key=f"png_{seq}")
    return state


# --- the shared sidebar -----------------------------------------------------------------------


def filter_key(column: str, ds: store.Dataset) -> str:
    """The URL parameter of a dimension's filter: ``f_`` and a slug of the column name, unique in ``ds``
    (see :func:`nps.query.filters.filter_keys`)."""
    return filter_keys(ds.columns).get(column) or filter_keys([*ds.columns, column])[column]


def _dataset_label(datasets: dict[int, store.Dataset]) -> Callable[[int], str]:
    # A bound widget writes its formatted option into the URL, so labels must not change
    # with the data (no counts here): "name · #id" is stable and unique.
    return lambda i: f"{datasets[i].name} · #{i}" if i in datasets else str(i)


def _linked_dataset(linked: str, datasets: dict[int, store.Dataset]) -> tuple[int | None, str | None]:
    """The dataset a link's ``ds`` (``name · #id``) opens, and what to tell the user when it is not the one named.

    The label as shown opens its dataset; a renamed dataset is found by its id (ids are never
    reused); a dataset deleted since (or a label matching none) opens nothing: the note says so,
    and the sidebar shows the first dataset.
    """
    label = _dataset_label(datasets)
    if linked in (label(i) for i in datasets):
        return next(i for i in datasets if label(i) == linked), None
    number = re.search(r"#(\d+)\s*$", linked)
    if number and int(number.group(1)) in datasets:
        found = int(number.group(1))
        return found, f"The dataset in this link, {linked}, has been renamed: it is {label(found)}."
    first = label(next(iter(datasets)))
    return None, (f"The dataset in this link, {linked}, no longer exists (deleted, or the link is wrong); "
                  f"showing {first}. Pick another under Dataset.")


def _sidebar(cur: duckdb.DuckDBPyConnection) -> Context | None:
    datasets = {d.id: d for d in sorted(store.list_datasets(cur), key=lambda d: d.id)}
    side = st.sidebar
    if not datasets:
        side.info("No dataset yet: load one on the Upload page.")
        return None
    ids = list(datasets)
    pending = st.session_state.pop("_pending_ds", None)
    if pending in ids:
        st.session_state["ds"] = pending
    elif st.session_state.get("ds") not in ids and "ds" in st.session_state:
        del st.session_state["ds"]
    elif "ds" not in st.session_state and (linked := st.query_params.get("ds")):
        # A link's dataset, before the bound widget silently drops a label it does not know.
        found, note = _linked_dataset(linked, datasets)
        if found is not None:
            st.session_state["ds"] = found
        st.session_state["_ds_note"] = (note, found if found is not None else ids[0]) if note else None
    dataset_id = side.selectbox("Dataset", ids, format_func=_dataset_label(datasets), key="ds", bind="query-params")
    ds = datasets[dataset_id] if dataset_id in datasets else datasets[ids[0]]
    link_note = st.session_state.get("_ds_note")
    if link_note and link_note[1] == ds.id:  # shown until another dataset is picked
        side.warning(escape_markdown(link_note[0]), icon=":material/link_off:")
    else:
        st.session_state.pop("_ds_note", None)
    base = Context(ds, Filter(), None, None, "", None, None, "month", queries.Options(), None, None)
    span = query("data_range", base)
    data_start, data_end = (span if span else (None, None))

    preset = side.selectbox("Period", list(periods.PRESETS), format_func=periods.PRESETS.get, key="period",
                            bind="query-params")
    custom: tuple[dt.date | None, dt.date | None] = (None, None)
    if preset == "custom":
        c1, c2 = side.columns(2)
        start = c1.date_input("From", value=data_start, min_value=data_start, max_value=data_end, key="from",
                              bind="query-params")
        end = c2.date_input("To", value=data_end, min_value=data_start, max_value=data_end, key="to",
                            bind="query-params")
        custom = (start if isinstance(start, dt.date) else None, end if isinstance(end, dt.date) else None)
        if custom[0] and custom[1] and custom[0] > custom[1]:
            side.error("The period starts after it ends: pick a 'From' date before the 'To' date.")
            custom = (custom[1], custom[0])
    since, until = periods.resolve_preset(preset, data_start, data_end, custom=custom)
    compare = side.selectbox("Compare with", list(COMPARISONS), format_func=COMPARISONS.get, key="cmp",
                             bind="query-params")
    grain = side.selectbox("Time grain", list(GRAINS), index=1, format_func=GRAINS.get, key="grain",
                           bind="query-params")

    notes: list[str] = []
    include: dict[str, list[str]] = {}
    survey_type = ds.mapping.survey_type
    if survey_type:
        kinds = query("dimension_values", base, survey_type)
        values = [str(v) for v in kinds["value"]]
        if len(values) > 1:
            chosen = side.segmented_control("Survey type", values, default=values[0], key="type",
                                            format_func=escape_markdown, bind="query-params", required=True)
            chosen = chosen or values[0]
            include[survey_type] = [chosen]
            notes.append(f"This dataset mixes {len(values)} survey types ({', '.join(values)}); "
                         f"showing {chosen} only, since blending them mixes different questions. "
                         "Switch with Survey type in the sidebar.")

    dims = [d for d in ds.mapping.dimensions if d != survey_type]
    if dims:
        options = query("dimension_counts", base, dims)
        # Counted per day once per dataset version, so a new period is a sum, not a scan.
        in_period = query("dimension_counts_by_day", base, dims, Filter.build(include=include)).within(since, until)
        keys = filter_keys([*ds.columns, *dims])
        with side.expander("Filters", expanded=True):
            for dim in dims:
                values = [str(v) for v in options[dim]["value"]]
                # Raw values only: a bound widget puts its formatted option into the URL.
                picked = st.multiselect(escape_markdown(column_label(dim, ds.labels, among=ds.columns)), values, key=keys[dim],
                                        bind="query-params", placeholder="All")
                counts = in_period[dim]
                st.caption(escape_markdown(" · ".join(
                    f"{v} {n:,}" for v, n in zip(counts["value"][:8], counts["n"][:8])
                ) + (" · …" if len(counts) > 8 else "")) or "no responses in this period")
                if picked:
                    include[dim] = list(picked)

    active = [f"{column_label(d, ds.labels, in_sentence=True, among=ds.columns)}: {', '.join(v)}"
              for d, v in include.items() if d != survey_type]
    if active:
        notes.append("Filtered to " + "; ".join(active) + ".")

    with side.expander("Statistics"):
        method = st.selectbox("Interval method", METHODS, key="method", bind="query-params",
                              help="Adjusted Wald (Rocks 2016) is the default: honest at small n. Wald is the textbook one.")
        level = st.selectbox("Confidence level", [0.95, 0.90, 0.99], format_func=fmt.level,
                             key="level", bind="query-params")
        min_n = int(st.number_input("Minimum n", min_value=1, max_value=10_000, value=30, step=5, key="min_n",
                                    bind="query-params", help="Groups with fewer responses are marked as unreliable."))
        dedupe = st.toggle("Latest response per respondent", key="dedupe", bind="query-params",
                           disabled=not ds.mapping.respondent,
                           help="Counts each respondent once (their latest answer)." if ds.mapping.respondent
                           else "This dataset has no respondent id column.")
        weighted = st.toggle("Weighted", key="weighted", bind="query-params", disabled=not ds.mapping.weight,
                             help="Weights responses by the weight column (Kish's effective n in the interval)."
                             if ds.mapping.weight else "This dataset has no weight column.")
        control = st.selectbox("Multiple comparisons", list(MULTIPLICITY), format_func=MULTIPLICITY.get, key="mult",
                               bind="query-params",
                               help="Many tests shown together find 'significant' noise unless the error rate is "
                                    "controlled across them. By display: Benjamini–Hochberg for screening (Segments, "
                                    "trends, themes), Holm where decisions are made (Review meeting, the Overview's tiles).")
    opts = queries.Options(method=method, level=float(level), min_n=min_n,
                           dedupe=bool(dedupe and ds.mapping.respondent), weighted=bool(weighted and ds.mapping.weight),
                           multiplicity=None if control == "auto" else control)

    flt = Filter.build(since=since, until=until, include=include)
    compare_flt: Filter | None = None
    compare_label: str | None = None
    if compare != "none" and since and until:
        if compare == "previous":
            c_since, c_until = periods.previous_period(since, until)
        else:
            c_since, c_until = periods.same_period_last_year(since, until)
        compare_flt = replace(flt, since=c_since, until=c_until)
        compare_label = f"{COMPARISONS[compare].lower()} ({c_since:%d %b %Y} – {c_until:%d %b %Y})"
    period_label = periods.PRESETS[preset] if not since else f"{since:%d %b %Y} – {until:%d %b %Y}"
    if data_end and preset not in ("all", "custom"):
        side.caption(f"Periods end at the latest response, {data_end:%d %b %Y}.")
    return Context(ds, flt, since, until, period_label, compare_flt, compare_label, grain, opts,
                   data_start, data_end, tuple(notes))


# --- the frame ----------------------------------------------------------------------------------


def open_dataset(dataset_id: int, page: str | None = None) -> None:
    """Make ``dataset_id`` the sidebar's dataset on the next run, then go to ``page`` (or rerun)."""
    st.session_state["_pending_ds"] = dataset_id
    clear_caches()
    if page:
        st.switch_page(page)
    st.rerun()


# Set while main() runs the page on this script thread: a page run without it was routed by
# the legacy pages/ mode (a cold deep link), not by st.navigation.
_this_run = threading.local()


def context() -> Context | None:
    """The shared context of this run, for a page; None when there is no dataset.

    A deep link opened on a cold server is routed by Streamlit's legacy ``pages/``
    mode, which runs the page without this entrypoint: then switch that mode off
    and rerun, so the page comes back inside the navigation with its query params.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if not getattr(_this_run, "in_frame", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
    return st.session_state.get("_context")


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
    unescaped = [c for c in columns if ctx.label(c) == raw and escape_markdown(raw) != raw]
    if len(unescaped) == 1:
        st.session_state[key] = unescaped[0]


def show_notes(ctx: Context) -> None:
    """Show the sidebar's notes (mixed survey types, …) at the top of a page."""
    for note in ctx.notes:
        st.info(escape_markdown(note), icon=":material/filter_alt:" if note.startswith("Filtered") else ":material/info:")


_frozen = False


def _freeze_long_lived_objects() -> None:
    """Once per process, after the first run: move every object alive now out of the garbage collector's view.

    Streamlit runs a full ``gc.collect()`` after every script run (``runner.postScriptGC``);
    with pandas, Altair and the Vega-Lite schema loaded that walks a few hundred thousand
    long-lived objects, about 90 ms a run on two cores. Frozen, they are skipped (garbage
    made later is still collected).
    """
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


def _menu(pages: dict[str, list[Any]]) -> None:
    """The page menu at the top of the sidebar, as links.

    Streamlit's own sidebar menu is off (``client.showSidebarNavigation = false`` in
    .streamlit/config.toml): on a server's first run it would show the legacy ``pages/``
    menu (raw file names) until this entrypoint had imported everything and replaced it.
    """
    for section, entries in pages.items():
        st.sidebar.caption(section)
        for entry in entries:
            st.sidebar.page_link(entry, width="stretch")


def show_failure(error: Exception) -> str:
    """Show an unexpected error as a message with a short reference; the traceback goes to the server log.

    Returns the reference (8 hex digits), which the log line carries too.
    """
    reference = secrets.token_hex(4)
    log.error("unexpected error on a page [ref %s]", reference, exc_info=error)
    st.error(f"Something went wrong and this page stopped. Reference **{reference}**: the details are in the "
             "server's log under it. Change a filter or reload the page to try again.", icon=":material/error:")
    return reference


def _database_busy(error: store.DatabaseBusyError) -> None:
    """The page shown while another process holds the database: says which, and tries again."""
    st.title(APP_TITLE)
    who = f"process {error.pid}" + (f" ({error.holder})" if error.holder else "") if error.pid else "another process"
    st.warning(f"The database {escape_markdown(error.path)} is in use by {escape_markdown(who)}. "
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


def main() -> None:
    """Run one script run of the app: config, sidebar, navigation, the chosen page.

    No traceback reaches a page: an unexpected error shows :func:`show_failure`'s message and
    reference (``client.showErrorDetails = "none"`` covers anything that escapes), and a database
    held by another process shows a page that retries.
    """
    st.set_page_config(page_title=APP_TITLE, page_icon=":material/campaign:", layout="wide",
                       initial_sidebar_state="expanded")
    pages = {
        section: [st.Page(file, title=title, icon=icon, url_path=url, default=(url == DEFAULT_PAGE))
                  for file, title, icon, url in entries]
        for section, entries in PAGES.items()
    }
    page = st.navigation(pages, position="hidden")
    try:
        _frame(page, pages)
    except store.DatabaseBusyError as error:
        _database_busy(error)
    except Exception as error:  # noqa: BLE001 - st.rerun / st.stop are BaseExceptions and pass through
        show_failure(error)
        if os.environ.get(RAISE_ERRORS_ENV):
            raise
    _freeze_long_lived_objects()


def _frame(page: Any, pages: dict[str, list[Any]]) -> None:
    st.html(TILE_STYLE)
    _menu(pages)
    st.sidebar.markdown(f"### {APP_TITLE}")
    ctx: Context | None = None
    try:
        with cursor() as cur:
            ctx = _sidebar(cur)
    except NpsError as error:
        if isinstance(error, store.DatabaseBusyError):
            raise
        st.error(escape_markdown(str(error)))
    st.session_state["_context"] = ctx
    st.session_state["_frame_ran"] = True
    _this_run.in_frame = True
    st.session_state["_chart_seq"] = 0
    try:
        page.run()
    except NpsError as error:  # meant for people: its message is the whole story
        st.error(escape_markdown(str(error)))
    finally:
        _this_run.in_frame = False


if __name__ == "__main__":
    import app as _app  # the importable copy, shared with the pages

    _app.main()
