"""End to end in headless Chromium: upload, URL filters (on a cold server too), every page, downloads."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import Locator, Page, expect

from nps import store
from nps import query as queries
from nps.query.filters import Filter
from nps.format import points as format_points
from tests.browser.conftest import Server, assert_no_exception, open_page, screenshot, start_server, wait_idle
from tests.conftest import TELECOM

# The Overview is the default page: its address is the app's root.
PAGES = {
    "": "Overview",
    "segments": "Segments & functions",
    "responses": "Responses",
    "review": "Review meeting",
    "upload": "Upload & datasets",
    "followup": "Follow-up",
}


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``, as a person would."""
    box = page.locator("[data-testid='stSelectbox']").filter(has=page.get_by_text(label, exact=True))
    target = page.get_by_role("option", name=option, exact=True)
    # A rerun landing just after the click (another session starting on the server) can close the list before it
    # is read: open it again, up to three times, waiting on the option itself (no sleep).
    for _ in range(3):
        box.locator("input").click()
        try:
            target.wait_for(state="visible", timeout=10_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    target.click()


def nps_value(page: Page) -> Locator:
    """The NPS tile's value, as a locator (to wait on with ``expect``)."""
    tile = page.locator("[data-testid='stMetric']").filter(has_text="NPS").first
    return tile.locator("[data-testid='stMetricValue']")


def nps_tile(page: Page) -> str:
    return nps_value(page).inner_text().strip()


@pytest.mark.parametrize("slug", list(PAGES))
def test_every_page_renders_without_exception(server: Server, page: Page, slug: str) -> None:
    open_page(page, f"{server.url}/{slug}", PAGES[slug])
    assert_no_exception(page)
    screenshot(page, f"page-{slug or 'overview'}")


def test_upload_the_telecom_file_and_see_its_nps(tmp_path: Path, page: Page) -> None:
    server = start_server(tmp_path / "upload")  # an empty database: the app loads the sample by itself
    try:
        open_page(page, f"{server.url}/upload", "Upload & datasets")
        page.locator("input[type='file']").set_input_files(str(TELECOM))
        expect(page.get_by_text("Detected:")).to_be_visible(timeout=60_000)
        wait_idle(page)
        expect(page.get_by_text(re.compile("Detected: CSV · encoding utf-8 · layout flat"))).to_be_visible()
        screenshot(page, "upload-mapping")
        page.get_by_role("button", name="Load", exact=True).click()
        expect(page.get_by_text("2,353 responses accepted")).to_be_visible(timeout=120_000)
        expect(page.get_by_text("score is blank")).to_be_visible()
        wait_idle(page)
        screenshot(page, "upload-report")
        page.get_by_role("link", name="Open the Overview").click()
        expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=60_000)
        wait_idle(page)
        expect(page.locator("[data-testid='stMetricValue']").first).to_have_text(re.compile("[−-]24\\.7"))
        assert_no_exception(page)
        screenshot(page, "upload-overview")
    finally:
        server.stop()


# Every page-menu text the page ever shows, recorded from the first paint: a cold server used to show
# Streamlit's legacy pages/ menu (file names: "app", "overview", "segments", …) before the real one.
RECORD_MENUS = """
window.__menus = [];
new MutationObserver(() => {
  const links = [...document.querySelectorAll('[data-testid=stSidebar] a')].map(a => a.innerText.trim()).filter(Boolean);
  const seen = window.__menus[window.__menus.length - 1];
  if (links.length && (!seen || seen.join('|') !== links.join('|'))) window.__menus.push(links);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""
# Single-user mode: the local user is an admin, so the Admin page is in the menu too.
MENU = ["Upload & datasets", "Codebook", "Overview", "Segments & functions", "Promoters & accounts", "Key drivers",
        "Responses", "Comments", "Comment explorer", "Review meeting", "Actions", "Indicators & benchmarks", "Follow-up",
        "Admin"]


def menus_seen(page: Page) -> list[list[str]]:
    """The menus shown so far, each as its link texts (the icon's ligature name dropped)."""
    return [[text.split("\n")[-1].strip() for text in menu] for menu in page.evaluate("window.__menus")]


def assert_only_the_apps_menu(page: Page) -> None:
    """Every menu ever painted is the app's (its links arrive one by one, so a first paint may hold the first
    few), the last one whole; never the legacy pages/ menu of file names."""
    seen = menus_seen(page)
    assert seen and seen[-1] == MENU, seen
    assert all(menu == MENU[:len(menu)] for menu in seen), seen


def engine_nps(db: Path, include: dict[str, list[str]]) -> str:
    con = store.connect(db)
    try:
        result = queries.overall(con, store.get_dataset(con, 1), Filter.build(include=include))
    finally:
        con.close()
    return format_points(result.nps)


def test_a_shared_link_reproduces_the_view_on_a_cold_server(tmp_path: Path, seeded_db: Path, page: Page) -> None:
    server = start_server(tmp_path / "cold", db=seeded_db)  # nobody has opened the app on this server yet
    page.add_init_script(RECORD_MENUS)
    try:
        query = "?ds=Sample%3A+customer+survey+%C2%B7+%231&period=All+time&f_segment=B2C&f_channel=SMS&by=region"
        open_page(page, f"{server.url}/segments{query}", "Segments & functions")
        expect(page.get_by_text("Filtered to channel: SMS; segment: B2C")).to_be_visible()
        # a link written with the raw column name still picks that breakdown (now labelled "Region")
        expect(page.get_by_role("radio", name="Region", exact=True)).to_have_attribute("aria-checked", "true")
        assert_only_the_apps_menu(page)  # the app's menu from the first paint, never the legacy one
        open_page(page, f"{server.url}/{query}", "Overview")
        expected = engine_nps(seeded_db, {"survey_type": ["transactional"], "segment": ["B2C"], "channel": ["SMS"]})
        expect(nps_value(page)).to_have_text(expected)
        assert "f_segment=B2C" in page.url and "f_channel=SMS" in page.url
        assert_no_exception(page)
        screenshot(page, "shared-link-cold")
    finally:
        server.stop()


def test_a_deep_link_to_the_review_on_a_cold_server_shows_its_cards(tmp_path: Path, seeded_db: Path,
                                                                      page: Page) -> None:
    server = start_server(tmp_path / "cold-review", db=seeded_db)  # cold, and its comments never tagged
    page.add_init_script(RECORD_MENUS)
    try:
        open_page(page, f"{server.url}/review?ds=Sample%3A+customer+survey+%C2%B7+%231&period=All+time", "Review meeting")
        cards = page.locator("[class*='st-key-review_card_']")
        expect(cards).to_have_count(6)
        expect(cards.first.get_by_text("Detractors say")).to_be_visible()
        expect(cards.first.locator("[data-testid='stMetricValue']").first).to_have_text(
            re.compile(r"^[+−]?\d+\.\d$"), timeout=60_000)
        # filled in once the comments are tagged (the first visit to a dataset tags them)
        expect(cards.first.get_by_text(re.compile("^Top themes: "))).to_have_count(2, timeout=120_000)
        wait_idle(page)
        assert_only_the_apps_menu(page)
        assert_no_exception(page)
        screenshot(page, "review-cold")
    finally:
        server.stop()


def test_presentation_mode_shows_one_card_per_screen_without_the_sidebar(server: Server, browser: object) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    page = context.new_page()
    page.js_errors = []  # type: ignore[attr-defined]
    try:
        open_page(page, f"{server.url}/review?present=true", "Review meeting")
        cards = page.locator("[class*='st-key-review_card_']")
        expect(cards).to_have_count(6)
        expect(page.locator("[data-testid='stSidebar']")).to_be_hidden()
        expect(page.locator("[data-testid='stHeader']")).to_be_hidden()
        expect(page.get_by_text("Targets per business function")).to_have_count(0)
        for i in range(6):
            assert cards.nth(i).bounding_box()["height"] >= 800  # type: ignore[index]
        value = page.locator("[data-testid='stMetricValue'] p").first
        assert float(value.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 48
        main = page.locator("[data-testid='stMain']")
        assert main.evaluate("e => getComputedStyle(e).scrollSnapType") == "y mandatory"
        # Page Down on the projector: the next screen is the next card, top-aligned
        page.get_by_role("heading", name="Review meeting").click()
        for i in range(2):
            page.keyboard.press("PageDown")
            page.wait_for_function(
                "i => Math.abs(document.querySelector(`.st-key-review_card_${i}`).getBoundingClientRect().top) < 30",
                arg=i, timeout=10_000)
        screenshot(page, "review-presentation")
        page.locator("[data-testid='stCheckbox']").filter(has_text="Presentation").locator("label").click()
        expect(page.locator("[data-testid='stSidebar']")).to_be_visible(timeout=30_000)
    finally:
        context.close()


def test_a_filter_change_lands_in_the_url(server: Server, page: Page) -> None:
    open_page(page, f"{server.url}/", "Overview")
    before = nps_tile(page)
    choose(page, "Period", "All time")
    wait_idle(page)
    expect(page).to_have_url(re.compile("period=All"))
    expect(page.locator("[data-testid='stMetricValue']").first).not_to_have_text(before)
    link = page.url
    other = page.context.browser.new_context().new_page()
    try:
        open_page(other, link, "Overview")
        expect(nps_value(other)).to_have_text(nps_tile(page), timeout=30_000)
    finally:
        other.context.close()


def test_download_the_responses_as_csv(server: Server, page: Page) -> None:
    open_page(page, f"{server.url}/responses?f_segment=Partners+%26+investors", "Responses")
    page.get_by_text("Prepare the download files").click()
    wait_idle(page)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="CSV", exact=True).click()
    data = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data)))
    assert rows, "the CSV has no rows"
    assert {"row", "date", "score", "category", "comment", "segment"} <= set(rows[0])
    assert {r["segment"] for r in rows} == {"Partners & investors"}
    assert all(not (r["comment"] or "").startswith(("=", "+", "-", "@")) for r in rows)
    caption = page.get_by_text(re.compile(r"[\d,]+ responses match")).inner_text()
    assert caption.startswith(f"{len(rows):,} responses match")


def test_a_chart_saves_as_png_and_svg(server: Server, page: Page) -> None:
    open_page(page, f"{server.url}/", "Overview")
    page.get_by_role("button", name="Save chart").first.click()
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="PNG", exact=True).click()
    assert Path(info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert info.value.suggested_filename == "responses-by-score.png"
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="SVG", exact=True).click()
    assert Path(info.value.path()).read_text(encoding="utf-8").startswith("<svg")


def test_two_sessions_keep_their_own_filters(server: Server, browser: object) -> None:
    first = browser.new_context(viewport={"width": 1500, "height": 1000}).new_page()  # type: ignore[attr-defined]
    second = browser.new_context(viewport={"width": 1500, "height": 1000}).new_page()  # type: ignore[attr-defined]
    try:
        open_page(first, f"{server.url}/", "Overview")
        open_page(second, f"{server.url}/", "Overview")
        choose(first, "Period", "All time")
        wait_idle(first)
        expect(first).to_have_url(re.compile("period=All"))
        second.reload()
        expect(second.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=60_000)
        wait_idle(second)
        box = second.locator("[data-testid='stSelectbox']").filter(has=second.get_by_text("Period", exact=True))
        expect(box.locator("input")).to_have_value("Last 12 months", timeout=30_000)
        assert "period=" not in second.url
    finally:
        first.context.close()
        second.context.close()
