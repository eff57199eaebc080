"""NPS per value of one or more columns, each group tested against the rest."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from nps import stats
from nps.query import anonymity
from nps.query.counting import (
    OUTPUT_NAMES, count_items, count_names, finish, key_columns, key_items, rename_keys, with_effective_n,
)
from nps.query.filters import Filter
from nps.query.options import Options
from nps.query.rows import source
from nps.store import Dataset, sql

_BREAKDOWN_NAMES = OUTPUT_NAMES | {"vs_rest", "vs_rest_se", "vs_rest_p", "vs_rest_p_adjusted", "vs_rest_significant"}


def breakdown(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    by: Sequence[str],
    flt: Filter | None = None,
    opts: Options = Options(),
) -> pd.DataFrame:
    """NPS per value (or combination of values) of the ``by`` columns: :func:`counted_breakdown` under the anonymity rule.

    See :func:`counted_breakdown` for the columns; on an employee dataset the frame also has
    ``suppressed`` and a hidden group's numbers are NA/NaN (:mod:`nps.query.anonymity`).
    """
    by = [by] if isinstance(by, str) else list(by)
    out = counted_breakdown(cur, ds, by, flt, opts)
    if anonymity.privacy_of(ds) is None:
        return out
    small = anonymity.complement_too_small(cur, ds, flt, opts, int(out["n"].sum()))
    return anonymity.suppress_groups(out, ds, by, hide_all=small)


def counted_breakdown(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    by: Sequence[str],
    flt: Filter | None = None,
    opts: Options = Options(),
) -> pd.DataFrame:
    """NPS per value (or combination of values) of the ``by`` columns, sorted by n (desc), then values.

    Returns DataFrame[*by, n, (effective_n,) promoters, passives, detractors, nps,
    se, ci_low, ci_high, low_n, vs_rest, vs_rest_se, vs_rest_p, vs_rest_p_adjusted,
    vs_rest_significant]. NULL values appear as ``"(blank)"``. ``vs_rest`` is the
    difference (points) between the group's NPS and that of all other responses
    the filter keeps, ``vs_rest_se`` its SE (the method's), ``vs_rest_p`` its
    two-sided p-value (score test; NaN, i.e. not tested, when the group or the
    rest is below the minimum n), ``vs_rest_p_adjusted`` after multiplicity
    control across the groups (Benjamini–Hochberg unless ``opts.multiplicity``
    says otherwise) and ``vs_rest_significant`` marks groups significantly
    above/below the rest after it. The counts before the employee anonymity rule: only
    :func:`breakdown` (and the modules that apply the rule themselves) may call it.
    ``frame.attrs["family"]`` is the
    :class:`nps.stats.Family` of those tests. Empty (with these columns) when
    nothing matches. Raises ValueError without columns, and
    :class:`nps.errors.UnknownColumnError` for an unknown column.
    """
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise ValueError("a breakdown needs at least one column")
    quoted = key_columns(ds, by, _BREAKDOWN_NAMES)
    src, params = source(ds, flt, opts)
    text = f"SELECT {key_items(quoted)}, {count_items(opts)} FROM ({src}) GROUP BY ALL"
    frame = rename_keys(sql.fetch_df(cur, text, params), by)
    frame = with_effective_n(frame, opts)
    counted = [c for c in count_names(opts) if c != "n"]
    rest = pd.DataFrame({c: frame[c].sum() - frame[c] for c in counted}).clip(lower=0)
    rest = with_effective_n(rest, opts)
    vs = stats.differences(frame, rest, method=opts.method, level=opts.level, min_n=opts.min_n)
    adjusted, significant, family = stats.flag_tests(vs["p_value"].to_numpy(), level=opts.level,
                                                     multiplicity=opts.control(stats.SCREENING))
    frame["vs_rest"] = vs["diff"]
    frame["vs_rest_se"] = vs["se"]
    frame["vs_rest_p"] = vs["p_value"]
    frame["vs_rest_p_adjusted"] = adjusted
    frame["vs_rest_significant"] = significant.astype(bool)
    out = finish(frame, by, opts)
    out = out.sort_values(["n", *by], ascending=[False, *([True] * len(by))], kind="stable").reset_index(drop=True)
    out.attrs["family"] = family.as_dict()
    return out
