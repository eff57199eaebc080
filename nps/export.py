"""Spreadsheet-safe exports: CSV and XLSX bytes with formula prefixes neutralised.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by Excel, LibreOffice and Google Sheets ("CSV injection"); text
cells that start so get a leading apostrophe, which spreadsheets show as text.
Numbers are left alone (``-3`` stays a number).

XLSX is written by xlsxwriter (several times faster than openpyxl) with every
text cell written as text: no string becomes a formula, a number or a link.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pandas as pd

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_575  # one row is the header
# Control characters XML (hence XLSX) cannot hold; tab, line feed and carriage return it can.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value: Any) -> Any:
    """Return ``value`` with a leading apostrophe if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are neutralised."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            out[name] = column.map(neutralise, na_action="ignore")
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with a BOM, so Excel reads accents right) of a neutralised copy of ``frame``."""
    return neutralise_frame(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, *, sheet: str = "responses") -> bytes:
    """An XLSX workbook of a neutralised copy of ``frame``; raises ValueError past Excel's row limit.

    Control characters other than tab and line breaks are dropped from text
    cells (a worksheet cannot hold them); time zones are dropped from
    timestamps (Excel has none), which keep their wall-clock time.
    """
    if len(frame) > XLSX_MAX_ROWS:
        raise ValueError(f"{len(frame):,} rows do not fit in one Excel sheet ({XLSX_MAX_ROWS:,} at most): "
                         "narrow the filter or download CSV")
    safe = neutralise_frame(frame)
    for name in safe.columns:
        column = safe[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            safe[name] = column.map(lambda v: _CONTROL.sub("", v) if isinstance(v, str) else v)
        elif isinstance(column.dtype, pd.DatetimeTZDtype):
            safe[name] = safe[name].dt.tz_localize(None)
    buffer = io.BytesIO()
    # Text stays text: the apostrophe already disarms formulas, and these options keep xlsxwriter
    # from turning "=…", "0123" or "http://…" cells into formulas, numbers or links on its own.
    options = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        safe.to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()
