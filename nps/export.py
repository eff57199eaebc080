"""Spreadsheet-safe exports: CSV and XLSX bytes with formula prefixes neutralised.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by Excel, LibreOffice and Google Sheets ("CSV injection"); text
cells that start so get a leading apostrophe, which spreadsheets show as text.
So does every line inside a cell (after a line feed or a carriage return: a
reader that splits rows there would see a new cell), and control characters
before the prefix do not hide it. Column names are text cells too. In CSV every
text cell is quoted, numbers are not (``-3`` stays a number).

XLSX is written by xlsxwriter (several times faster than openpyxl) with every
text cell written as text: no string becomes a formula, a number or a link.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import numpy as np
import pandas as pd

from nps.control_chars import XML_UNSAFE

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_575  # one row is the header
# First characters that call for a closer look: the prefixes and the control characters that may hide one.
_RISKY_STARTS = frozenset(
    "".join(FORMULA_PREFIXES) + "".join(map(chr, [*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f]))
)
# The start of the text or of a line inside it, when the line (after any control characters, which
# a spreadsheet may drop) begins with a formula prefix.
_RISKY_LINE = re.compile("[\r\n][\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*[=+\\-@\t\r]")
_FORMULA_LINE = re.compile("(?:^|(?<=[\r\n]))(?=[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*[=+\\-@\t\r])")


def neutralise(value: Any) -> Any:
    """``value`` with an apostrophe before its start and each line inside it that a spreadsheet would run as a formula.

    Only text is changed: ``"a\\n=1"`` gives ``"a\\n'=1"``; numbers, None and other values are returned as they are.
    """
    # Most cells neither start riskily nor hold a risky line: a quick search spares them the substitution.
    if isinstance(value, str) and value and (value[0] in _RISKY_STARTS or _RISKY_LINE.search(value)):
        return _FORMULA_LINE.sub("'", value)
    return value


def _strip_unsafe(value: Any) -> Any:
    return XML_UNSAFE.sub("", value) if isinstance(value, str) else value


def _map_text(column: pd.Series, function: Any) -> pd.Series:
    """``function`` over a column's text, as an object column; a categorical one maps only its categories."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        mapped = np.append(np.asarray(column.cat.categories.map(function), dtype=object), None)
        return pd.Series(mapped[column.cat.codes.to_numpy()], index=column.index, dtype=object)
    return column.map(function, na_action="ignore")


def _may_hold_text(column: pd.Series) -> bool:
    dtype = column.dtype
    return dtype == object or pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (object, string and categorical columns) and column names are neutralised.

    Categorical columns come back as object columns (their categories may be text).
    """
    out = frame.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if _may_hold_text(column):
            out.isetitem(i, _map_text(column, neutralise))
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with a BOM, so Excel reads accents right) of a neutralised copy of ``frame``.

    Every text cell and column name is quoted, so a line break inside a cell stays in
    the cell; numbers are not quoted; missing values are empty.
    """
    return neutralise_frame(frame).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC).encode("utf-8-sig")


def sheet_name(name: str) -> str:
    """``name`` as Excel accepts a sheet name: control characters and ``[]:*?/\\`` dropped, no apostrophe
    at either end, at most 31 characters, ``"sheet"`` when nothing is left."""
    cleaned = re.sub(r"[\[\]:*?/\\]", "", XML_UNSAFE.sub("", str(name))).strip().strip("'")[:31].strip()
    return cleaned.strip("'") or "sheet"


def to_xlsx_bytes(frame: pd.DataFrame, *, sheet: str = "responses") -> bytes:
    """An XLSX workbook of a neutralised copy of ``frame``; raises ValueError past Excel's row limit.

    Control characters other than tab and line breaks are dropped from text
    cells and column names (a worksheet cannot hold them); the sheet is named by
    :func:`sheet_name`; time zones are dropped from timestamps (Excel has none),
    which keep their wall-clock time.
    """
    if len(frame) > XLSX_MAX_ROWS:
        raise ValueError(f"{len(frame):,} rows do not fit in one Excel sheet ({XLSX_MAX_ROWS:,} at most): "
                         "narrow the filter or download CSV")
    safe = neutralise_frame(frame)
    for i in range(safe.shape[1]):
        column = safe.iloc[:, i]
        if _may_hold_text(column):
            safe.isetitem(i, _map_text(column, _strip_unsafe))
        elif isinstance(column.dtype, pd.DatetimeTZDtype):
            safe.isetitem(i, column.dt.tz_localize(None))
    safe.columns = [XML_UNSAFE.sub("", c) for c in safe.columns]
    buffer = io.BytesIO()
    # Text stays text: the apostrophe already disarms formulas, and these options keep xlsxwriter
    # from turning "=…", "0123" or "http://…" cells into formulas, numbers or links on its own.
    options = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        safe.to_excel(writer, index=False, sheet_name=sheet_name(sheet))
    return buffer.getvalue()
