"""Numbers in words, literally."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from types import SimpleNamespace

from nps.narrative import describe_change, describe_shift_share


def test_describe_change_says_real_or_noise() -> None:
    assert describe_change(5.04, 0.0123, True, "previous period") == \
        "+5.0 points vs the previous period: a real change (p = 0.012)."
    assert describe_change(-2.0, 0.41, False, "previous period") == \
        "\u22122.0 points vs the previous period: within the noise (p = 0.41)."
    assert describe_change(math.nan, math.nan, False, "previous period") == \
        "No comparison: no responses in the previous period."


def test_describe_shift_share_names_the_mix_driver() -> None:
    segments = pd.DataFrame({"segment": ["B2B", "B2C"], "w_prev": [0.6, 0.4], "w_cur": [0.42, 0.58],
                             "nps_cur": [30.0, -3.0]})
    parts = SimpleNamespace(total=-5.0, within=-0.4, mix=-4.0, interaction=-0.6, segments=segments)
    assert describe_shift_share(parts, "segment") == (
        "NPS fell 5.0 points vs the comparison period: \u22120.4 from changes within each segment and "
        "\u22124.6 from the segment mix. Mostly the mix: the share of B2C rose 18.0 points (its NPS \u22123.0) "
        "and the share of B2B fell 18.0 points (its NPS +30.0)."
    )


def test_describe_shift_share_within_and_nothing() -> None:
    parts = SimpleNamespace(total=6.0, within=5.5, mix=0.3, interaction=0.2, segments=None)
    assert describe_shift_share(parts, "region", against="previous period") == (
        "NPS rose 6.0 points vs the previous period: +5.5 from changes within each region and +0.5 from the "
        "region mix. Mostly real change within the region groups, not a change of who answered."
    )
    empty = SimpleNamespace(total=math.nan, within=math.nan, mix=math.nan, interaction=math.nan, segments=None)
    assert describe_shift_share(empty, "region").startswith("No comparison period")


@pytest.mark.parametrize(
    ("column", "labels", "title", "in_sentence"),
    [
        ("business_function", None, "Business function", "business function"),
        ("region", {}, "Region", "region"),
        ("SURVEY_SUB_TYPE", None, "Survey sub type", "survey sub type"),
        ("plan-tier", None, "Plan tier", "plan tier"),
        ("NPS score", None, "NPS score", "NPS score"),
        ("REGION", None, "Region", "region"),
        ("Q7", {"Q7": "How did we do?"}, "How did we do?", "How did we do?"),
        ("Q7", {"Q7": "  "}, "Q7", "Q7"),
    ],
)
def test_column_labels_are_readable(column: str, labels: dict[str, str] | None, title: str, in_sentence: str) -> None:
    from nps.narrative import column_label

    assert column_label(column, labels) == title
    assert column_label(column, labels, in_sentence=True) == in_sentence


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("[click](http://evil)", r"\[click\]\(http\://evil\)"),
        ("www.evil.com or me@evil.com", r"www\.evil\.com or me\@evil\.com"),  # GFM autolinks
        ("**b** <b>h</b> ~~s~~", r"\*\*b\*\* \<b\>h\</b\> \~\~s\~\~"),
        ("$x^2$ :red[r] :material/home:", r"\$x\^2\$ \:red\[r\] \:material/home\:"),  # LaTeX, directives
        ("&amp; &#60; a\\b & c", r"\&amp; \&\#60; a\\b & c"),  # entities (a lone & is text), backslashes
        ("# title\n\n- item\r\n1. one", r"\# title \- item 1\. one"),  # a label is one line, no block starts
        ('Region / Area, a"b, a\'b', 'Region / Area, a"b, a\'b'),  # nothing to escape
    ],
)
def test_user_text_is_escaped_for_streamlit_markdown(text: str, escaped: str) -> None:
    from face.widgets import md as escape_markdown

    assert escape_markdown(text) == escaped


def test_columns_that_would_read_the_same_are_told_apart_by_their_names() -> None:
    from nps.narrative import column_label

    columns = ["Region_Area", "Region-Area", "segment"]
    assert [column_label(c, among=columns) for c in columns] == [
        "Region Area (Region_Area)", "Region Area (Region-Area)", "Segment"]
    assert column_label("Region-Area", in_sentence=True, among=columns) == "region Area (Region-Area)"
    assert column_label("Region-Area") == "Region Area"  # alone, as before
