"""Loading a file or a data frame (:func:`ingest_file`, :func:`ingest_dataframe`): open, inspect, load.

Starts again when DuckDB asks for a serial read or finds text that is not UTF-8, and once more
when another load wrote to the same dataset first; refuses a file loaded before.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from nps import store
from nps.errors import DuplicateFileError, IngestError, NpsError
from nps.store import Dataset, audit, sql
from nps.ingest import choices
from nps.ingest import commit
from nps.ingest import inspecting
from nps.ingest import layouts
from nps.ingest import opening
from nps.ingest import reader
from nps.ingest import reports
from nps.ingest import sources

if TYPE_CHECKING:  # annotations only: loading a file does not need pandas
    import pandas as pd


def ingest_file(
    cur: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    name: str | None = None,
    sheet: str | None = None,
    overrides: choices.Overrides | None = None,
    append_to: int | None = None,
    allow_duplicate: bool = False,
    limits: choices.Limits = choices.Limits(),
    display_name: str | None = None,
    progress: Callable[[float, str], None] | None = None,
    encoding: str | None = None,
    keep: Collection[str] | None = None,
    actor: str = audit.LOCAL_ACTOR,
) -> reports.IngestReport:
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
    one transaction: on any error or interrupt nothing is left behind. It is
    recorded in the audit trail as done by ``actor`` (:mod:`nps.store.audit`).
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
        lambda con, work, encoding: opening.prepare_file(
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
        actor=actor,
    )


def ingest_dataframe(
    cur: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    *,
    name: str,
    overrides: choices.Overrides | None = None,
    kind: str | None = None,
    actor: str = audit.LOCAL_ACTOR,
) -> reports.IngestReport:
    """Load a pandas DataFrame (generated or sample data) as a new dataset, like a file.

    Column names become text; values are read as their text. ``kind``
    ('customer' or 'employee') overrides the detector. Raises
    :class:`IngestError` like :func:`ingest_file`; audited as done by ``actor`` like it.
    """
    if kind is not None and kind not in ("customer", "employee"):
        raise IngestError(f"unknown kind {kind!r}; use 'customer' or 'employee'", file=name)

    def prepare(con: duckdb.DuckDBPyConnection, work: sources.Workspace, encoding: str | None) -> sources.Source:
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
        return sources.typed_source("read_parquet", target, names, file=name, format="dataframe", encoding="binary",
                                    size=None, sha256=None)

    return _run(
        cur,
        prepare,
        file=name,
        name=name,
        overrides=overrides,
        append_to=None,
        allow_duplicate=True,
        limits=choices.Limits(),
        source_file=None,
        kind=kind,
        progress=None,
        actor=actor,
    )


def _run(
    cur: duckdb.DuckDBPyConnection,
    prepare: Callable[[duckdb.DuckDBPyConnection, sources.Workspace, str | None], sources.Source],
    *,
    file: str,
    name: str,
    overrides: choices.Overrides | None,
    append_to: int | None,
    allow_duplicate: bool,
    limits: choices.Limits,
    source_file: str | None,
    kind: str | None,
    progress: Callable[[float, str], None] | None,
    encoding: str | None = None,
    keep: Collection[str] | None = None,
    actor: str = audit.LOCAL_ACTOR,
) -> reports.IngestReport:
    """Prepare, inspect and load, starting again when DuckDB asks for a serial read or finds non-UTF-8 text.

    ``encoding`` is the user's choice (None: detected); a file not valid in it is refused.
    ``keep`` (None: every column) limits the stored columns, see :func:`ingest_file`.
    """
    store.remove_leftovers(cur)  # of a load killed before (kill -9 between its two commits)
    work = sources.Workspace()
    con = sources.private_connection()
    done = 0.0

    def tick(fraction: float, message: str) -> None:
        nonlocal done
        done = max(done, fraction)  # a second attempt does not move the bar back
        commit.report_progress(progress, done, message)

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
                    sources.finish_hash(source)
                _check_duplicate(cur, source.sha256, file, allow_duplicate)
                if append_to is not None:
                    target = store.get_dataset(cur, append_to)
                    _check_same_columns(target, source.layout, file)
                    overrides = choices.append_overrides(target)
                tick(0.1, "finding the columns")
                # A text file is hashed while its sample is read and its columns found; a duplicate
                # file is still reported before whatever else would stop the load.
                try:
                    plan = inspecting.inspect_source(con, source, overrides, kind=kind)
                    note = switched or source.encoding_note
                    if note:
                        plan.inspection = replace(plan.inspection, warnings=(note, *plan.inspection.warnings))
                    if keep is not None:
                        plan.stored = _stored_columns(plan, keep)
                except Exception:
                    if source.hashing is not None:
                        sources.finish_hash(source)
                        _check_duplicate(cur, source.sha256, file, allow_duplicate)
                    raise
                # Only a file of a size loaded before can be a duplicate: for any other the hash goes
                # on in the background while the rows are written, and is waited for after them.
                if source.hashing is not None and not allow_duplicate and _size_seen(cur, source.size):
                    sources.finish_hash(source)
                    _check_duplicate(cur, source.sha256, file, allow_duplicate)
                for attempt in (1, 2):
                    try:
                        try:
                            return commit.load_plan(cur, plan, name=name, append_to=target, limits=limits,
                                         source_file=source_file, progress=tick, actor=actor)
                        except sources.Retry:
                            sources.rebuild_serial(source)
                            return commit.load_plan(cur, plan, name=name, append_to=target, limits=limits,
                                         source_file=source_file, progress=tick, actor=actor)
                    except (duckdb.Error, IngestError) as exc:
                        if not _is_write_conflict(exc):
                            raise
                        if attempt == 2:
                            raise _write_conflict(append_to, file) from exc
                        # Another load committed first (rolled back here): once more, on the dataset as it is now.
                        if append_to is not None:
                            target = store.get_dataset(cur, append_to)
                raise AssertionError("unreachable")
            except sources.NotUtf8 as not_utf8:
                if chosen is not None:
                    raise sources.not_in_encoding(encoding or chosen, file) from None
                if encoding is not None:
                    raise IngestError("the text is neither UTF-8 nor cp1252; save it as UTF-8", file=file) from None
                work.stop_hashing()  # the next attempt hashes the file again
                encoding, switched = sources.after_utf8_break(reader.find_utf8_break(not_utf8.path))
    except NpsError:
        raise
    except duckdb.Error as exc:
        raise sources.duckdb_error(exc, file) from exc
    except Exception as exc:  # whatever else goes wrong reaches the user as one line naming the file
        why = f"{type(exc).__name__}: {sources.first_line(exc)}"
        raise IngestError(f"the file cannot be loaded ({why})", file=file) from exc
    finally:
        con.close()
        work.close()


def _stored_columns(plan: inspecting.Plan, keep: Collection[str]) -> tuple[str, ...] | None:
    """The file's columns a throwaway load stores: every role's, every dimension's, and those of ``keep``.

    A name of ``keep`` that is no column of the file is left for the caller's own
    check to report (it then fails as it would on a full load). None: all of them.
    """
    layout = plan.source.layout
    mapping = plan.detection.mapping
    # The score's and the date's own text is left out: ``_score`` and ``_date`` hold what they say.
    wanted = {mapping.comment, mapping.respondent, mapping.weight, mapping.survey_type}
    wanted.update(mapping.dimensions)
    wanted.update(mapping.items)
    for name in keep:
        try:
            wanted.add(choices.resolve_column(name, layout, plan.source.file))
        except IngestError:
            pass
    stored = tuple(n for n in layout.names if n in wanted)
    return None if len(stored) == len(layout.names) else stored


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


def _check_same_columns(ds: Dataset, layout: layouts.Layout, file: str) -> None:
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
