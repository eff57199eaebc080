"""Ingest: the load itself — row numbers, the rejected table, atomicity, concurrency, waves, duplicates."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from nps import ingest, store
from nps.ingest import load
from nps.errors import DuplicateFileError, IngestError

SCORES = [0, 3, 6, 7, 8, 9, 10, 10, 9, 5, 2, 8, 9, 10, 1, 4, 7, 9, 10, 6]


def write_survey(path: Path, n: int = 40, *, bad_every: int = 0, start: int = 0) -> Path:
    rows = []
    for i in range(start, start + n):
        score = "" if bad_every and i % bad_every == 0 else str(SCORES[i % 20])
        rows.append(
            {
                "customer id": f"C{i:06d}",
                "date": f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
                "NPS": score,
                "region": ["North", "South", "East"][i % 3],
                "comment": f"comment {i}, with a comma",
            }
        )
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables a load makes (responses, rejected, its scratch table)."""
    names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    return sorted(n for n in names if n.startswith(("responses_", "rejected_", "load_flags_")))


def check_rows_match_file(
    con: duckdb.DuckDBPyConnection, report: ingest.IngestReport, path: Path, encoding: str = "utf-8"
) -> None:
    """Every accepted and rejected row holds the cells of the file's record numbered _row (header = 1)."""
    with open(path, encoding=encoding, newline="") as handle:
        records = list(csv.reader(handle))
    names = ", ".join(f'"{c}"' for c in report.dataset.columns)
    seen = set()
    for table in (report.dataset.table, report.dataset.rejected_table):
        for row in con.execute(f"SELECT _row, {names} FROM {table}").fetchall():
            expected = [v if v != "" else None for v in records[row[0] - 1]]
            assert list(row[1:]) == expected, (table, row[0])
            seen.add(row[0])
    assert seen == set(range(2, len(records) + 1))


def test_rows_and_rejected_table(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = write_survey(tmp_path / "s.csv", bad_every=7)
    report = ingest.ingest_file(con, path)
    assert (report.rows_read, report.accepted, report.rejected) == (40, 34, 6)
    assert report.rejected_reasons == {"score is blank": 6}
    check_rows_match_file(con, report, path)
    columns = con.execute(f"DESCRIBE {report.dataset.rejected_table}").fetchall()
    assert [(c[0], c[1]) for c in columns[:5]] == [
        ("_row", "BIGINT"),
        ("_wave", "INTEGER"),
        ("_column", "VARCHAR"),
        ("_value", "VARCHAR"),
        ("_reason", "VARCHAR"),
    ]
    assert [c[0] for c in columns[5:]] == ["customer id", "date", "NPS", "region", "comment"]
    described = con.execute(f"DESCRIBE {report.dataset.table}").fetchall()
    assert [(c[0], c[1]) for c in described[:8]] == [
        ("_row", "BIGINT"),
        ("_wave", "INTEGER"),
        ("_score", "TINYINT"),
        ("_category", "VARCHAR"),
        ("_date", "TIMESTAMP"),
        ("_comment", "VARCHAR"),
        ("_respondent", "VARCHAR"),
        ("_weight", "DOUBLE"),
    ]
    assert {c[1] for c in described[8:]} == {"VARCHAR"}
    first = con.execute(f"SELECT * FROM {report.dataset.rejected_table} ORDER BY _row LIMIT 1").fetchone()
    assert first == (
        2,
        1,
        "NPS",
        None,
        "score is blank",
        "C000000",
        "2024-01-01",
        None,
        "North",
        "comment 0, with a comma",
    )
    assert con.execute(f"SELECT _respondent, _wave FROM {report.dataset.table} WHERE _row = 3").fetchone() == (
        "C000001",
        1,
    )


def test_quoted_line_breaks_count_one_row(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "multi.csv"
    lines = (
        ["NPS,comment"]
        + [f'{i % 11},"line one {i}\nline two"' if i % 3 == 0 else f"{i % 11},plain {i}" for i in range(30)]
        + [",blank score"]
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest.ingest_file(con, path)
    check_rows_match_file(con, report, path)
    assert con.execute(f"SELECT _row FROM {report.dataset.rejected_table}").fetchall() == [(32,)]


@pytest.mark.slow
def test_large_file_parallel_reader(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Above 8 MB the parallel reader runs; rejected rows spread through the file keep every _row right."""
    path = write_survey(tmp_path / "large.csv", n=180_000, bad_every=997)
    assert path.stat().st_size > 8 * 1024 * 1024
    report = ingest.ingest_file(con, path)
    assert report.rejected == 181
    assert report.accepted == 180_000 - 181
    table = report.dataset.table
    assert con.execute(f"SELECT min(_row), max(_row), count(DISTINCT _row) FROM {table}").fetchone() == (
        3,
        180_001,
        179_819,
    )
    wrong = con.execute(
        f'SELECT count(*) FROM {table} WHERE _row - 2 <> CAST(substr("customer id", 2) AS INTEGER)'
    ).fetchone()
    assert wrong == (0,)
    rejected = con.execute(f'SELECT _row, "customer id" FROM {report.dataset.rejected_table} ORDER BY _row LIMIT 2')
    assert rejected.fetchall() == [(2, "C000000"), (999, "C000997")]


@pytest.mark.slow
def test_large_file_with_a_late_quoted_line_break(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = write_survey(tmp_path / "late.csv", n=180_000)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('C999999,2024-01-01,9,North,"a comment\nover two lines"\n')
        handle.write("C999998,2024-01-01,8,South\n")  # short row: padded
    report = ingest.ingest_file(con, path)
    assert report.accepted == 180_002
    rows = con.execute(f"SELECT _row, _comment FROM {report.dataset.table} ORDER BY _row DESC LIMIT 2").fetchall()
    assert rows == [(180_003, None), (180_002, "a comment\nover two lines")]


def test_summary_lines_and_names(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = write_survey(tmp_path / "upload_tmp123.csv", bad_every=10)
    report = ingest.ingest_file(con, path, display_name="Q1 survey.csv")
    assert report.dataset.name == "Q1 survey"
    assert report.dataset.source_file == "Q1 survey.csv"
    lines = report.summary_lines()
    assert lines[0] == "file: Q1 survey.csv — csv, utf-8, layout flat, 1 header row(s)"
    assert lines[1] == "dataset 1 'Q1 survey' (customer), wave 1"
    assert lines[2] == "score: NPS ('NPS' is named like an NPS score; 100% of 36 sampled values are whole numbers 0–10)"
    assert "rows read: 40; accepted: 36; rejected: 4" in lines
    assert "  rejected, score is blank: 4" in lines
    assert any(line.startswith("respondent: customer id (") for line in lines)
    assert "dimensions: region" in lines
    stored = store.get_dataset(con, report.dataset.id)
    assert (stored.rows_read, stored.accepted, stored.rejected, stored.layout, stored.encoding, stored.format) == (
        40,
        36,
        4,
        "flat",
        "utf-8",
        "csv",
    )
    assert stored.mapping == report.dataset.mapping
    with pytest.raises(IngestError, match="^Q1 survey.csv: the file has a header but no data rows$"):
        (tmp_path / "empty_upload.csv").write_text("NPS,comment\n", encoding="utf-8")
        ingest.ingest_file(con, tmp_path / "empty_upload.csv", display_name="Q1 survey.csv")


def test_progress_is_reported(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    seen: list[tuple[float, str]] = []
    ingest.ingest_file(con, write_survey(tmp_path / "p.csv"), progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert seen[-1][1] == "done"


def test_duplicate_file(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = write_survey(tmp_path / "d.csv")
    first = ingest.ingest_file(con, path)
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    with pytest.raises(DuplicateFileError) as info:
        ingest.ingest_file(con, copy)
    assert info.value.dataset_id == first.dataset.id
    assert str(info.value).startswith("copy.csv: this file was already loaded as dataset 1 ('d')")
    again = ingest.ingest_file(con, copy, allow_duplicate=True)
    assert again.dataset.id == first.dataset.id + 1


def test_append_wave(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    first = ingest.ingest_file(con, write_survey(tmp_path / "w1.csv", n=40, bad_every=9))
    path2 = write_survey(tmp_path / "w2.csv", n=30, bad_every=4, start=100)
    second = ingest.ingest_file(con, path2, append_to=first.dataset.id)
    assert second.wave == 2
    assert (second.rows_read, second.accepted, second.rejected) == (30, 22, 8)
    ds = second.dataset
    assert (ds.id, ds.waves, ds.rows_read, ds.accepted, ds.rejected) == (first.dataset.id, 2, 70, 57, 13)
    by_wave = con.execute(f"SELECT _wave, count(*), min(_row), max(_row) FROM {ds.table} GROUP BY ALL ORDER BY 1")
    assert by_wave.fetchall() == [(1, 35, 3, 41), (2, 22, 3, 31)]
    rejected = con.execute(f"SELECT _wave, count(*) FROM {ds.rejected_table} GROUP BY ALL ORDER BY 1").fetchall()
    assert rejected == [(1, 5), (2, 8)]
    wave2 = con.execute(f'SELECT _row, "customer id" FROM {ds.table} WHERE _wave = 2 ORDER BY _row LIMIT 2')
    assert wave2.fetchall() == [(3, "C000101"), (4, "C000102")]
    files = con.execute("SELECT wave, source_file, rows_read FROM dataset_files ORDER BY wave").fetchall()
    assert files == [(1, "w1.csv", 40), (2, "w2.csv", 30)]


def test_append_needs_the_same_columns(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    first = ingest.ingest_file(con, write_survey(tmp_path / "w1.csv"))
    other = tmp_path / "other.csv"
    pd.DataFrame({"NPS": SCORES, "region": ["N"] * 20, "channel": ["web"] * 20}).to_csv(other, index=False)
    with pytest.raises(IngestError) as info:
        ingest.ingest_file(con, other, append_to=first.dataset.id)
    assert str(info.value) == (
        "other.csv: the columns differ from dataset 1 ('w1'): missing 'customer id', 'date', 'comment'; "
        "new 'channel'; append only files with the same columns"
    )


def test_failed_load_leaves_nothing(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "insert_dataset", broken)
    with pytest.raises(IngestError, match="disk full"):
        ingest.ingest_file(con, write_survey(tmp_path / "f.csv", bad_every=5))
    assert tables(con) == []
    assert con.execute("SELECT count(*) FROM datasets").fetchone() == (0,)


@pytest.mark.parametrize("when", [0.1, 0.3, 0.85, 0.9])
def test_interrupted_load_leaves_nothing(tmp_path: Path, con: duckdb.DuckDBPyConnection, when: float) -> None:
    def interrupt(fraction: float, message: str) -> None:
        if fraction >= when and message != "done":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest.ingest_file(con, write_survey(tmp_path / "k.csv", bad_every=5), progress=interrupt)
    assert tables(con) == []
    assert con.execute("SELECT count(*) FROM datasets").fetchone() == (0,)
    report = ingest.ingest_file(con, tmp_path / "k.csv")  # the same file loads afterwards
    assert report.accepted == 32


def test_two_cursors_load_at_once(tmp_path: Path) -> None:
    con = store.connect(tmp_path / "db.duckdb")
    paths = [write_survey(tmp_path / f"t{i}.csv", n=5000 + i, bad_every=11) for i in range(2)]
    results: dict[int, ingest.IngestReport] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def load(i: int) -> None:
        cur = con.cursor()
        try:
            barrier.wait()
            results[i] = ingest.ingest_file(cur, paths[i])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            cur.close()

    threads = [threading.Thread(target=load, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.rows_read for r in results.values()) == [5000, 5001]
    assert {r.dataset.id for r in results.values()} == {1, 2}
    for report in results.values():
        n = con.execute(f"SELECT count(*) FROM {report.dataset.table}").fetchone()[0]
        assert n == report.accepted
    assert con.execute("SELECT count(*) FROM datasets").fetchone() == (2,)
    con.close()


def test_unexpected_errors_become_ingest_errors(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('NPS,comment\n5,"never closed\n6,ok\n', encoding="utf-8")
    with pytest.raises(IngestError) as info:
        ingest.ingest_file(con, path)
    assert str(info.value).startswith("quote.csv")
    assert "\n" not in str(info.value)
    assert tables(con) == []


def test_rows_numbered_while_reading_when_order_is_not_kept(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback for a plan DuckDB would not run as a batch insert: row_number() as the file is read."""
    monkeypatch.setattr(load, "_keeps_order", lambda *args: False)
    path = write_survey(tmp_path / "n.csv", n=60, bad_every=7)
    report = ingest.ingest_file(con, path)
    assert (report.accepted, report.rejected) == (51, 9)
    check_rows_match_file(con, report, path)
    second = ingest.ingest_file(
        con, write_survey(tmp_path / "n2.csv", n=20, bad_every=3, start=500), append_to=report.dataset.id
    )
    assert con.execute(f"SELECT min(_row), max(_row) FROM {second.dataset.table} WHERE _wave = 2").fetchone() == (2, 20)
