"""The Key drivers page (AppTest on the sample), its quadrant rows and its chart builder on literal values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from nps import ingest, store
from nps.charts.drivers import QUADRANT_ORDER, chart_drivers, drivers_table
from nps.drivers import Driver, DriverResult
from nps.drivers.dataset import ROW_COLUMNS, analyse_dataset, quadrant_rows
from nps.ingest import Overrides
from nps.query.options import Options
from tests.factories import default_filter
from tests.test_hostile_pages import assert_plain, shown

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ITEMS = ("rating_speed", "rating_staff", "rating_price", "rating_quality")
NAN = math.nan


def _page(at: AppTest) -> AppTest:
    at.switch_page("pages/drivers.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _table(at: AppTest, index: int = 0) -> pd.DataFrame:
    return [d.value for d in at.dataframe if "quadrant" in d.value.columns][index]


def _specs(at: AppTest) -> list[dict[str, object]]:
    return [json.loads(node.proto.spec) for node in at.get("vega_lite_chart")]


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


# --- the page on the sample ------------------------------------------------------------------------


def test_the_sample_items_come_back_with_their_intervals(at: AppTest, db: Path) -> None:
    _page(at)
    assert at.title[0].value == "Key drivers"
    table = _table(at)
    assert set(table["item"]) == {"Rating speed", "Rating staff", "Rating price", "Rating quality"}
    assert set(table["quadrant"]) == set(QUADRANT_ORDER)  # four items: one in each quadrant
    assert list(table.columns) == ["item", "quadrant", "variance explained", "95% interval", "share of R²",
                                   "direction", "mean", "scale", "correlation", "n"]
    flt, _ = default_filter(db)
    con = store.connect(db)
    try:
        (view,) = analyse_dataset(con, store.get_dataset(con, 1), list(SAMPLE_ITEMS), flt, Options(), bootstrap=200)
    finally:
        con.close()
    speed = next(d for d in view.result.drivers if d.item == "rating_speed")
    row = table.set_index("item").loc["Rating speed"]
    assert row["variance explained"] == f"{100 * speed.importance:.1f}%"
    assert row["95% interval"] == f"{100 * speed.importance_low:.1f}% to {100 * speed.importance_high:.1f}%"
    assert speed.importance_low < speed.importance < speed.importance_high
    assert row["direction"] == "+" and row["scale"] == "1–5" and row["n"] == f"{view.result.n:,}"
    assert _metric(at, "R²") == f"{view.result.r2:.3f}"
    assert _metric(at, "Responses analysed (n)") == f"{view.result.n:,}"
    (spec,) = _specs(at)
    assert spec["title"]["text"] == "Importance × performance"
    assert "95% bootstrap interval" in spec["title"]["subtitle"]
    assert any("Intervals: 95% bootstrap" in c.value for c in at.caption)


def test_the_method_switch(at: AppTest) -> None:
    _page(at)
    linear = _table(at)
    at.button_group(key="drv_method").set_value("correlation").run()
    assert not at.exception
    (spec,) = _specs(at)
    assert spec["layer"][-1]["encoding"]["x"]["title"] == "Correlation with the score"
    assert "bootstrap interval" not in spec["title"]["subtitle"]
    assert any("The simple mode" in c.value for c in at.caption)
    assert _table(at)["correlation"].tolist() == linear["correlation"].tolist()  # the same analysis, no recompute
    at.button_group(key="drv_method").set_value("logistic").run()
    assert not at.exception
    assert _metric(at, "McFadden R²")
    assert not any(m.label == "R²" for m in at.metric)
    logistic = _table(at)
    assert set(logistic["item"]) == set(linear["item"])
    assert logistic["variance explained"].tolist() != linear["variance explained"].tolist()


def test_a_link_opens_the_method_and_the_dimension_it_names(db: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["drv_method"] = "Correlation"
    at.query_params["drv_by"] = "segment"  # the raw column name, as a link written by hand has it
    at.switch_page("pages/drivers.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.button_group(key="drv_method").value == "correlation"
    assert at.selectbox(key="drv_by").value == "segment"


def test_the_items_picked_are_the_items_analysed(at: AppTest, db: Path) -> None:
    _page(at)
    assert at.multiselect(key="drv_items").value == list(SAMPLE_ITEMS)
    at.multiselect(key="drv_items").set_value(["rating_speed", "rating_price"]).run()
    assert not at.exception, [e.value for e in at.exception]
    table = _table(at)
    assert sorted(table["item"]) == ["Rating price", "Rating speed"]
    flt, _ = default_filter(db)
    con = store.connect(db)
    try:
        (view,) = analyse_dataset(con, store.get_dataset(con, 1), ["rating_speed", "rating_price"], flt, Options(),
                                  bootstrap=200)
    finally:
        con.close()
    assert _metric(at, "R²") == f"{view.result.r2:.3f}" and _metric(at, "Items") == "2"
    at.multiselect(key="drv_items").set_value([]).run()
    assert [i.value for i in at.info][-1] == "Pick at least one item rating under *Items*."
    assert not _specs(at)


def test_a_link_names_the_items(db: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["drv_items"] = ["Rating staff", "Rating quality"]  # as the page writes them: readable names
    at.switch_page("pages/drivers.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="drv_items").value == ["rating_staff", "rating_quality"]
    assert set(_table(at)["item"]) == {"Rating staff", "Rating quality"}


def test_one_analysis_per_value_of_the_by_dimension(at: AppTest, db: Path) -> None:
    _page(at)
    at.selectbox(key="drv_by").set_value("segment").run()
    assert not at.exception, [e.value for e in at.exception]
    flt, _ = default_filter(db)
    con = store.connect(db)
    try:
        views = analyse_dataset(con, store.get_dataset(con, 1), list(SAMPLE_ITEMS), flt, Options(), by="segment",
                                bootstrap=0)
    finally:
        con.close()
    heads = [shown(h.value) for h in at.subheader]
    assert heads == [f"Segment: {v.value}" for v in views]
    assert heads[:2] == ["Segment: B2C", "Segment: B2B"]  # most responses first
    computed = [v for v in views if v.result.computed]
    assert [m.value for m in at.metric if m.label == "Responses analysed (n)"] == [f"{v.result.n:,}" for v in computed]
    assert len(_specs(at)) == len(computed)
    assert [s["title"]["text"] for s in _specs(at)][0] == "Importance × performance · Segment: B2C"


def _small_db(tmp_path: Path, frame: pd.DataFrame, overrides: Overrides, name: str = "Small") -> Path:
    path = tmp_path / "small.duckdb"
    con = store.connect(path)
    try:
        ingest.ingest_dataframe(con, frame, name=name, overrides=overrides)
    finally:
        con.close()
    return path


def _app(path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv(store.DB_ENV, str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["period"] = "All time"
    at.switch_page("pages/drivers.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _frame(rows: int, items: list[str], dimension: str = "Team") -> pd.DataFrame:
    """Scores driven by the items (the first most), dates a day apart, a dimension of three values (seeded)."""
    rng = np.random.default_rng(7)
    data = {item: rng.integers(1, 6, rows) for item in items}
    drive = sum((2.0 if k == 0 else 0.5) * data[item] for k, item in enumerate(items))
    score = np.clip(np.round(drive * 10 / drive.max() + rng.normal(0, 1, rows)), 0, 10).astype(int)
    return pd.DataFrame({"Score": score, "Date": pd.date_range("2025-01-01", periods=rows, freq="D").strftime("%Y-%m-%d"),
                         dimension: [("A", "B", "C")[i % 3] for i in range(rows)], **data})


def test_a_dataset_without_item_ratings_says_how_to_get_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _frame(60, ["speed"]).drop(columns=["speed"])
    at = _app(_small_db(tmp_path, frame, Overrides(score="Score", date="Date", dimensions=("Team",), items=())),
              monkeypatch)
    (info,) = [i.value for i in at.info]
    assert info.startswith("This dataset has no item ratings")
    assert "--item-column C" in info and "Columns and roles → Item ratings" in info
    assert not at.dataframe and not _specs(at)


def test_a_dataset_with_too_few_responses_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _frame(25, ["speed", "staff"])
    at = _app(_small_db(tmp_path, frame, Overrides(score="Score", date="Date", dimensions=("Team",),
                                                   items=("speed", "staff"))), monkeypatch)
    (info,) = [shown(i.value) for i in at.info]
    assert info == ("Only 25 complete responses: drivers need at least 30 and 10 per item (30 for 2 item(s)); not "
                    "computed. Widen the period (sidebar, Period), remove filters, or choose a dimension with fewer "
                    "values; the analysis needs at least 30 complete responses and 10 per item.")
    assert not at.metric and not _specs(at)


HOSTILE_ITEMS = ["[x](http://evil) speed", "**b** staff", "$x^2$ price"]


def test_hostile_item_and_column_names_stay_plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _frame(240, HOSTILE_ITEMS, dimension="<b>h</b>")
    frame["<b>h</b>"] = [("[click](http://evil)", "**b**", ":red[r]")[i % 3] for i in range(len(frame))]
    path = _small_db(tmp_path, frame, Overrides(score="Score", date="Date", dimensions=("<b>h</b>",),
                                                items=tuple(HOSTILE_ITEMS)), name="[ds](http://evil) **bold**")
    at = _app(path, monkeypatch)
    texts = assert_plain(at, "drivers")
    assert any("[ds](http://evil) **bold**" in t for t in texts)
    assert set(_table(at)["item"]) == set(HOSTILE_ITEMS)  # table cells: plain text, verbatim
    at.selectbox(key="drv_by").set_value("<b>h</b>").run()
    assert not at.exception and not at.error
    texts = assert_plain(at, "drivers by a hostile column")
    assert {shown(h.value) for h in at.subheader} == {"<b>h</b>: [click](http://evil)", "<b>h</b>: **b**",
                                                     "<b>h</b>: :red[r]"}
    assert _specs(at)  # drawn: item names are data under fixed fields


# --- the quadrant rows -----------------------------------------------------------------------------


def _result(computed: bool = True) -> DriverResult:
    drivers = (
        Driver("a", 0.30, 0.30 / 0.65, 0.25, 0.35, 2.6, "+", 0.70, (1, 5)),
        Driver("b", 0.20, 0.20 / 0.65, 0.15, 0.26, 4.2, "+", 0.62, (1, 5)),
        Driver("c", 0.10, 0.10 / 0.65, 0.06, 0.14, 2.2, "−", 0.41, (1, 5)),
        Driver("d", 0.05, 0.05 / 0.65, 0.02, 0.09, 4.6, "+", 0.35, (1, 5)),
    )
    return DriverResult(outcome="score", method="lmg", n=120, r2=0.65, dropped_missing=3,
                        drivers=drivers if computed else (), warnings=(), level=0.9, computed=computed,
                        items=("a", "b", "c", "d"))


def test_quadrant_rows_on_a_literal_result() -> None:
    rows = quadrant_rows(_result(), label=str.upper)
    assert tuple(rows.columns) == ROW_COLUMNS
    assert rows["label"].tolist() == ["A", "B", "C", "D"]
    assert rows["quadrant"].tolist() == ["fix first", "keep up", "monitor", "maintain"]
    assert rows["x"].tolist() == [0.30, 0.20, 0.10, 0.05]
    assert rows["x_low"].tolist() == [0.25, 0.15, 0.06, 0.02]
    assert rows["x_split"].iloc[0] == pytest.approx(0.15)
    assert rows["y"].tolist() == pytest.approx([40.0, 80.0, 30.0, 90.0])
    assert rows["y_split"].iloc[0] == pytest.approx(60.0)
    assert rows["n"].tolist() == [120] * 4 and rows["scale"].tolist() == ["1–5"] * 4
    simple = quadrant_rows(_result(), mode="correlation")
    assert simple["x"].tolist() == [0.70, 0.62, 0.41, 0.35] and simple["x_low"].isna().all()
    assert simple["x_split"].iloc[0] == pytest.approx(0.515)
    assert quadrant_rows(_result(computed=False)).empty


# --- the chart builder -----------------------------------------------------------------------------


def _rows() -> pd.DataFrame:
    return pd.DataFrame({
        "item": ["a", "b", "c", "d"], "label": ["Speed", "Staff", "Price", "Quality"],
        "x": [0.30, 0.20, 0.10, 0.05], "x_low": [0.25, 0.15, 0.06, 0.02], "x_high": [0.35, 0.26, 0.14, 0.09],
        "x_split": 0.15, "y": [40.0, 80.0, 30.0, 90.0], "y_split": 60.0,
        "importance": [0.30, 0.20, 0.10, 0.05], "importance_low": [0.25, 0.15, 0.06, 0.02],
        "importance_high": [0.35, 0.26, 0.14, 0.09], "share": [0.4, 0.3, 0.2, 0.1],
        "correlation": [0.70, 0.62, -0.41, 0.35], "mean": [2.6, 4.2, 2.2, 4.6], "scale": ["1–5"] * 4,
        "direction": ["+", "+", "−", "+"], "quadrant": ["fix first", "keep up", "monitor", "maintain"],
        "n": [120] * 4,
    })


def _values(spec: dict[str, object], data: dict[str, object]) -> list[dict[str, object]]:
    """A view's rows: inline, or under its name in the spec's datasets (Altair consolidates them)."""
    return data["values"] if "values" in data else spec["datasets"][data["name"]]  # type: ignore[index,return-value]


def test_the_quadrant_chart_on_literal_rows() -> None:
    spec = chart_drivers(_rows(), title="Importance × performance", level=0.9).to_dict()  # validates the spec
    assert spec["title"] == {"text": "Importance × performance",
                             "subtitle": "Dashed lines: the medians over the items, where the quadrants are cut · "
                                         "bars: 90% bootstrap interval"}
    layers = spec["layer"]
    assert len(layers) == 2 + 4 + 3  # two split lines, four quadrant names, interval bars, points, item names
    assert [_values(spec, layer["data"]) for layer in layers[:2]] == [[{"x": 0.15, "y": 60.0}]] * 2
    assert layers[0]["encoding"]["x"]["field"] == "x" and layers[1]["encoding"]["y"]["field"] == "y"
    corners = [(row["name"], row["x"], row["y"]) for layer in layers[2:6] for row in _values(spec, layer["data"])]
    # x from 0.02 − 10% of the span (not below 0) to 0.35 + 35% of it (room for the names); y in tens around 30..90
    assert corners == [("fix first", pytest.approx(0.4655), 20.0), ("keep up", pytest.approx(0.4655), 100.0),
                       ("monitor", 0.0, 20.0), ("maintain", 0.0, 100.0)]
    bars, points, names = layers[6:]
    assert bars["mark"]["type"] == "rule" and bars["encoding"]["x"]["field"] == "x_low"
    assert bars["encoding"]["x2"] == {"field": "x_high"}
    assert points["encoding"]["color"]["scale"]["domain"] == list(QUADRANT_ORDER)
    assert points["encoding"]["color"]["scale"]["range"] == ["#d7301f", "#0f7c8c", "#737373", "#2b4c7e"]
    assert points["encoding"]["x"]["scale"]["domain"] == [0.0, pytest.approx(0.4655)]
    assert points["encoding"]["y"]["scale"]["domain"] == [20.0, 100.0]
    assert names["encoding"]["text"]["field"] == "label"
    rows = _values(spec, spec["data"])
    row = rows[0]
    assert row["label"] == "Speed" and row["quadrant"] == "fix first" and row["n"] == 120
    assert row["importance_text"] == "30.0% of the score's variance (90% CI 25.0% to 35.0%)"
    assert row["share_text"] == "40.0%"
    assert row["mean_text"] == "2.60 on 1–5 (40 of 100)"
    assert rows[2]["correlation_text"] == "-0.41"
    assert [t["title"] for t in points["encoding"]["tooltip"]] == ["Item", "Quadrant", "Importance", "Share of R²",
                                                                     "Mean", "Correlation", "Direction", "n"]


def test_the_quadrant_chart_in_the_simple_mode_and_empty() -> None:
    rows = _rows().assign(x=[0.70, 0.62, -0.41, 0.35], x_low=NAN, x_high=NAN, x_split=0.485)
    spec = chart_drivers(rows, title="t", mode="correlation").to_dict()
    assert len(spec["layer"]) == 2 + 4 + 2  # no interval bars
    assert spec["layer"][-1]["encoding"]["x"]["title"] == "Correlation with the score"
    # below the lowest by 10% of the span (a negative correlation: not held at 0)
    assert spec["layer"][-2]["encoding"]["x"]["scale"]["domain"] == [pytest.approx(-0.521), pytest.approx(1.0885)]
    assert chart_drivers(rows.iloc[:0], title="t").to_dict()["mark"]["type"] == "text"


def test_the_drivers_table_on_literal_rows() -> None:
    table = drivers_table(_rows(), level=0.9)
    assert table.iloc[0].to_dict() == {"item": "Speed", "quadrant": "fix first", "variance explained": "30.0%",
                                       "90% interval": "25.0% to 35.0%", "share of R²": "40.0%", "direction": "+",
                                       "mean": "2.60", "scale": "1–5", "correlation": "0.70", "n": "120"}
    assert table.iloc[2]["correlation"] == "−0.41"
    assert drivers_table(_rows().iloc[:0]).columns[3] == "95% interval"


def test_an_employee_group_with_too_few_says_so_without_its_count(tmp_path: Path) -> None:
    frame = _frame(90, ["workload", "manager"])
    frame["Team"] = ["A"] * 80 + ["B"] * 10
    path = tmp_path / "staff.duckdb"
    con = store.connect(path)
    try:
        ingest.ingest_dataframe(con, frame, name="Staff", kind="employee",
                                overrides=Overrides(score="Score", date="Date", dimensions=("Team",),
                                                    items=("workload", "manager")))
        ds = store.get_dataset(con, 1)
        views = analyse_dataset(con, ds, ["workload", "manager"], by="Team", bootstrap=0)
    finally:
        con.close()
    assert [(v.value, v.result.computed) for v in views] == [("A", True), ("B", False)]
    assert views[1].result.warnings == ("fewer than 30 complete responses (this employee survey shows no count of a "
                                        "group, and analyses none, below 30): not computed",)
    assert views[1].drivers.empty and views[0].result.n == 80


def test_the_employee_sample_by_department(db: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["ds"] = "Sample: employee survey (eNPS) · #2"
    at.query_params["drv_by"] = "department"
    _page(at)
    tables = [d.value for d in at.dataframe if "quadrant" in d.value.columns]
    assert tables and all(set(t["item"]) == {"Rating workload", "Rating manager", "Rating pay", "Rating colleagues"}
                          for t in tables)
    assert all("complete responses:" not in i.value for i in at.info)  # no group's count below the threshold


def test_the_guard_rails_are_said_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _frame(300, ["speed", "staff", "price"])
    frame["staff"] = [s if i % 10 else min(5, s + 1) for i, s in enumerate(frame["speed"])]  # nearly speed: collinear
    frame["price"] = frame["price"].astype(object)
    frame.loc[frame.index % 4 == 0, "price"] = "N/A"  # a quarter of the respondents skipped it
    at = _app(_small_db(tmp_path, frame, Overrides(score="Score", date="Date", dimensions=("Team",),
                                                   items=("speed", "staff", "price"))), monkeypatch)
    warnings = [shown(w.value) for w in at.warning]
    assert warnings[0] == ("'price' is missing for 75 of 300 respondents (25%): the drivers rest on those who "
                           "answered every item")
    assert warnings[1] == "75 response(s) left out: an item or the score missing"
    assert warnings[2].startswith("collinear items: 'speed' (VIF ") and "'staff' (VIF " in warnings[2]
    assert _metric(at, "Responses analysed (n)") == "225"
