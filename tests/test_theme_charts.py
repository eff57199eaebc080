"""Chart builders of the comment themes: valid Vega-Lite, the rows given, fixed palette, no NaN."""

from __future__ import annotations

import json
import math

import altair as alt
import pandas as pd
import pytest

from nps import charts


def summary() -> pd.DataFrame:
    return pd.DataFrame({
        "theme": ["Delivery & shipping", "Staff", "Price & value", "Onboarding"],
        "mentions": [40, 25, 10, 0],
        "share": [0.4, 0.25, 0.1, 0.0],
        "detractors": [0.8, 0.1, 0.2, 0.0],
        "passives": [0.3, 0.2, 0.1, math.nan],
        "promoters": [0.05, 0.5, 0.05, 0.0],
        "nps_with": [-60.0, 40.0, -10.0, math.nan],
        "nps_without": [20.0, -5.0, 2.0, 0.0],
        "impact": [-80.0, 45.0, -12.0, math.nan],
        "impact_ci_low": [-95.0, 25.0, -40.0, math.nan],
        "impact_ci_high": [-65.0, 65.0, 16.0, math.nan],
    })


def trend() -> pd.DataFrame:
    return pd.DataFrame({
        "period": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-01-01", "2025-02-01"]),
        "theme": ["Delivery", "Delivery", "Staff", "Staff"],
        "comments": [100, 20, 100, 20],
        "mentions": [30, 10, 5, 2],
        "share": [0.3, 0.5, 0.05, 0.1],
        "nps_with": [-50.0, -40.0, 60.0, 50.0],
        "n_with": [30, 10, 5, 2],
        "low_n": [False, True, False, True],
    })


def distinctive() -> pd.DataFrame:
    return pd.DataFrame({
        "side": ["detractors", "detractors", "promoters"],
        "term": ["late", "never arrived", "friendly"],
        "score": [5.2, 3.1, 4.4],
        "detractors": [50, 20, 2],
        "promoters": [3, 0, 60],
    })


BUILDERS = [
    (charts.chart_theme_impact, summary, "What each theme does to NPS"),
    (charts.chart_theme_categories, summary, "Who mentions each theme"),
    (charts.chart_theme_trend, trend, "Themes over time"),
    (charts.chart_distinctive_terms, distinctive, "Words that set detractors and promoters apart"),
]


def _rows(spec: dict) -> list[dict]:
    data = spec.get("datasets", {})
    return [row for rows in data.values() for row in rows]


@pytest.mark.parametrize(("build", "make", "title"), BUILDERS)
def test_specs_validate_and_hold_no_nan(build, make, title) -> None:
    spec = build(make()).to_dict(validate=True)
    assert spec["$schema"] == alt.SCHEMA_URL
    text = json.dumps(spec, allow_nan=False)  # raises on NaN
    assert title in text


@pytest.mark.parametrize(("build", "make", "title"), BUILDERS)
def test_empty_frames_say_no_data(build, make, title) -> None:
    spec = build(make().iloc[0:0]).to_dict(validate=True)
    assert "No data" in json.dumps(spec) or "Too few" in json.dumps(spec)


def test_impact_sorts_worst_first_drops_unmentioned_and_fades_unclear() -> None:
    spec = charts.chart_theme_impact(summary()).to_dict()
    rows = _rows(spec)
    assert [r["theme"] for r in rows] == ["Delivery & shipping", "Price & value", "Staff"]
    assert [r["marker"] for r in rows] == ["clear", "within the noise", "clear"]
    assert rows[0]["points_text"] == "-80.0 (95% CI -95.0 to -65.0)"


def test_theme_categories_keep_every_theme_sorted_by_mentions() -> None:
    spec = charts.chart_theme_categories(summary()).to_dict()
    assert [r["theme"] for r in _rows(spec)] == ["Delivery & shipping", "Staff", "Price & value", "Onboarding"]


def test_theme_trend_marks_low_n_periods() -> None:
    spec = charts.chart_theme_trend(trend(), min_n=30).to_dict()
    assert [r["sample_size"] for r in _rows(spec)] == ["n ≥ 30", "low n (< 30)", "n ≥ 30", "low n (< 30)"]
    with pytest.raises(ValueError, match="grain"):
        charts.chart_theme_trend(trend(), grain="fortnight")


def test_distinctive_terms_diverge() -> None:
    rows = _rows(charts.chart_distinctive_terms(distinctive()).to_dict())
    assert [(r["term"], r["label_at"]) for r in rows] == [("late", -5.2), ("never arrived", -3.1), ("friendly", 4.4)]


def test_every_distinctive_term_keeps_its_label() -> None:
    # At 16 px a row Vega dropped every other label as overlapping: half the bars had no word.
    many = pd.DataFrame({
        "side": ["detractors"] * 15 + ["promoters"] * 15,
        "term": [f"word{i}" for i in range(30)],
        "score": [float(30 - i) for i in range(30)],
        "detractors": [10] * 30,
        "promoters": [1] * 30,
    })
    spec = charts.chart_distinctive_terms(many).to_dict(validate=True)
    y = spec["encoding"]["y"]
    assert y["axis"]["labelOverlap"] is False
    assert spec["height"] == {"step": charts.DISTINCTIVE_ROW} and charts.DISTINCTIVE_ROW > y["axis"]["labelFontSize"]
    assert sorted(y["sort"]) == sorted(f"word{i}" for i in range(30))  # the word itself, no "(detractor)"
    assert spec["encoding"]["color"]["scale"] == {"domain": ["detractor", "promoter"], "range": ["#d7301f", "#0f7c8c"]}
