"""The database: where datasets live, the catalog of datasets, and opening connections.

A database file holds any number of datasets. Each dataset has a catalog row in
``datasets``, a table of accepted responses ``responses_<id>`` and a table of
rejected rows ``rejected_<id>``. The tables every dataset shares (the catalog,
targets, history, codebooks, the tagging catalog) have one schema, here: ordered
migrations applied once at connect (:data:`_MIGRATIONS`). Writes run in
:func:`transaction`. All SQL runs through :mod:`nps.store.sql`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from nps.store import sql
from nps.errors import AmbiguousDatasetError, NpsError, UnknownDatasetError

DB_ENV = "PASSAPAROLA_DB"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = PROJECT_ROOT / "data" / "passaparola.duckdb"

_SCHEMA = [
    "CREATE SEQUENCE IF NOT EXISTS dataset_ids START 1",
    """
    CREATE TABLE IF NOT EXISTS datasets (
        id INTEGER PRIMARY KEY,
        name VARCHAR NOT NULL,
        source_file VARCHAR,
        size_bytes BIGINT,
        sha256 VARCHAR,
        format VARCHAR,
        layout VARCHAR,
        encoding VARCHAR,
        mapping JSON,
        columns JSON,
        labels JSON,
        loaded_at TIMESTAMP,
        rows_read BIGINT,
        accepted BIGINT,
        rejected BIGINT,
        warnings JSON,
        waves INTEGER,
        kind VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS dataset_files (
        dataset_id INTEGER,
        wave INTEGER,
        source_file VARCHAR,
        size_bytes BIGINT,
        sha256 VARCHAR,
        loaded_at TIMESTAMP,
        rows_read BIGINT,
        accepted BIGINT,
        rejected BIGINT
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS targets (
        dataset_id INTEGER,
        dimension VARCHAR,
        value VARCHAR,
        target DOUBLE,
        updated_at TIMESTAMP,
        PRIMARY KEY (dataset_id, dimension, value)
    )
    """,
]

# The one schema of the tables every dataset shares: ordered, numbered migrations, each applied once
# (at connect) and recorded in ``schema_migrations`` (like Datasette's internal database). No other
# module creates or alters a shared table; per-dataset tables (``responses_<id>``, ``rejected_<id>``,
# ``comment_tags_<id>``) are made by the code that fills them. Version 1 is the original catalog, and
# every migration is written with IF NOT EXISTS, so that databases that made a table before it had a
# migration (before migrations existed, or before 3 and 4, when codebooks and themes made their own
# on first read) take it as it is.
_MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "catalog: datasets, their files, targets", tuple(_SCHEMA)),
    (
        2,
        "dataset_history: changes made to a dataset after loading",
        (
            """
            CREATE TABLE IF NOT EXISTS dataset_history (
                dataset_id INTEGER,
                changed_at TIMESTAMP,
                action VARCHAR,
                summary VARCHAR,
                mapping_before JSON,
                mapping_after JSON,
                accepted_before BIGINT,
                accepted_after BIGINT,
                rejected_before BIGINT,
                rejected_after BIGINT
            )
            """,
        ),
    ),
    (
        3,
        "codebooks: the saved versions of the codebook (nps.text.codebooks)",
        (
            """
            CREATE TABLE IF NOT EXISTS codebooks (
                number INTEGER PRIMARY KEY,
                version VARCHAR NOT NULL,
                saved_at TIMESTAMP,
                note VARCHAR,
                content VARCHAR
            )
            """,
        ),
    ),
    (
        4,
        "comment_tagging: which datasets are tagged with which codebook version (nps.text.themes)",
        (
            # Databases made before this migration may hold the table already (the theme reads made it),
            # some of them without ``waves`` (the waves the tags cover: a dataset with a wave appended
            # since is tagged again).
            """
            CREATE TABLE IF NOT EXISTS comment_tagging (
                dataset_id INTEGER,
                codebook_version VARCHAR,
                tagged_at TIMESTAMP,
                comments BIGINT,
                waves INTEGER,
                PRIMARY KEY (dataset_id, codebook_version)
            )
            """,
            "ALTER TABLE comment_tagging ADD COLUMN IF NOT EXISTS waves INTEGER",
        ),
    ),
)


@dataclass(frozen=True)
class ColumnMapping:
    """Which of the file's columns plays which role, and why the detector chose it.

    Every name is a column of the dataset (as stored), but for a throwaway load
    (``ingest_file(keep=…)``), which may leave out the score's and the date's own
    text since ``_score`` and ``_date`` hold them. ``reasons`` maps a role
    (``score``, ``date``, ``comment``, ``respondent``, ``weight`` or a dimension's
    column name) to a sentence a user can read.
    """

    score: str
    date: str | None = None
    comment: str | None = None
    respondent: str | None = None
    weight: str | None = None
    dimensions: tuple[str, ...] = ()
    survey_type: str | None = None
    date_order: str | None = None
    reasons: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def to_json(self) -> str:
        """Serialise for the catalog."""
        return json.dumps(asdict(self) | {"dimensions": list(self.dimensions)})

    @classmethod
    def from_json(cls, text: str | dict[str, Any]) -> ColumnMapping:
        """Read back what :meth:`to_json` wrote."""
        data = json.loads(text) if isinstance(text, str) else dict(text)
        data["dimensions"] = tuple(data.get("dimensions") or ())
        data["reasons"] = dict(data.get("reasons") or {})
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Dataset:
    """One dataset's catalog record.

    ``columns`` are the file's own columns as stored (the allow-list for SQL);
    ``labels`` maps a stored column to its question text where the file had one
    (multi-row headers). ``kind`` is ``customer`` or ``employee``.
    """

    id: int
    name: str
    source_file: str | None
    size_bytes: int | None
    sha256: str | None
    format: str | None
    layout: str | None
    encoding: str | None
    mapping: ColumnMapping
    columns: tuple[str, ...]
    labels: dict[str, str] = field(hash=False, compare=False)
    loaded_at: dt.datetime | None = None
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    warnings: tuple[str, ...] = ()
    waves: int = 1
    kind: str = "customer"

    @property
    def table(self) -> str:
        """Name of the accepted-responses table."""
        return f"responses_{self.id}"

    @property
    def rejected_table(self) -> str:
        """Name of the rejected-rows table."""
        return f"rejected_{self.id}"

    @property
    def all_columns(self) -> tuple[str, ...]:
        """Every column of the responses table: the reserved ones, then the file's own."""
        return sql.RESERVED + self.columns


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


# --- transactions ------------------------------------------------------------------------------

# The cursors inside a transaction() now (by id: a cursor in the set is kept alive by its ``with``).
_IN_TRANSACTION: set[int] = set()
_IN_TRANSACTION_LOCK = threading.Lock()


class NestedTransactionError(NpsError):
    """A :func:`transaction` was opened on a cursor that is already inside one (DuckDB has no nesting)."""


@contextmanager
def transaction(cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the ``with`` block as one transaction of ``cur``: BEGIN, then COMMIT, or ROLLBACK on any exception.

    Any exception (KeyboardInterrupt and other BaseExceptions too, and a COMMIT that fails) rolls
    back and is raised again, unchanged. A COMMIT that fails has ended the transaction already, so
    the ROLLBACK after it may fail: that error is dropped in favour of the first one.
    Transactions do not nest (DuckDB has no savepoints, and a BEGIN inside a transaction aborts
    it): opening one on a cursor inside another raises :class:`NestedTransactionError` and leaves
    the outer one as it was. Helpers meant to run inside the caller's transaction say so and open none.
    """
    key = id(cur)
    with _IN_TRANSACTION_LOCK:
        if key in _IN_TRANSACTION:
            raise NestedTransactionError(
                "a transaction is already open on this cursor: transactions do not nest "
                "(run the inner statements in the outer transaction, or use another cursor)"
            )
        _IN_TRANSACTION.add(key)
    try:
        sql.execute(cur, "BEGIN TRANSACTION")
        try:
            yield
            sql.execute(cur, "COMMIT")
        except BaseException:
            try:
                sql.execute(cur, "ROLLBACK")
            except duckdb.Error:
                pass  # no transaction left to roll back (a failed COMMIT ends it)
            raise
    finally:
        with _IN_TRANSACTION_LOCK:
            _IN_TRANSACTION.discard(key)


def ensure_schema(cur: duckdb.DuckDBPyConnection) -> None:
    """Apply the schema migrations this database has not had yet, in order, each in its own transaction."""
    sql.execute(
        cur,
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, note VARCHAR, applied_at TIMESTAMP)",
    )
    applied = {int(v) for (v,) in sql.fetch_all(cur, "SELECT version FROM schema_migrations")}
    for version, note, statements in _MIGRATIONS:
        if version in applied:
            continue
        with transaction(cur):
            for statement in statements:
                sql.execute(cur, statement)
            sql.execute(cur, "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, note, dt.datetime.now()])


def schema_version(cur: duckdb.DuckDBPyConnection) -> int:
    """The number of the last schema migration applied to this database (0 for none)."""
    return int(sql.fetch_value(cur, "SELECT coalesce(max(version), 0) FROM schema_migrations") or 0)


# Dataset ids whose load is under way in this process. Between the two commits of a new dataset
# its tables exist without a catalog row; another session's load must not take them for leftovers.
# (Only one process writes a database file, so the loads of this process are all there are.)
_LOADING: set[int] = set()
_LOADING_LOCK = threading.Lock()
_DATASET_LOCKS: dict[int, threading.Lock] = {}
# Tables a load or a remap writes, by prefix; <id> is the dataset's.
_LEFTOVER_TABLES = r"^(responses|rejected|comment_tags|load_flags|remap_responses|remap_rejected)_([0-9]+)$"


@contextmanager
def loading(dataset_id: int) -> Iterator[None]:
    """Hold ``dataset_id`` for one load or append in this process: :func:`remove_leftovers` leaves its tables alone.

    One load of a dataset at a time: a second append waits here until the first has
    committed (two at once made DuckDB refuse the second's catalog update as a write conflict).
    """
    with _LOADING_LOCK:
        lock = _DATASET_LOCKS.setdefault(dataset_id, threading.Lock())
    with lock:
        with _LOADING_LOCK:
            _LOADING.add(dataset_id)
        try:
            yield
        finally:
            with _LOADING_LOCK:
                _LOADING.discard(dataset_id)


def remove_leftovers(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Drop what a load or remap killed mid-way (kill -9, power cut) left in the database; return the names.

    A leftover is a ``load_flags_<id>`` table (a load's scratch table, dropped before its last commit)
    or a ``responses_`` / ``rejected_`` / ``comment_tags_`` / ``remap_*_<id>`` table whose dataset has
    no catalog row, unless a load of that id is under way in this process (:func:`loading`).
    One transaction; call it before a load and when a database is opened for writing.
    """
    with _LOADING_LOCK:
        busy = sorted(_LOADING)
    rows = sql.fetch_all(
        cur,
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND regexp_matches(table_name, ?) "
        "AND NOT list_contains(?::INTEGER[], CAST(regexp_extract(table_name, ?, 2) AS INTEGER)) "
        "AND (starts_with(table_name, 'load_flags_') "
        "OR CAST(regexp_extract(table_name, ?, 2) AS INTEGER) NOT IN (SELECT id FROM datasets)) ORDER BY table_name",
        [_LEFTOVER_TABLES, busy, _LEFTOVER_TABLES, _LEFTOVER_TABLES],
    )
    dropped = [str(name) for (name,) in rows]
    if not dropped:
        return dropped
    with transaction(cur):
        for name in dropped:
            sql.execute(cur, f"DROP TABLE IF EXISTS {sql.table(name)}")
    return dropped


_DATASET_COLUMNS = (
    "id, name, source_file, size_bytes, sha256, format, layout, encoding, mapping, columns, labels, "
    "loaded_at, rows_read, accepted, rejected, warnings, waves, kind"
)


def _row_to_dataset(row: tuple[Any, ...]) -> Dataset:
    (id_, name, source_file, size, sha, fmt, layout, enc, mapping, columns, labels,
     loaded_at, rows_read, accepted, rejected, warnings, waves, kind) = row
    return Dataset(
        id=int(id_),
        name=name,
        source_file=source_file,
        size_bytes=size,
        sha256=sha,
        format=fmt,
        layout=layout,
        encoding=enc,
        mapping=ColumnMapping.from_json(mapping),
        columns=tuple(json.loads(columns) if columns else ()),
        labels=dict(json.loads(labels) if labels else {}),
        loaded_at=loaded_at,
        rows_read=int(rows_read or 0),
        accepted=int(accepted or 0),
        rejected=int(rejected or 0),
        warnings=tuple(json.loads(warnings) if warnings else ()),
        waves=int(waves or 1),
        kind=kind or "customer",
    )


def list_datasets(cur: duckdb.DuckDBPyConnection) -> list[Dataset]:
    """All datasets, newest first."""
    rows = sql.fetch_all(cur, f"SELECT {_DATASET_COLUMNS} FROM datasets ORDER BY id DESC")
    return [_row_to_dataset(r) for r in rows]


def get_dataset(cur: duckdb.DuckDBPyConnection, key: int | str) -> Dataset:
    """The dataset with this id (int or digits) or exact name; raises :class:`UnknownDatasetError`."""
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        row = sql.fetch_one(cur, f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE id = ?", [int(key)])
    else:
        row = sql.fetch_one(
            cur, f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE name = ? ORDER BY id DESC LIMIT 1", [key]
        )
    if row is None:
        names = ", ".join(f"{d.id} ({d.name})" for d in list_datasets(cur)) or "none yet"
        raise UnknownDatasetError(f"no dataset {key!r} in this database; datasets: {names}")
    return _row_to_dataset(row)


def find_by_sha256(cur: duckdb.DuckDBPyConnection, sha256: str) -> Dataset | None:
    """The dataset one of whose waves came from a file with this sha256, if any."""
    row = sql.fetch_one(
        cur,
        f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE sha256 = ? OR id IN "
        "(SELECT dataset_id FROM dataset_files WHERE sha256 = ?) ORDER BY id LIMIT 1",
        [sha256, sha256],
    )
    return None if row is None else _row_to_dataset(row)


@dataclass(frozen=True)
class LoadedFile:
    """Where a file (by its sha256) was loaded before: the dataset, the wave, when."""

    dataset: Dataset
    wave: int
    loaded_at: dt.datetime | None


def find_loaded_file(cur: duckdb.DuckDBPyConnection, sha256: str) -> LoadedFile | None:
    """The first dataset and wave loaded from a file with this sha256, if any."""
    row = sql.fetch_one(
        cur,
        "SELECT dataset_id, wave, loaded_at FROM dataset_files WHERE sha256 = ? AND dataset_id IN "
        "(SELECT id FROM datasets) ORDER BY dataset_id, wave LIMIT 1",
        [sha256],
    )
    if row is None:
        found = find_by_sha256(cur, sha256)
        return None if found is None else LoadedFile(found, 1, found.loaded_at)
    return LoadedFile(get_dataset(cur, int(row[0])), int(row[1]), row[2])


def find_dataset(cur: duckdb.DuckDBPyConnection, key: int | str) -> Dataset:
    """The dataset with this id, or the one dataset with this exact name.

    Unlike :func:`get_dataset` it refuses a name that several datasets share
    (:class:`AmbiguousDatasetError`, listing their ids), for commands that write to the dataset.
    """
    if isinstance(key, int) or (isinstance(key, str) and key.strip().isdigit()):
        return get_dataset(cur, int(key))
    rows = sql.fetch_all(cur, f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE name = ? ORDER BY id", [key])
    if len(rows) > 1:
        found = [_row_to_dataset(r) for r in rows]
        listed = "; ".join(
            f"{d.id} ({d.accepted:,} responses, {d.waves} wave(s)"
            + (f", loaded {d.loaded_at:%Y-%m-%d %H:%M})" if d.loaded_at else ")")
            for d in found
        )
        raise AmbiguousDatasetError(
            f"{len(found)} datasets are named {key!r}: {listed}; give the id instead of the name"
        )
    return get_dataset(cur, key)


def next_dataset_id(cur: duckdb.DuckDBPyConnection) -> int:
    """Reserve a new dataset id."""
    return int(sql.fetch_value(cur, "SELECT nextval('dataset_ids')"))


def insert_dataset(cur: duckdb.DuckDBPyConnection, ds: Dataset) -> None:
    """Write a catalog row (inside the caller's transaction) and its first file record."""
    sql.execute(
        cur,
        f"INSERT INTO datasets ({_DATASET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ds.id, ds.name, ds.source_file, ds.size_bytes, ds.sha256, ds.format, ds.layout, ds.encoding,
            ds.mapping.to_json(), json.dumps(list(ds.columns)), json.dumps(ds.labels),
            ds.loaded_at or dt.datetime.now(), ds.rows_read, ds.accepted, ds.rejected,
            json.dumps(list(ds.warnings)), ds.waves, ds.kind,
        ],
    )
    record_file(cur, ds.id, 1, ds.source_file, ds.size_bytes, ds.sha256, ds.rows_read, ds.accepted, ds.rejected)


def record_file(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    wave: int,
    source_file: str | None,
    size_bytes: int | None,
    sha256: str | None,
    rows_read: int,
    accepted: int,
    rejected: int,
) -> None:
    """Remember which file became which wave of a dataset."""
    sql.execute(
        cur,
        "INSERT INTO dataset_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [dataset_id, wave, source_file, size_bytes, sha256, dt.datetime.now(), rows_read, accepted, rejected],
    )


def update_counts(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, *, rows_read: int, accepted: int, rejected: int,
    waves: int, warnings: tuple[str, ...],
) -> None:
    """Update a dataset's totals after a wave is appended (inside the caller's transaction)."""
    sql.execute(
        cur,
        "UPDATE datasets SET rows_read = ?, accepted = ?, rejected = ?, waves = ?, warnings = ? WHERE id = ?",
        [rows_read, accepted, rejected, waves, json.dumps(list(warnings)), dataset_id],
    )


def rename_dataset(cur: duckdb.DuckDBPyConnection, dataset_id: int, name: str) -> None:
    """Give a dataset a new name (non-empty, stripped)."""
    name = name.strip()
    if not name:
        raise ValueError("a dataset needs a name")
    get_dataset(cur, dataset_id)
    sql.execute(cur, "UPDATE datasets SET name = ? WHERE id = ?", [name, dataset_id])


def delete_dataset(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Delete a dataset, its tables (responses, rejected rows, comment tags) and its records, all or nothing."""
    ds = get_dataset(cur, dataset_id)
    with transaction(cur):
        sql.execute(cur, f"DROP TABLE IF EXISTS {sql.table(ds.table)}")
        sql.execute(cur, f"DROP TABLE IF EXISTS {sql.table(ds.rejected_table)}")
        sql.execute(cur, "DELETE FROM dataset_files WHERE dataset_id = ?", [dataset_id])
        sql.execute(cur, "DELETE FROM targets WHERE dataset_id = ?", [dataset_id])
        sql.execute(cur, "DELETE FROM dataset_history WHERE dataset_id = ?", [dataset_id])
        # A later dataset may get this id again and must not inherit its tags.
        forget_comment_tags(cur, dataset_id)
        sql.execute(cur, "DELETE FROM datasets WHERE id = ?", [dataset_id])


def forget_comment_tags(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Drop a dataset's comment tags (nps.text.themes) so that they are made again (inside the caller's transaction)."""
    sql.execute(cur, f"DROP TABLE IF EXISTS {sql.table(f'comment_tags_{dataset_id}')}")
    sql.execute(cur, "DELETE FROM comment_tagging WHERE dataset_id = ?", [dataset_id])


@dataclass(frozen=True)
class HistoryEntry:
    """One change made to a dataset after it was loaded: when, what, and the counts before and after."""

    dataset_id: int
    changed_at: dt.datetime
    action: str
    summary: str
    mapping_before: ColumnMapping
    mapping_after: ColumnMapping
    accepted_before: int
    accepted_after: int
    rejected_before: int
    rejected_after: int


def record_history(cur: duckdb.DuckDBPyConnection, entry: HistoryEntry) -> None:
    """Add a change to a dataset's history (inside the caller's transaction)."""
    sql.execute(
        cur,
        "INSERT INTO dataset_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            entry.dataset_id, entry.changed_at, entry.action, entry.summary, entry.mapping_before.to_json(),
            entry.mapping_after.to_json(), entry.accepted_before, entry.accepted_after, entry.rejected_before,
            entry.rejected_after,
        ],
    )


def dataset_history(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> list[HistoryEntry]:
    """A dataset's changes after loading, oldest first."""
    rows = sql.fetch_all(
        cur,
        "SELECT dataset_id, changed_at, action, summary, mapping_before, mapping_after, accepted_before, "
        "accepted_after, rejected_before, rejected_after FROM dataset_history WHERE dataset_id = ? "
        "ORDER BY changed_at, rowid",
        [dataset_id],
    )
    return [
        HistoryEntry(
            dataset_id=int(r[0]), changed_at=r[1], action=str(r[2]), summary=str(r[3]),
            mapping_before=ColumnMapping.from_json(r[4]), mapping_after=ColumnMapping.from_json(r[5]),
            accepted_before=int(r[6]), accepted_after=int(r[7]), rejected_before=int(r[8]), rejected_after=int(r[9]),
        )
        for r in rows
    ]


def update_mapping(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    mapping: ColumnMapping,
    *,
    accepted: int,
    rejected: int,
    per_wave: dict[int, tuple[int, int]],
    warnings: tuple[str, ...],
) -> None:
    """Store a dataset's new mapping, counts (in total and ``per_wave``: accepted, rejected) and warnings.

    Runs inside the caller's transaction.
    """
    sql.execute(
        cur,
        "UPDATE datasets SET mapping = ?, accepted = ?, rejected = ?, warnings = ? WHERE id = ?",
        [mapping.to_json(), accepted, rejected, json.dumps(list(warnings)), dataset_id],
    )
    for wave, (ok, bad) in per_wave.items():
        sql.execute(
            cur,
            "UPDATE dataset_files SET accepted = ?, rejected = ? WHERE dataset_id = ? AND wave = ?",
            [ok, bad, dataset_id, wave],
        )


def rejected_reasons(cur: duckdb.DuckDBPyConnection, ds: Dataset) -> dict[str, int]:
    """Rejected rows of a dataset counted by reason, most frequent first."""
    rows = sql.fetch_all(
        cur,
        f"SELECT _reason, count(*) AS n FROM {sql.table(ds.rejected_table)} GROUP BY _reason ORDER BY n DESC, _reason",
    )
    return {str(reason): int(n) for reason, n in rows}


def rejected_rows(cur: duckdb.DuckDBPyConnection, ds: Dataset, *, limit: int = 5000, offset: int = 0) -> Any:
    """A page of a dataset's rejected rows (row number, column, raw value, reason, original columns) as a DataFrame."""
    return sql.fetch_df(
        cur,
        f"SELECT * FROM {sql.table(ds.rejected_table)} ORDER BY _wave, _row LIMIT ? OFFSET ?",
        [limit, offset],
    )


def resolve_column(ds: Dataset, name: str) -> str:
    """The stored column a user means by ``name``: its stored name, header id or question text.

    Matching is exact first, then case-insensitive. Raises :class:`nps.errors.UnknownColumnError`.
    """
    from nps.errors import UnknownColumnError

    if name in ds.columns:
        return name
    for stored, label in ds.labels.items():
        if label == name:
            return stored
    folded = name.strip().casefold()
    for stored in ds.columns:
        if stored.casefold() == folded:
            return stored
    for stored, label in ds.labels.items():
        if label and label.strip().casefold() == folded:
            return stored
    known = ", ".join(repr(c) for c in ds.columns)
    raise UnknownColumnError(f"no column {name!r} in dataset {ds.name!r}; its columns are: {known}")
