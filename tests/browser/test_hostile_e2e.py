"""Hostile column names and values in the browser: every page renders them as inert text, charts draw, no error."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from nps.narrative import column_label
from tests.browser.conftest import Server, assert_no_exception, open_page, screenshot, start_server
from tests.hostile import DATASET_NAME, HOSTILE_NAMES, HOSTILE_VALUES, build_hostile_db

PAGES = {"": "Overview", "segments": "Segments & functions", "review": "Review meeting", "responses": "Responses",
         "comments": "Comments", "explorer": "Comment explorer", "codebook": "Codebook",
         "upload": "Upload & datasets"}


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = build_hostile_db(tmp_path_factory.mktemp("hostile-names") / "hostile.duckdb")
    running = start_server(tmp_path_factory.mktemp("hostile-server"), db=db)
    yield running
    running.stop()


def assert_inert(page: Page, where: str) -> None:
    """No link, formula, bold or colour made of the data; no exception, error box or JavaScript error."""
    # No link made of the data leads to it (our own page links may carry a value, encoded, in their query).
    hosts = page.eval_on_selector_all("a[href]", "els => els.map(a => new URL(a.href, location.href).hostname)")
    assert [h for h in hosts if "evil" in h] == [], where
    assert page.locator(".katex").count() == 0, where  # "$x^2$" as LaTeX
    bold = {t.strip() for t in page.locator("strong, b, em").all_inner_texts()}
    assert not bold & {"b", "h", "bold", "late", "click"}, where  # "**b**", "<b>h</b>", "[ds](…) **bold**"
    assert page.locator("[data-testid='stAlertContentError']").count() == 0, where
    assert_no_exception(page)


def test_hostile_names_and_values_are_inert_on_every_page(hostile_server: Server, page: Page) -> None:
    # Vega reports a bad field on the console ("Access path missing closing quote: a\"b"), not as a page error.
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" and "Failed to load" not in m.text
            else None)
    query = urllib.parse.urlencode({"period": "All time"})
    sidebar = page.locator("[data-testid='stSidebar']")
    for slug, title in PAGES.items():
        open_page(page, f"{hostile_server.url}/{slug}?{query}", title)
        if slug != "codebook":
            expect(page.get_by_text(DATASET_NAME).first).to_be_attached()  # the dataset's name, as written
        for name in HOSTILE_NAMES:  # the filters' labels, as written
            expect(sidebar.get_by_text(column_label(name), exact=True).first).to_be_attached()
        if slug == "segments":
            buttons = page.locator("[data-testid='stButtonGroup']").filter(has_text="[x](http://evil)")
            for name in HOSTILE_NAMES:
                expect(buttons.get_by_text(column_label(name), exact=True)).to_be_visible()
            # the charts draw their marks (a '"' in a column name left them blank)
            charts = page.locator("[data-testid='stVegaLiteChart']")
            expect(charts.first.locator(".mark-symbol path").first).to_be_attached()
            expect(charts.nth(1).locator(".mark-rect path").first).to_be_attached()
            buttons.get_by_text('A"b', exact=True).click()
            expect(page.get_by_text('NPS by a"b (click a value to filter the app)')).to_be_attached()
            expect(charts.first.locator(".mark-symbol path").first).to_be_attached()
        if slug == "review":
            headings = set(page.locator("[data-testid='stMain'] h3").all_inner_texts())
            assert headings and headings <= set(HOSTILE_VALUES), headings
        assert_inert(page, slug or "overview")
        assert console == [], (slug, console)
        screenshot(page, f"hostile-{slug or 'overview'}")
    # a chosen filter value shows as a tag in its box and in the page's note, as written
    picked = urllib.parse.urlencode({"period": "All time", "f_x_http_evil": "[click](http://evil)"})
    open_page(page, f"{hostile_server.url}/?{picked}", "Overview")
    expect(sidebar.locator("[data-testid='stMultiSelect']").get_by_text("[click](http://evil)", exact=True)).to_be_visible()
    expect(page.get_by_text("Filtered to [x](http://evil): [click](http://evil).")).to_be_visible()
    assert_inert(page, "filtered")
    open_page(page, f"{hostile_server.url}/review?{query}&present=true", "Review meeting")
    table = page.locator("[data-testid='stMain'] table").first
    expect(table).to_be_visible()
    cells = table.locator("th, td").all_inner_texts()
    assert len({c.strip() for c in cells} & {"**b**", "<b>h</b>", "$x^2$", ":red[r]", "[click](http://evil)"}) >= 3
    assert_inert(page, "presentation")
