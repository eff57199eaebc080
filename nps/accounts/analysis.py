"""The B2B accounts analysis of a dataset: the columns chosen, the reads (:mod:`nps.query.accounts`), the arithmetic.

:func:`analyse_accounts` is what the command line (and a page, later) calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from nps import stats
from nps.accounts import scoring
from nps.accounts.columns import ACCOUNT, REVENUE, ROLE, find_column, role_level
from nps.errors import NpsError
from nps.query import accounts as reads
from nps.query.anonymity import privacy_of
from nps.query.filters import Filter
from nps.query.options import Options
from nps.store import Dataset


class NoAccountColumnError(NpsError):
    """The dataset has no account column (none found by the name rule, none named)."""


@dataclass(frozen=True)
class AccountColumns:
    """The columns the analysis uses: the account's, and the role's and the revenue's when there are such columns."""

    account: str
    role: str | None = None
    revenue: str | None = None


@dataclass(frozen=True)
class AccountAnalysis:
    """The accounts analysis: the table (one row per account, sorted by revenue at risk) and the summaries.

    ``table``: :data:`nps.accounts.scoring.TABLE_COLUMNS` and ``revenue``, ``revenue_at_risk``,
    ``open_cases``, ``trend`` (a list of {quarter, n, nps}). ``account_nps``: account-based NPS;
    ``revenue_nps``: revenue-weighted NPS (None without revenues); ``classes``: accounts per class;
    ``coverage``: :func:`nps.accounts.scoring.coverage`; ``revenue_at_risk`` the detractor accounts'
    revenue; ``revenues`` where the revenues came from and what was not read.
    """

    columns: AccountColumns
    table: pd.DataFrame
    account_nps: stats.NpsResult
    revenue_nps: stats.NpsResult | None
    classes: dict[str, int]
    coverage: dict[str, float | int | None]
    revenue_at_risk: float | None
    revenues: scoring.Revenues | None
    notes: tuple[str, ...] = field(default=())


def account_columns(ds: Dataset, account: str | None = None, role: str | None = None,
                    revenue: str | None = None) -> AccountColumns:
    """The account, role and revenue columns: those named, else those the name rule finds (:func:`find_column`).

    An empty name (``""``) for the role or the revenue means none: the rule is not asked.

    Raises :class:`NoAccountColumnError` when there is no account column, and
    :class:`nps.errors.UnknownColumnError` (through the reads) for a named column the dataset lacks.
    """
    m = ds.mapping
    taken = [m.score, m.date, m.comment, m.respondent, m.weight]
    account = account or find_column(ACCOUNT, ds.columns, ds.labels, taken)
    if account is None:
        raise NoAccountColumnError(
            "no account (company) column found; name it (--account-column C): the rule looks for words such as "
            "account, company, azienda, cliente, société, entreprise, empresa, Firma in the column names")
    taken.append(account)
    role = find_column(ROLE, ds.columns, ds.labels, taken) if role is None else (role or None)
    taken.append(role)
    revenue = find_column(REVENUE, ds.columns, ds.labels, taken) if revenue is None else (revenue or None)
    return AccountColumns(account, role, revenue)


def analyse_accounts(cur: duckdb.DuckDBPyConnection, ds: Dataset, *, account: str | None = None,
                     role: str | None = None, revenue: str | None = None,
                     account_list: pd.DataFrame | None = None, flt: Filter | None = None,
                     opts: Options = Options()) -> AccountAnalysis:
    """The accounts analysis of the responses ``flt`` keeps (rules: :mod:`nps.accounts.scoring`).

    ``account`` / ``role`` / ``revenue`` override the columns the name rule finds; ``account_list``
    (account → revenue, see :func:`nps.accounts.scoring.revenues_from_list`) replaces the revenue column
    and gives the coverage of the whole book. Raises :class:`NoAccountColumnError` without an account
    column and NpsError on an employee dataset (accounts are customers; the anonymity rule would hide them).
    """
    if privacy_of(ds) is not None:
        raise NpsError("accounts are a customer analysis: an employee dataset has none (anonymity rule)")
    cols = account_columns(ds, account, role, revenue)
    kw = {"method": opts.method, "level": opts.level, "min_n": opts.min_n}
    contacts = reads.contacts(cur, ds, cols.account, cols.role, cols.revenue, flt, opts)
    use_roles = cols.role is not None
    table = scoring.account_table(contacts, use_roles=use_roles, **kw)
    notes: list[str] = []
    revenues: scoring.Revenues | None = None
    if account_list is not None:
        revenues = scoring.revenues_from_list(account_list)
        if cols.revenue:
            notes.append(f"revenue from the account list, not from the column {cols.revenue!r}")
    elif cols.revenue:
        revenues = scoring.revenues_from_contacts(contacts, cols.revenue)
    if revenues is not None:
        notes += [u.describe() + "; not counted" for u in revenues.unreadable]
        notes += list(revenues.notes)
    if use_roles:
        unknown = sorted({str(r) for r in contacts["role"].dropna() if role_level(r)[1] == 0})
        if unknown:
            notes.append(f"roles not recognised as decision maker, influencer or user: {', '.join(unknown[:10])}"
                         f"{' …' if len(unknown) > 10 else ''}")
    table = scoring.with_revenue(table, revenues)
    opened = reads.open_cases(cur, ds, cols.account)
    table["open_cases"] = [int(opened.get(a, 0)) for a in table["account"]]
    trend = scoring.trends(reads.quarters(cur, ds, cols.account, flt, opts), method=opts.method, level=opts.level)
    table["trend"] = [trend.get(a, []) for a in table["account"]]
    table = scoring.sort_by_risk(table)
    account_nps = scoring.account_based_nps(table["account_class"], **kw)
    revenue_nps = scoring.revenue_weighted_nps(table["account_class"], table["revenue"], **kw) if revenues else None
    return AccountAnalysis(
        columns=cols, table=table, account_nps=account_nps, revenue_nps=revenue_nps,
        classes=scoring.class_counts(table["account_class"]),
        coverage=scoring.coverage(table, revenues, use_roles=use_roles),
        revenue_at_risk=scoring.revenue_at_risk(table) if revenues else None,
        revenues=revenues, notes=tuple(notes),
    )
