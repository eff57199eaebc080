"""URL parameters of the sidebar's filters: unique per dataset by construction, stable, old links kept."""

from __future__ import annotations

import pytest

from nps.query.filters import filter_keys, legacy_filter_key

PHONE = "How satisfied are you with our customer service - Phone"
EMAIL = "How satisfied are you with our customer service - Email"


def test_a_column_alone_keeps_the_key_links_always_had() -> None:
    assert filter_keys(["segment", "business_function", "Channel (web)"]) == {
        "segment": "f_segment", "business_function": "f_business_function", "Channel (web)": "f_channel_web"}
    assert filter_keys([PHONE]) == {PHONE: legacy_filter_key(PHONE)} == {PHONE: "f_how_satisfied_are_you_with_our_customer_"}


@pytest.mark.parametrize("names", [
    [PHONE, EMAIL],
    ["Region / Area", "Region - Area"],
    ['a"b', "a'b", "a\\b"],
])
def test_columns_whose_slugs_collide_get_distinct_hashed_keys(names: list[str]) -> None:
    keys = filter_keys(["segment", *names])
    assert keys["segment"] == "f_segment"
    assert len(set(keys.values())) == len(names) + 1
    assert all(len(keys[n]) == len(legacy_filter_key(n)[:34]) + 7 for n in names)  # slug[:32], "_", 6 hex


def test_hashed_keys_are_literal_and_deterministic() -> None:
    assert filter_keys(["Region / Area", "Region - Area"]) == {
        "Region / Area": "f_region_area_824c68", "Region - Area": "f_region_area_7b38a6"}
    assert filter_keys([EMAIL, PHONE])[PHONE] == "f_how_satisfied_are_you_with_our_c_c4a6ff"


def test_a_hashed_key_never_takes_another_columns_key() -> None:
    taken = "region_area_824c68"  # a column literally named like the hashed key of "Region / Area"
    keys = filter_keys(["Region / Area", "Region - Area", taken])
    assert keys[taken] == f"f_{taken}"
    assert keys["Region / Area"] == "f_region_area_824c6869"
    assert len(set(keys.values())) == 3
