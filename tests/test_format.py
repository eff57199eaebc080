"""nps.format: the number formatters, with literal strings."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

from nps import format as fmt

M = "\u2212"  # the minus sign of text people read


@pytest.mark.parametrize(("value", "expected"), [
    (12.34, "+12.3"), (-24.69, f"{M}24.7"), (0.0, "0.0"), (-0.04, "0.0"), (0.05, "+0.1"), (100.0, "+100.0"),
    (7, "+7.0"), (np.float64(-3.0), f"{M}3.0"), (math.nan, "—"), (np.float64("nan"), "—"), (None, "—"),
])
def test_points(value: float | None, expected: str) -> None:
    assert fmt.points(value) == expected


def test_points_unsigned_and_digits() -> None:
    assert fmt.points(12.34, signed=False) == "12.3"
    assert fmt.points(-12.34, signed=False) == f"{M}12.3"
    assert fmt.points(12.345, digits=2) == "+12.35"
    assert fmt.points(-4.4, digits=0) == f"{M}4"


def test_points_range() -> None:
    assert fmt.points_range(-30.14, -19.2) == f"{M}30.1 to {M}19.2"
    assert fmt.points_range(-2.0, 3.0) == f"{M}2.0 to +3.0"
    assert fmt.points_range(math.nan, 3.0) == "—"
    assert fmt.points_range(1.0, None) == "—"


def test_delta_keeps_an_ascii_sign() -> None:
    assert fmt.delta(-1.94, "(noise)") == "-1.9 (noise)"
    assert fmt.delta(3.44) == "+3.4"
    assert fmt.delta(0.0, "vs target") == "+0.0 vs target"


@pytest.mark.parametrize(("value", "expected"), [
    (0.95, "95%"), (0.9, "90%"), (0.99, "99%"), (0.995, "99.5%"), (0.05, "5%"), (1 - 0.95, "5%"),
])
def test_level(value: float, expected: str) -> None:
    assert fmt.level(value) == expected


def test_interval() -> None:
    assert fmt.interval(-30.14, -19.2) == f"95% CI {M}30.1 to {M}19.2"
    assert fmt.interval(1.0, 2.0, level=0.9) == "90% CI +1.0 to +2.0"
    assert fmt.interval(1.0, 2.0, level=0.995) == "99.5% CI +1.0 to +2.0"
    assert fmt.interval(math.nan, 3.0) == "no interval"
    assert fmt.interval(None, None) == "no interval"


@pytest.mark.parametrize(("value", "expected"), [
    (0.4123, "41.2%"), (0.0, "0.0%"), (1.0, "100.0%"), (math.nan, "—"), (None, "—"),
])
def test_share(value: float | None, expected: str) -> None:
    assert fmt.share(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (0.04, "0.040"), (0.0004, "<0.001"), (0.001, "0.001"), (1.0, "1.000"), (None, "—"), (math.nan, "—"),
])
def test_p_value(value: float | None, expected: str) -> None:
    assert fmt.p_value(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (12.34, "12.3"), (-4.0, "-4.0"), (7, "7"), ("x", "x"), (None, "—"),
])
def test_number(value: object, expected: str) -> None:
    assert fmt.number(value) == expected


@pytest.mark.parametrize(("value", "digits", "expected"), [
    (30.0, 1, "+30.0"), (-3.0, 1, "-3.0"), (0.0, 1, "+0.0"), (29.6, 0, "+30"), ("12.5", 1, "+12.5"),
    (math.nan, 1, "–"), (None, 0, "–"), (math.inf, 1, "–"), ("x", 1, "–"),
])
def test_chart_points(value: object, digits: int, expected: str) -> None:
    assert fmt.chart_points(value, digits) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (1234, "1,234"), (1234.0, "1,234"), (1234.5, "1,234.5"), (30, "30"), (math.nan, "–"), (None, "–"),
])
def test_chart_count(value: object, expected: str) -> None:
    assert fmt.chart_count(value) == expected


def test_number_range() -> None:
    assert fmt.number_range(-12.34, -3.2) == "[-12.3, -3.2]"
    assert fmt.number_range(None, 4) == "[—, 4]"


@pytest.mark.parametrize(("value", "name", "digits", "expected"), [
    (0.0123, "p", 3, "p = 0.012"), (0.41, "adjusted p", 2, "adjusted p = 0.41"), (0.0004, "p", 3, "p < 0.001"),
    (0.001, "p", 3, "p = 0.001"),
])
def test_p_equals(value: float, name: str, digits: int, expected: str) -> None:
    assert fmt.p_equals(value, name=name, digits=digits) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (1234, "1,234"), (np.int64(30), "30"), (0, "0"), (None, "—"), (math.nan, "—"),
])
def test_count(value: object, expected: str) -> None:
    assert fmt.count(value) == expected


def test_chart_estimate() -> None:
    assert fmt.chart_estimate(23.44, 18.0, 28.8) == "+23.4 (95% CI +18.0 to +28.8)"
    assert fmt.chart_estimate(-80.0, -95.0, -65.0, 0.9) == "-80.0 (90% CI -95.0 to -65.0)"
    assert fmt.chart_estimate(5.0, math.nan, 7.0) == "+5.0"


@pytest.mark.parametrize(("value", "expected"), [
    (1.5, True), (0, True), ("2", True), (math.nan, False), (math.inf, False), (None, False), ("x", False),
])
def test_is_finite(value: object, expected: bool) -> None:
    assert fmt.is_finite(value) is expected


def test_the_formatters_import_nothing_of_the_project() -> None:
    tree = ast.parse(Path(fmt.__file__).read_text(encoding="utf-8"))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [m for m in imported if m.startswith("nps")]


def test_period_code() -> None:
    import datetime as dt

    from nps.format import period_code

    day = dt.date(2026, 8, 3)
    assert [period_code(day, g) for g in ("year", "quarter", "month", "week", "day")] == [
        "2026", "2026-Q3", "2026-08", "2026-08-03", "2026-08-03"]
    assert period_code(dt.datetime(2026, 1, 31, 23, 0), "month") == "2026-01"
