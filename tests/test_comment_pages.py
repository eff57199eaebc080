"""The comment pages under AppTest on the sample: Comments, Comment explorer, Codebook, and themes in the review."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from nps import store
from nps import text
from nps.query import clusters as query_clusters
from nps.query import explorer, themes
from nps.store import codebooks
from nps.query.options import Options
from tests.factories import default_filter


def _open(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _engine_summary(db: Path) -> object:
    flt, _ = default_filter(db)
    con = store.connect(db)
    try:
        ds = store.get_dataset(con, 1)
        return themes.theme_summary(con, ds, codebooks.current_codebook(con), flt, Options())
    finally:
        con.close()


def test_comments_page_shows_the_engines_theme_table(at: AppTest, db: Path) -> None:
    _open(at, "pages/comments.py")
    expected = _engine_summary(db)
    table = at.dataframe[0].value
    assert list(table["theme"]) == list(expected["theme"])
    assert list(table["mentions"]) == list(expected["mentions"])
    assert table["impact"].round(6).tolist() == expected["impact"].round(6).tolist()
    assert [s.value for s in at.subheader][:2] == ["Themes", "Themes over time"]


def test_comments_page_groups_the_uncovered_comments_on_demand(at: AppTest, db: Path) -> None:
    """Grouping is off on a first visit (it was a third of its time) and shows the engine's clusters when asked."""
    _open(at, "pages/comments.py")
    assert at.toggle(key="clusters_on").value is False
    assert not [w for w in at.text_input if str(w.key).startswith("cluster_name_")]
    at.toggle(key="clusters_on").set_value(True).run()
    assert not at.exception, at.exception
    flt, _ = default_filter(db)
    con = store.connect(db)
    try:
        expected = query_clusters.uncovered_clusters(con, store.get_dataset(con, 1), codebooks.current_codebook(con), flt)
    finally:
        con.close()
    assert expected
    shown = [m.value for m in at.markdown if " comments" in m.value and m.value.startswith("**")]
    assert len(shown) == len(expected) == len([w for w in at.text_input if str(w.key).startswith("cluster_name_")])
    assert all(f"· {c.size:,} comments" in line for c, line in zip(expected, shown, strict=True))


def test_explorer_searches_like_the_engine_and_shows_comments_as_inert_text(at: AppTest, db: Path) -> None:
    _open(at, "pages/explorer.py")
    at.text_input(key="search").input("consegna").run()
    assert not at.exception
    flt, _ = default_filter(db)
    con = store.connect(db)
    try:
        ds = store.get_dataset(con, 1)
        found = explorer.search_comments(con, ds, codebooks.current_codebook(con), flt,
                                         explorer.Search(query="consegna"))
    finally:
        con.close()
    assert found.total > 0
    assert any(f"**{found.total:,}** comments match" in c.value for c in at.caption)
    bodies = [h.proto.body for h in at.get("html")]
    assert bodies and all("<mark>" in b.lower() or "consegna" not in b.lower() for b in bodies)
    assert all("<script" not in b for b in bodies)


def test_explorer_filters_by_category_and_theme(at: AppTest, db: Path) -> None:
    _open(at, "pages/explorer.py")
    at.multiselect(key="xcat").select("detractor").run()
    at.multiselect(key="theme").select("Delivery & shipping").run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "Delivery & shipping" in captions
    assert "promoter" not in " ".join(c.value for c in at.caption if c.value.startswith("**"))


def test_codebook_merge_saves_a_new_version_and_restore_goes_back(at: AppTest, db: Path) -> None:
    _open(at, "pages/codebook.py")
    at.multiselect(key="merge_sources").select("Waiting time").select("Reliability & outages").run()
    at.text_input(key="merge_into").input("Waiting and outages").run()
    next(b for b in at.button if b.label == "Merge").click().run()
    assert not at.exception
    con = store.connect(db)
    try:
        history = codebooks.codebook_history(con)
        assert len(history) == 2
        merged = codebooks.current_codebook(con)
    finally:
        con.close()
    assert "Waiting and outages" in merged.themes and "Waiting time" not in merged.themes
    at.selectbox(key="restore_number").select(1).run()
    next(b for b in at.button if b.label == "Restore").click().run()
    assert not at.exception
    con = store.connect(db)
    try:
        assert "Waiting time" in codebooks.current_codebook(con).themes
        assert len(codebooks.codebook_history(con)) == 3
    finally:
        con.close()


def test_review_meeting_names_each_functions_top_themes(at: AppTest) -> None:
    _open(at, "pages/review.py")
    tops = [c.value for c in at.caption if c.value.startswith("Top themes:")]
    assert tops, "the review page shows top themes per function"
    assert any("Delivery" in t for t in tops)


def test_codebook_page_reads_a_theme_in_full(at: AppTest) -> None:
    # The grid cuts long word lists at 1280 px; the expander shows one theme's words whole, as plain text.
    _open(at, "pages/codebook.py")
    book = text.load_codebook()
    at.selectbox(key="codebook_read").set_value("Billing & invoices").run()
    assert not at.exception
    shown = [t.value for t in at.text]
    for lang, terms in book.themes["Billing & invoices"].items():
        assert f"{lang}: {', '.join(terms)}" in shown
