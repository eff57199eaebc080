"""A review pack as a PowerPoint deck: native, editable charts where PowerPoint has the type, images for the rest.

:func:`render_pptx` lays a :class:`~nps.report.model.Pack` out as slides: a title slide, the
cross-functional summary (a native bar chart of every section's NPS and the table of sections),
*How far to trust these numbers* (the pack's caveats, warnings first, or the checks that found nothing),
the decisions of the last meeting, then three slides per section (the scorecard with its trend and
0–10 distribution as native line and column charts; what is behind it: the breakdown as a native bar
chart, "why did it move" as an image of the dashboard's own chart, themes and verbatims; the
follow-up: KPIs, overdue cases, open actions) and a last slide with the full provenance. A section
hidden by the anonymity rule gets one slide that says so and shows no number.

Every slide carries the provenance footer (a text box named ``Provenance``). The organisation's
template (a ``.pptx``) lends its slide size and layouts (``Title Slide``, ``Title Only``, ``Blank``,
found by name, else by their placeholders); slides already in it are dropped. User text goes into
the deck as plain runs (characters XML cannot hold replaced by U+FFFD); text too long for its box is
shortened with an ellipsis and written in full in the slide's notes. The same pack gives the same
bytes: the package's dates are the pack's generation time.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.presentation import Presentation as PresentationObject
from pptx.slide import Slide, SlideLayout
from pptx.util import Emu, Inches, Pt
from xlsxwriter import Workbook

from nps import format as fmt
from nps.charts.common import CATEGORY_COLOURS, LINE_COLOUR
from nps.charts.render import ChartRenderError, render_specs
from nps.control_chars import strip_unsafe
from nps.report import figures
from nps.report.model import (DETRACTOR_HEADING, PROMOTER_HEADING, TRUST_HEADING, WARN, ActionLine, Breakdown, Change,
                              Decision, Figure, FollowUp, Pack, Section, Theme, checks_words, no_caveat_words,
                              severity_word)

SIGNIFICANT = "●"
ELLIPSIS = "…"
PROVENANCE_NAME = "Provenance"
TITLE_NAME = "Title"
NO_DECISIONS = "No decisions recorded at the last meeting."
NO_COMPARISON = "No comparison period."
NO_COMMENTS = "No comments."
HIDDEN_TEXT = ("Hidden by the employee anonymity rule: this group has too few respondents to be shown "
               "without identifying people, so no number of it appears in this pack.")
TRUST_TITLE = TRUST_HEADING
SUMMARY_ROWS_PER_SLIDE = 12
QUOTE_LIMIT = 300  # characters of a verbatim on a slide (the whole of a longer one is in the notes)
_FOOTER_PT = 7
_GREY = RGBColor(0x59, 0x59, 0x59)
_MUTED = RGBColor(0x80, 0x80, 0x80)
_WARN = RGBColor(0xB0, 0x24, 0x18)  # a darker shade of the detractors' red, readable as text
_POINTS_FORMAT = '+0.0;"\u2212"0.0;0.0'
_NEWLINES = re.compile(r"\r\n|\r|\n|\u2028|\u2029")
_WIDE_WIDTH = Inches(13.333)
_WIDE_HEIGHT = Inches(7.5)


# ---------------------------------------------------------------------------
# Text: cleaned, shortened with an ellipsis (the full text goes to the notes)


def clean(text: str) -> str:
    """User text as a deck can hold it: characters XML cannot hold replaced by U+FFFD, nothing else changed."""
    return strip_unsafe(str(text))


def one_line(text: str) -> str:
    """:func:`clean` text on one line: each line break becomes a space (labels, table cells, titles)."""
    return _NEWLINES.sub(" ", clean(text))


def shorten(text: str, limit: int) -> str:
    """``text`` as is when it has at most ``limit`` characters, else its first ``limit − 1`` and an ellipsis."""
    return text if len(text) <= limit else text[:max(1, limit - 1)].rstrip() + ELLIPSIS


@dataclass
class _P:
    """One paragraph of a text box: runs of (text, bold), its size (None: the box's), colour, space before (pt)."""

    runs: list[tuple[str, bool]]
    size: float | None = None
    colour: RGBColor | None = None
    space_before: float = 0.0


def _p(text: str, *, bold: bool = False, size: float | None = None, colour: RGBColor | None = None,
       space_before: float = 0.0) -> _P:
    return _P([(text, bold)], size, colour, space_before)


def _lines_needed(paragraph: _P, width_in: float, size: float) -> int:
    """A rough count of the lines a paragraph wraps to (an average glyph is about half its size wide)."""
    per_line = max(1, int(width_in * 72 / (size * 0.5)))
    text = "".join(t for t, _ in paragraph.runs)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def _height_needed(paragraphs: Sequence[_P], width_in: float, size: float, scale: float = 1.0) -> float:
    """Inches of height the paragraphs need at ``size`` (a paragraph's own size times ``scale``)."""
    total = 0.0
    for par in paragraphs:
        psize = par.size * scale if par.size else size
        total += _lines_needed(par, width_in, psize) * psize * 1.2 / 72 + par.space_before / 72
    return total + 0.1


# ---------------------------------------------------------------------------
# Charts: python-pptx's chart data, its embedded workbook formula- and link-safe, dated by the pack


class _SafeWorkbookWriter(CategoryWorkbookWriter):
    """The chart's embedded workbook: text stays text (no formula, no link), dated by the pack (same bytes)."""

    @contextmanager
    def _open_worksheet(self, xlsx_file: Any) -> Iterator[tuple[Any, Any]]:
        workbook = Workbook(xlsx_file, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
        workbook.set_properties({"created": self._chart_data.created})
        worksheet = workbook.add_worksheet()
        yield workbook, worksheet
        workbook.close()


class _ChartData(CategoryChartData):
    """Category chart data whose embedded workbook is :class:`_SafeWorkbookWriter`'s."""

    def __init__(self, created: dt.datetime, number_format: str = "General") -> None:
        super().__init__(number_format)
        self.created = created

    @property
    def _workbook_writer(self) -> _SafeWorkbookWriter:
        return _SafeWorkbookWriter(self)


def _value(value: float | None) -> float | None:
    """A number for a chart: None unless finite."""
    return float(value) if fmt.is_finite(value) else None


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


# ---------------------------------------------------------------------------
# The deck


@dataclass
class _Box:
    """A rectangle in EMU."""

    left: int
    top: int
    width: int
    height: int

    def split(self, fraction: float, gap: int) -> tuple[_Box, _Box]:
        """Left and right parts: the left ``fraction`` of the width, a gap, the rest."""
        left_width = int((self.width - gap) * fraction)
        return (_Box(self.left, self.top, left_width, self.height),
                _Box(self.left + left_width + gap, self.top, self.width - left_width - gap, self.height))

    def take(self, height: int, gap: int = 0) -> tuple[_Box, _Box]:
        """The top ``height`` (at most all of it) and what is left below it after ``gap``."""
        height = max(0, min(height, self.height))
        rest_top = min(self.top + self.height, self.top + height + gap)
        return (_Box(self.left, self.top, self.width, height),
                _Box(self.left, rest_top, self.width, self.top + self.height - rest_top))


@dataclass
class _Layouts:
    title: SlideLayout
    title_only: SlideLayout
    blank: SlideLayout


@dataclass
class _Deck:
    """The presentation being built and what every slide needs."""

    prs: PresentationObject
    layouts: _Layouts
    pack: Pack
    own_style: bool
    image_keys: frozenset[str] = frozenset()
    pictures: list[tuple[Slide, str, _Box]] = field(default_factory=list)  # placed once the images are drawn

    @property
    def width(self) -> int:
        return int(self.prs.slide_width or _WIDE_WIDTH)

    @property
    def height(self) -> int:
        return int(self.prs.slide_height or _WIDE_HEIGHT)

    @property
    def margin(self) -> int:
        return max(Inches(0.3), int(self.width * 0.03))

    @property
    def level(self) -> str:
        return fmt.level(self.pack.level)


class _SlideWriter:
    """One slide: its title, its body area, and the full texts of whatever was shortened (for the notes)."""

    def __init__(self, deck: _Deck, title: str, layout: SlideLayout | None = None, *, title_size: int = 28) -> None:
        self.deck = deck
        self.slide: Slide = deck.prs.slides.add_slide(layout or deck.layouts.title_only)
        self.notes: list[str] = []
        title_shape = self._title_shape()
        full = one_line(title)
        text = self.short(full, 110)
        if title_shape is None:
            title_shape = self.slide.shapes.add_textbox(deck.margin, Inches(0.25), deck.width - 2 * deck.margin,
                                                        Inches(0.9))
            title_shape.name = TITLE_NAME
        frame = title_shape.text_frame
        frame.word_wrap = True
        frame.text = ""
        run = frame.paragraphs[0].add_run()
        run.text = text
        if deck.own_style or title_shape.name == TITLE_NAME or len(text) > 50:
            run.font.size = Pt(title_size if len(text) <= 50 else 22 if len(text) <= 80 else 18)
            run.font.bold = title_shape.name == TITLE_NAME
        self.title_shape = title_shape
        top = int(title_shape.top or 0) + int(title_shape.height or 0) + Inches(0.1)
        bottom = deck.height - Inches(0.5)
        left, width = deck.margin, deck.width - 2 * deck.margin
        if title_shape.name != TITLE_NAME and int(title_shape.width or 0) >= 0.6 * deck.width:
            left, width = int(title_shape.left or 0), int(title_shape.width or 0)  # the body lines up with the title
        self.body = _Box(left, min(top, bottom - Inches(1)), width, max(Inches(1), bottom - top))

    def _title_shape(self) -> Any:
        for ph in self.slide.placeholders:
            if ph.placeholder_format.type in (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE):
                return ph
        return None

    def _remove_empty_placeholders(self) -> None:
        """Placeholders of the layout left empty (they would read "Click to add text" when editing)."""
        for ph in list(self.slide.placeholders):
            if ph.shape_id == self.title_shape.shape_id:
                continue
            if not ph.has_text_frame or not ph.text_frame.text:
                ph._element.getparent().remove(ph._element)  # noqa: SLF001

    def short(self, text: str, limit: int) -> str:
        """``text`` shortened to ``limit`` characters; when it is, the full text goes to the slide's notes."""
        out = shorten(text, limit)
        if out != text and text not in self.notes:
            self.notes.append(text)
        return out

    # -- text ------------------------------------------------------------------

    def text(self, box: _Box, paragraphs: Sequence[_P], *, size: float = 14, min_size: float = 9,
             name: str | None = None) -> Any:
        """A text box of plain runs, its font shrunk until the text fits; what still does not fit is cut at a
        paragraph's end, said in the box and written in full in the notes."""
        paragraphs = [par for par in paragraphs if par.runs]
        width_in = box.width / 914400 - 0.2
        height_in = box.height / 914400
        chosen = size

        def needed(pars: Sequence[_P], at: float) -> float:
            return _height_needed(pars, width_in, at, at / size)

        while chosen > min_size and needed(paragraphs, chosen) > height_in:
            chosen -= 1
        shown = list(paragraphs)
        if needed(shown, chosen) > height_in and len(shown) > 1:
            while len(shown) > 1 and needed(shown, chosen) + chosen * 1.3 / 72 > height_in:
                shown.pop()
            hidden = paragraphs[len(shown):]
            self.notes += ["".join(t for t, _ in par.runs) for par in hidden]
            shown.append(_p(f"{ELLIPSIS} {len(hidden)} more in the notes of this slide", colour=_MUTED))
        if needed(shown, chosen) > height_in:  # one paragraph longer than the box: shortened, in full in the notes
            shown[0] = self._cut(shown[0], width_in, height_in - (chosen * 1.3 / 72 if len(shown) > 1 else 0), chosen,
                                 size)
        shape = self.slide.shapes.add_textbox(box.left, box.top, box.width, box.height)
        if name:
            shape.name = name
        frame = shape.text_frame
        frame.word_wrap = True
        for index, par in enumerate(shown):
            paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
            if par.space_before:
                paragraph.space_before = Pt(par.space_before)
            run_size = Pt(round(par.size * chosen / size, 1) if par.size else chosen)
            for text, bold in par.runs:
                for at, part in enumerate(text.split("\n")):
                    if at:
                        paragraph.add_line_break()
                    run = paragraph.add_run()
                    run.text = part
                    run.font.size = run_size
                    if bold:
                        run.font.bold = True
                    if par.colour is not None:
                        run.font.color.rgb = par.colour
        return shape

    def _cut(self, par: _P, width_in: float, height_in: float, chosen: float, size: float) -> _P:
        """``par`` shortened (with an ellipsis) to what a box of that size holds; the full text goes to the notes."""
        at = par.size * chosen / size if par.size else chosen
        per_line = max(1, int(width_in * 72 / (at * 0.5)))
        lines = max(1, int((height_in - 0.1) * 72 / (at * 1.2)))
        left = max(8, per_line * lines - 1)
        self.notes.append("".join(t for t, _ in par.runs))
        runs: list[tuple[str, bool]] = []
        for text, bold in par.runs:
            if left <= 0:
                break
            runs.append((text[:left], bold))
            left -= len(text)
        runs[-1] = (runs[-1][0].rstrip() + ELLIPSIS, runs[-1][1])
        return _P(runs, par.size, par.colour, par.space_before)

    def table(self, box: _Box, header: Sequence[str], rows: Sequence[Sequence[str]], *,
              widths: Sequence[float] | None = None, size: float = 11, limit: int = 80,
              numbers_from: int = 99) -> int:
        """A table of plain text in ``box``: cells shortened to ``limit`` characters, the columns from
        ``numbers_from`` on right-aligned (numbers). Rows that do not fit go to the notes, and a line under the
        table says so. Returns the height it takes (EMU)."""
        weights = list(widths or [1.0] * len(header))
        total = sum(weights)
        column_widths = [int(box.width * w / total) for w in weights[:-1]]
        column_widths.append(box.width - sum(column_widths))
        cells = [[self.short(one_line(v), limit) if r == 0 else one_line(v) for v in values]
                 for r, values in enumerate([list(header), *[list(row) for row in rows]])]
        heights = [max(Inches(0.3), max(int(Inches(_height_needed([_p(text)], w / 914400 - 0.2, size) - 0.04))
                                        for text, w in zip([shorten(t, limit) for t in row], column_widths,
                                                           strict=True)))
                   for row in cells]
        more_height = Inches(0.3)
        count = len(cells)
        while count > 1 and sum(heights[:count]) + (more_height if count < len(cells) else 0) > box.height:
            count -= 1
        if count < len(cells):
            self.notes += [" · ".join(row) for row in cells[count:]]
        frame = self.slide.shapes.add_table(count, len(header), box.left, box.top, box.width, sum(heights[:count]))
        table = frame.table
        for index, width in enumerate(column_widths):
            table.columns[index].width = width
        for r, values in enumerate(cells[:count]):
            table.rows[r].height = heights[r]
            for c, value in enumerate(values):
                cell = table.cell(r, c)
                cell.margin_top = cell.margin_bottom = Inches(0.03)
                cell.vertical_anchor = MSO_ANCHOR.MIDDLE
                text_frame = cell.text_frame
                text_frame.word_wrap = True
                if c >= numbers_from:
                    text_frame.paragraphs[0].alignment = PP_ALIGN.RIGHT
                run = text_frame.paragraphs[0].add_run()
                run.text = value if r == 0 else self.short(value, limit)
                run.font.size = Pt(size)
                if r == 0:
                    run.font.bold = True
        used = sum(heights[:count])
        if count < len(cells):
            self.text(_Box(box.left, box.top + used, box.width, more_height),
                      [_p(f"{ELLIPSIS} {len(cells) - count} more rows in the notes of this slide", colour=_GREY)],
                      size=10)
            used += more_height
        return used

    # -- charts ----------------------------------------------------------------

    def chart(self, kind: Any, box: _Box, categories: Sequence[str], series: Sequence[tuple[str, Sequence[Any]]],
              *, title: str, number_format: str = _POINTS_FORMAT, legend: bool = False) -> Any:
        """A native chart: categories (shortened to 40 characters), named series of numbers (None for a gap)."""
        data = _ChartData(self.deck.pack.provenance.generated_at, number_format)
        for category in categories:
            data.add_category(self.short(one_line(category), 40))
        for name, values in series:
            data.add_series(one_line(name), [_value(v) for v in values], number_format)
        chart = self.slide.shapes.add_chart(kind, box.left, box.top, box.width, box.height, data).chart
        chart.has_title = True
        chart.chart_title.text_frame.text = self.short(one_line(title), 90)
        chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(12)
        chart.has_legend = legend
        if legend:
            chart.legend.position = XL_LEGEND_POSITION.BOTTOM
            chart.legend.include_in_layout = False
            chart.legend.font.size = Pt(9)
        chart.font.size = Pt(10)
        return chart

    def finish(self) -> None:
        """The provenance footer, and the notes (the full texts of what was shortened)."""
        deck = self.deck
        self._remove_empty_placeholders()
        box = self.slide.shapes.add_textbox(deck.margin, deck.height - Inches(0.42), deck.width - 2 * deck.margin,
                                            Inches(0.36))
        box.name = PROVENANCE_NAME
        frame = box.text_frame
        frame.word_wrap = True
        frame.vertical_anchor = MSO_ANCHOR.BOTTOM
        frame.margin_top = frame.margin_bottom = 0
        run = frame.paragraphs[0].add_run()
        run.text = clean(deck.pack.provenance.footer())
        run.font.size = Pt(_FOOTER_PT)
        run.font.color.rgb = _GREY
        if self.notes:
            self.slide.notes_slide.notes_text_frame.text = "Full text of what is shortened on this slide:\n" + \
                "\n".join(one_line(n) for n in self.notes)


# ---------------------------------------------------------------------------
# Numbers in words


def _change_words(change: Change | None) -> str:
    if change is None or change.diff is None:
        return NO_COMPARISON
    verdict = "significant" if change.significant else ("not tested" if change.p is None else "noise")
    return (f"Change vs previous: {fmt.points(change.diff)} ({verdict}); previous {fmt.points(change.previous_nps)} "
            f"(n {fmt.count(change.previous_n)})")


def _change_cell(change: Change | None) -> str:
    if change is None or change.diff is None:
        return fmt.MISSING
    return f"{fmt.points(change.diff)} {SIGNIFICANT}" if change.significant else fmt.points(change.diff)


def _target_words(section: Section) -> str:
    if section.target is None:
        return "No target set."
    return f"Target {fmt.points(section.target)} · gap {fmt.points(section.gap)}"


def _shares(figure: Figure) -> str:
    return (f"Promoters {fmt.share(figure.promoters)} · Passives {fmt.share(figure.passives)} · "
            f"Detractors {fmt.share(figure.detractors)}")


def _headline(section: Section, level: float) -> list[_P]:
    """The section's figures as paragraphs: NPS big, interval, n, change, target, shares, notes."""
    figure = section.figure
    out = [_p(fmt.points(figure.nps), bold=True, size=44),
           _p(f"NPS, {fmt.interval(figure.ci_low, figure.ci_high, level=level)}"),
           _p(f"n {fmt.count(figure.n)}" + (" (few responses: read with care)" if figure.low_n else "")),
           _p(_change_words(section.change), space_before=6)]
    if section.change is not None and section.change.diff is not None:
        out.append(_p(f"Change {fmt.interval(section.change.ci_low, section.change.ci_high, level=level)}"))
    out += [_p(_target_words(section), space_before=6), _p(_shares(figure), space_before=6)]
    out += [_p(one_line(note), colour=_GREY, space_before=6) for note in section.notes]
    out += [_P([(f"{severity_word(c)}: {one_line(c.title)}. ", True), (one_line(c.sentence), False)],
               colour=_WARN if c.severity == WARN else _GREY, space_before=6) for c in section.caveats]
    return out


def _theme_line(theme: Theme, level: float) -> _P:
    mark = f" {SIGNIFICANT}" if theme.significant else ""
    return _P([(one_line(theme.name), True),
               (f": {fmt.share(theme.share)} of comments ({fmt.count(theme.mentions)}), impact "
                f"{fmt.points(theme.impact)} ({fmt.interval(theme.impact_low, theme.impact_high, level=level)}){mark}",
                False)])


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


# ---------------------------------------------------------------------------
# Slides


def _title_slide(deck: _Deck) -> None:
    pack = deck.pack
    writer = _SlideWriter(deck, pack.title, deck.layouts.title, title_size=36)
    subtitle = next((ph for ph in writer.slide.placeholders if ph.placeholder_format.type == PP_PLACEHOLDER.SUBTITLE),
                    None)
    text = writer.short(one_line(pack.subtitle), 160)
    if subtitle is None:
        writer.text(writer.body.take(Inches(1.2))[0], [_p(text, size=20)])
    else:
        subtitle.text_frame.text = ""
        subtitle.text_frame.paragraphs[0].add_run().text = text
    writer.finish()


def _summary_slide(deck: _Deck) -> None:
    pack = deck.pack
    summary = pack.summary
    writer = _SlideWriter(deck, f"Summary: {summary.title}")
    left, right = writer.body.split(0.36, Inches(0.3))
    paragraphs = [_p(HIDDEN_TEXT)] if summary.figure.suppressed else _headline(summary, pack.level)
    paragraphs.append(_p(one_line(pack.family), colour=_GREY, space_before=6))
    paragraphs += [_p(one_line(note), colour=_GREY, space_before=6) for note in pack.notes]
    writer.text(left, paragraphs)
    shown = [s for s in pack.sections if not s.figure.suppressed and s.figure.nps is not None]
    hidden = [s for s in pack.sections if s.figure.suppressed]
    empty = [s for s in pack.sections if not s.figure.suppressed and s.figure.nps is None]
    said: list[_P] = []
    if hidden:
        said.append(_p(f"Not shown: {len(hidden)} hidden by the anonymity rule.", colour=_GREY))
    if empty:
        said.append(_p("Not shown (no responses): " + ", ".join(one_line(s.title) for s in empty), colour=_GREY))
    if not pack.sections:
        said.append(_p(f"No sections: the pack is not split by {pack.dimension_label.lower() or 'a dimension'}."))
    note_height = Inches(0.35 * len(said) + 0.1) if said else 0
    chart_box, rest = right.take(right.height - note_height, Inches(0.05))
    if shown:
        height = min(chart_box.height, Inches(0.9) + Inches(0.36) * len(shown))
        chart = writer.chart(XL_CHART_TYPE.BAR_CLUSTERED, chart_box.take(height)[0], [s.title for s in shown],
                             [("NPS", [s.figure.nps for s in shown])],
                             title=f"NPS by {pack.dimension_label.lower()}")
        _style_bars(chart, LINE_COLOUR)
        _label_points(chart, [(s.figure.nps, s.figure.n, s.figure.ci_low, s.figure.ci_high) for s in shown], pack.level)
        if rest.height and said:
            writer.text(_Box(rest.left, chart_box.top + height + Inches(0.05), rest.width, rest.height), said, size=12)
    elif said or pack.sections:
        writer.text(right, said or [_p("No section has responses.")], size=14)
    writer.finish()


def _label_points(chart: Any, figures: Sequence[tuple[float | None, int, float | None, float | None]],
                  level: float) -> None:
    """Each bar's label: its NPS with n and the interval at ``level`` (every NPS shown with n and its interval);
    the numbers stay the chart's data, so restyling in PowerPoint keeps them."""
    for point, (nps, n, low, high) in zip(chart.plots[0].series[0].points, figures):
        if nps is None:
            continue
        frame = point.data_label.text_frame
        frame.text = f"{fmt.points(nps)}  n {n:,}, {fmt.level(level)} CI {fmt.points_range(low, high)}"
        frame.word_wrap = False
        for paragraph in frame.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(8)


def _style_bars(chart: Any, colour: str, *, horizontal: bool = True) -> None:
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format = _POINTS_FORMAT
    labels.number_format_is_linked = False
    labels.font.size = Pt(10)
    series = plot.series[0]
    series.invert_if_negative = False
    series.format.fill.solid()
    series.format.fill.fore_color.rgb = _rgb(colour)
    if horizontal:
        chart.category_axis.reverse_order = True  # the first category on top, as in the table
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.tick_labels.number_format = _POINTS_FORMAT
    chart.value_axis.tick_labels.number_format_is_linked = False


def _summary_table_slides(deck: _Deck) -> None:
    pack = deck.pack
    if not pack.sections:
        return
    header = [pack.dimension_label or "Section", "NPS", f"{deck.level} interval", "n", "Change", "Target", "Gap"]
    rows: list[list[str]] = []
    for section in pack.sections:
        figure = section.figure
        if figure.suppressed:
            rows.append([section.title, "hidden", "anonymity rule", "", "", "", ""])
            continue
        rows.append([section.title, fmt.points(figure.nps), fmt.points_range(figure.ci_low, figure.ci_high),
                     fmt.count(figure.n), _change_cell(section.change), fmt.points(section.target),
                     fmt.points(section.gap)])
    chunks = [rows[i:i + SUMMARY_ROWS_PER_SLIDE] for i in range(0, len(rows), SUMMARY_ROWS_PER_SLIDE)]
    for number, chunk in enumerate(chunks, start=1):
        suffix = f" ({number} of {len(chunks)})" if len(chunks) > 1 else ""
        writer = _SlideWriter(deck, f"Every {pack.dimension_label.lower() or 'section'}{suffix}")
        legend = Inches(0.7)
        table_box = writer.body.take(writer.body.height - legend)[0]
        used = writer.table(table_box, header, chunk, widths=[3.2, 1.1, 2.0, 1.0, 1.3, 1.1, 1.1], size=11, limit=80,
                            numbers_from=1)
        writer.text(_Box(table_box.left, table_box.top + used + Inches(0.15), table_box.width, legend),
                    [_p(f"{SIGNIFICANT} significant change vs the previous period. " + one_line(pack.family),
                        colour=_GREY)], size=11)
        writer.finish()


def _trust_slide(deck: _Deck) -> None:
    """How far to trust these numbers: each caveat's severity, title and sentence (warnings first, as the pack
    has them), then what was and was not checked; without caveats, one line saying what was checked."""
    pack = deck.pack
    writer = _SlideWriter(deck, TRUST_TITLE)
    checked, not_checked = checks_words(pack)
    paragraphs: list[_P] = []
    for caveat in pack.caveats:
        warn = caveat.severity == WARN
        paragraphs.append(_P([(f"{severity_word(caveat)} · ", True), (one_line(caveat.title), True)],
                             colour=_WARN if warn else _GREY, space_before=8))
        paragraphs.append(_p(one_line(caveat.sentence)))
    if not paragraphs:
        paragraphs = [_p(one_line(no_caveat_words(pack)), size=18)]
        checked = ""
    paragraphs += [_p(one_line(line), colour=_GREY, size=11, space_before=10) for line in (checked, not_checked)
                   if line]
    writer.text(writer.body, paragraphs, size=15, min_size=9)
    writer.finish()


def _decisions_slide(deck: _Deck) -> None:
    pack = deck.pack
    writer = _SlideWriter(deck, "Decisions and notes of the last meeting")
    if not pack.decisions:
        writer.text(writer.body, [_p(NO_DECISIONS)], size=16)
    else:
        writer.text(writer.body, [_decision(d) for d in pack.decisions], size=16)
    writer.finish()


def _decision(decision: Decision) -> _P:
    return _P([(f"{_date(decision.meeting_date)} · {one_line(decision.kind)} · {one_line(decision.author)}: ", True),
               (_NEWLINES.sub("\n", clean(decision.text)), False)], space_before=6)


def _hidden_slide(deck: _Deck, section: Section) -> None:
    writer = _SlideWriter(deck, f"{section.title}: hidden")
    writer.text(writer.body, [_p(HIDDEN_TEXT, size=18),
                              *[_p(one_line(note), colour=_GREY, space_before=8) for note in section.notes]], size=18)
    writer.finish()


def _scorecard_slide(deck: _Deck, section: Section) -> None:
    writer = _SlideWriter(deck, section.title)
    left, right = writer.body.split(0.32, Inches(0.3))
    writer.text(left, _headline(section, deck.pack.level))
    trend_box, distribution_box = right.take(int(right.height * 0.52), Inches(0.1))
    if section.trend:
        chart = writer.chart(XL_CHART_TYPE.LINE_MARKERS, trend_box, [p.period for p in section.trend],
                             [("NPS", [p.nps for p in section.trend]),
                              (f"{deck.level} interval, low", [p.ci_low for p in section.trend]),
                              (f"{deck.level} interval, high", [p.ci_high for p in section.trend])],
                             title=f"NPS by {section.grain}", legend=True)
        _style_trend(chart)
    else:
        writer.text(trend_box.take(Inches(0.5))[0], [_p("No trend for this period.", colour=_GREY)])
    if section.distribution and sum(section.distribution):
        labels = [str(s) for s in figures.SCORES[:len(section.distribution)]]
        chart = writer.chart(XL_CHART_TYPE.COLUMN_CLUSTERED, distribution_box, labels,
                             [("Responses", list(section.distribution))], title="Scores 0–10 (responses)",
                             number_format="#,##0")
        _style_distribution(chart, len(labels))
    else:
        writer.text(distribution_box.take(Inches(0.5))[0], [_p("No scores.", colour=_GREY)])
    writer.finish()


def _style_trend(chart: Any) -> None:
    plot = chart.plots[0]
    colours = (LINE_COLOUR, "#a3a3a3", "#a3a3a3")
    for index, series in enumerate(plot.series):
        series.smooth = False
        line = series.format.line
        line.color.rgb = _rgb(colours[index])
        line.width = Pt(2.25 if index == 0 else 1)
        if index:
            line.dash_style = MSO_LINE_DASH_STYLE.DASH
            series.marker.style = XL_MARKER_STYLE.NONE
        else:
            series.marker.style = XL_MARKER_STYLE.CIRCLE
            series.marker.size = 6
            series.marker.format.fill.solid()
            series.marker.format.fill.fore_color.rgb = _rgb(LINE_COLOUR)
    chart.value_axis.has_major_gridlines = True
    chart.value_axis.tick_labels.number_format = _POINTS_FORMAT
    chart.value_axis.tick_labels.number_format_is_linked = False


def _style_distribution(chart: Any, count: int) -> None:
    plot = chart.plots[0]
    plot.gap_width = 40
    plot.vary_by_categories = False
    plot.has_data_labels = True
    plot.data_labels.font.size = Pt(9)
    plot.data_labels.number_format = "#,##0"
    plot.data_labels.number_format_is_linked = False
    series = plot.series[0]
    for score in range(count):
        colour = CATEGORY_COLOURS[0] if score <= 6 else CATEGORY_COLOURS[1] if score <= 8 else CATEGORY_COLOURS[2]
        point = series.points[score]
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = _rgb(colour)
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.visible = False


def _behind_slide(deck: _Deck, section: Section) -> None:
    level = deck.pack.level
    writer = _SlideWriter(deck, f"{section.title}: what is behind it")
    left, right = writer.body.split(0.5, Inches(0.3))
    below = _breakdown(writer, left, section.breakdown, 0.45 if section.movement is not None else 0.8)
    _movement(writer, below, section)
    paragraphs: list[_P] = []
    for heading, themes in ((DETRACTOR_HEADING, section.detractor_themes), (PROMOTER_HEADING, section.promoter_themes)):
        if themes:
            paragraphs.append(_p(heading, bold=True, space_before=6))
            paragraphs += [_theme_line(theme, level) for theme in themes]
    if paragraphs:
        paragraphs.append(_p(f"{SIGNIFICANT} significant impact, after multiplicity control across the themes.",
                             colour=_GREY, size=10))
    if section.moved_themes:
        paragraphs.append(_p("Detractors' themes that moved", bold=True, space_before=6))
        paragraphs += [_P([(one_line(m.name), True),
                           (f": {fmt.share(m.before)} → {fmt.share(m.since)} of their comments, "
                            f"{fmt.points(m.change)} pts ({fmt.level(level)} CI {fmt.points_range(m.ci_low, m.ci_high)})"
                            f"{' ' + SIGNIFICANT if m.significant else ''}", False)]) for m in section.moved_themes]
    quotes = [*section.detractor_quotes, *section.promoter_quotes]
    if quotes:
        paragraphs.append(_p("In their words", bold=True, space_before=8))
        paragraphs += [_P([(f"{quote.score}: ", True), (f"“{writer.short(one_line(quote.text), QUOTE_LIMIT)}”", False)])
                       for quote in quotes]
    if not paragraphs:
        paragraphs = [_p(NO_COMMENTS, colour=_GREY)]
    writer.text(right, paragraphs, size=13)
    writer.finish()


def _breakdown(writer: _SlideWriter, box: _Box, breakdown: Breakdown | None, share: float) -> _Box:
    """The breakdown's native bar chart (▲ / ▼ in the labels) in at most ``share`` of ``box``'s top, then its notes;
    returns what is left."""
    if breakdown is None or not breakdown.bars:
        line, rest = box.take(Inches(0.45), Inches(0.05))
        writer.text(line, [_p("No breakdown.", colour=_GREY)])
        return rest
    bars = [b for b in breakdown.bars if b.nps is not None]
    empty = [b for b in breakdown.bars if b.nps is None]
    height = min(int(box.height * share), Inches(0.8) + Inches(0.32) * len(bars))
    chart_box, rest = box.take(height if bars else 0, Inches(0.05))
    if bars:
        categories = [f"{writer.short(one_line(b.value), 32)}{' (low n)' if b.low_n else ''} {b.marker}".rstrip()
                      for b in bars]
        chart = writer.chart(XL_CHART_TYPE.BAR_CLUSTERED, chart_box, categories, [("NPS", [b.nps for b in bars])],
                             title=f"NPS by {one_line(breakdown.label).lower()}")
        _style_bars(chart, LINE_COLOUR)
        _label_points(chart, [(b.nps, b.n, b.ci_low, b.ci_high) for b in bars], writer.deck.pack.level)
    said = [one_line(breakdown.note) if breakdown.note else "▲ / ▼ significantly above / below the rest."]
    if empty:
        said.append("No responses: " + ", ".join(one_line(b.value) for b in empty) + ".")
    notes = [_p(s, colour=_GREY) for s in said]
    note_box, rest = rest.take(Inches(_height_needed(notes, box.width / 914400 - 0.2, 10)), Inches(0.05))
    writer.text(note_box, notes, size=10, min_size=8)
    return rest


def _movement(writer: _SlideWriter, box: _Box, section: Section) -> None:
    """"Why did it move": the waterfall image (placed when the batch is drawn) above the sentence, or a line
    saying there is no comparison."""
    movement = section.movement
    if movement is None:
        writer.text(box.take(Inches(0.45))[0], [_p(NO_COMPARISON, colour=_GREY)])
        return
    sentence = [_p(one_line(movement.sentence))]
    sentence_height = min(box.height // 2, Inches(_height_needed(sentence, box.width / 914400 - 0.2, 12)))
    image_box, sentence_box = box.take(box.height - sentence_height - Inches(0.05), Inches(0.05))
    key = _image_key(section)
    if key in writer.deck.image_keys:
        writer.deck.pictures.append((writer.slide, key, image_box))
    writer.text(sentence_box, sentence, size=12, min_size=8)


def _failed_picture(slide: Slide, box: _Box, reason: str) -> None:
    """The line that stands where an image could not be drawn."""
    shape = slide.shapes.add_textbox(box.left, box.top, box.width, min(box.height, Inches(0.6)))
    shape.text_frame.word_wrap = True
    run = shape.text_frame.paragraphs[0].add_run()
    run.text = one_line(f"The chart could not be drawn ({reason}); its numbers are in the sentence below.")
    run.font.size = Pt(11)
    run.font.color.rgb = _GREY


def _place_picture(slide: Slide, image: bytes, box: _Box) -> None:
    """A PNG in ``box``, as large as fits with its proportions kept, at the box's bottom left."""
    px_width, px_height = int.from_bytes(image[16:20], "big"), int.from_bytes(image[20:24], "big")
    width = box.width
    height = int(width * px_height / max(1, px_width))
    if height > box.height:
        width, height = int(width * box.height / height), box.height
    slide.shapes.add_picture(io.BytesIO(image), box.left, box.top + box.height - height, width, height)


def _followup_slide(deck: _Deck, section: Section) -> None:
    writer = _SlideWriter(deck, f"{section.title}: follow-up")
    left, right = writer.body.split(0.36, Inches(0.3))
    kpis = _kpis(section.followup)
    cases = section.followup.overdue_cases if section.followup else ()
    kpi_height = Inches(_height_needed(kpis, left.width / 914400 - 0.2, 13))
    text_box, cases_box = left.take(kpi_height, Inches(0.15))
    writer.text(text_box, kpis, size=13)
    if cases:
        title_box, table_box = cases_box.take(Inches(0.35))
        writer.text(title_box, [_p("Overdue cases", bold=True)], size=12)
        writer.table(table_box, ["Case", "Owner", "Due", "Priority"],
                     [[str(case_id), owner or "unassigned", due, priority] for case_id, owner, due, priority in cases],
                     widths=[0.8, 2.2, 1.3, 1.0], size=10, limit=40)
    elif section.followup is not None:
        writer.text(cases_box.take(Inches(0.4))[0], [_p("No overdue cases.", colour=_GREY)], size=12)
    actions_box = right
    if section.notes:
        notes = [_p(one_line(n), colour=_GREY) for n in section.notes]
        notes_height = min(int(right.height * 0.3), Inches(_height_needed(notes, right.width / 914400 - 0.2, 11)))
        actions_box, notes_box = right.take(right.height - notes_height - Inches(0.1), Inches(0.1))
        writer.text(notes_box, notes, size=11, min_size=8)
    _actions(writer, actions_box, section.actions)
    writer.finish()


def _kpis(followup: FollowUp | None) -> list[_P]:
    if followup is None:
        return [_p("No follow-up data for this section.", colour=_GREY)]
    hours = followup.first_contact_hours_median
    contacted = followup.contacted_in_time_pct
    return [_p("Follow-up", bold=True),
            _p(f"Detractors {fmt.count(followup.detractors)} · cases opened {fmt.count(followup.cases_opened)}"),
            _p("Contacted in time: " + (fmt.MISSING if not fmt.is_finite(contacted) else f"{contacted:.1f}%")),
            _p("Median first contact: " + (fmt.MISSING if not fmt.is_finite(hours) else f"{hours:.1f} h")),
            _p(f"Overdue {fmt.count(followup.overdue)} · escalations {fmt.count(followup.escalations)}"),
            _p(f"Recovery rate {fmt.share(followup.recovery_rate)} "
               f"(not contacted: {fmt.share(followup.recovery_rate_not_contacted)})")]


def _actions(writer: _SlideWriter, box: _Box, actions: Sequence[ActionLine]) -> None:
    title_box, table_box = box.take(Inches(0.35))
    writer.text(title_box, [_p("Open actions", bold=True)], size=12)
    if not actions:
        writer.text(table_box.take(Inches(0.4))[0], [_p("No open actions.", colour=_GREY)], size=12)
        return
    rows = [[a.title, a.owner or "unassigned", a.due, a.status + (", overdue" if a.overdue else ""),
             _before_since(a.nps_before, a.n_before), _before_since(a.nps_since, a.n_since),
             a.verdict or fmt.MISSING] for a in actions]
    writer.table(table_box, ["Action", "Owner", "Due", "Status", "NPS before", "NPS since", "Verdict"], rows,
                 widths=[2.0, 1.6, 1.1, 1.1, 1.0, 1.0, 2.6], size=9, limit=120)


def _before_since(nps: float | None, n: int) -> str:
    return fmt.MISSING if nps is None else f"{fmt.points(nps)} (n {fmt.count(n)})"


def _provenance_slide(deck: _Deck) -> None:
    writer = _SlideWriter(deck, "Provenance")
    writer.text(writer.body, [_p(one_line(line)) for line in deck.pack.provenance.lines()], size=14, min_size=8)
    writer.finish()


# ---------------------------------------------------------------------------
# Template, layouts, images, the package


def _image_key(section: Section) -> str:
    return f"movement:{id(section)}"


def _image_specs(pack: Pack) -> dict[str, dict[str, Any]]:
    """Every image of the deck (the movement waterfalls) as a Vega-Lite spec, by key."""
    specs: dict[str, dict[str, Any]] = {}
    for section in pack.sections:
        if section.figure.suppressed or section.movement is None:
            continue
        spec = figures.section_specs(section, pack.level).get("movement")
        if spec is not None:
            specs[_image_key(section)] = spec
    return specs


def _draw(specs: dict[str, dict[str, Any]]) -> dict[str, bytes]:
    """The images, drawn by one :func:`render_specs` batch."""
    if not specs:
        return {}
    return dict(zip(specs, render_specs(list(specs.values()), "png", scale=2.0), strict=True))


def _open(template: bytes | str | Path | None) -> tuple[PresentationObject, bool]:
    """The presentation to fill: the template without its slides, or python-pptx's default made 16:9."""
    if template is None:
        prs = Presentation()
        _widen(prs)
        return prs, True
    source = io.BytesIO(template) if isinstance(template, bytes) else str(template)
    prs = Presentation(source)
    slides = prs.slides._sldIdLst  # noqa: SLF001 (python-pptx has no public way to remove a slide)
    for slide_id in list(slides):
        prs.part.drop_rel(slide_id.rId)
        slides.remove(slide_id)
    return prs, False


def _widen(prs: PresentationObject) -> None:
    """The default 4:3 template made 16:9: the slide wider, the master's and layouts' shapes stretched with it."""
    factor = _WIDE_WIDTH / int(prs.slide_width or Inches(10))
    prs.slide_width, prs.slide_height = Emu(_WIDE_WIDTH), Emu(_WIDE_HEIGHT)
    for master in prs.slide_masters:
        for owner in [master, *master.slide_layouts]:
            for shape in owner.shapes:
                if owner is not master and not shape._element.xpath("./p:spPr/a:xfrm"):  # noqa: SLF001
                    continue  # inherits the master's (already stretched) position
                if shape.left is not None and shape.width is not None:
                    shape.left, shape.width = Emu(int(shape.left * factor)), Emu(int(shape.width * factor))
        for shape in master.placeholders:
            if shape.placeholder_format.type == PP_PLACEHOLDER.TITLE:
                shape.top, shape.height = Emu(Inches(0.25)), Emu(Inches(0.9))


_FOOTERS = {PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.SLIDE_NUMBER}


def _layouts(prs: PresentationObject) -> _Layouts:
    """The Title Slide, Title Only and Blank layouts by name, else the closest by their placeholders."""
    every = [layout for master in prs.slide_masters for layout in master.slide_layouts]
    by_name: dict[str, SlideLayout] = {}
    for layout in every:
        by_name.setdefault(layout.name.strip().lower(), layout)

    def kinds(layout: SlideLayout) -> list[Any]:
        return [ph.placeholder_format.type for ph in layout.placeholders if ph.placeholder_format.type not in _FOOTERS]

    blank = by_name.get("blank") or min(every, key=lambda layout: len(kinds(layout)))
    titled = [layout for layout in every if PP_PLACEHOLDER.TITLE in kinds(layout)]
    title_only = by_name.get("title only") or (min(titled, key=lambda layout: len(kinds(layout))) if titled else blank)
    centred = [layout for layout in every if PP_PLACEHOLDER.CENTER_TITLE in kinds(layout)]
    title = by_name.get("title slide") or (centred[0] if centred else title_only)
    return _Layouts(title=title, title_only=title_only, blank=blank)


def _core_properties(prs: PresentationObject, pack: Pack) -> None:
    props = prs.core_properties
    props.title = shorten(one_line(pack.title), 250)
    props.subject = shorten(one_line(pack.subtitle), 250)
    props.author = props.last_modified_by = f"Passaparola {pack.provenance.version}"
    props.created = props.modified = pack.provenance.generated_at
    props.last_printed = pack.provenance.generated_at
    props.revision = 1
    props.keywords = "NPS review pack"
    props.comments = shorten(one_line(pack.provenance.footer()), 250)


def _fixed_zip(data: bytes, when: dt.datetime) -> bytes:
    """The package rewritten with every member dated ``when`` (python-pptx dates them now): the same bytes each time."""
    stamp = (max(1980, when.year), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


def render_pptx(pack: Pack, *, template: bytes | str | Path | None = None) -> bytes:
    """The pack as a PowerPoint file's bytes (16:9 unless ``template``, a ``.pptx`` whose layouts and size it uses).

    Slides: title; summary (native bar chart of each section's NPS); the table of sections; how far to trust
    these numbers (the caveats); decisions of the last meeting; per section a scorecard (native trend and distribution charts), what is behind it
    (native breakdown chart, the movement waterfall as an image, themes, verbatims) and the follow-up —
    or one slide for a section hidden by the anonymity rule; the full provenance last. Every slide carries
    the provenance footer (a text box named ``Provenance``). The images are drawn, in one batch, while the
    slides are built; when they cannot be (:class:`nps.charts.render.ChartRenderError`), a line says so in
    each image's place and the deck is written all the same.
    """
    prs, own_style = _open(template)
    specs = _image_specs(pack)
    with ThreadPoolExecutor(max_workers=1) as pool:  # the images are drawn while the slides are built
        drawing = pool.submit(_draw, specs)
        deck = _Deck(prs=prs, layouts=_layouts(prs), pack=pack, own_style=own_style, image_keys=frozenset(specs))
        _slides(deck)
        try:
            images, failure = drawing.result(), ""
        except ChartRenderError as exc:  # the numbers stay; each missing chart says why in its place
            images, failure = {}, str(exc)
    for slide, key, box in deck.pictures:
        if key in images:
            _place_picture(slide, images[key], box)
        else:
            _failed_picture(slide, box, failure)
    _core_properties(prs, pack)
    out = io.BytesIO()
    prs.save(out)
    return _fixed_zip(out.getvalue(), pack.provenance.generated_at)


def _slides(deck: _Deck) -> None:
    pack = deck.pack
    _title_slide(deck)
    _summary_slide(deck)
    _summary_table_slides(deck)
    if pack.summary.figure.suppressed:
        _hidden_slide(deck, pack.summary)
    else:
        _scorecard_slide(deck, pack.summary)
    _trust_slide(deck)
    _decisions_slide(deck)
    for section in pack.sections:
        if section.figure.suppressed:
            _hidden_slide(deck, section)
            continue
        _scorecard_slide(deck, section)
        _behind_slide(deck, section)
        _followup_slide(deck, section)
    _provenance_slide(deck)
