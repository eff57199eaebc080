"""The database: opening it, its one schema, transactions, and the catalog of datasets.

A database file holds any number of datasets. Each dataset has a catalog row in
``datasets`` and tables of its own (``responses_<id>``, ``rejected_<id>``, …, see
:data:`nps.store.catalog.DATASET_TABLES`). The tables every dataset shares have one
schema (:mod:`nps.store.schema`: ordered migrations applied once at connect). Writes
run in :func:`transaction`. All SQL runs through :mod:`nps.store.sql`.

Modules: :mod:`~nps.store.connection` (connect, the file lock, the read-only
snapshot), :mod:`~nps.store.schema`, :mod:`~nps.store.transactions`,
:mod:`~nps.store.catalog` (datasets, leftovers), :mod:`~nps.store.history`, :mod:`~nps.store.sql`
(the execution gate), :mod:`~nps.store.targets`, :mod:`~nps.store.scheduler`, :mod:`~nps.store.privacy` (employee
anonymity thresholds), :mod:`~nps.store.reviews` (review meetings, their notes, decisions and packs).
"""

from __future__ import annotations

from nps.store import sql
from nps.store.catalog import (
    DATASET_TABLES,
    ColumnMapping,
    Dataset,
    LoadedFile,
    dataset_tables,
    delete_dataset,
    find_by_sha256,
    find_dataset,
    find_loaded_file,
    forget_comment_tags,
    get_dataset,
    insert_dataset,
    list_datasets,
    loading,
    next_dataset_id,
    record_file,
    rejected_reasons,
    rejected_rows,
    remove_leftovers,
    rename_dataset,
    resolve_column,
    update_counts,
    update_mapping,
)
from nps.store.connection import (
    DB_ENV,
    PROJECT_ROOT,
    DatabaseBusyError,
    ReadOnlyDatabase,
    checkpoint,
    connect,
    connect_read_only,
    default_db_path,
    file_fingerprint,
    snapshot_path,
    write_snapshot,
)
from nps.store.history import HistoryEntry, dataset_history, record_history
from nps.store.schema import ensure_schema, schema_version
from nps.store.transactions import NestedTransactionError, transaction

__all__ = [
    "DATASET_TABLES", "DB_ENV", "PROJECT_ROOT", "ColumnMapping", "DatabaseBusyError", "Dataset",
    "HistoryEntry", "LoadedFile", "NestedTransactionError", "ReadOnlyDatabase", "checkpoint", "connect",
    "connect_read_only", "dataset_history", "dataset_tables", "default_db_path", "delete_dataset", "ensure_schema",
    "file_fingerprint", "find_by_sha256", "find_dataset", "find_loaded_file", "forget_comment_tags", "get_dataset",
    "insert_dataset", "list_datasets", "loading", "next_dataset_id", "record_file", "record_history",
    "rejected_reasons", "rejected_rows", "remove_leftovers", "rename_dataset", "resolve_column", "schema_version",
    "snapshot_path", "sql", "transaction", "update_counts", "update_mapping", "write_snapshot",
]
