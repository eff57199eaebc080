"""The responses a key-driver analysis reads: each response's score and item ratings (and a group column).

The rows come from the one row source (:func:`nps.query.rows.source`: the
filter, the reader's scope, the latest response per respondent when asked). An
item is stored as the file's text and read as a number with ``TRY_CAST``, or, for
a word of a 5-point agreement or satisfaction scale (:data:`nps.domain.ITEM_LABELS`,
"agree", "très satisfait"…), as the number 1–5 it stands for (a bound mapping); any
other value ("N/A") reads as missing, and the analysis leaves that response out
(:func:`nps.drivers.key_drivers`).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from nps import domain
from nps.query.filters import Filter
from nps.query.options import Options
from nps.query.rows import source
from nps.store import Dataset, sql


def item_value(item: str, allowed: Sequence[str]) -> tuple[str, list[object]]:
    """The SQL expression reading the item column ``item`` as a number, and its bound parameters (in order).

    A number with ``TRY_CAST``, or a word of a 5-point scale (:data:`nps.domain.ITEM_LABELS`, keyed as
    :func:`nps.domain.item_label_key` keys it: ’ as ', spaces single, trimmed, lower case) as the number 1–5 it
    stands for; anything else NULL. Every reader of item ratings uses it, so they all read a rating alike.
    ``item`` must be one of ``allowed`` (:class:`nps.errors.UnknownColumnError` otherwise).
    """
    col = sql.column(item, allowed)
    key = f"lower(trim(regexp_replace(replace(CAST({col} AS VARCHAR), ?, ?), '\\s+', ' ', 'g')))"
    expression = f"COALESCE(TRY_CAST({col} AS DOUBLE), (?::DOUBLE[])[list_position(?::VARCHAR[], {key})])"
    return expression, [[float(v) for v in domain.ITEM_LABELS.values()], list(domain.ITEM_LABELS), "’", "'"]


def item_frame(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    items: Sequence[str],
    flt: Filter | None = None,
    opts: Options = Options(),
    *,
    by: str | None = None,
) -> pd.DataFrame:
    """One row per response: ``score`` (0–10), each item (a float, NaN when missing or not a number), and ``by``.

    ``items`` and ``by`` are stored column names of the dataset; another name raises
    :class:`nps.errors.UnknownColumnError`. The ``by`` value is text (NULL as None).
    """
    allowed = ds.columns
    parts = [f"CAST({sql.SCORE} AS DOUBLE) AS score"]
    label_params: list[object] = []
    for j, item in enumerate(items):
        expression, bound = item_value(item, allowed)
        parts.append(f"{expression} AS i{j}")
        label_params += bound
    if by is not None:
        parts.append(f"CAST({sql.column(by, allowed)} AS VARCHAR) AS grp")
    rows, params = source(ds, flt, opts)
    frame = sql.fetch_df(
        cur, f"SELECT {', '.join(parts)} FROM ({rows}) ORDER BY {sql.WAVE}, {sql.ROW}", [*label_params, *params]
    )
    names = {f"i{j}": item for j, item in enumerate(items)}
    if by is not None:
        names["grp"] = by
    return frame.rename(columns=names)
