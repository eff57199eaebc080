"""The Promoters & accounts page in a real browser: the "What sets them apart" tab draws its two tables."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, assert_no_exception, open_page, screenshot, wait_idle


def test_what_sets_them_apart_tab(server: Server, page: Page) -> None:
    open_page(page, f"{server.url}/profiles", "Promoters & accounts")
    page.get_by_role("tab", name="What sets them apart").click()
    wait_idle(page)
    panel = page.get_by_role("tabpanel", name="What sets them apart")
    expect(panel.get_by_role("heading", name="Item ratings")).to_be_visible()
    expect(panel.get_by_role("heading", name="Comment themes")).to_be_visible()
    expect(panel.get_by_text("items and themes together", exact=False)).to_be_visible()
    expect(panel.locator("[data-testid='stDataFrame']")).to_have_count(2)
    assert_no_exception(page)
    screenshot(page, "profiles-apart")
