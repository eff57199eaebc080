"""Column names are stored without control characters, unique, with a load warning naming each cleaned column."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from nps import control_chars, ingest
from nps.ingest import layouts


@pytest.mark.parametrize(("raw", "expected"), [
    (["score", "region\x1b[31m"], ["score", "region[31m"]),
    (["\x00seg\x07ment\x7f", "x\x9by"], ["segment", "xy"]),
    (["a\tb\nc", "d\x0be\x1cf"], ["a b c", "d e f"]),  # whitespace controls become spaces, as before
    (["region\x01", "region", "region\x02"], ["region", "region (2)", "region (3)"]),  # still unique
    (["\x1b\x07", "ok"], ["column_1", "ok"]),  # nothing left: named by position
])
def test_names_are_cleaned_and_unique(raw: list[str], expected: list[str]) -> None:
    assert layouts.make_names(raw) == expected


def test_a_warning_names_each_cleaned_column_with_its_header_written_out() -> None:
    raw = ["score", "region\x1b[31m", "a\tb", "\x00seg"]
    assert layouts.header_warnings(raw, layouts.make_names(raw)) == [
        'column 2: the header "region\\x1b[31m" holds control characters; they are removed and the column is '
        'called "region[31m"',
        'column 4: the header "\\x00seg" holds control characters; they are removed and the column is called "seg"',
    ]


def test_a_csv_header_with_control_characters_loads_clean(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "names.csv"
    lines = ["score,segment\x1b[31m,region\x07,region"] + [f"{i % 11},B2B,North,South" for i in range(40)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest.ingest_file(con, path)
    assert report.dataset.columns == ("score", "segment[31m", "region", "region (2)")
    assert not any(control_chars.has_unsafe(c) for c in report.dataset.columns)
    assert [w for w in report.warnings if "control characters" in w] == [
        'column 2: the header "segment\\x1b[31m" holds control characters; they are removed and the column is '
        'called "segment[31m"',
        'column 3: the header "region\\x07" holds control characters; they are removed and the column is '
        'called "region"',
    ]
    stored = [c[0] for c in con.execute(f"DESCRIBE {report.dataset.table}").fetchall()]
    assert {"segment[31m", "region", "region (2)"} <= set(stored)


def test_a_data_frame_with_control_characters_in_names_loads_clean(con: duckdb.DuckDBPyConnection) -> None:
    frame = pd.DataFrame({"score": [i % 11 for i in range(40)], "plan\x1b]8;;x\x07": ["basic", "pro"] * 20})
    report = ingest.ingest_dataframe(con, frame, name="frame")
    assert report.dataset.columns == ("score", "plan]8;;x")
    assert [w for w in report.warnings if "control characters" in w] == [
        'column 2: the header "plan\\x1b]8;;x\\x07" holds control characters; they are removed and the column is '
        'called "plan]8;;x"',
    ]
