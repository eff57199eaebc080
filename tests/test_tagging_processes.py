"""Tagging's worker processes die with their job: cancelled, interrupted, the parent stopped or killed.

Each case runs tagging in a child Python (so a leaked or hung worker cannot hang the test run)
with 60,000 distinct comments and two workers, and waits on conditions with generous
bounds (never on the clock). The workers are forked by multiprocessing's forkserver, a child
of the tagging process that outlives a pool (it is reused); the workers are its children.
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

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the forkserver's workers and prctl are Linux only")

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent(
    """
    import signal, sys, threading, time
    import psutil
    from nps import text

    # The workers import this script as their main module (as with spawn): its run is guarded.
    if __name__ == "__main__":
        mode = sys.argv[1]
        book = text.Codebook.build({"Delivery": {"en": ["parcel", "late"]}})
        comments = [f"the parcel {i} came {i % 7} days late, again, order number {i * 7}" for i in range(60_000)]
        me = psutil.Process()
        seen = threading.Event()

        def workers():  # the pool's workers: children of the forkserver, itself a child of this process
            found = []
            for kid in me.children(recursive=True):
                try:
                    if kid.ppid() != me.pid and kid.status() != psutil.STATUS_ZOMBIE:
                        found.append(kid)
                except psutil.NoSuchProcess:
                    pass
            return found

        def watch():  # report the pool's workers once both run
            while not seen.is_set():
                kids = workers()
                if len(kids) >= 2:
                    print("workers", *[k.pid for k in kids], flush=True)
                    seen.set()
                time.sleep(0.02)

        threading.Thread(target=watch, daemon=True).start()
        stop = threading.Event()
        if mode == "server":
            signal.signal(signal.SIGTERM, lambda *_: stop.set())  # a server's handler: asks the run to stop
        else:
            signal.signal(signal.SIGTERM, lambda *_: None)  # as Streamlit's handler: workers must not inherit it

        def interrupt(start, stop_):  # a page left: Streamlit raises at the next progress update
            if seen.wait(60):
                raise KeyboardInterrupt

        try:
            if mode == "interrupt":
                text.tag_comments(comments, book, workers=2, on_chunk=interrupt)
            elif mode == "cancel":
                text.tag_comments(comments, book, workers=2, cancel=seen.is_set)
            else:  # "server", "kill": tag until told to stop
                while not stop.is_set():
                    text.tag_comments(comments, book, workers=2, cancel=stop.is_set)
            print("finished", flush=True)
        except (KeyboardInterrupt, text.TaggingCancelled) as error:
            print("stopped", type(error).__name__, flush=True)
        print("workers left", len(workers()), flush=True)
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
    assert out.splitlines() == ["stopped KeyboardInterrupt", "workers left 0"]
    assert _wait_until_gone(pids) == []


def test_cancelled_tagging_raises_and_leaves_no_worker(tmp_path: Path) -> None:
    child, pids = _start("cancel", tmp_path)
    out = _finish(child)
    assert out.splitlines() == ["stopped TaggingCancelled", "workers left 0"]
    assert _wait_until_gone(pids) == []


def test_sigterm_ends_the_parent_and_its_workers(tmp_path: Path) -> None:
    child, pids = _start("server", tmp_path)
    child.send_signal(signal.SIGTERM)
    out = _finish(child)
    # "finished" only if the signal fell between two rounds of tagging (no pool then).
    assert out.splitlines() in (["stopped TaggingCancelled", "workers left 0"], ["finished", "workers left 0"])
    assert _wait_until_gone(pids) == []


def test_killed_parent_takes_its_workers_along(tmp_path: Path) -> None:
    child, pids = _start("kill", tmp_path)
    child.kill()
    child.communicate()
    assert _wait_until_gone(pids) == []


PROBE = textwrap.dedent(
    """
    import ctypes, signal

    def probe():
        value = ctypes.c_int()
        ctypes.CDLL(None).prctl(2, ctypes.byref(value), 0, 0, 0)  # PR_GET_PDEATHSIG
        return signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, value.value
    """
)


def test_a_worker_takes_default_sigterm_and_dies_with_its_parent(tmp_path: Path) -> None:
    """A pool worker of a process whose SIGTERM handler ignores it: SIGTERM's default action, PR_GET_PDEATHSIG = SIGTERM."""
    (tmp_path / "probe.py").write_text(PROBE)
    script = tmp_path / "init.py"
    script.write_text(textwrap.dedent(
        """
        import signal
        import probe
        from nps.text import Codebook, tagging
        if __name__ == "__main__":  # the workers import this script as their main module
            signal.signal(signal.SIGTERM, lambda *_: None)
            pool = tagging._start_pool(1, Codebook.build({"Delivery": {"en": ["parcel"]}}))
            try:
                print(*pool.submit(probe.probe).result(), flush=True)
            finally:
                tagging._end_pool(pool, finished=True)
        """
    ))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.split() == ["True", str(int(signal.SIGTERM))], result.stderr


@pytest.mark.timeout(60)
def test_a_pool_ended_mid_work_does_not_wait_for_it() -> None:
    # Work still running when tagging ends early (cancelled, interrupted): the workers are terminated,
    # not waited for, and gone when the pool's end returns.
    from nps.text import Codebook, tagging

    pool = tagging._start_pool(2, Codebook.build({"Delivery": {"en": ["parcel"]}}))  # noqa: SLF001
    busy = [pool.submit(time.sleep, 600) for _ in range(2)]
    pids = list(pool._processes)  # noqa: SLF001 - the workers to watch
    assert len(pids) == 2 and not any(f.done() for f in busy)
    tagging._end_pool(pool, finished=False)  # noqa: SLF001 - shutdown alone would wait for the sleeps
    assert _wait_until_gone(pids) == []
