"""Save chart in the browser: hostile labels download cleanly, and a renderer crash leaves the server serving."""

from __future__ import annotations

import datetime as dt
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from nps import control_chars, ingest, store
from tests.browser.conftest import Server, assert_no_exception, start_server, wait_idle

HOSTILE_SEGMENTS = ["B2B\x1b[31m", "B2C\x07", "Partners"]


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on a database whose only dataset has segment values holding control characters."""
    db = tmp_path_factory.mktemp("hostile-db") / "hostile.duckdb"
    start = dt.date.today() - dt.timedelta(days=120)
    frame = pd.DataFrame({
        "date": [(start + dt.timedelta(days=i % 100)).isoformat() for i in range(300)],
        "score": [i % 11 for i in range(300)],
        "segment": [HOSTILE_SEGMENTS[i % 3] for i in range(300)],
    })
    con = store.connect(db)
    ingest.ingest_dataframe(con, frame, name="hostile")
    con.close()
    running = start_server(tmp_path_factory.mktemp("hostile-server"), db=db)
    yield running
    running.stop()


def healthy(server: Server) -> bool:
    with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=10) as response:
        return response.status == 200 and server.process.poll() is None


def open_segments(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/segments?period=All+time")
    expect(page.get_by_role("heading", name="Segments & functions", exact=True).first).to_be_visible(timeout=60_000)
    wait_idle(page)


def test_a_chart_of_hostile_values_saves_and_the_server_lives(hostile_server: Server, page: Page) -> None:
    open_segments(page, hostile_server)
    assert_no_exception(page)
    page.get_by_role("button", name="Save chart").first.click()
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="SVG", exact=True).click()
    svg = Path(info.value.path()).read_text(encoding="utf-8")
    assert svg.startswith("<svg")
    assert "B2B\ufffd[31m" in svg and "B2C\ufffd" in svg and not control_chars.has_unsafe(svg)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="PNG", exact=True).click()
    assert Path(info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert healthy(hostile_server)


@pytest.fixture(scope="module")
def crashing_server(tmp_path_factory: pytest.TempPathFactory, seeded_db: Path) -> Iterator[Server]:
    """The app whose chart renderer aborts: a vl_convert that calls os.abort() shadows the real one."""
    fake = tmp_path_factory.mktemp("fake-vl-convert")
    (fake / "vl_convert.py").write_text(
        "import os\n\ndef vegalite_to_svg(*args, **kwargs):\n    os.abort()\n\nvegalite_to_png = vegalite_to_svg\n"
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("PYTHONPATH", str(fake))
    try:
        running = start_server(tmp_path_factory.mktemp("crashing-server"), db=seeded_db)
    finally:
        mp.undo()
    yield running
    running.stop()


def test_a_renderer_crash_shows_a_message_and_the_server_keeps_serving(crashing_server: Server, page: Page) -> None:
    page.goto(f"{crashing_server.url}/")
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.get_by_role("button", name="Save chart").first.click()
    page.get_by_role("button", name="SVG", exact=True).click()
    expect(page.get_by_test_id("stDownloadButtonError").first).to_have_text("Failed to generate file for download")
    assert healthy(crashing_server)
    assert "the renderer crashed (SIGABRT)" in crashing_server.log.read_text(errors="replace")
    # The same session goes on: the page reruns and draws again.
    page.reload()
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=60_000)
    wait_idle(page)
    assert_no_exception(page)
