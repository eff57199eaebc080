"""The score distribution: responses per score 0..10 in the category colours.

See :mod:`nps.charts` for what every builder promises.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from nps.charts.common import (
    CATEGORY_SCALE,
    _inline,
    _is_empty,
    _no_data,
    _require,
    _title,
)
from nps.domain import SCORES


def chart_distribution(frame: pd.DataFrame, *, title: str = "Responses by score") -> alt.Chart:
    """Bars of responses per score 0..10, coloured detractor / passive / promoter.

    Takes ``nps.query.distribution``'s frame: columns score (0..10), category,
    n, share (0..1). All 11 scores are on the x axis even when rows are missing.
    Returns an ``alt.Chart`` (a "no data" chart for an empty frame or n = 0
    everywhere). Raises ValueError when a column is missing.
    """
    if _is_empty(frame):
        return _no_data(title, height=260)
    _require(frame, ["score", "category", "n", "share"], "chart_distribution")
    data = frame[["score", "category", "n", "share"]].copy()
    return (
        alt.Chart(_inline(data), title=_title(title), width="container", height=260)
        .mark_bar()
        .encode(
            x=alt.X("score:O", title="Score (0–10)", scale=alt.Scale(domain=list(SCORES)),
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("n:Q", title="Responses"),
            color=alt.Color("category:N", scale=CATEGORY_SCALE, title="Category"),
            tooltip=[
                alt.Tooltip("score:O", title="Score"),
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("n:Q", title="Responses (n)", format=","),
                alt.Tooltip("share:Q", title="Share of responses", format=".1%"),
            ],
        )
    )
