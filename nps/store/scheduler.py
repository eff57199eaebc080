"""Scheduled work inside the process that owns the database.

DuckDB lets one process write a database file, so while the app server runs it
owns the database and the work that must happen on a clock runs in it: one
:class:`Scheduler` per database (the app creates it with the connection), a
daemon thread running named jobs at their intervals, each run on its own
``.cursor()``. A job that raises is logged and run again at its next time; it
never stops the thread or the other jobs.

The jobs registered by :func:`standard_jobs`: ``housekeeping`` (leftovers of
killed loads, where the store can find them, and a checkpoint) and ``snapshot``
(a consistent copy of the database next to it, for ``python -m nps … --read-only``
while the server holds the file).
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from nps import store

log = logging.getLogger(__name__)

Job = Callable[[duckdb.DuckDBPyConnection], Any]


@dataclass
class JobState:
    """A registered job: its interval (seconds), when it runs next and how its last run went."""

    name: str
    interval: float
    job: Job
    next_run: float
    runs: int = 0
    last_run: dt.datetime | None = None
    last_error: str | None = None


class Scheduler:
    """Run named jobs at intervals on a daemon thread, each run with its own cursor of ``con``.

    ``clock`` (seconds, monotonic) is for tests. Jobs are added with
    :meth:`register`, the thread starts with :meth:`start` and ends with
    :meth:`stop`; :meth:`run_now` runs a job at the thread's next turn.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, *, name: str = "passaparola-scheduler",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._con = con
        self._name = name
        self._clock = clock
        self._jobs: dict[str, JobState] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def register(self, name: str, interval: float, job: Job, *, first_after: float = 0.0) -> None:
        """Run ``job(cursor)`` every ``interval`` seconds, first ``first_after`` seconds from now.

        Registering a name again replaces that job. Raises ValueError for an interval not above 0.
        """
        if not interval > 0:
            raise ValueError(f"job {name!r}: the interval is a number of seconds above 0, not {interval!r}")
        with self._lock:
            self._jobs[name] = JobState(name, float(interval), job, self._clock() + max(0.0, first_after))
        self._wake.set()

    def jobs(self) -> dict[str, JobState]:
        """The registered jobs by name (copies of their state)."""
        with self._lock:
            return {name: JobState(**vars(state)) for name, state in self._jobs.items()}

    def run_now(self, name: str) -> None:
        """Run the job ``name`` at the thread's next turn (soon). Raises KeyError for an unknown name."""
        with self._lock:
            self._jobs[name].next_run = self._clock()
        self._wake.set()

    @property
    def running(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Scheduler:
        """Start the thread (once; a second call does nothing). Returns the scheduler."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()
                _started.add(self)
        return self

    def stop(self, timeout: float | None = 10.0, *, interrupt: bool = False) -> None:
        """Ask the thread to end after the job it runs, and wait up to ``timeout`` seconds for it.

        ``interrupt`` also interrupts the job's query (DuckDB's ``interrupt``), for a process that is ending.
        """
        self._stopping.set()
        self._wake.set()
        if interrupt:
            try:
                self._con.interrupt()
            except Exception:  # noqa: BLE001 - a closed connection has nothing to interrupt
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        _started.discard(self)

    def run_due(self) -> list[str]:
        """Run every job whose time has come, in name order; returns their names (the thread's work, callable by tests)."""
        now = self._clock()
        with self._lock:
            due = sorted(name for name, state in self._jobs.items() if state.next_run <= now)
        for name in due:
            if self._stopping.is_set():
                break
            with self._lock:
                state = self._jobs.get(name)
            if state is None:
                continue
            self._run(state)
        return due

    def _run(self, state: JobState) -> None:
        try:
            cur = self._con.cursor()
        except Exception as error:  # noqa: BLE001 - the connection is closed: try again later
            log.warning("scheduled job %s not run: %s", state.name, error)
            error_text: str | None = str(error)
        else:
            try:
                state.job(cur)
                error_text = None
            except Exception as error:  # noqa: BLE001 - a failing job must not stop the others
                log.exception("scheduled job %s failed", state.name)
                error_text = f"{type(error).__name__}: {error}"
            finally:
                cur.close()
        with self._lock:
            state.runs += 1
            state.last_run = dt.datetime.now()
            state.last_error = error_text
            state.next_run = self._clock() + state.interval

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            self.run_due()
            with self._lock:
                soonest = min((s.next_run for s in self._jobs.values()), default=None)
            wait = 60.0 if soonest is None else min(60.0, max(0.0, soonest - self._clock()))
            self._wake.wait(wait)


# Every started scheduler, stopped when the interpreter ends: a daemon thread still inside DuckDB when
# Python finalises is unwound by force, which DuckDB's C++ turns into an abort ("FATAL: exception not
# rethrown") after everything else went well.
_started: weakref.WeakSet[Scheduler] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for scheduler in list(_started):
        scheduler.stop(timeout=10.0, interrupt=True)


HOUSEKEEPING_INTERVAL = 15 * 60.0
SNAPSHOT_INTERVAL = 10 * 60.0
SNAPSHOT_ENV = "PASSAPAROLA_SNAPSHOT_MINUTES"


def snapshot_interval() -> float | None:
    """Seconds between snapshots: ``$PASSAPAROLA_SNAPSHOT_MINUTES`` (default 10); None when set to 0 (no snapshot).

    A snapshot reads the whole database (about 3.5 s of CPU per million responses), so it is
    written only when the database changed, at most this often. Raises ValueError for a value
    that is not a number of minutes.
    """
    text = os.environ.get(SNAPSHOT_ENV, "").strip()
    if not text:
        return SNAPSHOT_INTERVAL
    try:
        minutes = float(text)
    except ValueError:
        raise ValueError(f"{SNAPSHOT_ENV}={text!r}: give a number of minutes (0: no snapshot)") from None
    if minutes < 0 or minutes != minutes:
        raise ValueError(f"{SNAPSHOT_ENV}={text!r}: give a number of minutes (0: no snapshot)")
    return None if minutes == 0 else minutes * 60.0


def housekeeping(cur: duckdb.DuckDBPyConnection, path: str | Path | None = None) -> None:
    """Remove what killed loads left behind (``store.remove_leftovers``), then checkpoint.

    The checkpoint (only when the write-ahead log of the file ``path`` holds something, or
    always without ``path``) writes the log into the database file, so the file alone is the
    whole database. Running transactions are not disturbed.
    """
    removed = store.remove_leftovers(cur)  # a load under way in this process is left alone (store.loading)
    if removed:
        log.info("housekeeping removed %s", removed)
    wal = Path(f"{path}.wal") if path is not None else None
    if wal is None or (wal.exists() and wal.stat().st_size > 0):
        store.checkpoint(cur)


def snapshot_job(path: str | Path) -> Job:
    """A job writing the snapshot of the database at ``path`` (:func:`nps.store.write_snapshot`) when it changed."""
    last: list[tuple[int, ...] | None] = [None]

    def snapshot(cur: duckdb.DuckDBPyConnection) -> None:
        # Skipped while the database files are as they were at the last snapshot (mtime and size
        # of the file and its write-ahead log): a copy costs a read of the whole database.
        before = store.file_fingerprint(path)
        snap = store.snapshot_path(path)
        if last[0] is None and snap.exists() and snap.stat().st_mtime_ns >= max(before[0::2]):
            last[0] = before  # a server started again on an unchanged database: its snapshot is current
        if before == last[0] and snap.exists():
            return
        store.write_snapshot(cur, path)
        last[0] = before

    return snapshot


def standard_jobs(scheduler: Scheduler, path: str | Path) -> Scheduler:
    """Register the server's jobs for the database at ``path``: housekeeping and the snapshot. Returns the scheduler."""
    scheduler.register("housekeeping", HOUSEKEEPING_INTERVAL, lambda cur: housekeeping(cur, path), first_after=5.0)
    interval = snapshot_interval()
    if interval is not None:
        # Not at start: a copy reads the whole database (seconds per million responses), which the first
        # visitors of a server just started would wait behind.
        scheduler.register("snapshot", interval, snapshot_job(path), first_after=interval)
    return scheduler
