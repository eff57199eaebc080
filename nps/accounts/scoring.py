"""The accounts arithmetic: per-account NPS and class, account-based and revenue-weighted NPS, coverage, risk.

Pure: small frames in (:func:`nps.query.accounts.contacts` and friends), numbers out; no SQL.

Rules (the README's "Promoter profiles and B2B accounts"):

* **Account NPS**: the account's responses as any group's (:func:`nps.stats.score_counts`: n, interval).
* **Account class**: the mean 0–10 score of the contacts it is based on — ≥ 9 a promoter account,
  ≤ 6 a detractor account, else passive. Based on every contact, or, with a role column, on the
  contacts of the account's most senior role present (decision maker > influencer > user, see
  :func:`nps.accounts.columns.role_level`), their mean when several answered; an account none of
  whose contacts has a recognised role falls back to every contact.
* **Account-based NPS**: % promoter accounts − % detractor accounts, its interval that of an NPS of
  that many accounts.
* **Revenue-weighted NPS**: the same with each account weighted by its revenue (accounts without a
  revenue left out); its interval uses Kish's effective n of the revenues (equal revenues give the
  account-based NPS and interval exactly).
* **Revenue at risk**: the revenue of the detractor accounts.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from pathlib import Path
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nps import domain, stats
from nps import format as fmt
from nps.errors import NpsError
from nps.accounts.columns import DECISION_MAKER, parse_amount, role_level

PROMOTER_MEAN = 9.0
DETRACTOR_MEAN = 6.0
ALL_CONTACTS = "all contacts"

TABLE_COLUMNS = (
    "account", "n", "promoters", "passives", "detractors", "nps", "se", "ci_low", "ci_high", "low_n",
    "mean_score", "basis", "basis_n", "basis_mean", "account_class", "decision_maker_answered",
)


@dataclass(frozen=True)
class Unreadable:
    """A revenue value that is not an amount: where it is (file ``row``, ``column``), what it says and why."""

    row: int | None
    column: str
    value: str
    problem: str

    def describe(self) -> str:
        """``row 12, column "ARR": '12 apples' is not an amount``."""
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}column {self.column!r}: {self.problem}"


@dataclass(frozen=True)
class Revenues:
    """Revenue per account, the values not read as amounts, and notes (accounts whose revenues differ)."""

    by_account: dict[str, float]
    unreadable: tuple[Unreadable, ...] = ()
    notes: tuple[str, ...] = ()
    listed: bool = False  # from an uploaded account list (every account of the book), not from the responses
    accounts: tuple[str, ...] = field(default=())


def classify(mean: float) -> str:
    """The class of an account whose basis contacts' mean score is ``mean``: promoter (≥ 9), detractor (≤ 6), passive."""
    if mean >= PROMOTER_MEAN:
        return domain.PROMOTER
    if mean <= DETRACTOR_MEAN:
        return domain.DETRACTOR
    return domain.PASSIVE


def account_table(contacts: pd.DataFrame, *, use_roles: bool = False, method: str = stats.DEFAULT_METHOD,
                  level: float = stats.DEFAULT_LEVEL, min_n: float = stats.DEFAULT_MIN_N) -> pd.DataFrame:
    """One row per account from its contacts (DataFrame[account, role, score, n], as the query returns them).

    Returns DataFrame[account, n, promoters, passives, detractors, nps, se, ci_low, ci_high, low_n,
    mean_score, basis, basis_n, basis_mean, account_class, decision_maker_answered]: ``basis`` is the role
    level the class is based on (``"decision maker"``, ``"influencer"``, ``"user"``) or ``"all contacts"``,
    ``basis_n`` its responses and ``basis_mean`` their mean score. Sorted by account.
    """
    rows = []
    for account, group in contacts.groupby("account", sort=True):
        scores = group["score"].to_numpy(dtype=float)
        n = group["n"].to_numpy(dtype=float)
        cats = [domain.category(int(s)) for s in scores]
        counts = {c: int(n[[k == c for k in cats]].sum()) for c in domain.CATEGORIES}
        result = stats.score_counts(counts[domain.DETRACTOR], counts[domain.PASSIVE], counts[domain.PROMOTER],
                                    method=method, level=level, min_n=min_n)
        mean = float((scores * n).sum() / n.sum())
        basis, basis_n, basis_mean, dm = ALL_CONTACTS, int(n.sum()), mean, False
        if use_roles:
            levels = [role_level(r) for r in group["role"]]
            ranks = np.array([rank for _, rank in levels])
            dm = any(name == DECISION_MAKER for name, _ in levels)
            if ranks.max(initial=0) > 0:
                top = ranks == ranks.max()
                basis = next(name for name, rank in levels if rank == ranks.max())
                basis_n = int(n[top].sum())
                basis_mean = float((scores[top] * n[top]).sum() / n[top].sum())
        rows.append({
            "account": str(account), "n": result.n, "promoters": counts[domain.PROMOTER],
            "passives": counts[domain.PASSIVE], "detractors": counts[domain.DETRACTOR], "nps": result.nps,
            "se": result.se, "ci_low": result.ci_low, "ci_high": result.ci_high, "low_n": result.low_n,
            "mean_score": mean, "basis": basis, "basis_n": basis_n, "basis_mean": basis_mean,
            "account_class": classify(basis_mean), "decision_maker_answered": dm,
        })
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def class_counts(classes: pd.Series) -> dict[str, int]:
    """How many accounts of each class: {detractor, passive, promoter}."""
    return {c: int((classes == c).sum()) for c in domain.CATEGORIES}


def account_based_nps(classes: pd.Series, *, method: str = stats.DEFAULT_METHOD, level: float = stats.DEFAULT_LEVEL,
                      min_n: float = stats.DEFAULT_MIN_N) -> stats.NpsResult:
    """% promoter accounts − % detractor accounts, with n = the accounts and the interval of an NPS of that n."""
    c = class_counts(classes)
    return stats.score_counts(c[domain.DETRACTOR], c[domain.PASSIVE], c[domain.PROMOTER],
                              method=method, level=level, min_n=min_n)


def revenue_weighted_nps(classes: pd.Series, revenue: pd.Series, *, method: str = stats.DEFAULT_METHOD,
                         level: float = stats.DEFAULT_LEVEL, min_n: float = stats.DEFAULT_MIN_N) -> stats.NpsResult | None:
    """The account-based NPS with each account weighted by its revenue (NaN revenues left out); None without any.

    ``classes`` and ``revenue`` are aligned per account. n is the accounts with a revenue, the interval's
    n Kish's effective n (Σr)²/Σr² of the revenues.
    """
    r = pd.to_numeric(revenue, errors="coerce").to_numpy(dtype=float)
    cls = np.asarray(classes, dtype=object)
    known = ~np.isnan(r)
    r, cls = r[known], cls[known]
    if len(r) == 0 or r.sum() <= 0:
        return None
    sums = {c: float(r[cls == c].sum()) for c in domain.CATEGORIES}
    eff = stats.kish_effective_n(float(r.sum()), float((r * r).sum()))
    return stats.score_weighted(sums[domain.DETRACTOR], sums[domain.PASSIVE], sums[domain.PROMOTER], n=len(r),
                                effective_n=eff, method=method, level=level, min_n=min_n)


def revenues_from_contacts(contacts: pd.DataFrame, column: str) -> Revenues:
    """Each account's revenue from the responses' revenue column (DataFrame[account, revenue, first_row]).

    Every distinct text is read with :func:`~nps.accounts.columns.parse_amount`; one not read is reported with
    the first file row holding it. An account whose responses give different amounts gets the largest, with a note.
    """
    by_account: dict[str, float] = {}
    unreadable: list[Unreadable] = []
    notes: list[str] = []
    for account, group in contacts.groupby("account", sort=True):
        found: list[float] = []
        for text, row in group.groupby("revenue", sort=False)["first_row"].min().items():
            amount = parse_amount(text)
            if amount.problem:
                unreadable.append(Unreadable(int(row), column, str(text), amount.problem))
            elif amount.value is not None:
                found.append(amount.value)
        if found:
            by_account[str(account)] = max(found)
            if len(set(found)) > 1:
                notes.append(f"account {account!s}: its responses give different revenues "
                             f"({', '.join(f'{v:,.2f}' for v in sorted(set(found)))}); the largest is used")
    return Revenues(by_account, tuple(sorted(unreadable, key=lambda u: (u.row or 0))), tuple(notes))


def revenues_from_list(frame: pd.DataFrame, account: str | None = None, revenue: str | None = None) -> Revenues:
    """Each account's revenue from an uploaded account list (a DataFrame: one row per account, and its revenue).

    ``account`` / ``revenue`` name its columns; by default the columns the name rule finds
    (:func:`nps.accounts.columns.find_column`), else the first and second column. Rows are numbered as in
    the file (header 1, first data row 2). A repeated account's revenues are added up, with a note. Raises
    ValueError when a named column is not in the list or the list has fewer than two columns.
    """
    from nps.accounts.columns import ACCOUNT, REVENUE, find_column

    names = [str(c) for c in frame.columns]
    account = account or find_column(ACCOUNT, names) or (names[0] if names else None)
    revenue = revenue or find_column(REVENUE, [n for n in names if n != account]) or next(
        (n for n in names if n != account), None)
    for name in (account, revenue):
        if name is None or name not in names:
            raise ValueError(f"the account list has no column {name!r}; its columns are {names}")
    by_account: dict[str, float] = {}
    unreadable: list[Unreadable] = []
    notes: list[str] = []
    accounts: list[str] = []
    for i, (acc, raw) in enumerate(zip(frame[account], frame[revenue], strict=True)):
        if acc is None or (isinstance(acc, float) and math.isnan(acc)) or not str(acc).strip():
            continue
        key = str(acc).strip()
        if key not in accounts:
            accounts.append(key)
        amount = parse_amount(raw)
        if amount.problem:
            unreadable.append(Unreadable(i + 2, revenue, str(raw), amount.problem))
            continue
        if amount.value is None:
            continue
        if key in by_account:
            notes.append(f"account {key}: listed more than once; its revenues are added up")
        by_account[key] = by_account.get(key, 0.0) + amount.value
    return Revenues(by_account, tuple(unreadable), tuple(notes), listed=True, accounts=tuple(accounts))


def coverage(table: pd.DataFrame, revenues: Revenues | None, *, use_roles: bool) -> dict[str, float | int | None]:
    """Who answered: accounts (and revenue) with at least one response, and accounts whose decision maker answered.

    With an account list: ``accounts`` the listed ones, ``accounts_answered`` those of them with a
    response, ``revenue_total`` / ``revenue_answered`` their revenue, ``not_listed`` responding accounts
    missing from the list. Without one, the accounts are those that answered (coverage 1, revenue as the
    responses give it). ``decision_maker_accounts`` (with a role column): accounts whose decision maker
    answered, of ``accounts``. Shares are fractions (None when there is nothing to divide by).
    """
    answered = set(table["account"])
    if revenues is not None and revenues.listed:
        book = list(revenues.accounts)
        covered = [a for a in book if a in answered]
        not_listed = len(answered - set(book))
    else:
        book = sorted(answered)
        covered = book
        not_listed = 0
    money = revenues.by_account if revenues is not None else {}
    total = float(sum(money.get(a, 0.0) for a in book))
    got = float(sum(money.get(a, 0.0) for a in covered))
    dm = int(table.loc[table["decision_maker_answered"], "account"].isin(book).sum()) if use_roles else None
    return {
        "accounts": len(book), "accounts_answered": len(covered),
        "accounts_share": len(covered) / len(book) if book else None,
        "not_listed": not_listed,
        "revenue_total": total if money else None, "revenue_answered": got if money else None,
        "revenue_share": got / total if money and total > 0 else None,
        "decision_maker_accounts": dm,
        "decision_maker_share": (dm / len(book) if book else None) if dm is not None else None,
    }


def with_revenue(table: pd.DataFrame, revenues: Revenues | None) -> pd.DataFrame:
    """``table`` with ``revenue`` (NaN when unknown) and ``revenue_at_risk`` (the revenue of a detractor account, else 0)."""
    out = table.copy()
    money = revenues.by_account if revenues is not None else {}
    out["revenue"] = [money.get(a, math.nan) for a in out["account"]]
    detractor = out["account_class"] == domain.DETRACTOR
    out["revenue_at_risk"] = np.where(detractor, out["revenue"].fillna(0.0), 0.0)
    return out


def revenue_at_risk(table: pd.DataFrame) -> float:
    """The revenue of the detractor accounts (of :func:`with_revenue`'s table)."""
    return float(table["revenue_at_risk"].sum()) if "revenue_at_risk" in table.columns else 0.0


def trends(periods: pd.DataFrame, *, method: str = stats.DEFAULT_METHOD, level: float = stats.DEFAULT_LEVEL) -> dict[str, list[dict[str, object]]]:
    """Each account's NPS per quarter: {account: [{"quarter": "2024Q3", "n", "nps"}, …]} oldest first."""
    out: dict[str, list[dict[str, object]]] = {}
    for row in periods.itertuples(index=False):
        result = stats.score_counts(int(row.detractors), int(row.passives), int(row.promoters), method=method,
                                    level=level)
        period = pd.Timestamp(row.period)
        out.setdefault(str(row.account), []).append(
            {"quarter": f"{period.year}Q{(period.month - 1) // 3 + 1}", "n": int(row.n), "nps": result.nps})
    return out


def sort_by_risk(table: pd.DataFrame) -> pd.DataFrame:
    """The accounts table sorted by revenue at risk, then revenue, then NPS (lowest first), then account."""
    out = table.assign(_r=table["revenue"].fillna(-1.0))
    out = out.sort_values(["revenue_at_risk", "_r", "nps", "account"], ascending=[False, False, True, True],
                          kind="stable")
    return out.drop(columns="_r").reset_index(drop=True)


class AccountListError(NpsError):
    """An account list that cannot be read; the message names the file."""


def read_account_list(data: bytes | str | Path, name: str = "account list") -> pd.DataFrame:
    """An account list (one row per account: the account and its revenue, ``,`` or ``;`` separated, UTF-8 or
    cp1252) as a DataFrame of text, for :func:`revenues_from_list` (which names a bad amount's row and column).
    :class:`AccountListError` naming the file when it is empty or not a table."""
    raw = Path(data).read_bytes() if isinstance(data, Path) else data
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raw = raw.decode("cp1252")
    if not raw.strip():
        raise AccountListError(f"{name}: the file is empty")
    try:
        frame = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False, sep=None, engine="python")
    except (ValueError, pd.errors.ParserError) as error:
        raise AccountListError(f"{name}: not a readable CSV ({error})") from None
    if len(frame.columns) < 2:
        raise AccountListError(f"{name}: an account list needs two columns, the account and its revenue")
    if frame.empty:
        raise AccountListError(f"{name}: no rows under the header")
    return frame


def _money(value: float | int | None) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.0f}"


def coverage_sentence(cov: Mapping[str, float | int | None]) -> str:
    """:func:`coverage` in words: ``coverage: 88 of 90 accounts answered; revenue 14,633,200 of 14,633,200
    (100.0%); decision maker answered in 80 (88.9%)``, with the responding accounts missing from a list."""
    part = f"coverage: {cov['accounts_answered']} of {cov['accounts']} accounts answered"
    if cov["revenue_share"] is not None:
        part += (f"; revenue {_money(cov['revenue_answered'])} of {_money(cov['revenue_total'])} "
                 f"({fmt.share(float(cov['revenue_share']))})")
    if cov["decision_maker_accounts"] is not None:
        share = cov["decision_maker_share"]
        part += f"; decision maker answered in {cov['decision_maker_accounts']}" + (
            f" ({fmt.share(float(share))})" if share is not None else "")
    if cov["not_listed"]:
        part += f"; {cov['not_listed']} responding account(s) not in the list"
    return part
