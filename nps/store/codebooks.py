"""Codebooks kept in the database: numbered versions, their history, the one in use.

Every saved codebook gets the next ``number`` in the ``codebooks`` catalog
(``number``, ``version`` = :attr:`nps.text.Codebook.version` content hash,
``saved_at``, ``note``, ``content`` = the themes in order as JSON; the table is
a migration of :mod:`nps.store`, made at connect). The newest is
the codebook in use; on a new database the default ``data/codebook.yaml`` is
number 1, stored by the first save before the new one (reads write nothing).
Saving a codebook identical to the newest one is a no-op. Editing a codebook is
pure and lives in :mod:`nps.text.codebooks`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb
import pandas as pd

from nps.store import audit, sql
from nps.store.transactions import transaction
from nps.text import DEFAULT_CODEBOOK, Codebook, load_codebook

HISTORY_COLUMNS: tuple[str, ...] = ("number", "version", "saved_at", "note", "themes", "terms")
DEFAULT_NOTE = "Default codebook"


def _content(codebook: Codebook) -> str:
    """The themes in order as JSON: ``[{"name": ..., "words": {language: [term, ...]}}, ...]``."""
    entries = [{"name": name, "words": {lang: list(terms) for lang, terms in words.items()}}
               for name, words in codebook.themes.items()]
    return json.dumps(entries, ensure_ascii=False)


def _from_content(content: str) -> Codebook:
    return Codebook.build({entry["name"]: entry["words"] for entry in json.loads(content)})


def _newest(cur: duckdb.DuckDBPyConnection) -> tuple[int, str, str] | None:
    """(number, version, content) of the newest saved codebook, or None when none is saved."""
    return sql.fetch_one(cur, "SELECT number, version, content FROM codebooks ORDER BY number DESC LIMIT 1")


def _save(cur: duckdb.DuckDBPyConnection, codebook: Codebook, note: str, actor: str) -> int:
    """Save ``codebook`` as the next number unless it is the newest already; the number it has.

    One transaction: on a database without a saved codebook the default is stored first as
    number 1; a new number is recorded in the audit trail as done by ``actor``.
    """
    own = cur.cursor()
    try:
        # Two sessions saving at once both pick the same number; the second one to commit
        # fails and tries again after the first one's save.
        for attempt in range(5):
            try:
                with transaction(own):
                    newest = _newest(own)
                    if newest is None:  # a first save comes after the default, number 1
                        default = load_codebook(DEFAULT_CODEBOOK)
                        _insert(own, 1, default, DEFAULT_NOTE)
                        newest = (1, default.version, "")
                    if newest[1] == codebook.version:
                        return int(newest[0])
                    number = int(newest[0]) + 1
                    _insert(own, number, codebook, note)
                    audit.record(own, actor, "codebook saved", f"codebook #{number}", {"number": int(newest[0])},
                                 {"number": number, "version": codebook.version, "note": note,
                                  "themes": len(codebook.themes)})
                    return number
            except (duckdb.ConstraintException, duckdb.TransactionException):
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")
    finally:
        own.close()


def _insert(cur: duckdb.DuckDBPyConnection, number: int, codebook: Codebook, note: str) -> None:
    """One row of the ``codebooks`` catalog (inside the caller's transaction)."""
    sql.execute(cur, "INSERT INTO codebooks VALUES (?, ?, ?, ?, ?)",
                [number, codebook.version, dt.datetime.now(), note, _content(codebook)])


def current_codebook(cur: duckdb.DuckDBPyConnection) -> Codebook:
    """The codebook in use: the newest saved one.

    On a database without any it is the default ``data/codebook.yaml``, number 1
    (note "Default codebook"), which the first save stores before its own:
    reading writes nothing. Raises ValueError when that file is malformed.
    """
    newest = _newest(cur)
    if newest is not None:
        return _from_content(newest[2])
    return load_codebook(DEFAULT_CODEBOOK)


def current_number(cur: duckdb.DuckDBPyConnection) -> int:
    """The number of the codebook in use (the newest saved), without reading or compiling its content.

    1 on a database without any: the default codebook (see :func:`current_codebook`).
    """
    newest = sql.fetch_value(cur, "SELECT max(number) FROM codebooks")
    return 1 if newest is None else int(newest)


def _rows(cur: duckdb.DuckDBPyConnection, where: str = "", params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """(number, version, saved_at, note, content) of the saved codebooks, newest first; the default when none is."""
    rows = sql.fetch_all(
        cur, f"SELECT number, version, saved_at, note, content FROM codebooks {where} ORDER BY number DESC",
        params or [],
    )
    if rows or sql.fetch_value(cur, "SELECT count(*) FROM codebooks"):
        return rows
    default = load_codebook(DEFAULT_CODEBOOK)
    row = (1, default.version, None, DEFAULT_NOTE, _content(default))
    # The same filters as the SQL above, on the one unsaved row.
    return [row] if _matches(row, where, params or []) else []


def _matches(row: tuple[Any, ...], where: str, params: list[Any]) -> bool:
    if not where:
        return True
    if where == "WHERE number = ?":
        return bool(row[0] == params[0])
    if where == "WHERE starts_with(version, ?)":
        return str(row[1]).startswith(str(params[0]))
    raise AssertionError(f"unexpected filter {where!r}")


def save_codebook(cur: duckdb.DuckDBPyConnection, codebook: Codebook, note: str, *,
                  actor: str = audit.LOCAL_ACTOR) -> int:
    """Save ``codebook`` as the newest version; return its number.

    ``note`` says what changed (shown in the history). A codebook identical to
    the newest one (same content version) is not saved again: the newest
    number is returned and nothing is written. A new version is recorded in the
    audit trail as done by ``actor`` ("codebook saved": the previous number before;
    the number, version, note and number of themes after), in its transaction.
    """
    return _save(cur, codebook, str(note or "").strip(), actor)


def codebook_history(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every saved codebook, newest first: DataFrame[number, version, saved_at, note, themes, terms].

    ``version`` is the content hash, ``themes`` the number of themes and
    ``terms`` the number of words and phrases over all languages. On a new
    database the one row is the default codebook, number 1, not saved yet
    (``saved_at`` missing): there is always a row, and reading writes nothing.
    """
    rows = _rows(cur)
    themes, terms = [], []
    for *_, content in rows:
        entries = json.loads(content)
        themes.append(len(entries))
        terms.append(sum(len(t) for entry in entries for t in entry["words"].values()))
    return pd.DataFrame({
        "number": pd.Series([r[0] for r in rows], dtype="int64"),
        "version": pd.Series([r[1] for r in rows], dtype=object),
        "saved_at": pd.to_datetime(pd.Series([r[2] for r in rows], dtype=object)),
        "note": pd.Series([r[3] for r in rows], dtype=object),
        "themes": pd.Series(themes, dtype="int64"),
        "terms": pd.Series(terms, dtype="int64"),
    })


def load_codebook_version(cur: duckdb.DuckDBPyConnection, number_or_version: int | str) -> Codebook:
    """A saved codebook by its number (an int, or digits) or its version (the hash, or its first 6+ characters).

    Raises ValueError when no saved codebook has that number or version, or a
    short version matches several, listing what there is.
    """
    key = number_or_version
    if isinstance(key, bool):
        raise ValueError(f"a codebook is picked by number or version, not {key!r}")
    if isinstance(key, int) or (isinstance(key, str) and key.strip().isdigit() and len(key.strip()) < 10):
        number = int(key)
        found = _rows(cur, "WHERE number = ?", [number])
        if not found:
            raise ValueError(f"no codebook number {number}; saved ones are numbered 1 to {current_number(cur)}")
        return _from_content(found[0][4])
    prefix = str(key).strip().lower()
    if len(prefix) < 6:
        raise ValueError(f"give a codebook's number or at least 6 characters of its version, not {key!r}")
    rows = [(r[0], r[4]) for r in _rows(cur, "WHERE starts_with(version, ?)", [prefix])]
    if not rows:
        raise ValueError(f"no saved codebook has version {key!r}; see the history for the saved ones")
    # The same content saved twice (restored) has one version: any of its rows will do.
    versions = {r[1] for r in rows}
    if len(versions) > 1:
        numbers = ", ".join(str(r[0]) for r in rows)
        raise ValueError(f"version {key!r} matches several codebooks (numbers {numbers}); give more of it")
    return _from_content(rows[0][1])
