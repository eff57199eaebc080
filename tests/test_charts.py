"""Chart builders' behaviour from small literal frames: rows, labels, markers, empty data, limits, escaping.

The specs' structure (marks, encodings, scales, palette) is pinned by tests/test_chart_snapshots.py.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import pytest

from nps import charts
from nps.charts.common import _inline

NAN = float("nan")


# ---------------------------------------------------------------------------
# Literal frames, shaped like nps.query' results


def distribution() -> pd.DataFrame:
    n = [5, 2, 3, 4, 6, 10, 15, 30, 50, 60, 40]
    return pd.DataFrame({
        "score": list(range(11)),
        "category": ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2,
        "n": n,
        "share": [v / sum(n) for v in n],
    })


def breakdown(names: tuple[str, str, str] = ("vs_rest", "vs_rest_p", "vs_rest_significant")) -> pd.DataFrame:
    diff, p, significant = names
    return pd.DataFrame({
        "segment": ["B2C", "B2B", "Gov", "SMB"],
        "n": [40, 1234, 0, 300],
        "promoters": [10, 600, 0, 100],
        "passives": [10, 334, 0, 100],
        "detractors": [20, 300, 0, 100],
        "nps": [-25.0, 24.3, NAN, 0.0],
        "se": [10.0, 2.5, NAN, 4.0],
        "ci_low": [-45.0, 19.0, NAN, -8.0],
        "ci_high": [-5.0, 29.6, NAN, 8.0],
        "low_n": [True, False, True, False],
        diff: [-30.0, 20.0, NAN, -3.0],
        p: [0.04, 0.0001, NAN, 0.4],
        significant: [True, True, False, False],
    })


def trend() -> pd.DataFrame:
    return pd.DataFrame({
        "period": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
        "n": [100, 0, 12],
        "promoters": [50, 0, 6],
        "passives": [30, 0, 2],
        "detractors": [20, 0, 4],
        "nps": [30.0, NAN, 16.7],
        "se": [5.0, NAN, 20.0],
        "ci_low": [20.0, NAN, -23.0],
        "ci_high": [40.0, NAN, 56.0],
        "low_n": [False, True, True],
    })


def trend_by() -> pd.DataFrame:
    a, b = trend().assign(segment="A"), trend().assign(segment="B")
    return pd.concat([a, b], ignore_index=True)


def shift_share() -> pd.DataFrame:
    return pd.DataFrame({
        "component": ["total", "mix change", "within-segment change", "interaction"],
        "points": [5.0, -2.0, 8.0, -1.0],
    })


def themes() -> pd.DataFrame:
    return pd.DataFrame({
        "theme": ["support", "price", "app"],
        "mentions": [5, 10, 0],
        "detractors": [1, 5, 0],
        "passives": [1, 3, 0],
        "promoters": [3, 2, 0],
    })


# Every builder, its input and its default title.
BUILDERS: list[tuple[str, Callable[[], pd.DataFrame], Callable[[pd.DataFrame], Any], str]] = [
    ("distribution", distribution, charts.chart_distribution, "Responses by score"),
    ("trend", trend, charts.chart_trend, "NPS over time"),
    ("trend_by", trend_by, lambda f: charts.chart_trend_by(f, "segment"), "NPS over time by segment"),
    ("category_shares", trend, charts.chart_category_shares, "Promoters, passives and detractors over time"),
    ("breakdown", breakdown, lambda f: charts.chart_breakdown(f, "segment"), "NPS by segment"),
    ("diverging", breakdown, lambda f: charts.chart_diverging(f, "segment"),
     "Promoters, passives and detractors by segment"),
    ("heatmap", trend_by, lambda f: charts.chart_heatmap(f, "segment"), "NPS by segment and period"),
    ("sparkline", trend, charts.chart_sparkline, None),
    ("shift_share", shift_share, charts.chart_shift_share, "What moved NPS"),
    ("theme_bars", themes, charts.chart_theme_bars, "Themes in comments"),
]
IDS = [b[0] for b in BUILDERS]


# ---------------------------------------------------------------------------
# Reading specs


def layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec.get("layer", [spec])


def rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    datasets = spec.get("datasets", {})
    assert len(datasets) == 1, f"expected one embedded dataset, got {list(datasets)}"
    return next(iter(datasets.values()))


def title_text(spec: dict[str, Any]) -> str | None:
    title = spec.get("title")
    return title.get("text") if isinstance(title, dict) else title


def encoding(spec: dict[str, Any], channel: str, field: str | None = None) -> dict[str, Any]:
    """The first layer's encoding of ``channel`` (on ``field``, when given)."""
    for layer in layers(spec):
        enc = layer.get("encoding", {}).get(channel)
        if enc is not None and (field is None or enc.get("field") == field):
            return enc
    raise AssertionError(f"no {channel} encoding{' on ' + field if field else ''}")


def tooltip_fields(spec: dict[str, Any]) -> set[str]:
    fields: set[str] = set()
    for layer in layers(spec):
        tips = layer.get("encoding", {}).get("tooltip", [])
        for tip in tips if isinstance(tips, list) else [tips]:
            if "field" in tip:
                fields.add(tip["field"])
    return fields


def fields(spec: dict[str, Any]) -> set[str]:
    """Every field an encoding of ``spec`` reads."""
    return {f for layer in layers(spec) for enc in layer.get("encoding", {}).values()
            for f in ([t.get("field") for t in enc] if isinstance(enc, list) else [enc.get("field")]) if f}


# ---------------------------------------------------------------------------
# Every builder


@pytest.mark.parametrize(("name", "make", "build", "title"), BUILDERS, ids=IDS)
def test_builders_embed_exactly_the_given_rows(name: str, make: Callable, build: Callable, title: str) -> None:
    frame = make()
    spec = build(frame).to_dict()
    assert len(rows(spec)) == len(frame)
    assert title_text(spec) == title


@pytest.mark.parametrize(("name", "make", "build", "title"), BUILDERS, ids=IDS)
def test_specs_validate_against_the_vega_lite_schema_and_hold_no_nan(
    name: str, make: Callable, build: Callable, title: str
) -> None:
    spec = build(make()).to_dict(validate=True)
    assert spec["$schema"] == alt.SCHEMA_URL
    json.dumps(spec, allow_nan=False)


@pytest.mark.parametrize(("name", "make", "build", "title"), BUILDERS, ids=IDS)
@pytest.mark.parametrize("empty", ["no columns", "no rows"])
def test_an_empty_frame_gives_a_no_data_chart(name: str, make: Callable, build: Callable, title: str,
                                              empty: str) -> None:
    frame = pd.DataFrame() if empty == "no columns" else make().iloc[0:0]
    chart = build(frame)
    spec = chart.to_dict(validate=True)
    assert spec["mark"]["type"] == "text"
    assert spec["encoding"]["text"]["field"] == "message"
    assert title_text(spec) == title


WITH_STATS = [b for b in BUILDERS if b[0] not in {"distribution", "shift_share", "theme_bars"}]


@pytest.mark.parametrize(("name", "make", "build", "title"), WITH_STATS, ids=[b[0] for b in WITH_STATS])
def test_rows_without_responses_render_without_nan(name: str, make: Callable, build: Callable, title: str) -> None:
    frame = make()
    spec = build(frame).to_dict(validate=True)
    text = json.dumps(spec, allow_nan=False)
    assert "NaN" not in text
    blank = [r for r in rows(spec) if r["n"] == 0]
    assert blank and all(r["nps"] is None and r["nps_ci"] == "no responses" for r in blank)


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("trend", charts.chart_trend),
        ("category_shares", charts.chart_category_shares),
        ("sparkline", charts.chart_sparkline),
        ("breakdown", lambda f: charts.chart_breakdown(f, "segment")),
        ("heatmap", lambda f: charts.chart_heatmap(f.assign(segment="A"), "segment")),
    ],
)
def test_frames_that_count_no_responses_at_all_say_no_data(name: str, build: Callable) -> None:
    frame = trend().iloc[[1]]
    spec = build(frame).to_dict(validate=True)
    assert spec["mark"]["type"] == "text"


@pytest.mark.parametrize(
    ("build", "missing"),
    [
        (lambda f: charts.chart_trend(f.drop(columns="ci_low")), "ci_low"),
        (lambda f: charts.chart_breakdown(f, "region"), "region"),
        (lambda f: charts.chart_distribution(f.drop(columns="share")), "share"),
    ],
)
def test_a_missing_column_is_named_in_the_error(build: Callable, missing: str) -> None:
    frame = trend() if missing == "ci_low" else (distribution() if missing == "share" else breakdown())
    with pytest.raises(ValueError, match=missing):
        build(frame)


def test_an_unknown_grain_is_refused() -> None:
    with pytest.raises(ValueError, match="fortnight"):
        charts.chart_trend(trend(), grain="fortnight")


# ---------------------------------------------------------------------------
# Palette and low n


@pytest.mark.parametrize(
    "build",
    [
        lambda f, m: charts.chart_trend(f, min_n=m),
        lambda f, m: charts.chart_category_shares(f, min_n=m),
        lambda f, m: charts.chart_sparkline(f, min_n=m),
    ],
    ids=["trend", "category_shares", "sparkline"],
)
def test_low_n_rows_are_labelled_with_the_minimum(build: Callable) -> None:
    spec = build(trend(), 30).to_dict()
    assert [r["sample_size"] for r in rows(spec)] == ["n ≥ 30", "low n (< 30)", "low n (< 30)"]
    assert "sample_size" in tooltip_fields(spec)


# ---------------------------------------------------------------------------
# One builder at a time


def test_trend_formats_the_interval_to_one_decimal() -> None:
    spec = charts.chart_trend(trend()).to_dict()
    assert [r["nps_ci"] for r in rows(spec)] == [
        "+30.0 (95% CI +20.0 to +40.0)", "no responses", "+16.7 (95% CI -23.0 to +56.0)",
    ]


def test_trend_can_fit_the_axis_to_the_data_and_zero() -> None:
    domain = encoding(charts.chart_trend(trend(), fit_y=True).to_dict(), "y", "nps")["scale"]["domain"]
    assert domain == [-40, 70]


@pytest.mark.parametrize(
    ("grain", "label"),
    [("day", "1 Apr 2024"), ("week", "wk 1 Apr 2024"), ("month", "Apr 2024"),
     ("quarter", "2024 Q2"), ("year", "2024")],
)
def test_periods_are_labelled_per_grain(grain: str, label: str) -> None:
    frame = trend().assign(period=pd.to_datetime(["2024-04-01", "2024-05-01", "2024-06-01"]))
    spec = charts.chart_trend(frame, grain=grain).to_dict()
    assert rows(spec)[0]["period_label"] == label
    assert rows(spec)[0]["period"] == "2024-04-01T00:00:00"


def test_breakdown_sorts_values_by_nps_with_their_counts() -> None:
    spec = charts.chart_breakdown(breakdown(), "segment").to_dict()
    assert layers(spec)[2]["encoding"]["y"]["sort"] == ["B2B (n=1,234)", "SMB (n=300)", "B2C (n=40)", "Gov (n=0)"]
    assert "params" not in spec


@pytest.mark.parametrize(
    ("values", "domain"),
    [
        ([12.0, 25.0, 31.5], (-10, 40)),        # all positive: 0 stays in view
        ([-45.0, 29.6], (-60, 40)),
        ([-3.0, 2.0], (-10, 10)),               # at least 5 points of margin a side
        ([-98.0, 99.5, NAN, None], (-100, 100)),  # never beyond the scale
        ([NAN, None], (-100, 100)),             # nothing to fit
        ([0.0], (-10, 10)),
    ],
)
def test_the_nps_axis_fits_the_data_and_zero(values: list[float | None], domain: tuple[int, int]) -> None:
    assert charts.nps_axis_domain(values) == domain


def test_breakdown_axis_includes_the_overall_rule() -> None:
    frame = breakdown().iloc[[1]]  # B2B: interval +19.0 … +29.6
    x = layers(charts.chart_breakdown(frame, "segment", overall=-30.0).to_dict())[2]["encoding"]["x"]
    assert x["scale"]["domain"] == [-40, 40]


def test_breakdown_marks_values_significantly_above_or_below_the_rest() -> None:
    spec = charts.chart_breakdown(breakdown(), "segment").to_dict()
    marked = {r["value"]: (r["marker"], r["vs_rest_text"]) for r in rows(spec)}
    assert marked == {
        "B2B": ("▲", "+20.0 points vs the rest (significantly above, p < 0.001)"),
        "SMB": ("", "-3.0 points vs the rest (not significant, p = 0.400)"),
        "B2C": ("▼", "-30.0 points vs the rest (significantly below, p = 0.040)"),
        "Gov": ("", "no comparison"),
    }
    assert any(layer["mark"]["type"] == "text" for layer in layers(spec))


def test_breakdown_without_a_comparison_has_no_markers() -> None:
    frame = breakdown().drop(columns=["vs_rest", "vs_rest_p", "vs_rest_significant"])
    spec = charts.chart_breakdown(frame, "segment").to_dict()
    assert [layer["mark"]["type"] for layer in layers(spec)] == ["rule", "rule", "point"]
    assert "marker" not in rows(spec)[0]


@pytest.mark.parametrize("overall", [None, NAN])
def test_breakdown_without_an_overall_nps_has_no_overall_rule(overall: float | None) -> None:
    spec = charts.chart_breakdown(breakdown(), "segment", overall=overall).to_dict()
    assert all(layer["encoding"].get("x") != {"datum": overall} for layer in layers(spec)[1:])
    json.dumps(spec, allow_nan=False)


def test_breakdown_selection_is_a_named_point_parameter_on_the_dimension() -> None:
    spec = charts.chart_breakdown(breakdown(), "segment", selection_name="picked_segment").to_dict(validate=True)
    [param] = spec["params"]
    assert param["name"] == "picked_segment"
    assert param["select"] == {"type": "point", "fields": ["value"]}


@pytest.mark.parametrize("name", ["plan.tier", 'a"b', "a'b", "a\\b", "[x](http://evil)", "Region / Area", "category",
                                  "value_label", "value"])
@pytest.mark.parametrize("build", [charts.chart_breakdown, charts.chart_diverging, charts.chart_heatmap,
                                   charts.chart_trend_by])
def test_a_column_name_is_only_a_title_never_a_vega_lite_field(build: Any, name: str) -> None:
    # Vega-Lite reads ".", "[", "]", quotes and "\\" in a field as syntax: a name holding '"' left the charts blank.
    frame = (trend_by() if build in (charts.chart_heatmap, charts.chart_trend_by) else breakdown())
    kwargs = {"selection_name": "pick"} if build is charts.chart_breakdown else {}
    spec = build(frame.rename(columns={"segment": name}), name, **kwargs).to_dict(validate=True)
    text = json.dumps(spec)
    assert fields(spec) == fields(build(frame, "segment", **kwargs).to_dict()) >= {"value"}
    assert {r["value"] for r in rows(spec)} == set(frame["segment"])
    assert json.dumps(name)[1:-1] in text  # the name is still there, as a title
    if kwargs:
        assert spec["params"][0]["select"]["fields"] == ["value"]


def test_diverging_computes_the_shares_per_value() -> None:
    spec = charts.chart_diverging(breakdown(), "segment").to_dict()
    b2b = next(r for r in rows(spec) if r["value"] == "B2B")
    assert b2b["pct_promoter"] == pytest.approx(600 / 1234 * 100)
    gov = next(r for r in rows(spec) if r["value"] == "Gov")
    assert gov["pct_promoter"] is None


def test_heatmap_writes_the_nps_in_each_cell() -> None:
    spec = charts.chart_heatmap(trend_by(), "segment", grain="month").to_dict()
    assert [r["cell_text"] for r in rows(spec)][:3] == ["+30", "+30", "–"]


def test_heatmap_shows_cell_numbers_only_where_cells_are_wide_enough() -> None:
    # Drawn at 300 px, 12 months leave 25 px a cell: numbers would run together, so they are hidden;
    # at 900 px (75 px a cell) they show. The decision is Vega's, on the drawn width.
    import re

    import vl_convert as vlc

    months = pd.date_range("2024-01-01", periods=12, freq="MS")
    frame = pd.concat([trend().iloc[[0]].assign(period=p, segment=s) for p in months for s in "AB"],
                      ignore_index=True)
    chart = charts.chart_heatmap(frame, "segment", grain="month")
    text = layers(chart.to_dict())[2]
    assert text["mark"]["opacity"] == {"expr": f"width / 12 >= {charts.MIN_CELL_TEXT_WIDTH} ? 1 : 0"}
    for width, opacity in ((300, "0"), (900, "1")):
        svg = vlc.vegalite_to_svg(chart.properties(width=width).to_dict())
        shown = re.findall(r'<text[^>]*opacity="([0-9.]+)"[^>]*>\+30</text>', svg)
        assert len(shown) == 24 and set(shown) == {opacity}


def test_heatmap_drops_cell_text_when_there_are_too_many_cells() -> None:
    periods = pd.date_range("2020-01-01", periods=charts.MAX_CELL_LABELS + 1, freq="D")
    frame = pd.concat([trend().iloc[[0]].assign(period=p, segment="A") for p in periods], ignore_index=True)
    spec = charts.chart_heatmap(frame, "segment", grain="day").to_dict()
    assert [layer["mark"]["type"] for layer in layers(spec)] == ["rect", "rect"]


def test_shift_share_runs_the_parts_into_the_total() -> None:
    spec = charts.chart_shift_share(shift_share(), title="Why NPS moved").to_dict()
    assert title_text(spec) == "Why NPS moved"
    steps = [(r["component"], r["start"], r["end"], r["kind"]) for r in rows(spec)]
    assert steps == [
        ("within-segment change", 0.0, 8.0, "rise"),
        ("mix change", 8.0, 6.0, "fall"),
        ("interaction", 6.0, 5.0, "fall"),
        ("total", 0.0, 5.0, "total"),
    ]
    assert encoding(spec, "y")["sort"] == [s[0] for s in steps]


def test_shift_share_survives_missing_points() -> None:
    frame = shift_share().assign(points=[NAN, NAN, NAN, NAN])
    spec = charts.chart_shift_share(frame).to_dict(validate=True)
    assert all(r["end"] is None for r in rows(spec))


def test_theme_bars_are_sorted_by_mentions() -> None:
    spec = charts.chart_theme_bars(themes()).to_dict()
    assert encoding(spec, "y")["sort"] == ["price (n=10)", "support (n=5)", "app (n=0)"]


def test_no_builder_leaves_a_nan_in_derived_columns() -> None:
    for _, make, build, _ in BUILDERS:
        for row in rows(build(make()).to_dict()):
            assert not any(isinstance(v, float) and math.isnan(v) for v in row.values())


def test_charts_export_as_svg_and_png() -> None:
    from nps.charts import chart_distribution, export_chart

    frame = pd.DataFrame({"score": list(range(11)), "category": ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2,
                          "n": [5] * 11, "share": [1 / 11] * 11})
    chart = chart_distribution(frame, title="Scores in the export")
    svg = export_chart(chart, "svg").decode("utf-8")
    assert svg.startswith("<svg") and "Scores in the export" in svg
    png = export_chart(chart, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
    with pytest.raises(ValueError, match="unknown image format"):
        export_chart(chart, "gif")


def test_rows_are_embedded_as_altair_itself_writes_them() -> None:
    frame = pd.DataFrame({
        "period": pd.to_datetime(["2024-01-01 00:00", None, "2024-03-04 10:30"]),
        "n": [3, 0, 12],
        "nps": [12.5, NAN, float("inf")],
        "low_n": [False, True, True],
        "label": pd.Series(["B2B", None, "Café"], dtype="str"),
        "other": ["x", None, NAN],
        "count": pd.array([1, None, 3], dtype="Int64"),
    })
    expected = alt.utils.core.sanitize_pandas_dataframe(frame).to_dict(orient="records")
    assert _inline(frame)["values"] == expected
    assert json.dumps(_inline(frame), allow_nan=False)


def test_more_rows_than_altair_embeds_are_refused() -> None:
    with pytest.raises(alt.MaxRowsError):
        _inline(pd.DataFrame({"n": range(charts.MAX_ROWS + 1)}))

