"""How far to trust what a page shows: the caveats panel and the benchmarks' note, drawn from engine results.

:func:`caveats_panel` draws :func:`nps.query.caveats.caveats`' list (computed by :func:`face.cached.caveats`)
as one expander, open when something is a warning; :func:`benchmark_note` says which external benchmarks are
drawn as reference lines and, greyed, which are not and why (:func:`nps.benchmarks.place`). The engine's
sentences name dataset values (a store, a country), so everything is escaped with :func:`face.widgets.md`.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from face.widgets import md
from nps.benchmarks import Placement
from nps.caveats.rules import WARN, Caveat

CHECKS = ("response rate and coverage (with invitation counts)", "sample vs population (with a population table)",
          "comparisons across countries or languages", "signs of gaming (spikes of 10s, flat scores, asked-for 10s)",
          "survey fatigue", "survey types pooled")


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


def caveats_panel(found: Sequence[Caveat]) -> None:
    """The "how far to trust this" expander: each caveat's severity, title and sentence, warnings first; open when
    there is a warning. With none, the checks that were run."""
    warned = any(c.severity == WARN for c in found)
    with st.expander(panel_title(found), icon=":material/warning:" if warned else ":material/verified:",
                     expanded=warned):
        for caveat in found:
            icon = "⚠️" if caveat.severity == WARN else "ℹ️"
            st.markdown(f"{icon} **{md(caveat.title)}**: {md(caveat.sentence)}")
        if not found:
            st.markdown("Checked: " + "; ".join(CHECKS) + ". Nothing in the data shown calls for a warning.")
        st.caption("Invitation counts and a population table sharpen these checks: `python -m nps caveats "
                   "--invitations FILE.csv --population FILE.csv` (see the README, *How far to trust it*).")


def benchmark_note(placements: Sequence[Placement]) -> None:
    """Under a trend: the benchmarks drawn as dashed reference lines, and the others greyed with why not."""
    drawn = [p.benchmark for p in placements if p.comparable]
    if drawn:
        st.caption("Dashed: " + "; ".join(md(f"{b.label()}, NPS {b.nps:+.0f}") for b in drawn)
                   + ". External benchmarks measured the same way as the data shown, not targets.")
    for p in placements:
        if not p.comparable:
            st.caption(f":gray[Not drawn: {md(p.benchmark.label())}, {md(p.reason)}.]")
