"""Where a user waits (issue 8 §7): the server's CPU time for three script runs, each in a fresh process.

    .venv/bin/python bench/waits.py [--app DIR] [--repeat 3]

- ``upload``: the Upload page when a 1.3 MB French-style export is chosen (14,000 rows of the sample,
  cp1252, ``;``, "NA" for no comment, a few CP850 bytes), then three reruns (a widget touched);
- ``comments``: a new server's first visit to Comments on a 14,000-response dataset (tagging included),
  then a rerun, then the uncovered clusters asked for;
- ``overview``: a new server's first run of the Overview, then new browser sessions on the same server.

Scripts run under Streamlit's AppTest in this process, so the time is the server's side of a run (no
browser, no network). CPU time (``time.process_time``, every thread), because the machine is shared.
``--app DIR`` measures another checkout (e.g. an older commit unpacked with ``git archive``).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = 14_000


def make_files(work: Path) -> tuple[Path, Path]:
    """The French-style upload and a 14,000-row UTF-8 export of the sample for the dataset."""
    with open(ROOT / "data" / "sample_customers.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))[:ROWS]
    score = "How likely are you to recommend us to a friend or colleague? (0-10)"
    french = work / "fr_export.csv"
    with open(french, "w", encoding="cp1252", errors="replace", newline="") as f:
        out = csv.writer(f, delimiter=";", lineterminator="\r\n")
        out.writerow(["date_reponse", "segment", "region", "fonction", "note", "explication"])
        for r in rows:
            d = r["submitted_at"]
            out.writerow([f"{d[8:10]}/{d[5:7]}/{d[:4]} {d[11:16]}", r["segment"], r["region"],
                          r["business_function"], r[score], r["comment"] or "NA"])
    french.write_bytes(french.read_bytes().replace("Équipe".encode("cp1252"), b"\x90quipe", 5))
    plain = work / "export14k.csv"
    with open(plain, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(list(rows[0]))
        out.writerows(list(r.values()) for r in rows)
    return french, plain


def _apptest(app: Path) -> object:
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(app / "app.py"), default_timeout=600)


def _cpu(run: object) -> float:
    start = time.process_time()
    run()  # type: ignore[operator]
    return time.process_time() - start


def child_upload(app: Path, work: Path) -> str:
    import pandas as pd

    from nps import ingest, store

    fresh = Path(tempfile.mkdtemp(dir=work))
    db, small = fresh / "upload.duckdb", fresh / "small.csv"
    pd.DataFrame({"NPS": [i % 11 for i in range(40)], "segment": ["B2B", "B2C"] * 20}).to_csv(small, index=False)
    con = store.connect(db)
    ingest.ingest_file(con, small, name="small")
    con.close()
    os.environ[store.DB_ENV] = str(db)
    at = _apptest(app)
    at.run()
    at.switch_page("pages/upload.py").run()
    body = (work / "fr_export.csv").read_bytes() + f"01/11/2024 08:{os.getpid() % 60:02d};B2B;Nord;Billing;9;NA\r\n".encode()
    first = _cpu(lambda: at.file_uploader[0].upload("fr_export.csv", body, "text/csv").run())
    assert not at.exception, [e.value for e in at.exception]
    reruns = [_cpu(at.run) for _ in range(3)]
    return f"upload: chosen {first:.2f} s, reruns {' / '.join(f'{r:.2f}' for r in reruns)} s"


def child_comments(app: Path, work: Path) -> str:
    from nps import store

    db = Path(tempfile.mkdtemp(dir=work)) / "c.duckdb"
    shutil.copy(work / "c14k.duckdb", db)
    os.environ[store.DB_ENV] = str(db)
    at = _apptest(app)
    at.run()
    at.query_params["period"] = "All time"
    visit = _cpu(lambda: at.switch_page("pages/comments.py").run())
    assert not at.exception, [e.value for e in at.exception]
    rerun = _cpu(at.run)
    line = f"comments: first visit {visit:.2f} s, rerun {rerun:.2f} s"
    toggles = [t for t in at.toggle if t.key == "clusters_on"]
    if toggles:
        line += f", clusters asked for {_cpu(lambda: toggles[0].set_value(True).run()):.2f} s"
    return line


def child_overview(app: Path, work: Path) -> str:
    from nps import store

    db = Path(tempfile.mkdtemp(dir=work)) / "o.duckdb"
    shutil.copy(work / "c14k.duckdb", db)
    os.environ[store.DB_ENV] = str(db)
    times = []
    for _ in range(4):
        at = _apptest(app)
        times.append(_cpu(at.run))
        assert not at.exception, [e.value for e in at.exception]
    return f"overview: new server {times[0]:.2f} s, new sessions {' / '.join(f'{t:.2f}' for t in times[1:])} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=["upload", "comments", "overview"], help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    app = args.app.resolve()
    if args.child:
        sys.path.insert(0, str(app))
        os.chdir(app)
        line = {"upload": child_upload, "comments": child_comments, "overview": child_overview}[args.child](app, args.work)
        print(line, flush=True)
        return
    work = Path(tempfile.mkdtemp(prefix="passaparola-waits-"))
    try:
        _, plain = make_files(work)
        env = {**os.environ, "PYTHONPATH": str(app)}
        subprocess.run([sys.executable, "-m", "nps", "ingest", str(plain), "--db", str(work / "c14k.duckdb")],
                       cwd=app, env=env, check=True, capture_output=True)
        print(f"{app} · load average {os.getloadavg()[0]:.1f}")
        for _ in range(args.repeat):
            for child in ("upload", "comments", "overview"):
                done = subprocess.run([sys.executable, __file__, "--app", str(app), "--child", child, "--work", str(work)],
                                      env=env, capture_output=True, text=True)
                result = done.stdout.strip().splitlines()[-1:] or [f"{child}: failed: {done.stderr.strip()[-300:]}"]
                print(f"  {result[0]} (load {os.getloadavg()[0]:.1f})", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
