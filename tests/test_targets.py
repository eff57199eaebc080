"""Targets are stored per dataset and dimension, replaced as a whole, and checked."""

from __future__ import annotations

import math

import pytest

from nps.store.targets import load_targets, save_targets


def test_targets_round_trip_and_replace(con) -> None:
    save_targets(con, 1, "business_function", {"Billing": 10, "Sales": 25.5})
    save_targets(con, 1, "segment", {"B2B": 40})
    assert load_targets(con, 1, "business_function") == {"Billing": 10.0, "Sales": 25.5}
    save_targets(con, 1, "business_function", {"Billing": 12, "Sales": None, "Product": math.nan})
    assert load_targets(con, 1, "business_function") == {"Billing": 12.0}
    assert load_targets(con, 1, "segment") == {"B2B": 40.0}
    assert load_targets(con, 2, "segment") == {}


def test_a_target_outside_the_scale_is_refused(con) -> None:
    save_targets(con, 1, "segment", {"B2B": 40})
    with pytest.raises(ValueError, match="between -100 and 100"):
        save_targets(con, 1, "segment", {"B2B": 140})
    assert load_targets(con, 1, "segment") == {"B2B": 40.0}

