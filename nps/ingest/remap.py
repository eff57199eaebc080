"""Correcting a loaded dataset's roles (:func:`remap_dataset`): every row of every wave read again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import duckdb

from nps import store
from nps.errors import IngestError
from nps.store import ColumnMapping, Dataset, audit, sql
from nps.ingest import commit
from nps.ingest import dates
from nps.ingest import layouts
from nps.ingest import profiling
from nps.ingest import reader
from nps.ingest import roles
from nps.ingest import sources
from nps.ingest import statements
from nps.ingest import values


REMAP_SAMPLE = "__pp_remap_sample"
_ROLES = ("score", "date", "comment", "respondent", "weight")


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


def remap_dataset(cur: duckdb.DuckDBPyConnection, dataset_id: int, mapping: ColumnMapping, *,
                  actor: str = audit.LOCAL_ACTOR) -> RemapReport:
    """Give a loaded dataset new roles and derive its score, date, comment, respondent and weight again.

    ``mapping`` names the columns (stored name, header id or question text)
    for the score, date, comment, respondent, weight (None: no such column),
    the dimensions and the date order (None: decided from the data); its
    ``reasons`` are ignored. Every row of every wave is read again: rows
    rejected before may now be accepted and the other way round (rows
    rejected for their own shape — too many fields, blank — stay rejected);
    row numbers, waves and the dataset's id are kept, so targets and links
    survive. One transaction: the change is recorded in the dataset's history
    (:func:`nps.store.dataset_history`) and in the audit trail as done by ``actor``
    ("dataset remapped", the roles and counts before and after), and its comment
    tags are dropped to be made again. A choice that changes nothing writes nothing. A bad choice (a score column without 0–10 values, a date
    column without dates, a weight column without numbers, a column in two
    roles, no row left) raises :class:`IngestError` and changes nothing.
    Waits for a load of the same dataset under way in this process (:func:`nps.store.loading`).
    """
    with store.loading(dataset_id):
        return _remap_held(cur, dataset_id, mapping, actor)


def _roles(mapping: ColumnMapping, accepted: int, rejected: int) -> dict[str, object]:
    """A mapping's roles and the counts they give, as the audit trail records them (no reasons)."""
    return {"score": mapping.score, "date": mapping.date, "comment": mapping.comment,
            "respondent": mapping.respondent, "weight": mapping.weight, "dimensions": list(mapping.dimensions),
            "survey_type": mapping.survey_type, "date_order": mapping.date_order,
            "accepted": accepted, "rejected": rejected}


def _remap_held(cur: duckdb.DuckDBPyConnection, dataset_id: int, mapping: ColumnMapping, actor: str) -> RemapReport:
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
    cols = statements.load_sql(source, new, detection, new.date_order)
    staged = statements.Tables(
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
            sql.execute(cur, statements.responses_schema(cols, staged))
            target = ", ".join(sql.quote_ident(n) for n, _ in accepted_cols)
            sql.execute(
                cur,
                f"INSERT INTO {staged.responses} ({target}) SELECT {statements.select_list(accepted_cols)} "
                f"FROM ({cols.values_layers}) WHERE {cols.ok} ORDER BY __pp_owave, __pp_orow",
                source.params,
            )
            sql.execute(cur, statements.rejected_schema(staged, source.layout))
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
            adjusted = commit.count_adjusted(cur, ds.table, new, list(ds.columns))
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
            audit.record(cur, actor, "dataset remapped", f"dataset #{ds.id}",
                         _roles(ds.mapping, ds.accepted, ds.rejected), _roles(new, accepted, rejected))
    except duckdb.Error as exc:
        # e.g. another session changing the same dataset at the same moment
        raise IngestError(
            f"the dataset could not be updated ({sources.first_line(exc)}); nothing was changed — try again",
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
        items=tuple(dict.fromkeys(c for c in (one(i) for i in mapping.items) if c is not None and c not in dims)),
        survey_type=survey_type,
        date_order=mapping.date_order,
    )


def _remap_source(ds: Dataset) -> sources.Source:
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
    layout = layouts.Layout(
        name=ds.layout or layouts.FLAT,
        header_index=0,
        skip=0,
        width=len(columns),
        keep=tuple(range(len(columns))),
        names=tuple(columns),
        headers=tuple(columns),
        labels=dict(ds.labels),
    )
    return sources.Source(
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
        dayfirst_language=dates.guess_language_dayfirst(list(columns) + list(ds.labels.values())),
    )


def _remap_detection(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, source: sources.Source, wanted: ColumnMapping
) -> roles.Detection:
    """Profile a sample of the dataset's rows and settle how to read the chosen columns; refuse a bad choice."""
    sample = sql.table(REMAP_SAMPLE)
    sql.execute(cur, f"DROP TABLE IF EXISTS {sample}")
    sql.execute(
        cur,
        f"CREATE TEMP TABLE {sample} AS SELECT row_number() OVER (ORDER BY __pp_owave, __pp_orow) AS __pp_rn, * "
        f"FROM ({source.select_sql}) ORDER BY __pp_owave, __pp_orow LIMIT ?",
        [*source.params, profiling.SAMPLE_ROWS],
    )
    columns = [
        (internal, name, name, ds.labels.get(name))
        for internal, name in zip(source.internals, source.layout.names, strict=True)
    ]
    profiles = profiling.profile_sample(cur, REMAP_SAMPLE, columns, decimal_comma=source.decimal_comma)
    by_name = {p.name: p for p in profiles}
    where = f"in the first {profiles[0].rows:,} rows" if profiles else ""
    score = by_name[wanted.score]
    if score.score_ok == 0:
        raise IngestError(
            f"the column {score.name!r} holds no whole numbers 0–10 {where} "
            f"(e.g. {profiling.show_values(score.examples, 3) or 'blanks'}); "
            "choose the column with the 0–10 answers",
            file=ds.name,
        )
    _, score_reason, warnings = roles.choose_score(profiles, file=ds.name, override=wanted.score)
    reasons = {"score": score_reason}
    kind: str | None = None
    order: str | None = None
    decided = True
    fast: tuple[tuple[str, str], ...] = ()
    if wanted.date:
        p, kind, reasons["date"] = dates.choose_date(profiles, exclude=set(), override=wanted.date, no_date=False)
        assert p is not None
        readable = max(p.dmy_ok, p.mdy_ok, p.serial_ok, p.epoch_s_ok, p.epoch_ms_ok)
        if p.nonblank and not readable:
            raise IngestError(
                f"the column {p.name!r} holds no dates {where} (e.g. {profiling.show_values(p.examples, 3)}); "
                "choose the column with the response dates, or none",
                file=ds.name,
            )
        if kind == values.DATE_TEXT:
            order, decided, sentence, more = dates.decide_date_order(
                p, override=wanted.date_order, dayfirst_language=source.dayfirst_language
            )
            warnings += more
            reasons["date"] += f"; {sentence}"
            fast = dates.choose_fast_formats(cur, REMAP_SAMPLE, p.internal, order, kind)
        else:
            order = wanted.date_order
    if wanted.weight:
        w = by_name[wanted.weight]
        if w.nonblank and not w.numeric:
            raise IngestError(
                f"the column {w.name!r} holds no numbers {where} (e.g. {profiling.show_values(w.examples, 3)}); "
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
        found, st_reason = roles.choose_survey_type(dims)
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
    for item in wanted.items:
        reasons[item] = old.reasons.get(item, "chosen by you as an item rating") if item in old.items else (
            "chosen by you as an item rating")
    mapping = replace(wanted, survey_type=survey_type, date_order=order, reasons=reasons)
    return roles.Detection(
        mapping=mapping,
        date_kind=kind,
        date_fast_formats=fast,
        date_order_decided=decided,
        kind=ds.kind,
        warnings=tuple(warnings),
        column_notes={},
    )
