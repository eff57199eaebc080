"""The benchmark script keeps working: a tiny run end to end (no browser), its table and its JSON."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_bench_runs_on_a_tiny_dataset(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--rows", "20000", "--repeat", "1", "--query-repeat", "2",
         "--skip-browser", "--workdir", str(tmp_path / "work"), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    header = re.search(r"^metric\s*\|\s*nps\s*\|\s*reference\s*\|\s*ratio\s*\|\s*target\s*\|\s*ok$", proc.stdout, re.M)
    assert header, proc.stdout[-3000:]
    for metric in ("ingest 20k: time", "ingest 20k: peak RSS", "queries 20k vs SQL: query set",
                   "queries 20k vs pandas: query set", "queries 20k vs SQL: business_function × quarter",
                   "cli 20k: summary FILE, time", "cli 20k: summary FILE, CPU time", "comment tagging",
                   "review pack 20k, 12 sections: PDF", "review pack 20k, 12 sections: PowerPoint",
                   "drivers 20k × 10 items (LMG, 200 resamples): time"):
        assert re.search(rf"^{re.escape(metric)}\s*\|", proc.stdout, re.M), metric

    results = json.loads(out.read_text())
    assert {"machine", "args", "table", "ingest", "queries", "cli", "browser", "comment_tagging", "sessions", "packs",
            "drivers", "missed", "errors", "duration_s"} <= set(results)
    assert results["drivers"]["rows"] == 20000 and results["drivers"]["order"][0] == "rating_speed"
    assert results["drivers"]["logistic"]["items"] == ["rating_speed", "rating_staff", "rating_price", "rating_quality"]
    assert len(results["packs"]["sections"]) == 12 and results["packs"]["pdf"]["bytes"] > 0
    machine = results["machine"]
    assert machine["cpu_model"] and machine["cores"] >= 1 and machine["ram_bytes"] > 0 and machine["date"]
    assert {"python", "duckdb", "pandas"} <= set(machine["versions"])
    assert results["errors"] == []
    assert results["browser"] == results["sessions"] == {"skipped": True}

    ingest = results["ingest"]["20000"]
    assert ingest["rows_loaded"] == 20000
    assert len(ingest["nps"]) == len(ingest["reference"]) == 1
    assert all(run["peak_rss_bytes"] > 0 and run["seconds"] > 0 for run in ingest["nps"] + ingest["reference"])

    queries = results["queries"]["20000"]
    assert queries["answers_checked_equal"] is True
    assert set(queries["median_s"]) == {"overall", "distribution", "trend_month", "breakdown_segment",
                                        "function_by_quarter"}
    assert all(set(m) == {"nps", "sql", "pandas"} for m in queries["median_s"].values())
    assert queries["groups"]["breakdown_segment"] == 3

    cli = results["cli"]["20000"]
    assert cli["answers_checked_equal"] is True
    assert cli["groups"] == 72  # 3 segments × 24 months, transactional surveys
    assert cli["command"][:3] == ["-m", "nps", "summary"]
    assert all(run["seconds"] > 0 and run["cpu_s"] > 0 for run in cli["samples"]["nps"] + cli["samples"]["reference"])

    rows = results["table"]
    assert {"metric", "nps", "reference", "ratio", "target", "ok", "verdict"} <= set(rows[0])
    assert results["missed"] == [r["metric"] for r in rows if r["ok"] is False]


def _bench_module() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_bench_sections_can_be_picked() -> None:
    run = _bench_module()
    parser = run.build_parser()
    assert parser.parse_args([]).only == ["ingest", "queries", "cli", "comment_tagging", "packs", "drivers", "browser",
                                          "sessions"]
    assert parser.parse_args(["--only", "drivers"]).only == ["drivers"]
    assert parser.parse_args(["--only", "browser,queries"]).only == ["queries", "browser"]
    assert parser.parse_args(["--only", "cli"]).only == ["cli"]
    with pytest.raises(SystemExit):
        parser.parse_args(["--only", "drawing"])


def test_the_browser_opens_the_dataset_by_its_label() -> None:
    # The app's ds parameter is the dataset selectbox's label; a bare id would open the first dataset.
    run = _bench_module()
    assert run.dataset_link("bench 10M (10,000,000 rows)", 2) == "/?ds=bench+10M+%2810%2C000%2C000+rows%29+%C2%B7+%232"


def test_the_drivers_data_are_correlated_items_driving_the_score() -> None:
    import numpy as np

    run = _bench_module()
    columns = run.driver_columns(20_000)
    assert list(columns) == ["response_id", "submitted_at", "score", *run.DRIVER_ITEMS]
    assert len(run.DRIVER_ITEMS) == len(run.DRIVER_WEIGHTS) == 10
    assert list(run.DRIVER_WEIGHTS) == sorted(run.DRIVER_WEIGHTS, reverse=True)
    assert columns["response_id"][:2].tolist() == ["D1", "D2"] and len(set(columns["response_id"])) == 20_000
    items = np.column_stack([columns[name] for name in run.DRIVER_ITEMS])
    assert items.min() == 1 and items.max() == 5 and 0 <= columns["score"].min() and columns["score"].max() == 10
    correlation = np.corrcoef(np.column_stack([columns["score"], items]), rowvar=False)
    with_score = correlation[0, 1:]
    assert with_score[0] > with_score[4] > with_score[9] > 0  # the planted order, roughly
    assert 0.2 < correlation[1, 2] < 0.5  # items correlate (the shared factor)
    again = run.driver_columns(20_000)
    assert all(np.array_equal(columns[name], again[name]) for name in columns)  # seeded


def _answer(run: object, rows: int = 100) -> dict:
    weights = dict(zip(run.DRIVER_ITEMS, run.DRIVER_WEIGHTS))
    drivers = [{"item": item, "importance": w, "importance_low": w - 0.01, "importance_high": w + 0.01, "mean": 3.5,
                "direction": "+", "share": w, "correlation": 0.5, "performance": 62.5, "quadrant": "keep up"}
               for item, w in weights.items()]
    return {"outcome": "score", "method": "lmg", "n": rows, "r2": 1.0, "dropped_missing": 0, "warnings": [],
            "drivers": drivers}


def test_the_drivers_answer_is_checked_for_its_promised_fields() -> None:
    run = _bench_module()
    answer = _answer(run)
    assert run.check_drivers_json(json.dumps(answer), 100, "lmg") == answer
    assert run.planted_in_place(answer) == 10
    answer["drivers"][0], answer["drivers"][1] = answer["drivers"][1], answer["drivers"][0]
    assert run.planted_in_place({"drivers": answer["drivers"][2:]}) == 0
    with pytest.raises(AssertionError, match="not sorted"):
        run.check_drivers_json(json.dumps(answer), 100, "lmg")
    four = {**_answer(run), "method": "logistic", "drivers": _answer(run)["drivers"][:4]}
    assert run.check_drivers_json(json.dumps(four), 100, "logistic", run.LOGISTIC_ITEMS) == four
    with pytest.raises(AssertionError):
        run.check_drivers_json(json.dumps(four), 100, "lmg", run.LOGISTIC_ITEMS)
    for broken in ({k: v for k, v in _answer(run).items() if k != "r2"},
                   {**_answer(run), "n": 99},
                   {**_answer(run), "drivers": _answer(run)["drivers"][:9]},
                   {**_answer(run), "drivers": [{k: v for k, v in d.items() if k != "quadrant"}
                                                for d in _answer(run)["drivers"]]}):
        with pytest.raises(AssertionError):
            run.check_drivers_json(json.dumps(broken), 100, "lmg")
