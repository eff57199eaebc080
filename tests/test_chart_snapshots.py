"""Snapshots of the charts the pages draw: each builder's Vega-Lite spec from a small literal frame, pinned.

Each case below builds one chart from a literal frame (no database), turns it into
its Vega-Lite dict and compares it with ``tests/snapshots/charts/<case>.json``. The
volatile bits are normalised first: Altair names an embedded dataset after a hash
of its rows (``data-3f2a…``) and numbers unnamed parameters from a global counter
(``param_7``) and layered views after a hash and a counter (``view_79b0…_2``); all
become their order of appearance (``data-1``, ``param_1``, ``view_1``), and
``$schema`` (the Vega-Lite version Altair targets) is dropped. A mismatch fails with
a unified diff of the two JSON texts.

A deliberate change to a chart: regenerate the snapshots and review the diff in git::

    PASSAPAROLA_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest -q tests/test_chart_snapshots.py

With the variable set, every case rewrites its file (a missing file is always
written, and that case fails once so a new snapshot never passes unseen). An
Altair upgrade that changes how specs are written shows here too: regenerate and
read the diff.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import pytest

from nps import charts

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "charts"
UPDATE = os.environ.get("PASSAPAROLA_UPDATE_SNAPSHOTS", "") not in ("", "0")
NAN = math.nan


# ---------------------------------------------------------------------------
# Literal frames, shaped like nps.query's and nps.text's results


def distribution() -> pd.DataFrame:
    n = [5, 2, 3, 4, 6, 10, 15, 30, 50, 60, 40]
    return pd.DataFrame({
        "score": list(range(11)),
        "category": ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2,
        "n": n,
        "share": [v / sum(n) for v in n],
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
        "change": [NAN, NAN, -13.3],
        "change_significant": [False, False, False],
    })


def trend_by() -> pd.DataFrame:
    frame = trend().drop(columns=["change", "change_significant"])
    return pd.concat([frame.assign(segment="B2B"), frame.assign(segment="B2C")], ignore_index=True)


def breakdown() -> pd.DataFrame:
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
        "vs_rest": [-30.0, 20.0, NAN, -3.0],
        "vs_rest_p": [0.04, 0.0001, NAN, 0.4],
        "vs_rest_significant": [True, True, False, False],
    })


def shift_share() -> pd.DataFrame:
    return pd.DataFrame({
        "component": ["total", "mix change", "within-segment change", "interaction"],
        "points": [5.0, -2.0, 8.0, -1.0],
    })


def theme_counts() -> pd.DataFrame:
    return pd.DataFrame({
        "theme": ["support", "price", "app"],
        "mentions": [5, 10, 0],
        "detractors": [1, 5, 0],
        "passives": [1, 3, 0],
        "promoters": [3, 2, 0],
    })


def theme_summary() -> pd.DataFrame:
    return pd.DataFrame({
        "theme": ["Delivery & shipping", "Staff", "Price & value", "Onboarding"],
        "mentions": [40, 25, 10, 0],
        "share": [0.4, 0.25, 0.1, 0.0],
        "detractors": [0.8, 0.1, 0.2, 0.0],
        "passives": [0.3, 0.2, 0.1, NAN],
        "promoters": [0.05, 0.5, 0.05, 0.0],
        "nps_with": [-60.0, 40.0, -10.0, NAN],
        "nps_without": [20.0, -5.0, 2.0, 0.0],
        "impact": [-80.0, 45.0, -12.0, NAN],
        "impact_ci_low": [-95.0, 25.0, -40.0, NAN],
        "impact_ci_high": [-65.0, 65.0, 16.0, NAN],
    })


def theme_trend() -> pd.DataFrame:
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


# Every chart a page draws, with the options the pages pass.
CASES: dict[str, Callable[[], Any]] = {
    "distribution": lambda: charts.chart_distribution(distribution()),
    "trend": lambda: charts.chart_trend(trend(), title="NPS by month", grain="month", min_n=30, fit_y=True),
    "trend_by": lambda: charts.chart_trend_by(trend_by(), "segment", min_n=30),
    "category_shares": lambda: charts.chart_category_shares(trend(), grain="month", min_n=30),
    "sparkline": lambda: charts.chart_sparkline(trend(), min_n=30),
    "breakdown": lambda: charts.chart_breakdown(breakdown(), "segment", title="NPS by segment", selection_name="pick",
                                                overall=12.5, min_n=30, label="Customer segment"),
    "diverging": lambda: charts.chart_diverging(breakdown(), "segment", min_n=30, label="Customer segment"),
    "heatmap": lambda: charts.chart_heatmap(trend_by(), "segment", grain="month", min_n=30, label="Customer segment"),
    "shift_share": lambda: charts.chart_shift_share(shift_share(), title="Change in NPS points, by cause"),
    "theme_bars": lambda: charts.chart_theme_bars(theme_counts()),
    "theme_impact": lambda: charts.chart_theme_impact(theme_summary()),
    "theme_categories": lambda: charts.chart_theme_categories(theme_summary()),
    "theme_trend": lambda: charts.chart_theme_trend(theme_trend(), grain="month", min_n=30),
    "distinctive_terms": lambda: charts.chart_distinctive_terms(distinctive()),
    "no_data": lambda: charts.chart_trend(trend().iloc[0:0]),
}

_VOLATILE = re.compile(r"\bdata-[0-9a-f]{16,}\b|\bparam_\d+\b|\bview_[0-9a-f]+_\d+\b")


def normalised(chart: alt.TopLevelMixin) -> str:
    """The chart's spec as sorted, indented JSON with hashed dataset names and counted parameters renumbered."""
    spec = chart.to_dict()
    spec.pop("$schema", None)
    text = json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    names: dict[str, str] = {}

    def renumber(match: re.Match[str]) -> str:
        token = match.group(0)
        if token not in names:
            kind = token[:4]  # "data", "para" or "view"
            count = sum(1 for v in names.values() if v.startswith(kind)) + 1
            names[token] = {"data": f"data-{count}", "para": f"param_{count}", "view": f"view_{count}"}[kind]
        return names[token]

    return _VOLATILE.sub(renumber, text) + "\n"


@pytest.mark.parametrize("case", list(CASES))
def test_chart_spec_matches_its_snapshot(case: str) -> None:
    actual = normalised(CASES[case]())
    path = SNAPSHOTS / f"{case}.json"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        missing = not path.exists()
        path.write_text(actual, encoding="utf-8")
        if missing and not UPDATE:
            pytest.fail(f"{path.name} did not exist and was written: review it and run again")
        return
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                            fromfile=f"snapshots/charts/{case}.json", tofile="built now", n=2))
        pytest.fail(f"the {case} chart changed (regenerate with PASSAPAROLA_UPDATE_SNAPSHOTS=1 if meant):\n{diff}")


def test_every_snapshot_has_a_case() -> None:
    stale = sorted(p.stem for p in SNAPSHOTS.glob("*.json") if p.stem not in CASES)
    assert stale == [], f"snapshots without a case (delete them): {stale}"


def test_the_normalisation_numbers_hashed_names_in_order() -> None:
    first = normalised(charts.chart_distribution(distribution()))
    assert '"data-1"' in first and not re.search(r"data-[0-9a-f]{16,}", first)
    assert first == normalised(charts.chart_distribution(distribution()))
