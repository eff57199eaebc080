"""Build datasets for tests straight from a pandas frame, without the ingestion module.

The responses table follows the storage contract (reserved ``_`` columns, then the
frame's own columns as VARCHAR). Rows whose score is missing or not 0..10 are left
out, as ingestion would reject them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace
from collections.abc import Sequence

from pathlib import Path

import duckdb
import pandas as pd

from nps import store
from nps.store import sql
from nps.query.filters import Filter

_names = itertools.count(1)


def make_dataset(
    cur: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    *,
    name: str = "t",
    dimensions: Sequence[str] = (),
    score: str = "score",
    date: str | None = None,
    comment: str | None = None,
    respondent: str | None = None,
    weight: str | None = None,
    wave: str | None = None,
) -> store.Dataset:
    """Create ``responses_<id>`` from ``frame`` and its catalog row; return the Dataset.

    ``_row`` follows the frame's order (1-based); ``wave`` optionally names a
    column holding the wave number (1 otherwise).
    """
    columns = tuple(str(c) for c in frame.columns)
    view = f"factory_frame_{next(_names)}"
    data = frame.copy()
    data.columns = list(columns)
    data["__row"] = range(1, len(data) + 1)
    # A cursor of its own: DuckDB 2.0 refuses register() on a connection whose last
    # fetchone() left a result unfinished, which sql.fetch_one does.
    own_cur = cur.cursor()
    own_cur.register(view, data)
    ds_id = store.next_dataset_id(own_cur)
    q = sql.quote_ident

    def role(col: str | None, cast: str) -> str:
        return f"TRY_CAST({q(col)} AS {cast})" if col else f"NULL::{cast}"

    raw_score = f"TRY_CAST(CAST({q(score)} AS VARCHAR) AS DOUBLE)"
    own = ", ".join(f"CAST({q(c)} AS VARCHAR) AS {q(c)}" for c in columns)
    select = (
        "SELECT __row::BIGINT AS _row, "
        f"{role(wave, 'INTEGER') if wave else '1'}::INTEGER AS _wave, "
        f"{raw_score}::TINYINT AS _score, "
        f"CASE WHEN {raw_score} <= 6 THEN 'detractor' WHEN {raw_score} <= 8 THEN 'passive' "
        "ELSE 'promoter' END AS _category, "
        f"{role(date, 'TIMESTAMP')} AS _date, "
        f"{role(comment, 'VARCHAR')} AS _comment, "
        f"{role(respondent, 'VARCHAR')} AS _respondent, "
        f"{role(weight, 'DOUBLE')} AS _weight"
        + (f", {own}" if own else "")
        + f" FROM {q(view)} WHERE {raw_score} BETWEEN 0 AND 10 AND {raw_score} = round({raw_score}) ORDER BY __row"
    )
    ds = store.Dataset(
        id=ds_id,
        name=name,
        source_file=f"{name}.csv",
        size_bytes=None,
        sha256=None,
        format="csv",
        layout="flat",
        encoding="utf-8",
        mapping=store.ColumnMapping(
            score=score, date=date, comment=comment, respondent=respondent, weight=weight,
            dimensions=tuple(dimensions),
        ),
        columns=columns,
        labels={},
        loaded_at=dt.datetime(2026, 1, 1),
        rows_read=len(frame),
    )
    try:
        sql.execute(own_cur, f"CREATE TABLE {sql.table(ds.table)} AS {select}")
        accepted = int(sql.fetch_value(own_cur, f"SELECT count(*) FROM {sql.table(ds.table)}"))
        ds = replace(ds, accepted=accepted, rejected=len(frame) - accepted)
        store.insert_dataset(own_cur, ds)
    finally:
        own_cur.close()
    return ds


def default_filter(db: Path, **include: list[str]) -> tuple[Filter, Filter]:
    """The sidebar's defaults on the sample: last 12 months to the latest response, transactional surveys, previous period."""
    from nps import query as queries
    from nps.query import periods

    con = store.connect(db)
    try:
        ds = store.get_dataset(con, 1)
        start, end = queries.data_range(con, ds)
    finally:
        con.close()
    since, until = periods.resolve_preset("12m", start, end)
    flt = Filter.build(since=since, until=until, include={"survey_type": ["transactional"], **include})
    p_since, p_until = periods.previous_period(since, until)
    return flt, flt.with_period(p_since, p_until)
