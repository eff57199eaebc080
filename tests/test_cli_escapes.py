"""The command line never hands the terminal an escape sequence from the data; its JSON stays JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from nps.cli import main

HYPERLINK = "B2B\x1b]8;;http://evil/\x07click\x1b]8;;\x07"
CSI_8BIT = "B2C\x9b31m"
RAW = ("\x1b", "\x07", "\x9b", "\r")


@pytest.fixture(scope="module")
def hostile_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "hostile.csv"
    rows = [["score", "segment", "comment"]]
    for i in range(400):  # few enough control bytes that the file is still read as text
        segment = HYPERLINK if i % 20 == 0 else (CSI_8BIT if i % 2 else "B2B")
        comment = f"the service was fine, number {i}" + (" \x1b[31mred\r" if i % 50 == 5 else "")
        rows.append([str(i % 11), segment, comment])
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def assert_nothing_raw(text: str) -> None:
    assert not [c for c in RAW if c in text], f"raw control characters in {text!r}"


def test_summary_table_shows_escapes_written_out(hostile_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(hostile_csv), "--by", "segment"]) == 0
    out = capsys.readouterr().out
    assert_nothing_raw(out)
    rows = {line.split("  ")[0]: line for line in out.splitlines()}
    assert "B2B\\x1b]8;;http://evil/\\x07click\\x1b]8;;\\x07" in rows
    assert "B2C\\x9b31m" in rows


def test_summary_json_is_valid_and_keeps_the_values_exactly(hostile_csv: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(hostile_csv), "--by", "segment", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert_nothing_raw(out)
    assert "\\u001b]8;;http://evil/\\u0007click" in out and "B2C\\u009b31m" in out
    groups = json.loads(out)["groups"]
    assert {g["segment"] for g in groups} == {HYPERLINK, CSI_8BIT, "B2B"}


def test_comments_table_and_json(hostile_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["comments", str(hostile_csv), "--by", "segment"]) == 0
    out = capsys.readouterr().out
    assert_nothing_raw(out)
    assert "segment = B2C\\x9b31m" in out.splitlines()
    assert main(["comments", str(hostile_csv), "--by", "segment", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert_nothing_raw(out)
    assert {g["segment"] for g in json.loads(out)["groups"]} == {HYPERLINK, CSI_8BIT, "B2B"}


def test_ingest_and_datasets_show_names_escaped(hostile_csv: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.duckdb")
    assert main(["ingest", str(hostile_csv), "--db", db, "--name", "evil\x1b[2J\x1b[31m"]) == 0
    out = capsys.readouterr().out
    assert_nothing_raw(out)
    assert main(["datasets", "--db", db]) == 0
    out = capsys.readouterr().out
    assert_nothing_raw(out)
    assert "evil\\x1b[2J\\x1b[31m" in out


def test_error_messages_show_escapes_written_out(hostile_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(hostile_csv), "--where", "segment\x1b[31m=x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert_nothing_raw(err)
    assert "segment\\x1b[31m" in err
