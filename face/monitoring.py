"""The Indicators & benchmarks page's forms and callbacks: define (an NPS, a theme share or an item rating's mean) and
delete indicators, add, import and remove benchmarks (editors), and the line saying what an indicator follows. Each write goes through :mod:`face.records` (role checked, audited) from a callback, and its
outcome is shown once on the next run."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

import face
from face import records
from face.session import Context
from nps.errors import NpsError
from nps.store.benchmarks import METHODS
from nps.store.indicators import KINDS

if TYPE_CHECKING:
    from nps.query.indicators import Status as IndicatorStatus

FLASH = "_monitoring_flash"
KIND_NAMES = {"nps": "NPS", "theme": "theme share", "item": "item rating"}
WHOLE = "(the whole dataset)"


def _write(change: Callable[[], object], done: str) -> None:
    try:
        change()
    except (NpsError, ValueError) as error:
        face.flash(FLASH, str(error), "error")
    else:
        face.flash(FLASH, done)


def what_it_follows(ctx: Context, status: IndicatorStatus) -> str:
    """One line (plain text) of what an indicator follows, of which responses, and its owner: "mean of rating speed
    on 1–5 · Business function = Delivery & logistics · owner …"."""
    item = status.indicator
    scope = "; ".join(f"{ctx.label(c)} = {' or '.join(v)}" for c, v in item.conditions) or "all responses"
    if item.kind == "item":
        kind = f"mean of {ctx.label(str(item.item), in_sentence=True)} on {status.unit}"
    elif item.kind == "theme":
        kind = f"share of detractors' comments mentioning {item.theme}"
    else:
        kind = "NPS"
    return f"{kind} · {scope}" + (f" · owner {item.owner}" if item.owner else "")


def indicator_form(ctx: Context, themes: list[str]) -> None:
    """*Define an indicator*: name, kind, the responses it follows (a column and values), theme or item (the
    dataset's item ratings, by their readable names), threshold, target, owner."""
    with st.form("indicator_define", border=True):
        st.markdown("**Define an indicator**")
        a, b = st.columns([2, 1])
        a.text_input("Name", key="ind_name", placeholder="e.g. NPS of deliveries")
        b.selectbox("Kind", KINDS, key="ind_kind", format_func=KIND_NAMES.get)
        c, d = st.columns([1, 2])
        c.selectbox("Of the responses of", [WHOLE, *ctx.dimensions], key="ind_column",
                    format_func=lambda col: col if col == WHOLE else ctx.label(col))
        d.text_input("with the values (comma separated)", key="ind_values", placeholder="e.g. Delivery")
        e, h = st.columns(2)
        e.selectbox("Theme (theme share)", themes, index=None, key="ind_theme", placeholder="a codebook theme")
        h.selectbox("Item (item rating)", list(ctx.dataset.mapping.items), index=None, key="ind_item",
                    format_func=ctx.label, placeholder="one of the dataset's item ratings"
                    if ctx.dataset.mapping.items else "the dataset has no item ratings")
        f, g = st.columns(2)
        f.number_input("Alarm threshold", value=None, key="ind_threshold",
                       help="An NPS or an item's mean (on its scale) below it, or a theme share (%) above it, is an "
                            "alarm.")
        g.number_input("Target", value=None, key="ind_target")
        st.text_input("Owner (e-mail)", key="ind_owner")
        st.form_submit_button("Save the indicator", icon=":material/save:", on_click=_save_indicator, args=(ctx,))


def _save_indicator(ctx: Context) -> None:
    state = st.session_state
    column = state.get("ind_column")
    values = [v.strip() for v in str(state.get("ind_values") or "").split(",") if v.strip()]
    conditions = {column: values} if column and column != WHOLE and values else {}
    _write(lambda: records.add_indicator(
        ctx.dataset.id, name=str(state.get("ind_name") or ""), kind=state.get("ind_kind") or KINDS[0],
        conditions=conditions, theme=state.get("ind_theme"), threshold=state.get("ind_threshold"),
        target=state.get("ind_target"), owner=state.get("ind_owner"), item=state.get("ind_item")),
        "The indicator is saved.")


def delete_indicator(indicator_id: int) -> None:
    """A callback: delete one indicator."""
    _write(lambda: records.remove_indicator(indicator_id), "The indicator is deleted.")


def benchmark_form() -> None:
    """*Add a benchmark* (one row) and *Import a CSV* of benchmarks."""
    with st.form("benchmark_add", border=True):
        st.markdown("**Add a benchmark** (someone else's published NPS: where it comes from and how it measured)")
        a, b, c = st.columns([2, 1, 1])
        a.text_input("Name", key="bm_name")
        b.number_input("NPS", min_value=-100.0, max_value=100.0, value=None, key="bm_nps")
        c.number_input("Year", min_value=1990, max_value=2100, value=None, step=1, key="bm_year")
        d, e, f = st.columns(3)
        d.text_input("Source", key="bm_source", placeholder="the report or study")
        e.selectbox("Method", METHODS, key="bm_method")
        f.number_input("n (responses)", min_value=1, value=None, step=1, key="bm_n")
        g, h, i = st.columns(3)
        g.text_input("Country", key="bm_country")
        h.text_input("Industry", key="bm_industry")
        i.text_input("Touchpoint", key="bm_touchpoint")
        st.checkbox("Fictitious (an example: never drawn as a reference)", key="bm_fictitious")
        st.form_submit_button("Add the benchmark", icon=":material/add:", on_click=_save_benchmark)
    upload = st.file_uploader("Import benchmarks from a CSV (name,nps,source,year,country,industry,touchpoint,method,"
                              "n,fictitious)", type=["csv"], key="bm_file")
    if upload is not None:
        st.button("Import the file", icon=":material/upload:", on_click=_import_benchmarks,
                  args=(upload.getvalue().decode("utf-8-sig", errors="replace"), upload.name))


def _save_benchmark() -> None:
    state = st.session_state
    _write(lambda: records.add_benchmark(
        name=state.get("bm_name"), nps=state.get("bm_nps") if state.get("bm_nps") is not None else "",
        source=state.get("bm_source"), year=state.get("bm_year") if state.get("bm_year") is not None else "",
        method=state.get("bm_method"), country=state.get("bm_country"), industry=state.get("bm_industry"),
        touchpoint=state.get("bm_touchpoint"), n=state.get("bm_n"), fictitious=bool(state.get("bm_fictitious"))),
        "The benchmark is added.")


def _import_benchmarks(text: str, name: str) -> None:
    _write(lambda: records.import_benchmarks(text, name), f"The benchmarks of {name} are imported.")


def delete_benchmark(benchmark_id: int) -> None:
    """A callback: remove one benchmark."""
    _write(lambda: records.remove_benchmark(benchmark_id), "The benchmark is removed.")
