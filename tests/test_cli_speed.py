"""The command line's start-up: what importing it costs, and that lazy imports change no answer."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nps.cli.output import plain as _plain

ROOT = Path(__file__).resolve().parent.parent


def test_importing_the_command_line_leaves_pandas_out() -> None:
    # pandas is ~0.9 s of a 1.4 s start; `summary` imports it in the background while the file loads.
    code = "import sys, nps.cli; print(sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_loading_a_file_does_not_need_pandas_until_the_preview() -> None:
    code = "import sys, nps.ingest, nps.store.sql, nps.store; print('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (pd.Timestamp("2025-03-01"), "2025-03-01"),
        (pd.Timestamp("2025-03-01 10:30"), "2025-03-01T10:30:00"),
        (pd.Timestamp("2025-03-01 00:00:00.000000001"), "2025-03-01T00:00:00.000000001"),
        (dt.datetime(2025, 3, 1), "2025-03-01"),
        (dt.datetime(2025, 3, 1, 0, 0, 1), "2025-03-01T00:00:01"),
        (dt.date(2025, 3, 1), "2025-03-01"),
        (np.int64(7), 7),
        (np.float64("nan"), None),
        (None, None),
    ],
)
def test_plain_values_for_json(value: object, expected: object) -> None:
    assert _plain(value) == expected


# ---------------------------------------------------------------------------------------------
# `summary FILE` keeps only the columns it can use: the answer is the one a full load gives.
# ---------------------------------------------------------------------------------------------

def _export(path: Path, tail: str = "") -> Path:
    lines = ["response_id,date,segment,NPS,rating_speed,comment,note"]
    for i in range(60):
        lines.append(f"r{i},2025-0{1 + i % 3}-1{i % 9},{'AB'[i % 2]},{i % 11},{i % 5},\"ok {i}\",n{i}")
    path.write_text("\n".join(lines) + "\n" + tail, encoding="utf-8")
    return path


def test_a_throwaway_load_stores_the_roles_and_the_named_columns(tmp_path: Path) -> None:
    import duckdb

    from nps import ingest, store

    con = store.connect(":memory:")
    try:
        report = ingest.ingest_file(con, _export(tmp_path / "a.csv"), keep=["note"])
        stored = [r[0] for r in con.execute(f"DESCRIBE {report.dataset.table}").fetchall()]
        # The score's and the date's own text is left out too: _score and _date hold them.
        # rating_speed is an item rating (a role: the drivers command reads it).
        assert report.dataset.columns == ("segment", "rating_speed", "comment", "note")
        assert {"response_id", "date", "NPS"}.isdisjoint(stored)
        assert {"_score", "_date", "_comment"} <= set(stored)
        counts = con.execute(f"SELECT count(_score), count(_date), count(_comment) FROM {report.dataset.table}")
        assert counts.fetchone() == (60, 60, 60)
        assert report.accepted == 60 and report.rows_read == 60
        with pytest.raises(ValueError, match="append"):
            ingest.ingest_file(con, tmp_path / "a.csv", keep=["note"], append_to=report.dataset.id)
    finally:
        con.close()
    assert duckdb is not None


def test_a_throwaway_load_still_finds_a_quote_left_open_in_a_column_it_leaves_out(tmp_path: Path) -> None:
    from nps import ingest, store
    from nps.errors import IngestError

    # The last row's quote opens in `note`, a column summary does not keep; the rest of the file lands in it.
    path = _export(tmp_path / "open.csv", 'r99,2025-03-01,A,9,3,"fine","never closed\nr100,2025-03-02,B,1,1,x,y\n')
    for keep in (None, ["segment"]):
        con = store.connect(":memory:")
        try:
            with pytest.raises(IngestError, match="never closed"):
                ingest.ingest_file(con, path, keep=keep)
        finally:
            con.close()


def test_summary_of_a_file_equals_summary_of_the_same_file_loaded_whole(tmp_path: Path) -> None:
    import json

    # With rejected rows (a score that is no number, a date that is no date, a row too long) and a blank date.
    path = _export(tmp_path / "s.csv", 'rx,2025-02-03,A,eleven,1,"bad",n\nry,someday,B,5,1,x,y\n'
                   'rz,2025-02-04,A,7,1,x,y,extra\nrw,,B,10,2,"no date",z\n')
    db = tmp_path / "s.duckdb"
    run = [sys.executable, "-m", "nps"]
    subprocess.run([*run, "ingest", str(path), "--db", str(db)], cwd=ROOT, check=True, capture_output=True)
    args = ["--by", "segment", "--period", "month", "--where", "segment=A", "--format", "json"]
    from_file = subprocess.run([*run, "summary", str(path), *args], cwd=ROOT, check=True, capture_output=True,
                               text=True)
    from_db = subprocess.run([*run, "summary", "s", "--db", str(db), *args], cwd=ROOT, check=True,
                             capture_output=True, text=True)
    result = json.loads(from_file.stdout)
    assert result == json.loads(from_db.stdout)
    assert result["rejected"]["total"] == 3 and result["source"]["rows_read"] == 64
