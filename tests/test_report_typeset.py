"""The review pack as a PDF (nps.report.typeset): its text read back with pdftotext, its pages drawn with pdftoppm.

The fixture pack (tests/report_fixtures.py) has literal numbers, a section hidden by the anonymity rule
and hostile text (Markdown, Typst, HTML, a formula) in names, themes, verbatims and decisions: every
number must appear as formatted, every hostile string literally, and the provenance footer on every page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nps.report import typeset
from nps.report.model import (ActionLine, Bar, Breakdown, Change, Decision, Figure, Movement, Pack, Quote, Section,
                              Theme, TrendPoint)
from tests.report_fixtures import CAVEATS, HOSTILE, billing, hidden, sample_pack, trusting_pack

STUB_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="120">'
            b'<rect width="400" height="120" fill="#ddd"/></svg>')


def stub_draw(specs: list[dict], fmt: str) -> list[bytes]:
    """A stand-in for render_specs (no vl-convert child): one small grey SVG per spec."""
    assert fmt == "svg"
    return [STUB_SVG] * len(specs)


def squash(text: str) -> str:
    """Whitespace collapsed to one space (pdftotext wraps and pads lines)."""
    return " ".join(text.split())


def bare(text: str) -> str:
    """Every whitespace removed (a line may break anywhere Unicode allows, e.g. after a slash), and the zero-width
    spaces that let a word too wide for its column break."""
    return "".join(text.replace("\u200b", "").split())


def pdf_pages(pdf: bytes, tmp: Path, *, layout: bool = True) -> list[str]:
    """The text of each page (pdftotext, pages split on form feeds)."""
    path = tmp / "pack.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    text = subprocess.run(args, capture_output=True, check=True, text=True).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


PAGE_NUMBER = re.compile(r"page \d+ of \d+")


def in_order(text: str, *pieces: str) -> bool:
    """Whether ``pieces`` appear in ``text`` one after the other, only whitespace between them
    (the scorecard's tiles sit side by side: pdftotext -layout reads them row by row)."""
    return re.search(r"\s+".join(re.escape(piece) for piece in pieces), text) is not None


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[str], Path]:
    """The fixture pack rendered once with the real chart renderer: the PDF, its pages' text, its folder."""
    tmp = tmp_path_factory.mktemp("pdf")
    pdf = typeset.render_pdf(sample_pack())
    return pdf, pdf_pages(pdf, tmp), tmp


def test_a_pdf_with_pages(rendered: tuple[bytes, list[str], Path]) -> None:
    pdf, pages, _ = rendered
    assert pdf.startswith(b"%PDF-")
    assert len(pages) >= 5


def test_every_page_draws(rendered: tuple[bytes, list[str], Path]) -> None:
    pdf, pages, tmp = rendered
    path = tmp / "draw.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(tmp / "page")], check=True, capture_output=True)
    drawn = sorted(tmp.glob("page-*.png"))
    assert len(drawn) == len(pages) > 0
    assert all(p.stat().st_size > 1000 for p in drawn)


def test_title_metadata(rendered: tuple[bytes, list[str], Path]) -> None:
    pdf, _, tmp = rendered
    path = tmp / "info.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    assert "Title:           Review: Customer service, June 2026" in info
    assert "CreationDate:    Wed Jul  1 08:30:00 2026 UTC" in info


def test_summary_numbers(rendered: tuple[bytes, list[str], Path]) -> None:
    _, pages, _ = rendered
    text = squash("\n".join(pages))
    assert in_order(text, "NPS", "Change vs previous period", "Target", "+4.2", "−1.8 (noise)", "+10.0",
                    "95% CI +0.3 to +8.1", "previous +6.0 (n 1,450)", "gap −5.8", "n 1,500", "95% CI −7.4 to +3.8")
    assert "Promoters 35.0% · passives 34.2% · detractors 30.8%" in text
    assert "Changes: 2 tests, Holm-controlled at 95%." in text
    assert "One function is hidden by the anonymity rule." in text


def test_summary_table_has_every_section(rendered: tuple[bytes, list[str], Path]) -> None:
    _, pages, _ = rendered
    summary = squash(next(p for p in pages if "Cross-functional summary" in p and "Contents" not in p))
    assert "Business function NPS 95% interval n Change Target Gap" in summary
    assert "Billing −12.4 −19.8 to −4.9 412 −10.4 ● 0.0 −12.4" in summary
    assert squash(f"{HOSTILE} hidden — — — — —") in summary


def test_section_numbers(rendered: tuple[bytes, list[str], Path]) -> None:
    _, pages, _ = rendered
    text = squash("\n".join(pages))
    assert in_order(text, "NPS", "Change vs previous period", "Target", "−12.4", "−10.4 (significant)", "0.0",
                    "95% CI −19.8 to −4.9", "previous −2.0 (n 398)", "gap −12.4", "n 412", "95% CI −20.9 to +0.1")
    assert "Promoters 26.2% · passives 35.2% · detractors 38.6%" in text
    # the breakdown with its markers, the movement, themes, verbatims, follow-up, actions, notes
    assert "B2C −20.0 −29.1 to −10.6 250 ▼" in text
    assert "B2B +1.3 −10.6 to +13.2 150 ▲" in text
    assert "NPS fell 10.4 points: −8.1 within segments, −2.6 from the mix of segments, +0.3 interaction." in text
    assert "B2C: −7.5 points" in text
    assert "Billing errors 41.0% 64 −31.2 −40.5 to −21.9 ●" in text
    assert "Friendly staff 33.0% 35 +22.0 +12.1 to +31.9 ●" in text
    assert "2/10 Third wrong invoice this year, call me at ***" in text
    assert "10/10 Rapidi e gentili, grazie!" in text
    assert "#101 anna@example.com 2026-06-28 high" in text
    assert "#117 unassigned 2026-06-29 normal" in text
    assert "#7 Fix the invoice template" in text
    assert "Owner: luca@example.com · due 2026-07-31 · in progress" in text
    assert "NPS before: −2.0 (n 120) · since: −9.0 (n 110)" in text
    assert "NPS moved from −2.0 (n 120) to −9.0 (n 110): within the noise (p = 0.41)" in text
    assert "due 2026-06-01 (overdue) · planned" in text
    assert "June has fewer than 30 responses: read with care." in text
    assert ("▲ / ▼: significantly above / below the rest of the section (after multiplicity control across the "
            "values).") in text


def test_footer_and_page_number_on_every_page(rendered: tuple[bytes, list[str], Path]) -> None:
    _, pages, _ = rendered
    footer = squash(sample_pack().provenance.footer())
    assert "sha256:aaaaaaaaaaaa" in footer
    for number, page in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in page
        assert footer in squash(PAGE_NUMBER.sub(" ", page)), f"page {number}"


def test_contents_lists_the_sections(rendered: tuple[bytes, list[str], Path]) -> None:
    _, pages, _ = rendered
    first = squash(pages[0])
    assert "Review: Customer service, June 2026" in first
    assert "Clienti 2026 · business function · Q2 2026 vs Q1 2026" in first
    contents = first[first.index("Contents"):]
    for heading in ("Cross-functional summary", "Decisions of the last meeting", "Billing", squash(HOSTILE),
                    "Provenance"):
        assert heading in contents
    # each entry with its page number (dots between)
    billing_page = next(i for i, p in enumerate(pages, start=1) if p.lstrip().startswith("Billing\n"))
    assert billing_page > 1
    assert re.search(rf"Billing[ .]+\u2060?{billing_page}\b", contents)


def test_hostile_text_is_literal(rendered: tuple[bytes, list[str], Path]) -> None:
    pdf, pages, tmp = rendered
    text = squash("\n".join(pages))
    # the contents, the summary table, the breakdown table, a theme, a verbatim, an action, a decision, the hidden
    # heading (reading order: a table cell's wrapped lines stay together)
    raw = bare("\n".join(pdf_pages(pdf, tmp, layout=False)))
    assert raw.count(bare(HOSTILE)) >= 8
    for piece in ("*bold*", "#set", "$x$", "<b>tag</b>", "[click](http://evil)", "=SUM(A1)", "@mention", '\\ " \''):
        assert piece in text


def test_hidden_section_shows_no_numbers(rendered: tuple[bytes, list[str], Path]) -> None:
    _, pages, _ = rendered
    page = next(p for p in pages if typeset.HIDDEN_TEXT in squash(p))
    footer = squash(sample_pack().provenance.footer())
    rest = squash(PAGE_NUMBER.sub(" ", page)).replace(footer, "").replace(squash(HOSTILE), "")
    assert squash(typeset.HIDDEN_TEXT) in rest
    assert not re.search(r"\d", rest), rest


def test_decisions(rendered: tuple[bytes, list[str], Path]) -> None:
    _, pages, _ = rendered
    text = squash("\n".join(pages))
    assert "Decisions of the last meeting" in text
    assert "2026-06-02 Decision Call back every B2B detractor within 24 h ceo@example.com" in text
    assert squash(f"2026-06-02 Note {HOSTILE} anna@example.com") in text


def test_provenance_section(rendered: tuple[bytes, list[str], Path]) -> None:
    _, pages, _ = rendered
    last = squash(pages[-1])
    assert last.startswith("Provenance")
    for line in sample_pack().provenance.lines():
        assert bare(line) in bare(last)


def test_an_aware_generation_time_is_dated_in_utc(tmp_path: Path) -> None:
    rome = dt.timezone(dt.timedelta(hours=2))
    pack = sample_pack()
    pack = dataclasses.replace(pack, provenance=dataclasses.replace(
        pack.provenance, generated_at=dt.datetime(2026, 7, 1, 10, 30, tzinfo=rome)))
    data, _ = typeset.document(pack)
    assert data["date"] == [2026, 7, 1, 8, 30, 0]
    path = tmp_path / "aware.pdf"
    path.write_bytes(typeset.render_pdf(pack, draw=stub_draw))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    assert "CreationDate:    Wed Jul  1 08:30:00 2026 UTC" in info


def test_same_pack_same_pdf() -> None:
    assert typeset.render_pdf(sample_pack(), draw=stub_draw) == typeset.render_pdf(sample_pack(), draw=stub_draw)


def test_one_chart_batch_and_generated_names() -> None:
    calls: list[int] = []

    def counting(specs: list[dict], fmt: str) -> list[bytes]:
        calls.append(len(specs))
        return stub_draw(specs, fmt)

    typeset.render_pdf(sample_pack(), draw=counting)
    data, specs = typeset.document(sample_pack())
    # summary chart, summary trend and distribution; Billing's trend, distribution, breakdown, movement
    assert calls == [len(specs)] == [7]
    files = [b["file"] for b in data["blocks"] if b["t"] == "image"]
    assert files == [f"chart-{i}.svg" for i in range(1, 8)]
    assert all(spec["config"]["font"] == "Libertinus Serif" for spec in specs)


def test_no_user_text_in_the_source() -> None:
    """The Typst source is a constant: the pack reaches it only as pack.json."""
    assert "json(\"pack.json\")" in typeset.TEMPLATE
    assert HOSTILE not in typeset.TEMPLATE and "Billing" not in typeset.TEMPLATE


def bare_section(title: str) -> Section:
    """A section with numbers but nothing else: no change, trend, comments, follow-up or actions."""
    return Section(title=title, value=title,
                   figure=Figure(n=3, nps=None, ci_low=None, ci_high=None, promoters=None, passives=None,
                                 detractors=None, low_n=True),
                   change=None, target=None, gap=None,
                   trend=(TrendPoint("2026-05", 2, None, None, None, True), TrendPoint("2026-06", 1, 100.0, None, None,
                                                                                       True)),
                   distribution=(0,) * 10 + (1,))


def test_empty_parts_are_short_lines(tmp_path: Path) -> None:
    pack = dataclasses.replace(sample_pack(), sections=(bare_section("Logistica è così"),), decisions=(), notes=())
    pages = pdf_pages(typeset.render_pdf(pack), tmp_path)  # the real renderer: None numbers in the charts
    text = squash("\n".join(pages))
    assert "No decisions recorded at the last meeting." in text
    assert "No comparison period." in text
    assert text.count("No comments.") == 4  # themes and verbatims, of detractors and promoters
    assert "No follow-up data for this section." in text
    assert "No open actions." in text
    assert "Logistica è così" in text
    assert in_order(text, "NPS", "Change vs previous period", "Target", "—", "—", "none", "no interval",
                    "No comparison period.", "no target set")
    assert re.search(r"no target set\s+n ?3\s+fewer responses", text)  # pdftotext may drop the narrow space


def test_no_sections(tmp_path: Path) -> None:
    pack = dataclasses.replace(sample_pack(), sections=())
    data, specs = typeset.document(pack)
    assert len(specs) == 2  # the summary's trend and distribution; no chart by function
    text = squash("\n".join(pdf_pages(typeset.render_pdf(pack, draw=stub_draw), tmp_path)))
    assert "No sections: the pack covers the whole selection." in text
    assert "Business function NPS" not in text


def test_no_section_with_a_number(tmp_path: Path) -> None:
    pack = dataclasses.replace(sample_pack(), sections=(hidden(),))
    text = squash("\n".join(pdf_pages(typeset.render_pdf(pack, draw=stub_draw), tmp_path)))
    assert "No section has an NPS to show." in text
    assert squash(f"{HOSTILE} hidden — — — — —") in text


def test_a_long_word_breaks_instead_of_running_off(tmp_path: Path) -> None:
    """Typst breaks lines at spaces only: a word wider than its column is broken between characters (each then
    followed by a zero-width space in the text), never cut at the page's edge nor run over the next column."""
    def text_with(word: str) -> str:
        section = dataclasses.replace(billing(), title=word,
                                      detractor_themes=(Theme(word, 0.1, 3, 1.0, 0.0, 2.0, False),))
        pack = dataclasses.replace(sample_pack(), sections=(section,))
        return "\n".join(pdf_pages(typeset.render_pdf(pack, draw=stub_draw), tmp_path, layout=False))

    long = "x" * 70 + "/" + "y" * 70 + "@example.com"
    text, short = text_with(long), text_with("Mail")
    # the contents and the heading have the whole word; every character of it is in the text, four times (the
    # contents, the summary table, the heading, the theme): nothing is cut at the page's edge
    assert bare(text).count(long) >= 2
    assert text.count("x") - short.count("x") == 4 * long.count("x")
    assert text.count("y") - short.count("y") == 4 * long.count("y")
    # short words stay whole: no zero-width space inside them
    assert "Third wrong invoice this year" in text and "\u200b" not in short


def test_the_breakdowns_note_joins_the_markers_legend() -> None:
    section = billing()
    noted = dataclasses.replace(section, breakdown=dataclasses.replace(
        section.breakdown, note="▲ / ▼: Holm control of the family-wise error rate at 5% across 3 tests."))
    data, _ = typeset.document(dataclasses.replace(sample_pack(), sections=(noted,)))
    legends = [b["text"] for b in data["blocks"] if b["t"] == "p" and b["text"].startswith("▲ / ▼")]
    assert legends == ["▲ / ▼: significantly above / below the rest of the section. Holm control of the family-wise "
                       "error rate at 5% across 3 tests."]


# --- any numbers, any text ----------------------------------------------------------------------

# Typst's markup and code characters, Markdown's and HTML's, accents, the pack's own marks.
LITERAL = st.text(alphabet=st.sampled_from(list("abcXYZ019 #$*_`<>@=[]\\/~'\"-+.,:;(){}%&|^!?") +
                                          ["à", "è", "é", "ù", "ç", "É", "«", "»", "▲", "▼", "●", "−", "–", "€"]),
                  min_size=1, max_size=30).filter(lambda s: s.strip() != "")
NUMBER = st.one_of(st.none(), st.floats(min_value=-100, max_value=100, allow_nan=False))
SHARE = st.one_of(st.none(), st.floats(min_value=0, max_value=1, allow_nan=False))


@st.composite
def random_pack(draw: st.DrawFn) -> tuple[Pack, list[str]]:
    """A pack whose section has random numbers (or None) and random text in each place user text goes."""
    texts = [draw(LITERAL) for _ in range(7)]
    figure = Figure(n=draw(st.integers(0, 10**6)), nps=draw(NUMBER), ci_low=draw(NUMBER), ci_high=draw(NUMBER),
                    promoters=draw(SHARE), passives=draw(SHARE), detractors=draw(SHARE), low_n=draw(st.booleans()),
                    suppressed=False)
    change = draw(st.one_of(st.none(), st.builds(Change, previous_n=st.integers(0, 10**6), previous_nps=NUMBER,
                                                 diff=NUMBER, ci_low=NUMBER, ci_high=NUMBER, p=SHARE, p_adjusted=SHARE,
                                                 significant=st.booleans())))
    section = dataclasses.replace(
        billing(), title=texts[0], value=texts[0], figure=figure, change=change, target=draw(NUMBER),
        gap=draw(NUMBER),
        breakdown=Breakdown("segment", "Segment", (Bar(texts[1], draw(st.integers(0, 999)), draw(NUMBER), draw(NUMBER),
                                                       draw(NUMBER), draw(st.sampled_from(["", "▲", "▼"]))),)),
        movement=Movement("Segment", *(draw(st.floats(-50, 50)) for _ in range(4)), sentence=texts[2],
                          segments=((texts[1], draw(st.floats(-50, 50))),)),
        detractor_themes=(Theme(texts[3], draw(st.floats(0, 1)), draw(st.integers(0, 999)), draw(NUMBER), draw(NUMBER),
                                draw(NUMBER), draw(st.booleans())),),
        detractor_quotes=(Quote(draw(st.integers(0, 10)), texts[4]),),
        actions=(ActionLine(1, texts[5], texts[6], "2026-07-01", "planned", draw(st.booleans()),
                            nps_before=draw(NUMBER), n_before=draw(st.integers(0, 999))),),
        notes=(texts[2],))
    pack = dataclasses.replace(sample_pack(), sections=(section, hidden()),
                               decisions=(Decision("decision", texts[6], texts[5], dt.date(2026, 6, 2)),))
    return pack, texts


@given(random_pack())
def test_any_pack_renders_its_text_literally(tmp_path_factory: pytest.TempPathFactory,
                                             case: tuple[Pack, list[str]]) -> None:
    pack, texts = case
    pdf = typeset.render_pdf(pack, draw=stub_draw)
    text = bare("\n".join(pdf_pages(pdf, tmp_path_factory.mktemp("any"), layout=False)))
    for value in texts:
        assert bare(value) in text, value


def test_the_themes_that_moved_are_a_table(rendered: tuple[bytes, list[str], Path]) -> None:
    text = squash(" ".join(rendered[1]))
    assert "Detractors' themes that moved" in text
    assert "Billing errors 25.0% (n 140) 41.0% (n 156) +16.0 +5.5 to +26.5 ●" in text


# --- how far to trust these numbers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def trusted(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[str], Path]:
    """The fixture pack with caveats, charts stubbed: the PDF, its pages' text, its folder."""
    tmp = tmp_path_factory.mktemp("trust")
    pdf = typeset.render_pdf(trusting_pack(), draw=stub_draw)
    return pdf, pdf_pages(pdf, tmp), tmp


def test_the_trust_page_lists_each_caveat_then_the_checks(trusted: tuple[bytes, list[str], Path]) -> None:
    pdf, pages, tmp = trusted
    [page] = [p for p in pages if p.lstrip().startswith(typeset.TRUST_HEADING)]
    raw = squash(pdf_pages(pdf, tmp, layout=False)[pages.index(page)])
    assert in_order(raw, typeset.TRUST_HEADING,
                    "Warning · Survey types pooled", squash(CAVEATS[0].sentence),
                    "Warning · Spike of 10s: business_function Billing", squash(CAVEATS[1].sentence))
    assert bare(f"Warning · Comments asking for a 10: store {HOSTILE}") in bare(raw)
    assert bare(CAVEATS[2].sentence) in bare(raw)
    assert in_order(raw, "Note · This view mixes language values", squash(CAVEATS[3].sentence),
                    "Checked: survey types pooled (survey_type); scale use across language values; signs of gaming "
                    "by business_function (spikes of 10s, too little variance, comments asking for a 10).",
                    "Not checked: response rate (no invitation counts given); sample vs population (no population "
                    "table given).")
    # after the summary, before the decisions, and in the contents
    summary = next(i for i, p in enumerate(pages) if p.lstrip().startswith(typeset.SUMMARY_HEADING))
    assert summary < pages.index(page)
    assert in_order(raw, "table given).", typeset.DECISIONS_HEADING)
    assert typeset.TRUST_HEADING in squash(pages[0])


def test_the_hostile_caveat_is_literal_in_the_pdf(trusted: tuple[bytes, list[str], Path]) -> None:
    _, pages, _ = trusted
    text = squash("\n".join(pages))
    for piece in ("*bold*", "#set", "$x$", "<b>tag</b>", "[click](http://evil)", "=SUM(A1)", "@mention"):
        assert f"store {piece}" in text or piece in text
    assert HOSTILE not in typeset.TEMPLATE
    data, _ = typeset.document(trusting_pack())
    blocks = [b for b in data["blocks"] if b["t"] == "caveat"]
    assert blocks[2] == {"t": "caveat", "severity": "warn", "label": "Warning",
                         "title": f"Comments asking for a 10: store {HOSTILE}", "text": CAVEATS[2].sentence}


def test_the_section_of_a_gamed_function_says_so(trusted: tuple[bytes, list[str], Path]) -> None:
    _, pages, _ = trusted
    billing_page = next(p for p in pages if p.lstrip().startswith("Billing\n"))
    assert in_order(squash(billing_page), typeset.SECTION_TRUST_HEADING,
                    "Warning · Spike of 10s: business_function Billing")


def test_without_caveats_the_page_says_what_was_checked(tmp_path: Path) -> None:
    pack = dataclasses.replace(sample_pack(), checked=("survey types pooled (survey_type)", "survey fatigue (90 days)"),
                               not_checked=("response rate (no invitation counts given)",))
    pages = pdf_pages(typeset.render_pdf(pack, draw=stub_draw), tmp_path)
    [page] = [p for p in pages if p.lstrip().startswith(typeset.TRUST_HEADING)]
    assert in_order(squash(page), typeset.TRUST_HEADING,
                    "No caveat found. Checked, and nothing to warn about: survey types pooled (survey_type); survey "
                    "fatigue (90 days).", "Not checked: response rate (no invitation counts given).")
    assert "Warning" not in page and typeset.SECTION_TRUST_HEADING not in squash("\n".join(pages))
