"""Properties of nps.stats and nps.query on random counts and random frames (Hypothesis)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nps import stats, store
from nps import query as queries
from nps.query.filters import Filter
from nps.query.options import Options
from tests.factories import make_dataset

SETTINGS = settings(deadline=None)
counts = st.integers(min_value=0, max_value=5000)
methods = st.sampled_from(stats.METHODS)
levels = st.sampled_from([0.8, 0.9, 0.95, 0.99])


@pytest.fixture(scope="module")
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    con = store.connect(":memory:")
    try:
        yield con
    finally:
        con.close()


# --- counts ------------------------------------------------------------------------------------


@SETTINGS
@given(counts, counts, counts, methods, levels)
def test_nps_and_bounds_stay_in_range(d: int, pa: int, p: int, method: str, level: float) -> None:
    r = stats.score_counts(d, pa, p, method=method, level=level)
    assert r.n == d + pa + p == r.detractors + r.passives + r.promoters
    if r.n == 0:
        assert math.isnan(r.nps) and r.low_n
        return
    assert -100.0 <= r.nps <= 100.0
    assert r.se >= 0
    assert -100.0 <= r.ci_low <= r.ci_high <= 100.0


@SETTINGS
@given(counts, counts, counts, levels)
def test_wald_interval_contains_the_nps(d: int, pa: int, p: int, level: float) -> None:
    r = stats.score_counts(d, pa, p, method="wald", level=level)
    if r.n:
        assert r.ci_low - 1e-9 <= r.nps <= r.ci_high + 1e-9


@SETTINGS
@given(counts, counts, counts)
def test_adjusted_interval_is_never_degenerate(d: int, pa: int, p: int) -> None:
    r = stats.score_counts(d, pa, p)
    if r.n:
        assert r.ci_low < r.ci_high


@SETTINGS
@given(st.tuples(counts, counts, counts), st.tuples(counts, counts, counts), methods)
def test_difference_is_antisymmetric(a: tuple[int, int, int], b: tuple[int, int, int], method: str) -> None:
    ra, rb = stats.score_counts(*a), stats.score_counts(*b)
    ab = stats.compare_results(ra, rb, method=method)
    ba = stats.compare_results(rb, ra, method=method)
    if ra.n and rb.n:
        assert ab.diff == pytest.approx(-ba.diff, abs=1e-9)
        assert ab.se == pytest.approx(ba.se) and ab.p_value == pytest.approx(ba.p_value)
        assert 0.0 <= ab.p_value <= 1.0
        assert ab.significant == (ab.p_value < 0.05)
        assert ab.ci_low - 1e-9 <= ab.diff <= ab.ci_high + 1e-9
    else:
        assert math.isnan(ab.diff) and not ab.significant


@SETTINGS
@given(st.lists(st.tuples(counts, counts, counts), max_size=8), methods, levels)
def test_add_stats_equals_the_scalar_function(rows: list[tuple[int, int, int]], method: str, level: float) -> None:
    frame = pd.DataFrame(rows, columns=["detractors", "passives", "promoters"], dtype="int64")
    frame["n"] = frame.sum(axis=1)
    out = stats.add_stats(frame, method=method, level=level, min_n=30)
    for i, (d, pa, p) in enumerate(rows):
        r = stats.score_counts(d, pa, p, method=method, level=level)
        got = out.loc[i, ["nps", "se", "ci_low", "ci_high"]].to_numpy(dtype=float)
        np.testing.assert_allclose(got, [r.nps, r.se, r.ci_low, r.ci_high], atol=1e-9)
        assert bool(out.loc[i, "low_n"]) is r.low_n


# --- random frames through DuckDB ----------------------------------------------------------------

REGIONS = st.sampled_from(["North", "South", "Éast", None])
SEGMENTS = st.sampled_from(["x", "y", None])
SCORES = st.one_of(st.integers(min_value=0, max_value=10), st.none())
DAYS = st.integers(min_value=0, max_value=120)

rows_strategy = st.lists(st.tuples(SCORES, REGIONS, SEGMENTS, DAYS), min_size=0, max_size=60)


def _to_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["score", "region", "segment", "day"])
    frame["when"] = [(pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(d))).isoformat() for d in frame["day"]]
    frame["w"] = 1.0
    return frame.drop(columns=["day"])


def _dataset(db: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> store.Dataset:
    return make_dataset(db, frame, dimensions=("region", "segment"), date="when", weight="w")


def _expected(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The breakdown computed independently in pandas, Wald, sorted like the query."""
    scored = frame[frame["score"].notna()].copy()
    for col in by:
        scored[col] = scored[col].astype(object).where(scored[col].notna(), "(blank)")
    scored["P"] = scored["score"] >= 9
    scored["D"] = scored["score"] <= 6
    scored["Pa"] = ~scored["P"] & ~scored["D"]
    g = scored.groupby(by, dropna=False).agg(n=("score", "size"), promoters=("P", "sum"), passives=("Pa", "sum"),
                                             detractors=("D", "sum")).reset_index()
    pp, pd_ = g["promoters"] / g["n"], g["detractors"] / g["n"]
    g["nps"] = (pp - pd_) * 100
    g["se"] = np.sqrt((pp + pd_ - (pp - pd_) ** 2) / g["n"]) * 100
    g["ci_low"] = (g["nps"] - 1.959963984540054 * g["se"]).clip(-100, 100)
    g["ci_high"] = (g["nps"] + 1.959963984540054 * g["se"]).clip(-100, 100)
    return g.sort_values(["n", *by], ascending=[False] + [True] * len(by)).reset_index(drop=True)


def _compare(got: pd.DataFrame, want: pd.DataFrame, by: list[str]) -> None:
    assert list(got[by].itertuples(index=False, name=None)) == list(want[by].itertuples(index=False, name=None))
    for col in ("n", "promoters", "passives", "detractors"):
        assert got[col].tolist() == want[col].astype(int).tolist(), col
    for col in ("nps", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(got[col].to_numpy(dtype=float), want[col].to_numpy(dtype=float), atol=1e-9)
    assert (got["promoters"] + got["passives"] + got["detractors"] == got["n"]).all()


@SETTINGS
@given(rows_strategy, st.sampled_from([["region"], ["segment"], ["region", "segment"]]))
def test_breakdown_equals_pandas(db: duckdb.DuckDBPyConnection, rows: list[tuple], by: list[str]) -> None:
    frame = _to_frame(rows)
    ds = _dataset(db, frame)
    got = queries.breakdown(db, ds, by, opts=Options(method="wald"))
    _compare(got, _expected(frame, by), by)
    total = queries.overall(db, ds, opts=Options(method="wald"))
    assert total.n == int(frame["score"].notna().sum()) == got["n"].sum()
    if total.n:
        assert -100 <= total.nps <= 100


@SETTINGS
@given(rows_strategy, st.sampled_from(["North", "South", "Éast", "(blank)", "nowhere"]))
def test_filtered_breakdown_equals_pandas(db: duckdb.DuckDBPyConnection, rows: list[tuple], region: str) -> None:
    frame = _to_frame(rows)
    ds = _dataset(db, frame)
    flt = Filter.build(include={"region": [region]})
    got = queries.breakdown(db, ds, ["segment"], flt, Options(method="wald"))
    keep = frame["region"].isna() if region == "(blank)" else frame["region"] == region
    _compare(got, _expected(frame[keep], ["segment"]), ["segment"])
    nothing = queries.breakdown(db, ds, ["segment"], Filter.build(include={"region": ["nowhere"]}))
    assert nothing.empty
    assert queries.overall(db, ds, Filter.build(include={"region": ["nowhere"]})).n == 0


@SETTINGS
@given(rows_strategy, st.integers(min_value=0, max_value=2**31))
def test_breakdown_ignores_row_order(db: duckdb.DuckDBPyConnection, rows: list[tuple], seed: int) -> None:
    frame = _to_frame(rows)
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    a = queries.breakdown(db, _dataset(db, frame), ["region", "segment"])
    b = queries.breakdown(db, _dataset(db, shuffled), ["region", "segment"])
    pd.testing.assert_frame_equal(a, b)


@SETTINGS
@given(rows_strategy, methods)
def test_unit_weights_equal_unweighted(db: duckdb.DuckDBPyConnection, rows: list[tuple], method: str) -> None:
    ds = _dataset(db, _to_frame(rows))
    plain = queries.breakdown(db, ds, ["region"], opts=Options(method=method))
    weighted = queries.breakdown(db, ds, ["region"], opts=Options(method=method, weighted=True))
    assert (weighted["effective_n"] == weighted["n"]).all()
    pd.testing.assert_frame_equal(plain, weighted[list(plain.columns)], check_dtype=False)
    a = queries.overall(db, ds, opts=Options(method=method))
    b = queries.overall(db, ds, opts=Options(method=method, weighted=True))
    for field in ("n", "promoters", "passives", "detractors", "nps", "se", "ci_low", "ci_high", "low_n"):
        assert getattr(a, field) == pytest.approx(getattr(b, field), nan_ok=True), field


@SETTINGS
@given(rows_strategy, st.sampled_from(["week", "month", "quarter"]))
def test_trend_counts_add_up(db: duckdb.DuckDBPyConnection, rows: list[tuple], grain: str) -> None:
    frame = _to_frame(rows)
    ds = _dataset(db, frame)
    t = queries.trend(db, ds, grain, by=["region"])
    assert t["n"].sum() == int(frame["score"].notna().sum())
    if not t.empty:
        periods = sorted(t["period"].unique())
        # every series has every period from the first to the last
        assert len(t) == len(periods) * t["region"].nunique()
        assert t.loc[t["n"] == 0, "nps"].isna().all()
    shares = queries.distribution(db, ds)
    assert len(shares) == 11 and shares["n"].sum() == int(frame["score"].notna().sum())
