"""Numbers that don't cry wolf: multiplicity control, honest intervals and tests, low n, weighted shares."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nps import narrative, stats
from nps import query as queries
from nps.query import simulation
from nps.query.options import Options

from .factories import make_dataset

NAN = math.nan


# --- the adjustments themselves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "p", "expected"),
    [
        # BH: sorted .01 .03 .04 .2 (m = 4) -> .04, .06, .0533, .2; then the running minimum from the top
        ("bh", [0.01, 0.04, 0.03, NAN, 0.2], [0.04, 0.053333, 0.053333, NAN, 0.2]),
        # Holm: 4·.01, 3·.03, 2·.04 (raised to .09 by the running maximum), 1·.2
        ("holm", [0.01, 0.04, 0.03, NAN, 0.2], [0.04, 0.09, 0.09, NAN, 0.2]),
        ("none", [0.01, 0.04, 0.03, NAN, 0.2], [0.01, 0.04, 0.03, NAN, 0.2]),
        ("bh", [0.5, 0.9], [0.9, 0.9]),
        ("holm", [0.6, 0.7], [1.0, 1.0]),  # capped at 1
        ("bh", [NAN, NAN], [NAN, NAN]),
        ("holm", [], []),
    ],
)
def test_adjusted_p_values(method: str, p: list[float], expected: list[float]) -> None:
    got = stats.adjust_p_values(p, method)
    assert got.shape == (len(expected),)
    for g, e in zip(got, expected):
        assert (math.isnan(g) and math.isnan(e)) or g == pytest.approx(e, abs=1e-6)


def test_flag_tests_counts_only_real_tests() -> None:
    adjusted, significant, family = stats.flag_tests([0.001, NAN, 0.04, 0.02], level=0.95, multiplicity="holm")
    # Holm over 3 tests: .003, .04 (2·.02), .04 (1·.04 raised by the running maximum)
    assert adjusted[0] == pytest.approx(0.003) and math.isnan(adjusted[1])
    assert significant.tolist() == [True, False, True, True]
    assert family == stats.Family("holm", 3, 0.95)
    assert family.as_dict() == {"method": "holm", "tests": 3, "level": 0.95}
    with pytest.raises(ValueError, match="unknown multiplicity"):
        stats.flag_tests([0.1], multiplicity="bonferonni")


@settings(deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_bh_agrees_with_scipy(p: list[float]) -> None:
    from scipy.stats import false_discovery_control

    assert stats.adjust_p_values(p, "bh") == pytest.approx(false_discovery_control(p, method="bh"), abs=1e-12)


@settings(deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.sampled_from(["bh", "holm"]))
def test_adjusted_p_is_never_below_the_raw_p(p: list[float], method: str) -> None:
    adjusted = stats.adjust_p_values(p, method)
    assert (adjusted >= np.asarray(p) - 1e-12).all() and (adjusted <= 1).all()
    # Holm is never more lenient than BH
    assert (stats.adjust_p_values(p, "holm") >= stats.adjust_p_values(p, "bh") - 1e-12).all()


# --- the complete null and a planted difference ---------------------------------------------------


@pytest.mark.slow
def test_under_the_null_each_screen_flags_about_the_nominal_share_of_datasets() -> None:
    rates = simulation.simulate(400, groups=8, seed=11)
    # Nominal 5%; 400 datasets give a standard error of 1.1 points, so 9% is 3.6 standard errors out.
    for screen in simulation.SCREENS:
        assert getattr(rates, screen) <= 0.09, screen
    assert rates.anywhere <= 0.30  # four screens, each about 5%
    # Without control the same datasets cry wolf on every screen but the tiles (the old behaviour).
    raw = simulation.simulate(400, groups=8, seed=11, opts=Options(multiplicity="none"))
    assert raw.segments >= 0.20 and raw.review >= 0.20 and raw.trend >= 0.20
    assert raw.anywhere >= 0.60


@pytest.mark.slow
def test_a_planted_difference_is_still_found() -> None:
    # One segment 20 points above the others (10% of its responses moved from detractor to promoter), n 150 each.
    rates = simulation.simulate(200, groups=8, planted=0.10, seed=5)
    assert rates.power >= 0.40


def test_simulation_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="at least 2 groups"):
        simulation.simulate(1, groups=1)
    with pytest.raises(ValueError, match="three fractions"):
        simulation.simulate(1, shares=(0.5, 0.6, 0.1))
    with pytest.raises(ValueError, match="planted"):
        simulation.simulate(1, planted=0.5)


# --- intervals contain their estimate; plain differences -------------------------------------------


def test_one_promoter_gets_an_interval_that_contains_plus_100() -> None:
    r = stats.score_counts(0, 0, 1)
    assert r.nps == 100.0
    # Score interval: (1 − θ)² = z²(1 − θ²) at n = 1, so θ = (1 − z²)/(1 + z²) = −0.5869.
    z2 = stats.z_value(0.95) ** 2
    assert r.ci_low == pytest.approx(100 * (1 - z2) / (1 + z2), abs=1e-6)
    assert r.ci_high == 100.0


def test_score_interval_against_a_brute_force_grid() -> None:
    # Every θ on a fine grid whose score statistic is within z, found without the bisections.
    d, pa, p = 1, 2, 7
    n = d + pa + p
    est = (p - d) / n
    z = stats.z_value(0.95)
    inside = []
    for theta in np.linspace(-1, 1, 20001):
        t_grid = np.linspace(max(0, -theta), (1 - theta) / 2, 4001)[1:-1]
        pa_grid = 1 - 2 * t_grid - theta
        ok = (t_grid > 0) & (t_grid + theta > 0) & (pa_grid > 0)
        if not ok.any():
            continue
        t_grid, pa_grid = t_grid[ok], pa_grid[ok]
        loglik = d * np.log(t_grid) + pa * np.log(pa_grid) + p * np.log(t_grid + theta)
        t = t_grid[np.argmax(loglik)]
        var = 2 * t + theta - theta**2
        if (est - theta) ** 2 <= z**2 * var / n:
            inside.append(theta)
    low, high = stats.score_interval([d], [pa], [p])
    assert low[0] == pytest.approx(100 * min(inside), abs=0.02)
    assert high[0] == pytest.approx(100 * max(inside), abs=0.02)


@settings(deadline=None)
@given(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40), st.sampled_from(stats.METHODS),
       st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_every_interval_contains_its_estimate(d: int, pa: int, p: int, method: str, level: float) -> None:
    r = stats.score_counts(d, pa, p, method=method, level=level)
    if d + pa + p == 0:
        assert math.isnan(r.ci_low)
        return
    assert r.ci_low - 1e-9 <= r.nps <= r.ci_high + 1e-9
    other = stats.score_counts(p, d, pa, method=method, level=level)
    diff = stats.compare_results(r, other, method=method, level=level)
    assert diff.diff == pytest.approx(r.nps - other.nps)
    assert diff.ci_low - 1e-9 <= diff.diff <= diff.ci_high + 1e-9


@settings(deadline=None)
@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30), st.integers(0, 30), st.integers(0, 30),
       st.integers(0, 30))
def test_zero_se_never_makes_a_difference_significant(d1: int, a1: int, p1: int, d2: int, a2: int, p2: int) -> None:
    a, b = stats.score_counts(d1, a1, p1, method="wald"), stats.score_counts(d2, a2, p2, method="wald")
    diff = stats.compare_results(a, b, method="wald")
    if math.isnan(diff.diff):
        return
    # A test that only sees the pooled SE: 0 only when both groups are one and the same category.
    if diff.p_value == 0.0:
        pytest.fail(f"p = 0 for {a} vs {b}")
    if diff.diff == 0:
        assert diff.significant is False


def test_executive_change_is_the_plain_difference() -> None:
    # The case: Executive +44.4 now (5 P, 3 Pa, 1 D) vs 0.0 before, once shown as a change of +33.3
    # (the difference of the adjusted NPS); the change shown is that of the NPS shown.
    now, before = stats.score_counts(1, 3, 5), stats.score_counts(1, 2, 1)
    d = stats.compare_results(now, before)
    assert now.nps == pytest.approx(44.4444, abs=1e-4) and before.nps == 0.0
    assert d.diff == pytest.approx(44.4444, abs=1e-4)
    assert d.ci_low <= d.diff <= d.ci_high


# --- low n: one rule for chart, text and tests -------------------------------------------------------


def _rows(groups: dict[str, tuple[int, int, int]]) -> pd.DataFrame:
    rows = []
    for name, (d, pa, p) in groups.items():
        rows += [(0, name)] * d + [(7, name)] * pa + [(10, name)] * p
    return pd.DataFrame({"score": [r[0] for r in rows], "region": [r[1] for r in rows]})


def test_a_group_under_the_minimum_n_gets_no_marker(con: duckdb.DuckDBPyConnection) -> None:
    # "Tiny" (n 28, all detractors) is far below the rest but too small to test.
    frame = _rows({"Big": (60, 60, 80), "Other": (60, 60, 80), "Tiny": (28, 0, 0)})
    ds = make_dataset(con, frame, dimensions=("region",))
    out = queries.breakdown(con, ds, ["region"], opts=Options(min_n=30)).set_index("region")
    assert math.isnan(out.loc["Tiny", "vs_rest_p"]) and not out.loc["Tiny", "vs_rest_significant"]
    assert out.attrs["family"] == {"method": "bh", "tests": 2, "level": 0.95}
    from nps.charts import tables

    assert "Tiny" not in tables.describe_vs_rest(out.reset_index(), "region")
    # with min_n 20 it is tested and flagged, after BH across three tests
    low = queries.breakdown(con, ds, ["region"], opts=Options(min_n=20)).set_index("region")
    assert low.loc["Tiny", "vs_rest_significant"] and low.attrs["family"]["tests"] == 3


def test_breakdown_flags_follow_the_adjusted_p(con: duckdb.DuckDBPyConnection) -> None:
    frame = _rows({f"g{i}": (30, 30, 40) for i in range(6)} | {"high": (15, 30, 55)})
    ds = make_dataset(con, frame, dimensions=("region",))
    for control in ("bh", "holm", "none"):
        out = queries.breakdown(con, ds, ["region"], opts=Options(multiplicity=control))
        expected = stats.adjust_p_values(out["vs_rest_p"].to_numpy(), control)
        assert np.allclose(out["vs_rest_p_adjusted"].to_numpy(), expected, equal_nan=True)
        assert (out["vs_rest_significant"] == (out["vs_rest_p_adjusted"] < 0.05)).all()
        assert out.attrs["family"] == {"method": control, "tests": 7, "level": 0.95}


# --- the Overview's tiles --------------------------------------------------------------------------


def test_tiles_are_one_holm_family() -> None:
    now, before = stats.score_counts(300, 300, 400), stats.score_counts(330, 300, 370)
    tiles = queries.tile_changes(now, before, Options())
    assert list(tiles) == ["nps", "promoters", "passives", "detractors"]
    raw = [tiles[k].p_value for k in tiles]
    assert [tiles[k].p_adjusted for k in tiles] == pytest.approx(list(stats.adjust_p_values(raw, "holm")))
    assert all(t.tests == 4 and t.multiplicity == "holm" for t in tiles.values())
    # shares: 40.0% vs 37.0% promoters, pooled two-proportion test
    assert tiles["promoters"].diff == pytest.approx(3.0)
    pooled = 770 / 2000
    z = 0.03 / math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    assert tiles["promoters"].p_value == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)


def test_weighted_tiles_use_the_effective_n_not_the_sum_of_weights() -> None:
    # Expansion weights of ~1000: a sum of weights of 100,000 must not be taken for n.
    now = stats.score_weighted(30_000.0, 30_000.0, 40_000.0, n=100, effective_n=100.0)
    before = stats.score_weighted(32_000.0, 30_000.0, 38_000.0, n=100, effective_n=100.0)
    tiles = queries.tile_changes(now, before, Options(weighted=True))
    for key in ("promoters", "passives", "detractors"):
        assert tiles[key].p_value > 0.5, key  # 2 points on n 100 is noise
        assert not tiles[key].significant
    unweighted = stats.compare_shares(40, 100, 38, 100)
    assert tiles["promoters"].p_value == pytest.approx(unweighted.p_value)


# --- words ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "text"),
    [
        ({"method": "bh", "tests": 6, "level": 0.95},
         "▲: Benjamini–Hochberg control of the false discovery rate at 5% across 6 tests; "
         "groups under the minimum n are not tested."),
        ({"method": "holm", "tests": 4, "level": 0.9},
         "▲: Holm control of the family-wise error rate at 10% across 4 tests; groups under the minimum n are not tested."),
        ({"method": "none", "tests": 3, "level": 0.99},
         "▲: 3 tests at 1% each, not adjusted for multiplicity; groups under the minimum n are not tested."),
        ({"method": "bh", "tests": 0, "level": 0.95},
         "▲: nothing tested (every group is under the minimum n or has nothing to compare with)."),
    ],
)
def test_describe_family(family: dict[str, object], text: str) -> None:
    assert narrative.describe_family(family, "▲") == text
    assert narrative.describe_family(stats.Family(**family), "▲") == text  # type: ignore[arg-type]


def test_describe_change_names_the_adjusted_p() -> None:
    assert narrative.describe_change(-5.6, 0.017, True, "previous period", tests=4, multiplicity="holm") == (
        "−5.6 points vs the previous period: a real change (adjusted p = 0.017).")
    assert narrative.describe_change(2.0, NAN, False, "previous period") == (
        "+2.0 points vs the previous period: too few responses to test (below the minimum n).")


def test_breakdown_table_names_the_level_and_untested_groups() -> None:
    from nps.charts import tables

    frame = pd.DataFrame({
        "region": ["A", "B"], "n": [100, 10], "promoters": [50, 5], "passives": [30, 3], "detractors": [20, 2],
        "nps": [30.0, 30.0], "ci_low": [20.0, 0.0], "ci_high": [40.0, 60.0], "low_n": [False, True],
        "vs_rest": [0.0, 0.0], "vs_rest_p": [1.0, NAN], "vs_rest_significant": [False, False],
    })
    out = tables.breakdown_table(frame, "region", level=0.9)
    assert list(out.columns) == ["region", "n", "NPS", "90% interval", "promoters", "passives", "detractors",
                                 "vs rest", "note"]
    assert out["vs rest"].tolist() == ["0.0", "0.0 (not tested)"]
    assert out["90% interval"].tolist() == ["+20.0 to +40.0", "0.0 to +60.0"]
