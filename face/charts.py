"""Charts on a page: :func:`show_chart` draws an nps.charts builder with SVG and PNG downloads made only when clicked.

Three speed tricks, each with the figure that justifies it (measured on two cores):

* **Validation off.** Altair validates a chart against the Vega-Lite schema when it is built
  (its debug mode) and again in ``to_dict``, and ``st.altair_chart`` validates every spec on
  every run (~20 ms a chart, under a global lock; the construction-time check costs more than
  the drawing). The builders are validated once, in tests/test_charts.py, so the app builds
  and converts without it, and draws the spec with ``st.vega_lite_chart``.
* **A fixed dataset name.** Altair names a chart's rows after a hash of them; under the fixed
  name ``rows``, a chart whose layout did not change gets only its rows swapped in the browser
  instead of being compiled and drawn anew.
* **Frames hashed by their pickle.** The spec is cached by the builder and its arguments, frames
  included; a frame's pickle is its content and 5× quicker to take than Streamlit's default
  frame hash, so a rerun on the same numbers skips Altair.
"""

from __future__ import annotations

import functools
import importlib
import pickle
import re
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from nps import charts


def frame_bytes(frame: pd.DataFrame) -> bytes:
    """A frame's cache key: its pickle (its content, and 5× quicker than Streamlit's default frame hash)."""
    return pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)


@st.cache_data(show_spinner=False, max_entries=512, ttl=3600, hash_funcs={pd.DataFrame: frame_bytes})
def _chart_spec(module: str, builder: str, args: tuple[Any, ...], options: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    # Construction-time validation is Altair's debug mode: off (see the module docstring).
    with alt.utils.schemapi.debug_mode(False):
        chart = getattr(importlib.import_module(module), builder)(*args, **dict(options))
        return spec_of(chart)


def spec_of(chart: Any) -> dict[str, Any]:
    """A chart's Vega-Lite spec, unvalidated, with its rows under the fixed name ``rows`` (see the module docstring)."""
    spec = chart.to_dict(validate=False)
    spec.get("config", {}).pop("view", None)  # Altair's default 300×300 view; Streamlit sizes the chart
    datasets, data = spec.get("datasets", {}), spec.get("data")
    if len(datasets) == 1 and isinstance(data, dict) and data.get("name") in datasets:
        spec["datasets"] = {"rows": datasets[data["name"]]}
        spec["data"] = {**data, "name": "rows"}
    return spec


def show_chart(chart: Any, *args: Any, where: Any = None, key: str | None = None,
               on_select: str | Callable[[], None] = "ignore", **options: Any) -> Any:
    """Draw a chart from nps.charts, with SVG and PNG downloads made only when clicked.

    ``chart`` is a builder called as ``chart(*args, **options)`` (its Vega-Lite spec is
    cached by the builder and its arguments, frames included, so a rerun on the same
    numbers skips Altair) or an Altair chart already built.
    """
    target = where or st
    if isinstance(chart, alt.TopLevelMixin):
        spec, build = spec_of(chart), functools.partial(lambda c: c, chart)
    else:
        spec = _chart_spec(chart.__module__, chart.__name__, args, tuple(sorted(options.items())))
        build = functools.partial(chart, *args, **options)
    state = target.vega_lite_chart(spec, width="stretch", key=key, on_select=on_select)
    title = spec.get("title")
    title = title.get("text") if isinstance(title, dict) else title
    slug = re.sub(r"[^0-9a-zA-Z]+", "-", str(title or "chart")).strip("-").lower()[:60] or "chart"
    # Keys by drawing order: stable from run to run, unique within one (the router resets the count).
    seq = st.session_state.get("_chart_seq", 0) + 1
    st.session_state["_chart_seq"] = seq
    with target.popover("Save chart", icon=":material/download:", type="tertiary", key=f"save_{seq}"):
        st.download_button("SVG", lambda: charts.export_chart(build(), "svg"), file_name=f"{slug}.svg",
                           mime="image/svg+xml", on_click="ignore", key=f"svg_{seq}")
        st.download_button("PNG", lambda: charts.export_chart(build(), "png"), file_name=f"{slug}.png",
                           mime="image/png", on_click="ignore", key=f"png_{seq}")
    return state
