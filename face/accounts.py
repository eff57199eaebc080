"""The *B2B accounts* tab of Promoters & accounts: account-based and revenue-weighted NPS, revenue at risk,
coverage, the accounts by revenue at risk, and an optional account list uploaded for the session.

The numbers come from :func:`face.cached.accounts` (``nps.accounts.analyse_accounts`` through the row source);
an account list (account, revenue) replaces the revenue column and gives the coverage of the whole book. It is
read with :func:`nps.accounts.scoring.read_account_list` and kept for the session only. Account names and notes
are dataset text: escaped with :func:`face.widgets.md` or drawn as table data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from face import cached
from face.session import Context
from face.widgets import md
from nps import format as fmt
from nps.accounts.scoring import AccountListError, coverage_sentence, read_account_list
from nps.charts import tables

if TYPE_CHECKING:
    from nps.accounts.analysis import AccountAnalysis

LIST_KEY = "acct_list"


def uploaded_list() -> tuple[pd.DataFrame | None, str | None]:
    """The uploaded account list as a table of text, or None; and the problem reading it, if any."""
    upload = st.session_state.get(LIST_KEY)
    if upload is None:
        return None, None
    try:
        return read_account_list(upload.getvalue(), upload.name), None
    except AccountListError as error:
        return None, str(error)


def accounts_tab(ctx: Context) -> None:
    """The tab: summaries with intervals at the chosen level, coverage, notes, the table, the account-list upload."""
    account_list, problem = uploaded_list()
    found = cached.accounts(ctx, ctx.flt, ctx.opts, account_list)
    if problem:
        st.error(md(f"Not used: {problem}"))
    if isinstance(found, str):
        st.info(md(found))
    else:
        _summary(ctx, found)
    st.file_uploader("Account list (CSV: account, revenue — the whole book, answered or not)", type=["csv", "txt"],
                     key=LIST_KEY, help="One row per account with its annual revenue: it replaces the revenue column "
                     "and the coverage counts every listed account. For this session only, not stored.")


def _summary(ctx: Context, found: AccountAnalysis) -> None:
    level = fmt.level(ctx.opts.level)
    cols = found.columns
    source = "the account list" if found.revenues is not None and found.revenues.listed else cols.revenue
    st.caption(f"Accounts by {md(cols.account)}" + (f", role by {md(cols.role)}" if cols.role else "")
               + (f", revenue from {md(source)}" if source else "") + ". An account is a promoter when its contacts' "
               "mean score (or, with a role column, its most senior role's) is 9 or more, a detractor at 6 or less.")
    t1, t2, t3 = st.columns(3)
    account_nps = found.account_nps
    t1.metric("Account-based NPS", fmt.points(account_nps.nps))
    t1.caption(f"{level} CI {fmt.points_range(account_nps.ci_low, account_nps.ci_high)} · n {account_nps.n:,} accounts")
    revenue_nps = found.revenue_nps
    if revenue_nps is not None:
        t2.metric("Revenue-weighted NPS", fmt.points(revenue_nps.nps))
        t2.caption(f"{level} CI {fmt.points_range(revenue_nps.ci_low, revenue_nps.ci_high)} · n {revenue_nps.n:,} "
                   "accounts with a revenue")
    if found.revenue_at_risk is not None:
        t3.metric("Revenue at risk", f"{found.revenue_at_risk:,.0f}",
                  help="The revenue of the detractor accounts.")
    st.caption(md(coverage_sentence(found.coverage).capitalize() + "."))
    for note in found.notes:
        st.caption(md(note))
    st.dataframe(tables.accounts_table(found.table, level=ctx.opts.level), hide_index=True,
                 width="stretch", column_config={
                     tables.ACCOUNT_TREND: st.column_config.LineChartColumn(tables.ACCOUNT_TREND, y_min=-100, y_max=100),
                     "revenue": st.column_config.NumberColumn(format="localized"),
                     "revenue at risk": st.column_config.NumberColumn(format="localized")})
