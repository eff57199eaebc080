"""The Key drivers page in headless Chromium: a cold deep link opens the method it names, the method and the
by-dimension land in the URL, and the quadrant chart and the table with the sample's items are drawn."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from nps import store
from nps.drivers.dataset import analyse_dataset
from nps.query.filters import Filter
from tests.browser.conftest import assert_no_exception, open_page, screenshot, start_server, wait_idle
from tests.browser.test_e2e import RECORD_MENUS, assert_only_the_apps_menu, choose

DATASET = "ds=Sample%3A+customer+survey+%C2%B7+%231"


def _engine_n(db: Path) -> int:
    """The responses the page analyses: all time, the sample's most common survey type (the sidebar's default)."""
    con = store.connect(db)
    try:
        ds = store.get_dataset(con, 1)
        (view,) = analyse_dataset(con, ds, list(ds.mapping.items), Filter.build(include={"survey_type": ["transactional"]}),
                                  bootstrap=0)
    finally:
        con.close()
    return view.result.n


def _tile(page: Page, label: str) -> object:
    return page.locator("[data-testid='stMetric']").filter(has_text=label).locator("[data-testid='stMetricValue']")


def test_a_cold_deep_link_to_the_drivers(tmp_path: Path, seeded_db: Path, page: Page) -> None:
    server = start_server(tmp_path / "cold-drivers", db=seeded_db)  # nobody has opened the app on this server yet
    page.add_init_script(RECORD_MENUS)
    try:
        open_page(page, f"{server.url}/drivers?{DATASET}&period=All+time&drv_method=Correlation", "Key drivers")
        expect(page.get_by_role("radio", name="Correlation", exact=True)).to_have_attribute("aria-checked", "true")
        expect(page.get_by_text("The simple mode: each item's plain correlation", exact=False)).to_be_visible()
        chart = page.locator("[data-testid='stVegaLiteChart']").first
        expect(chart).to_be_visible(timeout=60_000)
        expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible()
        expect(_tile(page, "Responses analysed (n)")).to_have_text(f"{_engine_n(seeded_db):,}")
        expect(_tile(page, "Items")).to_have_text("4")
        assert_only_the_apps_menu(page)  # the app's menu from the first paint, never the legacy one
        assert_no_exception(page)

        page.get_by_role("radio", name="Linear", exact=True).click()
        wait_idle(page)
        expect(page.get_by_role("radio", name="Linear", exact=True)).to_have_attribute("aria-checked", "true")
        expect(page.get_by_text("split by LMG", exact=False)).to_be_visible()
        assert "drv_method" not in page.url  # the default method leaves the URL
        expect(_tile(page, "R²")).to_have_text(re.compile(r"^0\.\d{3}$"))
        assert_no_exception(page)
        page.set_viewport_size({"width": 1500, "height": 1350})  # the chart and the table in one screenshot
        wait_idle(page)
        shot = screenshot(page, "drivers")

        choose(page, "Per value of", "Segment")
        wait_idle(page)
        expect(page.get_by_role("heading", name="Segment: B2C", exact=True)).to_be_visible(timeout=60_000)
        expect(page.get_by_role("heading", name="Segment: B2B", exact=True)).to_be_visible()
        assert "drv_by=Segment" in page.url
        assert_no_exception(page)
        screenshot(page, "drivers-by-segment")
        assert shot.exists()
    finally:
        server.stop()
