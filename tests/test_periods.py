"""Period presets and comparison periods, with literal dates."""

from __future__ import annotations

import datetime as dt

import pytest

from nps.query.periods import add_months, previous_period, resolve_preset, same_period_last_year

D = dt.date
START, END = D(2024, 11, 1), D(2026, 10, 31)


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("all", (None, None)),
        ("12m", (D(2025, 11, 1), END)),
        ("90d", (D(2026, 8, 3), END)),
        ("30d", (D(2026, 10, 2), END)),
        ("this_q", (D(2026, 10, 1), END)),
        ("ytd", (D(2026, 1, 1), END)),
        ("last_q", (D(2026, 7, 1), D(2026, 9, 30))),
    ],
)
def test_presets_count_back_from_the_latest_response(preset: str, expected: tuple) -> None:
    assert resolve_preset(preset, START, END) == expected


def test_last_quarter_is_the_current_one_when_the_data_ends_on_its_last_day() -> None:
    assert resolve_preset("last_q", START, D(2026, 9, 30)) == (D(2026, 7, 1), D(2026, 9, 30))


def test_custom_and_unknown_presets() -> None:
    assert resolve_preset("custom", START, END, custom=(D(2025, 1, 1), D(2025, 2, 1))) == (D(2025, 1, 1), D(2025, 2, 1))
    with pytest.raises(ValueError, match="unknown period"):
        resolve_preset("fortnight", START, END)


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (D(2026, 4, 1), D(2026, 6, 30), (D(2026, 1, 1), D(2026, 3, 31))),
        (D(2025, 11, 1), D(2026, 10, 31), (D(2024, 11, 1), D(2025, 10, 31))),
        (D(2026, 3, 1), D(2026, 3, 31), (D(2026, 2, 1), D(2026, 2, 28))),
        (D(2026, 8, 3), D(2026, 10, 31), (D(2026, 5, 5), D(2026, 8, 2))),
    ],
)
def test_previous_period(since: dt.date, until: dt.date, expected: tuple) -> None:
    assert previous_period(since, until) == expected


def test_same_period_last_year_handles_leap_days() -> None:
    assert same_period_last_year(D(2024, 2, 29), D(2024, 3, 31)) == (D(2023, 2, 28), D(2023, 3, 31))
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
