"""A review pack as a PDF, typeset by Typst (its Python package): title, contents, summary, one section per function.

The document is A4 portrait: a title block with the table of contents, the cross-functional
summary (scorecard, charts, a table of every section), *How far to trust these numbers* (the pack's
caveats, warnings first, and what was and was not checked), the decisions of the last meeting, one
heading per section (in the contents) and a last *Provenance* section. Every page's footer carries
the pack's provenance (:meth:`~nps.report.model.Provenance.footer`) and ``page N of M``.

**No user text is ever Typst markup or code.** The Typst source (:data:`TEMPLATE`) is a constant;
the pack travels as data: :func:`document` turns it into JSON-ready blocks of *strings* (numbers
formatted here, with :mod:`nps.format`), written as ``pack.json`` beside the source in a private
temporary folder, and the source reads it with ``json("pack.json")`` and places each string as text
(a string placed as content is shown literally: ``*bold*``, ``#set``, ``$x$``, ``<b>`` stay as typed).
The charts are the dashboard's Vega-Lite specs (:mod:`nps.report.figures`), all drawn as SVG by
one :func:`nps.charts.render.render_specs` call, written to the same folder under generated names
(``chart-3.svg``) that are the only file names the source ever sees.

Fonts: only Typst's embedded fonts are used (``ignore_system_fonts``), so a pack looks the same on
every machine: Libertinus Serif for text (it has the accents of Italian and French, − – — ▲ ▼ ●),
with DejaVu Sans Mono as the fallback for any glyph it lacks; the charts' text is set in Libertinus
Serif too (the embedded fonts have no sans-serif). A character no embedded font has (emoji, most
non-Latin scripts) cannot be drawn: it shows as a gap or an empty box. Characters a PDF's text
cannot hold (control characters, lone surrogates: see :mod:`nps.control_chars`) become "�".

Typst breaks lines at spaces only, so a word wider than the room it has (a long e-mail address, a code,
a URL in a table cell or a heading) is broken between any two of its characters by the template's
``fit``: those characters are then separated by zero-width spaces (U+200B) in the PDF's text, and
nothing is cut at the page's edge or runs over the next column. Words that fit are left alone.

The output is deterministic: the document's date and the PDF's timestamps are the provenance's
``generated_at``, so the same :class:`~nps.report.model.Pack` gives the same bytes.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import typst

from nps import format as fmt
from nps.charts.render import render_specs
from nps.control_chars import strip_unsafe_in
from nps.report import figures
from nps.report.model import (DETRACTOR_HEADING, PROMOTER_HEADING, TRUST_HEADING, WARN, ActionLine, Caveat, Change,
                              FollowUp, Pack, Quote, Section, Theme, ThemeMove, checks_words, no_caveat_words,
                              severity_word)

Block = dict[str, Any]
ChartRenderer = Callable[[Sequence[dict[str, Any]], str], list[bytes]]

CHART_FONT = "Libertinus Serif"
SIGNIFICANT = "●"
MARKERS = "▲ / ▼"
HIDDEN_TEXT = "Hidden by the anonymity rule: too few respondents to show this group."
NO_COMPARISON = "No comparison period."
NO_COMMENTS = "No comments."
NO_DECISIONS = "No decisions recorded at the last meeting."
SUMMARY_HEADING = "Cross-functional summary"
DECISIONS_HEADING = "Decisions of the last meeting"
SECTION_TRUST_HEADING = "How far to trust it"
PROVENANCE_HEADING = "Provenance"
TEXT_WIDTH_PT = 595.28 - 2 * 51.02  # A4 less the template's margins (1.8 cm each side)
# A breakdown's labels (up to 180 px) and markers sit beside its plot: a narrower plot keeps its text readable.
BREAKDOWN_WIDTH = 400
TREND_HEIGHT = 170  # the plots a little lower than on screen: a section's charts share its first page
DISTRIBUTION_HEIGHT = 140
PT_PER_PX = 0.75  # a chart's pixels on paper (10 px labels become 7.5 pt); a wider chart is shrunk to the text width

TEMPLATE = r"""
#let d = json("pack.json")
#set document(title: d.title, author: "Passaparola",
  date: datetime(year: d.date.at(0), month: d.date.at(1), day: d.date.at(2),
                 hour: d.date.at(3), minute: d.date.at(4), second: d.date.at(5)))
#set text(font: ("Libertinus Serif", "DejaVu Sans Mono"), size: 10pt, lang: "en", hyphenate: false)
#set smartquote(enabled: false)
#set par(justify: false)

// A string as text; a word wider than the space it has may break between any two characters
// (Typst breaks lines at spaces only: a long e-mail or code would run over its column or off the page).
// Words of up to 12 characters fit any column here: those strings skip the measuring.
#let fit(s) = if s.split(" ").all(w => w.clusters().len() <= 12) { s } else {
  layout(size => s.split(" ").map(w => if measure(text(w)).width > size.width {
    w.clusters().join(sym.zws) } else { w }).join(" ")) }

#set page(paper: "a4", margin: (left: 1.8cm, right: 1.8cm, top: 1.6cm, bottom: 2.4cm),
  footer-descent: 30%,
  footer: context {
    set text(size: 7pt, fill: luma(80))
    line(length: 100%, stroke: 0.4pt + luma(170))
    v(-0.4em)
    grid(columns: (1fr, auto), column-gutter: 1.2em,
      fit(d.footer),
      [page #counter(page).display() of #counter(page).final().first()])
  })
#let body-of(it) = if it.body.has("text") { fit(it.body.text) } else { it.body }
#show heading.where(level: 1): it => block(above: 1.6em, below: 0.9em, text(size: 17pt, body-of(it)))
#show heading.where(level: 2): it => block(above: 1.2em, below: 0.6em, text(size: 12pt, weight: "bold", body-of(it)))
#set table(stroke: 0.4pt + luma(190), inset: (x: 4pt, y: 3pt))

#let show-block(b) = {
  let t = b.at("t")
  if t == "h1" {
    if b.at("page", default: true) { pagebreak(weak: true) }
    heading(level: 1, outlined: true, b.text)
  } else if t == "h2" {
    heading(level: 2, outlined: false, b.text)
  } else if t == "p" {
    let s = b.at("style", default: "")
    if s == "muted" { block(text(fill: luma(90), style: "italic", fit(b.text))) }
    else if s == "strong" { block(text(weight: "bold", fit(b.text))) }
    else { block(fit(b.text)) }
  } else if t == "list" {
    list(..b.items.map(fit))
  } else if t == "cards" {
    grid(columns: (1fr,) * b.items.len(), column-gutter: 8pt,
      ..b.items.map(c => block(width: 100%, inset: 7pt, radius: 3pt, fill: luma(244), stroke: 0.4pt + luma(200), {
        text(size: 8pt, fill: luma(70), c.at(0))
        linebreak()
        text(size: 16pt, weight: "bold", c.at(1))
        for line in c.at(2) { linebreak(); text(size: 8pt, line) }
      })))
  } else if t == "table" {
    table(columns: b.columns.map(c => if c == 0 { auto } else { c * 1fr }),
      align: b.align.map(a => if a == "r" { right } else if a == "c" { center } else { left }),
      table.header(..b.header.map(h => text(weight: "bold", size: 9pt, h))),
      ..b.rows.flatten().map(v => text(size: 9pt, fit(v))))
  } else if t == "quotes" {
    for q in b.items {
      block(inset: (left: 8pt), stroke: (left: 1.5pt + luma(170)), breakable: true,
        grid(columns: (auto, 1fr), column-gutter: 0.6em, text(weight: "bold", q.at(0)), fit(q.at(1))))
    }
  } else if t == "entry" {
    block(breakable: false, below: 0.9em, {
      block(below: 0.4em, text(weight: "bold", fit(b.title)))
      for line in b.lines { block(above: 0.3em, below: 0.3em, text(size: 9pt, fit(line))) }
    })
  } else if t == "caveat" {
    let warn = b.severity == "warn"
    block(breakable: false, below: 0.9em, inset: (left: 8pt, y: 2pt),
      stroke: (left: 2pt + if warn { rgb("#b02418") } else { luma(170) }), {
        block(below: 0.45em, text(weight: "bold", fill: if warn { rgb("#b02418") } else { luma(70) },
          fit(b.label + " · " + b.title)))
        block(above: 0.45em, fit(b.text))
      })
  } else if t == "image" {
    align(center, image(b.file, width: b.width * 100%))
  }
}

#block(above: 3cm, text(size: 24pt, weight: "bold", fit(d.title)))
#block(text(size: 13pt, fill: luma(60), fit(d.subtitle)))
#v(1.2cm)
#block(below: 0.9em, text(size: 17pt, "Contents"))
#outline(title: none, depth: 1)
#for b in d.blocks { show-block(b) }
"""


def _p(text: str, style: str = "") -> Block:
    return {"t": "p", "text": text, "style": style}


def _h1(text: str) -> Block:
    return {"t": "h1", "text": text}


def _h2(text: str) -> Block:
    return {"t": "h2", "text": text}


def _table(header: list[str], rows: list[list[str]], columns: list[float], align: str) -> Block:
    """A table block: ``columns`` 0 for auto, else that many fractions; ``align`` one of l/r/c per column."""
    return {"t": "table", "header": header, "rows": rows, "columns": columns, "align": list(align)}


def _nps(value: float | None) -> str:
    return fmt.points(value)  # as on screen: +12.3, −4.0


def _change_text(change: Change) -> str:
    """``−10.4 (significant)`` / ``+2.2 (noise)``; ``—`` when the change is not known."""
    if change.diff is None:
        return fmt.MISSING
    return f"{fmt.points(change.diff)} ({'significant' if change.significant else 'noise'})"


def _cards(section: Section, level: float) -> list[Block]:
    """The scorecard: NPS with interval and n, the change vs the comparison period, target and gap, the shares."""
    fig = section.figure
    low = ["fewer responses than the rule for a reliable NPS"] if fig.low_n else []
    nps_card = ["NPS", _nps(fig.nps),
                [fmt.interval(fig.ci_low, fig.ci_high, level=level), f"n {fmt.count(fig.n)}", *low]]
    change = section.change
    if change is None:
        change_card = ["Change vs previous period", fmt.MISSING, [NO_COMPARISON]]
    else:
        change_card = ["Change vs previous period", _change_text(change),
                       [f"previous {_nps(change.previous_nps)} (n {fmt.count(change.previous_n)})",
                        fmt.interval(change.ci_low, change.ci_high, level=level)]]
    target_card = ["Target", _nps(section.target) if section.target is not None else "none",
                   [f"gap {fmt.points(section.gap)}"] if section.target is not None else ["no target set"]]
    shares = (f"Promoters {fmt.share(fig.promoters)} · passives {fmt.share(fig.passives)} · "
              f"detractors {fmt.share(fig.detractors)}")
    return [{"t": "cards", "items": [nps_card, change_card, target_card]}, _p(shares)]


def _theme_rows(themes: Sequence[Theme]) -> list[list[str]]:
    return [[t.name, fmt.share(t.share), fmt.count(t.mentions), fmt.points(t.impact),
             fmt.points_range(t.impact_low, t.impact_high), SIGNIFICANT if t.significant else ""] for t in themes]


def _themes(heading: str, themes: Sequence[Theme], level: float) -> list[Block]:
    out: list[Block] = [_h2(f"{heading}: themes")]
    if not themes:
        return [*out, _p(NO_COMMENTS, "muted")]
    return [*out, _table(["Theme", "Share", "Mentions", "Impact", f"{fmt.level(level)} interval", "Significant"],
                         _theme_rows(themes), [3, 0, 0, 0, 0, 0], "lrrrrc")]


def _moved(moves: Sequence[ThemeMove], level: float) -> list[Block]:
    """The detractors' themes that moved most since the comparison period (none: nothing shown)."""
    if not moves:
        return []
    rows = [[m.name, f"{fmt.share(m.before)} (n {fmt.count(m.n_before)})", f"{fmt.share(m.since)} (n {fmt.count(m.n_since)})",
             fmt.points(m.change), fmt.points_range(m.ci_low, m.ci_high), SIGNIFICANT if m.significant else ""]
            for m in moves]
    return [_h2("Detractors' themes that moved"),
            _table(["Theme", "Before", "Since", "Change (pts)", f"{fmt.level(level)} interval", "Significant"],
                   rows, [3, 0, 0, 0, 0, 0], "lrrrrc"),
            _p(f"{SIGNIFICANT} significant after Benjamini–Hochberg control across the themes; shares of detractors' "
               "comments that mention the theme.", "muted")]


def _quotes(heading: str, quotes: Sequence[Quote]) -> list[Block]:
    out: list[Block] = [_h2(f"{heading}: verbatims")]
    if not quotes:
        return [*out, _p(NO_COMMENTS, "muted")]
    return [*out, {"t": "quotes", "items": [[f"{q.score}/10", q.text] for q in quotes]}]


def _followup(followup: FollowUp | None) -> list[Block]:
    out: list[Block] = [_h2("Follow-up")]
    if followup is None:
        return [*out, _p("No follow-up data for this section.", "muted")]
    hours = followup.first_contact_hours_median
    kpis = [["Detractors", fmt.count(followup.detractors)], ["Cases opened", fmt.count(followup.cases_opened)],
            ["Contacted in time", fmt.MISSING if followup.contacted_in_time_pct is None
             else f"{followup.contacted_in_time_pct:.1f}%"],
            ["First contact, median", fmt.MISSING if hours is None else f"{hours:.1f} h"],
            ["Overdue", fmt.count(followup.overdue)], ["Escalations", fmt.count(followup.escalations)],
            ["Recovered (contacted)", fmt.share(followup.recovery_rate)],
            ["Recovered (not contacted)", fmt.share(followup.recovery_rate_not_contacted)]]
    out.append(_table([k for k, _ in kpis[:4]], [[v for _, v in kpis[:4]]], [1, 1, 1, 1], "rrrr"))
    out.append(_table([k for k, _ in kpis[4:]], [[v for _, v in kpis[4:]]], [1, 1, 1, 1], "rrrr"))
    if followup.overdue_cases:
        out.append(_p("Overdue cases", "strong"))
        out.append(_table(["Case", "Owner", "Due", "Priority"],
                          [[f"#{case}", owner or "unassigned", due, priority]
                           for case, owner, due, priority in followup.overdue_cases], [0, 2, 0, 0], "rlll"))
    else:
        out.append(_p("No overdue cases.", "muted"))
    return out


def _with_n(value: float | None, n: int) -> str:
    return fmt.MISSING if value is None and not n else f"{_nps(value)} (n {fmt.count(n)})"


def _actions(actions: Sequence[ActionLine]) -> list[Block]:
    out: list[Block] = [_h2("Open actions")]
    if not actions:
        return [*out, _p("No open actions.", "muted")]
    for a in actions:
        due = f"due {a.due}" + (" (overdue)" if a.overdue else "")
        lines = [f"Owner: {a.owner or 'unassigned'} · {due} · {a.status}",
                 f"NPS before: {_with_n(a.nps_before, a.n_before)} · since: {_with_n(a.nps_since, a.n_since)}"]
        if a.verdict:
            lines.append(a.verdict)
        out.append({"t": "entry", "title": f"#{a.id}  {a.title}", "lines": lines})
    return out


class _Charts:
    """The specs collected while the blocks are built, each given a generated file name."""

    def __init__(self) -> None:
        self.specs: list[dict[str, Any]] = []

    def add(self, spec: dict[str, Any], *, width: int | None = None, height: int | None = None) -> Block:
        """Keep ``spec`` (in the text font, its plot narrowed to ``width`` and ``height`` px when given) and return
        its image block."""
        spec = copy.deepcopy(spec)
        if width is not None:
            spec["width"] = min(int(spec.get("width", width)), width)
        if height is not None:
            spec["height"] = min(int(spec.get("height", height)), height)
        config = spec.setdefault("config", {})
        config["font"] = CHART_FONT
        self.specs.append(spec)
        return {"t": "image", "file": f"chart-{len(self.specs)}.svg", "width": 1.0}


def _section(section: Section, level: float, charts: _Charts) -> list[Block]:
    out: list[Block] = [_h1(section.title)]
    if section.figure.suppressed:
        return [*out, _p(HIDDEN_TEXT, "muted")]
    out.extend(_cards(section, level))
    if section.caveats:
        out += [_h2(SECTION_TRUST_HEADING), *[_caveat(c) for c in section.caveats]]
    specs = figures.section_specs(section, level)
    out.append(_h2("Trend"))
    out.append(charts.add(specs["trend"], height=TREND_HEIGHT) if "trend" in specs
               else _p("No trend for this period.", "muted"))
    out.append(_h2("Scores 0–10"))
    out.append(charts.add(specs["distribution"], height=DISTRIBUTION_HEIGHT) if "distribution" in specs
               else _p("No responses.", "muted"))
    if section.breakdown is not None:
        out.append(_h2(f"By {section.breakdown.label.lower()}"))
        if "breakdown" in specs:
            out.append(charts.add(specs["breakdown"], width=BREAKDOWN_WIDTH))
            out.append(_table([section.breakdown.label, "NPS", f"{fmt.level(level)} interval", "n", "vs the rest"],
                              [[b.value, _nps(b.nps), fmt.points_range(b.ci_low, b.ci_high), fmt.count(b.n),
                                b.marker + (" (low n)" if b.low_n else "")] for b in section.breakdown.bars],
                              [3, 0, 0, 0, 0], "lrrrc"))
            note = section.breakdown.note.removeprefix(f"{MARKERS}: ")  # the builder's note names the markers too
            out.append(_p(f"{MARKERS}: significantly above / below the rest of the section"
                          + (f". {note}" if note else " (after multiplicity control across the values)."), "muted"))
        else:
            out.append(_p("No values to break down.", "muted"))
            if section.breakdown.note:
                out.append(_p(section.breakdown.note, "muted"))
    out.append(_h2("Why the NPS moved"))
    if section.movement is None:
        out.append(_p(NO_COMPARISON if section.change is None else "No breakdown of the change.", "muted"))
    else:
        if "movement" in specs:
            out.append(charts.add(specs["movement"]))
        out.append(_p(section.movement.sentence))
        if section.movement.segments:
            out.append({"t": "list", "items": [f"{name}: {fmt.points(points)} points"
                                               for name, points in section.movement.segments]})
    out += _themes(DETRACTOR_HEADING, section.detractor_themes, level)
    out += _themes(PROMOTER_HEADING, section.promoter_themes, level)
    out += _moved(section.moved_themes, level)
    out += _quotes(DETRACTOR_HEADING, section.detractor_quotes)
    out += _quotes(PROMOTER_HEADING, section.promoter_quotes)
    out += _followup(section.followup)
    out += _actions(section.actions)
    if section.notes:
        out += [_h2("Notes"), {"t": "list", "items": list(section.notes)}]
    return out


def _summary(pack: Pack, charts: _Charts) -> list[Block]:
    level = pack.level
    out: list[Block] = [_h1(SUMMARY_HEADING), *_cards(pack.summary, level)]
    if not pack.sections:
        out.append(_p("No sections: the pack covers the whole selection.", "muted"))
    else:
        spec = figures.summary_spec(pack)
        out.append(_h2(f"NPS by {(pack.dimension_label or 'section').lower()}"))
        out.append(charts.add(spec) if spec is not None else _p("No section has an NPS to show.", "muted"))
    rows: list[list[str]] = []
    for s in pack.sections:
        if s.figure.suppressed:
            rows.append([s.title, "hidden", fmt.MISSING, fmt.MISSING, fmt.MISSING, fmt.MISSING, fmt.MISSING])
            continue
        change = s.change
        diff = fmt.MISSING if change is None else fmt.points(change.diff)
        if change is not None and change.significant and change.diff is not None:
            diff += f" {SIGNIFICANT}"
        rows.append([s.title, _nps(s.figure.nps), fmt.points_range(s.figure.ci_low, s.figure.ci_high),
                     fmt.count(s.figure.n) + (" (low n)" if s.figure.low_n else ""), diff,
                     _nps(s.target) if s.target is not None else fmt.MISSING,
                     fmt.points(s.gap)])
    if rows:
        out.append(_table([pack.dimension_label or "Section", "NPS", f"{fmt.level(level)} interval", "n", "Change",
                           "Target", "Gap"], rows, [3, 0, 0, 0, 0, 0, 0], "lrrrrrr"))
        out.append(_p(f"{SIGNIFICANT} significant change. {pack.family}", "muted"))
    specs = figures.section_specs(pack.summary, level)
    if "trend" in specs:
        out += [_h2("Trend"), charts.add(specs["trend"], height=TREND_HEIGHT)]
    if "distribution" in specs:
        out += [_h2("Scores 0–10"), charts.add(specs["distribution"], height=DISTRIBUTION_HEIGHT)]
    if pack.notes or pack.summary.notes:
        out += [_h2("Notes"), {"t": "list", "items": [*pack.notes, *pack.summary.notes]}]
    return out


def _caveat(caveat: Caveat) -> Block:
    """One caveat as a block: its severity in words, its title and its sentence (strings: data, never markup)."""
    return {"t": "caveat", "severity": "warn" if caveat.severity == WARN else "info", "label": severity_word(caveat),
            "title": caveat.title, "text": caveat.sentence}


def _trust(pack: Pack) -> list[Block]:
    """How far to trust these numbers: the caveats (warnings first), then what was and was not checked; without
    caveats, one line saying what was checked and found nothing."""
    out: list[Block] = [_h1(TRUST_HEADING)]
    checked, not_checked = checks_words(pack)
    if pack.caveats:
        out += [_caveat(c) for c in pack.caveats]
    else:
        out.append(_p(no_caveat_words(pack)))
        checked = ""
    out += [_p(line, "muted") for line in (checked, not_checked) if line]
    return out


def _decisions(pack: Pack) -> list[Block]:
    out: list[Block] = [{"t": "h1", "text": DECISIONS_HEADING, "page": False}]
    if not pack.decisions:
        return [*out, _p(NO_DECISIONS, "muted")]
    rows = [[d.meeting_date.isoformat(), d.kind.capitalize(), d.text, d.author or fmt.MISSING] for d in pack.decisions]
    return [*out, _table(["Meeting", "Kind", "Text", "By"], rows, [0, 0, 4, 0], "llll")]


def _utc(when: dt.datetime) -> dt.datetime:
    """``when`` as an aware UTC time (a naive one is UTC already: the provenance writes it so)."""
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def document(pack: Pack) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The pack as the template's data (JSON-ready, every shown value a string) and the chart specs in file order.

    The data's ``blocks`` lay out the document after the title block; the specs are to be drawn
    as ``chart-1.svg``, ``chart-2.svg`` … in this order.
    """
    charts = _Charts()
    blocks: list[Block] = _summary(pack, charts)
    blocks += _trust(pack)
    blocks += _decisions(pack)
    for section in pack.sections:
        blocks += _section(section, pack.level, charts)
    blocks += [_h1(PROVENANCE_HEADING), {"t": "list", "items": pack.provenance.lines()}]
    when = _utc(pack.provenance.generated_at)
    data = {"title": pack.title, "subtitle": pack.subtitle, "footer": pack.provenance.footer(),
            "date": [when.year, when.month, when.day, when.hour, when.minute, when.second], "blocks": blocks}
    return data, charts.specs


def _svg_width(svg: bytes) -> float | None:
    """The width in pixels of an SVG's root element (vl-convert writes ``width="615"``), None when unreadable."""
    root = svg[:svg.find(b">") + 1] if b">" in svg else b""
    found = re.search(rb'\swidth="([0-9.]+)(px)?"', root)
    return float(found.group(1)) if found else None


def _size_images(blocks: list[Block], images: Sequence[bytes]) -> None:
    """Set each image block's width (a fraction of the text width) from its chart's own width, at one scale."""
    for block in blocks:
        if block["t"] == "image":
            number = int(block["file"].removeprefix("chart-").removesuffix(".svg"))
            width = _svg_width(images[number - 1])
            block["width"] = 1.0 if width is None else round(min(1.0, width * PT_PER_PX / TEXT_WIDTH_PT), 4)


def render_pdf(pack: Pack, *, draw: ChartRenderer = render_specs) -> bytes:
    """The pack as a PDF's bytes: A4 portrait, contents, page numbers, the provenance footer on every page.

    ``draw`` renders the charts' Vega-Lite specs to SVG, all in one call (default
    :func:`nps.charts.render.render_specs`; tests pass a stand-in). Raises
    :class:`nps.charts.render.ChartRenderError` when the charts cannot be drawn and
    ``typst.TypstError`` if typesetting fails.
    """
    data, specs = document(pack)
    images = draw(specs, "svg") if specs else []
    stamp = _utc(pack.provenance.generated_at)
    with tempfile.TemporaryDirectory(prefix="passaparola-pdf-") as folder:
        root = Path(folder)
        for number, image in enumerate(images, start=1):
            (root / f"chart-{number}.svg").write_bytes(image)
        _size_images(data["blocks"], images)
        (root / "pack.json").write_text(json.dumps(strip_unsafe_in(data), ensure_ascii=True, allow_nan=False),
                                        encoding="ascii")
        (root / "main.typ").write_text(TEMPLATE, encoding="utf-8")
        pdf = typst.compile(str(root / "main.typ"), root=str(root), ignore_system_fonts=True, format="pdf",
                            timestamp=stamp)
    return bytes(pdf)
