"""End to end in headless Chromium: the Actions page shows an action's before/since evidence; an action is created."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from playwright.sync_api import Page, expect

from nps import store
from nps.query import actions as evidence
from nps.query import data_range
from nps.query.filters import Filter
from nps.query.options import Options
from nps.store import actions
from tests.browser.conftest import assert_no_exception, open_page, screenshot, start_server, wait_idle


def test_the_actions_page_shows_before_and_since_and_an_editor_creates_one(tmp_path: Path, page: Page,
                                                                           seeded_db: Path) -> None:
    db = tmp_path / "seed.duckdb"
    shutil.copy(seeded_db, db)
    con = store.connect(db)
    try:
        ds = store.get_dataset(con, 1)
        last = data_range(con, ds)[1]
        started = last - dt.timedelta(days=90)
        made = actions.create_action(con, 1, "Clearer invoices", business_function="Billing", owner="ana@example.com",
                                     status="in progress", started_on=started, due_date=last + dt.timedelta(days=30),
                                     themes=["Billing & invoices"], conditions={"business_function": ["Billing"]})
        # What the page shows counts to today: the same call, with the sidebar's default survey type.
        expected = evidence.action_evidence(con, ds, made, Options(), today=dt.date.today(),
                                            base=Filter.build(include={"survey_type": ["transactional"]}))
    finally:
        con.close()
    server = start_server(tmp_path / "server", db=db)
    try:
        open_page(page, f"{server.url}/actions", "Actions")
        assert_no_exception(page)
        expect(page.get_by_text("Before and since it started")).to_be_visible()
        expect(page.get_by_text(expected.verdict, exact=True)).to_be_visible()
        tiles = page.locator("[data-testid='stMetric']")
        expect(tiles.filter(has_text="NPS before (95% CI below)")).to_be_visible()
        expect(tiles.filter(has_text="NPS since (95% CI below)")).to_be_visible()
        screenshot(page, "page-actions")
        page.set_viewport_size({"width": 1500, "height": 2100})  # the whole page, evidence and history included
        wait_idle(page)
        screenshot(page, "page-actions-evidence")
        page.set_viewport_size({"width": 1500, "height": 1000})

        page.get_by_text("New action", exact=True).click()
        page.get_by_label("Title", exact=True).first.fill("Faster refunds")
        page.get_by_label("Title", exact=True).first.press("Enter")
        wait_idle(page)
        page.get_by_role("button", name="Create action").click()
        wait_idle(page)
        expect(page.get_by_text("Created action 2: Faster refunds.")).to_be_visible()
        assert_no_exception(page)
    finally:
        server.stop()
    con = store.connect(server.db)  # the server's own copy
    try:
        assert [(a.id, a.title, a.created_by) for a in actions.list_actions(con)] == [
            (1, "Clearer invoices", "local user"), (2, "Faster refunds", "local user")]
    finally:
        con.close()
