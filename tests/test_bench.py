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
@pytest.mark.timeout(120)
def test_bench_runs_on_a_tiny_dataset(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--rows", "20000", "--repeat", "1", "--query-repeat", "2",
         "--skip-browser", "--workdir", str(tmp_path / "work"), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=110,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    header = re.search(r"^metric\s*\|\s*nps\s*\|\s*reference\s*\|\s*ratio\s*\|\s*target\s*\|\s*ok$", proc.stdout, re.M)
    assert header, proc.stdout[-3000:]
    for metric in ("ingest 20k: time", "ingest 20k: peak RSS", "queries 20k vs SQL: query set",
                   "queries 20k vs pandas: query set", "queries 20k vs SQL: business_function × quarter",
                   "comment tagging"):
        assert re.search(rf"^{re.escape(metric)}\s*\|", proc.stdout, re.M), metric

    results = json.loads(out.read_text())
    assert {"machine", "args", "table", "ingest", "queries", "browser", "comment_tagging", "missed", "errors",
            "duration_s"} <= set(results)
    machine = results["machine"]
    assert machine["cpu_model"] and machine["cores"] >= 1 and machine["ram_bytes"] > 0 and machine["date"]
    assert {"python", "duckdb", "pandas"} <= set(machine["versions"])
    assert results["errors"] == []
    assert results["browser"] == {"skipped": True}

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

    rows = results["table"]
    assert {"metric", "nps", "reference", "ratio", "target", "ok", "verdict"} <= set(rows[0])
    assert results["missed"] == [r["metric"] for r in rows if r["ok"] is False]
