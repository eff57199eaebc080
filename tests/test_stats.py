"""nps.stats against literal reference values (R package NPS, Rocks 2016) and edge cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from nps import stats
from nps.stats import NpsResult, add_change, add_stats, compare_results, score_counts

A = 1e-4  # points


def approx(value: float) -> object:
    return pytest.approx(value, abs=A)


# D, Pa, P -> n, NPS, SE, Wald 95%, adjusted-Wald 95%   (None: not given by the reference)
REFERENCE = [
    ((362, 176, 462), 1000, 10.0, 2.85307, (4.40809, 15.59191), (4.38967, 15.55051)),
    ((2, 1, 7), 10, 50.0, 25.4951, (0.0305, 99.9695), (-5.6925, 82.6156)),
    ((0, 0, 10), 10, 100.0, 0.0, (100.0, 100.0), (47.5036, 100.0)),
    ((3, 0, 3), 6, 0.0, 40.8248, None, (-59.6398, 59.6398)),
    ((75, 675, 250), 1000, 17.5, 1.71574, (14.1372, 20.8628), None),
    ((1, 2, 3), 6, 33.3333, 30.4290, None, None),
    # By Region of the R test data
    ((184, 83, 240), 507, 11.04536, 4.03166, None, None),
    ((99, 50, 110), 259, 4.24710, 5.57555, None, None),
    ((42, 23, 74), 139, 23.02158, 7.49836, None, None),
    ((37, 20, 38), 95, 1.05263, 9.11542, None, None),
]


@pytest.mark.parametrize(("counts", "n", "nps", "se", "wald", "adjusted"), REFERENCE, ids=lambda v: str(v))
def test_reference_values(counts: tuple[int, int, int], n: int, nps: float, se: float,
                          wald: tuple[float, float] | None, adjusted: tuple[float, float] | None) -> None:
    w = score_counts(*counts, method="wald")
    a = score_counts(*counts)  # adjusted-wald is the default
    for r in (w, a):
        assert r.n == n
        assert (r.detractors, r.passives, r.promoters) == counts
        assert r.nps == approx(nps)
        assert r.se == approx(se)
    if wald:
        assert (w.ci_low, w.ci_high) == (approx(wald[0]), approx(wald[1]))
    if adjusted:
        assert (a.ci_low, a.ci_high) == (approx(adjusted[0]), approx(adjusted[1]))


def test_adjusted_interval_is_centred_on_the_adjusted_nps() -> None:
    r = score_counts(362, 176, 462)
    assert (r.ci_low + r.ci_high) / 2 == approx(9.97009)
    # 0/0/10: the upper bound 106.3426 is clamped; the centre is (10.75 − 0.75)/13.
    top = score_counts(0, 0, 10)
    centre = (10.75 - 0.75) / 13 * 100
    assert 2 * centre - top.ci_low == approx(106.3426)
    assert top.ci_high == 100.0


@pytest.mark.parametrize(
    ("a", "b", "method", "diff", "se", "ci", "p"),
    [
        # p: the pooled score test, SE₀ = 100·sqrt((pP + pD − (pP − pD)²)(1/na + 1/nb)) on the pooled shares
        # (NAM+EMEA: pP 350/766, pD 283/766, SE₀ 6.91080); the same whatever the interval method.
        ((184, 83, 240), (99, 50, 110), "wald", 6.79826, 6.88048, (-6.68723, 20.28375), 0.32526),
        # adjusted-wald: the plain difference, the adjusted SEs (6.83527), an interval around the plain diff.
        ((184, 83, 240), (99, 50, 110), "adjusted-wald", 6.79826, 6.83527, (-6.59862, 20.19514), 0.32526),
        ((42, 23, 74), (37, 20, 38), "wald", 21.96895, 11.80323, None, 0.06441),
    ],
    ids=["NAM-EMEA-wald", "NAM-EMEA-adjusted", "APAC-LATAM-wald"],
)
def test_difference_of_two_groups(a: tuple[int, int, int], b: tuple[int, int, int], method: str, diff: float,
                                  se: float, ci: tuple[float, float] | None, p: float) -> None:
    d = compare_results(score_counts(*a), score_counts(*b), method=method)
    assert d.diff == approx(diff)
    assert d.se == approx(se)
    if ci:
        assert (d.ci_low, d.ci_high) == (approx(ci[0]), approx(ci[1]))
    assert d.p_value == pytest.approx(p, abs=5e-5)
    assert d.significant is False
    assert (d.method, d.level) == (method, 0.95)


def test_significance_follows_the_level() -> None:
    a, b = score_counts(42, 23, 74), score_counts(37, 20, 38)
    assert compare_results(a, b, method="wald", level=0.90).significant is True  # p 0.0644 < 0.10
    assert compare_results(a, b, method="wald", level=0.95).significant is False


def test_covariance_term_matters() -> None:
    # Treating promoters and detractors as independent would give 1.60273.
    assert score_counts(75, 675, 250).se == approx(1.71574)


@pytest.mark.parametrize("method", stats.METHODS)
def test_no_responses_give_nan_not_an_error(method: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = score_counts(0, 0, 0, method=method)
    assert r.n == 0 and r.low_n
    assert all(math.isnan(v) for v in (r.nps, r.se, r.ci_low, r.ci_high))
    d = compare_results(r, score_counts(1, 1, 1), method=method)
    assert math.isnan(d.diff) and math.isnan(d.p_value) and d.significant is False


@pytest.mark.parametrize(
    ("counts", "nps"), [((10, 0, 0), -100.0), ((0, 5, 0), 0.0), ((0, 0, 40), 100.0)]
)
def test_all_one_category(counts: tuple[int, int, int], nps: float) -> None:
    w = score_counts(*counts, method="wald")
    assert w.nps == nps and w.se == 0.0 and w.ci_low == w.ci_high == nps
    a = score_counts(*counts)
    assert -100 <= a.ci_low < a.ci_high <= 100
    assert a.ci_low <= nps <= a.ci_high


def test_wald_difference_with_zero_se() -> None:
    same = compare_results(score_counts(0, 0, 10), score_counts(0, 0, 20), method="wald")
    assert (same.diff, same.se, same.p_value, same.significant) == (0.0, 0.0, 1.0, False)
    apart = compare_results(score_counts(0, 0, 10), score_counts(10, 0, 0), method="wald")
    # pooled: pP = pD = 0.5, SE₀ = 100·sqrt(1·(1/10 + 1/10)) = 44.72, z = 4.47
    assert apart.diff == 200.0 and apart.significant is True
    assert apart.p_value == pytest.approx(math.erfc(200 / math.sqrt(0.2) / 100 / math.sqrt(2)), rel=1e-9)


@pytest.mark.parametrize("method", stats.METHODS)
def test_one_promoter_against_one_passive_is_not_significant(method: str) -> None:
    # Both Wald SEs are 0 (each group is all one category): the old test said change 100, p = 0.
    d = compare_results(score_counts(0, 0, 1), score_counts(0, 1, 0), method=method)
    assert d.diff == 100.0
    # pooled pP 0.5, pD 0: SE₀ = 100·sqrt(0.25·2) = 70.71, z = 1.414, p = 0.1573
    assert d.p_value == pytest.approx(0.157299, abs=1e-6)
    assert d.significant is False
    assert d.ci_low <= d.diff <= d.ci_high


@pytest.mark.parametrize(("n", "min_n", "low"), [(29, 30, True), (30, 30, False), (5, 5, False), (4, 5, True)])
def test_low_n_flag(n: int, min_n: int, low: bool) -> None:
    assert score_counts(0, n, 0, min_n=min_n).low_n is low


def test_level_widens_the_interval() -> None:
    widths = [score_counts(30, 20, 50, level=lv).ci_high - score_counts(30, 20, 50, level=lv).ci_low
              for lv in (0.80, 0.90, 0.95, 0.99)]
    assert widths == sorted(widths)
    assert stats.z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert stats.z_value(0.90) == pytest.approx(1.644854, abs=1e-6)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: score_counts(1, 2, 3, method="wilson"), "unknown interval method"),
        (lambda: score_counts(1, 2, 3, level=95), "between 0 and 1"),
        (lambda: score_counts(1, 2, 3, level=0), "between 0 and 1"),
        (lambda: score_counts(-1, 2, 3), "detractors must be a count"),
        (lambda: score_counts(1, 2.5, 3), "passives must be a count"),
        (lambda: score_counts(1, 2, 3, min_n=-1), "minimum n"),
        (lambda: stats.score_weighted(1, -2, 3, n=3, effective_n=3), "passives"),
    ],
)
def test_bad_arguments_raise_value_error(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_weighted_uses_shares_and_kish_effective_n() -> None:
    # promoters weighted 1 and 2, one detractor weighted 1: Σw 4, Σw² 6, effective n 16/6.
    eff = stats.kish_effective_n(4.0, 6.0)
    assert eff == pytest.approx(16 / 6)
    r = stats.score_weighted(1.0, 0.0, 3.0, n=3, effective_n=eff, method="wald", min_n=2)
    assert r.n == 3 and r.effective_n == pytest.approx(16 / 6)
    assert r.nps == approx(50.0)
    assert r.se == approx(53.0330)  # sqrt((0.75 + 0.25 − 0.25) / (16/6)) × 100
    assert r.low_n is False
    assert stats.score_weighted(1.0, 0.0, 3.0, n=3, effective_n=eff, min_n=3).low_n is True
    assert stats.kish_effective_n(0.0, 0.0) == 0.0


def test_weighted_with_unit_weights_equals_unweighted() -> None:
    plain = score_counts(362, 176, 462)
    weighted = stats.score_weighted(362.0, 176.0, 462.0, n=1000, effective_n=stats.kish_effective_n(1000, 1000))
    for field in ("nps", "se", "ci_low", "ci_high", "low_n"):
        assert getattr(weighted, field) == pytest.approx(getattr(plain, field))
    assert plain.effective_n is None and weighted.effective_n == 1000


def test_add_stats_matches_score_counts_and_handles_empty_rows() -> None:
    frame = pd.DataFrame({
        "g": ["a", "b", "c", "d"],
        "n": [1000, 10, 0, 6],
        "promoters": [462, 7, 0, 3],
        "passives": [176, 1, 0, 0],
        "detractors": [362, 2, 0, 3],
    })
    for method in stats.METHODS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = add_stats(frame, method=method, level=0.9, min_n=10)
        assert list(out.columns) == list(frame.columns) + list(stats.STAT_COLUMNS)
        assert list(out["low_n"]) == [False, False, True, True]
        assert out.loc[2, ["nps", "se", "ci_low", "ci_high"]].isna().all()
        for i in (0, 1, 3):
            r = score_counts(frame.detractors[i], frame.passives[i], frame.promoters[i], method=method, level=0.9)
            assert out.loc[i, ["nps", "se", "ci_low", "ci_high"]].tolist() == pytest.approx(
                [r.nps, r.se, r.ci_low, r.ci_high])
    assert "nps" not in frame.columns  # the input is left alone


def test_add_stats_on_an_empty_frame() -> None:
    empty = pd.DataFrame({"n": [], "promoters": [], "passives": [], "detractors": []})
    out = add_stats(empty)
    assert out.empty and list(out.columns)[-5:] == list(stats.STAT_COLUMNS)


def test_add_change_matches_keys_and_marks_new_groups() -> None:
    cur = pd.DataFrame({"region": ["NAM", "APAC", "NEW"], "n": [507, 139, 5], "promoters": [240, 74, 5],
                        "passives": [83, 23, 0], "detractors": [184, 42, 0]})
    prev = pd.DataFrame({"region": ["APAC", "NAM"], "n": [259, 95], "promoters": [110, 38],
                         "passives": [50, 20], "detractors": [99, 37]})
    out = add_change(cur, prev, ["region"], method="wald")
    assert list(out.columns[-len(stats.CHANGE_COLUMNS):]) == list(stats.CHANGE_COLUMNS)
    nam = out.set_index("region").loc["NAM"]
    expected = compare_results(score_counts(184, 83, 240), score_counts(37, 20, 38), method="wald")
    assert nam["prev_n"] == 95 and nam["prev_nps"] == approx(1.05263)
    assert nam["change"] == approx(expected.diff) and nam["change_p"] == approx(expected.p_value)
    new = out.set_index("region").loc["NEW"]
    assert new["prev_n"] == 0 and np.isnan(new["change"]) and not new["change_significant"]


def test_difference_frame_rejects_mismatched_lengths() -> None:
    one = pd.DataFrame({"promoters": [1], "passives": [1], "detractors": [1]})
    with pytest.raises(ValueError, match="cannot compare"):
        stats.differences(one, pd.concat([one, one]))


def test_results_are_frozen() -> None:
    r = score_counts(1, 1, 1)
    assert isinstance(r, NpsResult)
    with pytest.raises(AttributeError):
        r.nps = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("a", "b", "method", "diff", "se"),
    [
        ((462, 1000), (420, 1000), "wald", 4.2, 2.21846),  # sqrt(.462·.538/1000 + .42·.58/1000)
        ((9, 10), (3, 10), "wald", 60.0, 17.32051),  # sqrt(.09/10 + .21/10)
        # Agresti–Caffo SE (10/12 vs 4/12 on n 12) around the plain difference of the shares shown
        ((9, 10), (3, 10), "adjusted-wald", 60.0, 17.34722),
    ],
)
def test_compare_shares(a: tuple[int, int], b: tuple[int, int], method: str, diff: float, se: float) -> None:
    d = stats.compare_shares(*a, *b, method=method)
    assert d.diff == approx(diff) and d.se == approx(se)
    assert d.ci_low == approx(diff - 1.959964 * se) and d.ci_high == approx(diff + 1.959964 * se)
    assert d.significant is (not d.ci_low <= 0 <= d.ci_high)


def test_compare_shares_edge_cases() -> None:
    empty = stats.compare_shares(0, 0, 3, 10)
    assert math.isnan(empty.diff) and not empty.significant
    with pytest.raises(ValueError, match="between 0 and its n"):
        stats.compare_shares(11, 10, 3, 10)
