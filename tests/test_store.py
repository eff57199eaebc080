"""The catalog of datasets: find, rename, delete, resolve a column by id or question text, clean orphans."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from nps import store
from nps.store import schema, sql
from nps.errors import UnknownColumnError, UnknownDatasetError
from nps.ingest import ingest_file
from tests.conftest import QUALTRICS_V3, R_TESTDATA


def test_rename_find_and_delete(con) -> None:
    ds = ingest_file(con, R_TESTDATA, name="fruit").dataset
    assert store.get_dataset(con, "fruit").id == ds.id
    assert store.get_dataset(con, str(ds.id)).name == "fruit"
    store.rename_dataset(con, ds.id, "  frutta ")
    assert store.get_dataset(con, ds.id).name == "frutta"
    with pytest.raises(ValueError, match="needs a name"):
        store.rename_dataset(con, ds.id, "  ")
    assert store.find_by_sha256(con, ds.sha256).id == ds.id
    store.delete_dataset(con, ds.id)
    with pytest.raises(UnknownDatasetError, match="no dataset 'frutta'"):
        store.get_dataset(con, "frutta")
    tables = {r[0] for r in sql.fetch_all(con, "SELECT table_name FROM duckdb_tables()")}
    assert ds.table not in tables and ds.rejected_table not in tables


def test_delete_finds_every_table_and_record_of_the_dataset(con) -> None:
    from tests.factories import make_dataset

    ds = make_dataset(con, pd.DataFrame({"score": [9, 3]}), name="gone")
    kept = make_dataset(con, pd.DataFrame({"score": [7]}), name="kept")
    for owner in (ds, kept):  # tables of kinds the catalog lists, records in shared tables
        sql.execute(con, f"CREATE TABLE {sql.table(f'comment_tags_{owner.id}')} (x INTEGER)")
        sql.execute(con, "INSERT INTO targets VALUES (?, 'segment', 'a', 10, now())", [owner.id])
        sql.execute(con, "INSERT INTO comment_tagging VALUES (?, '1', now(), 0, 1)", [owner.id])
    assert store.dataset_tables(con, ds.id) == [f"comment_tags_{ds.id}", f"responses_{ds.id}"]
    store.delete_dataset(con, ds.id)
    assert store.dataset_tables(con, ds.id) == []
    assert store.dataset_tables(con, kept.id) == [f"comment_tags_{kept.id}", f"responses_{kept.id}"]
    for table in ("targets", "comment_tagging", "dataset_files"):
        assert rows(con, f"SELECT DISTINCT dataset_id FROM {table} ORDER BY 1") == [(kept.id,)]
    assert [d.name for d in store.list_datasets(con)] == ["kept"]


def test_resolve_column_by_stored_name_id_or_question_text(con) -> None:
    from nps.ingest import Overrides

    ds = ingest_file(con, QUALTRICS_V3, overrides=Overrides(score="Q1")).dataset
    assert store.resolve_column(ds, "Q1") == "Q1"
    assert store.resolve_column(ds, "This is a multiple choice question.") == "Q1"
    assert store.resolve_column(ds, "q1") == "Q1"
    with pytest.raises(UnknownColumnError, match="no column 'Q9'"):
        store.resolve_column(ds, "Q9")


def test_tables_left_by_a_killed_load_stay_through_a_connect_and_go_with_the_cleanup(tmp_path) -> None:
    # A connect may only read (reads never write): the leftovers go before the next load
    # (ingest) and with the server's housekeeping, both through store.remove_leftovers.
    from nps import store
    from nps.store import sql

    path = tmp_path / "orphans.duckdb"
    con = store.connect(path)
    sql.execute(con, "CREATE TABLE responses_7 (x INTEGER)")
    sql.execute(con, "CREATE TABLE rejected_7 (x INTEGER)")
    sql.execute(con, "CREATE TABLE responses_notes (x INTEGER)")
    con.close()
    con = store.connect(path)
    try:
        names = {r[0] for r in sql.fetch_all(con, "SELECT table_name FROM duckdb_tables()")}
        assert {"responses_7", "rejected_7", "responses_notes"} <= names
        assert sorted(store.remove_leftovers(con)) == ["rejected_7", "responses_7"]
        names = {r[0] for r in sql.fetch_all(con, "SELECT table_name FROM duckdb_tables()")}
        assert "responses_7" not in names and "rejected_7" not in names
        assert "responses_notes" in names
    finally:
        con.close()


# --- the one schema: ordered migrations applied once at connect ----------------------------------

# The shared tables as the current main made them, copied as literals (not read from nps.store, so
# that a change there cannot hide a database that no longer upgrades): the catalog of migration 1 ...
OLD_CATALOG = (
    "CREATE SEQUENCE IF NOT EXISTS dataset_ids START 1",
    """
    CREATE TABLE IF NOT EXISTS datasets (
        id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, source_file VARCHAR, size_bytes BIGINT, sha256 VARCHAR,
        format VARCHAR, layout VARCHAR, encoding VARCHAR, mapping JSON, columns JSON, labels JSON,
        loaded_at TIMESTAMP, rows_read BIGINT, accepted BIGINT, rejected BIGINT, warnings JSON, waves INTEGER,
        kind VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS dataset_files (
        dataset_id INTEGER, wave INTEGER, source_file VARCHAR, size_bytes BIGINT, sha256 VARCHAR,
        loaded_at TIMESTAMP, rows_read BIGINT, accepted BIGINT, rejected BIGINT
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS targets (
        dataset_id INTEGER, dimension VARCHAR, value VARCHAR, target DOUBLE, updated_at TIMESTAMP,
        PRIMARY KEY (dataset_id, dimension, value)
    )
    """,
)
# ... migration 2 and its record ...
OLD_MIGRATED = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, note VARCHAR, applied_at TIMESTAMP)",
    """
    CREATE TABLE IF NOT EXISTS dataset_history (
        dataset_id INTEGER, changed_at TIMESTAMP, action VARCHAR, summary VARCHAR, mapping_before JSON,
        mapping_after JSON, accepted_before BIGINT, accepted_after BIGINT, rejected_before BIGINT,
        rejected_after BIGINT
    )
    """,
    "INSERT INTO schema_migrations VALUES (1, 'catalog: datasets, their files, targets', TIMESTAMP '2026-11-01 09:00'), "
    "(2, 'dataset_history: changes made to a dataset after loading', TIMESTAMP '2026-11-01 09:00')",
)
# ... and the tables nps.text.codebooks and nps.text.themes made on their first read (comment_tagging first without
# ``waves``, which themes added by an ALTER TABLE on every read).
OLD_CODEBOOKS = """
CREATE TABLE IF NOT EXISTS codebooks (
    number INTEGER PRIMARY KEY, version VARCHAR NOT NULL, saved_at TIMESTAMP, note VARCHAR, content VARCHAR
)
"""
OLD_TAGGING = """
CREATE TABLE IF NOT EXISTS comment_tagging (
    dataset_id INTEGER, codebook_version VARCHAR, tagged_at TIMESTAMP, comments BIGINT, waves INTEGER,
    PRIMARY KEY (dataset_id, codebook_version)
)
"""
OLDER_TAGGING = """
CREATE TABLE IF NOT EXISTS comment_tagging (
    dataset_id INTEGER, codebook_version VARCHAR, tagged_at TIMESTAMP, comments BIGINT,
    PRIMARY KEY (dataset_id, codebook_version)
)
"""
MIGRATIONS = [
    (1, "catalog: datasets, their files, targets"),
    (2, "dataset_history: changes made to a dataset after loading"),
    (3, "codebooks: the saved versions of the codebook (nps.text.codebooks)"),
    (4, "comment_tagging: which datasets are tagged with which codebook version (nps.text.themes)"),
    (5, "users, their scopes and the audit trail (nps.store.users, nps.store.audit)"),
    (6, "group claims mapped to roles; each dataset's anonymity thresholds (nps.store.users, nps.store.privacy)"),
    (7, "follow-up: rules, routes, escalation ladder, working calendar, cases and their events, improvement actions, "
        "the outbox of notifications (nps.store.cases, nps.store.outbox)"),
    (8, "follow-up: the ladder level's contact a case was copied up to on escalation (nps.store.cases)"),
    (9, "reviews: their cadence and participants, meetings, notes and decisions, actions decided, packs queued for "
        "sending (nps.store.reviews)"),
    (10, "benchmarks: external NPS references with their source, year, country, industry, touchpoint, method and n"),
    (11, "indicators to monitor: an NPS of some responses or a theme's share, with threshold, target and owner"),
    (12, "indicators: the item rating an item indicator follows (its mean per period)"),
    (13, "caveat tables: a dataset's population shares and invitations, kept for its caveats and packs"),
]


def rows(con, statement: str) -> list[tuple]:
    return sql.fetch_all(con, statement)


def columns_of(con, name: str) -> list[str]:
    return [c for (c,) in rows(con, f"SELECT column_name FROM duckdb_columns() WHERE table_name = '{name}' "
                                    "ORDER BY column_index")]


def test_a_database_made_before_migrations_is_migrated(tmp_path) -> None:
    # Moved here from test_remap.py (it asserted version 2, the last migration then).
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    for statement in OLD_CATALOG:
        old.execute(statement)
    old.execute("INSERT INTO targets VALUES (1, 'segment', 'B2B', 30, NULL)")
    old.close()
    con = store.connect(path)
    try:
        assert store.schema_version(con) == 13
        assert rows(con, "SELECT version, note FROM schema_migrations ORDER BY version") == MIGRATIONS
        assert rows(con, "SELECT count(*) FROM targets") == [(1,)]
        assert store.dataset_history(con, 1) == []
        assert rows(con, "SELECT count(*) FROM codebooks") == [(0,)]
        assert "waves" in columns_of(con, "comment_tagging")
    finally:
        con.close()
    again = store.connect(path)  # applied once
    try:
        assert rows(again, "SELECT count(*) FROM schema_migrations") == [(13,)]
    finally:
        again.close()


@pytest.mark.parametrize("tagging", [OLD_TAGGING, OLDER_TAGGING, None], ids=["with-waves", "without-waves", "never-read"])
def test_a_database_of_the_previous_schema_is_upgraded_once(tmp_path, tagging) -> None:
    path = tmp_path / "main.duckdb"
    old = duckdb.connect(str(path))
    for statement in (*OLD_CATALOG, *OLD_MIGRATED):
        old.execute(statement)
    if tagging is not None:
        old.execute(OLD_CODEBOOKS)
        old.execute("INSERT INTO codebooks VALUES (1, 'abc', TIMESTAMP '2026-11-02 10:00', 'Default codebook', '[]')")
        old.execute(tagging)
        old.execute("INSERT INTO comment_tagging (dataset_id, codebook_version, tagged_at, comments) "
                    "VALUES (1, 'abc', TIMESTAMP '2026-11-02 10:00', 12)")
    old.close()

    con = store.connect(path)
    try:
        assert rows(con, "SELECT version, note FROM schema_migrations ORDER BY version") == MIGRATIONS
        first = rows(con, "SELECT version, applied_at FROM schema_migrations ORDER BY version")
        assert columns_of(con, "codebooks") == ["number", "version", "saved_at", "note", "content"]
        assert columns_of(con, "comment_tagging") == ["dataset_id", "codebook_version", "tagged_at", "comments", "waves"]
        if tagging is not None:  # what was there is kept; tags without waves are made again (waves NULL)
            assert rows(con, "SELECT number, version, note FROM codebooks") == [(1, "abc", "Default codebook")]
            assert rows(con, "SELECT dataset_id, codebook_version, comments, waves FROM comment_tagging") == [
                (1, "abc", 12, None)
            ]
        sql.execute(con, "INSERT INTO comment_tagging VALUES (2, 'abc', NULL, 3, 1)")
    finally:
        con.close()
    con = store.connect(path)  # the second connect applies nothing
    try:
        assert rows(con, "SELECT version, applied_at FROM schema_migrations ORDER BY version") == first
        assert rows(con, "SELECT count(*) FROM comment_tagging WHERE dataset_id = 2") == [(1,)]
    finally:
        con.close()


def test_a_private_copy_for_reading_gets_the_migrations_and_the_database_does_not(tmp_path) -> None:
    # ``python -m nps comments --read-only`` stores comment tags in a private copy: of an old database too.
    from nps.store import codebooks

    path = tmp_path / "main.duckdb"
    old = duckdb.connect(str(path))
    for statement in (*OLD_CATALOG, *OLD_MIGRATED):
        old.execute(statement)
    old.close()
    opened = store.connect_read_only(path, writable_copy=True)
    try:
        assert store.schema_version(opened.con) == 13
        assert codebooks.current_number(opened.con) == 1  # the default codebook, saved in the copy
    finally:
        opened.close()
    untouched = duckdb.connect(str(path), read_only=True)
    try:
        assert store.schema_version(untouched) == 2
        assert rows(untouched, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'codebooks'") == [(0,)]
    finally:
        untouched.close()


def test_a_migration_that_fails_is_not_recorded_and_changes_nothing(tmp_path, monkeypatch) -> None:
    path = tmp_path / "failing.duckdb"
    store.connect(path).close()
    broken = (*schema._MIGRATIONS, (99, "broken", ("CREATE TABLE half_made (x INTEGER)", "SELECT * FROM no_such_table")))
    monkeypatch.setattr(schema, "_MIGRATIONS", broken)
    with pytest.raises(duckdb.CatalogException):
        store.connect(path)
    monkeypatch.undo()
    con = store.connect(path)
    try:
        assert store.schema_version(con) == 13
        assert rows(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'half_made'") == [(0,)]
    finally:
        con.close()


def test_reads_of_the_shared_tables_create_and_alter_nothing(tmp_path) -> None:
    from nps.store import codebooks, tagging
    from tests.factories import make_dataset

    path = tmp_path / "reads.duckdb"
    con = store.connect(path)
    ds = make_dataset(con, pd.DataFrame({"score": [10, 2], "comment": ["gentili", "lento"]}), comment="comment")
    number = codebooks.current_number(con)  # saves the default codebook: a write, on purpose
    book = codebooks.current_codebook(con)
    con.close()
    # DuckDB refuses any CREATE or ALTER on a read-only connection.
    reader = duckdb.connect(str(path), read_only=True)
    try:
        assert not tagging.is_tagged(reader, ds, book)
        assert codebooks.current_number(reader) == number
        assert codebooks.current_codebook(reader).version == book.version
        assert list(codebooks.codebook_history(reader)["number"]) == [number]
    finally:
        reader.close()


# --- transaction() --------------------------------------------------------------------------------


def test_a_transaction_commits(con) -> None:
    sql.execute(con, "CREATE TABLE t (x INTEGER)")
    with store.transaction(con):
        sql.execute(con, "INSERT INTO t VALUES (1)")
        sql.execute(con, "INSERT INTO t VALUES (2)")
    other = con.cursor()  # committed: another cursor sees it
    try:
        assert rows(other, "SELECT sum(x) FROM t") == [(3,)]
    finally:
        other.close()


@pytest.mark.parametrize("error", [ValueError("bad value"), KeyboardInterrupt(), SystemExit(3)],
                         ids=["exception", "keyboard-interrupt", "base-exception"])
def test_a_transaction_rolls_back_and_raises_the_error_again(con, error) -> None:
    sql.execute(con, "CREATE TABLE t (x INTEGER)")
    with pytest.raises(type(error)) as raised:
        with store.transaction(con):
            sql.execute(con, "INSERT INTO t VALUES (1)")
            raise error
    assert raised.value is error
    assert rows(con, "SELECT count(*) FROM t") == [(0,)]
    with store.transaction(con):  # the cursor is free again
        sql.execute(con, "INSERT INTO t VALUES (5)")
    assert rows(con, "SELECT sum(x) FROM t") == [(5,)]


def test_a_failing_statement_rolls_back_the_whole_transaction(con) -> None:
    sql.execute(con, "CREATE TABLE t (x INTEGER PRIMARY KEY)")
    with pytest.raises(duckdb.ConstraintException):
        with store.transaction(con):
            sql.execute(con, "INSERT INTO t VALUES (1)")
            sql.execute(con, "INSERT INTO t VALUES (1)")
    assert rows(con, "SELECT count(*) FROM t") == [(0,)]


def test_a_commit_that_fails_raises_its_own_error(con) -> None:
    # Two cursors insert the same key: the second COMMIT fails, which ends DuckDB's transaction, so the
    # ROLLBACK after it fails too; the error raised is the COMMIT's.
    sql.execute(con, "CREATE TABLE t (x INTEGER PRIMARY KEY)")
    first, second = con.cursor(), con.cursor()
    try:
        with pytest.raises(duckdb.TransactionException, match="PRIMARY KEY or UNIQUE"):
            with store.transaction(second):
                sql.execute(second, "INSERT INTO t VALUES (1)")
                with store.transaction(first):
                    sql.execute(first, "INSERT INTO t VALUES (1)")
        assert rows(con, "SELECT count(*) FROM t") == [(1,)]
        with store.transaction(second):  # nothing left open
            sql.execute(second, "INSERT INTO t VALUES (2)")
    finally:
        first.close()
        second.close()


def test_transactions_do_not_nest(con) -> None:
    sql.execute(con, "CREATE TABLE t (x INTEGER)")
    with store.transaction(con):
        sql.execute(con, "INSERT INTO t VALUES (1)")
        with pytest.raises(store.NestedTransactionError, match="do not nest"):
            with store.transaction(con):
                sql.execute(con, "INSERT INTO t VALUES (2)")
        sql.execute(con, "INSERT INTO t VALUES (3)")  # the outer transaction is untouched
    assert rows(con, "SELECT sum(x) FROM t") == [(4,)]
