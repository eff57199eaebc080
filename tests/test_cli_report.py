"""python -m nps report: a review pack of a file, a dataset or a stored review, as PowerPoint or PDF; the same
numbers as summary for the same arguments; errors said in one line."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from pptx import Presentation

from nps import cli, store
from nps.format import points
from nps.store import reviews


@pytest.fixture
def shop_db(tmp_path: Path) -> Path:
    db = tmp_path / "shop.duckdb"
    months = {"Billing": ((5, (9, 3, 10, 7)), (6, (10, 10, 9, 0, 8, 6))),
              "Sales": ((5, (2, 3, 10, 7)), (6, (4, 10, 5, 0, 8, 9, 9)))}  # June: Billing +16.7, Sales 0.0
    rows = [(f, seg, s, f"2026-{m:02d}-{10 + i:02d}", "slow answers, please call back" if s < 7 else "great service thanks")
            for f, spans in months.items() for m, scores in spans for i, (seg, s) in enumerate(zip("XYXYXYX", scores))]
    frame = pd.DataFrame(rows, columns=["business_function", "segment", "score", "date", "comment"])
    frame.to_csv(tmp_path / "shop.csv", index=False)
    assert cli.main(["ingest", str(tmp_path / "shop.csv"), "--db", str(db), "--name", "shop", "--dimension",
                     "business_function", "--dimension", "segment"]) == 0
    return db


def _summary(db: Path, *args: str) -> dict:
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        assert cli.main(["summary", "shop", "--db", str(db), "--format", "json", *args]) == 0
    return json.loads(out.getvalue())


def test_the_deck_has_summarys_numbers(shop_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pack.pptx"
    args = ["--since", "2026-06-01", "--until", "2026-06-30", "--compare", "previous"]
    assert cli.main(["report", "shop", "--db", str(shop_db), "--by", "business_function", *args,
                     "--format", "pptx", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: pptx pack, 2 section(s), ")
    deck = Presentation(str(out))
    expected = {g["business_function"]: g["nps"] for g in _summary(shop_db, "--by", "business_function",
                                                                   "--since", "2026-06-01", "--until",
                                                                   "2026-06-30")["groups"]}
    charts = [s.chart for slide in deck.slides for s in slide.shapes if s.has_chart
              and s.chart.chart_title.text_frame.text == "NPS by business function"]
    values = dict(zip(charts[0].plots[0].categories, charts[0].plots[0].series[0].values))
    assert values == pytest.approx(expected)
    footers = [s.text_frame.text for slide in deck.slides for s in slide.shapes if s.name == "Provenance"]
    assert len(footers) == len(deck.slides)
    assert "2026-06-01 to 2026-06-30 vs previous period (2026-05-01 to 2026-05-31)" in footers[0]
    last = deck.slides[len(deck.slides) - 1]
    text = " ".join(s.text_frame.text for s in last.shapes if s.has_text_frame)
    assert "Rebuild with: python -m nps report shop --db" in text


def test_the_pdf_names_every_functions_nps(shop_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack.pdf"
    assert cli.main(["report", "shop", "--db", str(shop_db), "--since", "2026-06-01", "--until", "2026-06-30",
                     "--format", "pdf", "--out", str(out)]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    groups = _summary(shop_db, "--by", "business_function", "--since", "2026-06-01", "--until", "2026-06-30")["groups"]
    for group in groups:
        nps, low, high = (points(group[k]) for k in ("nps", "ci_low", "ci_high"))
        row = rf"{re.escape(group['business_function'])}\s+{re.escape(nps)}\s+{re.escape(low)} to {re.escape(high)}\s+{group['n']}"
        assert re.search(row, text), (group, text[:3000])


def test_a_stored_reviews_pack(shop_db: Path, tmp_path: Path) -> None:
    con = store.connect(shop_db)
    try:
        reviews.add_review(con, dataset_id=1, name="Billing monthly", dimension="business_function", value="Billing",
                           cadence="monthly:1")
        meeting = reviews.ensure_meeting(con, 1, pd.Timestamp("2026-06-01").date())
        reviews.add_entry(con, meeting.id, "decision", "Call back every detractor within 24 h")
    finally:
        con.close()
    out = tmp_path / "review.pptx"
    assert cli.main(["report", "shop", "--db", str(shop_db), "--review", "Billing monthly", "--on", "2026-07-01",
                     "--format", "pptx", "--out", str(out)]) == 0
    deck = Presentation(str(out))
    titles = [s.shapes.title.text_frame.text for s in deck.slides if s.shapes.title is not None]
    assert titles[0] == "Billing monthly: meeting of 1 Jul 2026"
    assert "Billing" in titles and "Sales" not in titles
    body = " ".join(s.text_frame.text for slide in deck.slides for s in slide.shapes if s.has_text_frame)
    assert "Call back every detractor within 24 h" in body
    assert "2026-06-01 to 2026-06-30 (since the previous meeting)" in body


TRUST = "How far to trust these numbers"


def _trust_slide(path: Path) -> list[str]:
    deck = Presentation(str(path))
    slide = next(s for s in deck.slides if s.shapes.title is not None and s.shapes.title.text_frame.text == TRUST)
    return [p.text for s in slide.shapes if s.has_text_frame and s.name != "Provenance"
            and s.shape_id != slide.shapes.title.shape_id for p in s.text_frame.paragraphs]


def test_the_population_and_invitations_files_reach_the_trust_slide(shop_db: Path, tmp_path: Path) -> None:
    (tmp_path / "pop.csv").write_text("column,value,share\nsegment,X,60%\nsegment,Y,40%\n")
    (tmp_path / "inv.csv").write_text("invitations\n100\n")
    out = tmp_path / "pack.pptx"
    assert cli.main(["report", "shop", "--db", str(shop_db), "--since", "2026-06-01", "--until", "2026-06-30",
                     "--population", str(tmp_path / "pop.csv"), "--invitations", str(tmp_path / "inv.csv"),
                     "--format", "pptx", "--out", str(out)]) == 0
    texts = _trust_slide(out)
    assert texts[:2] == ["Warning · Low response rate",
                         "Only 13% of those invited answered (13 of 100). Promoters answer more readily than "
                         "detractors, so with a rate below 30% the NPS is probably higher than among all customers."]
    assert "Note · Weighted and unweighted NPS" in texts
    assert texts[-1] == "Not checked: survey fatigue (no respondent id)."
    assert texts[-2].startswith("Checked: response rate; sample vs population and the weighted NPS; signs of gaming "
                                "by business_function")


def test_a_planted_spike_of_tens_is_on_the_slide_and_the_pdf_page(tmp_path: Path) -> None:
    base = list(range(11)) * 4
    scores = {"Billing": base, "Care": base, "Support": base, "Sales": [10] * 30 + list(range(10)) + [5] * 4}
    rows = [(f, s, f"2026-06-{1 + i % 28:02d}") for f, spread in scores.items() for i, s in enumerate(spread)]
    pd.DataFrame(rows, columns=["business_function", "score", "date"]).to_csv(tmp_path / "spike.csv", index=False)
    spike = ("68% of the answers for business_function Sales are 10s, against 9% elsewhere (30 of 44): check how the "
             "survey is handed out there before rewarding the score.")
    for fmt in ("pptx", "pdf"):
        assert cli.main(["report", str(tmp_path / "spike.csv"), "--dimension", "business_function",
                         "--format", fmt, "--out", str(tmp_path / f"pack.{fmt}")]) == 0
    assert _trust_slide(tmp_path / "pack.pptx") == [
        "Warning · Spike of 10s: business_function Sales", spike,
        "Checked: signs of gaming by business_function (spikes of 10s, too little variance).",
        "Not checked: response rate (no invitation counts given); sample vs population (no population table given); "
        "survey fatigue (no respondent id)."]
    text = subprocess.run(["pdftotext", str(tmp_path / "pack.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    page = next(p for p in text.split("\f") if p.lstrip().startswith(TRUST))
    assert " ".join(spike.split()) in " ".join(page.split())
    sales = next(p for p in text.split("\f") if p.lstrip().startswith("Sales\n"))
    assert "Warning · Spike of 10s: business_function Sales" in " ".join(sales.split())


def test_a_pack_without_caveats_says_what_was_checked(shop_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack.pptx"
    assert cli.main(["report", "shop", "--db", str(shop_db), "--format", "pptx", "--out", str(out)]) == 0
    assert _trust_slide(out) == [
        "No caveat found. Checked, and nothing to warn about: signs of gaming by business_function (spikes of 10s, "
        "too little variance).",
        "Not checked: response rate (no invitation counts given); sample vs population (no population table given); "
        "survey fatigue (no respondent id)."]


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "pdf", "--template", "x.pptx"], "--template is a PowerPoint file: it applies to --format pptx only"),
    (["--format", "pdf", "--value", "Billing"], "--value needs --by COLUMN"),
    (["--format", "pdf", "--review", "nope", "--since", "2026-01-01"], "--review covers its meeting's window"),
    (["--format", "pdf", "--review", "nope"], "nope"),
    (["--format", "pptx", "--by", "nowhere"], "nowhere"),
    (["--format", "pptx", "--population", "missing.csv"], "missing.csv: no such file"),
    (["--format", "pptx", "--population", "bad.csv"], "bad.csv, row 2, column 'share': 'lots' is not a share"),
    (["--format", "pptx", "--invitations", "bad.csv"], "bad.csv: no column 'invitations'"),
])
def test_errors_are_one_line(shop_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                             message: str) -> None:
    (tmp_path / "x.pptx").write_bytes(b"")
    (tmp_path / "bad.csv").write_text("column,value,share\nsegment,X,lots\n")
    args = [str(tmp_path / a) if a.endswith(".csv") else a for a in args]
    code = cli.main(["report", "shop", "--db", str(shop_db), "--out", str(tmp_path / "p"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") <= 2, err
