"""Exports neutralise spreadsheet formulas in text cells, and only there."""

from __future__ import annotations

import io

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
    assert text.splitlines() == ["score,comment,date", "9,'=1+1,2024-01-02", "-1,Città è bella,"]


def test_xlsx_export_neutralises_text_and_keeps_numbers() -> None:
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame())))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("score", "comment", "date")
    assert rows[1][:2] == (9, "'=1+1")
    assert rows[2][:2] == (-1, "Città è bella")
