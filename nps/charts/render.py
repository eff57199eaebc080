"""Vega-Lite specs to SVG or PNG, rendered by vl-convert in a child process.

vl-convert is native code: when it panics it aborts the process that called it,
which for the dashboard is the whole server and every user's session. So each
image is drawn by a short-lived ``python -m nps.charts.render`` (the spec on its stdin,
the image on its stdout) and a crash, an error or a hang there becomes a
:class:`ChartRenderError` here. Strings in the spec are cleaned of characters
vl-convert cannot draw first (:func:`nps.control_chars.strip_unsafe_in`), so the
known crash does not happen at all. A render costs about 0.6 s (a fresh Python and
vl-convert's JavaScript engine), paid only when someone saves a chart.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nps.control_chars import escape_for_terminal, strip_unsafe_in

if TYPE_CHECKING:
    import altair as alt

FORMATS: tuple[str, ...] = ("svg", "png")
TIMEOUT_SECONDS = 120.0
# At most this many renderers at once (each about 85 MB and a core for half a second): a burst of
# clicks queues instead of swamping the server's machine.
_SLOTS = threading.BoundedSemaphore(2)


class ChartRenderError(RuntimeError):
    """The chart could not be rendered (the renderer failed, crashed or took too long)."""


_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def worker_command() -> list[str]:
    """The command line of the rendering child: this Python running ``nps.charts.render``."""
    return [sys.executable, "-m", "nps.charts.render"]


def _child_environment() -> dict[str, str]:
    # The child imports nps from where this process did, whatever its working directory.
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, PYTHONPATH=_PACKAGE_ROOT + (os.pathsep + path if path else ""))


def render_spec(spec: dict[str, Any], fmt: str, *, scale: float = 2.0, command: Sequence[str] | None = None,
                timeout: float = TIMEOUT_SECONDS, request: str | None = None) -> bytes:
    """A Vega-Lite ``spec`` as image bytes: ``fmt`` ``"svg"`` (UTF-8 text) or ``"png"`` (``scale`` × its size).

    Runs ``command`` (default :func:`worker_command`) as a child process; raises
    ValueError for another format and :class:`ChartRenderError` when the child fails,
    is killed by a signal or runs past ``timeout`` seconds. The calling process is
    never affected by a crash of the renderer.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; use svg or png")
    if request is None:  # (render_specs passes its own batch request)
        request = json.dumps({"spec": strip_unsafe_in(spec), "format": fmt, "scale": float(scale)},
                             ensure_ascii=True, allow_nan=False)
    what = f"the chart could not be rendered as {fmt.upper()}"
    try:
        with _SLOTS:
            done = subprocess.run(list(command or worker_command()), input=request.encode("ascii"),
                                  capture_output=True, timeout=timeout, check=False,
                                  env=_child_environment())
    except subprocess.TimeoutExpired as exc:
        raise ChartRenderError(f"{what}: the renderer took longer than {timeout:g} s") from exc
    except OSError as exc:
        raise ChartRenderError(f"{what}: the renderer could not be started ({exc})") from exc
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        raise ChartRenderError(f"{what}: the renderer crashed ({name})")
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = escape_for_terminal(lines[-1][:300]) if lines else f"exit status {done.returncode}"
        raise ChartRenderError(f"{what}: {reason}")
    if not done.stdout:
        raise ChartRenderError(f"{what}: the renderer returned nothing")
    return done.stdout


def render_specs(specs: Sequence[dict[str, Any]], fmt: str, *, scale: float = 2.0,
                 command: Sequence[str] | None = None, timeout: float = TIMEOUT_SECONDS) -> list[bytes]:
    """Several Vega-Lite specs as images, in order, drawn by one child process (a pack's dozens of charts).

    The same as :func:`render_spec` for each spec, but one renderer starts for all of them
    (vl-convert's start-up is most of a single render's cost); the images come back framed by their
    lengths. ``timeout`` is for the whole batch. Raises ValueError for another format and
    :class:`ChartRenderError` when the child fails, crashes or runs too long.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; use svg or png")
    if not specs:
        return []
    request = json.dumps({"specs": [strip_unsafe_in(spec) for spec in specs], "format": fmt, "scale": float(scale)},
                         ensure_ascii=True, allow_nan=False)
    data = render_spec({}, fmt, scale=scale, command=[*(command or worker_command()), "--batch"], timeout=timeout,
                       request=request)
    images: list[bytes] = []
    at = 0
    while at < len(data):
        size = int.from_bytes(data[at:at + 8], "big")
        images.append(data[at + 8:at + 8 + size])
        at += 8 + size
    if len(images) != len(specs):
        raise ChartRenderError(f"the charts could not be rendered as {fmt.upper()}: "
                               f"{len(images)} images came back for {len(specs)} charts")
    return images


def export_chart(chart: alt.TopLevelMixin, fmt: str, *, scale: float = 2.0) -> bytes:
    """The chart as an image file: ``fmt`` ``"svg"`` (UTF-8 text) or ``"png"`` (``scale`` × its size).

    Rendered locally by vl-convert (no browser, no network) in a child process, after
    every string of the spec is cleaned of characters it cannot draw (see
    :mod:`nps.charts.render`). Raises ValueError for another format and
    :class:`nps.charts.render.ChartRenderError` when the renderer fails or crashes.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; use svg or png")
    return render_spec(chart.to_dict(validate=False), fmt, scale=scale)


def _main() -> None:
    """The child: read a request on stdin, write the image on stdout."""
    import vl_convert as vlc

    request = json.load(sys.stdin.buffer)
    fmt = request["format"]

    def draw(spec: dict[str, Any]) -> bytes:
        if fmt == "svg":
            return str(vlc.vegalite_to_svg(spec)).encode("utf-8")
        return bytes(vlc.vegalite_to_png(spec, scale=request["scale"]))

    if "--batch" in sys.argv[1:]:  # render_specs: each image framed by its length (8 bytes, big-endian)
        for spec in request["specs"]:
            data = draw(spec)
            sys.stdout.buffer.write(len(data).to_bytes(8, "big") + data)
    else:
        sys.stdout.buffer.write(draw(request["spec"]))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _main()
