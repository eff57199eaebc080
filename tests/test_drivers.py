"""Key-driver analysis (nps.drivers): LMG against brute-force Shapley, planted importances found within their
intervals, the logistic variant against statsmodels, the guard rails' sentences, the quadrant, per segment."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nps.drivers import (
    Driver,
    Moments,
    distinct_rows,
    DriverResult,
    importance_performance,
    key_drivers,
    key_drivers_by,
    lmg,
    lmg_from_correlation_matrix,
    lmg_from_correlations,
    mcfadden_shapley,
    performance,
    shapley,
)


def _r2(x: np.ndarray, y: np.ndarray, subset: tuple[int, ...]) -> float:
    if not subset:
        return 0.0
    design = np.column_stack([np.ones(len(y)), x[:, list(subset)]])
    beta = np.linalg.lstsq(design, y, rcond=None)[0]
    return float(1 - np.sum((y - design @ beta) ** 2) / np.sum((y - y.mean()) ** 2))


def _brute_shapley(k: int, value) -> list[float]:
    """Shapley values by averaging over every order of entry (k! orders), independent of nps.drivers.shapley."""
    from itertools import permutations

    total = np.zeros(k)
    orders = list(permutations(range(k)))
    for order in orders:
        inside: tuple[int, ...] = ()
        for j in order:
            after = tuple(sorted((*inside, j)))
            total[j] += value(after) - value(inside)
            inside = after
    return list(total / len(orders))


# --- LMG is the Shapley decomposition of R² ------------------------------------------------------

SMALL_X = np.array([[1, 2, 5], [2, 2, 4], [3, 4, 4], [4, 3, 2], [5, 5, 1], [2, 1, 3], [4, 5, 2], [1, 1, 5],
                    [3, 3, 3], [5, 4, 1]], dtype=float)
SMALL_Y = np.array([2, 3, 6, 6, 10, 2, 9, 1, 5, 9], dtype=float)


def test_lmg_equals_brute_force_shapley_three_items() -> None:
    importances, r2 = lmg(SMALL_X, SMALL_Y)
    brute = _brute_shapley(3, lambda s: _r2(SMALL_X, SMALL_Y, s))
    assert importances == pytest.approx(brute, abs=1e-10)
    assert r2 == pytest.approx(_r2(SMALL_X, SMALL_Y, (0, 1, 2)), abs=1e-12)
    assert [round(float(v), 4) for v in importances] == [0.3499, 0.3779, 0.2671]
    assert round(r2, 4) == 0.9949
    assert lmg_from_correlations(SMALL_X, SMALL_Y)[0] == pytest.approx(importances, abs=1e-10)


def test_lmg_equals_brute_force_shapley_four_items() -> None:
    rng = np.random.default_rng(4)
    x = rng.integers(1, 6, size=(40, 4)).astype(float)
    x[:, 1] = np.clip(x[:, 0] + rng.integers(-1, 2, 40), 1, 5)  # correlated with the first
    y = 2 * x[:, 0] + x[:, 2] - 0.5 * x[:, 3] + rng.normal(0, 1.5, 40)
    importances, r2 = lmg(x, y)
    assert importances == pytest.approx(_brute_shapley(4, lambda s: _r2(x, y, s)), abs=1e-10)
    assert sum(importances) == pytest.approx(r2, abs=1e-12)
    assert shapley(4, lambda s: _r2(x, y, s)) == pytest.approx(importances, abs=1e-10)
    assert lmg_from_correlations(x, y)[0] == pytest.approx(importances, abs=1e-10)


def test_perfectly_collinear_items_fall_back_to_the_pseudo_inverse() -> None:
    x = np.column_stack([SMALL_X[:, :2], SMALL_X[:, 0] + SMALL_X[:, 1]])
    with pytest.warns(UserWarning, match="rank deficient"):
        expected, _ = lmg(x, SMALL_Y)
    assert lmg_from_correlations(x, SMALL_Y)[0] == pytest.approx(expected, abs=1e-8)


def test_the_shapley_values_of_a_known_game() -> None:
    # The glove game: player 0 holds a left glove, players 1 and 2 a right one; a pair is worth 1.
    worth = {(): 0, (0,): 0, (1,): 0, (2,): 0, (0, 1): 1, (0, 2): 1, (1, 2): 0, (0, 1, 2): 1}
    assert shapley(3, lambda s: worth[s]) == pytest.approx([2 / 3, 1 / 6, 1 / 6])


# --- planted importances come back ---------------------------------------------------------------


def _planted(n: int, seed: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """Three items, the first two correlated (0.5), the score 2·a + 1·b + 0.25·c + noise; and the true LMG."""
    cov_x = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]])
    beta = np.array([2.0, 1.0, 0.25])
    noise = 2.0
    rng = np.random.default_rng(seed)
    x = rng.multivariate_normal(np.zeros(3), cov_x, size=n)
    y = x @ beta + rng.normal(0, noise, n)
    # The population R² of each subset, from the covariances: b_S' Σ_SS b_S with b_S = Σ_SS⁻¹ Σ_Sy.
    var_y = beta @ cov_x @ beta + noise**2
    cov_xy = cov_x @ beta

    def r2(subset: tuple[int, ...]) -> float:
        if not subset:
            return 0.0
        idx = list(subset)
        return float(cov_xy[idx] @ np.linalg.solve(cov_x[np.ix_(idx, idx)], cov_xy[idx]) / var_y)

    true = dict(zip(["speed", "staff", "price"], _brute_shapley(3, r2)))
    frame = pd.DataFrame({"score": y, "speed": x[:, 0], "staff": x[:, 1], "price": x[:, 2]})
    return frame, true


def test_planted_importances_are_ranked_and_within_their_intervals() -> None:
    frame, true = _planted(3000, seed=11)
    result = key_drivers(frame, ["price", "staff", "speed"], bootstrap=200, seed=1)
    assert result.computed and result.n == 3000 and result.dropped_missing == 0
    assert [d.item for d in result.drivers] == ["speed", "staff", "price"]
    assert sorted(true, key=true.get, reverse=True) == ["speed", "staff", "price"]
    for d in result.drivers:
        assert d.importance_low <= true[d.item] <= d.importance_high, d
        assert d.importance_low <= d.importance <= d.importance_high
        assert d.direction == "+"
    assert result.r2 == pytest.approx(sum(true.values()), abs=0.03)
    assert sum(d.share for d in result.drivers) == pytest.approx(1.0)
    assert result.warnings == ()


def test_a_negative_coefficient_is_a_minus_direction() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 2))
    frame = pd.DataFrame({"score": 3 * x[:, 0] - 2 * x[:, 1] + rng.normal(size=200), "a": x[:, 0], "b": x[:, 1]})
    result = key_drivers(frame, ["a", "b"], bootstrap=0)
    assert [(d.item, d.direction) for d in result.drivers] == [("a", "+"), ("b", "−")]
    assert math.isnan(result.drivers[0].importance_low)  # no resamples, no interval


def test_the_same_seed_gives_the_same_intervals() -> None:
    frame, _ = _planted(300, seed=3)
    one = key_drivers(frame, ["speed", "staff", "price"], bootstrap=30, seed=7)
    two = key_drivers(frame, ["speed", "staff", "price"], bootstrap=30, seed=7)
    assert one == two


# --- the bootstrap from each resample's counts ----------------------------------------------------


def _rated(n: int = 300) -> pd.DataFrame:
    """Four correlated 1–5 items and a 0–10 score they drive (seeded)."""
    rng = np.random.default_rng(11)
    latent = 0.6 * rng.standard_normal(n)[:, None] + 0.8 * rng.standard_normal((n, 4))
    items = np.clip(np.rint(3 + latent), 1, 5)
    score = np.clip(np.rint(6 + latent @ np.array([1.2, 0.8, 0.4, 0.1]) + rng.standard_normal(n)), 0, 10)
    frame = pd.DataFrame(items, columns=["speed", "staff", "price", "app"])
    frame.insert(0, "score", score)
    return frame


def test_the_bootstrap_from_counts_gives_the_intervals_of_the_copied_resamples() -> None:
    # Literal values: what the bootstrap gave when it copied each resample's rows and correlated them
    # (before the resample's correlations came from its counts, for speed at 1M responses).
    result = key_drivers(_rated(), ["speed", "staff", "price", "app"], bootstrap=50, seed=1)
    assert result.r2 == pytest.approx(0.7505160335816622, abs=1e-12)
    expected = {
        "speed": (0.3382071687118028, 0.3004167633016229, 0.3923987216916168),
        "staff": (0.2640057424557757, 0.20724980172363935, 0.3320472600000234),
        "price": (0.08720044069315026, 0.0560878018964753, 0.11511215156571053),
        "app": (0.06110268172093391, 0.03518990908911309, 0.08545154740989847),
    }
    assert [d.item for d in result.drivers] == list(expected)
    for d in result.drivers:
        assert (d.importance, d.importance_low, d.importance_high) == pytest.approx(expected[d.item], abs=1e-12)


def test_resamples_where_an_item_never_varies_are_left_out_as_before() -> None:
    # "rare" is 4 in one row of 40: about a third of the resamples never draw it and are skipped.
    frame = pd.DataFrame({"score": [9, 8, 7, 10, 6, 5, 9, 9, 8, 7] * 4, "rare": [3] * 39 + [4],
                          "other": [1, 2, 3, 4, 5] * 8})
    result = key_drivers(frame, ["rare", "other"], bootstrap=30, seed=2)
    expected = {"rare": (0.006864236030902701, 0.004564734793732523, 0.033930767662985736),
                "other": (0.001581709915043249, 0.0008005179249445166, 0.2411923252364363)}
    assert result.r2 == pytest.approx(0.008445945945946054, abs=1e-12)
    for d in result.drivers:
        assert (d.importance, d.importance_low, d.importance_high) == pytest.approx(expected[d.item], abs=1e-12)


def test_the_logistic_variant_on_distinct_rows_gives_the_former_values() -> None:
    # Literal values: what the logistic variant gave when it fitted every response (and every resample's
    # copied rows) instead of the distinct rows weighted by their counts.
    result = key_drivers(_rated().iloc[:120], ["speed", "staff", "price"], bootstrap=20, seed=3, method="logistic")
    expected = {
        "speed": (0.3902012716095825, 0.2368091050695154, 0.6202278652517594),
        "staff": (0.0945524930111539, 0.029289845429948926, 0.1892851128128506),
        "price": (0.028036686229311582, 0.00404375105737105, 0.1491257929568655),
    }
    assert result.r2 == pytest.approx(0.5127904508500479, abs=1e-12)
    assert [d.item for d in result.drivers] == list(expected)
    for d in result.drivers:
        assert (d.importance, d.importance_low, d.importance_high) == pytest.approx(expected[d.item], abs=1e-12)


def test_weighted_distinct_rows_fit_as_every_response() -> None:
    rng = np.random.default_rng(4)
    x = rng.integers(1, 6, size=(400, 3)).astype(float)
    y = (x[:, 0] + rng.normal(0, 1.5, 400) > 4).astype(float)
    rows, row_of = distinct_rows(np.column_stack([y, x]))
    assert len(rows) < 400 and np.array_equal(rows[row_of], np.column_stack([y, x]))
    assert len(np.unique(rows, axis=0)) == len(rows)
    weighted = mcfadden_shapley(rows[:, 1:], rows[:, 0], np.bincount(row_of).astype(float))
    every = mcfadden_shapley(x, y)
    assert weighted[0] == pytest.approx(every[0], abs=1e-12) and weighted[1] == pytest.approx(every[1], abs=1e-12)


def test_distinct_rows_of_values_too_many_for_one_key_compare_whole_rows() -> None:
    z = np.column_stack([np.arange(3000.0), np.arange(3000.0) % 7, np.arange(3000.0) * 0.5] * 7)
    z[1] = z[0]
    rows, row_of = distinct_rows(z)
    assert len(rows) == 2999 and row_of[0] == row_of[1] and np.array_equal(rows[row_of], z)


@settings(deadline=None, max_examples=25)
@given(n=st.integers(5, 200), k=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_a_resamples_correlations_from_its_counts_are_those_of_its_rows(n: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 6, size=(n, k + 1)).astype(float)
    pick = rng.integers(0, n, n)
    rows = z[pick]
    got = Moments(z).correlation(np.bincount(pick, minlength=n))
    if np.any(rows.min(axis=0) == rows.max(axis=0)):
        assert got is None  # a column the resample holds one value of
    else:
        assert got is not None
        assert got == pytest.approx(np.corrcoef(rows, rowvar=False), abs=1e-12)


def test_lmg_from_a_correlation_matrix_is_lmg() -> None:
    frame = _rated()
    x, y = frame[["speed", "staff", "price", "app"]].to_numpy(), frame["score"].to_numpy()
    values, r2 = lmg_from_correlation_matrix(np.corrcoef(np.column_stack([y, x]), rowvar=False))
    expected, expected_r2 = lmg(x, y)
    assert values == pytest.approx(expected, abs=1e-12) and r2 == pytest.approx(expected_r2, abs=1e-12)


# --- the logistic variant -----------------------------------------------------------------------


def test_logistic_is_the_shapley_decomposition_of_mcfaddens_r2() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    x = rng.integers(1, 6, size=(300, 3)).astype(float)
    score = np.clip(np.round(x[:, 0] * 1.5 + x[:, 1] * 0.5 + rng.normal(0, 1.5, 300)), 0, 10)
    y = (score >= 9).astype(float)

    def pseudo(subset: tuple[int, ...]) -> float:
        if not subset:
            return 0.0
        fit = sm.Logit(y, sm.add_constant(x[:, list(subset)])).fit(disp=0)
        return float(fit.prsquared)

    values, total = mcfadden_shapley(x, y)
    assert values == pytest.approx(_brute_shapley(3, pseudo), abs=1e-6)
    assert total == pytest.approx(pseudo((0, 1, 2)), abs=1e-6)
    frame = pd.DataFrame({"score": score, "a": x[:, 0], "b": x[:, 1], "c": x[:, 2]})
    result = key_drivers(frame, ["a", "b", "c"], method="logistic", bootstrap=20)
    assert result.method == "logistic"
    assert result.r2 == pytest.approx(total)
    assert result.drivers[0].item == "a"


def test_logistic_refuses_more_than_six_items() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.integers(1, 6, size=(200, 7)), columns=[f"q{i}" for i in range(7)])
    frame["score"] = rng.integers(0, 11, 200)
    result = key_drivers(frame, [f"q{i}" for i in range(7)], method="logistic")
    assert not result.computed and result.drivers == ()
    assert result.warnings[-1] == ("the logistic variant fits a model per subset of items: at most 6 items, not 7; "
                                   "choose fewer items (--items) or use lmg")


# --- guard rails ---------------------------------------------------------------------------------


def _items_frame(n: int, k: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 6, size=(n, k)).astype(float)
    frame = pd.DataFrame(x, columns=[f"item{i}" for i in range(k)])
    frame["score"] = np.clip(np.round(x.sum(axis=1) / k * 2 + rng.normal(0, 1, n)), 0, 10)
    return frame


def test_fewer_than_30_responses_is_not_computed() -> None:
    result = key_drivers(_items_frame(29, 2), ["item0", "item1"])
    assert (result.computed, result.n, result.drivers, math.isnan(result.r2)) == (False, 29, (), True)
    assert result.warnings == ("only 29 complete responses: drivers need at least 30 and 10 per item (30 for 2 "
                               "item(s)); not computed",)


def test_fewer_than_10_per_item_is_not_computed() -> None:
    result = key_drivers(_items_frame(35, 4), ["item0", "item1", "item2", "item3"])
    assert not result.computed
    assert result.warnings == ("only 35 complete responses: drivers need at least 30 and 10 per item (40 for 4 "
                               "item(s)); not computed",)


def test_an_item_missing_for_many_is_named_and_rows_dropped_listwise() -> None:
    frame = _items_frame(100, 2)
    frame.loc[:24, "item1"] = np.nan  # 25 of 100 missing
    frame.loc[99, "score"] = np.nan
    result = key_drivers(frame, ["item0", "item1"], bootstrap=0)
    assert (result.n, result.dropped_missing) == (74, 26)
    assert result.warnings == (
        "'item1' is missing for 25 of 100 respondents (25%): the drivers rest on those who answered every item",
        "26 response(s) left out: an item or the score missing",
    )


def test_collinear_items_are_named() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=300)
    frame = pd.DataFrame({"a": a, "b": a + rng.normal(0, 0.2, 300), "c": rng.normal(size=300)})
    frame["score"] = frame["a"] + frame["c"] + rng.normal(size=300)
    result = key_drivers(frame, ["a", "b", "c"], bootstrap=0)
    assert result.computed
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("collinear items: 'a' (VIF 2")
    assert "'b' (VIF 2" in result.warnings[0] and "'c'" not in result.warnings[0]
    assert result.warnings[0].endswith("their shares are split between them and less certain (VIF above 5)")


def test_an_item_that_never_varies_is_not_computed() -> None:
    frame = _items_frame(60, 2)
    frame["item1"] = 3.0
    result = key_drivers(frame, ["item0", "item1"])
    assert result.warnings == ("'item1' never varies: not computed",)


def test_bad_arguments_raise() -> None:
    frame = _items_frame(60, 2)
    with pytest.raises(ValueError, match="unknown method 'ols'"):
        key_drivers(frame, ["item0"], method="ols")
    with pytest.raises(ValueError, match="no items"):
        key_drivers(frame, [])
    with pytest.raises(ValueError, match="each item once"):
        key_drivers(frame, ["item0", "item0"])


def test_by_segment_skips_small_values_with_the_reason() -> None:
    frame = _items_frame(130, 2, seed=3)
    frame["segment"] = ["B2C"] * 110 + ["B2B"] * 20
    groups = key_drivers_by(frame, ["item0", "item1"], "segment", bootstrap=0)
    assert [value for value, _ in groups] == ["B2C", "B2B"]
    assert groups[0][1].computed and groups[0][1].n == 110
    assert not groups[1][1].computed
    assert groups[1][1].warnings == ("only 20 complete responses: drivers need at least 30 and 10 per item (30 for "
                                     "2 item(s)); not computed",)


# --- the quadrant --------------------------------------------------------------------------------


def _driver(item: str, share: float, mean: float, corr: float, direction: str = "+") -> Driver:
    return Driver(item=item, importance=share / 2, share=share, importance_low=0.0, importance_high=1.0, mean=mean,
                  direction=direction, correlation=corr, scale=(1, 5))


def test_the_quadrant_names_each_item() -> None:
    result = DriverResult(
        outcome="score", method="lmg", n=500, r2=0.5, dropped_missing=0, level=0.95, warnings=(),
        drivers=(_driver("speed", 0.4, 3.0, 0.5), _driver("quality", 0.3, 4.6, 0.6), _driver("staff", 0.2, 4.2, 0.2),
                 _driver("price", 0.1, 2.2, 0.3, "−")),
    )
    frame = importance_performance(result)
    assert frame.to_dict("records") == [
        {"item": "speed", "importance": 0.4, "performance": 50.0, "mean": 3.0, "direction": "+",
         "quadrant": "fix first"},
        {"item": "quality", "importance": 0.3, "performance": pytest.approx(90.0), "mean": 4.6, "direction": "+",
         "quadrant": "keep up"},
        {"item": "staff", "importance": 0.2, "performance": pytest.approx(80.0), "mean": 4.2, "direction": "+",
         "quadrant": "maintain"},
        {"item": "price", "importance": 0.1, "performance": pytest.approx(30.0), "mean": 2.2, "direction": "−",
         "quadrant": "monitor"},
    ]
    simple = importance_performance(result, mode="correlation")
    assert list(simple["item"]) == ["quality", "speed", "price", "staff"]
    assert list(simple["quadrant"]) == ["keep up", "fix first", "monitor", "maintain"]
    with pytest.raises(ValueError, match="unknown mode"):
        importance_performance(result, mode="size")


def test_the_quadrant_of_an_analysis_not_computed_is_empty() -> None:
    result = key_drivers(_items_frame(10, 2), ["item0", "item1"])
    frame = importance_performance(result)
    assert frame.empty and list(frame.columns) == ["item", "importance", "performance", "mean", "direction",
                                                   "quadrant"]


def test_performance_rescales_the_mean_on_its_scale() -> None:
    assert performance(3.0, (1, 5)) == 50.0
    assert performance(7.0, (0, 10)) == 70.0
    assert performance(4.0, (1, 7)) == 50.0


def test_the_scale_of_an_item_is_the_smallest_that_holds_it() -> None:
    frame = _items_frame(80, 1)
    frame["wide"] = np.resize(np.arange(0, 11), 80)
    frame["seven"] = np.resize(np.arange(1, 8), 80)
    result = key_drivers(frame, ["item0", "wide", "seven"], bootstrap=0)
    assert {d.item: d.scale for d in result.drivers} == {"item0": (1, 5), "wide": (0, 10), "seven": (1, 7)}


# --- invariants ----------------------------------------------------------------------------------


@settings(deadline=None)
@given(
    k=st.integers(2, 4),
    n=st.integers(40, 80),
    seed=st.integers(0, 10_000),
    weights=st.lists(st.floats(-3, 3), min_size=4, max_size=4),
)
def test_importances_are_non_negative_and_sum_to_r2(k: int, n: int, seed: int, weights: list[float]) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 6, size=(n, k)).astype(float)
    score = np.clip(np.round(5 + x @ np.array(weights[:k]) / 3 + rng.normal(0, 2, n)), 0, 10)
    frame = pd.DataFrame(x, columns=[f"i{j}" for j in range(k)]).assign(score=score)
    result = key_drivers(frame, [f"i{j}" for j in range(k)], bootstrap=0)
    if not result.computed:
        return
    assert all(d.importance >= -1e-12 for d in result.drivers)
    assert sum(d.importance for d in result.drivers) == pytest.approx(result.r2, abs=1e-9)
    assert 0 <= result.r2 <= 1
    if result.r2 > 0:
        assert sum(d.share for d in result.drivers) == pytest.approx(1.0)
    assert [d.importance for d in result.drivers] == sorted((d.importance for d in result.drivers), reverse=True)
