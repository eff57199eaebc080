"""The command line reproduces the reference values, with fixed JSON keys and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nps.cli import main
from tests.conftest import R_TESTDATA, TELECOM

ROOT = Path(__file__).resolve().parent.parent


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["summary", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_summary_of_the_r_package_file_reproduces_its_reference_values(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, str(R_TESTDATA), "--by", "Region")
    assert set(out) == {"source", "rejected", "overall", "groups", "multiplicity", "warnings"}
    assert out["source"]["columns"]["score"] == "REC"
    assert out["source"]["rows_read"] == 1000
    overall = out["overall"]
    assert (overall["n"], overall["detractors"], overall["passives"], overall["promoters"]) == (1000, 362, 176, 462)
    assert overall["nps"] == pytest.approx(10.0)
    assert overall["se"] == pytest.approx(2.85307, abs=1e-5)
    assert overall["ci_low"] == pytest.approx(4.38967, abs=1e-5)
    assert overall["ci_high"] == pytest.approx(15.55051, abs=1e-5)
    by_region = {g["Region"]: g for g in out["groups"]}
    expected = {"NAM": (11.04536, 4.03166), "EMEA": (4.24710, 5.57555), "APAC": (23.02158, 7.49836),
                "LATAM": (1.05263, 9.11542)}
    for region, (nps, se) in expected.items():
        assert by_region[region]["nps"] == pytest.approx(nps, abs=1e-5)
        assert by_region[region]["se"] == pytest.approx(se, abs=1e-5)
    assert set(out["groups"][0]) == {"Region", "n", "promoters", "passives", "detractors", "nps", "se", "ci_low",
                                     "ci_high", "low_n", "vs_rest"}
    assert all(set(g["vs_rest"]) == {"diff", "se", "p", "p_adjusted", "flag"} for g in out["groups"])
    assert [g["vs_rest"]["flag"] for g in out["groups"]] == [None, None, None, None]
    assert out["multiplicity"] == {"method": "bh", "level": 0.95, "tests": 4,
                                   "families": [{"name": "vs_rest", "method": "bh", "tests": 4}]}
    assert out["rejected"] == {"total": 0, "reasons": {}}


def test_summary_by_quarter_and_wald(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, str(R_TESTDATA), "--period", "quarter", "--method", "wald")
    assert [g["period"] for g in out["groups"]] == ["2012-01-01", "2012-04-01", "2012-07-01", "2012-10-01"]
    assert [g["n"] for g in out["groups"]] == [250, 249, 251, 250]
    assert [round(g["nps"], 5) for g in out["groups"]] == [13.6, 8.43373, 12.3506, 5.6]
    assert out["overall"]["ci_low"] == pytest.approx(4.40809, abs=1e-5)
    assert out["overall"]["ci_high"] == pytest.approx(15.59191, abs=1e-5)


def test_summary_with_where_and_dates(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, str(R_TESTDATA), "--where", "Region=NAM", "--where", "Region=EMEA", "--by", "BU",
                   "--since", "2012-01-01", "--until", "2012-12-31")
    assert out["overall"]["n"] == 507 + 259
    assert sorted(g["BU"] for g in out["groups"]) == ["Apples", "Bananas", "Berries", "Oranges"]


def test_summary_of_the_telecom_file_counts_rejected_rows(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, str(TELECOM), "--by", "SURVEY_SUB_TYPE")
    assert out["rejected"] == {"total": 32, "reasons": {"score is blank": 32}}
    assert out["overall"]["n"] == 2353
    assert out["overall"]["nps"] == pytest.approx(-24.69188, abs=1e-4)
    stages = {g["SURVEY_SUB_TYPE"]: g for g in out["groups"]}
    assert round(stages["Order"]["nps"], 2) == -9.98
    assert round(stages["First Payment"]["nps"], 2) == -29.29
    assert round(stages["Equipment Received"]["nps"], 2) == -56.71
    assert round(stages["Service in Use"]["nps"], 2) == -76.67
    assert stages["Service in Use"]["low_n"] is False and stages["Service in Use"]["n"] == 30
    assert out["source"]["columns"]["comment"] == "text"


def test_ingest_then_summary_from_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cli.duckdb"
    assert main(["ingest", str(TELECOM), "--db", str(db), "--name", "telecom"]) == 0
    printed = capsys.readouterr().out
    assert "NPS_SCORE" in printed and "score is blank" in printed
    out = run_json(capsys, "telecom", "--db", str(db), "--format", "json")
    assert out["overall"]["n"] == 2353
    assert main(["ingest", str(TELECOM), "--db", str(db)]) == 2
    assert "loaded" in capsys.readouterr().err
    assert main(["datasets", "--db", str(db)]) == 0
    assert "telecom" in capsys.readouterr().out


def test_csv_and_table_formats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(R_TESTDATA), "--by", "BU", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("BU,n,promoters,passives,detractors,nps,se,ci_low,ci_high,low_n,"
                        "vs_rest_diff,vs_rest_se,vs_rest_p,vs_rest_p_adjusted,vs_rest_flag")
    assert len(lines) == 5
    assert main(["summary", str(R_TESTDATA)]) == 0
    assert "NPS 10.0  [4.4, 15.6]  n 1000" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["summary", "no-such-file.csv"], "no such file"),
        (["summary", str(R_TESTDATA), "--by", "Nope"], "no column 'Nope'"),
        (["summary", str(R_TESTDATA), "--where", "Region"], "COLUMN=VALUE"),
    ],
)
def test_unusable_input_exits_2_with_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSAPAROLA_DB", str(tmp_path / "none.duckdb"))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_python_m_nps_exits_2_on_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    done = subprocess.run([sys.executable, "-m", "nps", "summary", str(empty)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert "empty.csv" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_append_to_a_name_two_datasets_share_is_refused_with_their_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 9: ``--append-to NAME`` silently picked the newest of two datasets with that name."""
    db = tmp_path / "cli.duckdb"
    first, second, wave = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    for path, shift in ((first, 0), (second, 1), (wave, 2)):
        path.write_text("NPS,segment\n" + "".join(f"{(i + shift) % 11},B2B\n" for i in range(20)), encoding="utf-8")
    assert main(["ingest", str(first), "--db", str(db), "--name", "shop"]) == 0
    assert main(["ingest", str(second), "--db", str(db), "--name", "shop"]) == 0
    capsys.readouterr()
    assert main(["ingest", str(wave), "--db", str(db), "--append-to", "shop"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: 2 datasets are named 'shop': 1 (20 responses, 1 wave(s), loaded ")
    assert "; 2 (20 responses, 1 wave(s), loaded " in err
    assert err.rstrip().endswith("; give the id instead of the name")
    assert main(["ingest", str(wave), "--db", str(db), "--append-to", "2"]) == 0
    assert "dataset 2 'shop' (customer), wave 2" in capsys.readouterr().out
    assert main(["datasets", "--db", str(db)]) == 0
    listing = capsys.readouterr().out
    assert "   1  shop  (customer; 20 responses, 0 rejected, 1 wave(s)" in listing
    assert "   2  shop  (customer; 40 responses, 0 rejected, 2 wave(s)" in listing
