"""Opening the database: its path, the file lock (:class:`DatabaseBusyError`), and the read-only snapshot.

DuckDB lets one process open a file for writing. :func:`connect` opens (creating
it if needed) and applies the schema's pending migrations; while another process
(the app server) owns the file, :func:`connect_read_only` reads the snapshot its
owner writes with :func:`write_snapshot`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from nps.errors import NpsError
from nps.store import sql
from nps.store.schema import ensure_schema
from nps.store.transactions import transaction

DB_ENV = "PASSAPAROLA_DB"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = PROJECT_ROOT / "data" / "passaparola.duckdb"

def default_db_path() -> Path:
    """The database file: ``$PASSAPAROLA_DB`` if set, else ``data/passaparola.duckdb``."""
    env = os.environ.get(DB_ENV)
    return Path(env) if env else DEFAULT_DB


class DatabaseBusyError(NpsError):
    """The database file is held by another process (DuckDB lets one process open a file for writing).

    ``path`` is the file, ``pid`` and ``holder`` (its program) the process that holds it, where DuckDB
    names them (else None). ``str(error)`` says so in one line.
    """

    def __init__(self, path: str | Path, pid: int | None, holder: str | None, extra: str = "") -> None:
        self.path = str(path)
        self.pid = pid
        self.holder = holder
        who = f"process {pid}" + (f" ({holder})" if holder else "") if pid else "another process"
        super().__init__(f"the database {path} is in use by {who}{extra}")


_LOCK_HELD = re.compile(
    r'Could not set lock on file "[^"]*"(?:: Conflicting lock is held in (?P<holder>.*?) \(PID (?P<pid>\d+)\))?'
)


def _busy(error: BaseException, path: str | Path) -> DatabaseBusyError | None:
    """The DatabaseBusyError a DuckDB error stands for, or None when it is another error."""
    found = _LOCK_HELD.search(str(error)) if isinstance(error, duckdb.IOException) else None
    if found is None:
        return None
    pid = found.group("pid")
    return DatabaseBusyError(path, int(pid) if pid else None, found.group("holder"))


def connect(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a database and apply the schema's pending migrations (once: see :func:`ensure_schema`).

    Nothing else is written: what a killed load left behind is removed before the
    next load and by the server's housekeeping (:func:`remove_leftovers`), not by a
    connect that may only read. ``path`` ``":memory:"`` gives an in-memory database. Callers keep one
    connection per file per process and take ``.cursor()`` per thread.
    Raises :class:`DatabaseBusyError` when another process holds the file.
    """
    target = ":memory:" if path == ":memory:" else str(path or default_db_path())
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(target)
    except duckdb.IOException as error:
        busy = _busy(error, target)
        if busy is None:
            raise
        raise busy from None
    ensure_schema(con)
    return con


# --- the snapshot: what a reader gets while the server owns the database ----------------------


def snapshot_path(path: str | Path) -> Path:
    """Where the snapshot of the database at ``path`` is kept: ``NAME.snapshot.duckdb`` beside it."""
    db = Path(path)
    return db.with_name(f"{db.stem}.snapshot.duckdb")


def file_fingerprint(path: str | Path) -> tuple[int, ...]:
    """Modification times (ns) and sizes of the database file and its write-ahead log: changes with every commit."""
    parts: list[int] = []
    for file in (Path(path), Path(f"{path}.wal")):
        try:
            st = file.stat()
            parts += [st.st_mtime_ns, st.st_size]
        except FileNotFoundError:
            parts += [0, 0]
    return tuple(parts)


def checkpoint(cur: duckdb.DuckDBPyConnection) -> None:
    """Write the write-ahead log into the database file (running transactions are not disturbed)."""
    sql.execute(cur, "CHECKPOINT")


def write_snapshot(cur: duckdb.DuckDBPyConnection, path: str | Path) -> Path:
    """Copy the database ``cur`` is connected to (the file ``path``) into :func:`snapshot_path`; returns it.

    The copy is one transaction (consistent: every dataset whole, as committed when it
    began), written under a temporary name and renamed over the old snapshot, so a
    reader opens either the old or the new one, never half of one.
    """
    final = snapshot_path(path)
    temporary = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    # Only the process that owns the database writes its snapshot, so any other temporary one was left by
    # an owner killed while writing it.
    for leftover in final.parent.glob(f".{final.name}.*.tmp*"):
        leftover.unlink(missing_ok=True)
    alias = "passaparola_snapshot"
    source = sql.quote_ident(str(sql.fetch_value(cur, "SELECT current_database()")))
    sql.execute(cur, f"ATTACH ? AS {alias}", [str(temporary)])
    try:
        with transaction(cur):
            sql.execute(cur, f"COPY FROM DATABASE {source} TO {alias}")
        sql.execute(cur, f"CHECKPOINT {alias}")
    finally:
        sql.execute(cur, f"DETACH {alias}")
    try:
        shutil.copymode(path, temporary)  # readable by whom the database is readable by
    except OSError:
        pass
    os.replace(temporary, final)
    return final


@dataclass
class ReadOnlyDatabase:
    """A connection for reading while another process may own the database.

    ``con`` reads the database itself when no process holds it, else its snapshot:
    then ``snapshot_taken`` is when the snapshot was written and ``busy`` says which
    process holds the database. :meth:`close` closes it (and removes a private copy).
    """

    con: duckdb.DuckDBPyConnection
    path: Path
    snapshot_taken: dt.datetime | None = None
    busy: DatabaseBusyError | None = None
    _copy_dir: str | None = None

    def close(self) -> None:
        """Close the connection and remove the private copy, if one was made."""
        self.con.close()
        if self._copy_dir:
            shutil.rmtree(self._copy_dir, ignore_errors=True)


def connect_read_only(path: str | Path | None = None, *, writable_copy: bool = False) -> ReadOnlyDatabase:
    """Open the database at ``path`` for reading: itself when free, else the snapshot its owner wrote.

    ``writable_copy``: read a private copy instead (removed by ``close()``), for readers that store
    derived data such as comment tags (the copy gets the schema migrations it lacks); the database
    and the snapshot are never written.
    Raises NpsError when there is no database, and :class:`DatabaseBusyError` when another process
    holds it and there is no snapshot yet.
    """
    target = Path(path or default_db_path())
    if not target.exists():
        raise NpsError(f"{target}: no such database")
    busy: DatabaseBusyError | None = None
    try:
        probe = duckdb.connect(str(target), read_only=True)
    except duckdb.IOException as error:
        busy = _busy(error, target)
        if busy is None:
            raise
    else:
        if not writable_copy:
            return ReadOnlyDatabase(probe, target)
        probe.close()
    source, taken = target, None
    if busy is not None:
        source = snapshot_path(target)
        if not source.exists():
            raise DatabaseBusyError(busy.path, busy.pid, busy.holder,
                                    extra=", and no snapshot of it has been written yet (the app writes one "
                                          "as it starts and within a minute of each change): stop the app to read the database itself")
        taken = dt.datetime.fromtimestamp(source.stat().st_mtime)
    if not writable_copy:
        return ReadOnlyDatabase(duckdb.connect(str(source), read_only=True), source, taken, busy)
    folder = tempfile.mkdtemp(prefix="passaparola-read-")  # private (0700) to this user
    try:
        copy = Path(folder) / "copy.duckdb"
        shutil.copyfile(source, copy)
        if Path(f"{source}.wal").exists():
            shutil.copyfile(f"{source}.wal", f"{copy}.wal")
        con = duckdb.connect(str(copy))
        try:
            # The copy may be of a database made before the migrations its derived data needs (comment tags).
            ensure_schema(con)
        except BaseException:
            con.close()
            raise
        return ReadOnlyDatabase(con, source, taken, busy, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise

