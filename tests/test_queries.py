"""The queries (nps.query) on the R package's test data (reference values) and on small literal frames."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import duckdb
import numpy as np
import pandas as pd
import pytest

from nps import stats, store
from nps import query as queries
from nps.errors import UnknownColumnError
from nps.query.filters import Filter
from nps.query.options import Options
from nps.stats import NpsResult, compare_results, score_counts
from tests.conftest import R_TESTDATA
from tests.factories import make_dataset

D = dt.date
A = 1e-4
WALD = Options(method="wald")


def approx(value: float) -> object:
    return pytest.approx(value, abs=A)


# --- the R package's test data ------------------------------------------------------------------


@pytest.fixture(scope="module")
def rdata() -> Iterator[tuple[duckdb.DuckDBPyConnection, store.Dataset]]:
    con = store.connect(":memory:")
    frame = pd.read_csv(R_TESTDATA)
    ds = make_dataset(con, frame, name="r", score="REC", date="date", dimensions=("BU", "PRODUCT", "Account", "Region"))
    try:
        yield con, ds
    finally:
        con.close()


def test_r_overall(rdata: tuple[duckdb.DuckDBPyConnection, store.Dataset]) -> None:
    con, ds = rdata
    wald = queries.overall(con, ds, opts=WALD)
    adjusted = queries.overall(con, ds)
    assert (wald.n, wald.detractors, wald.passives, wald.promoters) == (1000, 362, 176, 462)
    assert wald.nps == approx(10.0) and wald.se == approx(2.85307)
    assert (wald.ci_low, wald.ci_high) == (approx(4.40809), approx(15.59191))
    assert (adjusted.ci_low, adjusted.ci_high) == (approx(4.38967), approx(15.55051))
    assert not adjusted.low_n and adjusted.effective_n is None


def test_r_by_region(rdata: tuple[duckdb.DuckDBPyConnection, store.Dataset]) -> None:
    con, ds = rdata
    frame = queries.breakdown(con, ds, ["Region"])
    assert list(frame.columns) == [
        "Region", "n", "promoters", "passives", "detractors", "nps", "se", "ci_low", "ci_high", "low_n",
        "vs_rest", "vs_rest_se", "vs_rest_p", "vs_rest_p_adjusted", "vs_rest_significant",
    ]
    expected = [("NAM", 507, 11.04536, 4.03166), ("EMEA", 259, 4.24710, 5.57555),
                ("APAC", 139, 23.02158, 7.49836), ("LATAM", 95, 1.05263, 9.11542)]
    assert list(frame["Region"]) == [e[0] for e in expected]  # n desc
    for (_, n, nps, se), row in zip(expected, frame.itertuples()):
        assert (row.n, row.nps, row.se) == (n, approx(nps), approx(se))
    assert not frame["vs_rest_significant"].any()


@pytest.mark.parametrize(("bu", "nps"), [("Apples", 14.8), ("Oranges", 7.6), ("Bananas", 9.6), ("Berries", 8.0)])
def test_r_by_bu(rdata: tuple[duckdb.DuckDBPyConnection, store.Dataset], bu: str, nps: float) -> None:
    con, ds = rdata
    row = queries.breakdown(con, ds, ["BU"]).set_index("BU").loc[bu]
    assert row["n"] == 250 and row["nps"] == approx(nps)


def test_r_by_quarter(rdata: tuple[duckdb.DuckDBPyConnection, store.Dataset]) -> None:
    con, ds = rdata
    frame = queries.trend(con, ds, "quarter")
    assert list(frame["period"]) == [pd.Timestamp(f"2012-{m:02d}-01") for m in (1, 4, 7, 10)]
    assert list(frame["n"]) == [250, 249, 251, 250]
    assert frame["nps"].tolist() == [approx(13.6), approx(8.43373), approx(12.35060), approx(5.6)]
    assert math.isnan(frame["change"][0])
    wald = queries.trend(con, ds, "quarter", opts=WALD)
    assert wald["change"][1] == approx(8.43373 - 13.6)
    assert wald["prev_nps"][1] == approx(13.6) and wald["prev_n"][1] == 250


@pytest.mark.parametrize(
    ("a", "b", "opts", "diff", "se", "p"),
    [
        # plain differences, the method's SE, the pooled score test (see test_stats)
        ("NAM", "EMEA", WALD, 6.79826, 6.88048, 0.32526),
        ("NAM", "EMEA", Options(), 6.79826, 6.83527, 0.32526),
        ("APAC", "LATAM", WALD, 21.96895, 11.80323, 0.06441),
    ],
)
def test_r_compare_regions(rdata: tuple[duckdb.DuckDBPyConnection, store.Dataset], a: str, b: str,
                           opts: Options, diff: float, se: float, p: float) -> None:
    con, ds = rdata
    c = queries.compare(con, ds, Filter.build(include={"Region": [a]}), Filter.build(include={"Region": [b]}), opts)
    assert c.difference.diff == approx(diff)
    assert c.difference.se == approx(se)
    assert c.difference.p_value == pytest.approx(p, abs=5e-5)
    if a == "NAM" and opts.method == "wald":
        assert (c.difference.ci_low, c.difference.ci_high) == (approx(-6.68723), approx(20.28375))


def test_r_compare_periods(rdata: tuple[duckdb.DuckDBPyConnection, store.Dataset]) -> None:
    con, ds = rdata
    q2 = Filter(since=D(2012, 4, 1), until=D(2012, 6, 30))
    q1 = Filter(since=D(2012, 1, 1), until=D(2012, 3, 31))
    assert queries.previous_period(q2.since, q2.until) == (q1.since, q1.until)
    c = queries.compare(con, ds, q2, q1, WALD)
    assert (c.a.n, c.b.n) == (249, 250)
    assert c.a.nps == approx(8.43373) and c.b.nps == approx(13.6)
    assert c.difference.diff == approx(8.43373 - 13.6)


def test_r_data_range_and_values(rdata: tuple[duckdb.DuckDBPyConnection, store.Dataset]) -> None:
    con, ds = rdata
    assert queries.data_range(con, ds) == (D(2012, 1, 1), D(2012, 12, 31))
    regions = queries.dimension_values(con, ds, "Region")
    assert list(regions.columns) == ["value", "n"]
    assert list(regions.itertuples(index=False, name=None)) == [("NAM", 507), ("EMEA", 259), ("APAC", 139),
                                                                ("LATAM", 95)]


def test_r_shift_share_sums_to_the_change(rdata: tuple[duckdb.DuckDBPyConnection, store.Dataset]) -> None:
    con, ds = rdata
    h2 = Filter(since=D(2012, 7, 1), until=D(2012, 12, 31))
    h1 = Filter(since=D(2012, 1, 1), until=D(2012, 6, 30))
    s = queries.shift_share(con, ds, "Region", h2, h1)
    assert s.nps_current == approx(queries.overall(con, ds, h2).nps)
    assert s.nps_previous == approx(queries.overall(con, ds, h1).nps)
    assert s.within + s.mix + s.interaction == pytest.approx(s.total, abs=1e-9)
    assert s.segments["total"].sum() == pytest.approx(s.total, abs=1e-9)
    assert s.segments["w_cur"].sum() == pytest.approx(1.0)


# --- small literal frames ----------------------------------------------------------------------


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["score", "when", "region", "comment", "who", "w"])


ROWS = [
    # score, when, region, comment, who, weight
    (10, "2024-01-01 09:00", "North", "Très bien", "r1", 2.0),
    (9, "2024-01-15 00:00", "North", None, "r2", 1.0),
    (3, "2024-01-31 23:59", "South", "CAFÉ froid", "r1", 1.0),
    (8, "2024-02-01 00:00", None, "ok", None, None),
    (0, "2024-03-10 12:00", "South", "cafe", "r3", 0.5),
    (7, None, "North", "no date", "r2", 1.0),
    (10, "2024-03-11 08:00", "North", None, None, 1.0),
]


@pytest.fixture
def small(con: duckdb.DuckDBPyConnection) -> store.Dataset:
    return make_dataset(con, _frame(ROWS), dimensions=("region",), date="when", comment="comment",
                        respondent="who", weight="w")


def _n(con: duckdb.DuckDBPyConnection, ds: store.Dataset, flt: Filter | None, opts: Options = Options()) -> int:
    return queries.overall(con, ds, flt, opts).n


@pytest.mark.parametrize(
    ("flt", "n"),
    [
        (None, 7),
        (Filter(since=D(2024, 1, 15)), 5),  # inclusive; the undated row is out
        (Filter(until=D(2024, 1, 31)), 3),  # 23:59 on the last day is in
        (Filter(since=D(2024, 2, 1), until=D(2024, 2, 1)), 1),
        (Filter(since=D(2025, 1, 1)), 0),
        (Filter.build(include={"region": ["North"]}), 4),
        (Filter.build(include={"region": ["(blank)"]}), 1),
        (Filter.build(include={"region": ["South", "(blank)"]}), 3),
        (Filter.build(exclude={"region": ["North"]}), 3),  # NULL region kept
        (Filter.build(exclude={"region": ["(blank)"]}), 6),
        (Filter.build(categories=["promoter"]), 3),
        (Filter.build(categories=["detractor", "passive"]), 4),
        (Filter.build(text="tres"), 1),
        (Filter.build(text="Cafe"), 2),  # accent- and case-insensitive
        (Filter.build(text="café"), 2),
    ],
)
def test_filters(con: duckdb.DuckDBPyConnection, small: store.Dataset, flt: Filter | None, n: int) -> None:
    assert _n(con, small, flt) == n


def test_unknown_column_raises(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    with pytest.raises(UnknownColumnError, match="no column 'nope'"):
        queries.breakdown(con, small, ["nope"])
    with pytest.raises(UnknownColumnError):
        queries.overall(con, small, Filter.build(include={"nope": ["x"]}))
    with pytest.raises(UnknownColumnError):
        queries.dimension_values(con, small, "nope")


def test_bad_arguments_raise(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    with pytest.raises(ValueError, match="time grain"):
        queries.trend(con, small, "fortnight")
    with pytest.raises(ValueError, match="rolling"):
        queries.trend(con, small, "month", rolling=0)
    with pytest.raises(ValueError, match="at least one column"):
        queries.breakdown(con, small, [])
    with pytest.raises(ValueError, match="twice"):
        queries.breakdown(con, small, ["region", "region"])
    with pytest.raises(ValueError, match="interval method"):
        Options(method="exact")
    with pytest.raises(ValueError, match="between 0 and 1"):
        Options(level=1.5)


def test_dedupe_keeps_each_respondents_latest(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    dedupe = Options(dedupe=True)
    r = queries.overall(con, small, None, dedupe)
    # r1 -> 31 Jan (3); r2 -> 15 Jan (9), since undated counts as older; r3; two without id.
    assert (r.n, r.detractors, r.passives, r.promoters) == (5, 2, 1, 2)
    # Within January only: r1's latest is still 31 Jan.
    jan = Filter(since=D(2024, 1, 1), until=D(2024, 1, 31))
    assert queries.overall(con, small, jan, dedupe).n == 2
    # Other conditions apply after dedupe: r1's latest is a detractor, so no promoter r1 remains.
    promoters = queries.overall(con, small, Filter.build(categories=["promoter"]), dedupe)
    assert promoters.n == 2  # r2 (9) and the undated-id 10


def test_dedupe_breaks_ties_by_row(con: duckdb.DuckDBPyConnection) -> None:
    ds = make_dataset(con, _frame([(0, "2024-01-01", "x", None, "a", None), (10, "2024-01-01", "x", None, "a", None),
                                   (5, None, "x", None, "b", None), (6, None, "x", None, "b", None)]),
                      date="when", respondent="who", dimensions=("region",))
    r = queries.overall(con, ds, opts=Options(dedupe=True))
    assert (r.n, r.promoters, r.detractors) == (2, 1, 1)  # a's later row (10) and b's later row (6)


def test_weighted_null_weight_counts_as_one(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    r = queries.overall(con, small, opts=Options(weighted=True, min_n=1))
    # promoters 2 + 1 + 1 = 4, passives 1 (NULL weight) + 1 = 2, detractors 1 + 0.5 = 1.5
    assert (r.n, r.promoters, r.passives, r.detractors) == (7, 4.0, 2.0, 1.5)
    sum_w2 = 4 + 1 + 1 + 1 + 0.25 + 1 + 1
    assert r.effective_n == pytest.approx(7.5**2 / sum_w2)
    assert r.nps == approx((4 - 1.5) / 7.5 * 100)
    shares = (4 / 7.5, 1.5 / 7.5)
    se = math.sqrt((shares[0] + shares[1] - (shares[0] - shares[1]) ** 2) / r.effective_n) * 100
    assert r.se == approx(se)
    frame = queries.breakdown(con, small, ["region"], opts=Options(weighted=True))
    assert "effective_n" in frame.columns
    north = frame.set_index("region").loc["North"]
    assert (north["n"], north["promoters"], north["passives"]) == (4, 4.0, 1.0)


def test_distribution_has_all_scores(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    frame = queries.distribution(con, small)
    assert list(frame.columns) == ["score", "category", "n", "share"]
    assert list(frame["score"]) == list(range(11))
    assert list(frame["n"]) == [1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 2]
    assert list(frame["category"]) == ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2
    assert frame["share"].sum() == pytest.approx(1.0)
    assert frame["share"][10] == pytest.approx(2 / 7)
    empty = queries.distribution(con, small, Filter(since=D(2030, 1, 1)))
    assert list(empty["n"]) == [0] * 11 and list(empty["share"]) == [0.0] * 11
    weighted = queries.distribution(con, small, opts=Options(weighted=True))
    assert weighted["weighted_n"][10] == pytest.approx(3.0)
    assert weighted["share"][10] == pytest.approx(3.0 / 7.5)


def test_breakdown_blank_sort_and_vs_rest(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    frame = queries.breakdown(con, small, ["region"], opts=Options(min_n=1))
    assert list(frame["region"]) == ["North", "South", "(blank)"]
    assert list(frame["n"]) == [4, 2, 1]
    north = frame.iloc[0]
    rest = score_counts(2, 1, 0)  # South 3, 0 and the blank 8
    expected = compare_results(score_counts(0, 1, 3), rest)
    assert north["vs_rest"] == approx(expected.diff)
    assert north["vs_rest_p"] == approx(expected.p_value)


def test_breakdown_flags_significant_groups(con: duckdb.DuckDBPyConnection) -> None:
    rows = [(10, None, "A", None, None, None)] * 40 + [(0, None, "B", None, None, None)] * 40 + \
           [(8, None, "C", None, None, None)] * 40
    ds = make_dataset(con, _frame(rows), dimensions=("region",))
    frame = queries.breakdown(con, ds, ["region"]).set_index("region")
    assert frame.loc["A", "vs_rest"] > 0 and frame.loc["A", "vs_rest_significant"]
    assert frame.loc["B", "vs_rest"] < 0 and frame.loc["B", "vs_rest_significant"]
    only = queries.breakdown(con, ds, ["region"], Filter.build(include={"region": ["A"]}))
    assert len(only) == 1 and np.isnan(only["vs_rest"][0]) and not only["vs_rest_significant"][0]


def test_breakdown_two_dimensions_and_empty(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    frame = queries.breakdown(con, small, ["region", "who"])
    assert set(zip(frame["region"], frame["who"], frame["n"])) == {
        ("North", "r1", 1), ("North", "r2", 2), ("North", "(blank)", 1), ("South", "r1", 1), ("South", "r3", 1),
        ("(blank)", "(blank)", 1),
    }
    assert frame["n"].iloc[0] == 2 and frame["low_n"].all()
    empty = queries.breakdown(con, small, ["region"], Filter(since=D(2030, 1, 1)))
    assert empty.empty and "nps" in empty.columns and "vs_rest" in empty.columns


def test_trend_fills_gaps_and_leaves_out_undated(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    frame = queries.trend(con, small, "month", opts=Options(min_n=1))
    assert list(frame["period"]) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01"),
                                     pd.Timestamp("2024-03-01")]
    assert list(frame["n"]) == [3, 1, 2]  # the undated row is not in any period
    mid = queries.trend(con, small, "month", Filter.build(exclude={"region": ["(blank)"]}))
    assert list(mid["n"]) == [3, 0, 2]
    assert mid.loc[1, ["nps", "se", "ci_low", "ci_high"]].isna().all() and mid["low_n"][1]
    assert np.isnan(mid["change"][1]) and np.isnan(mid["change"][2])  # nothing to compare with


def test_trend_weeks_start_on_monday(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    frame = queries.trend(con, small, "week", Filter(until=D(2024, 1, 31)))
    assert frame["period"].iloc[0] == pd.Timestamp("2024-01-01")  # a Monday
    assert all(p.weekday() == 0 for p in frame["period"])
    assert list(frame["n"]) == [1, 0, 1, 0, 1]  # 1, 15 and 31 January (week of the 29th)


def test_trend_by_dimension_fills_every_series(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    frame = queries.trend(con, small, "month", by=["region"])
    assert len(frame) == 3 * 3
    south = frame[frame["region"] == "South"]
    assert list(south["n"]) == [1, 0, 1]
    assert list(frame.columns[:3]) == ["period", "region", "n"]


def test_trend_rolling_sums_the_last_periods(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    frame = queries.trend(con, small, "month", rolling=2)
    assert list(frame["n"]) == [3, 4, 3]
    assert list(frame["promoters"]) == [2, 2, 1]
    assert "change" not in frame.columns
    feb = frame.iloc[1]
    assert feb["nps"] == approx(score_counts(1, 1, 2).nps)
    by = queries.trend(con, small, "month", by=["region"], rolling=3)
    assert list(by[by["region"] == "North"]["n"]) == [2, 2, 3]


def test_dimension_values(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    values = queries.dimension_values(con, small, "region")
    assert list(values.itertuples(index=False, name=None)) == [("North", 4), ("South", 2), ("(blank)", 1)]
    assert len(queries.dimension_values(con, small, "region", limit=1)) == 1
    jan = queries.dimension_values(con, small, "region", Filter(until=D(2024, 1, 31)))
    assert list(jan["value"]) == ["North", "South"]


def test_data_range(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    assert queries.data_range(con, small) == (D(2024, 1, 1), D(2024, 3, 11))
    undated = make_dataset(con, _frame([(5, None, "x", None, None, None)]), dimensions=("region",))
    assert queries.data_range(con, undated) is None


def test_compare_empty_side(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    c = queries.compare(con, small, None, Filter(since=D(2030, 1, 1)))
    assert c.a.n == 7 and c.b.n == 0 and math.isnan(c.b.nps)
    assert math.isnan(c.difference.diff) and not c.difference.significant


def test_shift_share_literal(con: duckdb.DuckDBPyConnection) -> None:
    # previous (6): A 2 promoters + 2 detractors (NPS 0), B 2 promoters (100); NPS 100/3
    # current (7):  A 3 promoters + 1 detractor (NPS 50), B 1 promoter (100), C 2 detractors (new, −100); NPS 100/7
    rows = ([(10, "2024-01-05", "A", None, None, None)] * 2 + [(0, "2024-01-05", "A", None, None, None)] * 2
            + [(10, "2024-01-06", "B", None, None, None)] * 2
            + [(10, "2024-02-05", "A", None, None, None)] * 3 + [(0, "2024-02-05", "A", None, None, None)]
            + [(9, "2024-02-06", "B", None, None, None)] + [(2, "2024-02-07", "C", None, None, None)] * 2)
    ds = make_dataset(con, _frame(rows), date="when", dimensions=("region",))
    feb = Filter(since=D(2024, 2, 1), until=D(2024, 2, 29))
    jan = Filter(since=D(2024, 1, 1), until=D(2024, 1, 31))
    s = queries.shift_share(con, ds, "region", feb, jan)
    assert s.nps_previous == approx(100 / 3) and s.nps_current == approx(100 / 7)
    assert s.total == approx(100 / 7 - 100 / 3)
    seg = s.segments.set_index("region")
    assert list(s.segments.columns) == ["region", "n_prev", "n_cur", "w_prev", "w_cur", "nps_prev", "nps_cur",
                                        "within", "mix", "interaction", "total"]
    # A: w 4/6 -> 4/7, NPS 0 -> 50
    assert seg.loc["A", "within"] == approx(4 / 6 * 50)
    assert seg.loc["A", "mix"] == approx(0)
    assert seg.loc["A", "interaction"] == approx((4 / 7 - 4 / 6) * 50)
    # B: w 2/6 -> 1/7, NPS 100 -> 100: all mix
    assert seg.loc["B", "mix"] == approx((1 / 7 - 2 / 6) * 100) and seg.loc["B", "within"] == approx(0)
    # C: new, w 0 -> 2/7 at NPS −100: all mix
    assert seg.loc["C", "mix"] == approx(2 / 7 * -100) and seg.loc["C", "interaction"] == approx(0)
    assert math.isnan(seg.loc["C", "nps_prev"]) and seg.loc["C", "n_prev"] == 0 and seg.loc["C", "n_cur"] == 2
    assert s.within == approx(100 / 3)
    assert s.mix == approx((1 / 7 - 2 / 6) * 100 - 200 / 7)
    assert s.interaction == approx((4 / 7 - 4 / 6) * 50)
    assert s.within + s.mix + s.interaction == pytest.approx(s.total, abs=1e-9)
    nothing = queries.shift_share(con, ds, "region", Filter(since=D(2030, 1, 1)), jan)
    assert math.isnan(nothing.total) and nothing.segments.empty


@pytest.mark.parametrize(
    ("since", "until", "previous", "last_year"),
    [
        (D(2024, 4, 1), D(2024, 6, 30), (D(2024, 1, 1), D(2024, 3, 31)), (D(2023, 4, 1), D(2023, 6, 30))),
        (D(2024, 3, 1), D(2024, 3, 31), (D(2024, 2, 1), D(2024, 2, 29)), (D(2023, 3, 1), D(2023, 3, 31))),
        (D(2024, 2, 29), D(2024, 3, 6), (D(2024, 2, 22), D(2024, 2, 28)), (D(2023, 2, 28), D(2023, 3, 6))),
    ],
)
def test_period_helpers(since: dt.date, until: dt.date, previous: tuple[dt.date, dt.date],
                        last_year: tuple[dt.date, dt.date]) -> None:
    assert queries.previous_period(since, until) == previous
    assert queries.same_period_last_year(since, until) == last_year


def test_dedupe_in_a_trend_counts_a_respondent_once_per_period(con: duckdb.DuckDBPyConnection) -> None:
    rows = [(0, "2024-01-02", "x", None, "a", None), (10, "2024-01-20", "x", None, "a", None),
            (9, "2024-02-03", "x", None, "a", None), (5, "2024-02-04", "x", None, None, None)]
    ds = make_dataset(con, _frame(rows), date="when", respondent="who", dimensions=("region",))
    frame = queries.trend(con, ds, "month", opts=Options(dedupe=True))
    assert list(frame["n"]) == [1, 2]
    assert list(frame["promoters"]) == [1, 1]  # January keeps a's later answer, 10


def test_group_names_cannot_shadow_result_columns(con: duckdb.DuckDBPyConnection) -> None:
    frame = pd.DataFrame({"score": [9, 3], "period": ["p1", "p2"], "n": ["a", "b"], "when": ["2024-01-01"] * 2})
    ds = make_dataset(con, frame, date="when", dimensions=("period", "n"))
    assert list(queries.breakdown(con, ds, ["period"])["period"]) == ["p1", "p2"]
    with pytest.raises(ValueError, match="'n'"):
        queries.breakdown(con, ds, ["n"])
    with pytest.raises(ValueError, match="'period'"):
        queries.trend(con, ds, "month", by=["period"])


def test_weighted_vs_rest_uses_the_rests_effective_n(con: duckdb.DuckDBPyConnection) -> None:
    rows = [(10, None, "A", None, None, 3.0), (0, None, "A", None, None, 1.0),
            (10, None, "B", None, None, 1.0), (0, None, "B", None, None, 1.0), (8, None, "B", None, None, 2.0)]
    ds = make_dataset(con, _frame(rows), weight="w", dimensions=("region",))
    frame = queries.breakdown(con, ds, ["region"], opts=Options(weighted=True, method="wald", min_n=0)
                              ).set_index("region")
    a = _weighted(3.0, 0.0, 1.0, n=2, sum_w2=10.0)
    b = _weighted(1.0, 2.0, 1.0, n=3, sum_w2=6.0)
    assert frame.loc["A", "effective_n"] == pytest.approx(16 / 10)
    assert frame.loc["B", "effective_n"] == pytest.approx(16 / 6)
    assert frame.loc["A", "nps"] == approx(a.nps) and frame.loc["A", "se"] == approx(a.se)
    expected = compare_results(a, b, method="wald")
    assert frame.loc["A", "vs_rest"] == approx(expected.diff)
    assert frame.loc["A", "vs_rest_p"] == approx(expected.p_value)


def _weighted(p: float, pa: float, d: float, *, n: int, sum_w2: float) -> NpsResult:
    return stats.score_weighted(d, pa, p, n=n, effective_n=stats.kish_effective_n(p + pa + d, sum_w2), method="wald")


def test_dimension_counts_equals_dimension_values_per_column(con) -> None:
    import pandas as pd

    from nps import query as queries
    from nps.query.filters import Filter
    from tests.factories import make_dataset

    frame = pd.DataFrame({
        "score": [0, 5, 9, 10, 7, 8, 3, 9],
        "segment": ["B2B", "B2C", "B2C", None, "B2B", "B2C", "B2C", "B2B"],
        "channel": ["web", "web", "sms", "sms", "web", None, "web", "email"],
    })
    ds = make_dataset(con, frame, dimensions=("segment", "channel"))
    for flt in (None, Filter.build(include={"channel": ["web"]})):
        counts = queries.dimension_counts(con, ds, ["segment", "channel"], flt)
        for column in ("segment", "channel"):
            expected = queries.dimension_values(con, ds, column, flt)
            assert counts[column].to_dict("records") == expected.to_dict("records")
    assert queries.dimension_counts(con, ds, []) == {}
    assert queries.dimension_counts(con, ds, ["segment"])["segment"].to_dict("records") == [
        {"value": "B2C", "n": 4}, {"value": "B2B", "n": 3}, {"value": "(blank)", "n": 1}]



@pytest.mark.parametrize("since, until", [
    (None, None), (dt.date(2025, 1, 1), dt.date(2025, 1, 31)), (dt.date(2025, 1, 2), dt.date(2025, 1, 2)),
    (dt.date(2025, 1, 3), None), (None, dt.date(2025, 1, 2)), (dt.date(2030, 1, 1), dt.date(2030, 12, 31)),
])
def test_dimension_counts_by_day_sums_to_dimension_counts_on_any_period(con, since, until) -> None:
    frame = pd.DataFrame({
        "score": [0, 5, 9, 10, 7, 8, 3, 9],
        "segment": ["B2B", "B2C", "B2C", None, "B2B", "B2C", "B2C", "B2B"],
        "channel": ["web", "web", "sms", "sms", "web", None, "web", "email"],
        "date": pd.to_datetime(["2025-01-01 09:00", "2025-01-02 23:59", "2025-01-02 00:00", None, "2025-01-03 00:00",
                                "2025-01-05 00:00", "2025-01-05 12:00", "2025-02-01 00:00"]),
    })
    ds = make_dataset(con, frame, dimensions=("segment", "channel"), date="date")
    include = Filter.build(include={"channel": ["web", "sms"]})
    daily = queries.dimension_counts_by_day(con, ds, ["segment", "channel"], include)
    expected = queries.dimension_counts(con, ds, ["segment", "channel"], include.with_period(since, until))
    got = daily.within(since, until)
    assert list(got) == ["segment", "channel"]
    for column in ("segment", "channel"):
        pd.testing.assert_frame_equal(got[column], expected[column])

# --- overview: the Overview page's numbers from one query --------------------------------------

OVERVIEW_OPTIONS = [Options(), Options(weighted=True, min_n=1), Options(dedupe=True), Options(method="wald", level=0.9)]
JAN = Filter(since=D(2024, 1, 1), until=D(2024, 1, 31))
FEB_MAR = Filter(since=D(2024, 2, 1), until=D(2024, 3, 31))


def _same_result(a: NpsResult, b: NpsResult) -> None:
    assert (a.n, a.low_n) == (b.n, b.low_n)
    for name in ("promoters", "passives", "detractors", "nps", "se", "ci_low", "ci_high"):
        x, y = getattr(a, name), getattr(b, name)
        assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, rel=1e-12, abs=1e-12), name


@pytest.mark.parametrize("opts", OVERVIEW_OPTIONS, ids=["plain", "weighted", "dedupe", "wald-90"])
@pytest.mark.parametrize(
    ("flt", "previous"),
    [(FEB_MAR, JAN), (None, None), (JAN, Filter(since=D(2030, 1, 1))),
     (Filter.build(include={"region": ["North", "(blank)"]}), None)],
    ids=["two periods", "everything", "nothing before", "values"],
)
def test_overview_equals_the_separate_questions(con: duckdb.DuckDBPyConnection, small: store.Dataset,
                                                flt: Filter | None, previous: Filter | None, opts: Options) -> None:
    got = queries.overview(con, small, flt, previous, opts, split_by="region")
    _same_result(got.current, queries.overall(con, small, flt, opts))
    pd.testing.assert_frame_equal(got.distribution, queries.distribution(con, small, flt, opts))
    if previous is None:
        assert got.comparison is None and got.shift_share is None
        return
    expected = queries.compare(con, small, flt, previous, opts)
    _same_result(got.comparison.a, expected.a)
    _same_result(got.comparison.b, expected.b)
    assert got.comparison.difference.significant == expected.difference.significant
    parts = queries.shift_share(con, small, "region", flt, previous, opts)
    pd.testing.assert_frame_equal(got.shift_share.segments, parts.segments)
    for name in ("nps_current", "nps_previous", "total", "within", "mix", "interaction"):
        x, y = getattr(got.shift_share, name), getattr(parts, name)
        assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, abs=1e-12), name


@pytest.mark.parametrize("opts", OVERVIEW_OPTIONS, ids=["plain", "weighted", "dedupe", "wald-90"])
@pytest.mark.parametrize("grain", list(queries.GRAINS))
@pytest.mark.parametrize(("flt", "previous", "split_by"), [
    (FEB_MAR, JAN, "region"), (None, None, None), (Filter(since=D(2030, 1, 1)), JAN, "region"),
], ids=["two periods", "everything", "nothing"])
def test_overview_counts_the_trend_in_its_scan(con: duckdb.DuckDBPyConnection, small: store.Dataset, grain: str,
                                               flt: Filter | None, previous: Filter | None, split_by: str | None,
                                               opts: Options) -> None:
    got = queries.overview(con, small, flt, previous, opts, split_by, grain)
    pd.testing.assert_frame_equal(got.trend, queries.trend(con, small, grain, flt, opts),
                                  check_exact=not opts.weighted, rtol=1e-12, atol=1e-12)
    assert queries.overview(con, small, flt, previous, opts, split_by).trend is None


def test_overview_checks_the_grain(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    with pytest.raises(ValueError, match="unknown time grain"):
        queries.overview(con, small, FEB_MAR, JAN, grain="fortnight")


def test_overview_without_a_dimension_has_no_shift_share(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    got = queries.overview(con, small, FEB_MAR, JAN)
    assert got.shift_share is None and got.comparison is not None
    assert (got.current.n, got.comparison.b.n) == (3, 3)


def test_overview_checks_the_dimension(con: duckdb.DuckDBPyConnection, small: store.Dataset) -> None:
    with pytest.raises(UnknownColumnError):
        queries.overview(con, small, FEB_MAR, JAN, split_by="nope")
