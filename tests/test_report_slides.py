"""The PowerPoint review pack (nps.report.slides): the deck opened with python-pptx and read back literally —
slides and titles, the native charts' types and series values, tables, the movement image, the provenance footer
on every slide, hostile text as it was written, the hidden section without numbers, the organisation's template."""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches

from nps.charts import render
from nps.report import slides
from nps.report.model import Figure, Pack, Quote, Theme, TrendPoint
from nps.report.slides import NO_COMMENTS, NO_COMPARISON, NO_DECISIONS, PROVENANCE_NAME, render_pptx
from tests.report_fixtures import CAVEATS, HOSTILE, billing, hidden, sample_pack, trusting_pack

PACK = sample_pack()
FOOTER = PACK.provenance.footer()


def _open(data: bytes) -> Any:
    return Presentation(io.BytesIO(data))


@pytest.fixture(scope="module")
def deck() -> Any:
    return _open(render_pptx(PACK))


def _title(slide: Any) -> str:
    if slide.shapes.title is not None:
        return str(slide.shapes.title.text)
    return next(str(s.text_frame.text) for s in slide.shapes if s.name == slides.TITLE_NAME)


def _titles(prs: Any) -> list[str]:
    return [_title(s) for s in prs.slides]


def _slide(prs: Any, title: str) -> Any:
    return next(s for s in prs.slides if _title(s) == title)


def _texts(slide: Any, *, footer: bool = False) -> list[str]:
    """Every paragraph of the slide's text boxes and table cells but the title (the footer only when asked)."""
    out: list[str] = []
    title = slide.shapes.title
    for shape in slide.shapes:
        if (shape.name == PROVENANCE_NAME and not footer) or (title is not None and shape.shape_id == title.shape_id):
            continue
        if shape.has_text_frame:
            out += [p.text for p in shape.text_frame.paragraphs]
        if shape.has_table:
            out += [cell.text for row in shape.table.rows for cell in row.cells]
    return out


def _charts(slide: Any) -> list[Any]:
    return [shape.chart for shape in slide.shapes if shape.has_chart]


def _series(chart: Any) -> list[tuple[str, tuple[Any, ...]]]:
    return [(s.name, tuple(s.values)) for s in chart.plots[0].series]


def _table(slide: Any, index: int = 0) -> list[list[str]]:
    tables = [shape.table for shape in slide.shapes if shape.has_table]
    return [[cell.text for cell in row.cells] for row in tables[index].rows]


def _notes(slide: Any) -> str:
    return str(slide.notes_slide.notes_text_frame.text) if slide.has_notes_slide else ""


# --- the slides -------------------------------------------------------------------------------------------


def test_the_slides_and_their_titles(deck: Any) -> None:
    assert _titles(deck) == [
        "Review: Customer service, June 2026", "Summary: All functions", "Every business function", "All functions",
        "How far to trust these numbers", "Decisions and notes of the last meeting", "Billing", "Billing: what is behind it", "Billing: follow-up",
        f"{HOSTILE}: hidden", "Provenance",
    ]
    assert (deck.slide_width, deck.slide_height) == (Inches(13.333), Inches(7.5))


def test_every_slide_carries_the_provenance_footer(deck: Any) -> None:
    for slide in deck.slides:
        footers = [s for s in slide.shapes if s.name == PROVENANCE_NAME]
        assert [f.text_frame.text for f in footers] == [FOOTER], _title(slide)
        assert footers[0].top + footers[0].height <= deck.slide_height


def test_the_title_slide_has_the_subtitle(deck: Any) -> None:
    assert "Clienti 2026 · business function · Q2 2026 vs Q1 2026" in _texts(deck.slides[0])


def test_the_summary_has_the_figures_and_a_native_bar_chart_of_the_shown_sections(deck: Any) -> None:
    slide = _slide(deck, "Summary: All functions")
    texts = _texts(slide)
    for line in ("+4.2", "NPS, 95% CI +0.3 to +8.1", "n 1,500",
                 "Change vs previous: −1.8 (noise); previous +6.0 (n 1,450)", "Target +10.0 · gap −5.8",
                 "Changes: 2 tests, Holm-controlled at 95%.", "One function is hidden by the anonymity rule.",
                 "Not shown: 1 hidden by the anonymity rule."):
        assert line in texts
    [chart] = _charts(slide)
    assert chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    assert list(chart.plots[0].categories) == ["Billing"]
    assert _series(chart) == [("NPS", (-12.4,))]
    assert chart.chart_title.text_frame.text == "NPS by business function"


def test_the_table_of_sections_has_every_section_and_the_hidden_one_without_numbers(deck: Any) -> None:
    slide = _slide(deck, "Every business function")
    assert _table(slide) == [
        ["Business function", "NPS", "95% interval", "n", "Change", "Target", "Gap"],
        ["Billing", "−12.4", "−19.8 to −4.9", "412", "−10.4 ●", "0.0", "−12.4"],
        [HOSTILE, "hidden", "anonymity rule", "", "", "", ""],
    ]
    assert "● significant change vs the previous period. Changes: 2 tests, Holm-controlled at 95%." in _texts(slide)


def test_the_interval_column_names_the_level() -> None:
    pack = dataclasses.replace(PACK, level=0.9)
    slide = _slide(_open(render_pptx(pack)), "Every business function")
    assert _table(slide)[0][2] == "90% interval"


def test_the_scorecard_has_the_figures_a_native_trend_and_distribution(deck: Any) -> None:
    slide = _slide(deck, "Billing")
    texts = _texts(slide)
    for line in ("−12.4", "NPS, 95% CI −19.8 to −4.9", "n 412",
                 "Change vs previous: −10.4 (significant); previous −2.0 (n 398)", "Change 95% CI −20.9 to +0.1",
                 "Target 0.0 · gap −12.4", "Promoters 26.2% · Passives 35.2% · Detractors 38.6%",
                 "June has fewer than 30 responses: read with care."):
        assert line in texts
    trend, distribution = _charts(slide)
    assert trend.chart_type in (XL_CHART_TYPE.LINE, XL_CHART_TYPE.LINE_MARKERS)
    assert list(trend.plots[0].categories) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert _series(trend) == [
        ("NPS", (-1.5, -3.0, -1.6, -10.0, -14.7, -11.5)),
        ("95% interval, low", (-14.0, -15.2, -14.3, -21.5, -26.6, -38.0)),
        ("95% interval, high", (11.0, 9.4, 11.2, 1.6, -2.7, 15.0)),
    ]
    assert distribution.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED
    assert list(distribution.plots[0].categories) == [str(s) for s in range(11)]
    assert _series(distribution) == [("Responses", (10, 8, 12, 15, 20, 40, 54, 70, 75, 60, 48))]
    colours = [str(distribution.plots[0].series[0].points[i].format.fill.fore_color.rgb) for i in range(11)]
    assert colours == ["D7301F"] * 7 + ["BDBDBD"] * 2 + ["0F7C8C"] * 2


def test_the_summary_scorecard_has_its_quarters(deck: Any) -> None:
    trend, distribution = _charts(_slide(deck, "All functions"))
    assert _series(trend)[0] == ("NPS", (6.0, 4.2))
    assert _series(distribution) == [("Responses", (40, 30, 35, 50, 60, 100, 147, 250, 263, 280, 245))]


def test_what_is_behind_it_has_the_breakdown_the_movement_image_themes_and_verbatims(deck: Any) -> None:
    slide = _slide(deck, "Billing: what is behind it")
    [chart] = _charts(slide)
    assert chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    assert _series(chart) == [("NPS", (-20.0, 1.3, 8.3))]
    categories = list(chart.plots[0].categories)
    assert categories[:2] == ["B2C ▼", "B2B ▲"]
    assert categories[2] == "[click](http://evil) *bold* #se… (low n)"
    assert HOSTILE in _notes(slide).splitlines()  # shortened in the label: in full in the notes
    [picture] = [s for s in slide.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
    assert picture.image.blob.startswith(b"\x89PNG") and picture.image.content_type == "image/png"
    texts = _texts(slide)
    assert ("NPS fell 10.4 points: −8.1 within segments, −2.6 from the mix of segments, +0.3 interaction."
            in texts)
    assert "▲ / ▼ significantly above / below the rest." in texts
    assert "● significant impact, after multiplicity control across the themes." in texts
    assert "Detractors say" in texts and "Promoters say" in texts
    assert "Billing errors: 41.0% of comments (64), impact −31.2 (95% CI −40.5 to −21.9) ●" in texts
    assert f"{HOSTILE}: 12.0% of comments (19), impact −5.0 (95% CI −18.0 to +8.0)" in texts
    assert "Friendly staff: 33.0% of comments (35), impact +22.0 (95% CI +12.1 to +31.9) ●" in texts
    assert "2: “Third wrong invoice this year, call me at ***”" in texts
    assert f"0: “{HOSTILE}”" in texts
    assert "10: “Rapidi e gentili, grazie!”" in texts


def test_the_follow_up_slide_has_kpis_overdue_cases_and_actions(deck: Any) -> None:
    slide = _slide(deck, "Billing: follow-up")
    texts = _texts(slide)
    for line in ("Detractors 159 · cases opened 150", "Contacted in time: 82.0%", "Median first contact: 20.5 h",
                 "Overdue 4 · escalations 2", "Recovery rate 31.0% (not contacted: 18.0%)",
                 "June has fewer than 30 responses: read with care."):
        assert line in texts
    cases, actions = _table(slide, 0), _table(slide, 1)
    assert cases == [["Case", "Owner", "Due", "Priority"], ["101", "anna@example.com", "2026-06-28", "high"],
                     ["117", "unassigned", "2026-06-29", "normal"]]
    assert actions == [
        ["Action", "Owner", "Due", "Status", "NPS before", "NPS since", "Verdict"],
        ["Fix the invoice template", "luca@example.com", "2026-07-31", "in progress", "−2.0 (n 120)", "−9.0 (n 110)",
         "NPS moved from −2.0 (n 120) to −9.0 (n 110): within the noise (p = 0.41)"],
        [HOSTILE, "unassigned", "2026-06-01", "planned, overdue", "—", "—", "—"],
    ]


def test_a_breakdown_note_says_how_its_markers_were_tested() -> None:
    section = billing()
    note = "▲ / ▼: Benjamini–Hochberg control of the false discovery rate at 5% across 3 tests."
    section = dataclasses.replace(section, breakdown=dataclasses.replace(section.breakdown, note=note), movement=None)
    texts = _texts(_slide(_open(render_pptx(dataclasses.replace(PACK, sections=(section,)))),
                          "Billing: what is behind it"))
    assert note in texts and "▲ / ▼ significantly above / below the rest." not in texts


def test_a_hidden_summary_shows_no_number() -> None:
    summary = dataclasses.replace(PACK.summary, figure=hidden().figure, change=None, target=None, gap=None, trend=(),
                                  distribution=())
    prs = _open(render_pptx(dataclasses.replace(PACK, summary=summary, sections=(), notes=())))
    assert _titles(prs)[2] == "All functions: hidden"
    first = _texts(_slide(prs, "Summary: All functions"))
    assert first[0] == slides.HIDDEN_TEXT
    assert re.search(r"\d+\.\d|%|\bn \d", "\n".join(first[:1])) is None


def test_the_hidden_section_has_one_slide_and_no_numbers(deck: Any) -> None:
    titles = _titles(deck)
    assert [t for t in titles if t.startswith(HOSTILE)] == [f"{HOSTILE}: hidden"]
    slide = _slide(deck, f"{HOSTILE}: hidden")
    assert _charts(slide) == [] and not any(s.has_table or s.shape_type == 13 for s in slide.shapes)
    text = "\n".join(_texts(slide))
    assert slides.HIDDEN_TEXT in text
    assert "Hidden: fewer than 5 respondents (the anonymity rule)." in text
    assert re.search(r"\d+\.\d|%|\bn \d|NPS", text.replace(HOSTILE, "")) is None


def test_the_decisions_of_the_last_meeting_appear_as_written(deck: Any) -> None:
    texts = _texts(_slide(deck, "Decisions and notes of the last meeting"))
    assert texts == ["2 Jun 2026 · decision · ceo@example.com: Call back every B2B detractor within 24 h",
                     f"2 Jun 2026 · note · anna@example.com: {HOSTILE}"]


def test_the_last_slide_lists_the_full_provenance(deck: Any) -> None:
    last = deck.slides[-1]
    assert _title(last) == "Provenance"
    assert _texts(last) == PACK.provenance.lines()
    assert f"Source file: clienti_q1.csv, sha256 {'a' * 64}" in _texts(last)


def test_the_deck_is_the_same_for_the_same_pack() -> None:
    first = render_pptx(PACK)
    assert render_pptx(PACK) == first
    props = _open(first).core_properties
    assert props.title == PACK.title
    assert props.created == PACK.provenance.generated_at


def test_an_empty_pack_works() -> None:
    pack = dataclasses.replace(PACK, sections=(), decisions=(), notes=())
    prs = _open(render_pptx(pack))
    assert _titles(prs) == ["Review: Customer service, June 2026", "Summary: All functions", "All functions",
                            "How far to trust these numbers", "Decisions and notes of the last meeting", "Provenance"]
    assert NO_DECISIONS in _texts(_slide(prs, "Decisions and notes of the last meeting"))
    assert "No sections: the pack is not split by business function." in _texts(_slide(prs, "Summary: All functions"))
    for slide in prs.slides:
        assert [s.text_frame.text for s in slide.shapes if s.name == PROVENANCE_NAME] == [FOOTER]


def test_empty_parts_are_said_in_a_line_not_drawn() -> None:
    bare = dataclasses.replace(billing(), trend=(), distribution=(), breakdown=None, movement=None, change=None,
                               detractor_themes=(), promoter_themes=(), moved_themes=(), detractor_quotes=(), promoter_quotes=(),
                               followup=None, actions=(), notes=())
    prs = _open(render_pptx(dataclasses.replace(PACK, sections=(bare,))))
    scorecard = _texts(_slide(prs, "Billing"))
    assert NO_COMPARISON in scorecard and "No trend for this period." in scorecard and "No scores." in scorecard
    assert _charts(_slide(prs, "Billing")) == []
    behind = _slide(prs, "Billing: what is behind it")
    assert _texts(behind) == ["No breakdown.", NO_COMPARISON, NO_COMMENTS]
    assert _charts(behind) == []
    assert _texts(_slide(prs, "Billing: follow-up")) == ["No follow-up data for this section.", "Open actions",
                                                         "No open actions."]


def test_long_text_is_shortened_with_an_ellipsis_and_kept_whole_in_the_notes() -> None:
    long_title = "Customer care " * 20
    long_quote = "word " * 1200
    section = dataclasses.replace(billing(), title=long_title.strip(), detractor_quotes=(Quote(1, long_quote),))
    prs = _open(render_pptx(dataclasses.replace(PACK, sections=(section,))))
    scorecard = prs.slides[6]
    assert _title(scorecard).endswith("…") and len(_title(scorecard)) == 110
    assert long_title.strip() in _notes(scorecard).splitlines()
    behind = prs.slides[7]
    [quote] = [t for t in _texts(behind) if t.startswith("1: ")]
    assert quote.endswith("…”") and len(quote) == len("1: “”") + slides.QUOTE_LIMIT
    assert any(long_quote.strip() in line for line in _notes(behind).splitlines())


def test_control_characters_are_replaced_never_written() -> None:
    name = "Bad\x1b[31mname\x00 \x07here"
    section = dataclasses.replace(billing(), title=name, detractor_themes=(Theme(name, 0.5, 3, None, None, None, False),))
    data = render_pptx(dataclasses.replace(PACK, sections=(section,)))
    prs = _open(data)
    assert _title(prs.slides[6]) == "Bad\ufffd[31mname\ufffd \ufffdhere"
    for slide in prs.slides:
        for text in _texts(slide, footer=True):
            assert re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text) is None
            assert "_x001B_" not in text


def test_chart_labels_stay_text_in_the_embedded_workbook() -> None:
    section = dataclasses.replace(billing(), title="=HYPERLINK(\"http://evil\")")
    prs = _open(render_pptx(dataclasses.replace(PACK, sections=(section,))))
    [chart] = _charts(_slide(prs, "Summary: All functions"))
    workbook = chart.part.chart_workbook.xlsx_part.blob
    import openpyxl
    sheet = openpyxl.load_workbook(io.BytesIO(workbook)).active
    assert sheet["A2"].value == "=HYPERLINK(\"http://evil\")"
    assert sheet["A2"].data_type == "s"


def test_twelve_sections_draw_their_images_in_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def counting(specs: Any, fmt: str, **kwargs: Any) -> list[bytes]:
        calls.append(len(specs))
        return render.render_specs(specs, fmt, **kwargs)

    monkeypatch.setattr(slides, "render_specs", counting)
    sections = tuple(dataclasses.replace(billing(), title=f"Function {i}", value=f"Function {i}") for i in range(12))
    prs = _open(render_pptx(dataclasses.replace(PACK, sections=sections)))
    assert calls == [12]
    assert len(prs.slides) == 6 + 3 * 12 + 1
    pictures = [s for slide in prs.slides for s in slide.shapes if s.shape_type == 13]
    assert len(pictures) == 12


def test_a_long_list_of_sections_pages_the_table() -> None:
    sections = tuple(dataclasses.replace(hidden(), title=f"Team {i}") for i in range(20))
    prs = _open(render_pptx(dataclasses.replace(PACK, sections=sections)))
    titles = _titles(prs)
    assert titles[2:4] == ["Every business function (1 of 2)", "Every business function (2 of 2)"]
    assert [len(_table(prs.slides[i])) for i in (2, 3)] == [13, 9]


# --- the organisation's template --------------------------------------------------------------------------


def _template(*, rename: bool) -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(10), Inches(5.625)
    if rename:
        for index, layout in enumerate(prs.slide_layouts):
            layout.name = f"Corporate {index}"
    prs.slides.add_slide(prs.slide_layouts[1]).shapes.title.text = "Old content that must go"
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def test_the_template_gives_its_size_and_layouts_by_name(tmp_path: Path) -> None:
    path = tmp_path / "brand.pptx"
    path.write_bytes(_template(rename=False))
    quick = dataclasses.replace(PACK, sections=(dataclasses.replace(billing(), movement=None), hidden()))
    for pack, template in ((PACK, path), (quick, str(path)), (quick, path.read_bytes())):
        prs = _open(render_pptx(pack, template=template))
        assert (prs.slide_width, prs.slide_height) == (Inches(10), Inches(5.625))
        assert "Old content that must go" not in _titles(prs)
        assert _titles(prs)[0] == PACK.title
        assert [s.slide_layout.name for s in prs.slides][:3] == ["Title Slide", "Title Only", "Title Only"]
        for slide in prs.slides:
            [footer] = [s for s in slide.shapes if s.name == PROVENANCE_NAME]
            assert footer.text_frame.text == FOOTER
            for shape in [s for s in slide.shapes if not s.is_placeholder]:  # on the slide (placeholders: the layout's)
                assert shape.left >= 0 and shape.left + shape.width <= prs.slide_width, (_title(slide), shape.name)
                assert shape.top >= 0 and shape.top + shape.height <= prs.slide_height, (_title(slide), shape.name)


def test_a_template_with_other_layout_names_is_used_by_its_placeholders() -> None:
    prs = _open(render_pptx(PACK, template=_template(rename=True)))
    names = [s.slide_layout.name for s in prs.slides]
    assert names[0] == "Corporate 0"  # the one with a centred title
    assert set(names[1:]) == {"Corporate 5"}  # a title and nothing else: "Title Only"
    assert len(prs.slides) == 11 and _titles(prs)[-1] == "Provenance"


# --- never fails, always footed ---------------------------------------------------------------------------

_number = st.one_of(st.none(), st.floats(min_value=-100, max_value=100, allow_nan=False))
_share = st.one_of(st.none(), st.floats(min_value=0, max_value=1, allow_nan=False))
_figure = st.builds(Figure, n=st.integers(0, 10**6), nps=_number, ci_low=_number, ci_high=_number,
                    promoters=_share, passives=_share, detractors=_share, low_n=st.booleans(),
                    suppressed=st.booleans())
_point = st.builds(TrendPoint, period=st.sampled_from(["2026-01", "2026-02", "2026-Q3", "2026"]),
                   n=st.integers(0, 1000), nps=_number, ci_low=_number, ci_high=_number, low_n=st.booleans())


@given(figures=st.lists(_figure, max_size=4), summary=_figure, trend=st.lists(_point, max_size=5),
       distribution=st.one_of(st.just(()), st.tuples(*[st.integers(0, 500)] * 11)),
       target=_number, text=st.text(max_size=30))
def test_any_figures_render_and_every_slide_keeps_its_footer(figures: list[Figure], summary: Figure,
                                                            trend: list[TrendPoint], distribution: tuple[int, ...],
                                                            target: float | None, text: str) -> None:
    sections = tuple(dataclasses.replace(billing(), title=f"{text} {i}", figure=f, trend=tuple(trend),
                                         distribution=distribution, target=target, movement=None)
                     for i, f in enumerate(figures))
    pack: Pack = dataclasses.replace(PACK, summary=dataclasses.replace(PACK.summary, figure=summary), sections=sections)
    prs = _open(render_pptx(pack))
    assert _titles(prs)[-1] == "Provenance"
    for slide in prs.slides:
        assert [s.text_frame.text for s in slide.shapes if s.name == PROVENANCE_NAME] == [FOOTER]
    shown = [f.nps for f in figures if not f.suppressed and f.nps is not None]
    charts = _charts(_slide(prs, "Summary: All functions"))
    assert [_series(c)[0][1] for c in charts] == ([tuple(shown)] if shown else [])


def test_when_the_images_cannot_be_drawn_the_deck_says_so_in_their_place(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(specs: Any, fmt: str, **kwargs: Any) -> list[bytes]:
        raise render.ChartRenderError("the renderer crashed (SIGABRT)")

    monkeypatch.setattr(slides, "render_specs", failing)
    slide = _slide(_open(render_pptx(PACK)), "Billing: what is behind it")
    assert not any(s.shape_type == 13 for s in slide.shapes)
    assert ("The chart could not be drawn (the renderer crashed (SIGABRT)); its numbers are in the sentence below."
            in _texts(slide))


def test_rows_that_do_not_fit_go_to_the_notes_and_the_slide_says_so() -> None:
    actions = tuple(dataclasses.replace(billing().actions[0], id=i, title=f"Action number {i}") for i in range(30))
    section = dataclasses.replace(billing(), actions=actions, movement=None)
    slide = _slide(_open(render_pptx(dataclasses.replace(PACK, sections=(section,)))), "Billing: follow-up")
    shown = _table(slide, 1)[1:]
    assert 0 < len(shown) < 30
    assert [row[0] for row in shown] == [f"Action number {i}" for i in range(len(shown))]
    assert f"… {30 - len(shown)} more rows in the notes of this slide" in _texts(slide)
    notes = _notes(slide).splitlines()
    for i in range(len(shown), 30):
        assert any(line.startswith(f"Action number {i} · luca@example.com") for line in notes)


def test_the_themes_that_moved_are_listed_with_their_change() -> None:
    behind = _texts(_slide(_open(render_pptx(PACK)), "Billing: what is behind it"))
    assert "Detractors' themes that moved" in behind
    assert "Billing errors: 25.0% → 41.0% of their comments, +16.0 pts (95% CI +5.5 to +26.5) ●" in behind


# --- how far to trust these numbers ----------------------------------------------------------------------


def _runs(slide: Any) -> list[str]:
    return [run.text for shape in slide.shapes if shape.has_text_frame and shape.name != PROVENANCE_NAME
            for paragraph in shape.text_frame.paragraphs for run in paragraph.runs]


def test_the_trust_slide_lists_each_caveat_warnings_first_then_the_checks() -> None:
    prs = _open(render_pptx(trusting_pack()))
    slide = _slide(prs, slides.TRUST_TITLE)
    assert _titles(prs).index(slides.TRUST_TITLE) == _titles(prs).index("All functions") + 1  # after the summary
    assert _texts(slide) == [
        "Warning · Survey types pooled", CAVEATS[0].sentence,
        "Warning · Spike of 10s: business_function Billing", CAVEATS[1].sentence,
        f"Warning · Comments asking for a 10: store {HOSTILE}", CAVEATS[2].sentence,
        "Note · This view mixes language values", CAVEATS[3].sentence,
        "Checked: survey types pooled (survey_type); scale use across language values; signs of gaming by "
        "business_function (spikes of 10s, too little variance, comments asking for a 10).",
        "Not checked: response rate (no invitation counts given); sample vs population (no population table given).",
    ]
    assert _notes(slide) == ""  # everything fits: nothing moved to the notes
    # the warnings' titles in the warning colour, the note's in grey
    colours = {p.runs[1].text: str(p.runs[1].font.color.rgb) for s in slide.shapes if s.has_text_frame
               for p in s.text_frame.paragraphs if len(p.runs) == 2}
    assert colours == {"Survey types pooled": "B02418", "Spike of 10s: business_function Billing": "B02418",
                       f"Comments asking for a 10: store {HOSTILE}": "B02418",
                       "This view mixes language values": "595959"}


def test_hostile_caveat_text_stays_plain_text() -> None:
    data = render_pptx(trusting_pack())
    slide = _slide(_open(data), slides.TRUST_TITLE)
    assert f"Comments asking for a 10: store {HOSTILE}" in _runs(slide)
    assert CAVEATS[2].sentence in _runs(slide)  # one run: no markup read, no field, no link
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = next(package.read(n).decode() for n in package.namelist()
                   if n.startswith("ppt/slides/slide") and slides.TRUST_TITLE in package.read(n).decode())
    assert "hlinkClick" not in xml and "<a:fld" not in xml
    assert "&lt;b&gt;tag&lt;/b&gt;" in xml and "=SUM(A1)" in xml


def test_a_section_with_a_caveat_says_it_on_its_scorecard() -> None:
    prs = _open(render_pptx(trusting_pack()))
    assert (f"Warning: Spike of 10s: business_function Billing. {CAVEATS[1].sentence}"
            in _texts(_slide(prs, "Billing")))
    assert not [t for t in _texts(_slide(prs, "All functions")) if t.startswith("Warning")]


def test_without_caveats_one_line_says_what_was_checked() -> None:
    pack = dataclasses.replace(PACK, checked=("survey types pooled (survey_type)", "survey fatigue (90 days)"),
                               not_checked=("response rate (no invitation counts given)",))
    slide = _slide(_open(render_pptx(pack)), slides.TRUST_TITLE)
    assert _texts(slide) == [
        "No caveat found. Checked, and nothing to warn about: survey types pooled (survey_type); survey fatigue "
        "(90 days).",
        "Not checked: response rate (no invitation counts given).",
    ]
    assert _texts(_slide(_open(render_pptx(PACK)), slides.TRUST_TITLE)) == [
        "No caveat found: no check applies to this data."]


def test_the_deck_with_caveats_is_the_same_each_time() -> None:
    assert render_pptx(trusting_pack()) == render_pptx(trusting_pack())
