"""Tagging's worker processes die with their job: cancelled, interrupted, the parent stopped or killed.

Each case runs tagging in a child Python (so a leaked or hung worker cannot hang the test run)
with 60,000 distinct comments and two forked workers, and waits on conditions with generous
bounds (never on the clock).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers and prctl are Linux only")

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent(
    """
    import signal, sys, threading, time
    import psutil
    from nps.text import themes

    mode = sys.argv[1]
    book = themes.Codebook.build({"Delivery": {"en": ["parcel", "late"]}})
    comments = [f"the parcel {i} came {i % 7} days late, again, order number {i * 7}" for i in range(60_000)]
    me = psutil.Process()
    seen = threading.Event()

    def watch():  # report the pool's workers once both run
        while not seen.is_set():
            kids = me.children()
            if len(kids) >= 2:
                print("workers", *[k.pid for k in kids], flush=True)
                seen.set()
            time.sleep(0.02)

    threading.Thread(target=watch, daemon=True).start()
    stop = threading.Event()
    if mode == "server":
        signal.signal(signal.SIGTERM, lambda *_: stop.set())  # a server's handler: asks the run to stop
    else:
        signal.signal(signal.SIGTERM, lambda *_: None)  # inherited by forked workers, as Streamlit's is

    def interrupt(start, stop_):  # a page left: Streamlit raises at the next progress update
        if seen.wait(60):
            raise KeyboardInterrupt

    try:
        if mode == "interrupt":
            themes.tag_comments(comments, book, workers=2, on_chunk=interrupt)
        elif mode == "cancel":
            themes.tag_comments(comments, book, workers=2, cancel=seen.is_set)
        else:  # "server", "kill": tag until told to stop
            while not stop.is_set():
                themes.tag_comments(comments, book, workers=2, cancel=stop.is_set)
        print("finished", flush=True)
    except (KeyboardInterrupt, themes.TaggingCancelled) as error:
        print("stopped", type(error).__name__, flush=True)
    print("children left", len(me.children()), flush=True)
    """
)


def _start(mode: str, tmp_path: Path) -> tuple[subprocess.Popen[str], list[int]]:
    script = tmp_path / "tag.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, str(script), mode], cwd=ROOT, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None
    line = child.stdout.readline()  # blocks until the workers are reported (or the child ends)
    if not line.startswith("workers"):
        child.kill()
        pytest.fail(f"no workers reported: {line!r} {child.stderr.read() if child.stderr else ''}")
    pids = [int(p) for p in line.split()[1:]]
    assert len(pids) == 2
    return child, pids


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_until_gone(pids: list[int], bound: float = 60.0) -> list[int]:
    """The pids still alive once they are all gone or ``bound`` seconds have passed."""
    deadline = time.monotonic() + bound
    alive = [p for p in pids if not _gone(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if not _gone(p)]
    return alive


def _finish(child: subprocess.Popen[str], bound: float = 120.0) -> str:
    try:
        out, err = child.communicate(timeout=bound)
    except subprocess.TimeoutExpired:
        for kid in psutil.Process(child.pid).children(recursive=True):
            kid.kill()
        child.kill()
        child.communicate()
        pytest.fail("the tagging process did not end: its pool waited for workers that ignore SIGTERM")
    assert child.returncode == 0, err
    return out


def test_interrupted_tagging_leaves_no_worker(tmp_path: Path) -> None:
    # The Comments page left mid-way: Streamlit raises from the progress callback.
    child, pids = _start("interrupt", tmp_path)
    out = _finish(child)
    assert out.splitlines() == ["stopped KeyboardInterrupt", "children left 0"]
    assert _wait_until_gone(pids) == []


def test_cancelled_tagging_raises_and_leaves_no_worker(tmp_path: Path) -> None:
    child, pids = _start("cancel", tmp_path)
    out = _finish(child)
    assert out.splitlines() == ["stopped TaggingCancelled", "children left 0"]
    assert _wait_until_gone(pids) == []


def test_sigterm_ends_the_parent_and_its_workers(tmp_path: Path) -> None:
    child, pids = _start("server", tmp_path)
    child.send_signal(signal.SIGTERM)
    out = _finish(child)
    # "finished" only if the signal fell between two rounds of tagging (no pool then).
    assert out.splitlines() in (["stopped TaggingCancelled", "children left 0"], ["finished", "children left 0"])
    assert _wait_until_gone(pids) == []


def test_killed_parent_takes_its_workers_along(tmp_path: Path) -> None:
    child, pids = _start("kill", tmp_path)
    child.kill()
    child.communicate()
    assert _wait_until_gone(pids) == []


def test_a_worker_takes_default_sigterm_and_dies_with_its_parent(tmp_path: Path) -> None:
    """What the pool's initializer leaves in a worker: SIGTERM's default action, PR_GET_PDEATHSIG = SIGTERM."""
    script = tmp_path / "init.py"
    script.write_text(textwrap.dedent(
        """
        import ctypes, os, signal
        from nps.text import themes
        signal.signal(signal.SIGTERM, lambda *_: None)
        pid = os.fork()
        if pid == 0:
            themes._start_worker([], None, None, os.getppid())
            value = ctypes.c_int()
            ctypes.CDLL(None).prctl(2, ctypes.byref(value), 0, 0, 0)  # PR_GET_PDEATHSIG
            print(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, value.value, flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
        """
    ))
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["True", str(int(signal.SIGTERM))], result.stderr


def _ignore_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # as a worker forked before it could reset the handler


@pytest.mark.timeout(60)
def test_a_pool_whose_workers_ignore_sigterm_still_ends() -> None:
    import multiprocessing as mp

    from nps.text import themes

    pool = mp.get_context("fork").Pool(2, initializer=_ignore_sigterm)
    assert pool.map(abs, [-1, -2]) == [1, 2]
    pids = [w.pid for w in pool._pool]  # noqa: SLF001 - the workers to watch
    themes._end_pool(pool, grace=0.5)  # noqa: SLF001 - Pool.terminate alone would wait forever here
    assert _wait_until_gone(pids) == []
