"""End to end in headless Chromium: a review meeting run from a shared link on a cold server — the meeting opens,
a note and an action are recorded, and the pack is downloaded as PDF and as PowerPoint."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import urllib.parse
from pathlib import Path

from playwright.sync_api import Page, expect
from pptx import Presentation

from nps import store
from nps.store import actions, audit, reviews
from tests.browser.conftest import assert_no_exception, open_page, screenshot, start_server, wait_idle

MEETING = dt.date(2025, 12, 1)


def test_a_review_meeting_end_to_end(tmp_path: Path, page: Page, seeded_db: Path) -> None:
    db = tmp_path / "seed.duckdb"
    shutil.copy(seeded_db, db)
    con = store.connect(db)
    try:
        review = reviews.add_review(con, dataset_id=1, name="Billing monthly", dimension="business_function",
                                    value="Billing", cadence="monthly:1", participants=["anna@example.com"])
        earlier = reviews.ensure_meeting(con, review.id, dt.date(2025, 11, 3))
        reviews.add_entry(con, earlier.id, "decision", "Check every invoice template before sending")
    finally:
        con.close()
    server = start_server(tmp_path / "server", db=db)
    try:
        query = urllib.parse.urlencode({"review": "Billing monthly", "meeting": "2025-12-01 (Mon)"})
        open_page(page, f"{server.url}/review?{query}", "Review meeting")  # the first page of a cold server
        assert_no_exception(page)
        expect(page.get_by_text("covers 03 Nov 2025 – 30 Nov 2025 vs the 28 days before", exact=False)).to_be_visible()
        expect(page.get_by_text("2025-11-03 · decision · local user: Check every invoice template before sending",
                                exact=True)).to_be_visible()
        expect(page.get_by_role("heading", name="Billing", exact=True)).to_be_visible()
        screenshot(page, "page-review-meeting-top")

        page.get_by_label("Text", exact=True).fill("Billing agrees to call back B2B detractors within 24 h")
        page.get_by_role("button", name="Save", exact=True).click()
        wait_idle(page)
        expect(page.get_by_text("The note is recorded.")).to_be_visible()
        expect(page.get_by_text("Billing agrees to call back B2B detractors within 24 h", exact=False)).to_be_visible()

        page.get_by_label("Action", exact=True).fill("Fix the invoice template")
        page.get_by_label("Owner", exact=True).fill("luca@example.com")
        page.get_by_role("button", name="Add the action").click()
        wait_idle(page)
        expect(page.get_by_text("The action is recorded, decided in this meeting.")).to_be_visible()
        assert_no_exception(page)
        screenshot(page, "page-review-meeting")

        with page.expect_download(timeout=120_000) as pdf_download:
            page.get_by_role("button", name="Download the PDF pack").click()
        pdf = tmp_path / "pack.pdf"
        pdf_download.value.save_as(pdf)
        assert pdf_download.value.suggested_filename == f"review-{review.id}-2025-12-01.pdf"
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Billing monthly: meeting of 1 Dec 2025" in text and "Check every invoice template" in text
        with page.expect_download(timeout=120_000) as deck_download:
            page.get_by_role("button", name="Download the PowerPoint pack").click()
        deck_path = tmp_path / "pack.pptx"
        deck_download.value.save_as(deck_path)
        deck = Presentation(str(deck_path))
        assert deck.slides[0].shapes.title.text_frame.text == "Billing monthly: meeting of 1 Dec 2025"
        assert all(any(s.name == "Provenance" for s in slide.shapes) for slide in deck.slides)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "4", str(pdf), str(tmp_path / "page")],
                       check=True)
        assert len(list(tmp_path.glob("page-*.png"))) == 4
    finally:
        server.stop()
    con = store.connect(server.db)
    try:
        made = [a for a in actions.list_actions(con) if a.title == "Fix the invoice template"]
        assert len(made) == 1 and made[0].business_function == "Billing"
        meeting = reviews.find_meeting(con, review.id, MEETING)
        assert meeting is not None
        assert [e.text for e in reviews.entries(con, meeting.id)] == [
            "Billing agrees to call back B2B detractors within 24 h"]
        assert reviews.meeting_actions(con, meeting.id) == [made[0].id]
        logged = {(e.actor, e.action) for e in audit.audit_entries(con)}
        assert {("local user", "review note added"), ("local user", "review action linked")} <= logged
    finally:
        con.close()
