"""Every page under AppTest on the sample dataset: it runs, and its numbers are the engine's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from nps import store
from nps import query as queries
from nps.query.filters import Filter
from nps.format import delta as format_delta
from nps.format import points as format_points
from tests.factories import default_filter

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["pages/overview.py", "pages/segments.py", "pages/responses.py", "pages/review.py", "pages/upload.py"]


def engine(db: Path, flt: Filter, compare: Filter | None = None) -> tuple[object, object]:
    con = store.connect(db)
    try:
        ds = store.get_dataset(con, 1)
        now = queries.overall(con, ds, flt)
        comparison = queries.compare(con, ds, flt, compare) if compare else None
    finally:
        con.close()
    return now, comparison


def metric(at: AppTest, label: str) -> object:
    return next(m for m in at.metric if m.label == label)


def test_overview_shows_the_engines_nps_and_significance(at: AppTest, db: Path) -> None:
    assert not at.exception
    flt, previous = default_filter(db)
    now, comparison = engine(db, flt, previous)
    tile = metric(at, "NPS")
    assert tile.value == format_points(now.nps)
    assert metric(at, "Responses (n)").value == f"{now.n:,}"
    # the NPS change is tested together with the three shares' changes (Holm), as the tiles show them
    tiles = queries.tile_changes(comparison.a, comparison.b)
    marker = "(significant)" if tiles["nps"].significant else "(noise)"
    assert tile.delta == format_delta(comparison.difference.diff, marker)
    for key, label in (("promoters", "Promoters (9–10)"), ("passives", "Passives (7–8)"),
                       ("detractors", "Detractors (0–6)")):
        shown = metric(at, label).delta
        assert shown == format_delta(tiles[key].diff, "(significant)" if tiles[key].significant else "(noise)")
    assert any("Holm control of the family-wise error rate at 5% across 4 tests" in c.value for c in at.caption)


def test_a_filter_changes_the_overview_accordingly(at: AppTest, db: Path) -> None:
    before = metric(at, "NPS").value
    at.multiselect(key="f_segment").set_value(["B2C"]).run()
    assert not at.exception
    flt, previous = default_filter(db, segment=["B2C"])
    now, comparison = engine(db, flt, previous)
    assert metric(at, "NPS").value == format_points(now.nps)
    assert metric(at, "NPS").value != before
    assert metric(at, "Responses (n)").value == f"{now.n:,}"
    assert any("Filtered to segment: B2C" in i.value.replace("\\", "") for i in at.info)


def test_why_did_it_move_splits_by_the_chosen_dimension(at: AppTest, db: Path) -> None:
    flt, previous = default_filter(db)
    con = store.connect(db)
    try:
        ds = store.get_dataset(con, 1)
        by_segment = queries.shift_share(con, ds, "segment", flt, previous)
        by_region = queries.shift_share(con, ds, "region", flt, previous)
    finally:
        con.close()
    split = at.selectbox(key="why_by")
    assert split.value == "segment"
    table = at.dataframe[-1].value
    assert list(table["Segment"]) == list(by_segment.segments["segment"])
    split.set_value("region").run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert list(table["Region"]) == list(by_region.segments["region"])
    assert list(table["NPS now"]) == list(by_region.segments["nps_cur"].round(1))


def test_the_period_preset_and_no_comparison(at: AppTest, db: Path) -> None:
    at.selectbox(key="period").set_value("all").run()
    at.selectbox(key="cmp").set_value("none").run()
    assert not at.exception
    now, _ = engine(db, Filter.build(include={"survey_type": ["transactional"]}))
    assert metric(at, "NPS").value == format_points(now.nps)
    assert metric(at, "NPS").delta is None or metric(at, "NPS").delta == ""


def test_the_other_survey_type_is_one_click_away(at: AppTest, db: Path) -> None:
    group = next(w for w in at.get("button_group") if w.key == "type")
    assert group.value == ["transactional"] or group.value == "transactional"
    group.set_value("relationship").run()
    assert not at.exception
    flt, previous = default_filter(db)
    flt = Filter.build(since=flt.since, until=flt.until, include={"survey_type": ["relationship"]})
    now, _ = engine(db, flt)
    assert metric(at, "NPS").value == format_points(now.nps)
    assert any("showing relationship only" in i.value for i in at.info)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_exception(at: AppTest, page: str) -> None:
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value


def test_segments_page_marks_what_the_engine_marks(at: AppTest, db: Path) -> None:
    at.switch_page("pages/segments.py").run()
    flt, _ = default_filter(db)
    con = store.connect(db)
    try:
        frame = queries.breakdown(con, store.get_dataset(con, 1), ["survey_type"], flt)
        by_channel = queries.breakdown(con, store.get_dataset(con, 1), ["channel"], flt)
    finally:
        con.close()
    assert len(frame) == 1
    texts = [t.value for t in at.text]
    significant = by_channel[by_channel["vs_rest_significant"] & ~by_channel["low_n"]]
    # the page opens on the first dimension (channel); its significance sentence names exactly those values
    sentence = next(t for t in texts if "the rest" in t)
    for value in by_channel["channel"]:
        assert (value in sentence) == (value in set(significant["channel"]))


def test_review_page_scorecards_match_the_engine(at: AppTest, db: Path) -> None:
    at.switch_page("pages/review.py").run()
    flt, previous = default_filter(db)
    con = store.connect(db)
    try:
        ds = store.get_dataset(con, 1)
        billing = queries.overall(con, ds, flt.with_values("business_function", ["Billing"]))
    finally:
        con.close()
    assert at.selectbox(key="review_by").value == "business_function"
    values = [m.value for m in at.metric if m.label == "NPS"]
    assert format_points(billing.nps) in values
    # The summary table gives every NPS its interval, under a header naming the level.
    table = next(d.value for d in at.dataframe if "95% interval" in d.value.columns)
    row = table[table["Business function"] == "Billing"].iloc[0]
    assert row["NPS"] == format_points(billing.nps)
    assert row["95% interval"] == f"{format_points(billing.ci_low)} to {format_points(billing.ci_high)}"


def test_responses_page_counts_and_searches(at: AppTest, db: Path) -> None:
    at.switch_page("pages/responses.py").run()
    at.text_input(key="q").set_value("ritardo").run()
    assert not at.exception
    caption = next(c.value for c in at.caption if "responses match" in c.value)
    flt, _ = default_filter(db)
    con = store.connect(db)
    try:
        from dataclasses import replace

        from nps.query import responses

        n = responses.count_responses(con, store.get_dataset(con, 1), replace(flt, text="ritardo"))
    finally:
        con.close()
    assert caption.startswith(f"{n:,} responses match")
    assert n > 0


# --- the CLI and the pages make the same decisions ----------------------------------------------------


def cli_json(db: Path, *args: str) -> dict[str, object]:
    import contextlib
    import io
    import json

    from nps.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["summary", "1", "--db", str(db), "--format", "json", *args]) == 0
    return json.loads(out.getvalue())


def _period_args(flt: Filter) -> list[str]:
    return ["--since", flt.since.isoformat(), "--until", flt.until.isoformat()]


def test_cli_vs_rest_flags_match_the_segments_page(at: AppTest, db: Path) -> None:
    at.switch_page("pages/segments.py").run()
    flt, _ = default_filter(db)
    result = cli_json(db, "--by", "channel", *_period_args(flt))
    assert any("counting transactional only" in w for w in result["warnings"])
    flagged = {g["channel"]: g["vs_rest"]["flag"] for g in result["groups"]}
    sentence = next(t.value for t in at.text if "the rest" in t.value)
    for value, flag in flagged.items():
        assert (value in sentence) == (flag is not None), value
    family = next(f for f in result["multiplicity"]["families"] if f["name"] == "vs_rest")
    assert family["method"] == "bh"
    assert any(f"Benjamini–Hochberg control of the false discovery rate at 5% across {family['tests']} tests"
               in c.value for c in at.caption)


def test_cli_changes_match_the_review_meeting(at: AppTest, db: Path) -> None:
    at.switch_page("pages/review.py").run()
    assert not at.exception
    flt, _ = default_filter(db)
    result = cli_json(db, "--by", "business_function", "--compare", "previous", *_period_args(flt))
    table = next(d.value for d in at.dataframe if "change" in d.value.columns)
    shown = dict(zip(table.iloc[:, 0], table["change"]))
    for group in result["groups"]:
        marked = shown[group["business_function"]].endswith("●")
        assert marked == group["change"]["significant"], group["business_function"]
    family = next(f for f in result["multiplicity"]["families"] if f["name"] == "change")
    assert family["method"] == "holm"
    assert any(f"across {family['tests']} tests" in c.value and "Holm" in c.value for c in at.caption)
    overall = result["overall"]["change"]
    assert set(overall) == {"since", "until", "previous_n", "previous_nps", "diff", "se", "ci_low", "ci_high", "p",
                            "p_adjusted", "significant"}


def test_the_chosen_level_is_in_every_label(at: AppTest, db: Path) -> None:
    at.selectbox(key="level").set_value(0.9).run()
    assert not at.exception
    assert any(c.value.startswith("90% CI") for c in at.caption)
    assert not any("95%" in c.value for c in at.caption)
    assert "90% CI" in metric(at, "NPS").help
    assert any("at 10% across" in c.value for c in at.caption)


def test_review_gap_to_target_is_red_below_and_green_above(at: AppTest, db: Path) -> None:
    from streamlit.proto.Metric_pb2 import Metric as MetricProto

    from nps.store import targets

    con = store.connect(db)
    try:
        targets.save_targets(con, 1, "business_function", {"Billing": 99.0, "Sales": -99.0})
    finally:
        con.close()
    at.switch_page("pages/review.py").run()
    assert not at.exception
    tiles = {m.value: m.proto for m in at.metric if m.label == "Target"}
    below, above = tiles["+99.0"], tiles["−99.0"]
    assert below.delta.endswith("vs target") and below.delta.startswith("-")
    assert (below.color, below.direction) == (MetricProto.MetricColor.RED, MetricProto.MetricDirection.DOWN)
    assert above.delta.endswith("vs target") and above.delta.startswith("+")
    assert (above.color, above.direction) == (MetricProto.MetricColor.GREEN, MetricProto.MetricDirection.UP)
    assert tiles["—"].delta == ""  # no target, no gap


def test_presentation_mode_hides_the_chrome_and_gives_each_card_a_screen(at: AppTest) -> None:
    at.switch_page("pages/review.py").run()
    assert [e.label for e in at.expander if e.label.startswith("Targets")] == ["Targets per business function"]
    at.toggle(key="present").set_value(True).run()
    assert not at.exception
    styles = [h.proto.body for h in at.get("html")]
    [css] = [s for s in styles if "scroll-snap-type" in s]
    assert '[data-testid="stSidebar"]' in css and "display: none" in css
    assert "min-height: 100vh" in css
    assert not [e for e in at.expander if e.label.startswith("Targets")]  # no editing on the projector
    # one keyed container per function (the key is the CSS class that gives it a screen), in the table's order
    def keyed(node: object) -> list[str]:
        found = []
        for child in getattr(node, "children", {}).values():
            block_id = getattr(getattr(child, "proto", None), "id", "") or ""
            if "-review_card_" in block_id:
                found.append(block_id.rsplit("-", 1)[1])
            found += keyed(child)
        return found

    assert keyed(at.main) == [f"review_card_{i}" for i in range(6)]
    assert [h.value for h in at.subheader] == list(at.table[0].value.index)


def test_metric_tiles_wrap_their_change_instead_of_cutting_it(at: AppTest) -> None:
    # five tiles side by side at 1280 px cut "+1.5 (significant)" to "+1.5 (significa…"
    [style] = [h.proto.body for h in at.get("html") if "stMetricDelta" in h.proto.body]
    assert "white-space: normal" in style and "text-overflow: clip" in style


def test_responses_head_dimensions_by_their_readable_names(at: AppTest) -> None:
    at.switch_page("pages/responses.py").run()
    table = at.dataframe[0]
    assert "business_function" in table.value.columns  # the data (and the downloads) keep the column name
    assert '"label": "Business function"' in table.proto.columns.replace('":"', '": "')


def test_the_app_module_leaves_the_comment_libraries_to_the_comment_pages() -> None:
    """Issue 8 §7: a new server's first Overview no longer imports simplemma and the lemma rules (themes)."""
    code = ("import sys, app; print(sorted(m for m in ('nps.text.themes', 'nps.text', 'nps.ingest', 'simplemma', 'sklearn') "
            "if m in sys.modules))")
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
