"""The database-ownership rule: one process owns a database file; the others say so, read its snapshot, or wait.

The CLI cases run the real command line in a child process while another child holds the
database (it opens it with duckdb and waits on its stdin).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from nps import store
from nps.sample import demo
from nps.store import scheduler
from face.widgets import md
from tests.factories import make_dataset

ROOT = Path(__file__).resolve().parent.parent


def _small_db(path: Path) -> Path:
    from nps.ingest import Overrides, ingest_file

    source = path.with_name("four.csv")
    source.write_text("score,segment\n10,A\n9,A\n7,B\n3,B\n")
    con = store.connect(path)
    ingest_file(con, source, name="four", overrides=Overrides(score="score"))
    con.close()
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return _small_db(tmp_path / "owned.duckdb")


class Holder:
    """A child Python holding ``path`` open (as the app server does) until closed."""

    def __init__(self, path: Path, *, snapshot: bool = False) -> None:
        code = (
            "import sys\n"
            "from nps import store\n"
            f"con = store.connect({str(path)!r})\n"
            + (f"store.write_snapshot(con.cursor(), {str(path)!r})\n" if snapshot else "")
            + "print('held', flush=True)\n"
            "sys.stdin.read()\n"
        )
        self.process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, text=True, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # waits until the file is held
        assert line == "held\n", self.process.stderr.read() if self.process.stderr else line

    def close(self) -> None:
        self.process.communicate("", timeout=120)


@pytest.fixture
def held(db: Path) -> Iterator[Holder]:
    holder = Holder(db)
    yield holder
    holder.close()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nps", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(("command", "advice"), [
    (["datasets"], "stop the app (or that process) to use it from here, or add --read-only to read the app's latest snapshot"),
    (["summary", "1"], "stop the app (or that process) to use it from here, or add --read-only to read the app's latest snapshot"),
    (["sample"], "stop the app (or that process) to write to it from here, or load the file on the app's Upload page"),
    (["datasets", "delete", "1", "--yes"], "stop the app (or that process) to write to it from here, or rename or "
                                           "delete the dataset on the app's Upload page"),
    (["audit"], "stop the app (or that process) to use it from here, or add --read-only to read the app's latest snapshot"),
])
def test_a_command_on_a_held_database_says_who_holds_it_in_one_line(db: Path, held: Holder, command: list[str],
                                                                    advice: str) -> None:
    result = cli(*command, "--db", str(db))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (f"error: the database {db} is in use by process {held.process.pid} "
                             f"({_program(held.process.pid)}): {advice}\n")


def _program(pid: int) -> str:
    return str(Path(f"/proc/{pid}/exe").resolve()) if Path(f"/proc/{pid}/exe").exists() else sys.executable


def test_read_only_without_a_snapshot_says_there_is_none(db: Path, held: Holder) -> None:
    result = cli("datasets", "--db", str(db), "--read-only")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.endswith("and no snapshot of it has been written yet (the app writes one as it starts and "
                                  "within a minute of each change): stop the app to read the database itself\n")


def test_read_only_reads_the_snapshot_and_says_how_old_it_is(db: Path) -> None:
    holder = Holder(db, snapshot=True)
    try:
        result = cli("datasets", "--db", str(db), "--read-only")
    finally:
        holder.close()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0].split()[:2] == ["1", "four"]
    assert re.fullmatch(
        rf"note: the database {re.escape(str(db))} is in use by process {holder.process.pid} \(.*\); reading its "
        r"snapshot of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+ s old\)\n", result.stderr)


def test_read_only_on_a_free_database_reads_it_without_writing(db: Path) -> None:
    before = store.file_fingerprint(db)
    result = cli("summary", "four", "--db", str(db), "--read-only", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert '"nps": 25.0' in result.stdout
    assert store.file_fingerprint(db) == before


def test_a_snapshot_holds_every_dataset_and_replaces_the_old_one_whole(db: Path) -> None:
    killed = db.with_name(".owned.snapshot.duckdb.999999.tmp")  # left by an owner killed while writing
    killed.write_bytes(b"half")
    con = store.connect(db)
    try:
        first = store.write_snapshot(con.cursor(), db)
        make_dataset(con, pd.DataFrame({"score": [0, 10]}), name="two")
        second = store.write_snapshot(con.cursor(), db)
    finally:
        con.close()
    assert first == second == db.with_name("owned.snapshot.duckdb")
    assert [p.name for p in db.parent.iterdir() if "snapshot" in p.name] == ["owned.snapshot.duckdb"]
    snap = duckdb.connect(str(second), read_only=True)
    try:
        assert sorted((d.name, d.accepted) for d in store.list_datasets(snap)) == [("four", 4), ("two", 2)]
    finally:
        snap.close()


# --- the scheduler ------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_jobs_run_at_their_intervals_each_on_its_own_cursor(con: duckdb.DuckDBPyConnection) -> None:
    clock = Clock()
    jobs = scheduler.Scheduler(con, clock=clock)
    cursors: list[duckdb.DuckDBPyConnection] = []
    jobs.register("every10", 10, cursors.append)
    jobs.register("every30", 30, lambda cur: None, first_after=5)
    assert jobs.run_due() == ["every10"]
    clock.now += 10
    assert jobs.run_due() == ["every10", "every30"]
    clock.now += 10
    assert jobs.run_due() == ["every10"]
    assert len(cursors) == 3 and len({id(c) for c in cursors}) == 3 and cursors[0] is not con
    assert {name: state.runs for name, state in jobs.jobs().items()} == {"every10": 3, "every30": 1}


def test_a_failing_job_is_logged_and_runs_again(con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    jobs = scheduler.Scheduler(con, clock=clock)
    calls: list[int] = []

    def flaky(cur: duckdb.DuckDBPyConnection) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk full")

    jobs.register("flaky", 60, flaky)
    jobs.register("steady", 60, lambda cur: calls.append(2))
    with caplog.at_level(logging.ERROR, logger="nps.store.scheduler"):
        assert jobs.run_due() == ["flaky", "steady"]
    assert jobs.jobs()["flaky"].last_error == "RuntimeError: disk full"
    assert "scheduled job flaky failed" in caplog.text and "RuntimeError: disk full" in caplog.text
    clock.now += 60
    jobs.run_due()
    assert calls == [1, 2, 1, 2]
    assert jobs.jobs()["flaky"].last_error is None


def test_the_thread_runs_jobs_and_stops(con: duckdb.DuckDBPyConnection) -> None:
    ran = threading.Event()
    jobs = scheduler.Scheduler(con).start()
    jobs.register("once", 3600, lambda cur: ran.set())
    assert ran.wait(60)
    assert jobs.running
    jobs.stop(timeout=60)
    assert not jobs.running
    with pytest.raises(ValueError, match="above 0"):
        jobs.register("never", 0, lambda cur: None)


def test_the_snapshot_job_copies_only_when_the_database_changed(db: Path) -> None:
    con = store.connect(db)
    try:
        job = scheduler.snapshot_job(db)
        job(con.cursor())
        snap = store.snapshot_path(db)
        taken = snap.stat().st_mtime_ns, snap.stat().st_ino
        job(con.cursor())
        assert (snap.stat().st_mtime_ns, snap.stat().st_ino) == taken
        make_dataset(con, pd.DataFrame({"score": [5]}), name="one")
        job(con.cursor())
        assert snap.stat().st_ino != taken[1]
    finally:
        con.close()


def test_housekeeping_calls_the_stores_cleanup_when_there_is_one(con: duckdb.DuckDBPyConnection,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []
    monkeypatch.setattr(store, "remove_leftovers", seen.append, raising=False)
    scheduler.housekeeping(con)
    assert seen == [con]


# --- the app ------------------------------------------------------------------------------------


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "app.duckdb"
    con = store.connect(path)
    demo.load_sample(con)
    con.close()
    monkeypatch.setenv(store.DB_ENV, str(path))
    return path


def _texts(at: AppTest) -> str:
    return "\n".join(str(getattr(e, "value", "")) for e in at.main if hasattr(e, "value"))


def test_a_page_that_fails_shows_a_reference_and_logs_the_traceback(app_db: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("PASSAPAROLA_RAISE_PAGE_ERRORS", raising=False)  # as a server runs (the suite sets it)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception and not at.error

    def broken(ctx: object) -> None:
        raise RuntimeError("boom in /srv/secret/path.py")

    monkeypatch.setattr(sys.modules["face"], "show_notes", broken)
    with caplog.at_level(logging.ERROR, logger="passaparola"):
        at.run()
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    found = re.fullmatch(r"Something went wrong and this page stopped\. Reference \*\*([0-9a-f]{8})\*\*: the details "
                         r"are in the server's log under it\. Change a filter or reload the page to try again\.", message)
    assert found, message
    assert "boom" not in _texts(at) and "Traceback" not in _texts(at)
    assert f"[ref {found.group(1)}]" in caplog.text
    assert "RuntimeError: boom in /srv/secret/path.py" in caplog.text and "Traceback" in caplog.text


def test_control_flow_passes_through_the_error_wrapper(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    monkeypatch.setattr(sys.modules["face"], "show_notes", lambda ctx: st.stop())
    at.run()
    assert not at.exception and not at.error
    assert [t.value for t in at.title] == ["Overview"]  # stopped right after the title, no error shown


def test_a_held_database_shows_a_page_that_retries(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = store.connect

    def busy(path: object = None) -> duckdb.DuckDBPyConnection:
        raise store.DatabaseBusyError(str(path), 4242, "/usr/bin/python3")

    monkeypatch.setattr(store, "connect", busy)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception and not at.error
    assert [w.value for w in at.warning] == [  # Markdown source: the path and program are escaped, shown as written
        f"The database {md(str(app_db))} is in use by {md('process 4242 (/usr/bin/python3)')}. Retrying every 5 seconds…"]
    assert "Traceback" not in _texts(at)
    monkeypatch.setattr(store, "connect", real_connect)
    at.button[0].click().run()
    assert not at.warning and not at.exception
    assert [t.value for t in at.title] == ["Overview"]


def test_under_test_a_failing_page_is_also_an_exception(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite sets PASSAPAROLA_RAISE_PAGE_ERRORS, so its many ``assert not at.exception`` still catch a failing page."""
    monkeypatch.setenv("PASSAPAROLA_RAISE_PAGE_ERRORS", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()

    def broken(ctx: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(sys.modules["face"], "show_notes", broken)
    at.run()
    assert len(at.exception) == 1 and len(at.error) == 1


def test_a_snapshot_leaves_out_what_is_not_committed(db: Path) -> None:
    from nps.store import sql

    con = store.connect(db)
    try:
        writer = con.cursor()
        sql.execute(writer, "BEGIN TRANSACTION")
        sql.execute(writer, "CREATE TABLE half_loaded AS SELECT 1 AS x")
        snap = store.write_snapshot(con.cursor(), db)
        sql.execute(writer, "COMMIT")
    finally:
        con.close()
    reader = duckdb.connect(str(snap), read_only=True)
    try:
        tables = {name for (name,) in sql.fetch_all(reader, "SELECT table_name FROM duckdb_tables()")}
    finally:
        reader.close()
    assert "half_loaded" not in tables and {"datasets", "responses_1"} <= tables


def test_the_app_runs_one_scheduler_per_database_that_writes_the_snapshot(
    app_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PASSAPAROLA_SNAPSHOT_MINUTES", "0.02")  # the first one 1.2 s after the start
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    app = sys.modules["face.session"]
    jobs = app.jobs()
    assert sorted(jobs.jobs()) == ["follow-up sweep", "housekeeping", "indicator alerts", "notifications", "review packs", "snapshot"] and jobs.running
    at.run()
    AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()  # another session
    assert app.jobs() is jobs
    snap = store.snapshot_path(app_db)
    deadline = time.monotonic() + 60  # a bound, not a timing: the job runs 1.2 s after the start
    while not (snap.exists() and jobs.jobs()["snapshot"].runs) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert snap.exists() and jobs.jobs()["snapshot"].last_error is None


def test_the_snapshot_interval_is_configured_in_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    from nps.store import scheduler as sched

    monkeypatch.delenv(sched.SNAPSHOT_ENV, raising=False)
    assert sched.snapshot_interval() == 600.0
    monkeypatch.setenv(sched.SNAPSHOT_ENV, "2.5")
    assert sched.snapshot_interval() == 150.0
    monkeypatch.setenv(sched.SNAPSHOT_ENV, "0")
    assert sched.snapshot_interval() is None
    for bad in ("often", "-1"):
        monkeypatch.setenv(sched.SNAPSHOT_ENV, bad)
        with pytest.raises(ValueError, match="number of minutes"):
            sched.snapshot_interval()


def test_no_snapshot_job_when_snapshots_are_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from nps.store import scheduler as sched

    monkeypatch.setenv(sched.SNAPSHOT_ENV, "0")
    con = duckdb.connect()
    try:
        jobs = sched.standard_jobs(sched.Scheduler(con), tmp_path / "x.duckdb")
        assert sorted(jobs.jobs()) == ["housekeeping"]
    finally:
        con.close()


def test_a_scheduler_still_running_a_query_at_exit_lets_the_process_end_cleanly(tmp_path: Path) -> None:
    # A daemon thread inside DuckDB when Python finalises aborts the process ("FATAL: exception not
    # rethrown"); the scheduler module stops (and interrupts) its schedulers at exit instead.
    code = (
        "import duckdb, threading\n"
        "from nps.store import scheduler\n"
        "con = duckdb.connect()\n"
        "started = threading.Event()\n"
        "def busy(cur):\n"
        "    started.set()\n"
        "    cur.execute('SELECT count(*) FROM range(10000000000) a')\n"
        "s = scheduler.Scheduler(con)\n"
        "s.register('busy', 3600, busy)\n"
        "s.start()\n"
        "started.wait(30)\n"
        "print('exiting', flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "exiting"
    assert done.returncode == 0, done.stderr[-2000:]
