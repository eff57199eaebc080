"""What sets promoters and detractors apart (issue 14): Welch's difference of item means, theme lifts, one
Benjamini–Hochberg family, the anonymity rule, the ``profiles`` command's fields and the sample's planted story —
hand-computed literal examples and hypothesis for the invariants."""

from __future__ import annotations

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

from nps import domain, store
from nps.cli import main
from nps.errors import NotTaggedError
from nps.query.apart import ITEM_COLUMNS, THEME_COLUMNS, _theme_table, what_sets_them_apart
from nps.query.options import Options
from nps.stats import adjust_p_values
from nps.stats.lift import lift_arrays
from nps.stats.welch import welch_arrays
from nps.store import sql
from nps.store.tagging import tag_dataset
from nps.text import Codebook
from tests.factories import make_dataset

# --- Welch's difference of two means ----------------------------------------------------------------


def test_welchs_interval_and_test_by_hand() -> None:
    # a = 4 5 3 4 5 4: mean 25/6 = 4.166667, variance 4.1667/5 = 0.566667; b = 2 3 1 2 4 3 2: mean 17/7 = 2.428571,
    # variance 5.714286/6 = 0.952381. diff 1.738095; SE = sqrt(0.566667/6 + 0.952381/7) = 0.480103;
    # df = SE⁴ / ((0.094444)²/5 + (0.136054)²/6) = 10.9116; t(0.975, 10.91) = 2.20336: 0.680351 .. 2.795840;
    # t = 3.620255, two-sided p = 0.004076 (scipy.stats.ttest_ind(equal_var=False) gives the same).
    out = welch_arrays(25 / 6, 0.566667, 6, 17 / 7, 0.952381, 7)
    assert out["diff"][0] == pytest.approx(1.738095, abs=1e-6)
    assert out["se"][0] == pytest.approx(0.480103, abs=1e-6)
    assert out["df"][0] == pytest.approx(10.9116, abs=1e-4)
    assert out["low"][0] == pytest.approx(0.680351, abs=1e-5)
    assert out["high"][0] == pytest.approx(2.795840, abs=1e-5)
    assert out["p_value"][0] == pytest.approx(0.004076, abs=1e-6)


def test_welch_at_the_edges() -> None:
    out = welch_arrays([4.0, 4.0, 3.0, 4.0, 5.0], [0.0, 0.5, math.nan, 1.0, 1.0], [3, 10, 1, 10, 0],
                       [4.0, 3.0, 2.0, 3.0, 4.0], [0.0, 0.5, 1.0, 1.0, 1.0], [5, 10, 10, 10, 10], min_n=5)
    assert out["diff"][0] == 0.0 and (out["low"][0], out["high"][0]) == (0.0, 0.0)  # no spread: nothing to test
    assert math.isnan(out["p_value"][0])
    assert out["diff"][1] == 1.0 and out["p_value"][1] < 0.01  # tested: 10 a side
    assert out["diff"][2] == 1.0 and math.isnan(out["low"][2])  # one rating: a difference, no interval
    assert out["p_value"][3] == pytest.approx(welch_arrays(4.0, 1.0, 10, 3.0, 1.0, 10)["p_value"][0])
    assert math.isnan(out["diff"][4])  # an empty group
    assert math.isnan(welch_arrays(4.0, 1.0, 4, 3.0, 1.0, 10, min_n=5)["p_value"][0])  # below the minimum n
    with pytest.raises(ValueError, match="negative"):
        welch_arrays(1.0, -1.0, 3, 1.0, 1.0, 3)


ratings = st.lists(st.integers(1, 7), min_size=2, max_size=40)


@pytest.mark.filterwarnings("ignore:Precision loss:RuntimeWarning")  # scipy, on nearly equal ratings
@given(ratings, ratings, st.floats(min_value=0.5, max_value=0.999))
def test_welchs_interval_contains_the_difference_and_agrees_with_scipy(a: list[int], b: list[int],
                                                                      level: float) -> None:
    from scipy import stats as scipy_stats

    xa, xb = np.array(a, dtype=float), np.array(b, dtype=float)
    out = welch_arrays(xa.mean(), xa.var(ddof=1), xa.size, xb.mean(), xb.var(ddof=1), xb.size, level=level)
    assert out["low"][0] <= out["diff"][0] <= out["high"][0]
    if xa.var() + xb.var() > 0:
        reference = scipy_stats.ttest_ind(xa, xb, equal_var=False)
        assert out["p_value"][0] == pytest.approx(reference.pvalue, abs=1e-9)
        assert 0 <= out["p_value"][0] <= 1
        bounds = reference.confidence_interval(level)
        assert (out["low"][0], out["high"][0]) == pytest.approx((bounds.low, bounds.high), abs=1e-9)


# --- what sets them apart in a dataset -----------------------------------------------------------------

SMALL = pd.DataFrame({
    "score": [10, 10, 9, 9, 8, 7, 3, 2, 0, 5],
    "speed": ["5", "4", "5", "4", "3", "3", "1", "2", "1", "N/A"],
    "staff": ["agree", "4", "4", "4", "4", "4", "4", "4", "4", "4"],
    "seg": ["x", "x", "x", "y", "y", "y", "y", "x", "x", "x"],
    "comment": ["friendly staff", "friendly and quick", "", "great", "ok", None, "late delivery", "late again",
                "late and rude", "friendly but late"],
})
BOOK = Codebook.build({"Late": {"en": ["late"]}, "Friendly": {"en": ["friendly"]}, "Price": {"en": ["price"]}})


def _small(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame = SMALL, items: tuple[str, ...] = ("speed", "staff"),
           **kw: object) -> store.Dataset:
    ds = make_dataset(con, frame, comment="comment" if "comment" in frame else None, **kw)  # type: ignore[arg-type]
    return replace(ds, mapping=replace(ds.mapping, items=items))


def test_items_by_hand(con: duckdb.DuckDBPyConnection) -> None:
    ds = _small(con)
    found = what_sets_them_apart(con, ds, opts=Options(min_n=1))
    assert found.themes is None and found.notes == () and found.items.columns.tolist() == list(ITEM_COLUMNS)
    speed, staff = (found.items.iloc[i] for i in range(2))
    # speed: "N/A" (the 5) reads as missing. Promoters 5 4 5 4: mean 4.5, variance 1/3; the rest 3 3 1 2 1:
    # mean 2, variance 1. diff 2.5, SE = sqrt(1/12 + 1/5) = 0.532291, df = 0.283333² / (0.083333²/3 + 0.2²/4)
    # = 6.5188, t(0.975) = 2.40046: 1.22225 .. 3.77775. Detractors 1 2 1 (mean 4/3) against 5 4 5 4 3 3 (mean 4).
    assert (speed["n"], speed["n_promoters"], speed["n_detractors"]) == (9, 4, 3)
    assert speed["mean_all"] == pytest.approx(28 / 9)
    assert (speed["mean_promoters"], speed["mean_detractors"]) == pytest.approx((4.5, 4 / 3))
    assert speed["promoter_diff"] == pytest.approx(2.5)
    assert (speed["promoter_diff_low"], speed["promoter_diff_high"]) == pytest.approx((1.22225, 3.77775), abs=1e-5)
    assert speed["detractor_diff"] == pytest.approx(4 / 3 - 4)
    assert (speed["promoter_flag"], speed["detractor_flag"]) == ("high", "low")
    # staff: "agree" is 4 on the 5-point scale, so every rating is 4: no difference, nothing to test.
    assert (staff["n"], staff["mean_all"], staff["promoter_diff"]) == (10, 4.0, 0.0)
    assert math.isnan(staff["promoter_p"]) and staff["promoter_flag"] == ""
    assert found.family == {"method": "bh", "tests": 2, "level": 0.95}
    # Below the minimum n (30 by default) nothing is tested, so nothing is flagged.
    plain = what_sets_them_apart(con, ds)
    assert plain.family["tests"] == 0 and (plain.items["detractor_flag"] == "").all()


def test_themes_by_hand_and_one_family_with_the_items(con: duckdb.DuckDBPyConnection) -> None:
    ds = _small(con)
    tag_dataset(con, ds, BOOK)
    found = what_sets_them_apart(con, ds, opts=Options(min_n=1), codebook=BOOK)
    themes = found.themes
    assert themes is not None and themes.columns.tolist() == list(THEME_COLUMNS)
    assert found.codebook_version == BOOK.version
    # 8 responses have a comment (the blank and the missing one do not): 3 promoters', 4 detractors'.
    assert themes[["theme", "comments", "mentions", "promoter_comments", "promoter_mentions", "detractor_comments",
                   "detractor_mentions"]].values.tolist() == [
        ["Late", 8, 4, 3, 0, 4, 4], ["Friendly", 8, 3, 3, 2, 4, 1]]  # Price, never mentioned, is left out
    late, friendly = themes.iloc[0], themes.iloc[1]
    # Late: every detractor's comment (1) against half of all (4/8): lift 2. Friendly: 2/3 of the promoters'
    # comments against 3/8 of all: 16/9; 1/4 of the detractors': 2/3.
    assert (late["share_all"], late["share_detractors"], late["detractor_lift"]) == (0.5, 1.0, 2.0)
    assert friendly["promoter_lift"] == pytest.approx(16 / 9)
    assert friendly["detractor_lift"] == pytest.approx(2 / 3)
    expected = lift_arrays([2], [3], [3], [8])
    assert (friendly["promoter_lift_low"], friendly["promoter_lift_high"]) == pytest.approx(
        (expected["low"][0], expected["high"][0]))
    # One family: 2 item tests and 4 theme tests, adjusted together.
    assert found.family == {"method": "bh", "tests": 6, "level": 0.95}
    raw = np.concatenate([found.items["promoter_p"], found.items["detractor_p"], themes["promoter_p"],
                          themes["detractor_p"]])
    adjusted = np.concatenate([found.items["promoter_p_adjusted"], found.items["detractor_p_adjusted"],
                               themes["promoter_p_adjusted"], themes["detractor_p_adjusted"]])
    assert adjusted == pytest.approx(adjust_p_values(raw), nan_ok=True)
    assert (themes["promoter_flag"] == "").all()  # 10 responses: too few for a theme to stand out
    holm = what_sets_them_apart(con, ds, opts=Options(min_n=1, multiplicity="holm"), codebook=BOOK)
    assert holm.family["method"] == "holm"


def test_flags_need_the_multiplicity_control(con: duckdb.DuckDBPyConnection) -> None:
    # 60 promoters rate speed 5 or 4, 60 detractors 1 or 2; price is noise (the same for everyone).
    n = 60
    frame = pd.DataFrame({"score": [10] * n + [1] * n,
                          "speed": ["5", "4"] * (n // 2) + ["1", "2"] * (n // 2),
                          "price": ["3", "4"] * n})
    ds = _small(con, frame, items=("speed", "price"))
    found = what_sets_them_apart(con, ds)
    assert found.items["promoter_flag"].tolist() == ["high", ""]
    assert found.items["detractor_flag"].tolist() == ["low", ""]
    assert found.items["promoter_diff"].tolist() == pytest.approx([3.0, 0.0])
    assert found.items["promoter_p"].iloc[1] == pytest.approx(1.0)


def test_a_filter_and_a_scope_apply(con: duckdb.DuckDBPyConnection) -> None:
    ds = _small(con)
    tag_dataset(con, ds, BOOK)
    scoped = replace(ds, scope=domain.Scope.from_pairs([("seg", "y")]))
    found = what_sets_them_apart(con, scoped, opts=Options(min_n=1), codebook=BOOK)
    # seg y: scores 9 8 7 3 (speed 4 3 3 1); comments great, ok, late delivery.
    assert found.items.iloc[0][["n", "n_promoters", "n_detractors"]].tolist() == [4, 1, 1]
    assert found.items.iloc[0]["mean_all"] == pytest.approx(11 / 4)
    late = found.themes.set_index("theme").loc["Late"]  # type: ignore[union-attr]
    assert (late["comments"], late["mentions"], late["detractor_mentions"]) == (3, 1, 1)


def test_without_items_comments_or_tags(con: duckdb.DuckDBPyConnection) -> None:
    bare = _small(con, SMALL.drop(columns=["comment"]), items=())
    found = what_sets_them_apart(con, bare, codebook=BOOK)
    assert found.items.empty and found.themes is None
    assert found.items_note is not None and "no item ratings" in found.items_note
    assert found.themes_note == "this dataset has no comment column, so no themes"
    with pytest.raises(NotTaggedError):
        what_sets_them_apart(con, _small(con), codebook=BOOK)  # reads never tag


def test_the_employee_anonymity_rule(con: duckdb.DuckDBPyConnection) -> None:
    # 12 promoters and 3 detractors: the detractors (3 < 5) are a group too small to show.
    frame = pd.DataFrame({"score": [10] * 12 + [2] * 3, "speed": ["5"] * 6 + ["4"] * 6 + ["1", "2", "1"],
                          "comment": ["friendly"] * 12 + ["late"] * 3})
    ds = _small(con, frame, items=("speed",))
    sql.execute(con, "UPDATE datasets SET kind = 'employee' WHERE id = ?", [ds.id])
    staff = replace(store.get_dataset(con, ds.id), mapping=ds.mapping)
    tag_dataset(con, staff, BOOK)
    found = what_sets_them_apart(con, staff, opts=Options(min_n=1), codebook=BOOK)
    speed = found.items.iloc[0]
    # The detractors' mean is hidden, and so are the overall mean and both differences, which with the promoters'
    # mean would give it; the promoters' mean (12) stays.
    assert all(math.isnan(speed[c]) for c in ("mean_all", "mean_detractors", "detractor_diff", "promoter_diff"))
    assert speed["mean_promoters"] == 4.5 and (speed["n"], speed["n_detractors"]) == (15, 3)
    themes = found.themes.set_index("theme")  # type: ignore[union-attr]
    # Late: 3 mentioners (< 5): hidden; the detractors' comments (3) are a small group: hidden everywhere.
    assert themes[["share_detractors", "detractor_lift"]].isna().all().all()
    assert math.isnan(themes.loc["Late", "promoter_lift"])
    # A selection of fewer than 10 respondents hides the comments altogether.
    from nps.query.filters import Filter

    few = what_sets_them_apart(con, staff, Filter.build(include={"speed": ["5"]}), codebook=BOOK)
    assert few.themes is None and few.themes_note is not None and "comments" in few.themes_note
    # Leaving out 3 respondents (speed 1 or 2: the detractors) would tell them by subtraction: all hidden.
    rest = what_sets_them_apart(con, staff, Filter.build(exclude={"speed": ["1", "2"]}), codebook=BOOK)
    assert rest.items.drop(columns=["item", "promoter_flag", "detractor_flag"]).isna().all().all()
    assert rest.themes is None and rest.items_note == rest.themes_note and rest.items_note.startswith("Hidden:")


def test_a_few_passives_hide_what_would_give_their_mean(con: duckdb.DuckDBPyConnection) -> None:
    # 10 promoters, 2 passives, 10 detractors: the overall mean (or a difference) with the two groups' means would
    # give the 2 passives' mean, so only the promoters' and detractors' means are shown.
    frame = pd.DataFrame({"score": [10] * 10 + [8, 7] + [1] * 10, "speed": ["5"] * 10 + ["3", "2"] + ["1"] * 10})
    ds = _small(con, frame, items=("speed",))
    sql.execute(con, "UPDATE datasets SET kind = 'employee' WHERE id = ?", [ds.id])
    staff = replace(store.get_dataset(con, ds.id), mapping=ds.mapping)
    speed = what_sets_them_apart(con, staff).items.iloc[0]
    assert (speed["mean_promoters"], speed["mean_detractors"]) == (5.0, 1.0)
    assert all(math.isnan(speed[c]) for c in ("mean_all", "promoter_diff", "promoter_diff_low", "detractor_diff"))
    # The same file as a customer survey shows everything.
    assert what_sets_them_apart(con, ds).items.iloc[0]["mean_all"] == pytest.approx(65 / 22)


@given(st.lists(st.tuples(st.integers(0, 10), st.sampled_from(["1", "2", "3", "4", "5", "x", None])),
                min_size=1, max_size=40))
def test_item_invariants(rows: list[tuple[int, str | None]]) -> None:
    con = store.connect(":memory:")
    try:
        ds = _small(con, pd.DataFrame(rows, columns=["score", "speed"]), items=("speed",))
        found = what_sets_them_apart(con, ds, opts=Options(min_n=2))
    finally:
        con.close()
    row = found.items.iloc[0]
    rated = [int(v) for _, v in rows if v not in (None, "x")]
    assert row["n"] == len(rated)
    for g in ("promoter", "detractor"):
        if not math.isnan(row[f"{g}_diff_low"]):
            assert row[f"{g}_diff_low"] <= row[f"{g}_diff"] + 1e-12 <= row[f"{g}_diff_high"] + 2e-12
        assert row[f"{g}_flag"] in ("", "high", "low")
    for c in ("mean_all", "mean_promoters", "mean_detractors"):
        assert math.isnan(row[c]) or 1 <= row[c] <= 5


@given(st.integers(0, 80), st.integers(0, 80), st.integers(0, 80), st.data())
def test_theme_shares_are_fractions_and_lifts_inside_their_intervals(promoters: int, detractors: int, passives: int,
                                                                     data: st.DataObject) -> None:
    total = promoters + detractors + passives
    hits_p = data.draw(st.integers(0, promoters))
    hits_d = data.draw(st.integers(0, detractors))
    hits = hits_p + hits_d + data.draw(st.integers(0, passives))
    counts = pd.DataFrame({"n": [hits], "promoters": [hits_p], "detractors": [hits_d]}, index=["T"])
    out = _theme_table({"n": total, "promoters": promoters, "detractors": detractors}, counts, ["T"], Options())
    row = out.iloc[0]
    for c in ("share_all", "share_promoters", "share_detractors"):
        assert math.isnan(row[c]) or 0 <= row[c] <= 1
    for g in ("promoter", "detractor"):
        if not math.isnan(row[f"{g}_lift"]):
            assert row[f"{g}_lift_low"] <= row[f"{g}_lift"] <= row[f"{g}_lift_high"]


# --- the profiles command ---------------------------------------------------------------------------


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.csv"
    SMALL.rename(columns={"speed": "rating_speed", "staff": "rating_staff"}).to_csv(path, index=False)
    return path


def test_the_command_prints_what_sets_them_apart(small_file: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    book = tmp_path / "book.yaml"
    book.write_text("themes:\n  - name: Late\n    words:\n      en: [late]\n"
                    "  - name: Friendly\n    words:\n      en: [friendly]\n", encoding="utf-8")
    args = ["profiles", str(small_file), "--score-column", "score", "--comment-column", "comment",
            "--item-column", "rating_speed", "--item-column", "rating_staff", "--by", "seg", "--min-n", "1",
            "--codebook", str(book)]
    assert main([*args, "--format", "json"]) == 0
    apart = json.loads(capsys.readouterr().out)["apart"]
    assert apart["family"] == {"method": "bh", "tests": 6, "level": 0.95}
    speed = apart["items"][0]
    assert (speed["item"], speed["n"], speed["promoter_diff"], speed["promoter_flag"]) == ("rating_speed", 9, 2.5, "high")
    assert apart["items"][1]["promoter_p"] is None  # NaN is null
    assert [t["theme"] for t in apart["themes"]] == ["Late", "Friendly"]
    assert apart["themes"][0]["detractor_lift"] == 2.0
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "What sets them apart (95% intervals; high/low after bh across 6 tests)" in text
    assert "rating_speed   9  3.11  4.50 (4)   1.33 (3)    +2.50 [+1.22, +3.78] high  -2.67 [-3.87, -1.46] low" in text
    assert "Late             4  50.0%       0.0%      100.0%  0.00 [0.00, 1.55]  2.00 [0.78, 2.00]" in text


def test_no_theme_mentioned(small_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = tmp_path / "book.yaml"
    book.write_text("themes:\n  - name: Price\n    words:\n      en: [price]\n", encoding="utf-8")
    args = ["profiles", str(small_file), "--score-column", "score", "--comment-column", "comment", "--by", "seg",
            "--codebook", str(book)]
    assert main([*args, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["apart"]["themes"] == []
    assert main(args) == 0
    assert "themes: no comment in view mentions a theme of the codebook" in capsys.readouterr().out


def test_a_read_only_database_without_tags_says_so(small_file: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "t.duckdb"
    assert main(["ingest", str(small_file), "--db", str(db), "--score-column", "score", "--comment-column", "comment",
                 "--name", "small"]) == 0
    capsys.readouterr()
    assert main(["profiles", "small", "--db", str(db), "--read-only", "--by", "seg", "--format", "json"]) == 0
    apart = json.loads(capsys.readouterr().out)["apart"]
    assert apart["themes"] is None
    assert any(n.startswith("themes left out: the comments are not tagged") for n in apart["notes"])


def test_the_samples_planted_delivery_story_is_found(capsys: pytest.CaptureFixture[str]) -> None:
    # Delivery & logistics (its 2025 Q3 warehouse move): slow deliveries lower rating_speed and bring lateness
    # complaints, so among its detractors speed is the item furthest below the rest and waiting (lateness)
    # the theme most over-represented.
    assert main(["profiles", "data/sample_customers.csv", "--by", "segment", "--where",
                 "business_function=Delivery & logistics", "--format", "json"]) == 0
    apart = json.loads(capsys.readouterr().out)["apart"]
    items = {r["item"]: r for r in apart["items"]}
    assert {"rating_speed", "rating_staff", "rating_price", "rating_quality"} <= set(items)
    worst = min(items.values(), key=lambda r: r["detractor_diff"])
    assert worst["item"] == "rating_speed" and worst["detractor_flag"] == "low"
    assert worst["detractor_diff_high"] < 0
    themes = {r["theme"]: r for r in apart["themes"]}
    assert themes["Waiting time"]["detractor_flag"] == "high" and themes["Delivery & shipping"]["detractor_flag"] == "high"
    common = [r for r in apart["themes"] if r["mentions"] >= 100]
    assert max(common, key=lambda r: r["detractor_lift"])["theme"] == "Waiting time"
    assert themes["Waiting time"]["detractor_lift_low"] > 1
    for r in apart["themes"]:
        assert all(r[c] is None or 0 <= r[c] <= 1 for c in ("share_all", "share_promoters", "share_detractors"))


# --- the page ------------------------------------------------------------------------------------------


def test_the_page_shows_what_sets_them_apart(at: object) -> None:
    from streamlit.testing.v1 import AppTest

    assert isinstance(at, AppTest)
    at.switch_page("pages/profiles.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "What sets them apart" in [t.label for t in at.tabs]
    items = next(d.value for d in at.dataframe if "detractors − rest" in d.value.columns)
    assert items.columns.tolist() == [
        "item", "all: mean (n)", "promoters: mean (n)", "detractors: mean (n)", "promoters − rest",
        "95% interval (promoters − rest)", "detractors − rest", "95% interval (detractors − rest)"]
    speed = items.set_index("item").loc["Rating speed"]
    assert speed["detractors − rest"].startswith("-") and speed["detractors − rest"].endswith(" ▼")
    assert " to " in speed["95% interval (detractors − rest)"] and "(" in speed["detractors: mean (n)"]
    themes = next(d.value for d in at.dataframe if "mentions" in d.value.columns)
    assert {"Waiting time", "Delivery & shipping"} <= set(themes["theme"])
    assert "95% interval (detractors)" in themes.columns
    # Arrows only where flagged: a value without one has no arrow.
    assert all(cell.endswith((" ▲", " ▼")) or "▲" not in cell and "▼" not in cell for cell in themes["detractor lift"])
    assert any("Benjamini–Hochberg" in c.value and "items and themes together" in c.value for c in at.caption)


def test_hostile_names_stay_plain_on_the_tab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.hostile import THEME_NAME, build_hostile_db

    db = build_hostile_db(tmp_path / "hostile.duckdb")
    monkeypatch.setenv(store.DB_ENV, str(db))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=180)
    at.query_params["period"] = "All time"
    at.run()
    at.switch_page("pages/profiles.py").run()
    assert not at.exception, [e.value for e in at.exception]
    themes = next(d.value for d in at.dataframe if "mentions" in d.value.columns)
    assert THEME_NAME in set(themes["theme"])  # a table cell: data, never Markdown
    assert any("no item ratings" in i.value for i in at.info)
    for element in [*at.caption, *at.info, *at.markdown, *at.subheader]:
        assert not any(raw in element.value for raw in ("[t](", "[ds](", "**late**", "**bold**")), element.value


def test_the_tab_narrows_to_one_value(at: object) -> None:
    from streamlit.testing.v1 import AppTest

    assert isinstance(at, AppTest)
    at.switch_page("pages/profiles.py").run()
    whole = next(d.value for d in at.dataframe if "detractors − rest" in d.value.columns)
    within = at.selectbox(key="apart_within")
    assert within.options[0] == "all the responses in view"
    within.set_value(("segment", "B2B")).run()
    assert not at.exception, [e.value for e in at.exception]
    narrowed = next(d.value for d in at.dataframe if "detractors − rest" in d.value.columns)
    assert narrowed["all: mean (n)"].tolist() != whole["all: mean (n)"].tolist()
    assert any("within the value chosen" in c.value for c in at.caption)
    # Profiling by other columns drops the value chosen (it is no longer an option).
    at.multiselect(key="profile_by").set_value(["channel"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="apart_within").value is None
