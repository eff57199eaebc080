"""Hostile cells through the CSV and XLSX downloads: no formula after a line break, no crash on control characters.

The CSV is read back three ways: Python's csv module (quoting honoured), pandas' C
parser, and line by line as a reader that breaks rows at every CR or LF would see it.
The XLSX is read back with openpyxl and python-calamine.
"""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from nps.export import FORMULA_PREFIXES, neutralise, sheet_name, to_csv_bytes, to_xlsx_bytes

PAYLOADS = ["ok\r=cmd|' /C calc'!A0", "a\n+1", "x\r\n@SUM(1)", "-2+3", "\x07=1+1", "fine\ttext"]
NEUTRALISED = ["ok\r'=cmd|' /C calc'!A0", "a\n'+1", "x\r\n'@SUM(1)", "'-2+3", "'\x07=1+1", "fine\ttext"]


@pytest.mark.parametrize(("value", "expected"), [
    *zip(PAYLOADS, NEUTRALISED),
    ("a\r\r=1", "a\r'\r'=1"),
    ("line one\nline two", "line one\nline two"),
    ("a\n\tb", "a\n'\tb"),
    ("", ""),
    (-3, -3),
])
def test_every_line_inside_a_cell_is_neutralised(value: object, expected: object) -> None:
    assert neutralise(value) == expected


def hostile() -> pd.DataFrame:
    return pd.DataFrame({
        "comment": PAYLOADS,
        "=HYPERLINK(\"http://x\")": ["a", "b", "c", "d", "e", "f"],
        "segment": pd.Series(["=B2B", "B2C", "+x", "B2C", "B2B\n-1", "B2C"], dtype="category"),
        "score": [-3, 0, 10, 7, 9, -1],
        "weight": [-3.5, 1.0, 2.0, 0.5, 1.0, 1.5],
    })


def lines_of(cell: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", cell)


def assert_no_formula(cells: list[object]) -> None:
    for cell in cells:
        if isinstance(cell, str):
            for line in lines_of(cell):
                assert not line.startswith(FORMULA_PREFIXES), f"{cell!r} has a line starting a formula"


def test_csv_read_back_has_no_formula_in_any_line_of_any_cell() -> None:
    text = to_csv_bytes(hostile()).decode("utf-8-sig")
    # QUOTE_NONNUMERIC on reading turns every unquoted field into a float: text cells must all be quoted.
    rows = list(csv.reader(io.StringIO(text, newline=""), quoting=csv.QUOTE_NONNUMERIC))
    assert rows[0] == ["comment", "'=HYPERLINK(\"http://x\")", "segment", "score", "weight"]
    assert [r[0] for r in rows[1:]] == NEUTRALISED
    assert [r[2] for r in rows[1:]] == ["'=B2B", "B2C", "'+x", "B2C", "B2B\n'-1", "B2C"]
    assert [r[3] for r in rows[1:]] == [-3.0, 0.0, 10.0, 7.0, 9.0, -1.0]
    assert [r[4] for r in rows[1:]] == [-3.5, 1.0, 2.0, 0.5, 1.0, 1.5]
    for row in rows:
        assert_no_formula(row)


def test_csv_read_back_by_pandas_keeps_numbers_as_numbers() -> None:
    back = pd.read_csv(io.BytesIO(to_csv_bytes(hostile())), encoding="utf-8-sig")
    assert list(back["score"]) == [-3, 0, 10, 7, 9, -1]
    assert list(back["comment"]) == NEUTRALISED
    assert_no_formula(list(back.columns))
    for name in back.columns:
        assert_no_formula(list(back[name]))


def test_a_reader_that_breaks_rows_at_every_line_break_sees_no_formula() -> None:
    text = to_csv_bytes(hostile()).decode("utf-8-sig")
    physical = re.split(r"\r\n|\r|\n", text)
    assert len(physical) > 7  # the line breaks inside cells are there
    for line in physical:
        assert not line.startswith(FORMULA_PREFIXES), line


def xlsx_rows(payload: bytes) -> tuple[list[tuple[object, ...]], list[list[object]], list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(payload))
    assert not [c.coordinate for row in book.active.iter_rows() for c in row if c.data_type == "f"]
    by_openpyxl = list(book.active.iter_rows(values_only=True))
    by_calamine = CalamineWorkbook.from_filelike(io.BytesIO(payload)).get_sheet_by_index(0).to_python()
    return by_openpyxl, by_calamine, book.sheetnames


def test_xlsx_with_control_characters_in_cells_names_and_sheet_opens_clean() -> None:
    frame = pd.DataFrame({
        "comment": ["x \x07", "ok\n=cmd", "nul\x00 and \ufffe"],
        "name\x1b[31m": pd.Series(["=B2B\x07", "B2C", None], dtype="category"),
        "plan": pd.Series(["basic\x0b", "+pro", None], dtype="string"),
        "score": [9, -3, 0],
    })
    by_openpyxl, by_calamine, sheets = xlsx_rows(to_xlsx_bytes(frame, sheet="wave\x07 [1]"))
    expected = [
        ["comment", "name[31m", "plan", "score"],
        ["x ", "'=B2B", "basic", 9],
        ["ok\n'=cmd", "B2C", "'+pro", -3],
        ["nul and ", None, None, 0],
    ]
    assert [list(r) for r in by_openpyxl] == expected
    assert [[None if v == "" else v for v in r] for r in by_calamine] == expected
    assert sheets == ["wave 1"]
    for row in by_openpyxl:
        assert_no_formula(list(row))


@pytest.mark.parametrize(("name", "expected"), [
    ("responses", "responses"), ("s\x07[x]", "sx"), ("'quoted'", "quoted"), ("[]:*?/\\", "sheet"),
    ("a" * 40, "a" * 31),
])
def test_sheet_names_are_made_acceptable_to_excel(name: str, expected: str) -> None:
    assert sheet_name(name) == expected
