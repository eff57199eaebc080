"""The one schema of the tables every dataset shares: ordered migrations, applied once at connect.

The catalog (``datasets``, ``dataset_files``), ``targets``, ``dataset_history``,
``codebooks`` and ``comment_tagging`` are made and changed here only, by numbered
migrations recorded in ``schema_migrations``. Per-dataset tables (``responses_<id>``
and the others of :data:`nps.store.catalog.DATASET_TABLES`) are made by the code
that fills them.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from nps.store import sql
from nps.store.transactions import transaction

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
    (
        5,
        "users, their scopes and the audit trail (nps.store.users, nps.store.audit)",
        (
            """
            CREATE TABLE IF NOT EXISTS users (
                email VARCHAR PRIMARY KEY,
                role VARCHAR NOT NULL,
                added_at TIMESTAMP,
                added_by VARCHAR
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS user_scopes (
                email VARCHAR,
                column_name VARCHAR,
                value VARCHAR,
                PRIMARY KEY (email, column_name, value)
            )
            """,
            "CREATE SEQUENCE IF NOT EXISTS audit_ids START 1",
            """
            CREATE TABLE IF NOT EXISTS audit_log (
                id BIGINT PRIMARY KEY DEFAULT nextval('audit_ids'),
                happened_at TIMESTAMP NOT NULL,
                actor VARCHAR NOT NULL,
                action VARCHAR NOT NULL,
                target VARCHAR,
                before_value JSON,
                after_value JSON
            )
            """,
        ),
    ),
    (
        6,
        "group claims mapped to roles; each dataset's anonymity thresholds (nps.store.users, nps.store.privacy)",
        (
            """
            CREATE TABLE IF NOT EXISTS group_roles (
                group_name VARCHAR PRIMARY KEY,
                role VARCHAR NOT NULL,
                added_at TIMESTAMP,
                added_by VARCHAR
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS dataset_privacy (
                dataset_id INTEGER PRIMARY KEY,
                min_group INTEGER NOT NULL,
                min_comment_group INTEGER NOT NULL,
                updated_at TIMESTAMP,
                updated_by VARCHAR
            )
            """,
        ),
    ),
)



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
