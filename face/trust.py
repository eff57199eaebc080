"""How far to trust what a page shows: the caveats panel and the benchmarks' note, drawn from engine results.

:func:`caveats_panel` draws :func:`nps.query.caveats.caveats`' list (computed by :func:`face.cached.caveats`)
as one expander, open when something is a warning, with the checks run and two uploads that sharpen them; :func:`benchmark_note` says which external benchmarks are
drawn as reference lines and, greyed, which are not and why (:func:`nps.benchmarks.place`). The engine's
sentences name dataset values (a store, a country), so everything is escaped with :func:`face.widgets.md`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from face import auth, cached, records
from face.session import Context
from face.widgets import flash, md, show_flash
from nps import domain
from nps.benchmarks import Placement
from nps.caveats.rules import WARN, Caveat
from nps.caveats.tables import TableError, as_text, read_invitations, read_population
from nps.errors import NpsError
from nps.store.caveat_tables import INVITATIONS, POPULATION



def panel_title(found: Sequence[Caveat]) -> str:
    """The expander's title: how many warnings and notes, or that nothing was found."""
    warnings = sum(c.severity == WARN for c in found)
    notes = len(found) - warnings
    if not found:
        return "How far to trust this: nothing to flag"
    parts = [f"{warnings} warning{'s' * (warnings != 1)}"] * bool(warnings) + [f"{notes} note{'s' * (notes != 1)}"] * bool(notes)
    return "How far to trust this: " + ", ".join(parts)


def reference_lines(placements: Sequence[Placement]) -> list[tuple[str, float]]:
    """The (label, NPS) reference lines of the comparable benchmarks, for :func:`nps.charts.chart_trend`."""
    return [(f"{p.benchmark.name} {p.benchmark.nps:+.0f}", p.benchmark.nps) for p in placements if p.comparable]


POPULATION_KEY, INVITATIONS_KEY = "trust_population", "trust_invitations"
FLASH = "_trust_flash"


def uploaded_tables() -> tuple[pd.DataFrame | None, pd.DataFrame | None, list[str]]:
    """The panel's uploaded population and invitations tables, read and checked (:mod:`nps.caveats.tables`):
    (population, invitations, the problems found, each naming the file, row and column)."""
    out: list[pd.DataFrame | None] = []
    problems: list[str] = []
    for key, read in ((POPULATION_KEY, read_population), (INVITATIONS_KEY, read_invitations)):
        upload = st.session_state.get(key)
        table = None
        if upload is not None:
            try:
                table = read(upload.getvalue(), upload.name)
            except TableError as error:
                problems.append(str(error))
        out.append(table)
    return out[0], out[1], problems


def _keep(ds_id: int) -> None:
    """The *Keep* button's callback: each valid uploaded table kept for the dataset (editor; audited)."""
    kept = []
    try:
        for key, kind, read in ((POPULATION_KEY, POPULATION, read_population),
                                (INVITATIONS_KEY, INVITATIONS, read_invitations)):
            upload = st.session_state.get(key)
            if upload is None:
                continue
            text = as_text(upload.getvalue(), upload.name)
            read(text, upload.name)  # checked again: only a table that reads is kept
            records.keep_caveat_table(ds_id, kind, upload.name, text)
            kept.append(f"{kind} ({upload.name})")
    except (NpsError, ValueError) as error:
        flash(FLASH, str(error), "error")
        return
    flash(FLASH, f"Kept for this dataset: {', '.join(kept)}. Its review packs and every reader now use them.")


def _forget(ds_id: int) -> None:
    """The *Forget* button's callback: the dataset's kept tables forgotten (editor; audited)."""
    try:
        gone = [kind for kind in (POPULATION, INVITATIONS) if records.forget_caveat_table(ds_id, kind)]
    except NpsError as error:
        flash(FLASH, str(error), "error")
        return
    flash(FLASH, f"Forgotten: the kept {' and '.join(gone)} table{'s' * (len(gone) > 1)}.")


def caveats_panel(ctx: Context) -> None:
    """The "how far to trust this" expander of the sidebar's view: each caveat's severity, title and sentence,
    warnings first, open when there is a warning; the checks run and not run; two uploads (a population's shares,
    the invitations sent) that sharpen them for the session, and which an editor may keep for the dataset (its
    readers, review packs and scheduled sending then use them)."""
    population, invitations, problems = uploaded_tables()
    kept = records.kept_caveat_tables(ctx.dataset)
    uploaded = population is not None or invitations is not None
    population = population if population is not None else kept.population
    invitations = invitations if invitations is not None else kept.invitations
    try:
        found, ran, not_run = cached.caveats(ctx, ctx.flt, ctx.opts, population, invitations)
    except (NpsError, ValueError) as error:  # a table naming a column the data lacks, or values it cannot use
        problems.append(str(error))
        found, ran, not_run = cached.caveats(ctx, ctx.flt, ctx.opts)
    warned = any(c.severity == WARN for c in found) or bool(problems)
    with st.expander(panel_title(found), icon=":material/warning:" if warned else ":material/verified:",
                     expanded=warned or FLASH in st.session_state):
        show_flash(FLASH)
        for problem in problems:
            st.error(md(f"Not used: {problem}"))
        for caveat in found:
            icon = "⚠️" if caveat.severity == WARN else "ℹ️"
            st.markdown(f"{icon} **{md(caveat.title)}**: {md(caveat.sentence)}")
        if not found:
            st.markdown("Nothing in the data shown calls for a warning.")
        st.caption(md("Checked: " + "; ".join(ran) + ".") if ran else "Nothing could be checked.")
        if not_run:
            st.caption(md("Not checked: " + "; ".join(not_run) + "."))
        if kept.notes:
            st.caption(md("Kept for this dataset: " + "; ".join(kept.notes) + "."))
        left, right = st.columns(2)
        left.file_uploader("Population shares (CSV: column, value, share)", type=["csv", "txt"], key=POPULATION_KEY,
                           help="The population's make-up, e.g. segment,B2B,40%: the sample is compared with it and "
                                "raked to it, the weighted NPS shown beside the unweighted one. For this session "
                                "unless kept for the dataset.")
        right.file_uploader("Invitations sent (CSV: invitations, optionally a column of the data and period)",
                            type=["csv", "txt"], key=INVITATIONS_KEY,
                            help="How many were invited (per value of one column, per month): the response rate, "
                                 "coverage and its trend. For this session unless kept for the dataset.")
        if auth.allowed(domain.EDITOR):
            a, b = st.columns(2)
            if uploaded and not problems:
                a.button("Keep the uploaded tables for this dataset", icon=":material/save:", on_click=_keep,
                         args=(ctx.dataset.id,), help="Every reader of the dataset, its review packs and the "
                         "scheduled sending then use them (recorded in the audit trail).")
            if kept.notes:
                b.button("Forget the kept tables", icon=":material/delete:", on_click=_forget, args=(ctx.dataset.id,))


def benchmark_note(placements: Sequence[Placement]) -> None:
    """Under a trend: the benchmarks drawn as dashed reference lines, and the others greyed with why not."""
    drawn = [p.benchmark for p in placements if p.comparable]
    if drawn:
        st.caption("Dashed: " + "; ".join(md(f"{b.label()}, NPS {b.nps:+.0f}") for b in drawn)
                   + ". External benchmarks measured the same way as the data shown, not targets.")
    for p in placements:
        if not p.comparable:
            st.caption(f":gray[Not drawn: {md(p.benchmark.label())}, {md(p.reason)}.]")
