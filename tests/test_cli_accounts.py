"""``python -m nps accounts`` and ``python -m nps profiles`` (issue 14): JSON and tables on small files, overrides, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nps.cli import main

CSV = """respondent,date,score,Company,Job level,ARR,plan
r1,2024-01-05,10,Acme,CEO,"1.200,50",Pro
r2,2024-04-02,9,Acme,user,"1.200,50",Pro
r3,2024-04-03,3,Acme,Purchasing manager,"1.200,50",Pro
r4,2024-02-01,8,Beta,Director,€ 3k,Basic
r5,2024-02-02,7,Beta,staff,3000,Basic
r6,2024-03-01,2,Gamma,,bad,Basic
r7,2024-03-02,10,Gamma,x,5k,Pro
"""


@pytest.fixture
def accounts_file(tmp_path: Path) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main([*args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_accounts_json_of_a_file(accounts_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(capsys, "accounts", str(accounts_file))
    assert out["columns"] == {"account": "Company", "role": "Job level", "revenue": "ARR"}
    assert out["revenue_source"] == "column"
    assert out["classes"] == {"detractor": 1, "passive": 1, "promoter": 1}
    assert (out["account_nps"]["n"], out["account_nps"]["nps"]) == (3, 0.0)
    assert out["revenue_weighted_nps"]["nps"] == pytest.approx(100 * (1200.5 - 5000) / 9200.5)
    assert out["revenue_at_risk"] == 5000.0
    assert [a["account"] for a in out["accounts"]] == ["Gamma", "Beta", "Acme"]
    acme = out["accounts"][2]
    assert (acme["n"], acme["basis"], acme["account_class"], acme["open_cases"]) == (3, "decision maker", "promoter", 0)
    assert acme["trend"] == [{"quarter": "2024Q1", "n": 1, "nps": 100.0}, {"quarter": "2024Q2", "n": 2, "nps": 0.0}]
    # The unreadable revenue is named with its file row (the header is row 1) and column.
    assert "row 7, column 'ARR': 'bad' is not an amount; not counted" in out["notes"]


def test_accounts_with_an_account_list(accounts_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "book.csv"
    listing.write_text("account;revenue\nAcme;1.000\nBeta;2000\nGamma;3000\nDelta;4000\n", encoding="utf-8")
    out = _json(capsys, "accounts", str(accounts_file), "--accounts", str(listing))
    assert out["revenue_source"] == "account list"
    assert out["coverage"]["accounts"] == 4 and out["coverage"]["accounts_answered"] == 3
    assert out["coverage"]["revenue_share"] == pytest.approx(0.6)
    assert out["coverage"]["decision_maker_accounts"] == 2
    assert out["revenue_at_risk"] == 3000.0


def test_accounts_table_and_overrides(accounts_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["accounts", str(accounts_file), "--account-column", "plan", "--role-column", "Job level",
                 "--revenue-column", "ARR", "--where", "plan=Pro"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "account: plan   role: Job level   revenue: ARR"
    assert "account-based NPS 100.0" in text  # one account, Pro: its decision maker (CEO) gave 10
    assert "Pro " in text and "Basic" not in text


def test_accounts_without_an_account_column(accounts_file: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    # A respondent id is not an account: without the Company column nothing reads as one.
    plain = tmp_path / "plain.csv"
    plain.write_text("\n".join(",".join(line.split(",")[:3]) for line in CSV.splitlines()) + "\n", encoding="utf-8")
    assert main(["accounts", str(plain)]) == 2
    assert "no account (company) column found" in capsys.readouterr().err


def test_accounts_of_the_sample_put_the_planted_account_first(capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(capsys, "accounts", "data/sample_customers.csv", "--survey-type", "all", "--since", "2024-11-01")
    assert out["columns"] == {"account": "company", "role": "contact_role", "revenue": "annual_revenue_eur"}
    first = out["accounts"][0]
    assert first["account"] == "Ferri Logistica S.p.A."
    assert (first["account_class"], first["basis"], first["nps"]) == ("detractor", "decision maker", -100.0)
    assert out["revenue_at_risk"] >= 2_988_200
    assert out["coverage"]["accounts"] == 90
    # One large detractor account pulls the revenue-weighted NPS far below the account-based one.
    assert out["revenue_weighted_nps"]["nps"] < out["account_nps"]["nps"] - 15


def test_a_missing_account_list_is_a_usage_error(accounts_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["accounts", str(accounts_file), "--accounts", "nope.csv"]) == 2
    assert "--accounts nope.csv: no such file" in capsys.readouterr().err


def test_profiles_json_and_table(accounts_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(capsys, "profiles", str(accounts_file), "--by", "plan", "--min-n", "1")
    rows = {r["value"]: r for r in out["values"]}
    # Pro: 3 of the 3 promoters, 4 of 7 responses: lift 1 / (4/7) = 1.75.
    assert rows["Pro"]["promoter_lift"] == pytest.approx(1.75)
    assert rows["Basic"]["promoter_lift"] == 0.0
    assert (rows["Basic"]["sevens"], rows["Basic"]["eights"]) == (1, 1)
    assert out["family"]["tests"] == 4
    assert main(["profiles", str(accounts_file), "--by", "plan"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "plan"
    assert "1.75 [0.83, 2.20]" in text


def test_profiles_of_the_sample_flags_values(capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(capsys, "profiles", "data/sample_customers.csv", "--by", "segment")
    rows = {r["value"]: r for r in out["values"]}
    assert set(rows) == {"B2B", "B2C", "Partners & investors"}
    # The sample's planted story: B2B customers promote more, B2C ones detract more.
    assert (rows["B2B"]["promoter_flag"], rows["B2B"]["detractor_flag"]) == ("high", "low")
    assert (rows["B2C"]["promoter_flag"], rows["B2C"]["detractor_flag"]) == ("low", "high")
    assert sum(r["share_overall"] for r in out["values"]) == pytest.approx(1.0)


def test_profiles_of_an_unknown_column(accounts_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", str(accounts_file), "--by", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_hostile_account_names_are_shown_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "hostile.csv"
    path.write_text("score,Company\n10,\x1b[31mRed\n2,\x1b[31mRed\n9,Plain\n", encoding="utf-8")
    assert main(["accounts", str(path), "--score-column", "score", "--role-column", "", "--revenue-column", ""]) == 0
    text = capsys.readouterr().out
    assert "\x1b" not in text and "\\x1b[31mRed" in text
    assert main(["profiles", str(path), "--score-column", "score", "--by", "Company"]) == 0
    assert "\x1b" not in capsys.readouterr().out
