"""How far to trust the Overview (issue 14): the caveats panel and the benchmarks drawn as reference lines beside the
trend, only where country and method match the data shown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc  # noqa: F401 - pa.ipc
import pytest
from streamlit.testing.v1 import AppTest

from face.trust import panel_title, reference_lines
from nps import ingest, store
from nps.benchmarks import Placement
from nps.caveats.rules import INFO, WARN, Caveat
from nps.charts.trends import chart_trend
from nps.ingest import Overrides
from nps.query.caveats import caveats
from nps.store import benchmarks
from tests.factories import default_filter
from tests.test_hostile_pages import shown

ROOT = Path(__file__).resolve().parent.parent


def _trend() -> pd.DataFrame:
    return pd.DataFrame({"period": pd.to_datetime(["2026-01-01", "2026-02-01"]), "n": [50, 60],
                         "promoters": [20, 25], "passives": [20, 20], "detractors": [10, 15], "nps": [20.0, 16.7],
                         "ci_low": [5.0, 2.0], "ci_high": [35.0, 30.0], "low_n": [False, False]})


def test_a_reference_line_is_a_labelled_dashed_rule_kept_in_view() -> None:
    spec = chart_trend(_trend(), grain="month", fit_y=True, references=[("Retail IT +45", 45.0)]).to_dict()
    assert len(spec["layer"]) == 6
    rule, label = spec["layer"][4], spec["layer"][5]
    assert rule["mark"]["type"] == "rule" and rule["mark"]["strokeDash"] == [6, 4]
    assert label["mark"]["type"] == "text" and label["encoding"]["text"]["field"] == "label"
    rows = spec["datasets"][rule["data"]["name"]]
    assert rows == [{"label": "Retail IT +45", "value": 45.0, "value_text": "+45.0"}]
    # fit_y spans the data and the reference: 2..45 → −10..60
    assert spec["layer"][1]["encoding"]["y"]["scale"]["domain"] == [-10, 60]
    assert "dashed: reference" in json.dumps(spec["title"])


def test_no_reference_draws_what_it_drew_before() -> None:
    assert len(chart_trend(_trend(), grain="month").to_dict()["layer"]) == 4


def test_a_reference_outside_the_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="within -100..100, not 150"):
        chart_trend(_trend(), grain="month", references=[("odd", 150)])


def test_the_panel_title_counts_warnings_and_notes() -> None:
    warn, info = Caveat("a", WARN, "A", "x"), Caveat("b", INFO, "B", "y")
    assert panel_title([]) == "How far to trust this: nothing to flag"
    assert panel_title([warn]) == "How far to trust this: 1 warning"
    assert panel_title([warn, warn, info]) == "How far to trust this: 2 warnings, 1 note"
    assert panel_title([info, info]) == "How far to trust this: 2 notes"


def test_only_comparable_benchmarks_become_reference_lines() -> None:
    one = benchmarks.Benchmark(1, "Retail IT", 32.0, "Study", 2025, "Italy", None, None, "relationship", 900)
    two = benchmarks.Benchmark(2, "Retail FR", 12.0, "Study", 2025, "France", None, None, "relationship", 900)
    assert reference_lines([Placement(one, True, ""), Placement(two, False, "other country")]) == [("Retail IT +32", 32.0)]


def test_the_overview_panel_lists_the_engines_caveats(at: AppTest, db: Path) -> None:
    flt, _ = default_filter(db)
    con = store.connect(db)
    try:
        expected = caveats(con, store.get_dataset(con, 1), flt)
    finally:
        con.close()
    (panel,) = [e for e in at.expander if e.label.startswith("How far to trust this")]
    assert panel.label == panel_title(expected)
    lines = [m.value for m in panel.markdown]
    assert len(lines) == len(expected)
    for caveat, line in zip(expected, lines, strict=True):
        assert line.startswith("⚠️" if caveat.severity == WARN else "ℹ️")
    captions = [shown(c.value) for c in panel.caption]
    assert any(c.startswith("Not checked: response rate (no invitation counts given); sample vs population")
               for c in captions), captions


def test_an_uploaded_population_and_invitations_sharpen_the_checks(at: AppTest, db: Path) -> None:
    at.file_uploader(key="trust_population").upload(
        "population.csv", b"column,value,share\nsegment,B2B,45%\nsegment,B2C,45%\nsegment,Partners & investors,10%\n",
        "text/csv").run()
    at.file_uploader(key="trust_invitations").upload("inv.csv", b"invitations\n200000\n", "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    flt, _ = default_filter(db)
    population = pd.DataFrame({"column": ["segment"] * 3, "value": ["B2B", "B2C", "Partners & investors"],
                               "share": [45.0, 45.0, 10.0]})
    invitations = pd.DataFrame({"invitations": [200000.0]})
    con = store.connect(db)
    try:
        expected = caveats(con, store.get_dataset(con, 1), flt, population=population, invitations=invitations)
    finally:
        con.close()
    kinds = {c.kind for c in expected}
    assert {"response_rate", "composition"} <= kinds
    (panel,) = [e for e in at.expander if e.label.startswith("How far to trust this")]
    assert panel.label == panel_title(expected)
    assert len(panel.markdown) == len(expected)
    assert not any(shown(c.value).startswith("Not checked: response rate") for c in panel.caption)


def test_a_bad_upload_says_where_and_is_not_used(at: AppTest) -> None:
    at.file_uploader(key="trust_population").upload("pop.csv", b"column,value,share\nsegment,B2B,lots\n",
                                                    "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    (panel,) = [e for e in at.expander if e.label.startswith("How far to trust this")]
    assert [shown(e.value) for e in panel.error] == [
        "Not used: pop.csv, row 2, column 'share': 'lots' is not a share (0.4, 40 or 40%)"]
    at.file_uploader(key="trust_population").upload("pop.csv", b"column,value,share\nnowhere,B2B,1\n",
                                                    "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    (panel,) = [e for e in at.expander if e.label.startswith("How far to trust this")]
    assert len(panel.error) == 1 and "nowhere" in panel.error[0].value


@pytest.fixture
def italy_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """400 answers from Italy over 8 months, 3 in 4 of a relationship survey; one store gives only 10s (gaming?)."""
    rng = np.random.default_rng(3)
    rows = 400
    store_name = np.where(np.arange(rows) % 4 == 0, "Torino", rng.choice(["Milano", "Roma", "Napoli"], rows))
    score = np.where(store_name == "Torino", 10, rng.integers(0, 11, rows))
    frame = pd.DataFrame({"score": score, "date": pd.date_range("2025-01-01", periods=rows, freq="14h").strftime("%Y-%m-%d"),
                          "country": "Italy", "survey": np.where(np.arange(rows) % 4 == 1, "transactional", "relationship"),
                          "store": store_name})
    path = tmp_path / "italy.duckdb"
    con = store.connect(path)
    try:
        ingest.ingest_dataframe(con, frame, name="italy", overrides=Overrides(date="date", dimensions=("survey", "store")))
        benchmarks.add_benchmark(con, actor="test", name="Retail IT", nps=32, source="Study", year=2025,
                                 method="relationship", country="Italy", n=900)
        benchmarks.add_benchmark(con, actor="test", name="Retail FR", nps=12, source="Study", year=2025,
                                 method="relationship", country="France")
    finally:
        con.close()
    monkeypatch.setenv(store.DB_ENV, str(path))
    return path


def test_a_comparable_benchmark_is_drawn_and_the_other_greyed(italy_db: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["period"] = "All time"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (trend,) = [e.proto for e in at.main if "NPS by month" in str(getattr(getattr(e, "proto", None), "spec", ""))]
    spec = json.loads(trend.spec)
    (dashed,) = [layer for layer in spec["layer"] if layer["mark"].get("strokeDash")]
    rows = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in trend.datasets}
    assert rows[dashed["data"]["name"]] == [{"label": "Retail IT +32", "value": 32.0, "value_text": "+32.0"}]
    captions = [c.value for c in at.caption]
    # Captions are Markdown: the benchmark's text is escaped.
    assert "Dashed: Retail IT\\: Italy, relationship, 2025 \\(Study, n 900\\), NPS \\+32. External benchmarks measured " \
           "the same way as the data shown, not targets." in captions
    assert ":gray[Not drawn: Retail FR\\: France, relationship, 2025 \\(Study\\), this benchmark is for France, the " \
           "data shown is Italy.]" in captions
    # The store giving only 10s is a warning, so the panel opens.
    (panel,) = [e for e in at.expander if e.label.startswith("How far to trust this")]
    assert "warning" in panel.label
    assert any("Torino" in m.value for m in panel.markdown)


def test_the_accounts_table_reads_for_people() -> None:
    from nps.charts.tables import accounts_table

    table = pd.DataFrame({
        "account": ["Acme", "Beta"], "n": [3, 2], "nps": [-100.0, 50.0], "ci_low": [-100.0, -20.5],
        "ci_high": [-40.25, 90.0], "account_class": ["detractor", "passive"], "basis": ["decision maker", "all contacts"],
        "basis_n": [1, 2], "basis_mean": [4.0, 8.25], "mean_score": [5.0, 8.25], "decision_maker_answered": [True, False],
        "revenue": [1200.5, float("nan")], "revenue_at_risk": [1200.5, 0.0], "open_cases": [2, 0],
        "trend": [[{"quarter": "2024Q1", "n": 1, "nps": -100.0}, {"quarter": "2024Q2", "n": 2, "nps": -50.0}], []],
    })
    out = accounts_table(table, level=0.9)
    assert list(out.columns)[:5] == ["account", "n", "NPS", "90% interval", "class"]
    assert out.iloc[0].to_dict() | {"NPS by quarter": None} == {
        "account": "Acme", "n": 3, "NPS": "−100.0", "90% interval": "−100.0 to −40.2", "class": "detractor",
        "based on": "decision maker 4.0 (1 answer)", "decision maker answered": True, "revenue": 1200,
        "revenue at risk": 1200, "open cases": 2, "NPS by quarter": None}
    assert out.iloc[0]["NPS by quarter"] == [-100.0, -50.0]
    assert out.iloc[1]["based on"] == "all contacts 8.2 (2 answers)"
    assert pd.isna(out.iloc[1]["revenue"]) and out.iloc[1]["NPS by quarter"] == []
