"""The figures the pages used to compute themselves, now engine functions: the Overview's shares, the Upload
page's histogram, the review cards' distribution, voices, sparklines and top themes."""

from __future__ import annotations

import duckdb
import pandas as pd

from nps import domain, stats
from nps import query as queries
from nps.query import review
from nps.query.filters import Filter
from nps.query.tiles import category_shares
from nps.query.uploads import score_histogram
from nps.sample import demo


def test_the_tiles_shares_are_each_categorys_part_of_the_three() -> None:
    result = stats.score_counts(20, 30, 50)  # detractors, passives, promoters
    shares = category_shares(result)
    assert shares == {"promoters": 0.5, "passives": 0.3, "detractors": 0.2}


def test_the_upload_histogram_reads_like_a_distribution() -> None:
    hist = score_histogram({10: 3, 7: 1, 0: 4})
    assert list(hist.columns) == ["score", "n", "category", "share"]
    assert list(hist["category"]) == [domain.PROMOTER, domain.PASSIVE, domain.DETRACTOR]
    assert list(hist["share"]) == [3 / 8, 1 / 8, 4 / 8]
    assert score_histogram({})["share"].empty


def test_a_cards_reads_are_the_engines_reads_of_its_value(con: duckdb.DuckDBPyConnection) -> None:
    ds = demo.load_sample(con)[0]
    dimension = review.pick_review_dimension(ds)
    assert dimension
    value = str(queries.dimension_values(con, ds, dimension)["value"].iloc[0])
    only = Filter().with_values(dimension, [value])
    expected = queries.distribution(con, ds, only, queries.Options())
    pd.testing.assert_frame_equal(review.card_distribution(con, ds, None, queries.Options(), dimension, value), expected)
    voices = review.card_voices(con, ds, None, dimension, value)
    assert voices == {c: review.sample_verbatims(con, ds, only, c) for c in (domain.DETRACTOR, domain.PROMOTER)}


def test_card_trends_split_a_trend_by_value_as_text() -> None:
    trend = pd.DataFrame({"team": ["a", "b", "a", 1], "nps": [1.0, 2.0, 3.0, 4.0]})
    parts = review.card_trends(trend, "team")
    assert list(parts) == ["a", "b", "1"]
    assert list(parts["a"]["nps"]) == [1.0, 3.0] and list(parts["1"]["nps"]) == [4.0]


def test_top_themes_per_value_keeps_the_order_and_skips_no_value() -> None:
    tops = pd.DataFrame({"value": ["x", "y", "x", None], "theme": ["T1", "T2", "T3", "T4"],
                         "share": [0.5, 0.25, 0.125, 1.0]})
    assert review.top_themes_per_value(tops) == {"x": [("T1", 0.5), ("T3", 0.125)], "y": [("T2", 0.25)]}
