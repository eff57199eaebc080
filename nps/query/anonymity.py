"""The employee survey's anonymity rule, applied by the queries so that the app and the command line both honour it.

For a dataset of kind ``employee`` (customer datasets are untouched), with its thresholds
``Dataset.privacy`` (:mod:`nps.store.privacy`: ``min_group`` default 5, never below 3;
``min_comment_group`` default 10):

* **A single result** (the NPS of a filter, a comparison's side): hidden when it counts fewer than
  ``min_group`` respondents, and also when a condition of the filter other than the period leaves
  out between 1 and ``min_group − 1`` respondents — of the period's respondents, or of the filter
  without that one condition (else a total minus this result would show the few left out: the
  complement case). Hidden, it is an
  :class:`~nps.stats.NpsResult` with ``suppressed=True``, ``n`` 0 and NaN statistics.
* **Groups** (a breakdown's values, a trend's periods and series, the review's cards): a group of
  1 to ``min_group − 1`` respondents is hidden (primary suppression). Then, within each *family* of
  groups that add up to a total shown elsewhere (all the groups; with several keys, the groups
  sharing all keys but one), while the hidden groups of the family together count fewer than
  ``min_group`` respondents, its smallest shown group is hidden too (secondary suppression): one
  hidden group can never be recovered as the total minus the shown ones, and the hidden ones
  together are never a group of fewer than ``min_group``. Repeated until nothing changes. A frame so
  treated has a boolean column ``suppressed``; a hidden row's counts and statistics are NA/NaN.
  A group of 0 is no one and stays as it is. When the filter's complement is small (above), every
  group is hidden.
* **Comments** (theme tables, comment search, the Responses table and downloads, the review's
  verbatims, the command line's themes): not shown for a selection of fewer than
  ``min_comment_group`` respondents: :func:`require_comments` raises :class:`CommentsHidden`.

Respondents are counted as the queries count responses (``n`` of the counted rows; with
``Options.dedupe``, each respondent once).

Limits: each query is protected on its own, with the families of groups it shows and the complements
of its own filter's conditions. A two-dimension table's rows and columns are each protected (no shown
row or column lets one hidden cell, or hidden cells of fewer than ``min_group`` together, be taken
from its total), but not every linear combination of several tables and filters is ruled out; the
period is not a condition (two overlapping periods can still be subtracted).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd

from nps import stats
from nps.errors import NpsError
from nps.query.counting import count_items, counts_row
from nps.query.filters import Filter
from nps.query.options import Options
from nps.query.rows import source
from nps.store import Dataset
from nps.stats.shift_share import ShiftShare, shift_share_of
from nps.store.privacy import Privacy

EMPLOYEE = "employee"
SUPPRESSED = "suppressed"
# The columns a hidden row loses: its counts and every statistic about it.
_HIDDEN_COLUMNS = (
    "n", "effective_n", "promoters", "passives", "detractors", "nps", "se", "ci_low", "ci_high", "share",
    "vs_rest", "vs_rest_se", "vs_rest_p", "vs_rest_p_adjusted", "prev_n", "prev_nps", "change", "change_se",
    "change_ci_low", "change_ci_high", "change_p", "change_p_adjusted", "gap",
)
# The columns about the previous period of a row, lost when that period is hidden.
_PREVIOUS_COLUMNS = ("prev_n", "prev_nps", "change", "change_se", "change_ci_low", "change_ci_high", "change_p",
                     "change_p_adjusted")
_FLAGS = ("low_n", "vs_rest_significant", "change_significant")


class CommentsHidden(NpsError):
    """The comments of a selection are hidden by the employee survey's anonymity rule; the message says why.

    ``notice``: the app shows it as information, not as an error.
    """

    notice = True


def privacy_of(ds: Dataset) -> Privacy | None:
    """The thresholds the queries apply to ``ds``: its own for an employee dataset, None (no rule) otherwise."""
    return ds.privacy if ds.kind == EMPLOYEE else None


# --- sentences -----------------------------------------------------------------------------------


def selection_hidden_sentence(privacy: Privacy) -> str:
    """What a page or the command line says in place of a hidden result."""
    return (f"Hidden: fewer than {privacy.min_group} respondents in this selection, or it leaves out fewer than "
            f"{privacy.min_group} (employee survey anonymity; this dataset's threshold is {privacy.min_group}).")


def groups_hidden_sentence(hidden: int, privacy: Privacy, what: str = "group") -> str:
    """``"3 groups hidden: fewer than 5 respondents (employee anonymity)"``; empty when none is hidden.

    Secondary suppression hides a group only to protect a smaller one, which the sentence says too.
    """
    if hidden <= 0:
        return ""
    noun = what if hidden == 1 else f"{what}s"
    return (f"{hidden} {noun} hidden: fewer than {privacy.min_group} respondents, or hidden with one that has "
            f"(employee anonymity).")


def comments_hidden_sentence(privacy: Privacy) -> str:
    """What is said in place of hidden comments."""
    return (f"Comments hidden: fewer than {privacy.min_comment_group} respondents in this selection (employee "
            f"survey anonymity; this dataset's threshold for comments is {privacy.min_comment_group}).")


def hidden_count(frame: pd.DataFrame) -> int:
    """How many rows of ``frame`` are hidden (0 for a frame the rule did not touch)."""
    return int(frame[SUPPRESSED].sum()) if SUPPRESSED in frame.columns else 0


def shown(frame: pd.DataFrame, ds: Dataset | None = None) -> pd.DataFrame:
    """``frame`` without its hidden rows (and without the ``suppressed`` column), counts as plain numbers again.

    What charts and tables draw. With ``ds``, ``attrs["anonymity_note"]`` is the sentence saying how
    many groups are hidden (empty when none is), for the page to show under them.
    """
    if SUPPRESSED not in frame.columns:
        return frame
    privacy = privacy_of(ds) if ds is not None else None
    out = frame[~frame[SUPPRESSED].astype(bool)].drop(columns=[SUPPRESSED])
    for column in out.columns:
        if str(out[column].dtype) == "Int64":
            # A shown group may still lack its previous period (hidden): NaN there, as a float column.
            out[column] = out[column].astype("float64" if out[column].isna().any() else "int64")
    out.attrs = dict(frame.attrs)
    if privacy is not None:
        out.attrs["anonymity_note"] = groups_hidden_sentence(hidden_count(frame), privacy)
    return out


# --- counting ------------------------------------------------------------------------------------


def respondents(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options = Options()) -> int:
    """The number of respondents (counted responses) ``flt`` keeps, as the queries count them."""
    src, params = source(ds, flt, replace(opts, weighted=False))
    return int(counts_row(cur, f"SELECT {count_items(replace(opts, weighted=False))} FROM ({src})", params,
                          replace(opts, weighted=False)).get("n") or 0)


def _wider(flt: Filter) -> list[Filter]:
    """``flt`` with each of its conditions other than the period left out in turn (and with all of them left out)."""
    wider = [Filter(since=flt.since, until=flt.until)]
    for i in range(len(flt.include)):
        wider.append(replace(flt, include=flt.include[:i] + flt.include[i + 1:]))
    for i in range(len(flt.exclude)):
        wider.append(replace(flt, exclude=flt.exclude[:i] + flt.exclude[i + 1:]))
    if flt.categories:
        wider.append(replace(flt, categories=()))
    if flt.text:
        wider.append(replace(flt, text=None))
    return [w for w in dict.fromkeys(wider) if w != flt]


def complement_too_small(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options,
                         n: int | None = None) -> bool:
    """True when a condition of ``flt`` other than the period leaves out 1 to min_group − 1 respondents.

    Checked against the period's respondents (all conditions left out) and against ``flt`` with each
    condition left out in turn: ``department = X`` and ``department = X, site ≠ Y`` would otherwise
    tell the few of site Y by subtraction. ``n`` is the respondents ``flt`` keeps when the caller has
    counted them. False for a dataset without the rule and for a filter of a period only.
    """
    privacy = privacy_of(ds)
    if privacy is None or flt is None:
        return False
    wider = _wider(flt)
    if not wider:
        return False
    kept = respondents(cur, ds, flt, opts) if n is None else int(n)
    for other in wider:
        left_out = respondents(cur, ds, other, opts) - kept
        if 0 < left_out < privacy.min_group:
            return True
    return False


def hidden_result() -> stats.NpsResult:
    """A hidden result: ``suppressed``, n and counts 0, every statistic NaN."""
    nan = math.nan
    return stats.NpsResult(0, 0, 0, 0, nan, nan, nan, nan, True, None, suppressed=True)


def check_result(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, opts: Options,
                 result: stats.NpsResult) -> stats.NpsResult:
    """``result`` (of ``flt``), or :func:`hidden_result` when the rule hides it (few respondents, or a small complement)."""
    privacy = privacy_of(ds)
    if privacy is None or result.n == 0:
        return result
    if result.n < privacy.min_group or complement_too_small(cur, ds, flt, opts, result.n):
        return hidden_result()
    return result


def require_comments(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None,
                     opts: Options = Options()) -> None:
    """Raise :class:`CommentsHidden` when the selection's comments are hidden (fewer than min_comment_group respondents).

    A selection with no respondent at all shows nothing either way and is not hidden.
    """
    privacy = privacy_of(ds)
    if privacy is None:
        return
    n = respondents(cur, ds, flt, opts)
    if 0 < n < privacy.min_comment_group:
        raise CommentsHidden(comments_hidden_sentence(privacy))


def comments_allowed(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None,
                     opts: Options = Options()) -> bool:
    """True when the selection's comments may be shown (:func:`require_comments` would not raise)."""
    try:
        require_comments(cur, ds, flt, opts)
    except CommentsHidden:
        return False
    return True


# --- groups --------------------------------------------------------------------------------------


def suppression_mask(n: np.ndarray, min_group: int, families: Sequence[np.ndarray]) -> np.ndarray:
    """Which groups to hide, given their respondents ``n`` and the families they add up in.

    Each family is an array of family labels (one per group; groups with the same label add up
    to one total). Primary: 0 < n < min_group. Secondary, per family, until nothing changes: while
    the hidden groups of a family count fewer than ``min_group`` together and some of it is hidden,
    its smallest shown group (n > 0) is hidden too.
    """
    counts = np.asarray(n, dtype="int64")
    mask = (counts > 0) & (counts < min_group)
    changed = True
    while changed:
        changed = False
        for labels in families:
            for label in pd.unique(labels):
                member = labels == label
                while True:
                    hidden = member & mask
                    if not hidden.any() or int(counts[hidden].sum()) >= min_group:
                        break
                    candidates = np.flatnonzero(member & ~mask & (counts > 0))
                    if candidates.size == 0:
                        break
                    mask[candidates[int(np.argmin(counts[candidates]))]] = True  # the first of equals
                    changed = True
    return mask


def _families(frame: pd.DataFrame, keys: Sequence[str]) -> list[np.ndarray]:
    """The families of a frame grouped by ``keys``: every row; and with several keys, rows sharing all keys but one."""
    families = [np.zeros(len(frame), dtype="int64")]
    if len(keys) > 1:
        for drop in keys:
            rest = [k for k in keys if k != drop]
            families.append(frame[rest].astype(str).agg("\x1f".join, axis=1).to_numpy())
    return families


def hide_rows(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """``frame`` with a ``suppressed`` column (``mask``) and the hidden rows' counts and statistics NA/NaN."""
    out = frame.copy()
    hidden = np.asarray(mask, dtype=bool)
    for column in _HIDDEN_COLUMNS:
        if column not in out.columns:
            continue
        if pd.api.types.is_integer_dtype(out[column].dtype):
            out[column] = out[column].astype("Int64")
            out.loc[hidden, column] = pd.NA
        else:
            out[column] = out[column].astype("float64")
            out.loc[hidden, column] = np.nan
    for column in _FLAGS:
        if column in out.columns:
            out.loc[hidden, column] = False
    out[SUPPRESSED] = hidden
    out.attrs = dict(frame.attrs)
    return out


def suppress_groups(frame: pd.DataFrame, ds: Dataset, keys: Sequence[str], *, hide_all: bool = False) -> pd.DataFrame:
    """A grouped frame (one row per value of ``keys``, with ``n``) under the rule; unchanged for a customer dataset.

    ``hide_all`` hides every group (the filter's complement is small). See the module's rule.
    """
    privacy = privacy_of(ds)
    if privacy is None:
        return frame
    counts = frame["n"].to_numpy(dtype="int64") if len(frame) else np.zeros(0, dtype="int64")
    if hide_all:
        mask = counts > 0
    else:
        mask = suppression_mask(counts, privacy.min_group, _families(frame, keys))
    return hide_rows(frame, mask)


def suppress_trend(frame: pd.DataFrame, ds: Dataset, by: Sequence[str], *, hide_all: bool = False) -> pd.DataFrame:
    """A trend frame (``period``, ``by``…) under the rule, the change from a hidden previous period hidden too."""
    privacy = privacy_of(ds)
    if privacy is None:
        return frame
    out = suppress_groups(frame, ds, ["period", *by], hide_all=hide_all)
    if "prev_n" in out.columns and len(out):
        hidden = out[SUPPRESSED].to_numpy(dtype=bool)
        if by:
            before = out[list(by)].assign(_h=hidden).groupby(list(by), sort=False)["_h"].shift(1)
        else:
            before = pd.Series(hidden).shift(1)
        out = hide_previous(out, before.fillna(False).to_numpy(dtype=bool))
    return out


def hide_previous(frame: pd.DataFrame, lost: np.ndarray) -> pd.DataFrame:
    """``frame`` with the previous period's numbers and the change NA/NaN on the rows of ``lost`` (a hidden previous)."""
    out = frame.copy()
    lost = np.asarray(lost, dtype=bool)
    for column in _PREVIOUS_COLUMNS:
        if column not in out.columns:
            continue
        if pd.api.types.is_integer_dtype(out[column].dtype):
            out[column] = out[column].astype("Int64")
            out.loc[lost, column] = pd.NA
        else:
            out[column] = out[column].astype("float64")
            out.loc[lost, column] = np.nan
    if "change_significant" in out.columns:
        out.loc[lost, "change_significant"] = False
    out.attrs = dict(frame.attrs)
    return out


def group_respondents(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, column: str,
                      opts: Options = Options()) -> dict[str, int]:
    """The respondents ``flt`` keeps per value of ``column`` (NULL as ``"(blank)"``)."""
    from nps.query.counting import key_columns, key_items
    from nps.store import sql

    plain = replace(opts, weighted=False)
    src, params = source(ds, flt, plain)
    text = f"SELECT {key_items(key_columns(ds, [column]))}, count({sql.SCORE}) AS n FROM ({src}) GROUP BY ALL"
    return {str(value): int(n) for value, n in sql.fetch_all(cur, text, params)}


def comment_groups(cur: duckdb.DuckDBPyConnection, ds: Dataset, flt: Filter | None, column: str,
                   opts: Options = Options()) -> set[str] | None:
    """The values of ``column`` whose comments may be shown (None: every value, no rule on this dataset)."""
    privacy = privacy_of(ds)
    if privacy is None:
        return None
    counts = group_respondents(cur, ds, flt, column, opts)
    return {value for value, n in counts.items() if n >= privacy.min_comment_group}


def hidden_shift_share(dimension: str) -> ShiftShare:
    """A hidden shift share: ``suppressed``, every number NaN, no segment."""
    nan = math.nan
    columns = [dimension, "n_prev", "n_cur", "w_prev", "w_cur", "nps_prev", "nps_cur", "within", "mix",
               "interaction", "total"]
    return ShiftShare(nan, nan, nan, nan, nan, nan, pd.DataFrame(columns=columns), suppressed=True)


def protect_shift_share(ds: Dataset, groups: dict[tuple[str, str], dict[str, object]], dimension: str,
                        hide: bool = False) -> ShiftShare:
    """The shift share of ``groups`` ((side, segment) → counts), hidden when any segment of either side would be.

    Its table shows each segment's n and NPS in both periods, so on an employee dataset one hidden
    segment (primary or secondary) hides the whole split; ``hide`` hides it anyway (a side hidden).
    """
    privacy = privacy_of(ds)
    if privacy is not None:
        if hide:
            return hidden_shift_share(dimension)
        for side in ("cur", "prev"):
            counts = np.array([int(g.get("n") or 0) for (s, _), g in groups.items() if s == side], dtype="int64")  # type: ignore[call-overload]
            if suppression_mask(counts, privacy.min_group, [np.zeros(len(counts), dtype="int64")]).any():
                return hidden_shift_share(dimension)
    return shift_share_of(groups, dimension)


def protect_changes(cur: duckdb.DuckDBPyConnection, ds: Dataset, by: Sequence[str], flt: Filter | None,
                    compare_flt: Filter | None, opts: Options, frame: pd.DataFrame,
                    previous: pd.DataFrame | None) -> pd.DataFrame:
    """Groups with their change from ``previous`` (both counted before the rule) under the rule.

    The groups of ``frame`` are suppressed as a breakdown's; where a group's previous period is
    hidden (suppressed in ``previous`` by the same rule) its previous numbers and change are NA/NaN.
    Unchanged for a customer dataset.
    """
    if privacy_of(ds) is None:
        return frame
    keys = list(by)
    out = suppress_groups(frame, ds, keys, hide_all=complement_too_small(cur, ds, flt, opts))
    if previous is not None and compare_flt is not None and len(out):
        before = suppress_groups(previous, ds, keys, hide_all=complement_too_small(cur, ds, compare_flt, opts))
        gone = {tuple(str(v) for v in row) for row in before.loc[before[SUPPRESSED], keys].itertuples(index=False)}
        lost = np.array([tuple(str(v) for v in row) in gone for row in out[keys].itertuples(index=False)], dtype=bool)
        out = hide_previous(out, lost)
    return out
