"""Loading survey exports: look at a file (:func:`inspect_file`), then load it (:func:`ingest_file`).

A load: find the format, encoding and header from the head of the file; read
a sample with DuckDB and choose the columns' roles with the same SQL the load
runs (:mod:`nps.ingest.values`); then let DuckDB read the whole file — count its rows,
write the accepted ones into ``responses_<id>`` in parallel, and only when some
rows were left out read it once more to put those, with their reason, into
``rejected_<id>`` (see "loading" below for why it is done this way).

Row numbers (``_row``) are the ones a spreadsheet shows: for text files the
header rows count, and a record whose quoted field spans several lines counts
once (as Excel shows it); fully blank lines in a text file are skipped by
DuckDB's reader and not counted, so rows after one are numbered one less. In
workbooks ``_row`` is the sheet row. Parquet, JSON and data-frame rows are
numbered from 1.

Dates with a zone offset (``Z``, ``+02:00``) are stored in UTC; dates without
one are stored as written (local wall time). Both are naive timestamps.

Some values are read in a stated way rather than rejected, and counted in
:attr:`IngestReport.adjusted`: a blank weight counts as 1, and a comment that
only says ``NA``, ``N/A``, ``-``, ``.``, ``null``, ``none``, ``nan`` or ``#N/A``
is no comment (NULL). A loaded dataset's roles can be corrected afterwards with
:func:`remap_dataset`, which reads every row of every wave again.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import shutil
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from nps import domain, store
from nps.ingest import detect
from nps.ingest import reader
from nps.store import sql
from nps.ingest import tempfiles
from nps.ingest import values
from nps.errors import DuplicateFileError, IngestError, NpsError
from nps.store import ColumnMapping, Dataset

if TYPE_CHECKING:  # annotations only: loading a file does not need pandas
    import pandas as pd

SAMPLE_ROWS = 5_000
SAMPLE_CELLS = 2_000_000
PREVIEW_ROWS = 20
MAX_LINE_BYTES = 8 * 1024 * 1024
SAMPLE_BUFFER_BYTES = 2 * MAX_LINE_BYTES  # DuckDB wants a buffer larger than the longest line
SMALL_FILE = 8 * 1024 * 1024
SAMPLE_TABLE = "__pp_sample"


@dataclass(frozen=True)
class Overrides:
    """The user's corrections to the detector; every field optional.

    A column may be given by its stored name, its header id or its question
    text (label). ``dimensions`` None keeps the detector's choice, ``()`` means
    none. ``date_order`` ('dmy', 'mdy' or 'ymd') settles an ambiguous date
    column. ``no_date`` / ``no_comment`` drop those roles.
    """

    score: str | None = None
    date: str | None = None
    comment: str | None = None
    respondent: str | None = None
    weight: str | None = None
    dimensions: tuple[str, ...] | None = None
    date_order: str | None = None
    no_date: bool = False
    no_comment: bool = False


@dataclass(frozen=True)
class Limits:
    """Refuse files larger than ``max_bytes`` or with more than ``max_rows`` data rows.

    The defaults fit a 10M-row export with comments (about 1.8 GB); the app's upload
    page passes its own, smaller, limit.
    """

    max_bytes: int = 4_000_000_000
    max_rows: int = 50_000_000


@dataclass(frozen=True)
class ColumnInfo:
    """One column as the mapping editor shows it (counts over the sample)."""

    name: str
    label: str | None
    role: str | None
    reason: str
    distinct: int
    blanks: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Inspection:
    """What a file looks like before loading it: format, header, columns, roles, a preview."""

    file: str
    format: str
    encoding: str
    layout: str
    sheet: str | None
    sheets: tuple[str, ...]
    header_rows: int
    columns: tuple[ColumnInfo, ...]
    mapping: ColumnMapping
    preview: pd.DataFrame = field(compare=False)
    score_histogram: dict[int, int] = field(compare=False)
    rows_sampled: int
    warnings: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class IngestReport:
    """What a load did: the dataset, the wave, the counts, the reasons rows were rejected."""

    dataset: Dataset
    wave: int
    rows_read: int
    accepted: int
    rejected: int
    rejected_reasons: dict[str, int]
    warnings: tuple[str, ...]
    inspection: Inspection
    # Rows kept but read in a stated way, by what was done (values.WEIGHT_BLANK_AS_ONE, values.COMMENT_MISSING).
    adjusted: dict[str, int] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        """Human-readable lines: format, encoding, layout, each role with its reason, counts, warnings."""
        ins = self.inspection
        m = self.dataset.mapping
        sheet = f", sheet {ins.sheet!r}" if ins.sheet else ""
        lines = [
            f"file: {ins.file} — {ins.format}, {ins.encoding}, layout {ins.layout}{sheet}, "
            f"{ins.header_rows} header row(s)",
            f"dataset {self.dataset.id} {self.dataset.name!r} ({self.dataset.kind}), wave {self.wave}",
        ]
        for role in ("score", "date", "comment", "respondent", "weight", "survey_type"):
            column = getattr(m, role)
            reason = m.reasons.get(role, "")
            lines.append(f"{role}: {column if column else '—'}" + (f" ({reason})" if reason else ""))
        if m.date_order:
            lines.append(f"date order: {m.date_order}")
        dims = ", ".join(m.dimensions) if m.dimensions else "none"
        lines.append(f"dimensions: {dims}")
        lines.append(f"rows read: {self.rows_read:,}; accepted: {self.accepted:,}; rejected: {self.rejected:,}")
        for reason, count in sorted(self.rejected_reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  rejected, {reason}: {count:,}")
        for what, count in self.adjusted.items():
            lines.append(f"  {what}: {count:,}")
        for warning in self.warnings:
            lines.append(f"warning: {warning}")
        return lines


# --- preparing a source ------------------------------------------------------------------------


@dataclass
class _Source:
    """A file made readable by DuckDB: the SELECT that yields its rows as text, and what was found."""

    file: str
    format: str
    encoding: str
    layout: detect.Layout
    sheet: str | None
    sheets: tuple[str, ...]
    select_sql: str
    params: list[Any]
    internals: list[str]
    decimal_comma: bool
    size: int | None
    sha256: str | None
    csv: dict[str, Any] | None = None  # read_csv settings, for rebuilding with parallel=False
    dayfirst_language: bool = False
    exact_rows: int | None = None  # data rows, when known without reading (a converted sheet)
    line_rows: int | None = None  # lines after the header: at least the data rows of a text file
    hashing: _Hashing | None = None  # sha256 (and line count) still being computed: see _finish_hash
    line_offset: int | None = None  # line_rows = lines - line_offset, once the hash is done
    estimated_rows: int | None = None  # lines the file would have at the head's bytes per line
    encoding_note: str = ""  # a warning: the encoding changes within the file


class _Hashing:
    """sha256 and line count of a file, computed in a background thread while DuckDB samples it.

    hashlib releases the GIL on large buffers, and sampling and detection keep
    at most one core busy, so the hash costs almost no wall time.
    """

    def __init__(self, path: Path) -> None:
        self._stop = threading.Event()
        self._result: tuple[str, bool, int] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, args=(path,), name="passaparola-sha256", daemon=True)
        self._thread.start()

    def _work(self, path: Path) -> None:
        try:
            self._result = reader.hash_file(path, check_utf8=False, stop=self._stop.is_set)
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that asks for the result
            self._error = exc

    def result(self) -> tuple[str, bool, int]:
        """Wait for the hash; re-raise what stopped it."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None and not self._stop.is_set()
        return self._result

    def cancel(self) -> None:
        """Stop hashing (the load failed) and wait for the thread to end."""
        self._stop.set()
        self._thread.join()


def _finish_hash(source: _Source) -> None:
    """Fill ``sha256`` (and ``line_rows``) of a source whose file is hashed in the background."""
    if source.hashing is None:
        return
    sha, _, lines = source.hashing.result()
    source.hashing = None
    source.sha256 = sha
    if source.line_offset is not None:
        source.line_rows = lines - source.line_offset


def _csv_select(
    path: Path, layout: detect.Layout, delimiter: str, parallel: bool, *, buffer_size: int | None = None
) -> tuple[str, list[Any], list[str]]:
    """The SELECT reading a delimited UTF-8 file with DuckDB, every field as text, in file order.

    ``buffer_size`` (bytes, more than MAX_LINE_BYTES) overrides DuckDB's, which
    is 16 lines of the longest allowed size: right for the whole file, but
    reading the sample would then fill (and fault in) buffers of 128 MB.
    """
    columns: dict[str, str] = {}
    for pos in range(layout.width):
        columns[(f"c{pos + 1}" if pos in layout.keep else f"d{pos + 1}")] = "VARCHAR"
    columns["x0"] = "VARCHAR"
    internals = [f"c{pos + 1}" for pos in layout.keep]
    overflow_parts = [sql.quote_ident(f"d{pos + 1}") for pos in layout.dropped] + ['"x0"']
    overflow = overflow_parts[0] if len(overflow_parts) == 1 else f"COALESCE({', '.join(overflow_parts)})"
    select = (
        f"SELECT {overflow} AS __pp_x, {', '.join(sql.quote_ident(c) for c in internals)} "
        "FROM read_csv(?, header = false, skip = ?, auto_detect = false, columns = ?, delim = ?, "
        "quote = '\"', escape = '\"', null_padding = true, strict_mode = false, parallel = ?, "
        f"max_line_size = ?, encoding = 'utf-8'{', buffer_size = ?' if buffer_size else ''})"
    )
    params = [str(path), layout.skip, columns, delimiter, parallel, MAX_LINE_BYTES]
    if buffer_size:
        params.append(buffer_size)
    return select, params, internals


def _typed_select(function: str, path: Path, names: list[str], options: str = "") -> tuple[str, list[Any], list[str]]:
    """The SELECT reading a typed table (Parquet, JSON) with every column cast to text."""
    internals = [f"c{i + 1}" for i in range(len(names))]
    casts = ", ".join(
        f"CAST({sql.column(n, names)} AS VARCHAR) AS {sql.quote_ident(c)}"
        for n, c in zip(names, internals, strict=True)
    )
    select = f"SELECT CAST(NULL AS VARCHAR) AS __pp_x, {casts} FROM {function}(?{options})"
    return select, [str(path)], internals


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _describe(
    con: duckdb.DuckDBPyConnection, function: str, path: Path, options: str, file: str, what: str
) -> list[str]:
    try:
        rows = sql.fetch_all(con, f"DESCRIBE SELECT * FROM {function}(?{options})", [str(path)])
    except duckdb.Error as exc:
        raise IngestError(f"the {what} file cannot be read ({_first_line(exc)})", file=file) from exc
    return [str(r[0]) for r in rows]


def _private_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for sniffing and sampling, kept apart from the caller's database."""
    con = duckdb.connect()
    sql.execute(con, "SET enable_progress_bar = false")
    return con


class _Workspace:
    """Temporary files of one load or inspection, removed together.

    A private folder named with this process's id (:func:`tempfiles.new_workspace`):
    the folders of killed loads are removed when the next one starts.
    """

    def __init__(self) -> None:
        self.dir = tempfiles.new_workspace()
        self.count = 0
        self.hashes: list[_Hashing] = []

    def path(self, suffix: str) -> Path:
        self.count += 1
        return self.dir / f"part{self.count}{suffix}"

    def hash(self, path: Path) -> _Hashing:
        """Start hashing ``path`` in the background; stopped by :meth:`close` if still running."""
        job = _Hashing(path)
        self.hashes.append(job)
        return job

    def stop_hashing(self) -> None:
        """Stop the hashes still running and forget them."""
        for job in self.hashes:
            job.cancel()
        self.hashes.clear()

    def close(self) -> None:
        self.stop_hashing()
        shutil.rmtree(self.dir, ignore_errors=True)


def _prepare(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    file: str,
    *,
    sheet: str | None,
    limits: Limits,
    work: _Workspace,
    full: bool,
    encoding: str | None = None,
) -> _Source:
    """Work out how DuckDB should read ``path``; for ``full`` also hash it and convert all of it.

    The encoding of delimited text is decided from the head (a BOM, UTF-8
    validity, a guess), unless ``encoding`` is given. The rest of a file taken
    for UTF-8 is checked by DuckDB itself as it reads every cell, which costs
    nothing extra; when that check fails the load starts again in cp1252 (see
    :func:`_run`). JSON, whose reader does not say so clearly, is checked here.
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
    hashing: _Hashing | None = None
    if full and fmt in (reader.JSON, reader.NDJSON):
        sha, whole_utf8, _ = reader.hash_file(path, check_utf8=True)
        utf8_ok = utf8_ok and whole_utf8
    elif full and fmt == reader.TEXT:
        # Needed only once the sample is read and the columns found: hashed meanwhile (see _finish_hash).
        hashing = work.hash(path)
    elif full:
        sha, _, _ = reader.hash_file(path, check_utf8=False)
    if fmt == reader.XLSX:
        return _prepare_xlsx(con, path, file, sheet=sheet, limits=limits, work=work, full=full, size=size, sha=sha)
    if sheet is not None:
        raise IngestError("this file is not a workbook, so it has no sheets to choose from", file=file)
    if fmt == reader.PARQUET:
        names = _describe(con, "read_parquet", path, "", file, "Parquet")
        select, params, internals = _typed_select("read_parquet", path, names)
        return _Source(
            file=file,
            format="parquet",
            encoding="binary",
            layout=detect.make_flat_layout(names),
            sheet=None,
            sheets=(),
            select_sql=select,
            params=params,
            internals=internals,
            decimal_comma=False,
            size=size,
            sha256=sha,
        )
    note = ""
    if encoding is None:
        reader.check_byte_order_mark(head, file)
        if head_utf8 and not utf8_ok:  # JSON, checked whole: UTF-8 in the head, not further on
            encoding, note = _after_utf8_break(reader.find_utf8_break(path))
        elif not utf8_ok and not head.startswith(b"\xef\xbb\xbf"):
            found = reader.find_utf8_break_in(head, complete=size <= len(head))
            if found is not None and found.utf8_before:  # UTF-8 text, then another encoding, within the head
                encoding, note = _after_utf8_break(found)
    encoding = encoding or reader.detect_encoding(head, utf8_ok)
    readable = path
    if encoding not in ("utf-8", "utf-8-sig"):
        readable = work.path(".txt")
        reader.transcode_to_utf8(path, encoding, readable, file)
    if fmt in (reader.JSON, reader.NDJSON):
        options = ", format = 'array'" if fmt == reader.JSON else ", format = 'newline_delimited'"
        options += ", records = true, sample_size = -1" if size <= SMALL_FILE else ", records = true"
        names = _describe(con, "read_json", readable, options, file, "JSON")
        select, params, internals = _typed_select("read_json", readable, names, options)
        return _Source(
            file=file,
            format=fmt,
            encoding=encoding,
            layout=detect.make_flat_layout(names),
            sheet=None,
            sheets=(),
            select_sql=select,
            params=params,
            internals=internals,
            decimal_comma=False,
            size=size,
            sha256=sha,
            encoding_note=note,
        )
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
) -> _Source:
    layout = detect.detect_layout(rows, file=file)
    # The parallel reader pays off only on big files, and cannot pad short rows around quoted line breaks.
    parallel = not reader.has_quoted_newline(rows) and (size or 0) > SMALL_FILE
    select, params, internals = _csv_select(readable, layout, delimiter, parallel)
    texts = list(layout.headers) + list(layout.labels.values())
    return _Source(
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
        dayfirst_language=detect.guess_language_dayfirst(texts),
    )


def _prepare_xlsx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    file: str,
    *,
    sheet: str | None,
    limits: Limits,
    work: _Workspace,
    full: bool,
    size: int,
    sha: str | None,
) -> _Source:
    reader.check_workbook_zip(path, file)
    sheets = tuple(reader.list_sheets(path, file))
    if not sheets:
        raise IngestError("the workbook has no worksheets", file=file)
    if sheet is None:
        sheet = _choose_sheet(con, path, file, sheets, work)
    elif sheet not in sheets:
        raise IngestError(f"no sheet {sheet!r} in this workbook; its sheets are: {', '.join(sheets)}", file=file)
    dest = work.path(".csv")
    head_rows: list[list[str]] = []
    limit = None if full else SAMPLE_ROWS + detect.HEADER_SCAN

    def rows() -> Any:
        for i, row in enumerate(reader.iter_sheet_rows(path, sheet, file)):
            if len(head_rows) < reader.HEAD_ROWS:
                head_rows.append(row)
            if limit is not None and i >= limit:
                return
            yield row

    def too_many(count: int) -> None:
        raise IngestError(
            f"the sheet has more than {limits.max_rows:,} rows, over the limit; split it or raise the limit", file=file
        )

    written = reader.write_rows_as_csv(rows(), dest, max_rows=limits.max_rows + detect.HEADER_SCAN, on_limit=too_many)
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
    work: _Workspace,
) -> str:
    """The sheet that holds the data: one with a 0–10 score column, the most rows first."""
    if len(sheets) == 1:
        return sheets[0]
    ranked = []
    for index, name in enumerate(sheets):
        dest = work.path(".csv")
        head: list[list[str]] = []
        for i, row in enumerate(reader.iter_sheet_rows(path, name, file)):
            head.append(row)
            if i >= 300:
                break
        if not any(head):
            continue
        reader.write_rows_as_csv(iter(head), dest)
        has_score = False
        try:
            source = _text_source(dest, file, head[: reader.HEAD_ROWS], ",", "xlsx", "binary", None, None)
            profiles, _ = _sample_profiles(con, source)
            candidates, _ = detect.find_score_candidates(profiles)
            has_score = bool(candidates)
        except IngestError:
            pass
        ranked.append((has_score, reader.read_sheet_size(path, name, file), -index, name))
    if not ranked:
        return sheets[0]
    ranked.sort(reverse=True)
    return ranked[0][3]


# --- sampling and detection --------------------------------------------------------------------


def _sample_profiles(
    con: duckdb.DuckDBPyConnection,
    source: _Source,
) -> tuple[list[detect.ColumnProfile], int]:
    """Load the sample into a temp table of ``con`` and profile its columns; return profiles and row count."""
    n_rows = max(500, min(SAMPLE_ROWS, SAMPLE_CELLS // max(1, len(source.internals))))
    select, params = source.select_sql, source.params
    if source.csv is not None:
        # The same reader with smaller buffers: the sample is the first rows only.
        select, params, _ = _csv_select(
            source.csv["path"],
            source.layout,
            source.csv["delimiter"],
            source.csv["parallel"],
            buffer_size=SAMPLE_BUFFER_BYTES,
        )
    sql.execute(con, f"DROP TABLE IF EXISTS {sql.table(SAMPLE_TABLE)}")
    try:
        sql.execute(
            con,
            f"CREATE TEMP TABLE {sql.table(SAMPLE_TABLE)} AS "
            f"SELECT row_number() OVER () AS __pp_rn, * FROM (SELECT * FROM ({select}) LIMIT ?)",
            [*params, n_rows],
        )
    except duckdb.Error as exc:
        try:
            _raise_for_retry(exc, source)
        except _Retry:
            _rebuild_serial(source)
            return _sample_profiles(con, source)
        raise _duckdb_error(exc, source.file) from exc
    rows = int(sql.fetch_value(con, f"SELECT count(*) FROM {sql.table(SAMPLE_TABLE)}") or 0)
    columns = [
        (internal, name, header, source.layout.labels.get(name))
        for internal, name, header in zip(source.internals, source.layout.names, source.layout.headers, strict=True)
    ]
    profiles = detect.profile_sample(con, SAMPLE_TABLE, columns, decimal_comma=source.decimal_comma)
    return profiles, rows


def _rebuild_serial(source: _Source) -> None:
    # DuckDB's parallel CSV reader cannot pad short rows when quoted fields hold line breaks.
    assert source.csv is not None
    select, params, _ = _csv_select(source.csv["path"], source.layout, source.csv["delimiter"], parallel=False)
    source.csv["parallel"] = False
    source.select_sql, source.params = select, params


def _duckdb_error(exc: duckdb.Error, file: str) -> IngestError:
    message = _first_line(exc)
    row = None
    match = re.search(r"Line: (\d+)", str(exc))
    if match:
        row = int(match.group(1))
    if "unterminated quote" in str(exc).lower():
        message = 'a quoted field is never closed (a missing " ); fix the quoting or export the file again'
    elif "maximum line size" in str(exc).lower():
        return IngestError(
            f"this row has a field over {_size_text(MAX_LINE_BYTES)}, the limit; the file is probably not a table "
            "of answers, or a quote is never closed",
            file=file,
            row=row,
        )
    return IngestError(f"the file cannot be read: {message}", file=file, row=row)


def _size_text(size: int) -> str:
    """``8 MB``, ``64 KB``: a byte limit for a message."""
    return f"{size / 2**20:g} MB" if size >= 2**20 else f"{size / 2**10:g} KB"


def _resolve_column(name: str, layout: detect.Layout, file: str) -> str:
    """The stored name of a column given by stored name, header id or question text."""
    for candidates in (
        {n: n for n in layout.names},
        {h: n for h, n in zip(layout.headers, layout.names, strict=True)},
        {label: n for n, label in layout.labels.items()},
    ):
        if name in candidates:
            return candidates[name]
    wanted = " ".join(name.split()).casefold()
    for n, h in zip(layout.names, layout.headers, strict=True):
        if wanted in (n.casefold(), h.casefold(), layout.labels.get(n, "").casefold()):
            return n
    shown = ", ".join(repr(n) for n in layout.names[:30])
    raise IngestError(f"no column {name!r} in this file; its columns are: {shown}", file=file)


def _resolve_overrides(overrides: Overrides | None, layout: detect.Layout, file: str) -> detect.ResolvedOverrides:
    if overrides is None:
        return detect.ResolvedOverrides()
    if overrides.date_order is not None and overrides.date_order not in values.DATE_ORDERS:
        raise IngestError(
            f"unknown date order {overrides.date_order!r}; use one of {', '.join(values.DATE_ORDERS)}", file=file
        )

    def one(value: str | None) -> str | None:
        return None if value is None else _resolve_column(value, layout, file)

    dims = (
        None if overrides.dimensions is None else tuple(_resolve_column(d, layout, file) for d in overrides.dimensions)
    )
    return detect.ResolvedOverrides(
        score=one(overrides.score),
        date=one(overrides.date),
        comment=one(overrides.comment),
        respondent=one(overrides.respondent),
        weight=one(overrides.weight),
        dimensions=dims,
        date_order=overrides.date_order,
        no_date=overrides.no_date,
        no_comment=overrides.no_comment,
    )


@dataclass
class _Plan:
    source: _Source
    detection: detect.Detection
    inspection: Inspection
    # The file's columns the responses table stores (all of them unless a throwaway load keeps fewer).
    stored: tuple[str, ...] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The file's own columns the dataset stores, in file order."""
        return self.source.layout.names if self.stored is None else self.stored


def _inspect_source(
    con: duckdb.DuckDBPyConnection,
    source: _Source,
    overrides: Overrides | None,
    *,
    kind: str | None = None,
) -> _Plan:
    profiles, rows = _sample_profiles(con, source)
    if rows == 0:
        raise IngestError("the file has a header but no data rows", file=source.file)
    ragged = int(sql.fetch_value(con, f"SELECT count(*) FROM {sql.table(SAMPLE_TABLE)} WHERE __pp_x IS NOT NULL") or 0)
    if ragged > rows / 2:
        raise IngestError(
            f"most rows have more fields than the header ({ragged} of {rows} sampled rows); "
            "check the delimiter and that the first row is the header",
            file=source.file,
        )
    resolved = _resolve_overrides(overrides, source.layout, source.file)
    detection = detect.detect_roles(
        con, SAMPLE_TABLE, profiles, resolved, file=source.file, dayfirst_language=source.dayfirst_language
    )
    if kind is not None:
        detection = replace(detection, kind=kind)
    mapping = detection.mapping
    warnings = list(source.layout.warnings) + list(detection.warnings)
    if ragged:
        warnings.append(f"{ragged} sampled row(s) have more fields than the header; they will be rejected")
    score_internal = source.internals[source.layout.names.index(mapping.score)]
    number = values.parse_score_sql(sql.column(score_internal, source.internals))
    histogram = {k: 0 for k in range(11)}
    # The number one level below the score: make_score_sql names it four times.
    for value, count in sql.fetch_all(
        con,
        f"SELECT s, count(*) FROM (SELECT {values.make_score_sql('n')} AS s FROM "
        f"(SELECT {number} AS n FROM {sql.table(SAMPLE_TABLE)})) WHERE s IS NOT NULL GROUP BY s",
    ):
        histogram[int(value)] = int(count)
    preview_cols = ", ".join(sql.column(c, source.internals) for c in source.internals)
    preview = sql.fetch_df(
        con, f"SELECT {preview_cols} FROM {sql.table(SAMPLE_TABLE)} ORDER BY __pp_rn LIMIT {PREVIEW_ROWS}"
    )
    preview.columns = list(source.layout.names)
    preview = preview.astype(object).where(preview.notna(), None)
    infos = []
    for p in profiles:
        role = detect.find_role(p.name, mapping)
        if role in ("dimension", "survey_type"):
            reason = mapping.reasons.get(p.name) or mapping.reasons.get("survey_type", "")
        elif role is not None:
            reason = mapping.reasons.get(role, "")
        else:
            reason = detection.column_notes.get(p.name, "no role")
        infos.append(
            ColumnInfo(
                name=p.name,
                label=source.layout.labels.get(p.name),
                role=role,
                reason=reason,
                distinct=p.distinct,
                blanks=p.rows - p.nonblank,
                examples=p.examples[:5],
            )
        )
    inspection = Inspection(
        file=source.file,
        format=source.format,
        encoding=source.encoding,
        layout=source.layout.name,
        sheet=source.sheet,
        sheets=source.sheets,
        header_rows=source.layout.skip,
        columns=tuple(infos),
        mapping=mapping,
        preview=preview,
        score_histogram=histogram,
        rows_sampled=rows,
        warnings=tuple(warnings),
        kind=detection.kind,
    )
    return _Plan(source, detection, inspection)


def inspect_file(
    path: str | Path,
    *,
    sheet: str | None = None,
    overrides: Overrides | None = None,
    display_name: str | None = None,
    encoding: str | None = None,
) -> Inspection:
    """Look at a file without loading it: format, encoding, layout, columns and their roles, a preview.

    Reads only a sample (the first rows). ``display_name`` is the name the user
    knows the file by, used in messages. ``encoding`` (one of
    :data:`nps.ingest.reader.ENCODINGS` or any Python codec) overrides the detected
    one for text files. Raises :class:`IngestError` (one line naming the file)
    for anything that would make the load fail.
    """
    path = Path(path)
    file = display_name or path.name
    work = _Workspace()
    con = _private_connection()
    try:
        chosen = reader.check_encoding(encoding, file) if encoding else None
        switched = ""
        try:
            source = _prepare(con, path, file, sheet=sheet, limits=Limits(), work=work, full=False, encoding=chosen)
            inspection = _inspect_source(con, source, overrides).inspection
        except _NotUtf8 as not_utf8:
            if chosen is not None:
                raise _not_in(chosen, file) from None
            encoding, switched = _after_utf8_break(reader.find_utf8_break(not_utf8.path))
            source = _prepare(con, path, file, sheet=sheet, limits=Limits(), work=work, full=False, encoding=encoding)
            inspection = _inspect_source(con, source, overrides).inspection
        note = switched or source.encoding_note
        return replace(inspection, warnings=(note, *inspection.warnings)) if note else inspection
    except NpsError:
        raise
    except duckdb.Error as exc:
        raise _duckdb_error(exc, file) from exc
    except Exception as exc:  # whatever else goes wrong reaches the user as one line naming the file
        raise IngestError(f"the file cannot be read ({type(exc).__name__}: {_first_line(exc)})", file=file) from exc
    finally:
        con.close()
        work.close()


# --- loading -----------------------------------------------------------------------------------
#
# Why no row_number() and no DELETE: DuckDB's row_number() OVER () makes the whole
# read single-threaded, and deleting rows from a table written in the same
# transaction makes DuckDB rewrite the table at commit. So a load is:
#   1. count the file's rows (cheap: nothing is materialised);
#   2. write the accepted rows, in parallel and in file order, ``_row`` left NULL;
#   3. only when some rows were left out: a "flags" table with one row per file
#      row, in file order (its rowid is the position): the reason a row is
#      rejected and the rejected row's cells (NULL for good rows, nearly free);
#      the rejected table is built from it;
#   4. fill ``_row`` of the accepted rows from their rowid and the positions of
#      the rejected rows — an UPDATE, cheap only once the rows are committed,
#      hence the two transactions of a new dataset (see _load).
# Measured on two cores, 1M rows: row_number() added ~1.7 s to a 2.3 s load, the
# DELETE ~1 s at commit; an UPDATE in the writing transaction 0.4 s (11 s at 10M).


@dataclass(frozen=True)
class _Columns:
    """The SQL pieces of a load: the layered SELECT over the source and each table's columns."""

    layers: str
    values_layers: str
    ok: str
    flags: list[tuple[str, str]]
    rejected: list[tuple[str, str]]
    accepted: list[tuple[str, str]]
    numbered: bool
    # ``_comment`` / ``_respondent`` as VIRTUAL generated columns over the file's own column
    # (name -> expression on the stored columns): the text is stored once, not twice.
    generated: dict[str, str] = field(default_factory=dict)
    # The accepted rows create the responses table (CREATE TABLE AS, about a fifth faster than an
    # INSERT into a table made first) instead of filling one; its ``_comment`` / ``_respondent``
    # are then stored columns. Used by a throwaway load, which keeps fewer columns anyway.
    create: bool = False


def _load_sql(
    source: _Source,
    mapping: ColumnMapping,
    detection: detect.Detection,
    order: str | None,
    *,
    numbered: bool = False,
    stored: tuple[str, ...] | None = None,
) -> _Columns:
    """Build the layered SELECT over the source and the column lists of the three tables.

    ``numbered`` adds ``row_number()`` to the read (serial, see the note above):
    the fallback for a plan that would not keep the file's order. ``stored``
    (None: all) are the file's columns the responses table keeps.
    """
    internals = source.internals
    by_name = dict(zip(source.layout.names, internals, strict=True))
    kept = by_name if stored is None else {n: i for n, i in by_name.items() if n in set(stored)}

    def col(name: str | None) -> str | None:
        return None if name is None else sql.column(by_name[name], internals)

    score = col(mapping.score)
    assert score is not None
    date, comment, respondent, weight = (
        col(mapping.date),
        col(mapping.comment),
        col(mapping.respondent),
        col(mapping.weight),
    )
    if date:
        fast, date_text, parts, date_value = values.build_date_layers_sql(
            date, detection.date_kind or values.DATE_TEXT, order, detection.date_fast_formats
        )
    else:
        fast, date_text, parts, date_value = (
            "CAST(NULL AS TIMESTAMP)",
            "CAST(NULL AS VARCHAR)",
            "NULL",
            "CAST(NULL AS TIMESTAMP)",
        )
    weight_value = values.parse_weight_sql(weight, source.decimal_comma) if weight else "CAST(NULL AS DOUBLE)"
    all_cols = ", ".join(sql.column(c, internals) for c in internals)
    blank_row = f"COALESCE({all_cols}) IS NULL" if len(internals) > 1 else f"{all_cols} IS NULL"
    reasons = [values.explain_score_sql(score, "__pp_n")]
    if date:
        reasons.append(values.explain_date_sql("__pp_dt", "__pp_d"))
    if weight:
        reasons.append(values.explain_weight_sql(weight, "__pp_w"))
    reason_sql = (
        f"CASE WHEN __pp_x IS NOT NULL THEN {values.quote_literal(values.ROW_TOO_LONG)} "
        f"WHEN {blank_row} THEN {values.quote_literal(values.ROW_BLANK)} "
        f"ELSE {reasons[0] if len(reasons) == 1 else 'COALESCE(' + ', '.join(reasons) + ')'} END"
    )
    # One level per step so that each heavy expression is computed once (see values.build_date_layers_sql).
    row_number = "CAST(row_number() OVER () AS BIGINT)" if numbered else "CAST(NULL AS BIGINT)"
    values_layers = f"SELECT {row_number} AS __pp_rn, * FROM ({source.select_sql})"
    for step in (
        f"{values.parse_score_sql(score)} AS __pp_n, {fast} AS __pp_df, {weight_value} AS __pp_w",
        f"{date_text} AS __pp_dt",
        f"{parts} AS __pp_dp",
        f"{date_value} AS __pp_d",
    ):
        values_layers = f"SELECT *, {step} FROM ({values_layers})"
    layers = f"SELECT *, {reason_sql} AS __pp_reason FROM ({values_layers})"
    # The accepted rows are those without a reason; said directly it is cheaper than
    # building the reason strings (a blank row has a blank score, so it fails here too).
    ok = ["__pp_x IS NULL", values.score_ok_sql(score)]
    if date:
        ok.append("(__pp_d IS NOT NULL OR __pp_dt IS NULL)")
    if weight:
        ok.append("(__pp_w >= 0 AND NOT isnan(__pp_w) AND NOT isinf(__pp_w))")

    column_of_reason = ["CASE"]
    value_of_reason = ["CASE"]
    for reasons_, name, raw in (
        (values.SCORE_REASONS, mapping.score, score),
        ((values.DATE_UNREADABLE,), mapping.date, date),
        (values.WEIGHT_REASONS, mapping.weight, weight),
    ):
        if name is None or raw is None:
            continue
        # OR-ed equalities, not IN: DuckDB turns an IN list of five constants into a join,
        # and a join gives up the file order the row numbers rely on.
        keys = " OR ".join(f"__pp_reason = {values.quote_literal(r)}" for r in reasons_)
        column_of_reason.append(f"WHEN {keys} THEN {values.quote_literal(name)}")
        value_of_reason.append(f"WHEN {keys} THEN {raw}")
    value_of_reason.append(f"WHEN __pp_reason = {values.quote_literal(values.ROW_TOO_LONG)} THEN __pp_x")
    skip = int(source.layout.skip)
    flags = [
        ("rn", "__pp_rn"),
        ("reason", "__pp_reason"),
        ("col", " ".join(column_of_reason) + " END" if len(column_of_reason) > 1 else "CAST(NULL AS VARCHAR)"),
        ("val", " ".join(value_of_reason) + " END"),
        ("cells", f"CASE WHEN __pp_reason IS NOT NULL THEN [{all_cols}] END"),
    ]
    originals_rejected = [(name, f"cells[{i + 1}]") for i, name in enumerate(source.layout.names)]
    rejected = [
        (sql.ROW, f"CAST(COALESCE(rn + {skip}, rowid - ? + ?) AS BIGINT)"),
        (sql.WAVE, "CAST(? AS INTEGER)"),
        ("_column", "col"),
        ("_value", "val"),
        ("_reason", "reason"),
    ] + originals_rejected
    text = values.clean_text_sql
    # Only rows passing ``ok`` are written: their number is already a whole 0–10.
    score_value = "TRY_CAST(__pp_n AS TINYINT)"
    kept_names = list(kept)
    generated = {
        role: clean(sql.column(name, kept_names))
        for role, name, clean in (
            (sql.COMMENT, mapping.comment, values.clean_comment_sql),
            (sql.RESPONDENT, mapping.respondent, text),
        )
        if name is not None
    }
    accepted = [
        (sql.ROW, f"CAST(__pp_rn + {skip} AS BIGINT)"),
        (sql.WAVE, "CAST(? AS INTEGER)"),
        (sql.SCORE, f"CAST({score_value} AS TINYINT)"),
        (sql.CATEGORY, domain.category_sql("__pp_n")),
        (sql.DATE, "CAST(__pp_d AS TIMESTAMP)"),
        (sql.COMMENT, values.clean_comment_sql(comment) if comment else "CAST(NULL AS VARCHAR)"),
        (sql.RESPONDENT, text(respondent) if respondent else "CAST(NULL AS VARCHAR)"),
        (sql.WEIGHT, "CAST(__pp_w AS DOUBLE)"),
    ] + [(name, sql.column(internal, internals)) for name, internal in kept.items()]
    return _Columns(layers, values_layers, " AND ".join(ok), flags, rejected, accepted, numbered, generated)


# Types of the responses table's own columns (the file's columns are VARCHAR).
_ACCEPTED_TYPES = {
    sql.ROW: "BIGINT",
    sql.WAVE: "INTEGER",
    sql.SCORE: "TINYINT",
    sql.CATEGORY: "VARCHAR",
    sql.DATE: "TIMESTAMP",
    sql.COMMENT: "VARCHAR",
    sql.RESPONDENT: "VARCHAR",
    sql.WEIGHT: "DOUBLE",
}


def _select_list(columns: list[tuple[str, str]]) -> str:
    return ", ".join(f"{expr} AS {sql.quote_ident(name)}" for name, expr in columns)


@dataclass(frozen=True)
class _Names:
    """Quoted table names of one load."""

    flags: str
    rejected: str
    responses: str
    responses_name: str  # unquoted


def _execute_read(cur: duckdb.DuckDBPyConnection, statement: str, params: list[Any], source: _Source) -> Any:
    """Run a statement that reads the file; DuckDB errors become IngestError (or a serial retry)."""
    try:
        return sql.execute(cur, statement, params)
    except duckdb.Error as exc:
        _raise_for_retry(exc, source)
        raise _duckdb_error(exc, source.file) from exc


def _rejected_schema(names: _Names, layout: detect.Layout) -> str:
    columns = ["_row BIGINT", "_wave INTEGER", "_column VARCHAR", "_value VARCHAR", "_reason VARCHAR"]
    columns += [f"{sql.quote_ident(n)} VARCHAR" for n in layout.names]
    return f"CREATE TABLE {names.rejected} ({', '.join(columns)})"


def _responses_schema(cols: _Columns, names: _Names) -> str:
    """CREATE TABLE for a new dataset's responses: ``_comment`` / ``_respondent`` generated, not stored."""
    columns = []
    for name, _ in cols.accepted:
        kind = _ACCEPTED_TYPES.get(name, "VARCHAR")
        if name in cols.generated:
            columns.append(f"{sql.quote_ident(name)} {kind} AS ({cols.generated[name]}) VIRTUAL")
        else:
            columns.append(f"{sql.quote_ident(name)} {kind}")
    return f"CREATE TABLE {names.responses} ({', '.join(columns)})"


def _generated_columns(cur: duckdb.DuckDBPyConnection, names: _Names) -> set[str]:
    """The generated columns of an existing responses table (none in tables written before they were used)."""
    rows = sql.fetch_all(
        cur,
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = current_schema() AND table_name = ? AND is_generated",
        [names.responses_name],
    )
    return {str(r[0]) for r in rows}


def _accepted_statement(cols: _Columns, names: _Names, generated: set[str]) -> str:
    """INSERT of the accepted rows; ``generated`` are the table's generated columns (left out).

    With ``cols.create`` the statement creates the table instead, every column typed as
    :func:`_responses_schema` would type it.
    """
    if cols.create:
        typed = [(n, f"CAST({e} AS {_ACCEPTED_TYPES.get(n, 'VARCHAR')})") for n, e in cols.accepted]
        select = f"SELECT {_select_list(typed)} FROM ({cols.values_layers}) WHERE {cols.ok}"
        return f"CREATE TABLE {names.responses} AS {select}"
    accepted = [(n, e) for n, e in cols.accepted if n not in generated]
    select = f"SELECT {_select_list(accepted)} FROM ({cols.values_layers}) WHERE {cols.ok}"
    target = ", ".join(sql.quote_ident(n) for n, _ in accepted)
    return f"INSERT INTO {names.responses} ({target}) {select}"


def _flags_statement(cols: _Columns, names: _Names) -> str:
    return f"CREATE TABLE {names.flags} AS SELECT {_select_list(cols.flags)} FROM ({cols.layers})"


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
    source: _Source,
    mapping: ColumnMapping,
    detection: detect.Detection,
    order: str | None,
    names: _Names,
    wave: int,
    append: bool,
    *,
    numbered: bool = False,
    stored: tuple[str, ...] | None = None,
) -> tuple[_Columns, set[str]]:
    """The load's SQL, numbered as it reads only when DuckDB would not keep the file's order otherwise.

    Creates the responses table of a new dataset (a throwaway load, ``stored``
    not None, leaves it to the accepted rows' CREATE TABLE AS). Returns the columns and the
    table's generated columns (which the INSERT leaves out). Whether the flags
    table (only written when rows are rejected) keeps the order is asked
    later, by :func:`_flags_keep_order`. ``numbered`` skips the question.
    """
    cols = _load_sql(source, mapping, detection, order, numbered=numbered, stored=stored)
    if stored is not None and not append:
        cols = replace(cols, create=True)
        generated: set[str] = set()
    elif append:
        generated = _generated_columns(cur, names)
    else:
        sql.execute(cur, _responses_schema(cols, names))
        generated = set(cols.generated)
    if numbered:
        return cols, generated
    try:
        parallel_ok = _keeps_order(cur, _accepted_statement(cols, names, generated), [wave, *source.params])
    except duckdb.Error as exc:
        _raise_for_retry(exc, source)
        raise _duckdb_error(exc, source.file) from exc
    if not parallel_ok:
        cols = replace(_load_sql(source, mapping, detection, order, numbered=True, stored=stored), create=cols.create)
    return cols, generated


def _flags_keep_order(cur: duckdb.DuckDBPyConnection, source: _Source, cols: _Columns, names: _Names) -> bool:
    """Whether the flags table of an unnumbered load would be written in file order (see _keeps_order)."""
    if cols.numbered:
        return True
    try:
        return _keeps_order(cur, _flags_statement(cols, names), list(source.params))
    except duckdb.Error as exc:
        _raise_for_retry(exc, source)
        raise _duckdb_error(exc, source.file) from exc


def _clear_wave(cur: duckdb.DuckDBPyConnection, names: _Names, wave: int, append: bool) -> None:
    """Take back this wave's accepted rows (the table itself for a new dataset), to write them again."""
    if append:
        sql.execute(cur, f"DELETE FROM {names.responses} WHERE _wave = ?", [wave])
    else:
        sql.execute(cur, f"DROP TABLE {names.responses}")


def _write_accepted(
    cur: duckdb.DuckDBPyConnection,
    source: _Source,
    cols: _Columns,
    names: _Names,
    wave: int,
    generated: set[str],
) -> int:
    """Step 2: the accepted rows, in file order; return how many."""
    _execute_read(cur, _accepted_statement(cols, names, generated), [wave, *source.params], source)
    return int(sql.fetch_value(cur, f"SELECT count(*) FROM {names.responses} WHERE _wave = ?", [wave]) or 0)


def _write_flags(cur: duckdb.DuckDBPyConnection, source: _Source, cols: _Columns, names: _Names) -> tuple[int, int]:
    """Step 3a: one row per file row with the reason it is rejected; return (rows, first rowid)."""
    _execute_read(cur, _flags_statement(cols, names), list(source.params), source)
    base, total = sql.fetch_one(cur, f"SELECT min(rowid), count(*) FROM {names.flags}") or (0, 0)
    return int(total or 0), int(base or 0)


def _write_rejected(
    cur: duckdb.DuckDBPyConnection, cols: _Columns, names: _Names, base: int, first_row: int, wave: int
) -> None:
    """Step 3b: the rejected rows, numbered from the flags' rowids."""
    target = ", ".join(sql.quote_ident(n) for n, _ in cols.rejected)
    sql.execute(
        cur,
        f"INSERT INTO {names.rejected} ({target}) SELECT {_select_list(cols.rejected)} "
        f"FROM {names.flags} WHERE reason IS NOT NULL ORDER BY rowid",
        [base, first_row, wave],
    )


def _number_accepted_rows(
    cur: duckdb.DuckDBPyConnection,
    names: _Names,
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
    source: _Source,
    mapping: ColumnMapping,
    order: str,
    names: _Names,
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


def _reason_counts(cur: duckdb.DuckDBPyConnection, names: _Names) -> dict[str, int]:
    rows = sql.fetch_all(cur, f"SELECT reason, count(*) FROM {names.flags} WHERE reason IS NOT NULL GROUP BY reason")
    return {str(r): int(n) for r, n in rows}


def _count_rows(cur: duckdb.DuckDBPyConnection, source: _Source, *, stop: int | None = None) -> int:
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
    cur: duckdb.DuckDBPyConnection, source: _Source, names: _Names, wave: int, rows_read: int, *, whole: bool = True
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
    cur: duckdb.DuckDBPyConnection, source: _Source, limits: Limits, *, accepted: int | None = None
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


def _over_row_limit(source: _Source, limits: Limits, rows: int | None) -> IngestError:
    counted = f"{rows:,} rows" if rows is not None else f"more than {limits.max_rows:,} rows"
    return IngestError(
        f"the file has {counted}, over the limit of {limits.max_rows:,}; split it or raise the limit", file=source.file
    )


@dataclass
class _Wave:
    """What writing one wave found."""

    rows_read: int
    accepted: int
    reasons: dict[str, int]
    mapping: ColumnMapping
    warnings: list[str]
    flags_base: int | None  # first rowid of the flags table, None when nothing was rejected
    numbered: bool  # rows were numbered as they were read: nothing left to number


def _write_wave(
    cur: duckdb.DuckDBPyConnection,
    plan: _Plan,
    names: _Names,
    mapping: ColumnMapping,
    wave: int,
    *,
    append: bool,
    limits: Limits,
    warnings: list[str],
) -> _Wave:
    """Steps 1–4 for one file, inside the caller's transaction."""
    source, detection = plan.source, plan.detection
    first_row = source.layout.skip + 1
    rows_read = source.exact_rows
    # A text file still being hashed has no line count yet: its rows are checked once written,
    # unless it may be near the row limit: then the hash is waited for, and an oversized file
    # refused before any row is written.
    if source.hashing is not None and (source.estimated_rows or 0) > limits.max_rows // 2:
        _finish_hash(source)
    if source.hashing is None:
        rows_read = _rows_within_limit(cur, source, limits)
    if not append:
        sql.execute(cur, _rejected_schema(names, source.layout))
    order = mapping.date_order
    for attempt in range(2):
        cols, generated = _plan_columns(cur, source, mapping, detection, order, names, wave, append,
                                        stored=plan.stored)
        accepted = _write_accepted(cur, source, cols, names, wave, generated)
        if source.hashing is not None:
            _finish_hash(source)  # hashed while DuckDB read and wrote the rows
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
    return _Wave(rows_read, accepted, reasons, mapping, warnings, base, cols.numbered)


def _finish_wave(cur: duckdb.DuckDBPyConnection, plan: _Plan, names: _Names, written: _Wave, wave: int) -> None:
    """Step 4 and the last check: number the accepted rows, drop the flags, look for an unclosed quote."""
    source = plan.source
    if not written.numbered:
        _number_accepted_rows(cur, names, written.flags_base, source.layout.skip + 1, wave)
    if written.flags_base is not None:
        sql.execute(cur, f"DROP TABLE {names.flags}")
    _check_unclosed_quote(cur, source, names, wave, written.rows_read, whole=plan.stored is None)


def _load(
    cur: duckdb.DuckDBPyConnection,
    plan: _Plan,
    *,
    name: str,
    append_to: Dataset | None,
    limits: Limits,
    source_file: str | None,
    progress: Callable[[float, str], None] | None,
) -> IngestReport:
    """Write the wave, check it, record it in the catalog; everything or nothing.

    An appended wave is one transaction. A new dataset is two: the first writes
    its tables, the second numbers the rows and adds the catalog row, because
    DuckDB makes an UPDATE of rows written in the same transaction very slow
    at commit (11 s for 10 million rows, against 0.5 s once committed). The
    tables are invisible until the catalog row exists, and any error or
    interrupt after the first commit drops them again.
    """
    dataset_id = append_to.id if append_to is not None else store.next_dataset_id(cur)
    # DuckDB draws a progress bar on stderr for long statements; a library must not.
    bar = sql.fetch_value(cur, "SELECT current_setting('enable_progress_bar')")
    sql.execute(cur, "SET enable_progress_bar = false")
    try:
        # One load of a dataset at a time in this process; its tables are no leftovers while it runs.
        with store.loading(dataset_id):
            if append_to is not None:
                append_to = store.get_dataset(cur, dataset_id)  # as another append may have left it
            return _load_held(cur, plan, dataset_id, name=name, append_to=append_to, limits=limits,
                              source_file=source_file, progress=progress)
    finally:
        sql.execute(cur, f"SET enable_progress_bar = {'true' if bar else 'false'}")


def _load_held(
    cur: duckdb.DuckDBPyConnection,
    plan: _Plan,
    dataset_id: int,
    *,
    name: str,
    append_to: Dataset | None,
    limits: Limits,
    source_file: str | None,
    progress: Callable[[float, str], None] | None,
) -> IngestReport:
    """:func:`_load` once the dataset is held."""
    mapping = append_to.mapping if append_to is not None else plan.detection.mapping
    warnings = list(plan.inspection.warnings)
    wave = append_to.waves + 1 if append_to is not None else 1
    names = _Names(
        flags=sql.table(f"load_flags_{dataset_id}"),
        rejected=sql.table(f"rejected_{dataset_id}"),
        responses=sql.table(f"responses_{dataset_id}"),
        responses_name=f"responses_{dataset_id}",
    )
    return _load_transactions(
        cur,
        plan,
        names,
        mapping,
        warnings,
        dataset_id,
        wave,
        name=name,
        append_to=append_to,
        limits=limits,
        source_file=source_file,
        progress=progress,
    )


def _load_transactions(
    cur: duckdb.DuckDBPyConnection,
    plan: _Plan,
    names: _Names,
    mapping: ColumnMapping,
    warnings: list[str],
    dataset_id: int,
    wave: int,
    *,
    name: str,
    append_to: Dataset | None,
    limits: Limits,
    source_file: str | None,
    progress: Callable[[float, str], None] | None,
) -> IngestReport:
    """The transaction(s) of :func:`_load`: one for an appended wave, two for a new dataset.

    The wave is written in the first; the rows are numbered and recorded in the catalog in the
    same one for an append, in a second one for a new dataset. Any error or interrupt after the
    first commit of a new dataset drops its tables again.
    """
    append = append_to is not None
    first_committed = False
    try:
        with store.transaction(cur):
            _tick(progress, 0.3, "loading the rows")
            written = _write_wave(cur, plan, names, mapping, wave, append=append, limits=limits, warnings=warnings)
            if append:
                report = _record_wave(cur, plan, names, written, dataset_id, wave, name=name,
                                      append_to=append_to, source_file=source_file, progress=progress)
        if not append:
            first_committed = True
            with store.transaction(cur):
                report = _record_wave(cur, plan, names, written, dataset_id, wave, name=name,
                                      append_to=append_to, source_file=source_file, progress=progress)
    except BaseException:
        if first_committed:
            _drop_tables(cur, names)
        raise
    _tick(progress, 1.0, "done")
    return report


def _record_wave(
    cur: duckdb.DuckDBPyConnection,
    plan: _Plan,
    names: _Names,
    written: _Wave,
    dataset_id: int,
    wave: int,
    *,
    name: str,
    append_to: Dataset | None,
    source_file: str | None,
    progress: Callable[[float, str], None] | None,
) -> IngestReport:
    """Number the wave's rows, check them and record the wave in the catalog (inside the caller's transaction)."""
    source, detection = plan.source, plan.detection
    _tick(progress, 0.85, "numbering the rows")
    _finish_wave(cur, plan, names, written, wave)
    mapping, warnings = written.mapping, written.warnings
    rows_read, accepted, reasons = written.rows_read, written.accepted, written.reasons
    rejected = sum(reasons.values())
    _tick(progress, 0.9, "checking")
    # One scan for the checks and the counts of values read in a stated way.
    counted = _adjusted_counts_sql(mapping, list(plan.columns))
    extra = "".join(f", {expr}" for _, expr in counted)
    row = sql.fetch_one(
        cur,
        f"SELECT count(*) - count(_date), min(_score), max(_score){extra} FROM {names.responses} WHERE _wave = ?",
        [wave],
    ) or (0, None, None) + (0,) * len(counted)
    undated, low, high = row[:3]
    adjusted = {what: int(n) for (what, _), n in zip(counted, row[3:], strict=True) if n}
    warnings = [w for w in warnings if "1–10 scale" not in w and "sampled row(s) have more fields" not in w]
    if accepted >= 100 and low == 1 and high == 10:
        warnings.append(detect.describe_one_to_ten(mapping.score, accepted, sampled=False))
    if mapping.date and undated:
        warnings.append(
            f"{undated:,} accepted row(s) have a blank date in {mapping.date!r}; they are kept without a date"
        )
    too_long = reasons.get(values.ROW_TOO_LONG, 0)
    if too_long:
        warnings.append(f"{too_long:,} row(s) have more fields than the header; they were rejected")
    _finish_hash(source)  # done already, unless no row was written
    if append_to is None:
        dataset = Dataset(
            id=dataset_id,
            name=name,
            source_file=source_file,
            size_bytes=source.size,
            sha256=source.sha256,
            format=source.format,
            layout=source.layout.name,
            encoding=source.encoding,
            mapping=mapping,
            columns=plan.columns,
            labels={k: v for k, v in source.layout.labels.items() if k in plan.columns},
            loaded_at=dt.datetime.now(),
            rows_read=rows_read,
            accepted=accepted,
            rejected=rejected,
            warnings=tuple(warnings),
            waves=1,
            kind=detection.kind,
        )
        store.insert_dataset(cur, dataset)
    else:
        store.record_file(
            cur, dataset_id, wave, source_file, source.size, source.sha256, rows_read, accepted, rejected
        )
        all_warnings = tuple(dict.fromkeys(list(append_to.warnings) + [f"wave {wave}: {w}" for w in warnings]))
        store.update_counts(
            cur,
            dataset_id,
            rows_read=append_to.rows_read + rows_read,
            accepted=append_to.accepted + accepted,
            rejected=append_to.rejected + rejected,
            waves=wave,
            warnings=all_warnings,
        )
        dataset = store.get_dataset(cur, dataset_id)
    inspection = replace(plan.inspection, mapping=mapping, warnings=tuple(warnings))
    return IngestReport(
        dataset=dataset,
        wave=wave,
        rows_read=rows_read,
        accepted=accepted,
        rejected=rejected,
        rejected_reasons=reasons,
        warnings=tuple(warnings),
        inspection=inspection,
        adjusted=adjusted,
    )


def count_adjusted(
    cur: duckdb.DuckDBPyConnection, table: str, mapping: ColumnMapping, columns: list[str], *, wave: int | None = None
) -> dict[str, int]:
    """Accepted rows read in a stated way: blank weights counted as 1, comments that only say "NA".

    ``table`` is a responses table holding the file's ``columns``; ``wave``
    None counts every wave. Only non-zero counts are returned.
    """
    parts = _adjusted_counts_sql(mapping, columns)
    if not parts:
        return {}
    where, params = ("WHERE _wave = ?", [wave]) if wave is not None else ("", [])
    row = sql.fetch_one(cur, f"SELECT {', '.join(e for _, e in parts)} FROM {sql.table(table)} {where}", params)
    counts = dict(zip((what for what, _ in parts), (int(n or 0) for n in (row or ())), strict=False))
    return {what: n for what, n in counts.items() if n}


def _adjusted_counts_sql(mapping: ColumnMapping, columns: list[str]) -> list[tuple[str, str]]:
    """``(what, aggregate)`` for each kind of value a load reads in a stated way (see :func:`count_adjusted`)."""
    parts: list[tuple[str, str]] = []
    if mapping.weight:
        weight = sql.column(mapping.weight, columns)
        parts.append((values.WEIGHT_BLANK_AS_ONE, f"count(*) FILTER (WHERE {values.clean_text_sql(weight)} IS NULL)"))
    if mapping.comment:
        comment = sql.column(mapping.comment, columns)
        parts.append((values.COMMENT_MISSING, f"count(*) FILTER (WHERE {values.is_missing_comment_sql(comment)})"))
    return parts


def _drop_tables(cur: duckdb.DuckDBPyConnection, names: _Names) -> None:
    """Undo the first transaction of a new dataset (its tables have no catalog row yet)."""
    with store.transaction(cur):
        for table in (names.responses, names.rejected, names.flags):
            sql.execute(cur, f"DROP TABLE IF EXISTS {table}")


def _with_order(mapping: ColumnMapping, order: str, flipped: int) -> ColumnMapping:
    reasons = dict(mapping.reasons)
    first = reasons.get("date", "").split("; assumed")[0]
    name = "month-first (mm/dd/yyyy)" if order == "mdy" else "day-first (dd/mm/yyyy)"
    reasons["date"] = f"{first}; {name}, decided from the whole file: {flipped} value(s) only read that way"
    return replace(mapping, date_order=order, reasons=reasons)


class _Retry(Exception):
    """The parallel CSV reader met a quoted line break; load again reading serially."""


class _NotUtf8(Exception):
    """DuckDB found a byte sequence that is not UTF-8 past the head; load again (see :func:`_after_utf8_break`)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


def _after_utf8_break(found: reader.Utf8Break | None) -> tuple[str, str]:
    """How to read a file taken for UTF-8 in which other bytes were found, and the warning that says so.

    Where the text before the first bad byte is UTF-8 (accented letters, a UTF-8 BOM),
    the file is read as UTF-8 and only the bytes that are not UTF-8 as cp1252; where it
    is plain ASCII, the whole file is cp1252 (reading it all as cp1252 would turn
    the UTF-8 part into mojibake: ``CittÃ `` beside ``Città``).
    """
    if found is None:  # DuckDB saw what a Python decoder does not: the old way
        return "cp1252", "the file is not valid UTF-8, so it was read as cp1252"
    where = f"line {found.line:,} (byte {found.offset:,})"
    if found.utf8_before:
        return reader.UTF8_THEN_CP1252, (
            f"the file is UTF-8 until {where}, where bytes of another encoding start: from there, what is not "
            f"UTF-8 was read as cp1252; check the rows from line {found.line:,} on"
        )
    return "cp1252", f"the file is not UTF-8 from {where} on (plain ASCII before), so all of it was read as cp1252"


def _not_in(encoding: str, file: str) -> IngestError:
    return IngestError(
        f"the text is not valid {encoding}; choose another encoding (cp1252 for most Western exports)", file=file
    )


def _raise_for_retry(exc: duckdb.Error, source: _Source) -> None:
    """Turn the DuckDB errors that a second attempt fixes into :class:`_Retry` / :class:`_NotUtf8`."""
    if source.csv is None:
        return
    if "quoted new line" in str(exc):
        raise _Retry() from exc
    if "does not support a full read" in str(exc) and source.csv["parallel"]:
        raise _Retry() from exc  # a line over the buffer: the serial reader says which one
    if "Invalid unicode" in str(exc) and source.encoding in ("utf-8", "utf-8-sig"):
        raise _NotUtf8(source.csv["path"]) from exc


def _is_write_conflict(exc: BaseException) -> bool:
    """Whether DuckDB refused a write because another transaction wrote the same rows first."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, duckdb.TransactionException) and "conflict" in str(seen).lower():
            return True
        seen = seen.__cause__
    return False


def _write_conflict(append_to: int | None, file: str) -> IngestError:
    what = f"dataset {append_to}" if append_to is not None else "the database"
    return IngestError(
        f"another load wrote to {what} at the same time, twice, so this one was not saved (nothing is wrong "
        "with the file); load it again",
        file=file,
    )


def _tick(progress: Callable[[float, str], None] | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(fraction, message)


def _check_duplicate(cur: duckdb.DuckDBPyConnection, sha: str | None, file: str, allow: bool) -> None:
    if sha is None or allow:
        return
    existing = store.find_by_sha256(cur, sha)
    if existing is not None:
        raise DuplicateFileError(
            f"this file was already loaded as dataset {existing.id} ({existing.name!r}); "
            "open that dataset, or load it again with allow_duplicate",
            file=file,
            dataset_id=existing.id,
        )


def _size_seen(cur: duckdb.DuckDBPyConnection, size: int | None) -> bool:
    """Whether a file of exactly ``size`` bytes was loaded before (as a dataset or a wave of one)."""
    if size is None:
        return True
    seen = sql.fetch_value(
        cur,
        "SELECT count(*) FROM datasets WHERE size_bytes = ? OR id IN "
        "(SELECT dataset_id FROM dataset_files WHERE size_bytes = ?)",
        [size, size],
    )
    return bool(seen)


def _append_overrides(ds: Dataset) -> Overrides:
    m = ds.mapping
    return Overrides(
        score=m.score,
        date=m.date,
        comment=m.comment,
        respondent=m.respondent,
        weight=m.weight,
        dimensions=tuple(m.dimensions),
        date_order=m.date_order,
        no_date=m.date is None,
        no_comment=m.comment is None,
    )


def _check_same_columns(ds: Dataset, layout: detect.Layout, file: str) -> None:
    new, old = list(layout.names), list(ds.columns)
    if set(new) == set(old):
        return
    missing = [c for c in old if c not in new]
    extra = [c for c in new if c not in old]
    parts = []
    if missing:
        parts.append("missing " + ", ".join(repr(c) for c in missing[:10]))
    if extra:
        parts.append("new " + ", ".join(repr(c) for c in extra[:10]))
    raise IngestError(
        f"the columns differ from dataset {ds.id} ({ds.name!r}): {'; '.join(parts)}; "
        "append only files with the same columns",
        file=file,
    )


def _run(
    cur: duckdb.DuckDBPyConnection,
    prepare: Callable[[duckdb.DuckDBPyConnection, _Workspace, str | None], _Source],
    *,
    file: str,
    name: str,
    overrides: Overrides | None,
    append_to: int | None,
    allow_duplicate: bool,
    limits: Limits,
    source_file: str | None,
    kind: str | None,
    progress: Callable[[float, str], None] | None,
    encoding: str | None = None,
    keep: Collection[str] | None = None,
) -> IngestReport:
    """Prepare, inspect and load, starting again when DuckDB asks for a serial read or finds non-UTF-8 text.

    ``encoding`` is the user's choice (None: detected); a file not valid in it is refused.
    ``keep`` (None: every column) limits the stored columns, see :func:`ingest_file`.
    """
    store.remove_leftovers(cur)  # of a load killed before (kill -9 between its two commits)
    work = _Workspace()
    con = _private_connection()
    done = 0.0

    def tick(fraction: float, message: str) -> None:
        nonlocal done
        done = max(done, fraction)  # a second attempt does not move the bar back
        _tick(progress, done, message)

    chosen = encoding
    switched = ""  # the warning of a file found not to be UTF-8 all through
    try:
        if chosen is not None:
            encoding = reader.check_encoding(chosen, file)
        while True:
            try:
                tick(0.0, "reading the file")
                source = prepare(con, work, encoding)
                target: Dataset | None = None
                if append_to is not None:
                    _finish_hash(source)
                _check_duplicate(cur, source.sha256, file, allow_duplicate)
                if append_to is not None:
                    target = store.get_dataset(cur, append_to)
                    _check_same_columns(target, source.layout, file)
                    overrides = _append_overrides(target)
                tick(0.1, "finding the columns")
                # A text file is hashed while its sample is read and its columns found; a duplicate
                # file is still reported before whatever else would stop the load.
                try:
                    plan = _inspect_source(con, source, overrides, kind=kind)
                    note = switched or source.encoding_note
                    if note:
                        plan.inspection = replace(plan.inspection, warnings=(note, *plan.inspection.warnings))
                    if keep is not None:
                        plan.stored = _stored_columns(plan, keep)
                except Exception:
                    if source.hashing is not None:
                        _finish_hash(source)
                        _check_duplicate(cur, source.sha256, file, allow_duplicate)
                    raise
                # Only a file of a size loaded before can be a duplicate: for any other the hash goes
                # on in the background while the rows are written, and is waited for after them.
                if source.hashing is not None and not allow_duplicate and _size_seen(cur, source.size):
                    _finish_hash(source)
                    _check_duplicate(cur, source.sha256, file, allow_duplicate)
                for attempt in (1, 2):
                    try:
                        try:
                            return _load(cur, plan, name=name, append_to=target, limits=limits,
                                         source_file=source_file, progress=tick)
                        except _Retry:
                            _rebuild_serial(source)
                            return _load(cur, plan, name=name, append_to=target, limits=limits,
                                         source_file=source_file, progress=tick)
                    except (duckdb.Error, IngestError) as exc:
                        if not _is_write_conflict(exc):
                            raise
                        if attempt == 2:
                            raise _write_conflict(append_to, file) from exc
                        # Another load committed first (rolled back here): once more, on the dataset as it is now.
                        if append_to is not None:
                            target = store.get_dataset(cur, append_to)
                raise AssertionError("unreachable")
            except _NotUtf8 as not_utf8:
                if chosen is not None:
                    raise _not_in(encoding or chosen, file) from None
                if encoding is not None:
                    raise IngestError("the text is neither UTF-8 nor cp1252; save it as UTF-8", file=file) from None
                work.stop_hashing()  # the next attempt hashes the file again
                encoding, switched = _after_utf8_break(reader.find_utf8_break(not_utf8.path))
    except NpsError:
        raise
    except duckdb.Error as exc:
        raise _duckdb_error(exc, file) from exc
    except Exception as exc:  # whatever else goes wrong reaches the user as one line naming the file
        raise IngestError(f"the file cannot be loaded ({type(exc).__name__}: {_first_line(exc)})", file=file) from exc
    finally:
        con.close()
        work.close()


def _stored_columns(plan: _Plan, keep: Collection[str]) -> tuple[str, ...] | None:
    """The file's columns a throwaway load stores: every role's, every dimension's, and those of ``keep``.

    A name of ``keep`` that is no column of the file is left for the caller's own
    check to report (it then fails as it would on a full load). None: all of them.
    """
    layout = plan.source.layout
    mapping = plan.detection.mapping
    # The score's and the date's own text is left out: ``_score`` and ``_date`` hold what they say.
    wanted = {mapping.comment, mapping.respondent, mapping.weight, mapping.survey_type}
    wanted.update(mapping.dimensions)
    for name in keep:
        try:
            wanted.add(_resolve_column(name, layout, plan.source.file))
        except IngestError:
            pass
    stored = tuple(n for n in layout.names if n in wanted)
    return None if len(stored) == len(layout.names) else stored


def ingest_file(
    cur: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    name: str | None = None,
    sheet: str | None = None,
    overrides: Overrides | None = None,
    append_to: int | None = None,
    allow_duplicate: bool = False,
    limits: Limits = Limits(),
    display_name: str | None = None,
    progress: Callable[[float, str], None] | None = None,
    encoding: str | None = None,
    keep: Collection[str] | None = None,
) -> IngestReport:
    """Load a survey export into a new dataset (or a new wave of ``append_to``) and report what happened.

    ``name`` defaults to the file's stem; ``display_name`` is the name the user
    knows the file by (messages and ``Dataset.source_file`` use it).
    ``encoding`` overrides the detected encoding of a text file.
    ``keep`` is for a throwaway load that answers one question (the command
    line's ``summary FILE``): the dataset then stores only the columns with a
    role (score, date, comment, respondent, weight, survey type, dimensions)
    and the columns named in ``keep``; every row is still read and checked,
    rejected rows keep all their cells, and the other columns are left out of
    the responses table (``Dataset.columns`` lists what is stored). Not with
    ``append_to``.
    ``progress(fraction 0–1, message)`` is called between stages. The load is
    one transaction: on any error or interrupt nothing is left behind.
    Raises :class:`DuplicateFileError` when a file with the same sha256 was
    loaded before (unless ``allow_duplicate``) and :class:`IngestError` (one
    line naming the file) for everything else that stops a load.
    """
    if keep is not None and append_to is not None:
        raise ValueError("keep is for a new throwaway dataset, not an append")
    path = Path(path)
    file = display_name or path.name
    return _run(
        cur,
        lambda con, work, encoding: _prepare(
            con, path, file, sheet=sheet, limits=limits, work=work, full=True, encoding=encoding
        ),
        file=file,
        name=name or Path(file).stem,
        overrides=overrides,
        append_to=append_to,
        allow_duplicate=allow_duplicate,
        limits=limits,
        source_file=file,
        kind=None,
        progress=progress,
        encoding=encoding,
        keep=keep,
    )


def ingest_dataframe(
    cur: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    *,
    name: str,
    overrides: Overrides | None = None,
    kind: str | None = None,
) -> IngestReport:
    """Load a pandas DataFrame (generated or sample data) as a new dataset, like a file.

    Column names become text; values are read as their text. ``kind``
    ('customer' or 'employee') overrides the detector. Raises
    :class:`IngestError` like :func:`ingest_file`.
    """
    if kind is not None and kind not in ("customer", "employee"):
        raise IngestError(f"unknown kind {kind!r}; use 'customer' or 'employee'", file=name)

    def prepare(con: duckdb.DuckDBPyConnection, work: _Workspace, encoding: str | None) -> _Source:
        if frame.shape[1] == 0:
            raise IngestError("the data frame has no columns", file=name)
        if frame.shape[0] == 0:
            raise IngestError("the file has a header but no data rows", file=name)
        target = work.path(".parquet")
        names = [str(c) for c in frame.columns]
        if len(set(names)) != len(names):
            raise IngestError("the data frame has duplicate column names", file=name)
        table = frame.copy()
        table.columns = names
        try:
            table.to_parquet(target, index=False)
        except Exception:  # mixed-type object columns: fall back to their text
            table = table.astype(object).where(table.notna(), None)
            table = table.apply(lambda s: s.map(lambda v: None if v is None else str(v)))
            table.to_parquet(target, index=False)
        select, params, internals = _typed_select("read_parquet", target, names)
        return _Source(
            file=name,
            format="dataframe",
            encoding="binary",
            layout=detect.make_flat_layout(names),
            sheet=None,
            sheets=(),
            select_sql=select,
            params=params,
            internals=internals,
            decimal_comma=False,
            size=None,
            sha256=None,
        )

    return _run(
        cur,
        prepare,
        file=name,
        name=name,
        overrides=overrides,
        append_to=None,
        allow_duplicate=True,
        limits=Limits(),
        source_file=None,
        kind=kind,
        progress=None,
    )


# --- correcting a loaded dataset's mapping ------------------------------------------------------


@dataclass(frozen=True)
class RemapReport:
    """What :func:`remap_dataset` changed: the mapping before and after, in words, and the new counts."""

    dataset: Dataset
    before: ColumnMapping
    changes: tuple[str, ...]
    accepted_before: int
    rejected_before: int
    accepted: int
    rejected: int
    rejected_reasons: dict[str, int]
    adjusted: dict[str, int]
    warnings: tuple[str, ...]


REMAP_SAMPLE = "__pp_remap_sample"
_ROLES = ("score", "date", "comment", "respondent", "weight")


def describe_mapping_changes(before: ColumnMapping, after: ColumnMapping) -> list[str]:
    """The differences between two mappings in words, one line per role that changed."""

    def show(value: str | None) -> str:
        return repr(value) if value else "(none)"

    lines = []
    for role in _ROLES:
        old, new = getattr(before, role), getattr(after, role)
        if old != new:
            lines.append(f"{role}: {show(old)} → {show(new)}")
    added = [d for d in after.dimensions if d not in before.dimensions]
    removed = [d for d in before.dimensions if d not in after.dimensions]
    if added or removed:
        parts = ([f"added {', '.join(map(repr, added))}"] if added else []) + (
            [f"removed {', '.join(map(repr, removed))}"] if removed else []
        )
        lines.append(f"dimensions: {'; '.join(parts)}")
    if before.date_order != after.date_order and after.date:
        lines.append(f"date order: {before.date_order or '(none)'} → {after.date_order or '(none)'}")
    return lines


def _warnings_still_true(warnings: tuple[str, ...], before: ColumnMapping, after: ColumnMapping) -> list[str]:
    """The load's warnings that a new mapping leaves true: those about a column whose role changed go."""
    changed = [
        str(getattr(before, role)) for role in _ROLES if getattr(before, role) and getattr(before, role) != getattr(after, role)
    ]
    if before.date and before.date_order != after.date_order:
        changed.append(before.date)
    return [w for w in warnings if not any(f"{c!r}" in w for c in changed)]


def _check_remap_columns(ds: Dataset, mapping: ColumnMapping) -> ColumnMapping:
    """Resolve every column of a requested mapping to a stored name; refuse unknown or doubled columns."""
    from nps.errors import UnknownColumnError

    def one(value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            return store.resolve_column(ds, value)
        except UnknownColumnError as exc:
            raise IngestError(str(exc), file=ds.name) from None

    roles = {role: one(getattr(mapping, role)) for role in _ROLES}
    if roles["score"] is None:
        raise IngestError("a dataset needs a score column; choose the column with the 0–10 answers", file=ds.name)
    seen: dict[str, str] = {}
    for role, column in roles.items():
        if column is None:
            continue
        if column in seen:
            raise IngestError(f"the column {column!r} cannot be both the {seen[column]} and the {role}", file=ds.name)
        seen[column] = role
    dims = tuple(dict.fromkeys(c for c in (one(d) for d in mapping.dimensions) if c is not None))
    if mapping.date_order is not None and mapping.date_order not in values.DATE_ORDERS:
        raise IngestError(
            f"unknown date order {mapping.date_order!r}; use one of {', '.join(values.DATE_ORDERS)}", file=ds.name
        )
    survey_type = mapping.survey_type if mapping.survey_type in dims else None
    return ColumnMapping(
        score=str(roles["score"]),
        date=roles["date"],
        comment=roles["comment"],
        respondent=roles["respondent"],
        weight=roles["weight"],
        dimensions=dims,
        survey_type=survey_type,
        date_order=mapping.date_order,
    )


def _remap_source(ds: Dataset) -> _Source:
    """The dataset's rows (accepted, and rejected but for a reason of the row itself) as a source to load again.

    Every row carries its row number and wave (``__pp_orow``, ``__pp_owave``);
    the file's columns are ``c1…cn`` as in a load.
    """
    columns = list(ds.columns)
    internals = [f"c{i + 1}" for i in range(len(columns))]
    cells = ", ".join(f"{sql.column(c, columns)} AS {sql.quote_ident(i)}" for c, i in zip(columns, internals, strict=True))
    select = (
        f"SELECT CAST(NULL AS VARCHAR) AS __pp_x, _row AS __pp_orow, _wave AS __pp_owave, {cells} "
        f"FROM {sql.table(ds.table)} UNION ALL "
        f"SELECT CAST(NULL AS VARCHAR), _row, _wave, {cells} FROM {sql.table(ds.rejected_table)} "
        "WHERE _reason <> ? AND _reason <> ?"
    )
    layout = detect.Layout(
        name=ds.layout or detect.FLAT,
        header_index=0,
        skip=0,
        width=len(columns),
        keep=tuple(range(len(columns))),
        names=tuple(columns),
        headers=tuple(columns),
        labels=dict(ds.labels),
    )
    return _Source(
        file=ds.name,
        format=ds.format or "",
        encoding=ds.encoding or "",
        layout=layout,
        sheet=None,
        sheets=(),
        select_sql=select,
        params=[values.ROW_TOO_LONG, values.ROW_BLANK],
        internals=internals,
        decimal_comma=ds.format == reader.TEXT_FORMATS[";"],
        size=ds.size_bytes,
        sha256=ds.sha256,
        dayfirst_language=detect.guess_language_dayfirst(list(columns) + list(ds.labels.values())),
    )


def _remap_detection(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, source: _Source, wanted: ColumnMapping
) -> detect.Detection:
    """Profile a sample of the dataset's rows and settle how to read the chosen columns; refuse a bad choice."""
    sample = sql.table(REMAP_SAMPLE)
    sql.execute(cur, f"DROP TABLE IF EXISTS {sample}")
    sql.execute(
        cur,
        f"CREATE TEMP TABLE {sample} AS SELECT row_number() OVER (ORDER BY __pp_owave, __pp_orow) AS __pp_rn, * "
        f"FROM ({source.select_sql}) ORDER BY __pp_owave, __pp_orow LIMIT ?",
        [*source.params, SAMPLE_ROWS],
    )
    columns = [
        (internal, name, name, ds.labels.get(name))
        for internal, name in zip(source.internals, source.layout.names, strict=True)
    ]
    profiles = detect.profile_sample(cur, REMAP_SAMPLE, columns, decimal_comma=source.decimal_comma)
    by_name = {p.name: p for p in profiles}
    where = f"in the first {profiles[0].rows:,} rows" if profiles else ""
    score = by_name[wanted.score]
    if score.score_ok == 0:
        raise IngestError(
            f"the column {score.name!r} holds no whole numbers 0–10 {where} (e.g. {_show_examples(score.examples, 3) or 'blanks'}); "
            "choose the column with the 0–10 answers",
            file=ds.name,
        )
    _, score_reason, warnings = detect.choose_score(profiles, file=ds.name, override=wanted.score)
    reasons = {"score": score_reason}
    kind: str | None = None
    order: str | None = None
    decided = True
    fast: tuple[tuple[str, str], ...] = ()
    if wanted.date:
        p, kind, reasons["date"] = detect.choose_date(profiles, exclude=set(), override=wanted.date, no_date=False)
        assert p is not None
        readable = max(p.dmy_ok, p.mdy_ok, p.serial_ok, p.epoch_s_ok, p.epoch_ms_ok)
        if p.nonblank and not readable:
            raise IngestError(
                f"the column {p.name!r} holds no dates {where} (e.g. {_show_examples(p.examples, 3)}); "
                "choose the column with the response dates, or none",
                file=ds.name,
            )
        if kind == values.DATE_TEXT:
            order, decided, sentence, more = detect.decide_date_order(
                p, override=wanted.date_order, dayfirst_language=source.dayfirst_language
            )
            warnings += more
            reasons["date"] += f"; {sentence}"
            fast = detect.choose_fast_formats(cur, REMAP_SAMPLE, p.internal, order, kind)
        else:
            order = wanted.date_order
    if wanted.weight:
        w = by_name[wanted.weight]
        if w.nonblank and not w.numeric:
            raise IngestError(
                f"the column {w.name!r} holds no numbers {where} (e.g. {_show_examples(w.examples, 3)}); "
                "choose a column of weights, or none",
                file=ds.name,
            )
        reasons["weight"] = "chosen by you"
    for role in ("comment", "respondent"):
        if getattr(wanted, role):
            reasons[role] = "chosen by you"
    dims = [by_name[d] for d in wanted.dimensions]
    for d in dims:
        reasons[d.name] = "chosen by you"
    survey_type = wanted.survey_type
    if survey_type is None:
        found, st_reason = detect.choose_survey_type(dims)
        if found is not None:
            survey_type, reasons["survey_type"] = found.name, st_reason
    else:
        reasons["survey_type"] = "chosen by you"
    # A role left as it was keeps the detector's reason; only what the user changed says "chosen by you".
    old = ds.mapping
    for role in (*_ROLES, "survey_type"):
        if getattr(wanted, role) == getattr(old, role) and role in old.reasons and (role != "date" or order == old.date_order):
            reasons[role] = old.reasons[role]
    for d in dims:
        if d.name in old.dimensions and d.name in old.reasons:
            reasons[d.name] = old.reasons[d.name]
    mapping = replace(wanted, survey_type=survey_type, date_order=order, reasons=reasons)
    return detect.Detection(
        mapping=mapping,
        date_kind=kind,
        date_fast_formats=fast,
        date_order_decided=decided,
        kind=ds.kind,
        warnings=tuple(warnings),
        column_notes={},
    )


def remap_dataset(cur: duckdb.DuckDBPyConnection, dataset_id: int, mapping: ColumnMapping) -> RemapReport:
    """Give a loaded dataset new roles and derive its score, date, comment, respondent and weight again.

    ``mapping`` names the columns (stored name, header id or question text)
    for the score, date, comment, respondent, weight (None: no such column),
    the dimensions and the date order (None: decided from the data); its
    ``reasons`` are ignored. Every row of every wave is read again: rows
    rejected before may now be accepted and the other way round (rows
    rejected for their own shape — too many fields, blank — stay rejected);
    row numbers, waves and the dataset's id are kept, so targets and links
    survive. One transaction: the change is recorded in the dataset's history
    (:func:`nps.store.dataset_history`) and its comment tags are dropped to be
    made again. A bad choice (a score column without 0–10 values, a date
    column without dates, a weight column without numbers, a column in two
    roles, no row left) raises :class:`IngestError` and changes nothing.
    Waits for a load of the same dataset under way in this process (:func:`nps.store.loading`).
    """
    with store.loading(dataset_id):
        return _remap_held(cur, dataset_id, mapping)


def _remap_held(cur: duckdb.DuckDBPyConnection, dataset_id: int, mapping: ColumnMapping) -> RemapReport:
    """:func:`remap_dataset` once the dataset is held."""
    ds = store.get_dataset(cur, dataset_id)
    wanted = _check_remap_columns(ds, mapping)
    source = _remap_source(ds)
    try:
        detection = _remap_detection(cur, ds, source, wanted)
    finally:
        sql.execute(cur, f"DROP TABLE IF EXISTS {sql.table(REMAP_SAMPLE)}")
    new = detection.mapping
    changes = describe_mapping_changes(ds.mapping, new)
    if not changes and new.survey_type == ds.mapping.survey_type:
        return RemapReport(ds, ds.mapping, (), ds.accepted, ds.rejected, ds.accepted, ds.rejected,
                           store.rejected_reasons(cur, ds), {}, ())
    cols = _load_sql(source, new, detection, new.date_order)
    staged = _Names(
        flags="",
        rejected=sql.table(f"remap_rejected_{ds.id}"),
        responses=sql.table(f"remap_responses_{ds.id}"),
        responses_name=f"remap_responses_{ds.id}",
    )
    accepted_cols = [
        (name, {sql.ROW: "__pp_orow", sql.WAVE: "__pp_owave"}.get(name, expr))
        for name, expr in cols.accepted
        if name not in cols.generated
    ]
    flags = dict(cols.flags)
    kept_reasons = [values.ROW_TOO_LONG, values.ROW_BLANK]
    originals = ", ".join(sql.quote_ident(n) for n in ds.columns)
    raw_cells = ", ".join(
        f"{sql.column(i, source.internals)} AS {sql.quote_ident(n)}"
        for i, n in zip(source.internals, ds.columns, strict=True)
    )
    bar = sql.fetch_value(cur, "SELECT current_setting('enable_progress_bar')")
    sql.execute(cur, "SET enable_progress_bar = false")
    try:
        with store.transaction(cur):
            sql.execute(cur, _responses_schema(cols, staged))
            target = ", ".join(sql.quote_ident(n) for n, _ in accepted_cols)
            sql.execute(
                cur,
                f"INSERT INTO {staged.responses} ({target}) SELECT {_select_list(accepted_cols)} "
                f"FROM ({cols.values_layers}) WHERE {cols.ok} ORDER BY __pp_owave, __pp_orow",
                source.params,
            )
            sql.execute(cur, _rejected_schema(staged, source.layout))
            sql.execute(
                cur,
                f"INSERT INTO {staged.rejected} SELECT * FROM ("
                f"SELECT __pp_orow AS _row, __pp_owave AS _wave, {flags['col']} AS _column, {flags['val']} AS _value, "
                f"__pp_reason AS _reason, {raw_cells} FROM ({cols.layers}) WHERE __pp_reason IS NOT NULL "
                f"UNION ALL SELECT _row, _wave, _column, _value, _reason, {originals} FROM {sql.table(ds.rejected_table)} "
                f"WHERE _reason = ? OR _reason = ?) ORDER BY _wave, _row",
                [*source.params, *kept_reasons],
            )
            per_wave: dict[int, tuple[int, int]] = {}
            for table, index in ((staged.responses, 0), (staged.rejected, 1)):
                for wave, n in sql.fetch_all(cur, f"SELECT _wave, count(*) FROM {table} GROUP BY _wave"):
                    counts = list(per_wave.get(int(wave), (0, 0)))
                    counts[index] = int(n)
                    per_wave[int(wave)] = (counts[0], counts[1])
            accepted = sum(a for a, _ in per_wave.values())
            rejected = sum(r for _, r in per_wave.values())
            reasons = {
                str(r): int(n)
                for r, n in sql.fetch_all(
                    cur, f"SELECT _reason, count(*) AS n FROM {staged.rejected} GROUP BY _reason ORDER BY n DESC, _reason"
                )
            }
            if accepted == 0:
                raise IngestError(
                    "no row would be left ("
                    + ", ".join(f"{r}: {n:,}" for r, n in reasons.items())
                    + f"); check the score column {new.score!r} and the date column",
                    file=ds.name,
                )
            if accepted + rejected != ds.accepted + ds.rejected:
                raise IngestError(
                    f"internal check failed: {ds.accepted + ds.rejected:,} rows before, {accepted + rejected:,} after",
                    file=ds.name,
                )
            for old, staged_name, final in (
                (ds.table, f"remap_responses_{ds.id}", ds.table),
                (ds.rejected_table, f"remap_rejected_{ds.id}", ds.rejected_table),
            ):
                sql.execute(cur, f"DROP TABLE {sql.table(old)}")
                sql.execute(cur, f"ALTER TABLE {sql.table(staged_name)} RENAME TO {sql.table(final)}")
            adjusted = count_adjusted(cur, ds.table, new, list(ds.columns))
            warnings = list(detection.warnings)
            undated = int(sql.fetch_value(cur, f"SELECT count(*) - count(_date) FROM {sql.table(ds.table)}") or 0)
            if new.date and undated:
                warnings.append(f"{undated:,} accepted row(s) have a blank date in {new.date!r}; they are kept without a date")
            kept = _warnings_still_true(ds.warnings, ds.mapping, new)
            store.update_mapping(
                cur, ds.id, new, accepted=accepted, rejected=rejected, per_wave=per_wave,
                warnings=tuple(dict.fromkeys([*kept, *warnings])),
            )
            store.forget_comment_tags(cur, ds.id)
            store.record_history(
                cur,
                store.HistoryEntry(
                    dataset_id=ds.id,
                    changed_at=dt.datetime.now(),
                    action="remap",
                    summary="; ".join(changes) or "survey type",
                    mapping_before=ds.mapping,
                    mapping_after=new,
                    accepted_before=ds.accepted,
                    accepted_after=accepted,
                    rejected_before=ds.rejected,
                    rejected_after=rejected,
                ),
            )
    except duckdb.Error as exc:
        # e.g. another session changing the same dataset at the same moment
        raise IngestError(
            f"the dataset could not be updated ({_first_line(exc)}); nothing was changed — try again",
            file=ds.name,
        ) from exc
    finally:
        sql.execute(cur, f"SET enable_progress_bar = {'true' if bar else 'false'}")
    return RemapReport(
        dataset=store.get_dataset(cur, ds.id),
        before=ds.mapping,
        changes=tuple(changes),
        accepted_before=ds.accepted,
        rejected_before=ds.rejected,
        accepted=accepted,
        rejected=rejected,
        rejected_reasons=reasons,
        adjusted=adjusted,
        warnings=tuple(warnings),
    )


def _show_examples(examples: tuple[str, ...], k: int) -> str:
    return ", ".join(repr(v if len(v) <= 30 else v[:27] + "...") for v in examples[:k])
