"""Writing one wave: count the rows, write the accepted ones, flag and write the rejected ones, number the rows.

Why no row_number() and no DELETE: DuckDB's row_number() OVER () makes the whole
read single-threaded, and deleting rows from a table written in the same
transaction makes DuckDB rewrite the table at commit. So a load is:

1. count the file's rows (cheap: nothing is materialised);
2. write the accepted rows, in parallel and in file order, ``_row`` left NULL;
3. only when some rows were left out: a "flags" table with one row per file
   row, in file order (its rowid is the position): the reason a row is
   rejected and the rejected row's cells (NULL for good rows, nearly free);
   the rejected table is built from it;
4. fill ``_row`` of the accepted rows from their rowid and the positions of
   the rejected rows — an UPDATE, cheap only once the rows are committed,
   hence the two transactions of a new dataset (see :mod:`nps.ingest.commit`).

Measured on two cores, 1M rows: row_number() added ~1.7 s to a 2.3 s load, the
DELETE ~1 s at commit; an UPDATE in the writing transaction 0.4 s (11 s at 10M).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import duckdb

from nps.errors import IngestError
from nps.store import ColumnMapping, sql
from nps.ingest import choices
from nps.ingest import inspecting
from nps.ingest import roles
from nps.ingest import sources
from nps.ingest import statements
from nps.ingest import values


def _execute_read(cur: duckdb.DuckDBPyConnection, statement: str, params: list[Any], source: sources.Source) -> Any:
    """Run a statement that reads the file; DuckDB errors become IngestError (or a serial retry)."""
    try:
        return sql.execute(cur, statement, params)
    except duckdb.Error as exc:
        sources.raise_for_retry(exc, source)
        raise sources.duckdb_error(exc, source.file) from exc


def _generated_columns(cur: duckdb.DuckDBPyConnection, names: statements.Tables) -> set[str]:
    """The generated columns of an existing responses table (none in tables written before they were used)."""
    rows = sql.fetch_all(
        cur,
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = current_schema() AND table_name = ? AND is_generated",
        [names.responses_name],
    )
    return {str(r[0]) for r in rows}


def _keeps_order(cur: duckdb.DuckDBPyConnection, statement: str, params: list[Any]) -> bool:
    """True when DuckDB will write the rows in the order it reads them (a batch insert).

    Row numbers come from the tables' rowids, so a plan without a batch insert
    (DuckDB picks one when some operator, such as a join, loses the order)
    means the load must number rows as it reads instead.
    """
    plan = sql.fetch_all(cur, f"EXPLAIN {statement}", params)
    return any(
        re.search(r"Batch (Create Table As|Insert)|BATCH_(CREATE_TABLE_AS|INSERT)", str(row[-1])) for row in plan
    )


def _plan_columns(
    cur: duckdb.DuckDBPyConnection,
    source: sources.Source,
    mapping: ColumnMapping,
    detection: roles.Detection,
    order: str | None,
    names: statements.Tables,
    wave: int,
    append: bool,
    *,
    numbered: bool = False,
    stored: tuple[str, ...] | None = None,
) -> tuple[statements.Columns, set[str]]:
    """The load's SQL, numbered as it reads only when DuckDB would not keep the file's order otherwise.

    Creates the responses table of a new dataset (a throwaway load, ``stored``
    not None, leaves it to the accepted rows' CREATE TABLE AS). Returns the columns and the
    table's generated columns (which the INSERT leaves out). Whether the flags
    table (only written when rows are rejected) keeps the order is asked
    later, by :func:`_flags_keep_order`. ``numbered`` skips the question.
    """
    cols = statements.load_sql(source, mapping, detection, order, numbered=numbered, stored=stored)
    if stored is not None and not append:
        cols = replace(cols, create=True)
        generated: set[str] = set()
    elif append:
        generated = _generated_columns(cur, names)
    else:
        sql.execute(cur, statements.responses_schema(cols, names))
        generated = set(cols.generated)
    if numbered:
        return cols, generated
    try:
        parallel_ok = _keeps_order(cur, statements.accepted_statement(cols, names, generated), [wave, *source.params])
    except duckdb.Error as exc:
        sources.raise_for_retry(exc, source)
        raise sources.duckdb_error(exc, source.file) from exc
    if not parallel_ok:
        numbered_cols = statements.load_sql(source, mapping, detection, order, numbered=True, stored=stored)
        cols = replace(numbered_cols, create=cols.create)
    return cols, generated


def _flags_keep_order(
    cur: duckdb.DuckDBPyConnection, source: sources.Source, cols: statements.Columns, names: statements.Tables
) -> bool:
    """Whether the flags table of an unnumbered load would be written in file order (see _keeps_order)."""
    if cols.numbered:
        return True
    try:
        return _keeps_order(cur, statements.flags_statement(cols, names), list(source.params))
    except duckdb.Error as exc:
        sources.raise_for_retry(exc, source)
        raise sources.duckdb_error(exc, source.file) from exc


def _clear_wave(cur: duckdb.DuckDBPyConnection, names: statements.Tables, wave: int, append: bool) -> None:
    """Take back this wave's accepted rows (the table itself for a new dataset), to write them again."""
    if append:
        sql.execute(cur, f"DELETE FROM {names.responses} WHERE _wave = ?", [wave])
    else:
        sql.execute(cur, f"DROP TABLE {names.responses}")


def _write_accepted(
    cur: duckdb.DuckDBPyConnection,
    source: sources.Source,
    cols: statements.Columns,
    names: statements.Tables,
    wave: int,
    generated: set[str],
) -> int:
    """Step 2: the accepted rows, in file order; return how many."""
    _execute_read(cur, statements.accepted_statement(cols, names, generated), [wave, *source.params], source)
    return int(sql.fetch_value(cur, f"SELECT count(*) FROM {names.responses} WHERE _wave = ?", [wave]) or 0)


def _write_flags(
    cur: duckdb.DuckDBPyConnection, source: sources.Source, cols: statements.Columns, names: statements.Tables
) -> tuple[int, int]:
    """Step 3a: one row per file row with the reason it is rejected; return (rows, first rowid)."""
    _execute_read(cur, statements.flags_statement(cols, names), list(source.params), source)
    base, total = sql.fetch_one(cur, f"SELECT min(rowid), count(*) FROM {names.flags}") or (0, 0)
    return int(total or 0), int(base or 0)


def _write_rejected(
    cur: duckdb.DuckDBPyConnection,
    cols: statements.Columns,
    names: statements.Tables,
    base: int,
    first_row: int,
    wave: int,
) -> None:
    """Step 3b: the rejected rows, numbered from the flags' rowids."""
    target = ", ".join(sql.quote_ident(n) for n, _ in cols.rejected)
    sql.execute(
        cur,
        f"INSERT INTO {names.rejected} ({target}) SELECT {statements.select_list(cols.rejected)} "
        f"FROM {names.flags} WHERE reason IS NOT NULL ORDER BY rowid",
        [base, first_row, wave],
    )


def _number_accepted_rows(
    cur: duckdb.DuckDBPyConnection,
    names: statements.Tables,
    base: int | None,
    first_row: int,
    wave: int,
) -> None:
    """Step 4: set ``_row`` of this wave's accepted rows from their position among the file's rows.

    The k-th accepted row (k from 0, in rowid order) sits at position k plus
    the number of rejected rows before it; with the rejected positions q_j
    sorted, that number is the largest j with q_j - (j - 1) <= k (an ASOF join).
    ``base`` is the flags table's first rowid, None when nothing was rejected.
    """
    start = sql.fetch_value(cur, f"SELECT min(rowid) FROM {names.responses} WHERE _wave = ?", [wave])
    if start is None:
        return
    if base is None:
        sql.execute(
            cur, f"UPDATE {names.responses} SET _row = rowid - ? + ? WHERE _wave = ?", [int(start), first_row, wave]
        )
        return
    # rowids change when a transaction commits: take the flags' first one now.
    base = int(sql.fetch_value(cur, f"SELECT min(rowid) FROM {names.flags}") or 0)
    bounds = (
        f"SELECT b, max(j) AS j FROM (SELECT q - (row_number() OVER (ORDER BY q) - 1) AS b, "
        f"row_number() OVER (ORDER BY q) AS j FROM (SELECT rowid - ? AS q FROM {names.flags} "
        f"WHERE reason IS NOT NULL)) GROUP BY b"
    )
    sql.execute(
        cur,
        f"UPDATE {names.responses} SET _row = m.new_row FROM ("
        f"SELECT a.rid, a.k + ? + COALESCE(bounds.j, 0) AS new_row FROM "
        f"(SELECT rowid AS rid, rowid - ? AS k FROM {names.responses} WHERE _wave = ?) a "
        f"ASOF LEFT JOIN ({bounds}) bounds ON a.k >= bounds.b) m "
        f"WHERE {names.responses}.rowid = m.rid",
        [first_row, int(start), wave, base],
    )


def _count_other_order(
    cur: duckdb.DuckDBPyConnection,
    source: sources.Source,
    mapping: ColumnMapping,
    order: str,
    names: statements.Tables,
) -> tuple[int, int]:
    """For an assumed date order: (rejected dates readable the other way, file dates that need this way)."""
    other = "mdy" if order == "dmy" else "dmy"
    readable_other = values.parse_date_sql("t", "p", values.DATE_TEXT, other)
    flipped = int(
        sql.fetch_value(
            cur,
            f"SELECT count(*) FROM (SELECT t, {values.split_date_sql('t')} AS p FROM "
            f"(SELECT {values.clean_text_sql('val')} AS t FROM {names.flags} WHERE reason = ?)) "
            f"WHERE {readable_other} IS NOT NULL",
            [values.DATE_UNREADABLE],
        )
        or 0
    )
    if not flipped:
        return 0, 0
    internal = source.internals[source.layout.names.index(mapping.date or "")]
    raw = sql.column(internal, source.internals)
    field_ = "p1" if order == "dmy" else "p2"
    needed = int(
        sql.fetch_value(
            cur,
            f"SELECT count(*) FROM (SELECT {values.split_date_sql('t')} AS p FROM "
            f"(SELECT {values.clean_text_sql(raw)} AS t FROM ({source.select_sql}))) "
            f"WHERE TRY_CAST(NULLIF(p.{field_}, '') AS INTEGER) > 12",
            source.params,
        )
        or 0
    )
    return flipped, needed


def _reason_counts(cur: duckdb.DuckDBPyConnection, names: statements.Tables) -> dict[str, int]:
    rows = sql.fetch_all(cur, f"SELECT reason, count(*) FROM {names.flags} WHERE reason IS NOT NULL GROUP BY reason")
    return {str(r): int(n) for r, n in rows}


def _count_rows(cur: duckdb.DuckDBPyConnection, source: sources.Source, *, stop: int | None = None) -> int:
    """Step 1: the number of data rows (DuckDB materialises nothing for a count).

    With ``stop``, at most that many: reading stops there (the row limit needs no more).
    """
    if stop is None:
        counted = _execute_read(cur, f"SELECT count(*) FROM ({source.select_sql})", source.params, source)
    else:
        counted = _execute_read(
            cur, f"SELECT count(*) FROM (SELECT 1 FROM ({source.select_sql}) LIMIT ?)", [*source.params, stop], source
        )
    return int(counted.fetchone()[0])


def _check_unclosed_quote(
    cur: duckdb.DuckDBPyConnection,
    source: sources.Source,
    names: statements.Tables,
    wave: int,
    rows_read: int,
    *,
    whole: bool = True,
) -> None:
    """Raise IngestError when a quote opened in the last row never closes.

    The lenient reader then puts the rest of the file in that row's last cell.
    In a sound file a cell holding a line break is quoted, so the file ends
    with a quote; a last cell with a line break and no closing quote is the mark.
    A rest of the file swallowed by one cell holds line breaks, so the file
    then has more lines than records: a file with exactly as many records as lines
    (``rows_read``) needs no look. ``whole`` is False when the responses table
    keeps only some of the file's columns: the last record is then read again
    from the file (a rare case: records spanning lines, no closing quote at the end).
    """
    if source.csv is None:
        return
    with open(source.csv["path"], "rb") as handle:
        handle.seek(max(0, handle.seek(0, 2) - 16))
        if handle.read().rstrip(b"\r\n \t").endswith(b'"'):
            return
    if source.line_rows is not None and rows_read == source.line_rows:
        return
    cells = ", ".join(sql.quote_ident(n) for n in source.layout.names)
    breaks = f"regexp_matches(list_filter([{cells}], lambda c: c IS NOT NULL)[-1], '[\\r\\n]')"
    last = None
    for table in (names.responses, names.rejected) if whole else (names.rejected,):
        row = sql.fetch_one(
            cur, f"SELECT _row, {breaks} FROM {table} WHERE _wave = ? ORDER BY _row DESC LIMIT 1", [wave]
        )
        if row is not None and (last is None or row[0] > last[0]):
            last = row
    if not whole and (last is None or last[0] < rows_read + source.layout.skip):
        # The last record was accepted and the table lacks some of its cells: read it from the file.
        internal = ", ".join(sql.column(c, source.internals) for c in source.internals)
        row = _execute_read(
            cur,
            f"SELECT list_filter([{internal}], lambda c: c IS NOT NULL)[-1] FROM ({source.select_sql}) "
            "LIMIT 1 OFFSET ?",
            [*source.params, rows_read - 1],
            source,
        ).fetchone()
        cell = row[0] if row else None
        last = (rows_read + source.layout.skip, cell is not None and ("\n" in cell or "\r" in cell))
    if last is None:
        return
    if last[1]:
        raise IngestError(
            "a quote opened in this row is never closed, so the rest of the file would land in one cell; "
            "fix the quoting or export the file again",
            file=source.file,
            row=int(last[0]),
        )


def _rows_within_limit(
    cur: duckdb.DuckDBPyConnection, source: sources.Source, limits: choices.Limits, *, accepted: int | None = None
) -> int | None:
    """The file's data rows when they must be counted to check ``max_rows`` (else None); raise when over.

    The line count (from the hash) bounds the rows from above: under the limit, nothing is counted.
    ``accepted`` (rows already written) bounds them from below. A count stops one row past the limit.
    """
    rows_read = source.exact_rows
    if rows_read is None and accepted is not None and accepted > limits.max_rows:
        raise _over_row_limit(source, limits, None)
    if rows_read is None and (source.line_rows is None or source.line_rows > limits.max_rows):
        rows_read = _count_rows(cur, source, stop=limits.max_rows + 1)
        if rows_read > limits.max_rows:
            raise _over_row_limit(source, limits, None)
    if rows_read is not None and rows_read > limits.max_rows:
        raise _over_row_limit(source, limits, rows_read)
    return rows_read


def _over_row_limit(source: sources.Source, limits: choices.Limits, rows: int | None) -> IngestError:
    counted = f"{rows:,} rows" if rows is not None else f"more than {limits.max_rows:,} rows"
    return IngestError(
        f"the file has {counted}, over the limit of {limits.max_rows:,}; split it or raise the limit", file=source.file
    )


@dataclass
class Wave:
    """What writing one wave found."""

    rows_read: int
    accepted: int
    reasons: dict[str, int]
    mapping: ColumnMapping
    warnings: list[str]
    flags_base: int | None  # first rowid of the flags table, None when nothing was rejected
    numbered: bool  # rows were numbered as they were read: nothing left to number


def write_wave(
    cur: duckdb.DuckDBPyConnection,
    plan: inspecting.Plan,
    names: statements.Tables,
    mapping: ColumnMapping,
    wave: int,
    *,
    append: bool,
    limits: choices.Limits,
    warnings: list[str],
) -> Wave:
    """Steps 1–4 for one file, inside the caller's transaction."""
    source, detection = plan.source, plan.detection
    first_row = source.layout.skip + 1
    rows_read = source.exact_rows
    # A text file still being hashed has no line count yet: its rows are checked once written,
    # unless it may be near the row limit: then the hash is waited for, and an oversized file
    # refused before any row is written.
    if source.hashing is not None and (source.estimated_rows or 0) > limits.max_rows // 2:
        sources.finish_hash(source)
    if source.hashing is None:
        rows_read = _rows_within_limit(cur, source, limits)
    if not append:
        sql.execute(cur, statements.rejected_schema(names, source.layout))
    order = mapping.date_order
    for attempt in range(2):
        cols, generated = _plan_columns(cur, source, mapping, detection, order, names, wave, append,
                                        stored=plan.stored)
        accepted = _write_accepted(cur, source, cols, names, wave, generated)
        if source.hashing is not None:
            sources.finish_hash(source)  # hashed while DuckDB read and wrote the rows
            rows_read = _rows_within_limit(cur, source, limits, accepted=accepted)
        if rows_read is None:
            # Accepted rows ≤ records ≤ lines: when the first equals the last, nothing was left out
            # and the file need not be counted.
            rows_read = accepted if accepted == source.line_rows else _count_rows(cur, source)
        base: int | None = None
        reasons: dict[str, int] = {}
        if accepted < rows_read:
            if not _flags_keep_order(cur, source, cols, names):
                # The flags would lose the file's order: write both numbering rows as they are read.
                _clear_wave(cur, names, wave, append)
                cols, generated = _plan_columns(
                    cur, source, mapping, detection, order, names, wave, append, numbered=True, stored=plan.stored
                )
                accepted = _write_accepted(cur, source, cols, names, wave, generated)
            flagged, base = _write_flags(cur, source, cols, names)
            if flagged != rows_read:
                raise IngestError(
                    f"the file changed while it was read ({rows_read:,} then {flagged:,} rows); load it again",
                    file=source.file,
                )
            reasons = _reason_counts(cur, names)
            assumed = (
                attempt == 0
                and mapping.date
                and detection.date_kind == values.DATE_TEXT
                and not detection.date_order_decided
                and order in ("dmy", "mdy")
                and values.DATE_UNREADABLE in reasons
            )
            if assumed:
                assert order is not None
                flipped, needed = _count_other_order(cur, source, mapping, order, names)
                if flipped and not needed:
                    order = "mdy" if order == "dmy" else "dmy"
                    mapping = _with_order(mapping, order, flipped)
                    warnings = [w for w in warnings if "cannot be decided" not in w]
                    sql.execute(cur, f"DROP TABLE {names.flags}")
                    _clear_wave(cur, names, wave, append)
                    continue
                if flipped:
                    warnings.append(
                        f"{flipped} date(s) in {mapping.date!r} can only be read the other way round "
                        f"({'month' if order == 'dmy' else 'day'}-first) and were rejected"
                    )
            _write_rejected(cur, cols, names, base, first_row, wave)
        break
    too_long = reasons.get(values.ROW_TOO_LONG, 0)
    if too_long > rows_read / 2:
        raise IngestError(
            f"most rows have more fields than the header ({too_long:,} of {rows_read:,}); "
            "check the delimiter and that the first row is the header",
            file=source.file,
        )
    if accepted == 0:
        raise IngestError(
            "no row can be loaded ("
            + ", ".join(f"{r}: {n:,}" for r, n in sorted(reasons.items(), key=lambda kv: -kv[1]))
            + f"); check the score column {mapping.score!r} and the date column",
            file=source.file,
        )
    if accepted + sum(reasons.values()) != rows_read:
        raise IngestError(
            f"internal check failed: {rows_read:,} rows read but {accepted:,} accepted and "
            f"{sum(reasons.values()):,} rejected",
            file=source.file,
        )
    return Wave(rows_read, accepted, reasons, mapping, warnings, base, cols.numbered)


def finish_wave(
    cur: duckdb.DuckDBPyConnection, plan: inspecting.Plan, names: statements.Tables, written: Wave, wave: int
) -> None:
    """Step 4 and the last check: number the accepted rows, drop the flags, look for an unclosed quote."""
    source = plan.source
    if not written.numbered:
        _number_accepted_rows(cur, names, written.flags_base, source.layout.skip + 1, wave)
    if written.flags_base is not None:
        sql.execute(cur, f"DROP TABLE {names.flags}")
    _check_unclosed_quote(cur, source, names, wave, written.rows_read, whole=plan.stored is None)


def _with_order(mapping: ColumnMapping, order: str, flipped: int) -> ColumnMapping:
    reasons = dict(mapping.reasons)
    first = reasons.get("date", "").split("; assumed")[0]
    name = "month-first (mm/dd/yyyy)" if order == "mdy" else "day-first (dd/mm/yyyy)"
    reasons["date"] = f"{first}; {name}, decided from the whole file: {flipped} value(s) only read that way"
    return replace(mapping, date_order=order, reasons=reasons)
