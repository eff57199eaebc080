"""Saving a chart: hostile labels render cleanly, and a renderer that crashes leaves the caller alive."""

from __future__ import annotations

import os
import sys

import altair as alt
import pandas as pd
import pytest

from nps import charts, control_chars
from nps.charts import render

# Every character that made vl-convert abort the process (SIGABRT, exit 134) when it ran in-process.
CRASHING = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x0e", "\x1b", "\x1f", "\ufffe", "\uffff"]


def hostile_chart() -> alt.Chart:
    frame = pd.DataFrame({"segment": ["B2B\x1b[31m", "B2C\x00", "Partners\x07\ufffe"], "nps\x0c": [1.0, -5.0, 12.0]})
    return (
        alt.Chart(frame).mark_bar()
        .encode(x=alt.X("nps\x0c:Q", title="NPS\x1f"), y=alt.Y("segment:N", title="Segment\x0b"),
                tooltip=[alt.Tooltip("segment:N", title="Tip\x01")])
        .properties(title=alt.Title("Title\x08", subtitle="sub\x0e"))
    )


@pytest.mark.parametrize("char", CRASHING, ids=[f"U+{ord(c):04X}" for c in CRASHING])
def test_each_character_that_crashed_vl_convert_is_cleaned(char: str) -> None:
    assert control_chars.strip_unsafe(f"a{char}b") == "a\ufffdb"


def test_tab_line_breaks_and_ordinary_text_are_kept() -> None:
    assert control_chars.strip_unsafe("a\tb\nc\rd é € 😀") == "a\tb\nc\rd é € 😀"


def test_every_string_of_a_spec_is_cleaned_keys_included() -> None:
    spec = {"title": "T\x1b", "data": {"values": [{"seg\x00": "B\x07", "n": 3, "ok": None}]},
            "encoding": {"y": {"field": "seg\x00"}}, "layer": [{"mark": "bar\x1f"}], "flag": True}
    assert control_chars.strip_unsafe_in(spec) == {
        "title": "T\ufffd", "data": {"values": [{"seg\ufffd": "B\ufffd", "n": 3, "ok": None}]},
        "encoding": {"y": {"field": "seg\ufffd"}}, "layer": [{"mark": "bar\ufffd"}], "flag": True}


def test_a_chart_whose_labels_crashed_vl_convert_saves_as_svg_and_png() -> None:
    svg = charts.export_chart(hostile_chart(), "svg").decode("utf-8")
    assert svg.startswith("<svg")
    assert "B2B\ufffd[31m" in svg and "Partners\ufffd\ufffd" in svg and "Title\ufffd" in svg
    assert not control_chars.has_unsafe(svg)
    png = charts.export_chart(hostile_chart(), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_renderer_that_crashes_raises_an_error_and_the_caller_lives_on() -> None:
    pid = os.getpid()
    aborting = [sys.executable, "-c", "import os, sys; sys.stdin.read(); os.abort()"]
    with pytest.raises(render.ChartRenderError,
                       match=r"^the chart could not be rendered as SVG: the renderer crashed \(SIGABRT\)$"):
        render.render_spec(hostile_chart().to_dict(), "svg", command=aborting)
    assert os.getpid() == pid
    # The same process still renders the next chart.
    assert render.render_spec(hostile_chart().to_dict(), "png")[:4] == b"\x89PNG"


def test_a_renderer_that_fails_gives_its_last_error_line() -> None:
    failing = [sys.executable, "-c", "raise ValueError('no such mark \\x1b[31m')"]
    with pytest.raises(render.ChartRenderError,
                       match=r"^the chart could not be rendered as PNG: ValueError: no such mark \\x1b\[31m$"):
        render.render_spec({"mark": "bar"}, "png", command=failing)


def test_a_renderer_that_hangs_is_stopped() -> None:
    hanging = [sys.executable, "-c", "import time\nwhile True: time.sleep(1)"]
    with pytest.raises(render.ChartRenderError, match="took longer than 0.5 s"):
        render.render_spec({"mark": "bar"}, "svg", command=hanging, timeout=0.5)


def test_an_unknown_format_is_refused_before_any_child_starts() -> None:
    with pytest.raises(ValueError, match="unknown image format 'gif'"):
        render.render_spec({"mark": "bar"}, "gif", command=["/nonexistent"])
