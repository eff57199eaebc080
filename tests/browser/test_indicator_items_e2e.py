"""End to end in headless Chromium (issue 14): an item indicator on the sample (rating_speed of Delivery & logistics,
quarterly, all time) shows its mean on the 1–5 scale with its chart and the 2025 Q3 dip flagged."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

from playwright.sync_api import Page, expect

from nps import store
from nps.query.indicators import define
from tests.browser.conftest import assert_no_exception, open_page, screenshot, start_server


def test_an_item_indicator_from_a_cold_link(tmp_path: Path, page: Page, seeded_db: Path) -> None:
    db = tmp_path / "seed.duckdb"
    shutil.copy(seeded_db, db)
    con = store.connect(db)
    try:
        define(con, dataset_id=1, name="Speed of deliveries", kind="item", item="rating_speed",
               conditions={"business_function": ["Delivery & logistics"]}, threshold=3.0, target=4.0,
               owner="ops@example.com", actor="test")
    finally:
        con.close()
    server = start_server(tmp_path / "server", db=db)
    try:
        until = dt.date(2025, 9, 30).isoformat()
        open_page(page, f"{server.url}/indicators?period=Custom+range&from=2024-11-01&to={until}&grain=Quarter",
                  "Indicators & benchmarks")
        assert_no_exception(page)
        expect(page.get_by_role("heading", name="⚠ Speed of deliveries")).to_be_visible()
        expect(page.get_by_text("mean of rating speed on 1–5 · Business function = Delivery & logistics",
                                exact=False)).to_be_visible()
        expect(page.get_by_text("2025-Q3: ", exact=False).first).to_be_visible()
        chart = page.locator("[data-testid='stVegaLiteChart']").first
        expect(chart).to_be_visible()
        expect(chart.locator("canvas, svg").first).to_be_visible()  # drawn, not only placed
        chart.scroll_into_view_if_needed()
        expect(chart.locator("canvas, svg").first).to_have_attribute("height", re.compile(r"^[1-9]"))
        assert_no_exception(page)
        screenshot(page, "page-indicator-item")
    finally:
        server.stop()
