"""Comments in the browser: hostile verbatims render as inert text; the comment pages render and search."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from nps import ingest, store
from nps.ingest import Overrides
from tests.browser.conftest import Server, assert_no_exception, open_page, screenshot, start_server, wait_idle

HOSTILE = [
    '<script>window.__pwned = 1</script> late delivery, never again',
    '<img src="x" onerror="window.__pwned = 2"> the parcel arrived late',
    "**bold claim** and [a link](http://example.com) about a late delivery",
    "<b>late</b> delivery # not a heading",
    "Call me on +39 333 123 4567 or anna@example.com about the late delivery",
]


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    comments = HOSTILE * 8 + ["Lovely staff, friendly and quick, thank you"] * 20
    scores = [1, 2, 3, 4, 5] * 8 + [10] * 20
    frame = pd.DataFrame({
        "How likely are you to recommend us? (0-10)": scores,
        "Date": pd.date_range("2025-01-01", periods=len(scores), freq="D").strftime("%Y-%m-%d"),
        "Comment": comments,
        "Segment": ["B2C", "B2B"] * (len(scores) // 2),
    })
    con = store.connect(path)
    try:
        ingest.ingest_dataframe(con, frame, name="Hostile comments",
                                overrides=Overrides(comment="Comment", date="Date"))
    finally:
        con.close()
    return path


def test_hostile_comments_render_as_inert_text(tmp_path: Path, hostile_db: Path, page: Page) -> None:
    server = start_server(tmp_path / "hostile", db=hostile_db)
    try:
        query = urllib.parse.urlencode({"ds": "Hostile comments · #1", "period": "All time", "search": "late"})
        open_page(page, f"{server.url}/explorer?{query}", "Comment explorer")
        expect(page.get_by_text("comments match")).to_be_visible(timeout=60_000)  # after the first tagging
        results = page.locator("[data-testid='stHtml']")
        expect(results.first).to_be_visible()
        body = page.locator("[data-testid='stMain']").inner_text()
        assert "<script>window.__pwned = 1</script>" in body
        assert '<img src="x" onerror="window.__pwned = 2">' in body
        assert "**bold claim** and [a link](http://example.com)" in body
        assert "<b>late</b> delivery # not a heading" in body
        assert "[phone]" in body and "[email]" in body and "anna@example.com" not in body
        assert page.evaluate("window.__pwned") is None
        main = page.locator("[data-testid='stMain']")
        assert main.locator("script").count() == 0
        assert main.locator("img[src='x']").count() == 0
        assert main.locator("a[href='http://example.com']").count() == 0
        assert main.locator("b").count() == 0
        assert results.locator("mark").first.inner_text().lower() == "late"
        assert_no_exception(page)
        screenshot(page, "explorer-hostile")
        for slug, title in (("comments", "Comments"), ("review", "Review meeting"), ("responses", "Responses")):
            open_page(page, f"{server.url}/{slug}?{query}", title)
            assert page.evaluate("window.__pwned") is None
            main = page.locator("[data-testid='stMain']")
            assert main.locator("img[src='x']").count() == 0
            assert main.locator("a[href='http://example.com']").count() == 0
            assert_no_exception(page)
    finally:
        server.stop()


@pytest.mark.parametrize(("slug", "title"), [("comments", "Comments"), ("explorer", "Comment explorer"),
                                             ("codebook", "Codebook")])
def test_comment_pages_render(server: Server, page: Page, slug: str, title: str) -> None:
    open_page(page, f"{server.url}/{slug}", title)
    assert_no_exception(page)
    screenshot(page, f"page-{slug}")


def test_explorer_search_highlights_matches_from_a_shared_link(server: Server, page: Page) -> None:
    open_page(page, f"{server.url}/explorer?search=consegna&xcat=Detractor", "Comment explorer")
    marks = page.locator("[data-testid='stHtml'] mark")
    expect(marks.first).to_be_visible()
    assert all(m.lower() == "consegna" for m in marks.all_inner_texts())
    expect(page.locator("[data-testid='stMultiSelect']").filter(has_text="Detractor").first).to_be_visible()
    wait_idle(page)
    screenshot(page, "explorer-search")


def test_upload_a_codebook_see_its_effect_and_save_it(tmp_path: Path, seeded_db: Path, page: Page) -> None:
    from nps import text
    from nps.query import themes
    from nps.store import codebooks, tagging

    book = text.load_codebook()
    edited = text.add_theme(book, "Phone calls", {"it": ["ho chiamato", "chiamare"], "en": ["called", "phone"]})
    upload = tmp_path / "my-codebook.yaml"
    upload.write_text(text.codebook_to_yaml(edited), encoding="utf-8")
    server = start_server(tmp_path / "codebook", db=seeded_db)
    try:
        open_page(page, f"{server.url}/codebook?period=All+time", "Codebook")
        page.locator("input[type='file']").set_input_files(str(upload))
        expect(page.get_by_text("Effect of the changes")).to_be_visible(timeout=60_000)
        wait_idle(page)
        expect(page.get_by_text("Only the themes that change.")).to_be_visible(timeout=60_000)  # tags, then counts
        screenshot(page, "codebook-upload-effect")
        page.get_by_role("button", name="Use this codebook").click()
        expect(page.get_by_text("Saved as version 2: Uploaded my-codebook.yaml")).to_be_visible(timeout=60_000)
        wait_idle(page)
        assert_no_exception(page)
    finally:
        server.stop()
    con = store.connect(server.db)
    try:
        current = codebooks.current_codebook(con)
        assert current.version == edited.version
        ds = store.get_dataset(con, 1)
        tagging.tag_dataset(con, ds, current)  # tagging is its own step (reads never tag)
        preview = themes.theme_summary(con, ds, current).set_index("theme")
        assert preview.loc["Phone calls", "mentions"] > 0
    finally:
        con.close()
