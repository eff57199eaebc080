"""The ``accounts`` command: the B2B accounts of a file or a dataset, sorted by revenue at risk.

``python -m nps accounts FILE_OR_DATASET [--account-column C] [--role-column C] [--revenue-column C]
[--accounts FILE.csv] [--since --until --where --where-not --survey-type --method --level --min-n --dedupe]
[--format table|json]``. The columns default to those the name rule finds (:mod:`nps.accounts.columns`);
``--accounts`` is an account list (CSV: account, revenue) that gives the revenue and the book's coverage.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nps import format as fmt
from nps.cli.output import grid, plain, say, to_json
from nps.cli.parser import UsageError


def add_accounts_parser(sub: Any, add_db: Callable[..., None], add_read_only: Callable[..., None],
                        add_selection: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``accounts`` on the command line's sub-parsers (the shared options come from the parser module)."""
    from nps.cli.parser import _add_mapping

    accounts = sub.add_parser("accounts", help="B2B accounts: account NPS and class, account-based and revenue-weighted "
                                               "NPS, coverage, revenue at risk")
    accounts.add_argument("source", metavar="FILE_OR_DATASET")
    add_db(accounts)
    _add_mapping(accounts)
    accounts.add_argument("--account-column", metavar="C", help="the account (company) column (default: found by name)")
    accounts.add_argument("--role-column", metavar="C",
                          help="the contact's role / job level column (default: found by name; \"\" for none)")
    accounts.add_argument("--revenue-column", metavar="C", help="the account's revenue column (default: found by name; \"\" for none)")
    accounts.add_argument("--accounts", metavar="FILE.csv",
                          help="an account list (account, revenue): the revenue and the coverage of the whole book")
    add_selection(accounts)
    accounts.add_argument("--format", choices=("table", "json"), default="table")
    add_read_only(accounts)


def _read_list(path: str) -> Any:
    from nps.accounts.scoring import AccountListError, read_account_list

    file = Path(path)
    if not file.is_file():
        raise UsageError(f"--accounts {path}: no such file")
    try:
        return read_account_list(file, f"--accounts {path}")
    except AccountListError as error:
        raise UsageError(str(error)) from None


def run_accounts(args: argparse.Namespace) -> int:
    """``accounts``: the accounts analysis of a file or a dataset, printed; returns the exit status."""
    from nps import store
    from nps.accounts import analyse_accounts
    from nps.cli.source import open_source
    from nps.cli.summary import selection

    account_list = _read_list(args.accounts) if args.accounts else None
    con, ds = open_source(args)
    try:
        named = {k: store.resolve_column(ds, v) if v else v for k, v in
                 (("account", args.account_column), ("role", args.role_column), ("revenue", args.revenue_column))}
        chosen = selection(con, ds, args)
        try:
            result = analyse_accounts(con, ds, account_list=account_list, flt=chosen.flt, opts=chosen.opts, **named)
        except ValueError as error:
            raise UsageError(str(error)) from None
    finally:
        con.close()
    notes = list(chosen.warnings)
    if args.weighted:
        notes.append("--weighted: accounts count their contacts' responses unweighted")
    out = as_json(result, notes)
    if args.format == "json":
        sys.stdout.write(to_json(out))
    else:
        say(as_table(out))
    return 0


def _result(r: Any) -> dict[str, Any] | None:
    if r is None:
        return None
    return {k: plain(getattr(r, k)) for k in ("n", "nps", "ci_low", "ci_high", "low_n")}


def as_json(result: Any, notes: list[str]) -> dict[str, Any]:
    """The command's result as JSON-ready values: columns, summaries, coverage, notes and the accounts table."""
    rows = []
    for rec in result.table.to_dict(orient="records"):
        row = {k: plain(v) for k, v in rec.items() if k != "trend"}
        row["trend"] = [{"quarter": t["quarter"], "n": t["n"], "nps": plain(t["nps"])} for t in rec["trend"]]
        rows.append(row)
    return {
        "columns": {"account": result.columns.account, "role": result.columns.role,
                    "revenue": result.columns.revenue},
        "revenue_source": (None if result.revenues is None else "account list" if result.revenues.listed
                           else "column"),
        "classes": result.classes,
        "account_nps": _result(result.account_nps),
        "revenue_weighted_nps": _result(result.revenue_nps),
        "coverage": {k: plain(v) for k, v in result.coverage.items()},
        "revenue_at_risk": plain(result.revenue_at_risk),
        "notes": [*notes, *result.notes],
        "accounts": rows,
    }


def _money(value: Any) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.0f}"


def as_table(out: dict[str, Any]) -> str:
    """The command's result for people: the summaries, then the accounts sorted by revenue at risk."""
    from nps.accounts.scoring import coverage_sentence

    cols = out["columns"]
    lines = [f"account: {cols['account']}   role: {cols['role'] or '–'}   revenue: {cols['revenue'] or '–'}"
             + (f" (from the account list)" if out["revenue_source"] == "account list" else "")]
    a = out["account_nps"]
    c = out["classes"]
    lines.append(f"account-based NPS {fmt.number(a['nps'])}  {fmt.number_range(a['ci_low'], a['ci_high'])}  "
                 f"n {a['n']} accounts (promoter {c['promoter']}, passive {c['passive']}, detractor {c['detractor']})")
    r = out["revenue_weighted_nps"]
    if r is not None:
        lines.append(f"revenue-weighted NPS {fmt.number(r['nps'])}  {fmt.number_range(r['ci_low'], r['ci_high'])}  "
                     f"n {r['n']} accounts with a revenue")
        lines.append(f"revenue at risk (detractor accounts): {_money(out['revenue_at_risk'])}")
    lines.append(coverage_sentence(out["coverage"]))
    header = ["account", "n", "NPS", "interval", "class", "based on", "revenue", "at risk", "open cases", "trend"]
    rows = []
    for row in out["accounts"]:
        trend = " ".join(f"{t['quarter']} {fmt.number(t['nps'])}" for t in row["trend"][-4:])
        rows.append([str(row["account"]), str(row["n"]), fmt.number(row["nps"]),
                     fmt.number_range(row["ci_low"], row["ci_high"]), row["account_class"],
                     f"{row['basis']} ({fmt.number(row['basis_mean'])})", _money(row["revenue"]),
                     _money(row["revenue_at_risk"]), str(row["open_cases"]), trend])
    lines += ["", *grid(header, rows, right=frozenset({1, 2, 6, 7, 8}))]
    lines += [f"note: {n}" for n in out["notes"]]
    return "\n".join(lines) + "\n"
