"""The caveats' two optional tables read from CSV text: a population's shares and the invitations sent.

Pure: bytes in, a checked DataFrame out, or :class:`TableError` naming the file, the row (as a spreadsheet
numbers it: the header is row 1) and the column of the first bad cell. Both are ``,`` or ``;`` separated
(whichever the header line uses), UTF-8 (with or without a byte-order mark) or, failing that, cp1252.

* population: columns ``column``, ``value``, ``share`` (other columns are refused); a share is a number
  (``0.4``, ``40``, ``40%`` or ``40,5``) not below 0. Shares per column need not sum to 1 (they are scaled).
* invitations: a column ``invitations`` (a whole number of invitations, not below 0), at most one column of
  the data (coverage by its values) and an optional ``period`` (a date in the month: ``2026-03`` or
  ``2026-03-01``).

:func:`nps.query.caveats.caveats` takes the frames these return.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pandas as pd

from nps.errors import NpsError

POPULATION_COLUMNS: tuple[str, ...] = ("column", "value", "share")
INVITATIONS = "invitations"
PERIOD = "period"
_PERIOD = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


class TableError(NpsError):
    """A population or invitations table that cannot be used; the message names the file, row and column."""


def as_text(data: bytes | str, name: str) -> str:
    """The file's text: UTF-8 (a byte-order mark dropped) or, failing that, cp1252."""
    if isinstance(data, str):
        return data
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(f"{name}: not a text file (neither UTF-8 nor cp1252)")  # pragma: no cover - cp1252 reads any byte


def _frame(data: bytes | str | Path, name: str) -> pd.DataFrame:
    raw = Path(data).read_bytes() if isinstance(data, Path) else data
    text = as_text(raw, name).strip("\n\r")
    if not text.strip():
        raise TableError(f"{name}: the file is empty")
    header = text.splitlines()[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    columns = [c.strip() for c in rows[0]]
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    for number, row in enumerate(rows[1:], start=2):
        if any(cell.strip() for cell in row) and len(row) != len(columns):
            raise TableError(f"{name}, row {number}: {len(row)} cells for {len(columns)} columns")
    if not body:
        raise TableError(f"{name}: no rows under the header")
    frame = pd.DataFrame([[cell.strip() for cell in r] for r in body], columns=columns, dtype="str")
    frame.index = [number for number, row in enumerate(rows[1:], start=2) if any(cell.strip() for cell in row)]
    return frame


def _number(text: str) -> float | None:
    clean = text.strip().rstrip("%").strip().replace(" ", "")
    if clean.count(",") == 1 and "." not in clean:
        clean = clean.replace(",", ".")
    try:
        value = float(clean)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_population(data: bytes | str | Path, name: str = "population table") -> pd.DataFrame:
    """DataFrame[column, value, share] from a population CSV (see the module's text); :class:`TableError`
    naming the file, row and column of the first problem."""
    frame = _frame(data, name)
    missing = [c for c in POPULATION_COLUMNS if c not in frame.columns]
    extra = [c for c in frame.columns if c not in POPULATION_COLUMNS]
    if missing or extra:
        raise TableError(f"{name}: the columns must be column, value, share"
                         + (f"; missing {', '.join(missing)}" if missing else "")
                         + (f"; not expected {', '.join(extra)}" if extra else ""))
    shares = []
    for row, column, text in zip(frame.index, frame["column"], frame["share"]):
        if not column:
            raise TableError(f"{name}, row {row}, column 'column': empty (the data column this share is of)")
        value = _number(text)
        if value is None or value < 0:
            raise TableError(f"{name}, row {row}, column 'share': {text!r} is not a share (0.4, 40 or 40%)")
        shares.append(value)
    out = frame[list(POPULATION_COLUMNS)].copy()
    out["share"] = shares
    return out.reset_index(drop=True)


def read_invitations(data: bytes | str | Path, name: str = "invitations table") -> pd.DataFrame:
    """DataFrame[invitations, optional data column, optional period] from an invitations CSV (see the module's
    text), invitations as numbers; :class:`TableError` naming the file, row and column of the first problem."""
    frame = _frame(data, name)
    if INVITATIONS not in frame.columns:
        raise TableError(f"{name}: no column {INVITATIONS!r} (the invitations sent; optionally one column of the "
                         f"data and a column {PERIOD!r})")
    keys = [c for c in frame.columns if c not in (INVITATIONS, PERIOD)]
    if len(keys) > 1:
        raise TableError(f"{name}: invitations by at most one column of the data, not {', '.join(keys)}")
    counts = []
    for row, text in zip(frame.index, frame[INVITATIONS]):
        value = _number(text)
        if value is None or value < 0 or value != int(value):
            raise TableError(f"{name}, row {row}, column {INVITATIONS!r}: {text!r} is not a count of invitations")
        counts.append(value)
    if PERIOD in frame.columns:
        for row, text in zip(frame.index, frame[PERIOD]):
            if not _PERIOD.match(text):
                raise TableError(f"{name}, row {row}, column {PERIOD!r}: {text!r} is not a month (2026-03 or "
                                 "2026-03-01)")
    out = frame.copy()
    out[INVITATIONS] = counts
    return out.reset_index(drop=True)
