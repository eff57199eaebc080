"""The SQL of a load: the layered SELECT over a source and the column lists of its three tables.

The read is layered, one level per step, so that each heavy expression (the score's number, the
date's parts) is computed once. The tables: ``responses_<id>`` (accepted rows), ``rejected_<id>``
(the rows left out, with their reason and cells) and ``load_flags_<id>`` (one row per file row,
only while a load with rejected rows runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nps import domain
from nps.store import ColumnMapping, sql
from nps.ingest import layouts
from nps.ingest import roles
from nps.ingest import sources
from nps.ingest import values


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



@dataclass(frozen=True)
class Columns:
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


def load_sql(
    source: sources.Source,
    mapping: ColumnMapping,
    detection: roles.Detection,
    order: str | None,
    *,
    numbered: bool = False,
    stored: tuple[str, ...] | None = None,
) -> Columns:
    """Build the layered SELECT over the source and the column lists of the three tables.

    ``numbered`` adds ``row_number()`` to the read (serial, see :mod:`nps.ingest.load`):
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
    return Columns(layers, values_layers, " AND ".join(ok), flags, rejected, accepted, numbered, generated)


def select_list(columns: list[tuple[str, str]]) -> str:
    """``expr AS "name"`` for each column, comma-separated."""
    return ", ".join(f"{expr} AS {sql.quote_ident(name)}" for name, expr in columns)


@dataclass(frozen=True)
class Tables:
    """Quoted table names of one load."""

    flags: str
    rejected: str
    responses: str
    responses_name: str  # unquoted


def rejected_schema(names: Tables, layout: layouts.Layout) -> str:
    """CREATE TABLE for the rejected rows: row, wave, column, value, reason, then every cell as text."""
    columns = ["_row BIGINT", "_wave INTEGER", "_column VARCHAR", "_value VARCHAR", "_reason VARCHAR"]
    columns += [f"{sql.quote_ident(n)} VARCHAR" for n in layout.names]
    return f"CREATE TABLE {names.rejected} ({', '.join(columns)})"


def responses_schema(cols: Columns, names: Tables) -> str:
    """CREATE TABLE for a new dataset's responses: ``_comment`` / ``_respondent`` generated, not stored."""
    columns = []
    for name, _ in cols.accepted:
        kind = _ACCEPTED_TYPES.get(name, "VARCHAR")
        if name in cols.generated:
            columns.append(f"{sql.quote_ident(name)} {kind} AS ({cols.generated[name]}) VIRTUAL")
        else:
            columns.append(f"{sql.quote_ident(name)} {kind}")
    return f"CREATE TABLE {names.responses} ({', '.join(columns)})"


def accepted_statement(cols: Columns, names: Tables, generated: set[str]) -> str:
    """INSERT of the accepted rows; ``generated`` are the table's generated columns (left out).

    With ``cols.create`` the statement creates the table instead, every column typed as
    :func:`responses_schema` would type it.
    """
    if cols.create:
        typed = [(n, f"CAST({e} AS {_ACCEPTED_TYPES.get(n, 'VARCHAR')})") for n, e in cols.accepted]
        select = f"SELECT {select_list(typed)} FROM ({cols.values_layers}) WHERE {cols.ok}"
        return f"CREATE TABLE {names.responses} AS {select}"
    accepted = [(n, e) for n, e in cols.accepted if n not in generated]
    select = f"SELECT {select_list(accepted)} FROM ({cols.values_layers}) WHERE {cols.ok}"
    target = ", ".join(sql.quote_ident(n) for n, _ in accepted)
    return f"INSERT INTO {names.responses} ({target}) {select}"


def flags_statement(cols: Columns, names: Tables) -> str:
    """CREATE TABLE AS of the flags: one row per file row, with the reason it is rejected (NULL if not)."""
    return f"CREATE TABLE {names.flags} AS SELECT {select_list(cols.flags)} FROM ({cols.layers})"
