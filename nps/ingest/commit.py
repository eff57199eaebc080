"""A load's transactions: write the wave, number its rows, check them and record it in the catalog.

Everything or nothing: one transaction for an appended wave, two for a new dataset (whose
tables are dropped again when anything fails after the first commit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

import duckdb

from nps import store
from nps.store import ColumnMapping, Dataset, audit, sql
from nps.ingest import choices
from nps.ingest import inspecting
from nps.ingest import load
from nps.ingest import reports
from nps.ingest import roles
from nps.ingest import sources
from nps.ingest import statements
from nps.ingest import values


def load_plan(
    cur: duckdb.DuckDBPyConnection,
    plan: inspecting.Plan,
    *,
    name: str,
    append_to: Dataset | None,
    limits: choices.Limits,
    source_file: str | None,
    progress: Callable[[float, str], None] | None,
    actor: str = audit.LOCAL_ACTOR,
) -> reports.IngestReport:
    """Write the wave, check it, record it in the catalog; everything or nothing.

    An appended wave is one transaction. A new dataset is two: the first writes
    its tables, the second numbers the rows and adds the catalog row, because
    DuckDB makes an UPDATE of rows written in the same transaction very slow
    at commit (11 s for 10 million rows, against 0.5 s once committed). The
    tables are invisible until the catalog row exists, and any error or
    interrupt after the first commit drops them again. The load is recorded in the
    audit trail as done by ``actor`` in the transaction that records it in the catalog
    ("dataset loaded" or "wave appended", with the counts, the file's name and sha256).
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
                              source_file=source_file, progress=progress, actor=actor)
    finally:
        sql.execute(cur, f"SET enable_progress_bar = {'true' if bar else 'false'}")


def _load_held(
    cur: duckdb.DuckDBPyConnection,
    plan: inspecting.Plan,
    dataset_id: int,
    *,
    name: str,
    append_to: Dataset | None,
    limits: choices.Limits,
    source_file: str | None,
    progress: Callable[[float, str], None] | None,
    actor: str,
) -> reports.IngestReport:
    """:func:`load_plan` once the dataset is held."""
    mapping = append_to.mapping if append_to is not None else plan.detection.mapping
    warnings = list(plan.inspection.warnings)
    wave = append_to.waves + 1 if append_to is not None else 1
    names = statements.Tables(
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
        actor=actor,
    )


def _load_transactions(
    cur: duckdb.DuckDBPyConnection,
    plan: inspecting.Plan,
    names: statements.Tables,
    mapping: ColumnMapping,
    warnings: list[str],
    dataset_id: int,
    wave: int,
    *,
    name: str,
    append_to: Dataset | None,
    limits: choices.Limits,
    source_file: str | None,
    progress: Callable[[float, str], None] | None,
    actor: str,
) -> reports.IngestReport:
    """The transaction(s) of :func:`load_plan`: one for an appended wave, two for a new dataset.

    The wave is written in the first; the rows are numbered and recorded in the catalog in the
    same one for an append, in a second one for a new dataset. Any error or interrupt after the
    first commit of a new dataset drops its tables again.
    """
    append = append_to is not None
    first_committed = False
    try:
        with store.transaction(cur):
            report_progress(progress, 0.3, "loading the rows")
            written = load.write_wave(cur, plan, names, mapping, wave, append=append, limits=limits, warnings=warnings)
            if append:
                report = _record_wave(cur, plan, names, written, dataset_id, wave, name=name,
                                      append_to=append_to, source_file=source_file, progress=progress, actor=actor)
        if not append:
            first_committed = True
            with store.transaction(cur):
                report = _record_wave(cur, plan, names, written, dataset_id, wave, name=name,
                                      append_to=append_to, source_file=source_file, progress=progress, actor=actor)
    except BaseException:
        if first_committed:
            _drop_tables(cur, names)
        raise
    report_progress(progress, 1.0, "done")
    return report


def _record_wave(
    cur: duckdb.DuckDBPyConnection,
    plan: inspecting.Plan,
    names: statements.Tables,
    written: load.Wave,
    dataset_id: int,
    wave: int,
    *,
    name: str,
    append_to: Dataset | None,
    source_file: str | None,
    progress: Callable[[float, str], None] | None,
    actor: str,
) -> reports.IngestReport:
    """Number the wave's rows, check them and record the wave in the catalog (inside the caller's transaction)."""
    source, detection = plan.source, plan.detection
    report_progress(progress, 0.85, "numbering the rows")
    load.finish_wave(cur, plan, names, written, wave)
    mapping, warnings = written.mapping, written.warnings
    rows_read, accepted, reasons = written.rows_read, written.accepted, written.reasons
    rejected = sum(reasons.values())
    report_progress(progress, 0.9, "checking")
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
        warnings.append(roles.describe_one_to_ten(mapping.score, accepted, sampled=False))
    if mapping.date and undated:
        warnings.append(
            f"{undated:,} accepted row(s) have a blank date in {mapping.date!r}; they are kept without a date"
        )
    too_long = reasons.get(values.ROW_TOO_LONG, 0)
    if too_long:
        warnings.append(f"{too_long:,} row(s) have more fields than the header; they were rejected")
    sources.finish_hash(source)  # done already, unless no row was written
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
        audit.record(cur, actor, "dataset loaded", f"dataset #{dataset_id}", None, {
            "name": name, "id": dataset_id, "source_file": source_file, "sha256": source.sha256,
            "rows_read": rows_read, "accepted": accepted, "rejected": rejected, "kind": detection.kind,
        })
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
        audit.record(
            cur, actor, "wave appended", f"dataset #{dataset_id}",
            {"waves": append_to.waves, "rows_read": append_to.rows_read, "accepted": append_to.accepted,
             "rejected": append_to.rejected},
            {"waves": wave, "rows_read": dataset.rows_read, "accepted": dataset.accepted, "rejected": dataset.rejected,
             "file": source_file, "sha256": source.sha256, "wave_rows_read": rows_read, "wave_accepted": accepted,
             "wave_rejected": rejected},
        )
    inspection = replace(plan.inspection, mapping=mapping, warnings=tuple(warnings))
    return reports.IngestReport(
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


def _drop_tables(cur: duckdb.DuckDBPyConnection, names: statements.Tables) -> None:
    """Undo the first transaction of a new dataset (its tables have no catalog row yet)."""
    with store.transaction(cur):
        for table in (names.responses, names.rejected, names.flags):
            sql.execute(cur, f"DROP TABLE IF EXISTS {table}")


def report_progress(progress: Callable[[float, str], None] | None, fraction: float, message: str) -> None:
    """Call ``progress(fraction, message)`` when the caller asked for progress."""
    if progress is not None:
        progress(fraction, message)
