"""The one gate to DuckDB: every statement runs through here, values bound, identifiers quoted.

Like Datasette's ``Database.execute(sql, params)`` with ``escape_sqlite``: modules
write SQL text with ``?`` placeholders for values, and build identifiers only with
:func:`column` (checked against the dataset's own columns) or :func:`table`
(names the library itself made). No other module calls ``execute`` on a cursor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import duckdb

from nps.errors import UnknownColumnError

if TYPE_CHECKING:  # pandas costs ~0.9 s to import; DuckDB's .df() imports it when a frame is asked for
    import pandas as pd

# Columns every responses table has, next to the file's own columns.
SCORE = "_score"
CATEGORY = "_category"
DATE = "_date"
COMMENT = "_comment"
RESPONDENT = "_respondent"
WEIGHT = "_weight"
ROW = "_row"
WAVE = "_wave"
RESERVED: tuple[str, ...] = (ROW, WAVE, SCORE, CATEGORY, DATE, COMMENT, RESPONDENT, WEIGHT)

_TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

Params = Sequence[Any]


def quote_ident(name: str) -> str:
    """Return ``name`` as a double-quoted SQL identifier (inner quotes doubled)."""
    if "\x00" in name:
        raise UnknownColumnError("a column name cannot contain a NUL character")
    return '"' + name.replace('"', '""') + '"'


def column(name: str, allowed: Iterable[str]) -> str:
    """Quote ``name`` if it is one of ``allowed`` (the dataset's columns); raise otherwise.

    Raises :class:`UnknownColumnError` with the list of known columns.
    """
    allowed = list(allowed)
    if name not in allowed:
        known = ", ".join(repr(c) for c in allowed if not c.startswith("_"))
        raise UnknownColumnError(f"no column {name!r} in this dataset; its columns are: {known}")
    return quote_ident(name)


def table(name: str) -> str:
    """Quote a table name the library generated itself (lower-case letters, digits, ``_``)."""
    if not _TABLE_NAME.match(name):
        raise ValueError(f"not a table name the library makes: {name!r}")
    return quote_ident(name)


def execute(cur: duckdb.DuckDBPyConnection, sql: str, params: Params | None = None) -> duckdb.DuckDBPyConnection:
    """Run one statement with bound parameters and return the cursor."""
    if params:
        return cur.execute(sql, list(params))
    return cur.execute(sql)


def fetch_all(cur: duckdb.DuckDBPyConnection, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
    """Run a query and return all rows as tuples."""
    return execute(cur, sql, params).fetchall()


def fetch_one(cur: duckdb.DuckDBPyConnection, sql: str, params: Params | None = None) -> tuple[Any, ...] | None:
    """Run a query and return its first row, or None when it returns none.

    Reads the whole result (callers ask for one row): a half-read result would
    keep the cursor busy in DuckDB 2.0.
    """
    rows = execute(cur, sql, params).fetchall()
    return rows[0] if rows else None


def fetch_value(cur: duckdb.DuckDBPyConnection, sql: str, params: Params | None = None) -> Any:
    """Run a query and return the first column of its first row (None when empty)."""
    row = fetch_one(cur, sql, params)
    return None if row is None else row[0]


def fetch_df(cur: duckdb.DuckDBPyConnection, sql: str, params: Params | None = None) -> pd.DataFrame:
    """Run a query and return the result as a pandas DataFrame (use for aggregates only)."""
    return execute(cur, sql, params).df()


# The label of a NULL (missing) value of a column, in breakdowns, value lists and filters
# (a filter's BLANK matches NULL: nps.query.rows.where_clause).
BLANK = "(blank)"
