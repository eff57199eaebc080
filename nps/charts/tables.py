"""Small display tables: the numbers behind a chart, laid out for people."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from nps import format as fmt


def breakdown_table(frame: pd.DataFrame, dimension: str, *, level: float = 0.95) -> pd.DataFrame:
    """A breakdown (from :func:`nps.query.breakdown`) as a readable table: value, n, NPS, interval, shares, vs rest.

    The interval's column is named for its ``level`` (``95% interval``); "vs rest"
    says "(significant)" after the breakdown's multiplicity control and "not
    tested" for groups under the minimum n.
    """
    interval = f"{fmt.level(level)} interval"
    if frame.empty:
        return pd.DataFrame(columns=[dimension, "n", "NPS", interval, "promoters", "passives", "detractors", "vs rest",
                                     "note"])
    n = frame["n"].clip(lower=1)
    out = pd.DataFrame({
        dimension: frame[dimension].astype(str),
        "n": frame["n"].astype("int64"),
        "NPS": frame["nps"].map(fmt.points),
        interval: [fmt.points_range(lo, hi) for lo, hi in zip(frame["ci_low"], frame["ci_high"])],
        "promoters": (100 * frame["promoters"] / n).round(1),
        "passives": (100 * frame["passives"] / n).round(1),
        "detractors": (100 * frame["detractors"] / n).round(1),
    })
    if "vs_rest" in frame:
        tested = frame["vs_rest_p"].notna() if "vs_rest_p" in frame else [True] * len(frame)
        out["vs rest"] = [
            f"{fmt.points(d)}{' (significant)' if s else ''}{'' if t else ' (not tested)'}"
            for d, s, t in zip(frame["vs_rest"], frame["vs_rest_significant"], tested)
        ]
    out["note"] = ["low n" if low else "" for low in frame["low_n"]]
    return out


def describe_vs_rest(frame: pd.DataFrame, dimension: str) -> str:
    """Plain text naming the values significantly above or below the rest ('' when none is)."""
    if frame.empty or "vs_rest_significant" not in frame:
        return ""
    sig = frame[frame["vs_rest_significant"] & ~frame["low_n"]]
    above = [f"{v} ({fmt.points(d)})" for v, d in zip(sig[dimension], sig["vs_rest"]) if d > 0]
    below = [f"{v} ({fmt.points(d)})" for v, d in zip(sig[dimension], sig["vs_rest"]) if d < 0]
    parts = []
    if above:
        parts.append("Significantly above the rest: " + ", ".join(above) + ".")
    if below:
        parts.append("Significantly below the rest: " + ", ".join(below) + ".")
    return " ".join(parts) or "No value differs significantly from the rest."


def pivot_nps(frame: pd.DataFrame, rows: str, columns: str, *, min_n: int = 30) -> pd.DataFrame:
    """A two-dimension breakdown as a grid of ``NPS (n)`` strings; cells under ``min_n`` get a ⚠ mark."""
    if frame.empty:
        return pd.DataFrame()

    def cell(nps: float, n: int) -> str:
        if n == 0 or (isinstance(nps, float) and math.isnan(nps)):
            return ""
        return f"{fmt.points(nps)} ({fmt.count(n)}){' ⚠' if n < min_n else ''}"

    shown = frame.assign(_cell=[cell(a, int(b)) for a, b in zip(frame["nps"], frame["n"])])
    grid = shown.pivot_table(index=rows, columns=columns, values="_cell", aggfunc="first", fill_value="")
    grid.columns = [str(c) for c in grid.columns]
    grid.index = grid.index.astype(str)
    return grid


def shift_share_components(parts: Any) -> pd.DataFrame:
    """The parts of a :class:`nps.stats.ShiftShare` as rows (component, points) for a waterfall chart."""
    return pd.DataFrame({
        "component": ["within-segment change", "mix change", "total"],
        "points": [float(parts.within), float(parts.mix) + float(parts.interaction), float(parts.total)],
    })


def shift_share_table(parts: Any, dimension: str) -> pd.DataFrame:
    """Per-group shares and NPS in both periods with each group's contribution, for display."""
    seg = parts.segments
    if seg is None or seg.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        dimension: seg[dimension].astype(str),
        "share before %": (100 * seg["w_prev"]).round(1),
        "share now %": (100 * seg["w_cur"]).round(1),
        "NPS before": seg["nps_prev"].round(1),
        "NPS now": seg["nps_cur"].round(1),
        "within (points)": seg["within"].round(2),
        "mix (points)": (seg["mix"] + seg["interaction"]).round(2),
    })


ACCOUNT_TREND = "NPS by quarter"


def accounts_table(table: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """The accounts (from :func:`nps.accounts.analysis.analyse_accounts`' ``table``) laid out for people.

    One row per account, in the table's order (revenue at risk first): account, contacts' answers (n), NPS,
    its interval (the column named for ``level``), the account class and what it rests on (``decision
    maker 4.7 (3 answers)`` or ``all contacts 7.8 (12 answers)``), whether a decision maker answered, revenue, revenue at
    risk, open cases, and :data:`ACCOUNT_TREND`, the NPS of each quarter as a list (oldest first) for a
    sparkline. Revenues are whole numbers, blank when unknown.
    """
    interval = f"{fmt.level(level)} interval"
    columns = ["account", "n", "NPS", interval, "class", "based on", "decision maker answered", "revenue",
               "revenue at risk", "open cases", ACCOUNT_TREND]
    if table.empty:
        return pd.DataFrame(columns=columns)

    def basis(row: Any) -> str:
        answers = int(row["basis_n"])
        return f"{row['basis']} {row['basis_mean']:.1f} ({answers} answer{'s' * (answers != 1)})"

    def money(value: Any) -> Any:
        return None if value is None or pd.isna(value) else int(round(float(value)))

    return pd.DataFrame({
        "account": table["account"].astype(str),
        "n": table["n"].astype("int64"),
        "NPS": table["nps"].map(fmt.points),
        interval: [fmt.points_range(lo, hi) for lo, hi in zip(table["ci_low"], table["ci_high"])],
        "class": table["account_class"].astype(str),
        "based on": [basis(row) for _, row in table.iterrows()],
        "decision maker answered": table["decision_maker_answered"].astype(bool),
        "revenue": pd.array([money(v) for v in table["revenue"]], dtype="Int64"),
        "revenue at risk": pd.array([money(v) for v in table["revenue_at_risk"]], dtype="Int64"),
        "open cases": table["open_cases"].astype("int64"),
        ACCOUNT_TREND: [[float(p["nps"]) for p in trend] if isinstance(trend, list) else [] for trend in table["trend"]],
    }, columns=columns)
