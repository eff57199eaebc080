"""End to end in headless Chromium (issue 14): cold deep links to *Promoters & accounts* (the sample's planted
detractor account heads the B2B accounts) and to *Indicators & benchmarks* (an indicator past its threshold, a
fictitious benchmark greyed), and the Overview's *How far to trust this* panel."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Page, expect

from nps import store
from nps.store import benchmarks, indicators
from tests.browser.conftest import assert_no_exception, open_page, screenshot, start_server, wait_idle


def test_the_planted_detractor_account_heads_the_accounts_from_a_cold_link(tmp_path: Path, page: Page,
                                                                           seeded_db: Path) -> None:
    server = start_server(tmp_path / "server", db=seeded_db)
    try:
        open_page(page, f"{server.url}/profiles", "Promoters & accounts")  # a cold server's first page
        assert_no_exception(page)
        expect(page.get_by_text("Lift = the value's share among promoters", exact=False)).to_be_visible()
        screenshot(page, "page-profiles")
        page.get_by_role("tab", name="B2B accounts").click()
        wait_idle(page)
        expect(page.get_by_text("Accounts by company, role by contact_role, revenue from annual_revenue_eur",
                                exact=False)).to_be_visible()
        # The planted account alone puts 2,988,200 at risk (the table itself is a canvas: AppTest reads its rows).
        at_risk = page.locator("[data-testid='stMetric']").filter(has_text="Revenue at risk")
        expect(at_risk).to_be_visible()
        assert int(at_risk.locator("[data-testid='stMetricValue']").inner_text().replace(",", "")) >= 2_988_200
        assert_no_exception(page)
        screenshot(page, "page-accounts")
    finally:
        server.stop()


def test_indicators_and_benchmarks_from_a_cold_link(tmp_path: Path, page: Page, seeded_db: Path) -> None:
    db = tmp_path / "seed.duckdb"
    shutil.copy(seeded_db, db)
    con = store.connect(db)
    try:
        indicators.add_indicator(con, dataset_id=1, name="Delivery NPS", kind="nps",
                                 conditions={"business_function": ["Delivery & logistics"]}, threshold=60.0,
                                 target=70.0, owner="ops@example.com", actor="test")
        benchmarks.add_benchmark(con, actor="test", name="Example retail", nps=30, source="Made up for the demo",
                                 year=2025, method="transactional", country="Italy", fictitious=True)
    finally:
        con.close()
    server = start_server(tmp_path / "server", db=db)
    try:
        open_page(page, f"{server.url}/indicators", "Indicators & benchmarks")
        assert_no_exception(page)
        expect(page.get_by_role("heading", name="⚠ Delivery NPS")).to_be_visible()
        expect(page.get_by_text("Past its threshold (below 60).", exact=False)).to_be_visible()
        screenshot(page, "page-indicators")
        page.get_by_role("tab", name="Benchmarks").click()
        wait_idle(page)
        expect(page.get_by_text("A benchmark is a reference only where the data shown matches", exact=False)
               ).to_be_visible()
        assert_no_exception(page)
        screenshot(page, "page-benchmarks")
    finally:
        server.stop()


def test_the_overview_says_how_far_to_trust_it(page: Page, server: object) -> None:
    open_page(page, f"{server.url}/", "Overview")  # type: ignore[attr-defined]  # the default page: the root
    panel = page.get_by_text("How far to trust this", exact=False).first
    expect(panel).to_be_visible()
    if "warning" not in panel.inner_text():  # closed when nothing is a warning: open it
        panel.click()
        wait_idle(page)
    expect(page.get_by_text("Checked: survey types pooled", exact=False)).to_be_visible()
    expect(page.get_by_text("Population shares (CSV: column, value, share)", exact=False)).to_be_visible()
    expect(page.locator("[data-testid='stFileUploaderDropzone']").first).to_be_visible()
    # The expander opens with a height animation: wait until it shows all of its content.
    page.wait_for_function("""() => [...document.querySelectorAll("[data-testid='stExpander'] details[open]")]
        .every(d => d.getBoundingClientRect().height + 1 >= d.scrollHeight)""", polling="raf")
    assert_no_exception(page)
    screenshot(page, "page-overview-trust")
