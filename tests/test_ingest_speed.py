"""Ingest: the shortcuts that make a load fast give the same answers as the long way.

The file is hashed in a background thread while the sample is read; ``_comment``
and ``_respondent`` are generated (VIRTUAL) columns instead of stored copies;
the score filter and the score parse take shortcuts that must not change a
single value.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nps import ingest, store
from nps.ingest import load, reader
from nps.query import responses
from nps.ingest import values
from nps.errors import DuplicateFileError, IngestError
from nps.query.filters import Filter

from .test_ingest_load import check_rows_match_file, tables, write_survey
from .test_ingest_values import BAD_SCORES, GOOD_SCORES

# Text a score cell may hold: digits (ASCII and others), signs, separators, spaces, labels.
_CELL_ALPHABET = "0123456789٣+-.,/ ()=:–\t\u00a0\"'aZNnä"


def _score_rows(cells: list[str | None]) -> list[tuple[bool, bool, float | None, float | None]]:
    """Per cell: score_ok, make_score IS NOT NULL, parse_score, the same parse without the digit guard."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(cells)))
    number = values.parse_score_sql("v")
    guard = "CASE WHEN regexp_matches(v, '[0-9]') THEN "
    assert guard in number
    unguarded = number.replace(guard, "CASE WHEN true THEN ")
    rows = con.execute(
        f"SELECT {values.score_ok_sql('v')}, {values.make_score_sql('n')} IS NOT NULL, n, u "
        f"FROM (SELECT i, v, {number} AS n, {unguarded} AS u FROM t) ORDER BY i"
    ).fetchall()
    con.close()
    return [tuple(r) for r in rows]


def test_score_filter_agrees_with_the_score() -> None:
    cells = [c for c, _ in GOOD_SCORES] + [c for c, _ in BAD_SCORES] + ["07", "00", "99", "10.0", "+5", "-0", "5."]
    for cell, (ok, valid, number, unguarded) in zip(cells, _score_rows(cells), strict=True):
        assert ok is valid, cell
        assert number == unguarded or (number is None and unguarded is None), cell


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=_CELL_ALPHABET, max_size=14)), min_size=1, max_size=20))
def test_score_shortcuts_property(cells: list[str | None]) -> None:
    for cell, (ok, valid, number, unguarded) in zip(cells, _score_rows(cells), strict=True):
        assert ok is valid, cell
        assert number == unguarded or (number is None and unguarded is None), cell


def test_clean_text_uses_no_function_calls_for_spaces() -> None:
    # chr() is not folded in a generated column's expression, which DuckDB runs on every insert.
    assert "chr(" not in values.clean_text_sql("x")
    con = duckdb.connect()
    cells = [" a ", "\tb\n", "\u00a0c\u00a0", "", "  ", "\r\n", "d", None, "e f"]
    got = [r[0] for r in con.execute(f"SELECT {values.clean_text_sql('v')} FROM unnest(?) AS t(v)", [cells]).fetchall()]
    assert got == ["a", "b", "c", None, None, None, "d", None, "e f"]


def test_sha256_matches_the_file_across_chunks(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "CHUNK_BYTES", 1000)  # many chunks, hashed in the background
    path = write_survey(tmp_path / "hashed.csv", n=400, bad_every=9)
    report = ingest.ingest_file(con, path)
    assert report.dataset.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert report.dataset.size_bytes == path.stat().st_size
    assert (report.rows_read, report.accepted + report.rejected) == (400, 400)
    check_rows_match_file(con, report, path)
    assert not [t for t in threading.enumerate() if t.name == "passaparola-sha256"]
    with pytest.raises(DuplicateFileError):
        ingest.ingest_file(con, path)


def test_hash_of_a_file_without_rejected_rows_and_no_final_line_feed(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    path = tmp_path / "plain.csv"
    path.write_bytes(b"NPS,comment\n" + b"".join(f"{i % 11},c {i}\n".encode() for i in range(99)) + b"3,last")
    report = ingest.ingest_file(con, path)
    assert (report.rows_read, report.accepted, report.rejected) == (100, 100, 0)
    assert report.dataset.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_hash_stops_when_the_inspection_fails(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "noscore.csv"
    pd.DataFrame({"name": [f"n{i}" for i in range(50)], "city": ["Rome"] * 50}).to_csv(path, index=False)
    with pytest.raises(IngestError):
        ingest.ingest_file(con, path)
    assert not [t for t in threading.enumerate() if t.name == "passaparola-sha256"]
    assert tables(con) == []


def test_a_duplicate_is_reported_before_a_detection_error(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "half.csv"
    answers = [str(i % 11) if i % 2 else "no idea" for i in range(60)]
    pd.DataFrame({"x": answers, "city": ["Rome", "Milan"] * 30}).to_csv(path, index=False)
    with pytest.raises(IngestError):
        ingest.inspect_file(path)  # no column reads as a score by itself
    first = ingest.ingest_file(con, path, overrides=ingest.Overrides(score="x"))
    assert first.accepted == 30
    with pytest.raises(DuplicateFileError):
        ingest.ingest_file(con, path)


def test_comment_and_respondent_are_generated_from_the_file_columns(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    path = tmp_path / "gen.csv"
    frame = pd.DataFrame(
        {
            "respondent id": [f" R{i} " if i % 4 == 0 else f"R{i}" for i in range(40)],
            "NPS": [str(i % 11) for i in range(40)],
            "comment": [
                "  padded\u00a0" if i % 5 == 0 else ("" if i % 7 == 0 else f"Servizio ottimo {i}") for i in range(40)
            ],
        }
    )
    frame.to_csv(path, index=False)
    report = ingest.ingest_file(con, path)
    ds = report.dataset
    assert (ds.mapping.comment, ds.mapping.respondent) == ("comment", "respondent id")
    generated = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND is_generated ORDER BY column_name",
        [ds.table],
    ).fetchall()
    assert generated == [("_comment",), ("_respondent",)]
    rows = con.execute(f'SELECT _row, _comment, _respondent, "comment" FROM {ds.table} ORDER BY _row').fetchall()
    assert rows[0] == (2, "padded", "R0", "  padded\u00a0")
    assert rows[7][1] is None and rows[7][3] is None  # a blank cell is NULL in both
    assert rows[1][1:3] == ("Servizio ottimo 1", "R1")
    found = responses.count_responses(con, ds, Filter(text="SERVIZIO ottimo 3"))
    assert found == sum(1 for i in range(40) if i % 5 and i % 7 and "ottimo 3" in f"Servizio ottimo {i}")
    page = responses.load_responses_page(con, ds, Filter(text="padded"), order="file order")
    assert list(page["comment"]) == ["padded"] * 8


def test_generated_columns_survive_reopening_the_database(tmp_path: Path) -> None:
    db = tmp_path / "reopen.duckdb"
    path = tmp_path / "r.csv"
    pd.DataFrame({"NPS": [str(i % 11) for i in range(30)], "comment": [f"\tc{i}\r\n" for i in range(30)]}).to_csv(
        path, index=False
    )
    con = store.connect(db)
    table = ingest.ingest_file(con, path, overrides=ingest.Overrides(comment="comment")).dataset.table
    con.close()
    con = store.connect(db)
    assert con.execute(f"SELECT _comment FROM {table} ORDER BY _row LIMIT 2").fetchall() == [("c0",), ("c1",)]
    con.close()


def test_append_to_a_table_that_stores_its_comments(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Tables written before the generated columns keep working: a new wave fills the stored copies."""
    first = ingest.ingest_file(con, write_survey(tmp_path / "w1.csv", n=30, bad_every=7))
    table = first.dataset.table
    con.execute(f"CREATE TABLE old_copy AS SELECT * FROM {table}")  # every column stored
    con.execute(f"DROP TABLE {table}")
    con.execute(f"ALTER TABLE old_copy RENAME TO {table}")
    second = ingest.ingest_file(
        con, write_survey(tmp_path / "w2.csv", n=20, bad_every=6, start=100), append_to=first.dataset.id
    )
    assert second.wave == 2
    got = con.execute(f"SELECT _comment, _respondent FROM {table} WHERE _wave = 2 ORDER BY _row LIMIT 1").fetchone()
    assert got == ("comment 100, with a comma", "C000100")
    assert con.execute(f"SELECT count(*) FROM {table} WHERE _comment IS NULL").fetchone() == (0,)


def test_append_to_a_table_with_generated_columns(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    first = ingest.ingest_file(con, write_survey(tmp_path / "g1.csv", n=30))
    ingest.ingest_file(con, write_survey(tmp_path / "g2.csv", n=10, start=200), append_to=first.dataset.id)
    got = con.execute(
        f"SELECT _wave, count(*), count(_comment), count(_respondent) FROM {first.dataset.table} GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert got == [(1, 30, 30, 30), (2, 10, 10, 10)]


def test_rows_renumbered_when_only_the_flags_would_lose_the_order(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The accepted rows keep the order but the rejected rows' plan would not: both are read again, numbered."""
    keeps, clear = load._keeps_order, load._clear_wave
    cleared: list[int] = []

    def keeps_unless_flags(cur: duckdb.DuckDBPyConnection, statement: str, params: list[object]) -> bool:
        return "load_flags_" not in statement and keeps(cur, statement, params)

    def clear_and_note(cur: duckdb.DuckDBPyConnection, names: object, wave: int, append: bool) -> None:
        cleared.append(wave)
        clear(cur, names, wave, append)

    monkeypatch.setattr(load, "_keeps_order", keeps_unless_flags)
    monkeypatch.setattr(load, "_clear_wave", clear_and_note)
    path = write_survey(tmp_path / "f.csv", n=60, bad_every=7)
    report = ingest.ingest_file(con, path)
    assert cleared == [1]
    assert (report.accepted, report.rejected) == (51, 9)
    check_rows_match_file(con, report, path)
    second = ingest.ingest_file(
        con, write_survey(tmp_path / "f2.csv", n=20, bad_every=3, start=500), append_to=report.dataset.id
    )
    assert cleared == [1, 2]
    table = second.dataset.table
    got = [r[0] for r in con.execute(f"SELECT _row FROM {table} WHERE _wave = 2 ORDER BY _row").fetchall()]
    assert got == [i - 500 + 2 for i in range(500, 520) if i % 3]
    assert con.execute(f'SELECT "customer id" FROM {table} WHERE _wave = 2 AND _row = 3').fetchone() is None
    assert con.execute(f'SELECT "customer id" FROM {table} WHERE _wave = 2 AND _row = 4').fetchone() == ("C000502",)
    assert tables(con) == sorted([table, second.dataset.rejected_table])


def test_a_duplicate_is_refused_before_its_rows_are_written(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hash of a new file is awaited after its rows are written, unless a file of its size was loaded before."""
    path = write_survey(tmp_path / "once.csv", n=50)
    first = ingest.ingest_file(con, path)

    def no_write(*args: object, **kwargs: object) -> int:
        raise AssertionError("the rows of a duplicate were written")

    with monkeypatch.context() as patch:
        patch.setattr(load, "_write_accepted", no_write)
        with pytest.raises(DuplicateFileError):
            ingest.ingest_file(con, path)
        appended = write_survey(tmp_path / "again.csv", n=50)  # same bytes, another name
        with pytest.raises(DuplicateFileError):
            ingest.ingest_file(con, appended, append_to=first.dataset.id)
    again = ingest.ingest_file(con, path, allow_duplicate=True)
    assert again.dataset.sha256 == first.dataset.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not [t for t in threading.enumerate() if t.name == "passaparola-sha256"]


def test_row_limit_checked_after_the_rows_of_a_text_file(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = write_survey(tmp_path / "many.csv", n=30, bad_every=4)
    with pytest.raises(IngestError, match="the file has more than 29 rows, over the limit of 29"):
        ingest.ingest_file(con, path, limits=ingest.Limits(max_rows=29))
    assert tables(con) == []
    assert con.execute("SELECT count(*) FROM datasets").fetchone() == (0,)
    assert ingest.ingest_file(con, path, limits=ingest.Limits(max_rows=30)).rows_read == 30


def test_a_file_over_the_row_limit_is_refused_before_its_rows_are_written_and_counted_only_to_the_limit(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 9: a 50,000,001-row file was written, then counted whole (70 s), before being refused."""
    path = write_survey(tmp_path / "many.csv", n=300, bad_every=4)
    counts: list[int | None] = []
    real_count = load._count_rows

    def counting(cur: duckdb.DuckDBPyConnection, source: object, *, stop: int | None = None) -> int:
        counts.append(stop)
        return real_count(cur, source, stop=stop)  # type: ignore[arg-type]

    def no_write(*args: object, **kwargs: object) -> int:
        raise AssertionError("the rows of a file over the limit were written")

    monkeypatch.setattr(load, "_count_rows", counting)
    with monkeypatch.context() as patch:
        patch.setattr(load, "_write_accepted", no_write)
        with pytest.raises(IngestError, match="many.csv: the file has more than 250 rows, over the limit of 250"):
            ingest.ingest_file(con, path, limits=ingest.Limits(max_rows=250))
    assert counts == [251]  # stopped one row past the limit
    counts.clear()
    assert ingest.ingest_file(con, path, limits=ingest.Limits(max_rows=10_000)).rows_read == 300
    assert counts == [None]  # far under the limit: no limit count, only the one the rejected rows need
