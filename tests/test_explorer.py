"""The comment explorer: search terms, highlighting, filters by theme, language and category, paging."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from nps import export
from nps.query import explorer
from face.text import highlight_html
from nps.query.explorer import NO_THEME, Search, search_comments
from nps.text import highlight, parse_query
from nps.query.filters import Filter
from nps.text import load_codebook
from tests.factories import make_dataset

# These tests are about what the reads compute; tagging, the explicit step before them, is the
# tag_on_read fixture's (tests/conftest.py) and test_reads_never_tag's.
pytestmark = pytest.mark.usefixtures("tag_on_read")

CODEBOOK = load_codebook()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ()),
        (None, ()),
        ("Città", ("citta",)),
        ('late  "ON   hold" late', ("late", "on hold")),
        ("Reçu, colis", ("recu,", "colis")),
        ('"" C++', ("c++",)),
    ],
)
def test_parse_query(query, expected) -> None:
    assert parse_query(query) == expected


def test_too_many_terms_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 10"):
        parse_query(" ".join(f"w{i}" for i in range(11)))


@pytest.mark.parametrize(
    ("value", "terms", "expected"),
    [
        ("La Città è bella", ("citta",), [("La ", False), ("Città", True), (" è bella", False)]),
        ("DELIVERY delivered", ("deliver",), [("DELIVER", True), ("Y ", False), ("deliver", True), ("ed", False)]),
        ("aaa", ("aa",), [("aaa", True)]),
        ("no match", ("zzz",), [("no match", False)]),
        ("", ("a",), []),
        ("ﬁne straße", ("fine",), [("ﬁne", True), (" straße", False)]),
    ],
)
def test_highlight_marks_folded_matches_in_the_original_text(value, terms, expected) -> None:
    assert highlight(value, terms) == expected
    assert "".join(p for p, _ in highlight(value, terms)) == value


def test_highlight_html_is_inert() -> None:
    value = '<script>alert("x")</script> **bold** <b>late</b> & [link](http://x)'
    out = highlight_html(value, ("late",))
    assert out == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; **bold** &lt;b&gt;<mark>late</mark>&lt;/b&gt; "
        "&amp; [link](http://x)"
    )


@pytest.fixture
def comments(con):
    rows = [
        (1, "2025-01-05", "Il pacco non è mai arrivato, chiamate al 333 123 4567", "B2C"),
        (2, "2025-01-06", "Consegna in ritardo, città sbagliata", "B2B"),
        (0, "2025-01-07", "My parcel arrived late and the courier was rude", "B2C"),
        (10, "2025-01-08", "Personale gentilissimo e competente", "B2B"),
        (9, "2025-01-09", "The staff were friendly, write to anna@example.com", "B2C"),
        (8, "2025-01-10", "Nothing to add here really", "B2B"),
        (9, "2025-01-11", None, "B2C"),
    ]
    frame = pd.DataFrame(rows, columns=["score", "date", "comment", "segment"])
    return make_dataset(con, frame, comment="comment", date="date", dimensions=["segment"])


def test_search_finds_words_case_and_accent_insensitively(con, comments) -> None:
    found = search_comments(con, comments, CODEBOOK, search=Search(query="CITTA"))
    assert found.total == 1
    assert list(found.rows["comment"]) == ["Consegna in ritardo, città sbagliata"]
    assert found.terms == ("citta",)


def test_every_term_must_appear(con, comments) -> None:
    found = search_comments(con, comments, CODEBOOK, search=Search(query='parcel "arrived late"'))
    assert list(found.rows["score"]) == [0]
    assert search_comments(con, comments, CODEBOOK, search=Search(query='parcel "late arrived"')).total == 0


def test_columns_and_masking(con, comments) -> None:
    found = search_comments(con, comments, CODEBOOK, order="oldest")
    assert found.total == 6  # the blank comment is not a comment
    assert list(found.rows.columns) == ["row", "date", "score", "category", "comment", "language", "themes", "segment"]
    first = found.rows.iloc[0]
    assert first["comment"] == "Il pacco non è mai arrivato, chiamate al [phone]"
    assert first["themes"] == "Customer service & support, Delivery & shipping"
    assert first["language"] == "it"
    assert first["segment"] == "B2C"
    assert first["date"] == pd.Timestamp("2025-01-05")
    assert found.rows.iloc[4]["comment"] == "The staff were friendly, write to [email]"
    unmasked = search_comments(con, comments, CODEBOOK, order="oldest", mask=False)
    assert unmasked.rows.iloc[4]["comment"] == "The staff were friendly, write to anna@example.com"


def test_theme_language_and_category_filters(con, comments) -> None:
    def scores(search: Search) -> list[int]:
        return list(search_comments(con, comments, CODEBOOK, search=search, order="oldest").rows["score"])

    assert scores(Search(themes=("Delivery & shipping",))) == [1, 2, 0]
    assert scores(Search(themes=(NO_THEME,))) == [8]
    assert scores(Search(themes=("Staff friendliness & competence", NO_THEME))) == [0, 10, 9, 8]
    assert scores(Search(languages=("it",))) == [1, 2, 10]
    assert scores(Search(categories=("promoter",))) == [10, 9]
    assert scores(Search(query="late", categories=("detractor",), languages=("en",))) == [0]


def test_sidebar_filter_applies(con, comments) -> None:
    flt = Filter.build(include={"segment": ["B2B"]}, since=dt.date(2025, 1, 6), until=dt.date(2025, 1, 8))
    found = search_comments(con, comments, CODEBOOK, flt, order="oldest")
    assert list(found.rows["score"]) == [2, 10]


def test_paging_and_orders(con, comments) -> None:
    first = search_comments(con, comments, CODEBOOK, page=1, page_size=4, order="lowest score")
    second = search_comments(con, comments, CODEBOOK, page=2, page_size=4, order="lowest score")
    assert (first.total, first.pages) == (6, 2)
    assert list(first.rows["score"]) == [0, 1, 2, 8]
    assert list(second.rows["score"]) == [9, 10]
    beyond = search_comments(con, comments, CODEBOOK, page=9, page_size=4)
    assert beyond.page == 2
    with pytest.raises(ValueError, match="unknown order"):
        search_comments(con, comments, CODEBOOK, order="random")
    with pytest.raises(ValueError, match="a page holds"):
        search_comments(con, comments, CODEBOOK, page_size=0)


def test_export_neutralises_formulas_and_masks(con) -> None:
    frame = pd.DataFrame({"score": [0, 10], "comment": ["=HYPERLINK(\"http://x\") call +39 06 1234 5678", "ok fine good"]})
    ds = make_dataset(con, frame, comment="comment")
    rows = explorer.export_comments(con, ds, CODEBOOK, order="lowest score")
    assert rows.iloc[0]["comment"] == "=HYPERLINK(\"http://x\") call [phone]"
    csv = export.to_csv_bytes(rows).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv


def test_segment_and_function_are_shown_first() -> None:
    dims = ["channel", "language", "segment", "plan", "business_function", "touchpoint"]
    assert explorer.display_dimensions(dims) == ["segment", "business_function", "touchpoint"]
    assert explorer.display_dimensions(["Reparto", "Sede"], limit=5) == ["Reparto", "Sede"]
