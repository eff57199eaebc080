"""Workbooks read with python-calamine (issue 8): sheet row numbers, cells from column A, dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pytest

from nps import ingest
from nps.ingest import workbooks


def no_openpyxl(*args: object, **kwargs: object) -> None:
    raise AssertionError("workbooks are read with python-calamine, not openpyxl")


def workbook(path: Path) -> None:
    """Data from B4 below a title in B2; a midnight date-time, a date, a timed date-time; two bad scores."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Risposte"
    ws["B2"] = "Export of 2024"
    ws.append([])
    ws.append([None, "Data", "NPS", "Città", "Commento"])
    for i in range(20):
        when: dt.date = dt.datetime(2024, 3, i + 1, 0, 0) if i % 3 == 0 else dt.datetime(2024, 3, i + 1, 14, 5)
        if i % 3 == 1:
            when = dt.date(2024, 3, i + 1)
        score: object = i % 11
        if i in (4, 11):
            score = "n/a" if i == 4 else 12
        ws.append([None, when, score, ["Roma", "Milano"][i % 2], f"Commento numero {i}"])
    wb.save(path)


def test_rows_cells_and_dates(tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "risposte.xlsx"
    workbook(path)
    monkeypatch.setattr(openpyxl, "load_workbook", no_openpyxl)
    rows = list(workbooks.iter_sheet_rows(path, None, "risposte.xlsx"))
    assert rows[:5] == [
        [],
        ["", "Export of 2024", "", "", ""],
        [],
        ["", "Data", "NPS", "Città", "Commento"],
        ["", "2024-03-01", "0", "Roma", "Commento numero 0"],  # a date-time at midnight reads as its date
    ]
    assert rows[5][1:3] == ["2024-03-02", "1"]
    assert rows[6][1] == "2024-03-03 14:05:00"
    report = ingest.ingest_file(con, path)
    assert (report.inspection.layout, report.inspection.header_rows) == ("spreadsheet", 4)
    assert (report.accepted, report.rejected_reasons) == (18, {"score is N/A": 1, "score out of range 0-10": 1})
    rejected = con.execute(f"SELECT _row, _column, _value FROM {report.dataset.rejected_table} ORDER BY _row").fetchall()
    assert rejected == [(9, "NPS", "n/a"), (16, "NPS", "12")]  # the sheet's own row numbers
    first = con.execute(f"SELECT _row, _date, _score FROM {report.dataset.table} ORDER BY _row LIMIT 3").fetchall()
    assert first == [
        (5, dt.datetime(2024, 3, 1), 0),
        (6, dt.datetime(2024, 3, 2), 1),
        (7, dt.datetime(2024, 3, 3, 14, 5), 2),
    ]


def test_sheet_listing_and_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "two.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    data = wb.create_sheet("Data")
    for i in range(30):
        data.append([i, i % 11])
    wb.save(path)
    monkeypatch.setattr(openpyxl, "load_workbook", no_openpyxl)
    assert workbooks.list_sheets(path, "two.xlsx") == ["Notes", "Data"]
    assert workbooks.read_sheet_size(path, "Data", "two.xlsx") == 30
