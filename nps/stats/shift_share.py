"""The shift share of an NPS change: within-segment, mix and interaction parts, from counts per segment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ShiftShare:
    """An NPS change between two periods split into within-segment, mix and interaction parts.

    With w the share of responses (weights when weighted) of a segment and N its
    NPS, ``total = NPS_cur − NPS_prev = within + mix + interaction`` exactly:

    * ``within``      = Σ w_prev·(N_cur − N_prev): segments getting better or worse;
    * ``mix``         = Σ (w_cur − w_prev)·N_prev: the blend of segments moving;
    * ``interaction`` = Σ (w_cur − w_prev)·(N_cur − N_prev).

    (``mix + interaction`` = Σ Δw·N_cur, the mix effect priced at current NPS.) A
    segment present in only one period takes that period's NPS for the other, so
    its whole contribution is mix. ``segments`` has one row per segment: the
    dimension's column, ``n_prev``, ``n_cur``, ``w_prev``, ``w_cur`` (fractions),
    ``nps_prev``, ``nps_cur``, ``within``, ``mix``, ``interaction``, ``total``
    (points), sorted by the absolute total contribution. All NaN when either
    period has no responses.
    """

    nps_current: float
    nps_previous: float
    total: float
    within: float
    mix: float
    interaction: float
    segments: pd.DataFrame
    # True when the employee anonymity rule hides the split (a segment too small): every number NaN, no segment.
    suppressed: bool = False


def shift_share_of(groups: dict[tuple[str, str], dict[str, Any]], dimension: str) -> ShiftShare:
    """A :class:`ShiftShare` from the counts of each (side ``cur``/``prev``, segment) group.

    ``groups`` maps (side, segment) to counts ``n``, ``promoters``, ``passives``, ``detractors``
    (weight sums when weighted); ``dimension`` names the segments' column in the result.
    """
    columns = [dimension, "n_prev", "n_cur", "w_prev", "w_cur", "nps_prev", "nps_cur", "within", "mix",
               "interaction", "total"]
    if not groups:
        nan = float("nan")
        return ShiftShare(nan, nan, nan, nan, nan, nan, pd.DataFrame(columns=columns))
    keys = sorted({k for _, k in groups})
    # Arrays, not a frame per step: this runs on every change of the Overview's filters.
    n: dict[str, np.ndarray] = {}
    w: dict[str, np.ndarray] = {}
    net: dict[str, np.ndarray] = {}
    for side in ("cur", "prev"):
        found = [groups.get((side, k)) for k in keys]
        n[side] = np.array([int(g["n"]) if g else 0 for g in found], dtype="int64")
        w[side] = np.array([g["promoters"] + g["passives"] + g["detractors"] if g else 0 for g in found])
        net[side] = np.array([float(g["promoters"] - g["detractors"]) if g else 0.0 for g in found], dtype="float64")
    tot_c, tot_p = float(w["cur"].sum()), float(w["prev"].sum())
    if tot_c <= 0 or tot_p <= 0:
        nan = float("nan")
        now = nan if tot_c <= 0 else float(net["cur"].sum()) / tot_c * 100
        before = nan if tot_p <= 0 else float(net["prev"].sum()) / tot_p * 100
        return ShiftShare(now, before, nan, nan, nan, nan, pd.DataFrame(columns=columns))
    with np.errstate(all="ignore"):
        w_c = w["cur"] / tot_c
        w_p = w["prev"] / tot_p
        nps_c = np.where(w["cur"] > 0, net["cur"] / w["cur"] * 100, np.nan)
        nps_p = np.where(w["prev"] > 0, net["prev"] / w["prev"] * 100, np.nan)
    # A segment seen in one period only: its NPS in the other is taken as equal, so it is all mix.
    n_c = np.nan_to_num(np.where(np.isnan(nps_c), nps_p, nps_c), nan=0.0)
    n_p = np.nan_to_num(np.where(np.isnan(nps_p), nps_c, nps_p), nan=0.0)
    within = w_p * (n_c - n_p)
    mix = (w_c - w_p) * n_p
    interaction = (w_c - w_p) * (n_c - n_p)
    total = within + mix + interaction
    order = np.argsort(-np.abs(total), kind="stable")
    out = pd.DataFrame({
        dimension: pd.Index(keys, name="k0").astype(str)[order],
        "n_prev": n["prev"][order], "n_cur": n["cur"][order],
        "w_prev": w_p[order], "w_cur": w_c[order],
        "nps_prev": nps_p[order], "nps_cur": nps_c[order],
        "within": within[order], "mix": mix[order], "interaction": interaction[order], "total": total[order],
    })
    now = float(net["cur"].sum()) / tot_c * 100
    before = float(net["prev"].sum()) / tot_p * 100
    return ShiftShare(
        nps_current=now, nps_previous=before, total=now - before,
        within=float(out["within"].sum()), mix=float(out["mix"].sum()),
        interaction=float(out["interaction"].sum()), segments=out[columns],
    )
