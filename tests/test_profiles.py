"""Promoter and detractor profiles (issue 14): shares, lifts with intervals, BH flags, 7s and 8s, anonymity —
hand-computed literal examples and hypothesis for the invariants."""

from __future__ import annotations

import math
from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nps import domain, store
from nps.errors import UnknownColumnError
from nps.query.options import Options
from nps.query.profiles import passives_by_value, profiles
from nps.stats.lift import lift_arrays
from nps.store import sql
from tests.factories import make_dataset

# --- the lift and its interval ---------------------------------------------------------------------


def test_the_lift_and_its_katz_interval_by_hand() -> None:
    # 20 of 50 promoters have the value, 40 of 200 responses: 0.4 / 0.2 = lift 2. Against the rest
    # (20 of 150), RR = 0.4 / 0.1333 = 3, SE(log RR) = sqrt(1/20 − 1/50 + 1/20 − 1/150) = 0.270801;
    # RR 1.76447 .. 5.10070 mapped by RR / (0.25·RR + 0.75): 1.481358 .. 2.518642; z = log 3 / SE = 4.0569.
    out = lift_arrays([20], [50], [40], [200])
    assert out["lift"][0] == 2.0
    assert out["low"][0] == pytest.approx(1.481358, abs=1e-6)
    assert out["high"][0] == pytest.approx(2.518642, abs=1e-6)
    assert out["p_value"][0] == pytest.approx(4.97295e-05, rel=1e-4)


def test_the_lift_at_the_edges() -> None:
    out = lift_arrays([0, 5, 30, 0, 1], [50, 50, 100, 0, 10], [10, 5, 30, 5, 3], [200, 200, 100, 20, 20])
    assert out["lift"][0] == 0.0 and out["low"][0] == 0.0 and out["high"][0] > 0  # none of the group: 0, tested
    assert out["lift"][1] == 4.0 and out["high"][1] == 4.0  # all with the value are in the group: at most 1/w
    assert (out["lift"][2], out["low"][2], out["high"][2]) == (1.0, 1.0, 1.0)  # the group is everyone
    assert math.isnan(out["p_value"][2])
    assert math.isnan(out["lift"][3])  # an empty group has no lift
    assert lift_arrays([1], [10], [3], [20], min_n=5)["p_value"][0] != lift_arrays([1], [10], [3], [20])["p_value"][0]
    with pytest.raises(ValueError, match="nest"):
        lift_arrays([5], [4], [5], [10])


@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.integers(0, 60),
       st.floats(min_value=0.5, max_value=0.999))
def test_the_lift_interval_contains_the_lift(a: int, in_group: int, c: int, in_rest: int, level: float) -> None:
    n_group, n_rest = a + in_group, c + in_rest
    out = lift_arrays([a], [n_group], [a + c], [n_group + n_rest], level=level)
    if math.isnan(out["lift"][0]):
        assert n_group == 0 or a + c == 0
        return
    assert out["low"][0] <= out["lift"][0] <= out["high"][0]
    assert 0 <= out["low"][0] and out["high"][0] <= (n_group + n_rest) / n_group + 1e-9


# --- profiles of a dataset -----------------------------------------------------------------------------

SMALL = pd.DataFrame({"score": [10, 10, 9, 9, 8, 7, 3, 2, 0, 8],
                      "plan": ["A", "A", "A", "B", "B", "B", "C", "C", "C", "A"],
                      "seg": ["x"] * 5 + ["y"] * 5})


def test_shares_lifts_sevens_and_eights_by_hand(con: duckdb.DuckDBPyConnection) -> None:
    ds = make_dataset(con, SMALL, dimensions=["plan", "seg"])
    frame = profiles(con, ds)
    assert frame[["dimension", "value", "n", "promoters", "detractors", "sevens", "eights"]].values.tolist() == [
        ["plan", "A", 4, 3, 0, 0, 1], ["plan", "B", 3, 1, 0, 1, 1], ["plan", "C", 3, 0, 3, 0, 0],
        ["seg", "x", 5, 4, 0, 0, 1], ["seg", "y", 5, 0, 3, 1, 1],
    ]
    plan = frame[frame["dimension"] == "plan"].set_index("value")
    # A: 3 of the 4 promoters, 4 of the 10 responses: 0.75 / 0.4 = 1.875.
    assert plan["share_promoters"].tolist() == [0.75, 0.25, 0.0]
    assert plan["share_overall"].tolist() == [0.4, 0.3, 0.3]
    assert plan["promoter_lift"].tolist() == pytest.approx([1.875, 0.25 / 0.3, 0.0])
    # C: all 3 detractors, 3 of 10 responses: 1 / 0.3.
    assert plan["detractor_lift"].tolist() == pytest.approx([0.0, 0.0, 1 / 0.3])
    assert plan["eights_share"].tolist() == pytest.approx([0.25, 1 / 3, 0.0])
    assert plan["share_of_eights"].tolist() == [0.5, 0.5, 0.0]
    assert plan["share_of_sevens"].tolist() == [0.0, 1.0, 0.0]
    # Below the minimum n (30 by default) no value is tested, so none is flagged.
    assert frame["promoter_p"].isna().all() and (frame["promoter_flag"] == "").all()
    assert passives_by_value(frame).columns.tolist() == [
        "dimension", "value", "n", "sevens", "sevens_share", "share_of_sevens", "eights", "eights_share",
        "share_of_eights"]


def test_flags_come_after_benjamini_hochberg_across_the_frame(con: duckdb.DuckDBPyConnection) -> None:
    # Plan A: 40 promoters and 10 detractors; B the other way round; colour is noise (lift 1 exactly).
    scores = [10] * 40 + [2] * 10 + [10] * 10 + [2] * 40
    frame = pd.DataFrame({"score": scores, "plan": ["A"] * 50 + ["B"] * 50,
                          "colour": (["red", "blue"] * 50)})
    ds = make_dataset(con, frame, dimensions=["plan", "colour"])
    out = profiles(con, ds, opts=Options(min_n=1))
    plan = out[out["dimension"] == "plan"].set_index("value")
    assert plan["promoter_lift"].tolist() == pytest.approx([1.6, 0.4])
    assert plan["promoter_flag"].tolist() == ["high", "low"]
    assert plan["detractor_flag"].tolist() == ["low", "high"]
    colour = out[out["dimension"] == "colour"]
    assert colour["promoter_lift"].tolist() == pytest.approx([1.0, 1.0])
    assert (colour["promoter_flag"] == "").all()
    assert out.attrs["family"] == {"method": "bh", "tests": 8, "level": 0.95}
    # The adjusted p-values are BH's over all 8 tests together.
    raw = np.concatenate([out["promoter_p"], out["detractor_p"]])
    from nps.stats import adjust_p_values

    assert np.concatenate([out["promoter_p_adjusted"], out["detractor_p_adjusted"]]) == pytest.approx(adjust_p_values(raw))


def test_a_filter_and_a_scope_apply(con: duckdb.DuckDBPyConnection) -> None:
    ds = make_dataset(con, SMALL, dimensions=["plan", "seg"])
    scoped = replace(ds, scope=domain.Scope.from_pairs([("seg", "x")]))
    frame = profiles(con, scoped, ["plan"])
    assert frame["value"].tolist() == ["A", "B"] and frame["n"].tolist() == [3, 2]


def test_the_employee_anonymity_rule_hides_small_values(con: duckdb.DuckDBPyConnection) -> None:
    frame = pd.DataFrame({"score": [10] * 7 + [3] * 6 + [9, 2], "dept": ["a"] * 7 + ["b"] * 6 + ["c", "c"]})
    ds = make_dataset(con, frame, dimensions=["dept"])
    sql.execute(con, "UPDATE datasets SET kind = 'employee' WHERE id = ?", [ds.id])
    staff = store.get_dataset(con, ds.id)
    out = profiles(con, staff).set_index("value")
    # c (2 respondents) is hidden, and b (the smallest shown) with it so that c is not their difference.
    assert out["suppressed"].tolist() == [False, True, True]
    assert out.loc["a", "promoter_lift"] == pytest.approx((7 / 8) / (7 / 15))
    assert out.loc[["b", "c"], ["share_promoters", "promoter_lift", "eights_share"]].isna().all().all()
    assert out.loc[["b", "c"], "n"].isna().all()


def test_unknown_or_missing_columns_raise(con: duckdb.DuckDBPyConnection) -> None:
    ds = make_dataset(con, SMALL)
    with pytest.raises(ValueError, match="at least one column"):
        profiles(con, ds)
    with pytest.raises(UnknownColumnError):
        profiles(con, ds, ["nope"])


@given(st.lists(st.tuples(st.integers(0, 10), st.sampled_from(["p", "q", "r", None])), min_size=1, max_size=60))
def test_each_share_column_sums_to_one(rows: list[tuple[int, str | None]]) -> None:
    con = store.connect(":memory:")
    try:
        ds = make_dataset(con, pd.DataFrame(rows, columns=["score", "k"]), dimensions=["k"])
        frame = profiles(con, ds)
    finally:
        con.close()
    scores = [s for s, _ in rows]
    assert frame["share_overall"].sum() == pytest.approx(1.0)
    for column, present in (("share_promoters", any(s >= 9 for s in scores)),
                            ("share_detractors", any(s <= 6 for s in scores)),
                            ("share_of_sevens", 7 in scores), ("share_of_eights", 8 in scores)):
        if present:
            assert frame[column].sum() == pytest.approx(1.0)
    lifts = frame[["promoter_lift", "promoter_lift_low", "promoter_lift_high"]].dropna()
    assert (lifts["promoter_lift_low"] <= lifts["promoter_lift"] + 1e-12).all()
    assert (lifts["promoter_lift"] <= lifts["promoter_lift_high"] + 1e-12).all()
