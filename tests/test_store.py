"""The catalog of datasets: find, rename, delete, resolve a column by id or question text, clean orphans."""

from __future__ import annotations

import pytest

from nps import sql, store
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


def test_resolve_column_by_stored_name_id_or_question_text(con) -> None:
    from nps.ingest import Overrides

    ds = ingest_file(con, QUALTRICS_V3, overrides=Overrides(score="Q1")).dataset
    assert store.resolve_column(ds, "Q1") == "Q1"
    assert store.resolve_column(ds, "This is a multiple choice question.") == "Q1"
    assert store.resolve_column(ds, "q1") == "Q1"
    with pytest.raises(UnknownColumnError, match="no column 'Q9'"):
        store.resolve_column(ds, "Q9")


def test_tables_left_by_a_killed_load_are_dropped_on_connect(tmp_path) -> None:
    from nps import sql, store

    path = tmp_path / "orphans.duckdb"
    con = store.connect(path)
    sql.execute(con, "CREATE TABLE responses_7 (x INTEGER)")
    sql.execute(con, "CREATE TABLE rejected_7 (x INTEGER)")
    sql.execute(con, "CREATE TABLE responses_notes (x INTEGER)")
    con.close()
    con = store.connect(path)
    names = {r[0] for r in sql.fetch_all(con, "SELECT table_name FROM duckdb_tables()")}
    con.close()
    assert "responses_7" not in names and "rejected_7" not in names
    assert "responses_notes" in names
