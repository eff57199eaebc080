"""The bundled sample data: loaded into an empty database so the app always has something to show."""

from __future__ import annotations

import threading

import duckdb

from nps import store
from nps.errors import DuplicateFileError
from nps.store import audit

DATA_DIR = store.PROJECT_ROOT / "data"
SAMPLES: tuple[tuple[str, str], ...] = (
    ("sample_customers.csv", "Sample: customer survey"),
    ("sample_employees.csv", "Sample: employee survey (eNPS)"),
)
_lock = threading.Lock()


def load_sample(cur: duckdb.DuckDBPyConnection, *, actor: str = audit.LOCAL_ACTOR) -> list[store.Dataset]:
    """Load the bundled samples as datasets; a sample already loaded is returned, not loaded again.

    Each load is recorded in the audit trail as done by ``actor``.
    """
    from nps.ingest import ingest_file

    loaded: list[store.Dataset] = []
    for file, name in SAMPLES:
        try:
            loaded.append(ingest_file(cur, DATA_DIR / file, name=name, actor=actor).dataset)
        except DuplicateFileError as duplicate:
            loaded.append(store.get_dataset(cur, duplicate.dataset_id))
    return loaded


def ensure_sample(cur: duckdb.DuckDBPyConnection, *, actor: str = audit.LOCAL_ACTOR) -> list[store.Dataset]:
    """Load the samples if the database has no dataset yet; return the datasets it then has (loads audited as ``actor``)."""
    with _lock:
        existing = store.list_datasets(cur)
        if existing:
            return existing
        load_sample(cur, actor=actor)
        return store.list_datasets(cur)
