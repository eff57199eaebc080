"""Ingest: how cells become scores and dates (one SQL implementation, used on the sample and the file)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nps import ingest
from nps.ingest import values

GOOD_SCORES = [
    ("9", 9),
    ("10", 10),
    ("0", 0),
    ('"9"', 9),
    ("9.0", 9),
    ("9,0", 9),
    ("10 - Extremely likely", 10),
    ("0 - Per nulla probabile", 0),
    ("Not at all likely - 0", 0),
    ("9/10", 9),
    (" 7 ", 7),
    ("\u00a08\u00a0", 8),
    ("Extremely likely (10)", 10),
    ("10 = Estremamente probabile", 10),
]
BAD_SCORES = [
    ("", "score is blank"),
    ("   ", "score is blank"),
    (None, "score is blank"),
    ("N/A", "score is N/A"),
    ("n.d.", "score is N/A"),
    ("n/a", "score is N/A"),
    ("11", "score out of range 0-10"),
    ("-1", "score out of range 0-10"),
    ("-2147483648", "score out of range 0-10"),
    ("9.5", "score is not a whole number"),
    ("text", "score is not a number"),
    ("very likely", "score is not a number"),
]


def run_scores(cells: list[str | None]) -> list[tuple[int | None, str | None]]:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(cells)))
    number = values.parse_score_sql("v")
    rows = con.execute(
        f"SELECT {values.make_score_sql('n')}, {values.explain_score_sql('v', 'n')} "
        f"FROM (SELECT i, v, {number} AS n FROM t) ORDER BY i"
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def test_score_forms_in_sql() -> None:
    assert run_scores([c for c, _ in GOOD_SCORES]) == [(v, None) for _, v in GOOD_SCORES]
    assert run_scores([c for c, _ in BAD_SCORES]) == [(None, r) for _, r in BAD_SCORES]


@settings(deadline=None)
@given(
    score=st.integers(min_value=-50, max_value=60),
    form=st.sampled_from(["{}", " {} ", "{}.0", "{},0", "{}/10", "{} - label", "label - {}"]),
)
def test_score_property(score: int, form: str) -> None:
    text = form.format(score)
    ((value, reason),) = run_scores([text])
    if 0 <= score <= 10:
        assert (value, reason) == (score, None)
    elif score < 0 and form in ("{}/10", "label - {}", "{} - label"):
        assert value is None and reason is not None
    else:
        assert (value, reason) == (None, "score out of range 0-10")


def test_score_forms_through_a_file(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    cells = [c for c, _ in GOOD_SCORES] + [c if c is not None else "" for c, _ in BAD_SCORES]
    cells += [str(i % 11) for i in range(40)]
    frame = pd.DataFrame({"How likely are you to recommend us?": cells, "n": range(len(cells))})
    path = tmp_path / "forms.csv"
    frame.to_csv(path, index=False)
    report = ingest.ingest_file(con, path)
    assert report.rejected_reasons == {
        "score is blank": 3,
        "score is N/A": 3,
        "score out of range 0-10": 3,
        "score is not a whole number": 1,
        "score is not a number": 2,
    }
    assert (report.rows_read, report.accepted, report.rejected) == (66, 54, 12)
    table = report.dataset.table
    got = con.execute(f"SELECT _score FROM {table} WHERE _row <= 15 ORDER BY _row").fetchall()
    assert [g[0] for g in got] == [v for _, v in GOOD_SCORES]
    rejected = con.execute(
        f"SELECT _row, _column, _value, _reason FROM {report.dataset.rejected_table} ORDER BY _row LIMIT 4"
    ).fetchall()
    col = "How likely are you to recommend us?"
    assert rejected == [
        (16, col, None, "score is blank"),
        (17, col, "   ", "score is blank"),
        (18, col, None, "score is blank"),
        (19, col, "N/A", "score is N/A"),
    ]


def test_one_to_ten_scale_warns(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "scale.csv"
    pd.DataFrame({"NPS": [i % 10 + 1 for i in range(300)]}).to_csv(path, index=False)
    report = ingest.ingest_file(con, path)
    assert report.accepted == 300
    assert any("looks like a 1–10 scale: no 0 among 300 scores" in w for w in report.warnings)
    assert any("no 0 among 300 sampled scores" in w for w in report.inspection.warnings) is False
    inspected = ingest.inspect_file(path)
    assert any("no 0 among 300 sampled scores" in w for w in inspected.warnings)


# --- dates -----------------------------------------------------------------------------------

DATE_CASES = [
    # (values, expected first two timestamps, expected order)
    (["2024-03-05", "2024-12-31"], [dt.datetime(2024, 3, 5), dt.datetime(2024, 12, 31)], "ymd"),
    (
        ["2024-03-05T10:20:30", "2024-12-31T23:59:59.250"],
        [dt.datetime(2024, 3, 5, 10, 20, 30), dt.datetime(2024, 12, 31, 23, 59, 59, 250000)],
        "ymd",
    ),
    (
        ["2024-03-05T10:20:30Z", "2024-03-05T10:20:30+02:00"],
        [dt.datetime(2024, 3, 5, 10, 20, 30), dt.datetime(2024, 3, 5, 8, 20, 30)],
        "ymd",
    ),
    (
        ["2024-03-05 10:20:30-05:30", "2024-03-05 10:20:30 UTC"],
        [dt.datetime(2024, 3, 5, 15, 50, 30), dt.datetime(2024, 3, 5, 10, 20, 30)],
        "ymd",
    ),
    (["25/12/2024", "05/01/2024"], [dt.datetime(2024, 12, 25), dt.datetime(2024, 1, 5)], "dmy"),
    (
        ["12/25/2024 01:02:03 PM", "01/05/2024 12:00:00 AM"],
        [dt.datetime(2024, 12, 25, 13, 2, 3), dt.datetime(2024, 1, 5, 0, 0, 0)],
        "mdy",
    ),
    (["25.12.2024", "5.1.2024"], [dt.datetime(2024, 12, 25), dt.datetime(2024, 1, 5)], "dmy"),
    (
        ["25/12/2024 10.30.15", "05/01/2024 0.00.01"],
        [dt.datetime(2024, 12, 25, 10, 30, 15), dt.datetime(2024, 1, 5, 0, 0, 1)],
        "dmy",
    ),
    (
        ["25/12/2024 10:30", "05/01/2024 9:05"],
        [dt.datetime(2024, 12, 25, 10, 30), dt.datetime(2024, 1, 5, 9, 5)],
        "dmy",
    ),
    (["31/12/24", "01/02/99"], [dt.datetime(2024, 12, 31), dt.datetime(1999, 2, 1)], "dmy"),
]


def load_dates(
    tmp_path: Path,
    con: duckdb.DuckDBPyConnection,
    cells: list[str],
    *,
    name: str = "response_date",
    overrides: ingest.Overrides | None = None,
) -> ingest.IngestReport:
    path = tmp_path / f"dates{len(list(tmp_path.iterdir()))}.csv"
    frame = pd.DataFrame({"NPS": [i % 11 for i in range(len(cells))], name: cells})
    frame.to_csv(path, index=False)
    return ingest.ingest_file(con, path, overrides=overrides, allow_duplicate=True)


@pytest.mark.parametrize(("cells", "expected", "order"), DATE_CASES)
def test_date_forms(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, cells: list[str], expected: list[dt.datetime], order: str
) -> None:
    report = load_dates(tmp_path, con, cells * 10)
    assert report.dataset.mapping.date == "response_date"
    assert report.dataset.mapping.date_order == order
    assert report.rejected == 0
    got = [r[0] for r in con.execute(f"SELECT _date FROM {report.dataset.table} ORDER BY _row LIMIT 2").fetchall()]
    assert got == expected


def test_excel_serials_and_epochs(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    serial = load_dates(tmp_path, con, ["45292", "45292.5", "45658"] * 5)
    assert "Excel serial day numbers" in serial.dataset.mapping.reasons["date"]
    assert [
        r[0] for r in con.execute(f"SELECT _date FROM {serial.dataset.table} ORDER BY _row LIMIT 3").fetchall()
    ] == [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, 12), dt.datetime(2025, 1, 1)]
    seconds = load_dates(tmp_path, con, ["1704067200", "1704153600"] * 5)
    assert "Unix times in seconds" in seconds.dataset.mapping.reasons["date"]
    assert con.execute(f"SELECT min(_date) FROM {seconds.dataset.table}").fetchone() == (dt.datetime(2024, 1, 1),)
    millis = load_dates(tmp_path, con, ["1704067200000", "1704067200500"] * 5)
    assert "Unix times in milliseconds" in millis.dataset.mapping.reasons["date"]
    assert con.execute(f"SELECT max(_date) FROM {millis.dataset.table}").fetchone() == (
        dt.datetime(2024, 1, 1, 0, 0, 0, 500000),
    )


def test_numbers_are_not_dates_without_a_date_name(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    report = load_dates(tmp_path, con, ["45292", "45293"] * 10, name="customer_code")
    assert report.dataset.mapping.date is None


def test_day_first_decided_from_data(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    report = load_dates(tmp_path, con, ["01/02/2024"] * 20 + ["13/02/2024"])
    assert report.dataset.mapping.date_order == "dmy"
    assert (
        "day-first (dd/mm/yyyy), decided from the data: 1 sampled value(s) start with a number over 12"
        in report.dataset.mapping.reasons["date"]
    )
    assert not any("cannot be decided" in w for w in report.warnings)


def test_ambiguous_dates_warn_and_override_settles(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    cells = ["01/02/2024", "03/04/2024", "05/06/2024"] * 10
    report = load_dates(tmp_path, con, cells)
    assert report.dataset.mapping.date_order == "mdy"
    assert any(
        "the date order of 'response_date' cannot be decided from the data (no day over 12); assumed month-first "
        "(mm/dd) because the headers are English" in w
        for w in report.warnings
    )
    assert con.execute(f"SELECT min(_date) FROM {report.dataset.table}").fetchone() == (dt.datetime(2024, 1, 2),)
    italian = load_dates(tmp_path, con, cells, name="data della risposta")
    assert italian.dataset.mapping.date_order == "dmy"
    assert any("assumed day-first (dd/mm) because the headers are not English" in w for w in italian.warnings)
    settled = load_dates(tmp_path, con, cells, overrides=ingest.Overrides(date_order="dmy"))
    assert settled.dataset.mapping.date_order == "dmy"
    assert not any("cannot be decided" in w for w in settled.warnings)
    assert con.execute(f"SELECT min(_date) FROM {settled.dataset.table}").fetchone() == (dt.datetime(2024, 2, 1),)


def test_assumed_order_corrected_by_the_whole_file(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    cells = ["01/02/2024"] * 6000 + ["01/25/2024"]  # the sample (5,000 rows) cannot tell; row 6,002 can
    report = load_dates(tmp_path, con, cells)
    assert report.dataset.mapping.date_order == "mdy"
    assert report.rejected == 0
    italian = load_dates(tmp_path, con, cells, name="data della risposta")
    assert italian.dataset.mapping.date_order == "mdy"
    assert "decided from the whole file: 1 value(s) only read that way" in italian.dataset.mapping.reasons["date"]
    assert italian.rejected == 0
    assert not any("cannot be decided" in w for w in italian.warnings)


def test_blank_dates_kept_unreadable_rejected(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    cells = ["2024-01-05"] * 20 + ["", "not a date", "2024-02-30"]
    report = load_dates(tmp_path, con, cells)
    assert report.rejected_reasons == {"date not readable": 2}
    assert report.accepted == 21
    assert any(
        "1 accepted row(s) have a blank date in 'response_date'; they are kept without a date" in w
        for w in report.warnings
    )
    rejected = con.execute(
        f"SELECT _row, _column, _value FROM {report.dataset.rejected_table} ORDER BY _row"
    ).fetchall()
    assert rejected == [(23, "response_date", "not a date"), (24, "response_date", "2024-02-30")]


def test_no_date_override(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    report = load_dates(tmp_path, con, ["2024-01-05"] * 10, overrides=ingest.Overrides(no_date=True))
    assert report.dataset.mapping.date is None
    assert con.execute(f"SELECT count(_date) FROM {report.dataset.table}").fetchone() == (0,)
