"""The sample and what it says about each column (:class:`ColumnProfile`).

A sample of the first rows is loaded into a temp table (:func:`sample_profiles`) and every column
profiled with the very SQL expressions of :mod:`nps.ingest.values` that the load runs, so that a
column judged "all 0–10" on the sample is read the same way on the whole file. Also the few
helpers that put a profile's numbers into the words of a reason.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import duckdb

from nps.store import sql
from nps.ingest import sources
from nps.ingest import values


SAMPLE_ROWS = 5_000
SAMPLE_CELLS = 2_000_000
SAMPLE_BUFFER_BYTES = 2 * sources.MAX_LINE_BYTES  # DuckDB wants a buffer larger than the longest line
SAMPLE_TABLE = "__pp_sample"


def sample_profiles(
    con: duckdb.DuckDBPyConnection,
    source: sources.Source,
) -> tuple[list[ColumnProfile], int]:
    """Load the sample into a temp table of ``con`` and profile its columns; return profiles and row count."""
    n_rows = max(500, min(SAMPLE_ROWS, SAMPLE_CELLS // max(1, len(source.internals))))
    select, params = source.select_sql, source.params
    if source.csv is not None:
        # The same reader with smaller buffers: the sample is the first rows only.
        select, params, _ = sources.csv_select(
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
            sources.raise_for_retry(exc, source)
        except sources.Retry:
            sources.rebuild_serial(source)
            return sample_profiles(con, source)
        raise sources.duckdb_error(exc, source.file) from exc
    rows = int(sql.fetch_value(con, f"SELECT count(*) FROM {sql.table(SAMPLE_TABLE)}") or 0)
    columns = [
        (internal, name, header, source.layout.labels.get(name))
        for internal, name, header in zip(source.internals, source.layout.names, source.layout.headers, strict=True)
    ]
    profiles = profile_sample(con, SAMPLE_TABLE, columns, decimal_comma=source.decimal_comma)
    return profiles, rows


@dataclass(frozen=True)
class ColumnProfile:
    """What the sample says about one column (counts over the sampled rows)."""

    name: str
    internal: str
    header: str
    label: str | None
    position: int
    rows: int
    nonblank: int
    distinct: int
    avg_len: float
    numeric: int
    score_ok: int
    score_min: int | None
    score_max: int | None
    score_distinct: int
    number_min: float | None
    number_max: float | None
    ymd: int
    day_month: int
    first_over_12: int
    second_over_12: int
    ampm: int
    dotted: int
    dmy_ok: int
    mdy_ok: int
    serial_ok: int
    epoch_s_ok: int
    epoch_ms_ok: int
    examples: tuple[str, ...]
    missing_text: int = 0  # values that say "no answer" as a comment would (NA, N/A, -, null…)
    text_len: float = 0.0  # average length of the other non-blank values
    whole: int = 0  # values that are whole numbers (any size)


def profile_sample(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[tuple[str, str, str, str | None]],
    *,
    decimal_comma: bool,
) -> list[ColumnProfile]:
    """Profile every column of a sample table with the load's own expressions.

    ``columns`` lists ``(internal, stored name, header, label)``; the table has
    the internal columns as VARCHAR and ``__pp_rn`` (row numbers). Returns one
    profile per column, in order.
    """
    if not columns:
        return []
    internals = [c[0] for c in columns]
    allowed = internals + ["__pp_rn"]
    unpivot_cols = ", ".join(sql.column(c, allowed) for c in internals)
    t = values.clean_text_sql("v")
    n = "n"
    p = "p"
    score = values.make_score_sql(n)
    long_sql = (
        f"SELECT name, __pp_rn AS rn, v FROM {sql.table(table)} UNPIVOT INCLUDE NULLS (v FOR name IN ({unpivot_cols}))"
    )
    stats_sql = f"""
        WITH long AS ({long_sql}),
        cleaned AS (SELECT name, rn, v, {t} AS t, {values.is_missing_comment_sql("v")} AS na FROM long),
        parsed AS (
            -- Long texts are neither scores nor dates: skip the patterns for them.
            SELECT name, rn, t, v, na,
                   CASE WHEN length(v) <= 80 THEN {values.parse_score_sql("v")} END AS n,
                   CASE WHEN length(t) <= 40 AND t[1] BETWEEN '0' AND '9' THEN {values.split_date_sql("t")} END AS p,
                   CASE WHEN length(t) <= 40 THEN {values.parse_number_sql("v", decimal_comma)} END AS num
            FROM cleaned
        )
        SELECT name, count(*), count(t), 0, coalesce(avg(length(t)), 0),
            count(num), count({score}), min({score}), max({score}),
            bit_count(COALESCE(bit_or(CAST(1 AS INTEGER) << {score}), 0)), min(n), max(n),
            count(*) FILTER (WHERE {p}.y1 <> ''),
            count(*) FILTER (WHERE {p}.p1 <> ''),
            count(*) FILTER (WHERE TRY_CAST(NULLIF({p}.p1, '') AS INTEGER) > 12),
            count(*) FILTER (WHERE TRY_CAST(NULLIF({p}.p2, '') AS INTEGER) > 12),
            count(*) FILTER (WHERE {p}.ap <> ''),
            count(*) FILTER (WHERE {p}.p1 <> '' AND contains(t, '.') AND NOT contains(t, '/')),
            count({values.parse_date_sql(t, p, values.DATE_TEXT, "dmy")}),
            count({values.parse_date_sql(t, p, values.DATE_TEXT, "mdy")}),
            count({values.parse_date_number_sql(t, values.DATE_SERIAL)}),
            count({values.parse_date_number_sql(t, values.DATE_EPOCH_S)}),
            count({values.parse_date_number_sql(t, values.DATE_EPOCH_MS)}),
            count(*) FILTER (WHERE na), coalesce(avg(length(t)) FILTER (WHERE NOT na), 0),
            count(*) FILTER (WHERE num = floor(num))
        FROM parsed GROUP BY name
    """
    # No DISTINCT aggregate above (DuckDB would materialise every parsed cell for it): the distinct
    # scores (0–10) are counted as bits, the distinct texts by the examples' query, which groups them anyway.
    stats = {row[0]: row for row in sql.fetch_all(con, stats_sql)}
    example_sql = f"""
        WITH long AS ({long_sql}),
        firsts AS (SELECT name, {t} AS t, min(rn) AS first FROM long WHERE {t} IS NOT NULL GROUP BY name, t)
        SELECT name, t, count(*) OVER (PARTITION BY name) FROM firsts
        QUALIFY row_number() OVER (PARTITION BY name ORDER BY first) <= 8
        ORDER BY name, first
    """
    examples: dict[str, list[str]] = {}
    distinct: dict[str, int] = {}
    for col, text, count in sql.fetch_all(con, example_sql):
        examples.setdefault(col, []).append(text)
        distinct[col] = int(count)
    profiles = []
    for position, (internal, name, header, label) in enumerate(columns):
        s = stats.get(internal)
        if s is None:
            s = (internal, 0, 0, 0, 0.0, 0, 0, None, None, 0, None, None) + (0,) * 11 + (0, 0.0, 0)
        profiles.append(
            ColumnProfile(
                name=name,
                internal=internal,
                header=header,
                label=label,
                position=position,
                rows=int(s[1]),
                nonblank=int(s[2]),
                distinct=distinct.get(internal, 0),
                avg_len=float(s[4]),
                numeric=int(s[5]),
                score_ok=int(s[6]),
                score_min=s[7],
                score_max=s[8],
                score_distinct=int(s[9]),
                number_min=_finite(s[10]),
                number_max=_finite(s[11]),
                ymd=int(s[12]),
                day_month=int(s[13]),
                first_over_12=int(s[14]),
                second_over_12=int(s[15]),
                ampm=int(s[16]),
                dotted=int(s[17]),
                dmy_ok=int(s[18]),
                mdy_ok=int(s[19]),
                serial_ok=int(s[20]),
                epoch_s_ok=int(s[21]),
                epoch_ms_ok=int(s[22]),
                examples=tuple(examples.get(internal, ())),
                missing_text=int(s[23]),
                text_len=float(s[24]),
                whole=int(s[25]),
            )
        )
    return profiles


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a whole percentage; 99% unless all of it."""
    if whole == 0:
        return "0%"
    share = 100 * part / whole
    return f"{share:.0f}%" if share < 99.5 or part == whole else "99%"


def show_values(values_: tuple[str, ...], k: int = 3) -> str:
    """The first ``k`` values, quoted and shortened, for a reason or a message."""
    shown = [repr(v if len(v) <= 30 else v[:27] + "...") for v in values_[:k]]
    return ", ".join(shown)


def show_number(x: float | None) -> str:
    """A sampled number as a reason shows it: whole numbers without a decimal point."""
    if x is None:
        return "?"
    return str(int(x)) if x == int(x) and abs(x) < 1e15 else f"{x:g}"


def matches(pattern: re.Pattern[str], p: ColumnProfile) -> bool:
    """True when the column's name, header or label matches (each on its own, so anchors work)."""
    return any(pattern.search(t.strip()) for t in (p.name, p.header, p.label or "") if t)


def is_datey(p: ColumnProfile) -> bool:
    """True when nine values in ten of the column read as day/month dates."""
    return p.nonblank > 0 and max(p.dmy_ok, p.mdy_ok) >= 0.9 * p.nonblank
