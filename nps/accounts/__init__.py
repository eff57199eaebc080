"""B2B accounts: which columns hold the account, role and revenue, and the accounts' arithmetic.

Modules: :mod:`~nps.accounts.columns` (the name rule for the columns, role seniority, reading revenue
amounts), :mod:`~nps.accounts.scoring` (account NPS and class, account-based and revenue-weighted NPS,
coverage, revenue at risk; pure), :mod:`~nps.accounts.analysis` (a dataset's analysis: the reads of
:mod:`nps.query.accounts` and the arithmetic).
"""

from __future__ import annotations

from nps.accounts.analysis import AccountAnalysis, AccountColumns, NoAccountColumnError, account_columns, analyse_accounts
from nps.accounts.columns import find_column, parse_amount, role_level
from nps.accounts.scoring import (
    account_based_nps, account_table, classify, coverage, revenue_weighted_nps, revenues_from_contacts,
    revenues_from_list,
)

__all__ = [
    "AccountAnalysis", "AccountColumns", "NoAccountColumnError", "account_based_nps", "account_columns",
    "account_table", "analyse_accounts", "classify", "coverage", "find_column", "parse_amount",
    "revenue_weighted_nps", "revenues_from_contacts", "revenues_from_list", "role_level",
]
