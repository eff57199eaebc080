"""Tagging many comments: each one's language and themes, shared among worker processes when there are many.

:func:`tag_comments` gives, for every comment, what :func:`nps.text.matching.tag_comment`
finds, in seconds for a million comments: languages are detected in batches
(:func:`nps.text.language.detect_languages`), what a word brings to the match is
worked out once per word and language, and large inputs are cut into slices that
worker processes tag in parallel. :func:`tag_arrays` is the same as arrays, for
the store, which writes them to the per-dataset tag tables
(:func:`nps.store.tagging.tag_dataset`).

The workers are a :class:`concurrent.futures.ProcessPoolExecutor` started with
multiprocessing's ``forkserver``: a small single-threaded process, started afresh
(exec, not fork) once per process and kept, forks them. They therefore inherit
neither the threads and locks of the Streamlit server that asks for tagging nor its
Python signal handlers. (Forking the server directly did: its SIGTERM handler made
forked workers ignore termination, which needed a SIGTERM reset in every worker and
a SIGKILL after a grace period for workers forked just before the end; both are gone.)
The forkserver imports this module and :mod:`nps.text.prewarm` once (its preload), so a
worker starts with the libraries imported and the language model and lemma dictionaries
loaded: starting a pool costs a fork per worker, not seconds of loading in each.
As with ``spawn``, the caller's main module is imported for the workers (once, in the
forkserver; not when it is a package's ``__main__``: ``python -m ...``): a script that
tags guards its top level with ``if __name__ == "__main__":``.

What stays of the old workaround, and why:

- Dying with the server: a ProcessPoolExecutor worker does not notice that the process
  that submitted work died (it waits on its call queue forever), and the forkserver
  outlives that process as long as any worker it forked does (each one holds its
  "alive" pipe). So each worker watches the process that asked for the pool (a thread
  waiting on a pidfd, else asking every second) and exits when it is gone, however it
  went (even SIGKILL); the forkserver then sees no client left and exits too. This
  replaces the fork pool's ``prctl(PR_SET_PDEATHSIG)`` on the server, which is kept,
  now on the forkserver, for a forkserver killed on its own.
- Ending the workers when tagging ends early (``cancel``, an exception from a progress
  callback): :meth:`ProcessPoolExecutor.shutdown` waits for the slices being tagged,
  and Python before 3.14 has no ``terminate_workers()``, so the workers are sent
  SIGTERM (their default action: they end) and waited for. However tagging ends, no
  worker outlives the call.
- ``cancel`` is polled every 0.1 s while waiting for the workers.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import multiprocessing as mp
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from nps.domain import LANGUAGES
from nps.domain import UNKNOWN_LANGUAGE as UNKNOWN
from nps.errors import NpsError
from nps.text import words as text_words
from nps.text.codebook import Codebook
from nps.text.language import detect_languages, prepare_language_detection
from nps.text.matching import _matcher, _Matcher

# Codes of the stored languages: an int8 per comment while tagging.
LANGUAGE_CODES: tuple[str, ...] = (*LANGUAGES, UNKNOWN)
_LANGUAGE_INDEX = {code: i for i, code in enumerate(LANGUAGE_CODES)}
# Below this many distinct comments one process is quicker than starting a pool.
POOL_MIN_COMMENTS = 20_000
# Comments per piece of work: large enough for the batched language detector, small
# enough for a steady progress bar.
_CHUNK = 10_000
# How the workers are started (see the module's docstring) and what the forkserver imports once.
START_METHOD = "forkserver"
_PRELOAD = ["__main__", "nps.text.tagging", "nps.text.prewarm"]

_Tagged = tuple[int, np.ndarray, np.ndarray, np.ndarray]


def _tag_chunk(comments: Sequence[str], matcher: _Matcher, start: int, stop: int,
               languages: Sequence[str] | None = None) -> _Tagged:
    """Tag ``comments[start:stop]``: (start, language code per comment, comment number and theme number per mention)."""
    part = comments[start:stop]
    langs = list(languages[start:stop]) if languages is not None else detect_languages(part)
    codes = np.fromiter((_LANGUAGE_INDEX.get(lang, _LANGUAGE_INDEX[UNKNOWN]) for lang in langs),
                        dtype=np.int8, count=len(part))
    which: list[int] = []
    theme_numbers: list[int] = []
    position = matcher.position
    for k, (comment, lang) in enumerate(zip(part, langs)):
        words = text_words.split_words(comment)
        if words:
            for theme in matcher.themes(words, lang, comment):
                which.append(start + k)
                theme_numbers.append(position[theme])
    return start, codes, np.asarray(which, dtype=np.int64), np.asarray(theme_numbers, dtype=np.int32)


# The matcher a pool worker tags with: set once per worker by its initializer.
_WORKER: _Matcher | None = None
# How often a wait for the workers looks at ``cancel`` (seconds).
_POLL = 0.1
_PR_SET_PDEATHSIG = 1


class TaggingCancelled(NpsError):
    """Tagging was stopped (the page was left, the session ended, the server is stopping); nothing was stored."""


def _die_with_parent() -> None:
    """Linux: have the kernel send this worker SIGTERM when its parent (the forkserver) dies."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the caller's watch and the pool's teardown remain
            pass
    if os.getppid() != parent:  # the forkserver died before the request was made
        os._exit(1)


def _die_with_caller(caller: int) -> None:
    """End this worker as soon as ``caller`` (the process that asked for the pool) has ended, however it ended.

    A thread waits on a pidfd of the caller (Linux 5.3+), else asks every second whether it is there.
    """
    try:
        handle: int | None = os.pidfd_open(caller)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd here
        handle = None

    def watch() -> None:
        if handle is not None:
            select.select([handle], [], [])
        else:
            while True:
                time.sleep(1.0)
                try:
                    os.kill(caller, 0)
                except ProcessLookupError:
                    break
                except PermissionError:  # alive (under another user: not our caller, but keep working)
                    pass
        os._exit(1)

    threading.Thread(target=watch, name="passaparola-caller-watch", daemon=True).start()


def _start_worker(codebook: Codebook, caller: int) -> None:
    """A pool worker's initializer: end with the caller and the forkserver, leave Ctrl-C to it, build the matcher."""
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the caller, which ends the pool
    _die_with_parent()
    _die_with_caller(caller)
    prepare_language_detection()
    _WORKER = _matcher(codebook)


def _worker_chunk(start: int, comments: Sequence[str], languages: Sequence[str] | None) -> _Tagged:
    """Tag one slice of comments in a worker; comment numbers count from ``start``."""
    assert _WORKER is not None, "the pool worker was not started with its codebook"
    _, codes, which, numbers = _tag_chunk(comments, _WORKER, 0, len(comments), languages)
    return start, codes, which + start, numbers


def pool_size(comments: int, workers: int | None) -> int:
    """How many processes tag ``comments`` distinct comments: ``workers`` if given, else one per core (up to 4).

    One process below :data:`POOL_MIN_COMMENTS` comments or where processes
    cannot be started by a forkserver (not on POSIX). Raises ValueError for a
    ``workers`` below 1.
    """
    if workers is not None:
        if isinstance(workers, bool) or int(workers) != workers or workers < 1:
            raise ValueError(f"workers is a number of processes (1 or more), not {workers!r}")
        return int(workers)
    if comments < POOL_MIN_COMMENTS or START_METHOD not in mp.get_all_start_methods():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def _start_pool(workers: int, codebook: Codebook) -> cf.ProcessPoolExecutor:
    """A pool of ``workers`` processes forked by the forkserver, each with ``codebook``'s matcher."""
    context = mp.get_context(START_METHOD)
    context.set_forkserver_preload(_PRELOAD)  # read when the forkserver starts (once per process)
    return cf.ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                  initargs=(codebook, os.getpid()))


def _end_pool(pool: cf.ProcessPoolExecutor, finished: bool) -> None:
    """Shut ``pool`` down and wait for its workers; unless ``finished``, terminate them first.

    Terminating goes through the executor's process table (``terminate_workers()`` is
    Python 3.14's): ``shutdown`` alone would wait for the slices being tagged.
    """
    workers = [] if finished else list((getattr(pool, "_processes", None) or {}).values())
    for worker in workers:
        try:
            if worker.is_alive():
                worker.terminate()
        except (OSError, ValueError):  # ended meanwhile
            pass
    pool.shutdown(wait=True, cancel_futures=True)
    for worker in workers:
        worker.join()


def tag_comments(
    comments: Sequence[str],
    codebook: Codebook,
    *,
    languages: Sequence[str] | None = None,
    workers: int | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> tuple[list[str], list[tuple[str, ...]]]:
    """The language and the themes of each comment, in order, as :func:`nps.text.matching.tag_comment` finds them.

    Returns (languages, themes): a language code or ``"unknown"`` per comment
    and a tuple of theme names (codebook order) per comment. ``languages``
    gives them when known (they are then not detected again). ``workers``
    processes share the work (default: one per core, up to 4, from
    :data:`POOL_MIN_COMMENTS` comments on; started by a forkserver, so POSIX
    only, else one). ``on_chunk(start, stop)`` is called as each slice of
    comments is done. ``cancel()`` is asked between slices and every 0.1 s
    while waiting for the workers; when it returns True, raises
    :class:`TaggingCancelled`. However tagging ends (done, cancelled, an
    exception from ``on_chunk``), its worker processes have ended when this
    returns or raises. Raises ValueError for a ``workers`` below 1.
    """
    comments = list(comments)
    size = pool_size(len(comments), workers)
    codes, which, numbers = tag_arrays(comments, codebook, languages, size, on_chunk, cancel)
    names = list(codebook.themes)
    found: list[list[str]] = [[] for _ in comments]
    for k, t in sorted(zip(which.tolist(), numbers.tolist())):
        found[k].append(names[t])
    return [LANGUAGE_CODES[c] for c in codes.tolist()], [tuple(f) for f in found]


def tag_arrays(
    comments: list[str],
    codebook: Codebook,
    languages: Sequence[str] | None,
    workers: int,
    on_chunk: Callable[[int, int], None] | None,
    cancel: Callable[[], bool] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`tag_comments` as arrays: each comment's language code, and every mention's (comment, theme) numbers.

    Returns (codes, which, numbers): ``codes[k]`` indexes :data:`LANGUAGE_CODES`
    for comment ``k``; mention ``j`` is comment ``which[j]`` mentioning theme
    ``numbers[j]`` (codebook order), mentions in no particular order.
    ``workers`` is the number of processes (see :func:`pool_size`);
    ``on_chunk`` and ``cancel`` as for :func:`tag_comments`.
    """
    matcher = _matcher(codebook)
    bounds = [(i, min(i + _CHUNK, len(comments))) for i in range(0, len(comments), _CHUNK)]
    codes = np.zeros(len(comments), dtype=np.int8)
    which: list[np.ndarray] = []
    numbers: list[np.ndarray] = []

    def check() -> None:
        if cancel is not None and cancel():
            raise TaggingCancelled("tagging the comments was stopped before it finished; nothing was stored")

    def take(result: _Tagged) -> None:
        start, chunk_codes, chunk_which, chunk_numbers = result
        codes[start:start + len(chunk_codes)] = chunk_codes
        which.append(chunk_which)
        numbers.append(chunk_numbers)
        if on_chunk is not None:
            on_chunk(start, start + len(chunk_codes))

    if workers <= 1 or len(bounds) <= 1:
        for start, stop in bounds:
            check()
            take(_tag_chunk(comments, matcher, start, stop, languages))
    else:
        check()
        pool = _start_pool(min(workers, len(bounds)), codebook)
        finished = False
        try:
            pending: set[cf.Future[_Tagged]] = {
                pool.submit(_worker_chunk, start, comments[start:stop],
                            None if languages is None else list(languages[start:stop]))
                for start, stop in bounds
            }
            while pending:
                check()
                done, pending = cf.wait(pending, timeout=_POLL, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    take(future.result())
            finished = True
        finally:
            # Done, cancelled or failed: the workers end with the job and are waited for.
            _end_pool(pool, finished)
    empty = np.zeros(0, dtype=np.int64)
    return (codes, np.concatenate(which) if which else empty,
            np.concatenate(numbers) if numbers else empty.astype(np.int32))

