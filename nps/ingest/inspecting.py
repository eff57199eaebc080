"""Looking at a file before loading it (:func:`inspect_file`): the sample, the roles, a preview.

:func:`inspect_source` is shared with the load, which loads what the inspection found (a :class:`Plan`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from nps.errors import IngestError, NpsError
from nps.store import sql
from nps.ingest import choices
from nps.ingest import opening
from nps.ingest import profiling
from nps.ingest import reader
from nps.ingest import reports
from nps.ingest import roles
from nps.ingest import sources
from nps.ingest import values


PREVIEW_ROWS = 20


def inspect_file(
    path: str | Path,
    *,
    sheet: str | None = None,
    overrides: choices.Overrides | None = None,
    display_name: str | None = None,
    encoding: str | None = None,
) -> reports.Inspection:
    """Look at a file without loading it: format, encoding, layout, columns and their roles, a preview.

    Reads only a sample (the first rows). ``display_name`` is the name the user
    knows the file by, used in messages. ``encoding`` (one of
    :data:`nps.ingest.reader.ENCODINGS` or any Python codec) overrides the detected
    one for text files. Raises :class:`IngestError` (one line naming the file)
    for anything that would make the load fail.
    """
    path = Path(path)
    file = display_name or path.name
    work = sources.Workspace()
    con = sources.private_connection()
    try:
        chosen = reader.check_encoding(encoding, file) if encoding else None
        switched = ""
        try:
            source = opening.prepare_file(
                con, path, file, sheet=sheet, limits=choices.Limits(), work=work, full=False, encoding=chosen
            )
            inspection = inspect_source(con, source, overrides).inspection
        except sources.NotUtf8 as not_utf8:
            if chosen is not None:
                raise sources.not_in_encoding(chosen, file) from None
            encoding, switched = sources.after_utf8_break(reader.find_utf8_break(not_utf8.path))
            source = opening.prepare_file(
                con, path, file, sheet=sheet, limits=choices.Limits(), work=work, full=False, encoding=encoding
            )
            inspection = inspect_source(con, source, overrides).inspection
        note = switched or source.encoding_note
        return replace(inspection, warnings=(note, *inspection.warnings)) if note else inspection
    except NpsError:
        raise
    except duckdb.Error as exc:
        raise sources.duckdb_error(exc, file) from exc
    except Exception as exc:  # whatever else goes wrong reaches the user as one line naming the file
        why = f"{type(exc).__name__}: {sources.first_line(exc)}"
        raise IngestError(f"the file cannot be read ({why})", file=file) from exc
    finally:
        con.close()
        work.close()


@dataclass
class Plan:
    """What a load needs from the inspection: the source, the detection, and what the user was shown."""

    source: sources.Source
    detection: roles.Detection
    inspection: reports.Inspection
    # The file's columns the responses table stores (all of them unless a throwaway load keeps fewer).
    stored: tuple[str, ...] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The file's own columns the dataset stores, in file order."""
        return self.source.layout.names if self.stored is None else self.stored


def inspect_source(
    con: duckdb.DuckDBPyConnection,
    source: sources.Source,
    overrides: choices.Overrides | None,
    *,
    kind: str | None = None,
) -> Plan:
    """Sample and profile a source, choose the roles (honouring ``overrides``) and build the inspection."""
    profiles, rows = profiling.sample_profiles(con, source)
    if rows == 0:
        raise IngestError("the file has a header but no data rows", file=source.file)
    sample = sql.table(profiling.SAMPLE_TABLE)
    ragged = int(sql.fetch_value(con, f"SELECT count(*) FROM {sample} WHERE __pp_x IS NOT NULL") or 0)
    if ragged > rows / 2:
        raise IngestError(
            f"most rows have more fields than the header ({ragged} of {rows} sampled rows); "
            "check the delimiter and that the first row is the header",
            file=source.file,
        )
    resolved = choices.resolve_overrides(overrides, source.layout, source.file)
    detection = roles.detect_roles(
        con, profiling.SAMPLE_TABLE, profiles, resolved, file=source.file, dayfirst_language=source.dayfirst_language
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
        f"(SELECT {number} AS n FROM {sql.table(profiling.SAMPLE_TABLE)})) WHERE s IS NOT NULL GROUP BY s",
    ):
        histogram[int(value)] = int(count)
    preview_cols = ", ".join(sql.column(c, source.internals) for c in source.internals)
    preview = sql.fetch_df(
        con, f"SELECT {preview_cols} FROM {sql.table(profiling.SAMPLE_TABLE)} ORDER BY __pp_rn LIMIT {PREVIEW_ROWS}"
    )
    preview.columns = list(source.layout.names)
    preview = preview.astype(object).where(preview.notna(), None)
    infos = []
    for p in profiles:
        role = roles.find_role(p.name, mapping)
        if role in ("dimension", "survey_type", "item"):
            reason = mapping.reasons.get(p.name) or mapping.reasons.get("survey_type", "")
        elif role is not None:
            reason = mapping.reasons.get(role, "")
        else:
            reason = detection.column_notes.get(p.name, "no role")
        infos.append(
            reports.ColumnInfo(
                name=p.name,
                label=source.layout.labels.get(p.name),
                role=role,
                reason=reason,
                distinct=p.distinct,
                blanks=p.rows - p.nonblank,
                examples=p.examples[:5],
            )
        )
    inspection = reports.Inspection(
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
    return Plan(source, detection, inspection)
