"""A file made readable by DuckDB (:class:`Source`): the SELECT yielding its rows as text, and its workspace.

Also the signals that make a load start again (:class:`Retry` for a serial read, :class:`NotUtf8` for
another encoding), the background hash of a file (:class:`Hashing`) and DuckDB errors turned into
:class:`~nps.errors.IngestError`.
"""

from __future__ import annotations

import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from nps.errors import IngestError
from nps.store import sql
from nps.ingest import layouts
from nps.ingest import reader
from nps.ingest import tempfiles


MAX_LINE_BYTES = 8 * 1024 * 1024


@dataclass
class Source:
    """A file made readable by DuckDB: the SELECT that yields its rows as text, and what was found."""

    file: str
    format: str
    encoding: str
    layout: layouts.Layout
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
    hashing: Hashing | None = None  # sha256 (and line count) still being computed: see finish_hash
    line_offset: int | None = None  # line_rows = lines - line_offset, once the hash is done
    estimated_rows: int | None = None  # lines the file would have at the head's bytes per line
    encoding_note: str = ""  # a warning: the encoding changes within the file


class Hashing:
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


def finish_hash(source: Source) -> None:
    """Fill ``sha256`` (and ``line_rows``) of a source whose file is hashed in the background."""
    if source.hashing is None:
        return
    sha, _, lines = source.hashing.result()
    source.hashing = None
    source.sha256 = sha
    if source.line_offset is not None:
        source.line_rows = lines - source.line_offset


def csv_select(
    path: Path, layout: layouts.Layout, delimiter: str, parallel: bool, *, buffer_size: int | None = None
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


def typed_source(function: str, path: Path, names: list[str], *, file: str, format: str, encoding: str,
                 size: int | None, sha256: str | None, options: str = "", encoding_note: str = "") -> Source:
    """A typed table (Parquet, JSON, a DataFrame written as Parquet) as a flat :class:`Source` read by ``function``."""
    select, params, internals = typed_select(function, path, names, options)
    return Source(file=file, format=format, encoding=encoding, layout=layouts.make_flat_layout(names), sheet=None,
                  sheets=(), select_sql=select, params=params, internals=internals, decimal_comma=False, size=size,
                  sha256=sha256, encoding_note=encoding_note)


def typed_select(function: str, path: Path, names: list[str], options: str = "") -> tuple[str, list[Any], list[str]]:
    """The SELECT reading a typed table (Parquet, JSON) with every column cast to text."""
    internals = [f"c{i + 1}" for i in range(len(names))]
    casts = ", ".join(
        f"CAST({sql.column(n, names)} AS VARCHAR) AS {sql.quote_ident(c)}"
        for n, c in zip(names, internals, strict=True)
    )
    select = f"SELECT CAST(NULL AS VARCHAR) AS __pp_x, {casts} FROM {function}(?{options})"
    return select, [str(path)], internals


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when empty)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def private_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for sniffing and sampling, kept apart from the caller's database."""
    con = duckdb.connect()
    sql.execute(con, "SET enable_progress_bar = false")
    return con


class Workspace:
    """Temporary files of one load or inspection, removed together.

    A private folder named with this process's id (:func:`tempfiles.new_workspace`):
    the folders of killed loads are removed when the next one starts.
    """

    def __init__(self) -> None:
        self.dir = tempfiles.new_workspace()
        self.count = 0
        self.hashes: list[Hashing] = []

    def path(self, suffix: str) -> Path:
        self.count += 1
        return self.dir / f"part{self.count}{suffix}"

    def hash(self, path: Path) -> Hashing:
        """Start hashing ``path`` in the background; stopped by :meth:`close` if still running."""
        job = Hashing(path)
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


def rebuild_serial(source: Source) -> None:
    """Read a text source with DuckDB's serial CSV reader from now on."""
    # DuckDB's parallel CSV reader cannot pad short rows when quoted fields hold line breaks.
    assert source.csv is not None
    select, params, _ = csv_select(source.csv["path"], source.layout, source.csv["delimiter"], parallel=False)
    source.csv["parallel"] = False
    source.select_sql, source.params = select, params


def duckdb_error(exc: duckdb.Error, file: str) -> IngestError:
    """A DuckDB error reading a file as one line for the user, with the row when DuckDB names it."""
    message = first_line(exc)
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


class Retry(Exception):
    """The parallel CSV reader met a quoted line break; load again reading serially."""


class NotUtf8(Exception):
    """DuckDB found a byte sequence that is not UTF-8 past the head; load again (see :func:`after_utf8_break`)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


def after_utf8_break(found: reader.Utf8Break | None) -> tuple[str, str]:
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


def not_in_encoding(encoding: str, file: str) -> IngestError:
    """The error for text not valid in the encoding the user chose."""
    return IngestError(
        f"the text is not valid {encoding}; choose another encoding (cp1252 for most Western exports)", file=file
    )


def raise_for_retry(exc: duckdb.Error, source: Source) -> None:
    """Turn the DuckDB errors that a second attempt fixes into :class:`Retry` / :class:`NotUtf8`."""
    if source.csv is None:
        return
    if "quoted new line" in str(exc):
        raise Retry() from exc
    if "does not support a full read" in str(exc) and source.csv["parallel"]:
        raise Retry() from exc  # a line over the buffer: the serial reader says which one
    if "Invalid unicode" in str(exc) and source.encoding in ("utf-8", "utf-8-sig"):
        raise NotUtf8(source.csv["path"]) from exc
