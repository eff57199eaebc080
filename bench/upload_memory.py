"""The server's memory through an upload: a real ``streamlit run app.py`` and headless Chromium upload a generated
CSV on the Upload page and load it; the server's RSS (and its peak, VmHWM) is read from /proc along the way.

    .venv/bin/python bench/upload_memory.py [--mb 200] [--app DIR]

``--app`` runs another copy of the app (e.g. a ``git archive`` of an older commit) to compare. Linux only.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _write_csv(path: Path, megabytes: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("date,score,segment,comment\n")
        i = 0
        while out.tell() < megabytes * 2**20:
            out.write(f"2026-{i % 12 + 1:02d}-{i % 28 + 1:02d},{i % 11},{['B2B', 'B2C', 'Partners'][i % 3]},"
                      f"service was fine but the delivery took {i % 9} days longer than promised\n")
            i += 1


def _memory(pid: int) -> str:
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    rss, peak = (int(status[k].split()[0]) / 2**20 for k in ("VmRSS", "VmHWM"))
    return f"RSS {rss:.2f} GB (peak {peak:.2f} GB)"


def main() -> None:
    """Run the measurement and print one line per stage."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the generated CSV (MB)")
    parser.add_argument("--app", type=Path, default=ROOT, help="the app's folder")
    args = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    work = Path(tempfile.mkdtemp(prefix="upload-memory-"))
    big = work / "big.csv"
    _write_csv(big, args.mb)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Its own database, temp folder and log; the sample is loaded on the first run.
    env = dict(os.environ, PASSAPAROLA_DB=str(work / "app.duckdb"), TMPDIR=str(work))
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--server.fileWatcherType", "none"],
        cwd=args.app, env=env, stdout=(work / "server.log").open("wb"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-dev-shm-usage"])
            page = browser.new_page()
            page.goto(f"{url}/upload")
            expect(page.get_by_text("Survey export")).to_be_visible(timeout=120_000)
            print(f"page open: {_memory(server.pid)}")
            page.locator("input[type=file]").set_input_files(str(big))
            expect(page.get_by_text("Detected:")).to_be_visible(timeout=600_000)
            print(f"{args.mb} MB uploaded and inspected: {_memory(server.pid)}")
            page.get_by_role("button", name="Load", exact=True).click()
            expect(page.get_by_text("Loaded").first).to_be_visible(timeout=1_200_000)
            time.sleep(2)
            print(f"loaded: {_memory(server.pid)}")
            copies = [f for f in work.rglob("*") if f.is_file() and f.stat().st_size == big.stat().st_size and f != big]
            print("copies of the upload left on disk:", [f"{f.relative_to(work)} {oct(f.stat().st_mode & 0o777)}" for f in copies])
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
