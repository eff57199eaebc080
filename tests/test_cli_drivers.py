"""python -m nps drivers: the key drivers of a file or a dataset as JSON (the fixed structure) or a table,
per segment with --by, with --items and --item-column; errors said in one line."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nps import cli


@pytest.fixture
def ratings_csv(tmp_path: Path) -> Path:
    """300 responses: speed drives the score most, then staff (correlated with speed), then price; 25 are B2B."""
    rng = np.random.default_rng(8)
    n = 300
    base = rng.normal(size=n)
    speed = np.clip(np.round(3 + base + rng.normal(0, 0.7, n)), 1, 5)
    staff = np.clip(np.round(3 + 0.6 * base + rng.normal(0, 0.9, n)), 1, 5)
    price = np.clip(np.round(3 + rng.normal(0, 1, n)), 1, 5)
    score = np.clip(np.round(1.6 * speed + 0.6 * staff + 0.25 * price - 1 + rng.normal(0, 1.2, n)), 0, 10)
    frame = pd.DataFrame({
        "How likely are you to recommend us? (0-10)": score.astype(int), "segment": ["B2C"] * 275 + ["B2B"] * 25,
        "rating_speed": speed.astype(int), "rating_staff": staff.astype(int), "rating_price": price.astype(int),
        "stars": np.resize([1, 2, 3], n),
    })
    frame.loc[:4, "rating_price"] = None
    path = tmp_path / "ratings.csv"
    frame.to_csv(path, index=False)
    return path


def _json(*args: str) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["drivers", *args, "--format", "json", "--bootstrap", "50"]) == 0
    return json.loads(out.getvalue())


def test_the_json_structure(ratings_csv: Path) -> None:
    result = _json(str(ratings_csv))
    assert list(result) == ["outcome", "method", "n", "r2", "dropped_missing", "warnings", "drivers"]
    assert (result["outcome"], result["method"], result["n"], result["dropped_missing"]) == ("score", "lmg", 295, 5)
    assert result["warnings"] == ["5 response(s) left out: an item or the score missing"]
    assert [d["item"] for d in result["drivers"]] == ["rating_speed", "rating_staff", "rating_price"]
    first = result["drivers"][0]
    assert list(first) == ["item", "importance", "importance_low", "importance_high", "mean", "direction", "share",
                           "correlation", "performance", "quadrant"]
    assert first["direction"] == "+"
    assert first["importance_low"] <= first["importance"] <= first["importance_high"]
    assert sum(d["importance"] for d in result["drivers"]) == pytest.approx(result["r2"])
    assert sum(d["share"] for d in result["drivers"]) == pytest.approx(1.0)
    importances = [d["importance"] for d in result["drivers"]]
    assert importances == sorted(importances, reverse=True)
    assert {d["quadrant"] for d in result["drivers"]} <= {"fix first", "keep up", "monitor", "maintain"}
    assert result["drivers"][0]["performance"] == pytest.approx((result["drivers"][0]["mean"] - 1) / 4 * 100)


def test_by_segment_and_a_dataset_of_the_database(ratings_csv: Path, tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["ingest", str(ratings_csv), "--db", str(db), "--name", "ratings"]) == 0
    result = _json("ratings", "--db", str(db), "--by", "segment")
    assert list(result) == ["outcome", "method", "warnings", "groups"]
    assert [g["segment"] for g in result["groups"]] == ["B2C", "B2B"]
    b2c, b2b = result["groups"]
    assert list(b2c) == ["segment", "outcome", "method", "n", "r2", "dropped_missing", "warnings", "drivers"]
    assert (b2c["n"], len(b2c["drivers"])) == (270, 3)
    assert (b2b["n"], b2b["r2"], b2b["drivers"]) == (25, None, [])
    assert b2b["warnings"] == ["only 25 complete responses: drivers need at least 30 and 10 per item (30 for 3 "
                               "item(s)); not computed"]


def test_items_chosen_on_the_command_line(ratings_csv: Path) -> None:
    result = _json(str(ratings_csv), "--items", "rating_price", "--items", "stars")
    assert sorted(d["item"] for d in result["drivers"]) == ["rating_price", "stars"]
    loaded = _json(str(ratings_csv), "--item-column", "rating_speed")
    assert [d["item"] for d in loaded["drivers"]] == ["rating_speed"]
    where = _json(str(ratings_csv), "--where", "segment=B2C")
    assert where["n"] == 270


def test_the_simple_mode_places_items_by_correlation(ratings_csv: Path) -> None:
    from nps.drivers import QUADRANTS

    result = _json(str(ratings_csv), "--simple")
    rows = result["drivers"]
    corr = sorted(d["correlation"] for d in rows)
    perf = sorted(d["performance"] for d in rows)
    for d in rows:
        key = (d["correlation"] > corr[1], d["performance"] > perf[1])  # three items: the median is the middle one
        assert d["quadrant"] == QUADRANTS[key]


def test_the_logistic_variant(ratings_csv: Path) -> None:
    result = _json(str(ratings_csv), "--method", "logistic")
    assert result["method"] == "logistic"
    assert result["drivers"][0]["item"] == "rating_speed"
    assert 0 < result["r2"] < 1


def test_the_table(ratings_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["drivers", str(ratings_csv), "--bootstrap", "20"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("all responses: n = 295, R² = ")
    assert lines[1].split() == ["item", "importance", "interval", "share", "mean", "direction", "quadrant"]
    assert lines[2].split()[0] == "rating_speed"
    assert lines[-1] == "note: 5 response(s) left out: an item or the score missing"


def test_no_items_is_said_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plain.csv"
    pd.DataFrame({"score": [0, 3, 6, 7, 8, 9, 10, 10, 9, 5] * 4, "region": ["N", "S"] * 20}).to_csv(path, index=False)
    assert cli.main(["drivers", str(path)]) == 2
    assert capsys.readouterr().err == ("error: no item rating columns: this dataset has none detected; name them "
                                       "with --items C (or load the file with --item-column C)\n")
    assert cli.main(["drivers", str(path), "--items", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_an_employee_dataset_needs_its_anonymity_threshold_too(ratings_csv: Path, tmp_path: Path) -> None:
    from nps import ingest, store
    from nps.store.privacy import set_privacy

    db = tmp_path / "e.duckdb"
    con = store.connect(str(db))
    try:
        frame = pd.read_csv(ratings_csv).head(100)
        ds = ingest.ingest_dataframe(con, frame, name="staff", kind="employee").dataset
        set_privacy(con, ds.id, 120)
    finally:
        con.close()
    result = _json("staff", "--db", str(db))
    assert (result["n"], result["drivers"]) == (95, [])
    assert result["warnings"][-1] == ("only 95 complete responses: drivers need at least 120 and 10 per item (120 "
                                      "for 3 item(s)); not computed")
