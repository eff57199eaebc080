"""Who the promoters and the detractors are: each value's share among them against its share overall (the lift).

For each chosen column and each of its values: the value's share among promoters, among detractors
and among all responses; the promoters' lift (share among promoters ÷ share overall) and the
detractors', each with its interval and test (:mod:`nps.stats.lift`: Katz's log interval of the
group-vs-rest share ratio, mapped onto the lift); high/low flags only after multiplicity control across
everything shown together (every value of every column, promoters and detractors: one family,
Benjamini–Hochberg unless ``Options.multiplicity`` says otherwise); and the passives closest to
promoting (8s) and to leaving (7s): their counts, their share of the value's responses and the
value's share of all 8s (7s).

Responses count unweighted (a lift is about who answered; weights are ignored), through the row
source (filter, scope, dedupe). On an employee dataset each column's values are groups under the
anonymity rule (:mod:`nps.query.anonymity`, as a breakdown's): a hidden value's numbers are NA/NaN,
its tests not made.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd

from nps import stats
from nps.query import anonymity
from nps.query.counting import count_items, key_columns, key_items
from nps.query.filters import Filter
from nps.query.options import Options
from nps.query.rows import source
from nps.stats.lift import lift_arrays
from nps.store import Dataset, sql

HIGH = "high"
LOW = "low"
COUNT_COLUMNS = ("n", "promoters", "passives", "detractors", "sevens", "eights")
PROFILE_COLUMNS = (
    "dimension", "value", *COUNT_COLUMNS, "share_overall", "share_promoters", "share_detractors",
    "promoter_lift", "promoter_lift_low", "promoter_lift_high", "promoter_p", "promoter_p_adjusted", "promoter_flag",
    "detractor_lift", "detractor_lift_low", "detractor_lift_high", "detractor_p", "detractor_p_adjusted",
    "detractor_flag", "sevens_share", "eights_share", "share_of_sevens", "share_of_eights",
)


def _counts(cur: duckdb.DuckDBPyConnection, ds: Dataset, column: str, flt: Filter | None,
            opts: Options) -> pd.DataFrame:
    """DataFrame[value, n, promoters, passives, detractors, sevens, eights] of one column, by value."""
    quoted = key_columns(ds, [column], set())  # the column's name is a cell of the result, never a column
    src, params = source(ds, flt, opts)
    text = (f"SELECT {key_items(quoted)}, {count_items(opts)}, count(*) FILTER (WHERE {sql.SCORE} = 7) AS sevens, "
            f"count(*) FILTER (WHERE {sql.SCORE} = 8) AS eights FROM ({src}) GROUP BY ALL")
    frame = sql.fetch_df(cur, text, params).rename(columns={"k0": "value"})
    frame = frame[frame["n"] > 0]
    for c in COUNT_COLUMNS:
        frame[c] = frame[c].astype("int64")
    return frame.sort_values(["n", "value"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _share(part: pd.Series, whole: float) -> pd.Series:
    return part.astype(float) / whole if whole > 0 else pd.Series(math.nan, index=part.index)


def _describe(frame: pd.DataFrame, totals: dict[str, float], min_n: float, level: float) -> pd.DataFrame:
    """Shares, lifts and their tests of one column's counted values (the hidden ones' counts NA; ``totals`` of all)."""
    out = frame.copy()
    counts = {c: out[c].astype("float64") for c in COUNT_COLUMNS}
    out["share_overall"] = _share(counts["n"], totals["n"])
    out["share_promoters"] = _share(counts["promoters"], totals["promoters"])
    out["share_detractors"] = _share(counts["detractors"], totals["detractors"])
    for group in ("promoter", "detractor"):
        a = counts[f"{group}s"].fillna(0).to_numpy()
        b = counts["n"].fillna(0).to_numpy()
        lift = lift_arrays(a, np.full(len(out), totals[f"{group}s"]), b, np.full(len(out), totals["n"]),
                           level=level, min_n=min_n)
        hidden = counts["n"].isna().to_numpy()
        for key, name in (("lift", "lift"), ("low", "lift_low"), ("high", "lift_high"), ("p_value", "p")):
            out[f"{group}_{name}"] = np.where(hidden, math.nan, lift[key])
    with np.errstate(all="ignore"):
        for score, name in ((7, "sevens"), (8, "eights")):
            out[f"{name}_share"] = (counts[name] / counts["n"]).astype("float64")
            out[f"share_of_{name}"] = _share(counts[name], totals[name])
    return out


def profiles(cur: duckdb.DuckDBPyConnection, ds: Dataset, by: Sequence[str] | None = None,
             flt: Filter | None = None, opts: Options = Options()) -> pd.DataFrame:
    """The promoter and detractor profile of the responses ``flt`` keeps, one row per value of each column of ``by``.

    ``by`` defaults to the dataset's dimensions. Returns DataFrame[:data:`PROFILE_COLUMNS`] (and
    ``suppressed`` on an employee dataset): per column (in the order of ``by``) its values by n (desc),
    NULL as ``"(blank)"``. Shares are fractions (each share column sums to 1 over a column's values);
    lifts are ratios (1: as common as overall); ``*_flag`` is ``"high"`` / ``"low"`` where the lift differs
    from 1 after the multiplicity control across the whole frame, else ``""``. ``frame.attrs["family"]``
    is that control. Raises ValueError without a column, :class:`nps.errors.UnknownColumnError` for an
    unknown one.
    """
    columns = list(ds.mapping.dimensions if by is None else ([by] if isinstance(by, str) else by))
    if not columns:
        raise ValueError("a profile needs at least one column (the dataset has no dimensions: name one)")
    if len(set(columns)) != len(columns):
        raise ValueError(f"a column appears twice in {columns!r}")
    plain = replace(opts, weighted=False)
    private = anonymity.privacy_of(ds) is not None
    small = private and anonymity.complement_too_small(cur, ds, flt, plain)
    parts = []
    for column in columns:
        frame = _counts(cur, ds, column, flt, plain)
        totals = {c: float(frame[c].sum()) for c in COUNT_COLUMNS}
        if private:
            frame = anonymity.suppress_groups(frame, ds, ["value"], hide_all=small)
            for c in ("sevens", "eights"):
                frame[c] = frame[c].astype("Int64")
                frame.loc[frame[anonymity.SUPPRESSED], c] = pd.NA
        described = _describe(frame, totals, plain.min_n, plain.level)
        described.insert(0, "dimension", column)
        parts.append(described)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(PROFILE_COLUMNS))
    p = np.concatenate([out["promoter_p"].to_numpy(dtype=float), out["detractor_p"].to_numpy(dtype=float)])
    adjusted, significant, family = stats.flag_tests(p, level=plain.level,
                                                     multiplicity=plain.control(stats.SCREENING))
    half = len(out)
    for i, group in enumerate(("promoter", "detractor")):
        adj, sig = adjusted[i * half:(i + 1) * half], significant[i * half:(i + 1) * half].astype(bool)
        lift = out[f"{group}_lift"].to_numpy(dtype=float)
        out[f"{group}_p_adjusted"] = adj
        out[f"{group}_flag"] = np.where(sig & (lift > 1), HIGH, np.where(sig & (lift < 1), LOW, ""))
    extra = [anonymity.SUPPRESSED] if private else []
    out = out[[*PROFILE_COLUMNS, *extra]]
    out.attrs["family"] = family.as_dict()
    return out


def passives_by_value(frame: pd.DataFrame) -> pd.DataFrame:
    """The passives part of a :func:`profiles` frame: dimension, value, n, sevens, eights and their shares."""
    return frame[["dimension", "value", "n", "sevens", "sevens_share", "share_of_sevens", "eights", "eights_share",
                  "share_of_eights"]].reset_index(drop=True)


__all__ = ["HIGH", "LOW", "PROFILE_COLUMNS", "passives_by_value", "profiles"]
