"""Issue 9: a load killed mid-way (kill -9) leaves no table in the database and no file on disk once the next
load has started; the scratch folders and uploads are private to the server's user."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import duckdb
import openpyxl
import pytest

from nps import ingest, store
from nps.store import sql
from nps.ingest import tempfiles

ROOT = Path(__file__).resolve().parent.parent

# Runs a load in a child process and parks it between the two commits of a new dataset
# (after the first has written responses_1, rejected_1 and load_flags_1), then waits to be killed.
CHILD = textwrap.dedent(
    """
    import sys, time, pathlib
    from nps import ingest, store
    from nps.ingest import load
    db, data, marker = sys.argv[1:4]
    def parked(*args, **kwargs):
        pathlib.Path(marker).write_text("between the commits")
        time.sleep(600)
    load.finish_wave = parked
    con = store.connect(db)
    ingest.ingest_file(con, data)
    """
)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temp files of this process and its children go under tmp_path."""
    base = tmp_path / "tmp"
    base.mkdir()
    monkeypatch.setenv("TMPDIR", str(base))
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    return base


def workbook(path: Path) -> None:
    """A sheet of 30 responses, three of them with a score that is rejected (so the load writes its flags)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NPS", "segment"])
    for i in range(30):
        sheet.append(["n/a" if i % 10 == 0 else i % 11, ["B2B", "B2C"][i % 2]])
    book.save(path)


def load_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables a load writes (a dataset's responses and rejected rows, a load's flags)."""
    rows = sql.fetch_all(con, "SELECT table_name FROM duckdb_tables() WHERE table_name "
                              "SIMILAR TO '(responses|rejected|load_flags)_[0-9]+' ORDER BY 1")
    return [str(n) for (n,) in rows]


def test_a_load_killed_between_its_commits_leaves_nothing_after_the_next_load(tmp_path: Path, private_tmp: Path) -> None:
    db, data, marker = tmp_path / "a.duckdb", tmp_path / "survey.xlsx", tmp_path / "parked"
    workbook(data)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(data), str(marker)], cwd=ROOT,
                             env={**os.environ, "TMPDIR": str(private_tmp)}, stderr=subprocess.PIPE)
    try:
        while not marker.exists():
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            time.sleep(0.05)
        scratch = private_tmp / f"passaparola-{os.getuid()}"
        (left_folder,) = scratch.glob(f"load-{child.pid}-*")  # the sheet converted to CSV
        assert [p.suffix for p in left_folder.iterdir()] == [".csv"]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    # What the killed load left: the first commit's three tables, no catalog row, its scratch folder.
    raw = duckdb.connect(str(db))
    try:
        assert load_tables(raw) == ["load_flags_1", "rejected_1", "responses_1"]
        assert sql.fetch_value(raw, "SELECT count(*) FROM datasets") == 0
    finally:
        raw.close()
    assert left_folder.exists()

    # The next load starts by removing them: only its own dataset's tables remain, and no folder.
    con = duckdb.connect(str(db))
    try:
        report = ingest.ingest_file(con, data, allow_duplicate=True)
        left = load_tables(con)
    finally:
        con.close()
    assert (report.dataset.id, report.accepted, report.rejected) == (2, 27, 3)
    assert left == ["rejected_2", "responses_2"]
    assert not left_folder.exists()
    assert list(scratch.iterdir()) == []  # the new load's own folder is gone too


def test_leftovers_of_a_load_under_way_in_this_process_are_kept() -> None:
    con = store.connect(":memory:")
    try:
        for table in ("load_flags_7", "responses_7", "rejected_7", "load_flags_8", "responses_9", "comment_tags_9"):
            sql.execute(con, f"CREATE TABLE {sql.table(table)} (a INTEGER)")
        with store.loading(7):
            assert store.remove_leftovers(con) == ["comment_tags_9", "load_flags_8", "responses_9"]
        assert store.remove_leftovers(con) == ["load_flags_7", "rejected_7", "responses_7"]
        assert store.remove_leftovers(con) == []
    finally:
        con.close()


def test_scratch_folders_are_private_and_named_by_process(private_tmp: Path) -> None:
    folder = tempfiles.new_workspace()
    assert folder.parent == private_tmp / f"passaparola-{os.getuid()}"
    assert folder.name.startswith(f"load-{os.getpid()}-")
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = folder.parent / f"load-{dead.stdout.strip()}-abc"
    stale.mkdir()
    (stale / "part1.csv").write_text("x")
    assert tempfiles.remove_stale_workspaces() == [stale]
    assert folder.exists()  # this process's own folder stays


def test_uploads_are_private_streamed_and_expire(private_tmp: Path) -> None:
    data = b"NPS,segment\n" + b"".join(f"{i % 11},B2B\n".encode() for i in range(300_000))
    path, sha = tempfiles.save_upload(io.BytesIO(data), suffix=".csv", owner="s1")
    assert sha == hashlib.sha256(data).hexdigest()
    assert path == private_tmp / f"passaparola-{os.getuid()}" / "uploads" / f"{sha}-s1.csv"
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert tempfiles.remove_stale_uploads() == []
    old = time.time() - tempfiles.UPLOAD_TTL - 10
    os.utime(path, (old, old))
    assert tempfiles.touch_upload(path)  # in use again: kept
    assert tempfiles.remove_stale_uploads() == []
    os.utime(path, (old, old))
    assert tempfiles.remove_stale_uploads() == [path]
    assert not tempfiles.touch_upload(path)


def test_a_temp_folder_of_another_kind_is_refused(private_tmp: Path) -> None:
    (private_tmp / f"passaparola-{os.getuid()}").write_text("not a folder")
    with pytest.raises(PermissionError, match="is not a folder of this user"):
        tempfiles.private_temp_dir()
