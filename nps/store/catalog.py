"""The catalog of datasets: what each dataset is (:class:`Dataset`, :class:`ColumnMapping`), finding,
renaming and deleting datasets, their rejected rows, and the leftovers of killed loads.

Each dataset has a catalog row in ``datasets`` and its own tables, named
``<kind>_<id>`` for each kind of :data:`DATASET_TABLES` (the one list of them):
:func:`delete_dataset` and :func:`remove_leftovers` find them by that name. Its rows
in the shared tables are those with its ``dataset_id``: :func:`delete_dataset`
finds every shared table with such a column in the database's own catalog.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from nps.domain import Scope
from nps.errors import AmbiguousDatasetError, UnknownColumnError, UnknownDatasetError
from nps.store import audit, sql
from nps.store.privacy import Privacy
from nps.store.transactions import transaction

@dataclass(frozen=True)
class ColumnMapping:
    """Which of the file's columns plays which role, and why the detector chose it.

    Every name is a column of the dataset (as stored), but for a throwaway load
    (``ingest_file(keep=…)``), which may leave out the score's and the date's own
    text since ``_score`` and ``_date`` hold them. ``reasons`` maps a role
    (``score``, ``date``, ``comment``, ``respondent``, ``weight`` or a dimension's
    or an item's column name) to a sentence a user can read. ``items`` are the
    item ratings (1–5, 1–7, 0–10 or 1–10 scales) the key-driver analysis
    (:mod:`nps.drivers`) explains the score with; an item is never a dimension.
    """

    score: str
    date: str | None = None
    comment: str | None = None
    respondent: str | None = None
    weight: str | None = None
    dimensions: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    survey_type: str | None = None
    date_order: str | None = None
    reasons: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def to_json(self) -> str:
        """Serialise for the catalog."""
        return json.dumps(asdict(self) | {"dimensions": list(self.dimensions), "items": list(self.items)})

    @classmethod
    def from_json(cls, text: str | dict[str, Any]) -> ColumnMapping:
        """Read back what :meth:`to_json` wrote."""
        data = json.loads(text) if isinstance(text, str) else dict(text)
        data["dimensions"] = tuple(data.get("dimensions") or ())
        data["items"] = tuple(data.get("items") or ())
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
    # The rows the reader may see (nps.query.rows applies it to every read); set per user by nps.query.access.
    scope: Scope = Scope()
    # The employee survey's anonymity thresholds (nps.store.privacy; applied by nps.query.anonymity when kind is employee).
    privacy: Privacy = Privacy()

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


# Dataset ids whose load is under way in this process. Between the two commits of a new dataset
# its tables exist without a catalog row; another session's load must not take them for leftovers.
# (Only one process writes a database file, so the loads of this process are all there are.)
_LOADING: set[int] = set()
_LOADING_LOCK = threading.Lock()
_DATASET_LOCKS: dict[int, threading.Lock] = {}
# The one list of per-dataset tables: each is named ``<kind>_<id>``, <id> the dataset's. The responses and
# rejected rows (nps.ingest), a load's and a remap's scratch tables (nps.ingest), the comment tags (nps.text
# themes). A module that makes a new kind of per-dataset table adds its kind here, and delete_dataset and
# remove_leftovers find its tables.
DATASET_TABLES: tuple[str, ...] = (
    "responses", "rejected", "comment_tags", "load_flags", "remap_responses", "remap_rejected",
)
_LEFTOVER_TABLES = rf"^({'|'.join(DATASET_TABLES)})_([0-9]+)$"


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
# A dataset's columns as read: the catalog row and its anonymity thresholds (NULL when none were set).
_DATASET_SELECT = (
    f"{_DATASET_COLUMNS}, "
    "(SELECT [p.min_group, p.min_comment_group] FROM dataset_privacy p WHERE p.dataset_id = datasets.id) AS privacy"
)


def _row_to_dataset(row: tuple[Any, ...]) -> Dataset:
    (id_, name, source_file, size, sha, fmt, layout, enc, mapping, columns, labels,
     loaded_at, rows_read, accepted, rejected, warnings, waves, kind, privacy) = row
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
        privacy=Privacy(int(privacy[0]), int(privacy[1])) if privacy else Privacy(),
    )


def list_datasets(cur: duckdb.DuckDBPyConnection) -> list[Dataset]:
    """All datasets, newest first."""
    rows = sql.fetch_all(cur, f"SELECT {_DATASET_SELECT} FROM datasets ORDER BY id DESC")
    return [_row_to_dataset(r) for r in rows]


def get_dataset(cur: duckdb.DuckDBPyConnection, key: int | str) -> Dataset:
    """The dataset with this id (int or digits) or exact name; raises :class:`UnknownDatasetError`."""
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        row = sql.fetch_one(cur, f"SELECT {_DATASET_SELECT} FROM datasets WHERE id = ?", [int(key)])
    else:
        row = sql.fetch_one(
            cur, f"SELECT {_DATASET_SELECT} FROM datasets WHERE name = ? ORDER BY id DESC LIMIT 1", [key]
        )
    if row is None:
        names = ", ".join(f"{d.id} ({d.name})" for d in list_datasets(cur)) or "none yet"
        raise UnknownDatasetError(f"no dataset {key!r} in this database; datasets: {names}")
    return _row_to_dataset(row)


def find_by_sha256(cur: duckdb.DuckDBPyConnection, sha256: str) -> Dataset | None:
    """The dataset one of whose waves came from a file with this sha256, if any."""
    row = sql.fetch_one(
        cur,
        f"SELECT {_DATASET_SELECT} FROM datasets WHERE sha256 = ? OR id IN "
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


def source_files(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> list[tuple[str, str]]:
    """The files loaded into a dataset, wave by wave, as (file name, sha256); a file without a sha256 says so."""
    rows = sql.fetch_all(cur, "SELECT source_file, sha256 FROM dataset_files WHERE dataset_id = ? ORDER BY wave",
                         [dataset_id])
    return [(str(name or "(unnamed)"), str(sha or "not recorded")) for name, sha in rows]


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
    rows = sql.fetch_all(cur, f"SELECT {_DATASET_SELECT} FROM datasets WHERE name = ? ORDER BY id", [key])
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


def rename_dataset(cur: duckdb.DuckDBPyConnection, dataset_id: int, name: str, *,
                   actor: str = audit.LOCAL_ACTOR) -> None:
    """Give a dataset a new name (non-empty, stripped); recorded in the audit trail as done by ``actor``."""
    name = name.strip()
    if not name:
        raise ValueError("a dataset needs a name")
    before = get_dataset(cur, dataset_id).name
    with transaction(cur):
        sql.execute(cur, "UPDATE datasets SET name = ? WHERE id = ?", [name, dataset_id])
        audit.record(cur, actor, "dataset renamed", f"dataset #{dataset_id}", {"name": before}, {"name": name})


def dataset_tables(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> list[str]:
    """The names of the per-dataset tables of ``dataset_id`` present in the database (kinds of :data:`DATASET_TABLES`)."""
    rows = sql.fetch_all(
        cur,
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND regexp_matches(table_name, ?) "
        "AND CAST(regexp_extract(table_name, ?, 2) AS INTEGER) = ? ORDER BY table_name",
        [_LEFTOVER_TABLES, _LEFTOVER_TABLES, int(dataset_id)],
    )
    return [str(name) for (name,) in rows]


def _shared_tables_with_rows_of_datasets(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """The shared tables (not per-dataset ones) that have a ``dataset_id`` column, found in the database's catalog."""
    rows = sql.fetch_all(
        cur,
        "SELECT DISTINCT table_name FROM duckdb_columns() WHERE schema_name = 'main' AND column_name = 'dataset_id' "
        "AND NOT regexp_matches(table_name, ?) ORDER BY table_name",
        [_LEFTOVER_TABLES],
    )
    return [str(name) for (name,) in rows]


def delete_dataset(cur: duckdb.DuckDBPyConnection, dataset_id: int, *, actor: str = audit.LOCAL_ACTOR) -> None:
    """Delete a dataset, its tables and its records, all or nothing; recorded in the audit trail as done by ``actor``.

    Its tables are every ``<kind>_<id>`` of :data:`DATASET_TABLES` (responses, rejected rows, comment tags, …);
    its records every row with its ``dataset_id`` in a shared table (files, targets, history, tagging, …):
    a later dataset may get this id again and must inherit none of them.
    """
    gone = get_dataset(cur, dataset_id)
    with transaction(cur):
        for name in dataset_tables(cur, dataset_id):
            sql.execute(cur, f"DROP TABLE IF EXISTS {sql.table(name)}")
        for name in _shared_tables_with_rows_of_datasets(cur):
            sql.execute(cur, f"DELETE FROM {sql.table(name)} WHERE dataset_id = ?", [dataset_id])
        sql.execute(cur, "DELETE FROM datasets WHERE id = ?", [dataset_id])
        audit.record(cur, actor, "dataset deleted", f"dataset #{dataset_id}",
                     {"name": gone.name, "responses": gone.accepted, "rejected": gone.rejected, "waves": gone.waves,
                      "source_file": gone.source_file}, None)


def forget_comment_tags(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Drop a dataset's comment tags (nps.text.themes) so that they are made again (inside the caller's transaction)."""
    sql.execute(cur, f"DROP TABLE IF EXISTS {sql.table(f'comment_tags_{dataset_id}')}")
    sql.execute(cur, "DELETE FROM comment_tagging WHERE dataset_id = ?", [dataset_id])


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
