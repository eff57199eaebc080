"""The Review meeting's follow-up section of a card: the function's follow-up KPIs, its overdue cases (a link to the
Follow-up page filtered to it) and its open improvement actions (a link to the Actions page)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from nps.followup.kpis import Kpis

NO_CASES = "Follow-up: an employee survey's answers are anonymous, so no cases are opened for them."
OVERDUE_STYLE = "background-color: rgba(214, 39, 40, 0.15)"


def _share(value: float | None, n: int | None = None) -> str:
    text = "–" if value is None else f"{value:.0%}"
    return text if n is None else f"{text} (n = {n})"


def kpi_tiles(figures: Kpis) -> None:
    """The six follow-up KPI tiles, as the Follow-up page and each Review meeting card show them."""
    tiles = st.columns(6)
    tiles[0].metric("Detractors", figures.detractors)
    tiles[1].metric("Cases opened", figures.cases_opened)
    tiles[2].metric("Contacted in time", "–" if figures.contacted_within_deadline_pct is None
                    else f"{figures.contacted_within_deadline_pct:.0f}%")
    tiles[3].metric("Hours to first contact (median)", "–" if figures.first_contact_hours_p50 is None
                    else f"{figures.first_contact_hours_p50:.1f}")
    tiles[4].metric("Overdue", figures.overdue)
    tiles[5].metric("Escalations", figures.escalations)


def followup_section(figures: Kpis | None, dimension: str, value: str, actions: pd.DataFrame | None,
                     number: int) -> None:
    """One card's follow-up: six KPI tiles, the recovery rates side by side, the overdue link, the open actions."""
    st.markdown("**Follow-up**")
    if figures is None:
        figures = Kpis(0, 0, None, None, None, None, None, 0, 0, None, 0, None, 0)
    kpi_tiles(figures)
    st.caption(f"Recovery rate (answered again with 7+): followed up {_share(figures.recovery_rate, figures.recovery_n)}"
               f" · not contacted {_share(figures.recovery_rate_not_contacted, figures.recovery_not_contacted_n)}")
    st.page_link("pages/followup.py", label=f"{figures.overdue} overdue case(s): open them in Follow-up",
                 icon=":material/support_agent:", query_params={"fu_dim": dimension, "fu_dim_values": value})
    if actions is None or actions.empty:
        st.caption("No open improvement actions for this function.")
    else:
        st.markdown(f"**Open improvement actions** ({len(actions)})")
        st.dataframe(actions.style.apply(lambda row: [OVERDUE_STYLE if row["overdue"] else ""] * len(row), axis=1),
                     hide_index=True, width="stretch", key=f"review_actions_{number}",
                     column_config={"overdue": st.column_config.CheckboxColumn("overdue")})
    st.page_link("pages/actions.py", label="Improvement actions", icon=":material/task_alt:",
                 query_params={"act_function": value})


def employee_note() -> None:
    """The one line an employee dataset's cards show instead of the follow-up."""
    st.caption(NO_CASES)



def moved_text(moved: pd.DataFrame, level: float) -> str:
    """A card's line on the detractors' themes that moved: share before → since, change with its interval, and
    whether it is significant (Benjamini–Hochberg across the themes); Markdown-escaped."""
    from face.widgets import md
    from nps import format as fmt

    if moved.empty:
        return "Detractors' themes that moved: none mentioned in either period."
    parts = [f"{theme} {fmt.share(before)} → {fmt.share(since)} ({fmt.points(change)} pts, {fmt.level(level)} CI "
             f"{fmt.points_range(low, high)}, {'significant' if significant else 'noise'})"
             for theme, before, since, change, low, high, significant in zip(
                 moved["theme"], moved["before"], moved["since"], moved["change"], moved["change_ci_low"],
                 moved["change_ci_high"], moved["change_significant"])]
    return "Detractors' themes that moved most: " + md(" · ".join(parts)) + " (significance: Benjamini–Hochberg across the themes)"


def shares_text(frame: pd.DataFrame, level: float) -> str:
    """A card's shares: ``P 31.5% (28.3–34.8%, +6.4 pts noise)`` for promoters, passives and detractors; the change
    only with a comparison period, *significant* after the page's control of the share changes."""
    from nps import format as fmt

    names = {"promoter": "P", "passive": "Pa", "detractor": "D"}
    parts = []
    for row in frame.set_index("category").reindex(["promoter", "passive", "detractor"]).itertuples():
        text = f"{names[row.Index]} {fmt.share(row.share)} ({fmt.share(row.share_low)}–{fmt.share(row.share_high)}"
        if row.change == row.change:
            text += f", {fmt.points(row.change)} pts {'significant' if row.change_significant else 'noise'}"
        parts.append(text + ")")
    return f"{fmt.level(level)} CI: " + " · ".join(parts)
