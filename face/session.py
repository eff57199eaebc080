"""The session's shared state: the sidebar's :class:`Context`, the server's database, a cursor per use.

One connection per database file per process (``st.cache_resource``), with the scheduler that runs
beside it; every use takes its own cursor. Pages never hold a cursor: they call :mod:`face.cached`
for reads and :mod:`face.records` for the catalog's records and writes.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import duckdb
import streamlit as st

from nps import store
from nps.narrative import column_label
from nps import query as queries
from nps.query.filters import Filter
from nps.sample import demo
from nps.store import audit, scheduler


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
        """Changes whenever the dataset's rows, roles, anonymity thresholds or the reader's scope change (a new wave,
        a corrected mapping, thresholds set from the CLI, another user), so caches refresh and never serve one
        user's rows to another."""
        roles = zlib.crc32(repr(self.dataset.mapping).encode())
        # The scope in full (not a checksum that two scopes could share): one user's rows never serve another.
        return (f"{self.dataset.id}:{self.dataset.waves}:{self.dataset.accepted}:{self.dataset.loaded_at}:"
                f"{roles:08x}:{self.dataset.scope.rules!r}:{self.dataset.privacy.min_group}/"
                f"{self.dataset.privacy.min_comment_group}")


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
        demo.ensure_sample(cur, actor=audit.APP_ACTOR)  # nobody's action: the app's first start
    finally:
        cur.close()
    jobs = scheduler.standard_jobs(scheduler.Scheduler(con, name=f"passaparola-scheduler {path}"), path)
    from face.notifications import register_delivery  # the outbox's delivery (issue 12), every minute

    register_delivery(jobs)
    jobs.register("follow-up sweep", FOLLOWUP_SWEEP_INTERVAL, _followup_sweep, first_after=30.0)
    jobs.register("review packs", REVIEW_PACKS_INTERVAL, _review_packs, first_after=90.0)
    jobs.register("indicator alerts", 3600.0, _indicator_alerts, first_after=150.0)
    return Database(con, jobs.start())


# The follow-up sweep (open cases for new responses, escalate overdue ones, remind, deliver) every 5 minutes.
FOLLOWUP_SWEEP_INTERVAL = 300.0


def _followup_sweep(cur: duckdb.DuckDBPyConnection) -> None:
    from nps.followup.sweep import sweep

    try:
        from nps.followup.notify import deliver_pending as deliver  # the delivery, when installed
    except ImportError:
        deliver = None
    from face.notifications import digest_enabled

    sweep(cur, deliver=deliver, digest=digest_enabled())


# The review packs due before their meetings are built and queued every 15 minutes (the delivery sends them).
REVIEW_PACKS_INTERVAL = 900.0


def _review_packs(cur: duckdb.DuckDBPyConnection) -> None:
    from nps.reviews.sending import send_due_packs

    send_due_packs(cur, dt.datetime.now().replace(microsecond=0))


def _indicator_alerts(cur: duckdb.DuckDBPyConnection) -> None:
    from nps.monitoring import notify_flagged  # an indicator's owner hears once per period when it is flagged

    notify_flagged(cur, dt.datetime.now().replace(microsecond=0))


def db_path() -> str:
    """The database file the server uses (``PASSAPAROLA_DB``, else the default)."""
    return str(store.default_db_path())


def jobs() -> scheduler.Scheduler:
    """The scheduler of the server's database, to register more scheduled work (``jobs().register(name, seconds, fn)``)."""
    return _database(db_path()).scheduler


def cursor() -> duckdb.DuckDBPyConnection:
    """A new cursor on the cached connection (close it, or use it in ``with``)."""
    return _database(db_path()).con.cursor()


def context() -> Context | None:
    """The shared context of this run, for a page; None when there is no dataset.

    A page routed without the entrypoint (a cold deep link) is sent back through it first
    (:func:`face.coldlink.ensure_in_frame`).
    """
    from face import coldlink

    coldlink.ensure_in_frame()
    return st.session_state.get("_context")
