"""Browser fixtures: a real Streamlit server on a free port and headless Debian Chromium via Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# expect() polls until its bound; 5 s (Playwright's default) is too short on a busy 2-core machine, where a
# page with charts can take longer to draw. A bound, not a wait: a passing check returns at once.
expect.set_options(timeout=30_000)
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@dataclass
class Server:
    """A running ``streamlit run app.py``: its base URL, database file and process."""

    url: str
    db: Path
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch_app(db: Path, log: Path, *, deadline_s: float = 60,
               extra_args: tuple[str, ...] = ()) -> tuple[str, subprocess.Popen[bytes]]:
    """The one place a test or benchmark starts the app: ``streamlit run app.py`` on a free port with
    ``PASSAPAROLA_DB=db``, its output in ``log``; returns its base URL and process once it answers its health
    check (bench/run.py imports this too). ``extra_args``: more ``streamlit run`` options (the team-mode test's
    ``--secrets.files``)."""
    port = _free_port()
    env = dict(os.environ, PASSAPAROLA_DB=str(db), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false", *extra_args],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return url, process
        except OSError:
            time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError(f"streamlit did not start: {log.read_text(errors='replace')[-2000:]}")


def start_server(workdir: Path, *, db: Path | None = None) -> Server:
    """Start the app on a free port with its own database (a copy of ``db`` if given) and wait until healthy."""
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / "app.duckdb"
    if db is not None:
        shutil.copy(db, target)
    log = workdir / "server.log"
    url, process = launch_app(target, log)
    return Server(url, target, process, log)


def open_page(page: Page, url: str, title: str) -> None:
    """Open ``url``, wait for the page titled ``title`` to settle; a "Page not found" dialog fails the test."""
    page.goto(url)
    expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible(timeout=60_000)
    wait_idle(page)
    # a link Streamlit cannot route opens a "Page not found" dialog: that is a failure here
    expect(page.get_by_text("Page not found")).to_have_count(0)


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the sample loaded once, copied by each server so tests do not share state."""
    from nps import store
    from nps.sample import demo

    path = tmp_path_factory.mktemp("seed") / "seed.duckdb"
    con = store.connect(path)
    demo.load_sample(con)
    con.close()
    return path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, seeded_db: Path) -> Iterator[Server]:
    """One app server for the browser tests that only read."""
    running = start_server(tmp_path_factory.mktemp("server"), db=seeded_db)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright (no browser download)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser context and page (its own cookies and session), wide enough for the layout."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)  # type: ignore[attr-defined]
    track_runs(context)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()


# Whether the app still owes a script run, read off its websocket in the page: a run the script asks for
# itself (st.rerun, the cold-link switch out of the legacy pages/ mode) starts with the messages after a
# ``script_finished`` of status FINISHED_EARLY_FOR_RERUN, and the client may show "notRunning" in between.
# A ForwardMsg's top-level fields are scanned for new_session (4) and script_finished (6, an enum).
RUN_TRACKER_JS = """(() => {
  if (window.__passaparolaRuns) return;
  window.__passaparolaRuns = true;
  const Native = window.WebSocket;
  const scan = (bytes) => {
    let i = 0;
    const varint = () => { let x = 0, s = 0, b; do { b = bytes[i++]; x += (b & 0x7f) * 2 ** s; s += 7; }
                           while (b & 0x80 && i < bytes.length); return x; };
    while (i < bytes.length) {
      const tag = varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (wire === 0) { const v = varint(); if (field === 6) window.__passaparolaRunPending = v === 2; }
      else if (wire === 2) { const n = varint(); if (field === 4) window.__passaparolaRunPending = true; i += n; }
      else if (wire === 1) i += 8; else if (wire === 5) i += 4; else return;
    }
  };
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.__passaparolaRunPending = true;
      this.addEventListener('message', (e) => { if (e.data instanceof ArrayBuffer) scan(new Uint8Array(e.data)); });
    }
  };
})();"""

# Idle as the app itself says it: connected, no run owed (above; pages opened before the tracker was
# installed fall back to the client's script state), its script not running, no element greyed out as stale,
# no running indicator, and drawn for two frames. No fixed sleep: the wait ends as soon as the page is settled.
_IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const idle = !!app && app.dataset.testScriptState === 'notRunning'
        && app.dataset.testConnectionState === 'CONNECTED'
        && window.__passaparolaRunPending !== true
        && !!document.querySelector('[data-testid="stMain"]')
        && !document.querySelector('[data-testid="stStatusWidget"]')
        && !document.querySelector('[data-stale="true"]');
    window.__passaparolaIdleFrames = idle ? (window.__passaparolaIdleFrames || 0) + 1 : 0;
    return window.__passaparolaIdleFrames >= 2;
}"""


def track_runs(context: object) -> None:
    """Watch the app's websocket in every page of ``context`` opened from now on (see RUN_TRACKER_JS)."""
    context.add_init_script(RUN_TRACKER_JS)  # type: ignore[attr-defined]


def wait_idle(page: object, timeout: float = 120_000) -> None:
    """Wait until Streamlit has finished every run it owes and the page is drawn (a first Comments visit on a
    busy machine takes half a minute, hence the generous bound)."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)  # type: ignore[attr-defined]
    if page.evaluate("window.__passaparolaRuns === undefined"):  # type: ignore[attr-defined]
        track_runs(page.context)  # type: ignore[attr-defined]  # for this page's next loads
    page.evaluate("window.__passaparolaIdleFrames = 0")  # type: ignore[attr-defined]
    page.wait_for_function(_IDLE, polling="raf", timeout=timeout)  # type: ignore[attr-defined]


def screenshot(page: object, name: str) -> Path:
    """Save a full-page screenshot under tests/screenshots/ (git-ignored) and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def assert_no_exception(page: object) -> None:
    """No Streamlit exception box and no JavaScript error on the page."""
    boxes = page.locator("[data-testid='stException']")  # type: ignore[attr-defined]
    assert boxes.count() == 0, boxes.first.inner_text()
    assert page.js_errors == []  # type: ignore[attr-defined]
