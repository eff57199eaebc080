"""Opening a file for reading: size, format, encoding, sheet and header → a :class:`~nps.ingest.sources.Source`.

Delimited text, JSON and Parquet are read by DuckDB in place (text in another encoding is first
transcoded to UTF-8); a workbook's sheet is written to a temporary CSV first (:mod:`nps.ingest.workbooks`).
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import duckdb

from nps.errors import IngestError
from nps.store import sql
from nps.ingest import choices
from nps.ingest import dates
from nps.ingest import layouts
from nps.ingest import profiling
from nps.ingest import reader
from nps.ingest import roles
from nps.ingest import sources
from nps.ingest import workbooks


SMALL_FILE = 8 * 1024 * 1024


def _describe(
    con: duckdb.DuckDBPyConnection, function: str, path: Path, options: str, file: str, what: str
) -> list[str]:
    try:
        rows = sql.fetch_all(con, f"DESCRIBE SELECT * FROM {function}(?{options})", [str(path)])
    except duckdb.Error as exc:
        raise IngestError(f"the {what} file cannot be read ({sources.first_line(exc)})", file=file) from exc
    return [str(r[0]) for r in rows]


def prepare_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    file: str,
    *,
    sheet: str | None,
    limits: choices.Limits,
    work: sources.Workspace,
    full: bool,
    encoding: str | None = None,
) -> sources.Source:
    """Work out how DuckDB should read ``path``; for ``full`` also hash it and convert all of it.

    The encoding of delimited text is decided from the head (a BOM, UTF-8
    validity, a guess), unless ``encoding`` is given. The rest of a file taken
    for UTF-8 is checked by DuckDB itself as it reads every cell, which costs
    nothing extra; when that check fails the load starts again in cp1252 (see
    :func:`nps.ingest.run.ingest_file`). JSON, whose reader does not say so clearly, is checked here.
    """
    size = reader.stat_file(path, file)
    if size > limits.max_bytes:
        raise IngestError(
            f"the file is {size:,} bytes, over the limit of {limits.max_bytes:,}; split it or raise the limit",
            file=file,
        )
    if size == 0:
        raise IngestError("the file is empty; export the survey again with its rows", file=file)
    head = reader.read_head(path)
    fmt = reader.sniff_format(head, file)
    sha: str | None = None
    head_utf8 = utf8_ok = _head_is_utf8(head, complete=size <= len(head))
    hashing: sources.Hashing | None = None
    if full and fmt in (reader.JSON, reader.NDJSON):
        sha, whole_utf8, _ = reader.hash_file(path, check_utf8=True)
        utf8_ok = utf8_ok and whole_utf8
    elif full and fmt == reader.TEXT:
        # Needed only once the sample is read and the columns found: hashed meanwhile
        # (see :func:`nps.ingest.sources.finish_hash`).
        hashing = work.hash(path)
    elif full:
        sha, _, _ = reader.hash_file(path, check_utf8=False)
    if fmt == reader.XLSX:
        return _prepare_xlsx(con, path, file, sheet=sheet, limits=limits, work=work, full=full, size=size, sha=sha)
    if sheet is not None:
        raise IngestError("this file is not a workbook, so it has no sheets to choose from", file=file)
    if fmt == reader.PARQUET:
        names = _describe(con, "read_parquet", path, "", file, "Parquet")
        return sources.typed_source("read_parquet", path, names, file=file, format="parquet", encoding="binary",
                                    size=size, sha256=sha)
    note = ""
    if encoding is None:
        reader.check_byte_order_mark(head, file)
        if head_utf8 and not utf8_ok:  # JSON, checked whole: UTF-8 in the head, not further on
            encoding, note = sources.after_utf8_break(reader.find_utf8_break(path))
        elif not utf8_ok and not head.startswith(b"\xef\xbb\xbf"):
            found = reader.find_utf8_break_in(head, complete=size <= len(head))
            if found is not None and found.utf8_before:  # UTF-8 text, then another encoding, within the head
                encoding, note = sources.after_utf8_break(found)
    encoding = encoding or reader.detect_encoding(head, utf8_ok)
    readable = path
    if encoding not in ("utf-8", "utf-8-sig"):
        readable = work.path(".txt")
        reader.transcode_to_utf8(path, encoding, readable, file)
    if fmt in (reader.JSON, reader.NDJSON):
        options = ", format = 'array'" if fmt == reader.JSON else ", format = 'newline_delimited'"
        options += ", records = true, sample_size = -1" if size <= SMALL_FILE else ", records = true"
        names = _describe(con, "read_json", readable, options, file, "JSON")
        return sources.typed_source("read_json", readable, names, file=file, format=fmt, encoding=encoding,
                                    size=size, sha256=sha, options=options, encoding_note=note)
    text = reader.decode_head(head, encoding, complete=size <= len(head))
    delimiter = reader.sniff_delimiter(text)
    rows = reader.parse_rows(text, delimiter)
    if size > len(head) and len(rows) > 1:
        rows = rows[:-1]  # the last record may be cut by the head's end
    source = _text_source(readable, file, rows, delimiter, reader.TEXT_FORMATS[delimiter], encoding, size, sha)
    source.hashing = hashing
    source.encoding_note = note
    if not encoding.startswith("utf-16"):  # a UTF-16 line feed is two bytes
        source.line_offset = source.layout.skip
        source.estimated_rows = size * max(head.count(b"\n"), 1) // len(head)
    return source


def _head_is_utf8(head: bytes, *, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(head, final=complete)
        return True
    except UnicodeDecodeError:
        return False


def _text_source(
    readable: Path,
    file: str,
    rows: list[list[str]],
    delimiter: str,
    fmt: str,
    encoding: str,
    size: int | None,
    sha: str | None,
    *,
    sheet: str | None = None,
    sheets: tuple[str, ...] = (),
) -> sources.Source:
    layout = layouts.detect_layout(rows, file=file)
    # The parallel reader pays off only on big files, and cannot pad short rows around quoted line breaks.
    parallel = not reader.has_quoted_newline(rows) and (size or 0) > SMALL_FILE
    select, params, internals = sources.csv_select(readable, layout, delimiter, parallel)
    texts = list(layout.headers) + list(layout.labels.values())
    return sources.Source(
        file=file,
        format=fmt,
        encoding=encoding,
        layout=layout,
        sheet=sheet,
        sheets=sheets,
        select_sql=select,
        params=params,
        internals=internals,
        decimal_comma=delimiter == ";",
        size=size,
        sha256=sha,
        csv={"path": readable, "delimiter": delimiter, "parallel": parallel},
        dayfirst_language=dates.guess_language_dayfirst(texts),
    )


def _prepare_xlsx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    file: str,
    *,
    sheet: str | None,
    limits: choices.Limits,
    work: sources.Workspace,
    full: bool,
    size: int,
    sha: str | None,
) -> sources.Source:
    workbooks.check_workbook_zip(path, file)
    sheets = tuple(workbooks.list_sheets(path, file))
    if not sheets:
        raise IngestError("the workbook has no worksheets", file=file)
    if sheet is None:
        sheet = _choose_sheet(con, path, file, sheets, work)
    elif sheet not in sheets:
        raise IngestError(f"no sheet {sheet!r} in this workbook; its sheets are: {', '.join(sheets)}", file=file)
    dest = work.path(".csv")
    head_rows: list[list[str]] = []
    limit = None if full else profiling.SAMPLE_ROWS + layouts.HEADER_SCAN

    def rows() -> Any:
        for i, row in enumerate(workbooks.iter_sheet_rows(path, sheet, file)):
            if len(head_rows) < reader.HEAD_ROWS:
                head_rows.append(row)
            if limit is not None and i >= limit:
                return
            yield row

    def too_many(count: int) -> None:
        raise IngestError(
            f"the sheet has more than {limits.max_rows:,} rows, over the limit; split it or raise the limit", file=file
        )

    written = workbooks.write_rows_as_csv(
        rows(), dest, max_rows=limits.max_rows + layouts.HEADER_SCAN, on_limit=too_many
    )
    if written == 0:
        raise IngestError(f"the sheet {sheet!r} is empty", file=file)
    source = _text_source(dest, file, head_rows, ",", "xlsx", "binary", size, sha, sheet=sheet, sheets=sheets)
    if full:
        # Each sheet row is one CSV record (blank ones too), so the count is exact.
        source.exact_rows = max(0, written - source.layout.skip)
    return source


def _choose_sheet(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    file: str,
    sheets: tuple[str, ...],
    work: sources.Workspace,
) -> str:
    """The sheet that holds the data: one with a 0–10 score column, the most rows first."""
    if len(sheets) == 1:
        return sheets[0]
    ranked = []
    for index, name in enumerate(sheets):
        dest = work.path(".csv")
        head: list[list[str]] = []
        for i, row in enumerate(workbooks.iter_sheet_rows(path, name, file)):
            head.append(row)
            if i >= 300:
                break
        if not any(head):
            continue
        workbooks.write_rows_as_csv(iter(head), dest)
        has_score = False
        try:
            source = _text_source(dest, file, head[: reader.HEAD_ROWS], ",", "xlsx", "binary", None, None)
            profiles, _ = profiling.sample_profiles(con, source)
            candidates, _ = roles.find_score_candidates(profiles)
            has_score = bool(candidates)
        except IngestError:
            pass
        ranked.append((has_score, workbooks.read_sheet_size(path, name, file), -index, name))
    if not ranked:
        return sheets[0]
    ranked.sort(reverse=True)
    return ranked[0][3]
