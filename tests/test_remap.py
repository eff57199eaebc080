"""Correcting a loaded dataset's mapping (issue 8): roles re-derived in one transaction, id kept, history kept."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from nps import ingest, store
from nps.store import sql
from nps.store import targets
from nps.errors import IngestError
from nps.store import ColumnMapping


def survey(n: int = 40) -> pd.DataFrame:
    """q1 is taken for the score; q2 is the real one (blank every 5th row); 'why' is the comment."""
    return pd.DataFrame(
        {
            "id": [f"R{i}" for i in range(n)],
            "customer": [f"C{i % 7}" for i in range(n)],
            "when": [f"{i % 28 + 1:02d}/0{i % 9 + 1}/2024" for i in range(n)],
            "q1": [i % 11 for i in range(n)],
            "q2": ["" if i % 5 == 0 else str((i * 7) % 11) for i in range(n)],
            "why": [f"because of reason number {i}" for i in range(n)],
            "note_interne": ["NA" if i % 2 else f"note {i}" for i in range(n)],
            "segment": [["B2B", "B2C"][i % 2] for i in range(n)],
            "factor": ["" if i % 4 == 0 else "2" for i in range(n)],  # a weight the detector does not see
        }
    )


@pytest.fixture
def loaded(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> store.Dataset:
    path = tmp_path / "survey.csv"
    survey().to_csv(path, index=False)
    report = ingest.ingest_file(con, path, overrides=ingest.Overrides(score="q1", dimensions=("segment",)))
    assert (report.accepted, report.rejected) == (40, 0)
    return report.dataset


def table(con: duckdb.DuckDBPyConnection, statement: str) -> list[tuple[object, ...]]:
    return con.execute(statement).fetchall()


def test_a_new_score_column_reloads_every_row(con: duckdb.DuckDBPyConnection, loaded: store.Dataset) -> None:
    targets.save_targets(con, loaded.id, "segment", {"B2B": 30.0})
    wanted = replace(loaded.mapping, score="q2", comment="why", weight="factor")
    report = ingest.remap_dataset(con, loaded.id, wanted)
    assert report.changes == ("score: 'q1' → 'q2'", "weight: (none) → 'factor'")
    assert (report.accepted_before, report.accepted, report.rejected) == (40, 32, 8)
    assert report.rejected_reasons == {"score is blank": 8}
    assert report.adjusted == {"weight blank, counted as 1": 8}
    ds = report.dataset
    assert (ds.id, ds.name, ds.accepted, ds.rejected) == (loaded.id, loaded.name, 32, 8)
    assert (ds.mapping.score, ds.mapping.weight) == ("q2", "factor")
    assert ds.mapping.reasons["score"] == "chosen by you; 100% of 32 sampled values are whole numbers 0–10"
    assert ds.mapping.reasons["segment"] == loaded.mapping.reasons["segment"]  # unchanged roles keep their reason
    assert table(con, f"SELECT _row, _wave, _score, _category, _weight FROM {ds.table} ORDER BY _row LIMIT 3") == [
        (3, 1, 7, "passive", 2.0),
        (4, 1, 3, "detractor", 2.0),
        (5, 1, 10, "promoter", 2.0),
    ]
    assert table(con, f"SELECT _row, _column, _reason FROM {ds.rejected_table} ORDER BY _row LIMIT 2") == [
        (2, "q2", "score is blank"),
        (7, "q2", "score is blank"),
    ]
    assert targets.load_targets(con, loaded.id, "segment") == {"B2B": 30.0}
    (entry,) = store.dataset_history(con, loaded.id)
    assert (entry.action, entry.summary) == ("remap", "score: 'q1' → 'q2'; weight: (none) → 'factor'")
    assert (entry.accepted_before, entry.accepted_after, entry.rejected_before, entry.rejected_after) == (40, 32, 0, 8)
    assert entry.mapping_before.score == "q1" and entry.mapping_after.score == "q2"
    assert isinstance(entry.changed_at, dt.datetime)
    assert table(con, "SELECT wave, accepted, rejected FROM dataset_files WHERE dataset_id = ?".replace("?", str(ds.id))) == [
        (1, 32, 8)
    ]


def test_going_back_accepts_the_rows_rejected_before(con: duckdb.DuckDBPyConnection, loaded: store.Dataset) -> None:
    ingest.remap_dataset(con, loaded.id, replace(loaded.mapping, score="q2"))
    report = ingest.remap_dataset(con, loaded.id, replace(loaded.mapping, score="q1"))
    assert (report.accepted, report.rejected) == (40, 0)
    assert table(con, f"SELECT count(*), min(_row), max(_row), sum(_score) FROM {loaded.table}") == [(40, 2, 41, 186)]
    assert [e.summary for e in store.dataset_history(con, loaded.id)] == ["score: 'q1' → 'q2'", "score: 'q2' → 'q1'"]


def test_comment_respondent_and_dimensions_are_derived_again(
    con: duckdb.DuckDBPyConnection, loaded: store.Dataset
) -> None:
    sql.execute(con, f"CREATE TABLE comment_tags_{loaded.id} (x INTEGER)")
    wanted = replace(loaded.mapping, comment="note_interne", respondent="customer", dimensions=("segment", "customer"))
    with pytest.raises(IngestError, match="the column 'customer' cannot be both the score and the respondent"):
        ingest.remap_dataset(con, loaded.id, replace(wanted, score="customer"))
    report = ingest.remap_dataset(con, loaded.id, wanted)
    assert report.changes == (
        "comment: 'why' → 'note_interne'",
        "respondent: (none) → 'customer'",
        "dimensions: added 'customer'",
    )
    assert report.adjusted == {"comment says nothing (NA, N/A, -, null…), counted as no comment": 20}
    assert table(con, f"SELECT count(_comment), count(DISTINCT _respondent) FROM {loaded.table}") == [(20, 7)]
    assert table(con, f"SELECT _comment, _respondent FROM {loaded.table} ORDER BY _row LIMIT 1") == [("note 0", "C0")]
    tables = {r[0] for r in table(con, "SELECT table_name FROM duckdb_tables()")}
    assert f"comment_tags_{loaded.id}" not in tables  # tagged again on the next visit


def test_the_date_order_can_be_set(con: duckdb.DuckDBPyConnection, loaded: store.Dataset) -> None:
    assert loaded.mapping.date_order == "dmy"
    report = ingest.remap_dataset(con, loaded.id, replace(loaded.mapping, date_order="mdy"))
    assert report.changes == ("date order: dmy → mdy",)
    assert report.rejected_reasons == {"date not readable": 16}
    assert table(con, f"SELECT _date FROM {loaded.table} ORDER BY _row LIMIT 1") == [(dt.datetime(2024, 1, 1),)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"score": "segment"}, "the column 'segment' holds no whole numbers 0–10 in the first 40 rows (e.g. 'B2B', 'B2C')"),
        ({"date": "segment"}, "the column 'segment' holds no dates in the first 40 rows"),
        ({"weight": "segment"}, "the column 'segment' holds no numbers in the first 40 rows"),
        ({"score": "q1", "comment": "q1"}, "the column 'q1' cannot be both the score and the comment"),
        ({"comment": "nope"}, "no column 'nope' in dataset"),
        ({"date_order": "yyyy"}, "unknown date order 'yyyy'"),
    ],
)
def test_a_bad_choice_changes_nothing(
    con: duckdb.DuckDBPyConnection, loaded: store.Dataset, change: dict[str, str], message: str
) -> None:
    before = table(con, f"SELECT * FROM {loaded.table} ORDER BY _row")
    with pytest.raises(IngestError, match=re.escape(message)):
        ingest.remap_dataset(con, loaded.id, replace(loaded.mapping, **change))
    assert table(con, f"SELECT * FROM {loaded.table} ORDER BY _row") == before
    assert store.get_dataset(con, loaded.id).mapping == loaded.mapping
    assert store.dataset_history(con, loaded.id) == []


def test_no_row_left_changes_nothing(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "mostly.csv"
    data = pd.DataFrame(
        {
            "NPS": [i % 11 for i in range(40)],
            "other": ["7"] + ["x"] * 39,  # a score only in the row whose date is unreadable
            "day": ["soon"] + [f"2024-05-{i % 28 + 1:02d}" for i in range(39)],
        }
    )
    data.to_csv(path, index=False)
    ds = ingest.ingest_file(con, path, overrides=ingest.Overrides(no_date=True)).dataset
    message = r"mostly: no row would be left \(score is not a number: 39, date not readable: 1\)"
    with pytest.raises(IngestError, match=message):
        ingest.remap_dataset(con, ds.id, replace(ds.mapping, score="other", date="day"))
    assert store.get_dataset(con, ds.id).accepted == 40


def test_waves_and_rows_of_their_own_shape_are_kept(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    first, second = tmp_path / "w1.csv", tmp_path / "w2.csv"
    first.write_text("NPS,alt,seg\n9,1,a\n7,,b\n3,4,a,extra\n\n10,10,b\n", encoding="utf-8")
    second.write_text("NPS,alt,seg\n1,5,a\n2,,b\n", encoding="utf-8")
    ds = ingest.ingest_file(con, first, overrides=ingest.Overrides(dimensions=("seg",))).dataset
    ingest.ingest_file(con, second, append_to=ds.id)
    report = ingest.remap_dataset(con, ds.id, replace(store.get_dataset(con, ds.id).mapping, score="alt"))
    assert (report.accepted, report.rejected) == (3, 3)
    assert table(con, f"SELECT _wave, _row, _score FROM {ds.table} ORDER BY _wave, _row") == [
        (1, 2, 1), (1, 5, 10), (2, 2, 5),
    ]
    assert table(con, f"SELECT _wave, _row, _reason FROM {ds.rejected_table} ORDER BY _wave, _row") == [
        (1, 3, "score is blank"),
        (1, 4, "row has more fields than the header"),
        (2, 3, "score is blank"),
    ]
    files = table(con, f"SELECT wave, accepted, rejected FROM dataset_files WHERE dataset_id = {ds.id} ORDER BY wave")
    assert files == [(1, 2, 2), (2, 1, 1)]


def test_the_same_mapping_changes_nothing(con: duckdb.DuckDBPyConnection, loaded: store.Dataset) -> None:
    report = ingest.remap_dataset(con, loaded.id, loaded.mapping)
    assert report.changes == ()
    assert store.dataset_history(con, loaded.id) == []


def test_a_failure_at_the_last_step_rolls_everything_back(
    con: duckdb.DuckDBPyConnection, loaded: store.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = table(con, f"SELECT * FROM {loaded.table} ORDER BY _row")

    def conflict(*args: object) -> None:
        raise duckdb.TransactionException("Catalog write-write conflict")

    monkeypatch.setattr(store, "record_history", conflict)
    with pytest.raises(IngestError, match="survey: the dataset could not be updated .*nothing was changed — try again"):
        ingest.remap_dataset(con, loaded.id, replace(loaded.mapping, score="q2"))
    assert table(con, f"SELECT * FROM {loaded.table} ORDER BY _row") == before
    assert store.get_dataset(con, loaded.id).mapping == loaded.mapping
    names = {r[0] for r in table(con, "SELECT table_name FROM duckdb_tables()")}
    assert {loaded.table, loaded.rejected_table} <= names and not any(n.startswith("remap_") for n in names)


def test_warnings_about_a_replaced_column_go(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "ambiguous.csv"
    pd.DataFrame(
        {
            "NPS": [i % 11 for i in range(40)],
            "day": [f"0{i % 9 + 1}/0{i % 3 + 1}/2024" for i in range(40)],  # no part over 12: order assumed
            "region": [["N", "S"][i % 2] for i in range(40)],
        }
    ).to_csv(path, index=False)
    ds = ingest.ingest_file(con, path).dataset
    assert any("the date order of 'day' cannot be decided" in w for w in ds.warnings)
    report = ingest.remap_dataset(con, ds.id, replace(ds.mapping, date_order="dmy"))
    assert report.changes == ("date order: mdy → dmy",)
    assert not any("cannot be decided" in w for w in report.dataset.warnings)
    assert report.dataset.mapping.reasons["date"].endswith("; date order dmy set by you")
