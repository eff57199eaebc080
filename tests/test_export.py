"""Exports neutralise spreadsheet formulas in text cells, and only there."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from nps.export import neutralise, to_csv_bytes, to_xlsx_bytes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+39 333 1234567", "'+39 333 1234567"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("Ottimo servizio", "Ottimo servizio"),
        ("", ""),
        (-3, -3),
        (None, None),
    ],
)
def test_neutralise(value: object, expected: object) -> None:
    assert neutralise(value) == expected


def frame() -> pd.DataFrame:
    return pd.DataFrame({"score": [9, -1], "comment": ["=1+1", "Città è bella"], "date": pd.to_datetime(["2024-01-02", None])})


def test_csv_export_neutralises_text_and_keeps_accents() -> None:
    text = to_csv_bytes(frame()).decode("utf-8-sig")
    assert text.splitlines() == ['"score","comment","date"', '9,"\'=1+1","2024-01-02"', '-1,"Città è bella",""']


def test_xlsx_export_neutralises_text_and_keeps_numbers() -> None:
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame())))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("score", "comment", "date")
    assert rows[1][:2] == (9, "'=1+1")
    assert rows[2][:2] == (-1, "Città è bella")


def test_xlsx_is_written_by_xlsxwriter_with_text_kept_as_text() -> None:
    # openpyxl refused control characters (IllegalCharacterError); xlsxwriter escapes them.
    data = pd.DataFrame({
        "comment": ["http://example.com/x", "0123", "bell\x07 and null\x00 inside", "+39 333", None],
        "when": pd.to_datetime(["2024-01-02 10:00", None, "2024-03-04 00:00", "2024-05-06 00:00", "2024-07-08 00:00"], utc=True),
    })
    payload = to_xlsx_bytes(data, sheet="comments")
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        assert "hyperlink" not in archive.read("xl/worksheets/sheet1.xml").decode()
    book = openpyxl.load_workbook(io.BytesIO(payload))
    assert book.sheetnames == ["comments"]
    rows = list(book.active.iter_rows(values_only=True))
    assert [r[0] for r in rows] == ["comment", "http://example.com/x", "0123", "bell and null inside",
                                    "'+39 333", None]
    assert rows[1][1] == dt.datetime(2024, 1, 2, 10, 0) and rows[2][1] is None


def test_xlsx_export_says_when_it_is_too_long(monkeypatch) -> None:
    monkeypatch.setattr("nps.export.XLSX_MAX_ROWS", 2)
    with pytest.raises(ValueError, match="3 rows do not fit in one Excel sheet"):
        to_xlsx_bytes(pd.DataFrame({"a": [1, 2, 3]}))
