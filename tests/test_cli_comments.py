"""``python -m nps comments``: languages, themes, distinctive terms and uncovered clusters, with fixed JSON keys."""

from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from nps import store
from nps import text
from nps.query import themes
from nps.store import tagging
from nps.cli import main
from nps.ingest import ingest_file
from tests.conftest import R_TESTDATA, ROOT, TELECOM

THEME_KEYS = {"theme", "mentions", "share", "detractors", "passives", "promoters", "nps_with", "nps_without",
              "impact", "impact_ci_low", "impact_ci_high", "impact_p", "impact_p_adjusted", "impact_significant"}
STAGES = {"Order", "First Payment", "Equipment Received", "Service in Use"}


def run_comments(*args: str) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["comments", *args, "--format", "json"]) == 0
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def telecom() -> dict:
    return run_comments(str(TELECOM), "--by", "SURVEY_SUB_TYPE")


@pytest.fixture(scope="module")
def telecom_themes() -> list[dict]:
    """theme_summary of the telecom file loaded the way the command loads it."""
    con = store.connect(":memory:")
    try:
        ds = ingest_file(con, TELECOM, allow_duplicate=True).dataset
        book = text.load_codebook()
        tagging.tag_dataset(con, ds, book)  # the step the command runs before its report
        frame = themes.theme_summary(con, ds, book)
    finally:
        con.close()
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in frame.to_dict("records")]


def test_the_json_has_exactly_the_fixed_keys(telecom: dict) -> None:
    assert list(telecom) == ["languages", "themes", "distinctive", "uncovered", "codebook_version", "groups"]
    assert all(set(t) == THEME_KEYS for t in telecom["themes"])
    assert list(telecom["distinctive"]) == ["detractors", "promoters"]
    assert all(set(t) == {"term", "score"} for side in telecom["distinctive"].values() for t in side)
    assert telecom["uncovered"] and all(set(c) == {"terms", "size", "examples"} for c in telecom["uncovered"])
    assert all(set(g) == {"SURVEY_SUB_TYPE", "themes"} for g in telecom["groups"])
    assert len(telecom["codebook_version"]) == 64


def test_languages_add_up_to_the_commented_responses(telecom: dict) -> None:
    # 2350 of the 2353 scored responses have a comment (three are just "." — a missing comment, not a comment);
    # all are English or too short to tell.
    assert sum(telecom["languages"].values()) == 2350
    assert set(telecom["languages"]) == {"en", "unknown"}
    assert list(telecom["languages"].values()) == sorted(telecom["languages"].values(), reverse=True)


def test_theme_mentions_match_the_theme_summary(telecom: dict, telecom_themes: list[dict]) -> None:
    assert [t["theme"] for t in telecom["themes"]] == [t["theme"] for t in telecom_themes]
    assert [t["mentions"] for t in telecom["themes"]] == [t["mentions"] for t in telecom_themes]
    mentions = {t["theme"]: t["mentions"] for t in telecom["themes"]}
    assert mentions["Waiting time"] == 575  # 576 before the reviewed codebook: "month by month" is no wait
    assert mentions["Billing & invoices"] == 142
    for ours, theirs in zip(telecom["themes"], telecom_themes):
        for key in THEME_KEYS - {"theme"}:
            assert ours[key] == (None if theirs[key] is None else pytest.approx(theirs[key], abs=1e-12))


def test_groups_split_the_mentions_by_stage(telecom: dict) -> None:
    assert {g["SURVEY_SUB_TYPE"] for g in telecom["groups"]} == STAGES
    for theme in telecom["themes"]:
        per_stage = [next(t for t in g["themes"] if t["theme"] == theme["theme"]) for g in telecom["groups"]]
        assert sum(t["mentions"] for t in per_stage) == theme["mentions"]
    first_payment = next(g for g in telecom["groups"] if g["SURVEY_SUB_TYPE"] == "First Payment")
    billing = next(t for t in first_payment["themes"] if t["theme"] == "Billing & invoices")
    assert billing["mentions"] == 126


def test_distinctive_terms_and_uncovered_clusters(telecom: dict) -> None:
    promoters = [t["term"] for t in telecom["distinctive"]["promoters"]]
    assert "easy" in promoters[:3]
    assert all(t["score"] > 0 for side in telecom["distinctive"].values() for t in side)
    sizes = [c["size"] for c in telecom["uncovered"]]
    assert sizes == sorted(sizes, reverse=True)
    assert all(len(c["terms"]) == 8 and 1 <= len(c["examples"]) <= 3 for c in telecom["uncovered"])


def test_a_codebook_file_replaces_the_default(tmp_path: Path) -> None:
    path = tmp_path / "broadband.yaml"
    path.write_text("themes:\n  - name: Broadband\n    words: {en: [broadband, internet]}\n", encoding="utf-8")
    out = run_comments(str(TELECOM), "--codebook", str(path))
    assert [t["theme"] for t in out["themes"]] == ["Broadband"]
    assert out["codebook_version"] == text.load_codebook(path).version
    assert "groups" not in out


def test_the_default_codebook_file_gives_its_version() -> None:
    out = run_comments(str(TELECOM), "--codebook", str(ROOT / "data" / "codebook.yaml"))
    assert out["codebook_version"] == text.load_codebook().version


def test_a_dataset_in_the_database_and_the_table_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "comments.duckdb"
    assert main(["ingest", str(TELECOM), "--db", str(db), "--name", "telecom"]) == 0
    capsys.readouterr()
    assert main(["comments", "telecom", "--db", str(db)]) == 0
    printed = capsys.readouterr().out
    assert "2350 comments; languages: en " in printed
    assert "Waiting time" in printed and "   575  " in printed
    assert "typical of promoters: " in printed
    assert "comments no theme covers, grouped:" in printed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([str(R_TESTDATA)], "no comment column found; name it with --comment-column"),
        (["no-such-file.csv"], "no such file"),
        ([str(TELECOM), "--codebook", "no-such-codebook.yaml"], "no such codebook file"),
        ([str(TELECOM), "--by", "Nope"], "no column 'Nope'"),
    ],
)
def test_unusable_input_exits_2_with_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSAPAROLA_DB", str(tmp_path / "none.duckdb"))
    assert main(["comments", *args]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.out == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("themes: [1, 2\n", "YAML"),
        ("themes:\n  - name: Price\n    words: {xx: [prix]}\n", "unknown language 'xx'"),
        ("colours: [red]\n", "expected a 'themes:' list"),
    ],
)
def test_a_bad_codebook_exits_2(content: str, message: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    assert main(["comments", str(TELECOM), "--codebook", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err
    assert len(err.strip().splitlines()) == 1


def test_python_m_nps_comments_without_comments_exits_2_without_a_traceback() -> None:
    done = subprocess.run([sys.executable, "-m", "nps", "comments", str(R_TESTDATA)], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 2
    assert "--comment-column" in done.stderr and "Traceback" not in done.stderr


def test_tagging_progress_shows_on_a_terminal_only() -> None:
    import io

    from nps.cli.comments import tagging_progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert tagging_progress(io.StringIO()) is None
    out = Terminal()
    show = tagging_progress(out)
    assert show is not None
    show(0, 1200)
    show(1200, 1200)
    assert out.getvalue() == ("\rtagging the themes of 1,200 comments (once per codebook version): 0 done"
                              "\rtagging the themes of 1,200 comments (once per codebook version): 1,200 done\n")
