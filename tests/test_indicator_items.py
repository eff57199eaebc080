"""Item indicators (issue 14): the mean of one item rating per period with its t interval, the last change by Welch's
test in the same Benjamini–Hochberg family as the other indicators, thresholds on the item's scale, migration 12,
the command line, the owner's e-mail and the page."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from nps import store
from nps.query.filters import Filter
from nps.query.indicators import define, evaluate, item_scale
from nps.query.options import Options
from nps.stats.welch import mean_interval_arrays, welch_arrays
from nps.store import audit, indicators, schema, sql
from nps.store.indicators import IndicatorError
from tests.factories import make_dataset

# t(3) and t(6) quantiles at 97.5% (scipy.stats.t.ppf), Welch's p of 4.5 vs 2.5 (sd √(1/3), 4 a side: df 6).
T3, T6, WELCH_P = 3.1824463052837078, 2.4469118511449786, 0.0027136820350937957
HALF4 = T3 * math.sqrt(1 / 3 / 4)  # the half width of a mean of 4 ratings of sample variance 1/3


def _with_items(con: duckdb.DuckDBPyConnection, ds: store.Dataset, items: tuple[str, ...]) -> store.Dataset:
    mapping = replace(ds.mapping, items=items)
    sql.execute(con, "UPDATE datasets SET mapping = ? WHERE id = ?", [mapping.to_json(), ds.id])
    return store.get_dataset(con, ds.id)


@pytest.fixture
def rated(con: duckdb.DuckDBPyConnection) -> store.Dataset:
    # Delivery: April speed 4, 5, "Agree" (4), 5 and "N/A" (left out): mean 4.5, sample variance 1/3;
    # May 2, "Disagree" (2), 3, "neither agree nor disagree" (3) and a blank: mean 2.5, variance 1/3.
    # Scores: April 10, 9, 9, 10, 8 (NPS +80), May 3, 2, 9, 6, 5 (NPS −60). Billing: every speed 1 (not followed).
    rows = [("Delivery", s, "2026-04-10", r) for s, r in zip((10, 9, 9, 10, 8), ("4", "5", "Agree", "5", "N/A"))]
    rows += [("Delivery", s, "2026-05-10", r) for s, r in zip((3, 2, 9, 6, 5),
                                                               ("2", "Disagree", "3", "neither agree nor disagree", None))]
    rows += [("Billing", 7, f"2026-0{m}-12", "1") for m in (4, 5) for _ in range(3)]
    frame = pd.DataFrame(rows, columns=["touchpoint", "score", "date", "speed"])
    ds = make_dataset(con, frame, name="shop", dimensions=["touchpoint"], date="date")
    return _with_items(con, ds, ("speed",))


def test_an_item_indicator_is_validated_stored_and_audited(con: duckdb.DuckDBPyConnection,
                                                           rated: store.Dataset) -> None:
    with pytest.raises(IndicatorError, match="needs one of the dataset's items .*: not 'price'; its items are 'speed'"):
        define(con, dataset_id=rated.id, name="Price", kind="item", item="price", actor="x")
    with pytest.raises(IndicatorError, match="its items are 'speed'"):
        define(con, dataset_id=rated.id, name="Nothing", kind="item", actor="x")
    with pytest.raises(IndicatorError, match="the threshold 6.0 is outside 1..5, the scale of the item 'speed'"):
        define(con, dataset_id=rated.id, name="Speed", kind="item", item="speed", threshold=6.0,
                                 actor="x")
    with pytest.raises(IndicatorError, match="the target 0.5 is outside 1..5"):
        define(con, dataset_id=rated.id, name="Speed", kind="item", item="speed", target=0.5,
                                 actor="x")
    made = define(con, dataset_id=rated.id, name="Speed", kind="item", item=" speed ",
                                    conditions={"touchpoint": ["Delivery"]}, threshold=3, target=4, actor="ana")
    assert (made.kind, made.item, made.threshold, made.target) == ("item", "speed", 3.0, 4.0)
    assert indicators.list_indicators(con, rated.id) == [made]
    # an NPS indicator keeps no item, whatever is passed
    other = define(con, dataset_id=rated.id, name="NPS", kind="nps", item="speed", actor="ana")
    assert other.item is None
    (entry,) = [e for e in audit.audit_entries(con) if e.target == f"indicator #{made.id}"]
    assert entry.action == "indicator added" and '"item": "speed"' in json.dumps(entry.after)
    assert item_scale(con, rated, "speed") == (1, 5)
    with pytest.raises(ValueError, match="with its item's scale"):  # the store alone cannot read it
        indicators.add_indicator(con, dataset_id=rated.id, name="Raw", kind="item", item="speed", actor="x")


def test_means_interval_welch_and_one_family_with_an_nps_indicator(con: duckdb.DuckDBPyConnection,
                                                                   rated: store.Dataset) -> None:
    speed = define(con, dataset_id=rated.id, name="Delivery speed", kind="item", item="speed",
                                     conditions={"touchpoint": ["Delivery"]}, threshold=3, target=4,
                                     owner="ana@example.com", actor="x")
    nps = define(con, dataset_id=rated.id, name="Delivery NPS", kind="nps",
                                   conditions={"touchpoint": ["Delivery"]}, actor="x")
    opts = Options(min_n=3)
    found = {s.indicator.name: s for s in evaluate(con, rated, [speed, nps], Filter(), "month", opts)}
    s, n = found["Delivery speed"], found["Delivery NPS"]
    assert (s.unit, s.scale) == ("1–5", (1, 5))
    assert [(p.period, p.n, p.value) for p in s.series] == [("2026-04", 4, 4.5), ("2026-05", 4, 2.5)]
    assert [(p.low, p.high) for p in s.series] == [pytest.approx((4.5 - HALF4, 4.5 + HALF4)),
                                                   pytest.approx((2.5 - HALF4, 2.5 + HALF4))]
    assert s.series[0].low == pytest.approx(3.581307, abs=1e-6)
    half = T6 * math.sqrt(1 / 6)  # Welch: SE √(1/12 + 1/12), df 6
    assert (s.change, s.change_low, s.change_high) == pytest.approx((-2.0, -2.0 - half, -2.0 + half))
    assert s.p == pytest.approx(WELCH_P)
    # One Benjamini–Hochberg family with the NPS indicator: two tests.
    assert [p.value for p in n.series] == pytest.approx([80.0, -60.0]) and n.p is not None
    low, high = sorted([s.p, n.p])
    adjusted = {low: min(2 * low, high), high: high}
    assert s.p_adjusted == pytest.approx(adjusted[s.p]) and n.p_adjusted == pytest.approx(adjusted[n.p])
    assert s.deteriorated and s.alarm and s.gap == pytest.approx(-1.5)
    assert s.sentence == ("2026-05: 2.50 on 1–5 (n 4 ratings, 95% CI 1.58 to 3.42); −2.00 on its scale vs the period "
                          "before — a significant deterioration. Past its threshold (below 3).")
    # The ratings read as the drivers read them (one reader): the drivers' frame gives the same monthly means.
    from nps.query.drivers import item_frame

    frame = item_frame(con, rated, ["speed"], Filter.build(include={"touchpoint": ["Delivery"]}))
    assert frame["speed"].iloc[:4].tolist() == [4.0, 5.0, 4.0, 5.0] and math.isnan(frame["speed"].iloc[4])
    assert [frame["speed"].iloc[:5].mean(), frame["speed"].iloc[5:].mean()] == [4.5, 2.5]
    # On its own the item's test is its own family.
    (alone,) = evaluate(con, rated, [speed], Filter(), "month", opts)
    assert alone.p_adjusted == pytest.approx(WELCH_P)
    # Below the minimum n (default 30) nothing is tested: no deterioration, the alarm stays.
    (untested,) = evaluate(con, rated, [speed], Filter(), "month", Options())
    assert untested.p is None and not untested.deteriorated and untested.alarm


def test_a_rising_item_is_not_a_deterioration_and_one_period_is_not_compared(con: duckdb.DuckDBPyConnection,
                                                                              rated: store.Dataset) -> None:
    speed = define(con, dataset_id=rated.id, name="Speed", kind="item", item="speed",
                                     conditions={"touchpoint": ["Delivery"]}, actor="x")
    (may,) = evaluate(con, rated, [speed], Filter(since=dt.date(2026, 5, 1)), "month", Options(min_n=3))
    assert [p.period for p in may.series] == ["2026-05"] and may.change is None
    assert may.sentence.endswith("; no previous period to compare with.")
    (april_only,) = evaluate(con, rated, [speed], Filter(until=dt.date(2026, 4, 30)), "month", Options(min_n=3))
    assert april_only.series[0].value == 4.5 and not april_only.alarm
    billing = define(con, dataset_id=rated.id, name="Billing speed", kind="item", item="speed",
                                       conditions={"touchpoint": ["Billing"]}, actor="x")
    (flat,) = evaluate(con, rated, [billing], Filter(), "month", Options(min_n=3))
    # every rating 1: the interval is the mean itself and there is nothing to test
    assert [(p.value, p.low, p.high) for p in flat.series] == [(1.0, 1.0, 1.0)] * 2
    assert flat.change == 0.0 and flat.p is None and not flat.deteriorated


def test_the_employee_anonymity_rule_hides_small_periods(con: duckdb.DuckDBPyConnection,
                                                         rated: store.Dataset) -> None:
    speed = define(con, dataset_id=rated.id, name="Speed", kind="item", item="speed",
                                     conditions={"touchpoint": ["Delivery"]}, actor="x")
    sql.execute(con, "UPDATE datasets SET kind = 'employee' WHERE id = ?", [rated.id])
    staff = store.get_dataset(con, rated.id)
    # 5 respondents a month but 4 ratings (< 5, the default group): both months hidden, nothing shown.
    (hidden,) = evaluate(con, staff, [speed], Filter(), "month", Options(min_n=3))
    assert hidden.series == () and hidden.change is None and hidden.sentence == "No responses in these periods."


def test_an_item_removed_from_the_mapping_says_so(con: duckdb.DuckDBPyConnection, rated: store.Dataset) -> None:
    speed = define(con, dataset_id=rated.id, name="Speed", kind="item", item="speed", actor="x")
    (gone,) = evaluate(con, _with_items(con, rated, ()), [speed], Filter(), "month", Options())
    assert gone.series == () and gone.sentence == "Its item is no longer one of the dataset's item ratings."


ratings = st.lists(st.integers(1, 5), min_size=1, max_size=40)


@given(ratings, st.floats(min_value=0.5, max_value=0.999))
def test_the_interval_contains_the_mean(values: list[int], level: float) -> None:
    arr = np.array(values, dtype=float)
    var = float(arr.var(ddof=1)) if len(arr) > 1 else 0.0
    (low,), (high,) = mean_interval_arrays(arr.mean(), var, len(arr), level=level)
    if len(arr) < 2:
        assert math.isnan(low) and math.isnan(high)
    else:
        assert low <= arr.mean() <= high and high - low >= 0


@pytest.mark.filterwarnings("ignore:Precision loss:RuntimeWarning")  # scipy, on nearly equal ratings
@given(ratings, ratings)
def test_the_change_interval_contains_the_change(a: list[int], b: list[int]) -> None:
    x, y = np.array(a, dtype=float), np.array(b, dtype=float)
    out = welch_arrays(x.mean(), x.var(ddof=1) if len(x) > 1 else 0.0, len(x), y.mean(),
                       y.var(ddof=1) if len(y) > 1 else 0.0, len(y))
    if len(x) >= 2 and len(y) >= 2:
        assert out["low"][0] <= x.mean() - y.mean() <= out["high"][0]


def test_migration_12_is_applied_once_to_a_database_with_indicators(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "eleven.duckdb"
    monkeypatch.setattr(schema, "_MIGRATIONS", tuple(m for m in schema._MIGRATIONS if m[0] <= 11))
    con = store.connect(path)
    try:
        assert store.schema_version(con) == 11
        sql.execute(con, "INSERT INTO indicators (dataset_id, name, kind, conditions, threshold) "
                         "VALUES (1, 'Old NPS', 'nps', '{}', 10)")
    finally:
        con.close()
    monkeypatch.undo()
    con = store.connect(path)
    try:
        assert store.schema_version(con) == schema._MIGRATIONS[-1][0]  # 12 and every later one
        (old,) = indicators.list_indicators(con)
        assert (old.name, old.kind, old.threshold, old.item) == ("Old NPS", "nps", 10.0, None)
        first = sql.fetch_all(con, "SELECT version, applied_at FROM schema_migrations ORDER BY version")
    finally:
        con.close()
    con = store.connect(path)  # applied once
    try:
        assert sql.fetch_all(con, "SELECT version, applied_at FROM schema_migrations ORDER BY version") == first
        assert sql.fetch_all(con, "SELECT count(*) FROM schema_migrations WHERE version = 12") == [(1,)]
    finally:
        con.close()


def _cli_db(tmp_path: Path) -> str:
    from nps import cli

    rows = [("Delivery", s, "2026-04-10", r) for s, r in zip((10, 9, 9, 10) * 10, ("4", "5", "Agree", "5") * 10)]
    rows += [("Delivery", s, "2026-05-10", r) for s, r in zip((3, 2, 9, 6) * 10, ("2", "Disagree", "3", "3") * 10)]
    pd.DataFrame(rows, columns=["touchpoint", "score", "date", "rating_speed"]).to_csv(tmp_path / "s.csv", index=False)
    db = str(tmp_path / "i.duckdb")
    assert cli.main(["ingest", str(tmp_path / "s.csv"), "--db", db, "--name", "shop", "--dimension", "touchpoint",
                     "--score-column", "score", "--item-column", "rating_speed"]) == 0
    return db


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nps import cli

    db = _cli_db(tmp_path)
    capsys.readouterr()
    assert cli.main(["indicators", "add", "Speed", "--dataset", "shop", "--kind", "item", "--item", "nope",
                     "--db", db]) == 2
    assert "its items are 'rating_speed'" in capsys.readouterr().err
    assert cli.main(["indicators", "add", "Speed", "--dataset", "shop", "--kind", "item", "--item", "rating_speed",
                     "--threshold", "9", "--db", db]) == 2
    assert "outside 1..5" in capsys.readouterr().err
    assert cli.main(["indicators", "add", "Speed", "--dataset", "shop", "--kind", "item", "--item", "rating_speed",
                     "--on", "touchpoint=Delivery", "--threshold", "3", "--target", "4", "--owner", "ana@example.com",
                     "--db", db]) == 0
    assert capsys.readouterr().out == "indicator 1: Speed (item) on shop\n"
    assert cli.main(["indicators", "list", "--db", db]) == 0
    listed = capsys.readouterr().out
    assert "theme or item" in listed and "rating_speed" in listed
    assert cli.main(["indicators", "list", "--db", db, "--format", "json"]) == 0
    (described,) = json.loads(capsys.readouterr().out)["indicators"]
    assert (described["kind"], described["item"]) == ("item", "rating_speed")
    assert cli.main(["indicators", "check", "shop", "--db", db, "--format", "json"]) == 0
    (found,) = json.loads(capsys.readouterr().out)["indicators"]
    assert (found["kind"], found["item"], found["scale"], found["unit"], found["theme"]) == (
        "item", "rating_speed", [1, 5], "1–5", None)
    assert [(p["period"], p["n"], p["value"]) for p in found["series"]] == [("2026-04", 40, 4.5), ("2026-05", 40, 2.5)]
    assert found["change"] == pytest.approx(-2.0) and found["deteriorated"] and found["alarm"]
    assert found["gap_to_target"] == pytest.approx(-1.5)
    assert cli.main(["indicators", "check", "shop", "--db", db]) == 0
    assert capsys.readouterr().out.startswith("⚠ Speed: 2026-05: 2.50 on 1–5 (n 40 ratings, 95% CI ")


def test_the_owner_hears_of_an_item_indicator(con: duckdb.DuckDBPyConnection, rated: store.Dataset) -> None:
    from nps.monitoring import notify_flagged
    from nps.store import outbox

    define(con, dataset_id=rated.id, name="Delivery speed", kind="item", item="speed",
                             conditions={"touchpoint": ["Delivery"]}, threshold=3, owner="ana@example.com", actor="x")
    now = dt.datetime(2026, 6, 1, 9, 0)
    assert notify_flagged(con, now) == 1  # past its threshold (not tested below the minimum n)
    assert notify_flagged(con, now + dt.timedelta(hours=1)) == 0
    (mail,) = outbox.messages(con)
    assert (mail.recipient, mail.subject, mail.event_key) == (
        "ana@example.com", "Indicator Delivery speed is past its threshold", "indicator:1:2026-05:flagged")
    assert "2026-05: 2.50 on 1–5 (n 4 ratings" in (mail.body or "")


# --- the page ------------------------------------------------------------------------------------


def test_an_item_indicator_is_defined_on_the_sample(at: AppTest, db: Path) -> None:
    at.query_params["period"] = "All time"
    at.switch_page("pages/indicators.py").run()
    assert not at.exception, [e.value for e in at.exception]
    kind = at.selectbox(key="ind_kind")
    assert kind.options == ["NPS", "theme share", "item rating"]
    assert at.selectbox(key="ind_item").options == ["Rating speed", "Rating staff", "Rating price", "Rating quality"]
    next(t for t in at.text_input if t.key == "ind_name").input("Speed of deliveries")
    kind.set_value("item")
    at.selectbox(key="ind_item").set_value("rating_speed")
    at.selectbox(key="ind_column").set_value("business_function")
    next(t for t in at.text_input if t.key == "ind_values").input("Delivery & logistics")
    at.number_input(key="ind_threshold").set_value(3.0)
    next(b for b in at.button if b.label == "Save the indicator").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success] == ["The indicator is saved\\."]
    texts = [t.value for t in at.text]
    assert "mean of rating speed on 1–5 · Business function = Delivery & logistics" in texts
    sentence = next(t for t in texts if " on 1–5 (n " in t)
    con = store.connect(db)
    try:
        (made,) = indicators.list_indicators(con, 1)
        assert (made.kind, made.item, made.threshold) == ("item", "rating_speed", 3.0)
        ds = store.get_dataset(con, 1)
        (engine,) = evaluate(con, ds, [made], Filter.build(include={"survey_type": ["transactional"]}), "month",
                             Options())
    finally:
        con.close()
    assert len(engine.series) == 6 and all(1 <= p.value <= 5 for p in engine.series)
    assert sentence.startswith(engine.series[-1].period + ": ")


def test_the_sample_s_delivery_speed_dips_in_2025_q3(db: Path) -> None:
    # The planted story: the 2025 Q3 warehouse move. Quarterly, every response, rating_speed of Delivery & logistics.
    con = store.connect(db)
    try:
        ds = store.get_dataset(con, 1)
        made = define(con, dataset_id=1, name="Speed", kind="item", item="rating_speed",
                                        conditions={"business_function": ["Delivery & logistics"]}, threshold=3,
                                        actor="x")
        (status,) = evaluate(con, ds, [made], Filter(until=dt.date(2025, 9, 30)), "quarter", Options())
    finally:
        con.close()
    last, before = status.series[-1], status.series[-2]
    assert last.period == "2025-Q3" and last.value < 3 < before.value
    assert status.deteriorated and status.alarm and status.change < -1


def test_hostile_item_names_stay_plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nps.ingest import Overrides
    from tests.test_drivers_page import HOSTILE_ITEMS, _frame, _small_db
    from tests.test_hostile_pages import assert_plain

    path = _small_db(tmp_path, _frame(240, HOSTILE_ITEMS),
                     Overrides(score="Score", date="Date", dimensions=("Team",), items=tuple(HOSTILE_ITEMS)))
    con = store.connect(path)
    try:
        define(con, dataset_id=1, name="[i](http://evil) **ind**", kind="item",
                                 item=HOSTILE_ITEMS[0], threshold=1, actor="x")
    finally:
        con.close()
    monkeypatch.setenv(store.DB_ENV, str(path))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=300)
    at.query_params["period"] = "All time"
    at.switch_page("pages/indicators.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert_plain(at, "indicators")
    texts = [t.value for t in at.text]
    assert any(t.startswith(f"mean of {HOSTILE_ITEMS[0]} on 1–5") for t in texts), texts
    assert at.selectbox(key="ind_item").options == HOSTILE_ITEMS


def test_the_chart_draws_an_item_on_its_scale() -> None:
    from nps.charts.indicators import chart_indicator
    from nps.query.indicators import Point

    points = [Point("2026-04", 4, 4.5, 4.5 - HALF4, 4.5 + HALF4), Point("2026-05", 4, 2.5, 2.5 - HALF4, 2.5 + HALF4)]
    spec = chart_indicator(points, unit="1–5", title="Delivery speed", threshold=3, target=4, scale=(1, 5),
                           item="Speed [x](http://evil)").to_dict()
    band, line, dots, threshold, target = spec["layer"]
    assert band["encoding"]["y"]["scale"] == {"domain": [1.0, 5.0], "nice": False, "zero": False}
    assert band["encoding"]["y"]["title"] == "Mean (1–5)"
    assert spec["title"]["subtitle"].startswith("Mean of Speed [x](http://evil) · ")  # a Vega-Lite title: plain text
    assert line["encoding"]["y"]["scale"]["domain"] == [1.0, 5.0]
    data = spec["data"]["values"] if "values" in spec.get("data", {}) else spec["datasets"][spec["data"]["name"]]
    assert [v["value_text"] for v in data] == ["4.50 (95% CI 3.58 to 5.42)", "2.50 (95% CI 1.58 to 3.42)"]
    assert [spec["datasets"][layer["data"]["name"]][0]["y"] for layer in (threshold, target)] == [3, 4]
