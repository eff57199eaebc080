"""python -m nps caveats: the sample's caveats as JSON and as a table, a population and an invitations file,
the column overrides, and errors said in one line."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from nps import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample_customers.csv"


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["caveats", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("caveats")
    base = list(range(11)) * 4
    rows = [(a, s, f"2026-0{1 + i % 2}-1{i % 9}", "") for a in "ABC" for i, s in enumerate(base)]
    rows += [("X", s, f"2026-0{1 + i % 2}-1{i % 9}", "") for i, s in enumerate([10] * 30 + list(range(10)) + [5] * 4)]
    rows[3] = ("A", 3, "2026-02-13", "Mi ha chiesto di dare 10")
    frame = pd.DataFrame(rows, columns=["agent", "score", "date", "comment"])
    frame["country"] = ["IT" if a in "AB" else "FR" for a in frame["agent"]]
    frame.to_csv(folder / "shop.csv", index=False)
    return folder / "shop.csv"


def test_the_sample_blended_warns_of_pooled_survey_types() -> None:
    code, out, err = _run(str(SAMPLE), "--survey-type", "all", "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["dataset"] == "sample_customers"
    kinds = [c["kind"] for c in result["caveats"]]
    assert kinds == ["survey_mix", "culture", "fatigue"]
    mix = result["caveats"][0]
    assert mix["severity"] == "warn" and mix["numbers"]["counts"] == {"transactional": 20316, "relationship": 3684}
    assert result["warnings"][-1].startswith("blending 2 survey types")


def test_the_sample_as_summary_counts_it_one_type_and_says_so() -> None:
    code, out, _ = _run(str(SAMPLE), "--by", "language")
    assert code == 0
    assert out.splitlines()[0] == "2 caveat(s) for sample_customers"
    assert "WARN  Comparing language values" in out
    assert "note: this dataset mixes 2 survey types" in out
    assert "Survey types pooled" not in out


def test_a_population_file_gives_composition_and_weighted_nps(tmp_path: Path) -> None:
    population = tmp_path / "population.csv"
    population.write_text("column,value,share\nsegment,B2B,45%\nsegment,B2C,45%\nsegment,Partners & investors,10%\n",
                          encoding="utf-8")
    code, out, err = _run(str(SAMPLE), "--survey-type", "all", "--population", str(population), "--format", "json")
    assert code == 0, err
    found = {c["kind"]: c for c in json.loads(out)["caveats"]}
    weighted = found["weighted_nps"]["numbers"]
    assert weighted["n"] == 24000 and weighted["max_margin_error"] < 1e-6
    assert found["composition"]["numbers"]["population"] == {"B2B": 0.45, "B2C": 0.45, "Partners & investors": 0.1}
    assert weighted["weighted_nps"] != weighted["nps"]


def test_invitations_file_and_gaming_on_a_small_file(shop: Path, tmp_path: Path) -> None:
    invitations = tmp_path / "invitations.csv"
    invitations.write_text("agent,invitations\nA,100\nB,100\nC,100\nX,100\nD,50\n", encoding="utf-8")
    code, out, err = _run(str(shop), "--invitations", str(invitations), "--by", "country", "--format", "json")
    assert code == 0, err
    found = json.loads(out)["caveats"]
    by_kind = {c["kind"]: c for c in found}
    assert by_kind["response_rate"]["numbers"]["response_rate"] == pytest.approx(176 / 450)
    assert by_kind["coverage"]["numbers"]["not_covered"] == ["D"]
    assert [c["numbers"]["value"] for c in found if c["kind"] == "gaming_tens"] == ["X"]
    assert [c["numbers"]["value"] for c in found if c["kind"] == "gaming_comments"] == ["A"]
    assert by_kind["culture"]["severity"] == "warn"
    code, out, _ = _run(str(shop), "--agent-column", "", "--country-column", "", "--format", "json")
    assert [c["kind"] for c in json.loads(out)["caveats"]] == []


def test_errors_are_one_line(tmp_path: Path, shop: Path) -> None:
    code, _, err = _run(str(SAMPLE), "--population", str(tmp_path / "none.csv"))
    assert code == 2 and err.startswith("error: --population") and "no such file" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("column,value\nsegment,B2B\n", encoding="utf-8")
    code, _, err = _run(str(SAMPLE), "--population", str(bad))
    assert code == 2 and "bad.csv: the columns must be column, value, share; missing share" in err
    assert err.count("\n") == 1
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("agent,region,invitations\nA,N,3\n", encoding="utf-8")
    code, _, err = _run(str(shop), "--invitations", str(wrong))
    assert code == 2 and "wrong.csv: invitations by at most one column of the data, not agent, region" in err
    code, _, err = _run(str(shop), "--agent-column", "nope")
    assert code == 2 and "no column 'nope'" in err
