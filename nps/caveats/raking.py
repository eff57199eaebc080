"""Raking weights: the sample's cells weighted so that each column's shares match a population's.

The fitting is weightipy's raking (RIM weighting: iterative proportional fitting on the margins, the
algorithm of survey research's "rim weighting"), not a hand-rolled loop. The sample comes as cells (one row
per combination of the raking columns, with its count ``n``), raked from the counts as seed weights — the
same fit as raking every response, without one row per response. weightipy's public ``weight()`` starts
every row at 1 and stops at the first iteration that changes the weights more than the one before, which
in the first iterations of a fit can come long before the margins are reached (0.05 off on a 2×3 table in
the tests, which plain iterative fitting reaches in 18 iterations). Its ``Rake`` class takes a seed, so it
is used directly and restarted from where it stopped until every margin is within :data:`TOLERANCE` (at
most :data:`RESTARTS` times); weightipy is pinned below 0.5, which reorganises that class. Each response of
a cell gets the cell's weight ÷ its count, scaled to average 1 over the weighted responses.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# weightipy's own stopping rule (``convcrit``: an iteration improving on the previous one by less than this
# fraction) and iteration limit per start; the fit is restarted until the largest margin error is within
# TOLERANCE (a share, 0..1), at most RESTARTS times. The margins reached are reported either way.
CONVERGENCE = 1e-12
MAX_ITERATIONS = 5000
TOLERANCE = 1e-10
RESTARTS = 500


@dataclass(frozen=True)
class Raking:
    """Weights per cell, and how well they reach the population.

    ``weights`` has one weight per row of the cells given (0 for cells whose value the population
    table lacks: they are left out). ``margins`` is DataFrame[column, value, population, sample,
    weighted] (shares 0..1); ``max_error`` the largest |weighted − population| share; ``left_out``
    the responses left out; ``dropped`` the population's values no response has (their share
    spread over the others).
    """

    weights: np.ndarray
    margins: pd.DataFrame
    max_error: float
    left_out: int
    dropped: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def population_targets(population: pd.DataFrame) -> dict[str, dict[str, float]]:
    """{column: {value: share}} from a population table with columns ``column``, ``value``, ``share``.

    Shares of a column are normalised to sum to 1 (a table may give percentages or counts).
    Raises ValueError without those columns, with a negative share or a column whose shares sum to 0.
    """
    missing = {"column", "value", "share"} - set(population.columns)
    if missing:
        raise ValueError(f"a population table needs the columns column, value, share; it lacks {', '.join(sorted(missing))}")
    out: dict[str, dict[str, float]] = {}
    for row in population.itertuples(index=False):
        share = float(getattr(row, "share"))
        if not share >= 0:
            raise ValueError(f"population share of {getattr(row, 'column')}={getattr(row, 'value')} is {share}: "
                             "give 0 or more")
        column, value = str(getattr(row, "column")), str(getattr(row, "value"))
        out.setdefault(column, {})
        out[column][value] = out[column].get(value, 0.0) + share
    for column, shares in out.items():
        total = sum(shares.values())
        if total <= 0:
            raise ValueError(f"the population shares of {column} sum to 0")
        out[column] = {v: s / total for v, s in shares.items()}
    return out


def rake(cells: pd.DataFrame, targets: dict[str, dict[str, float]]) -> Raking:
    """Raking weights for ``cells`` (the target columns as text and ``n``) to the ``targets`` margins.

    A cell whose value of some column has no population share (or a share of 0) is left out (weight 0).
    A population value no cell has is dropped and the column's other shares renormalised (it cannot
    be reached).
    """
    import weightipy

    from weightipy.internal.rim import Rake

    columns = list(targets)
    n = cells["n"].to_numpy(dtype="int64")
    keep = n > 0
    for column in columns:
        with_share = [v for v, share in targets[column].items() if share > 0]
        keep &= cells[column].astype(str).isin(with_share).to_numpy()
    kept = cells.loc[keep, columns].astype(str).reset_index(drop=True)
    kept_n = n[keep].astype(float)
    dropped: list[tuple[str, str]] = []
    scheme: dict[str, dict[str, float]] = {}
    for column in columns:
        present = set(kept[column])
        shares = {v: s for v, s in targets[column].items() if v in present and s > 0}
        dropped += [(column, v) for v, s in targets[column].items() if s > 0 and v not in shares]
        total = sum(shares.values())
        scheme[column] = {v: 100.0 * s / total for v, s in shares.items()} if total > 0 else {}
    weights = np.zeros(len(cells))
    if kept_n.sum() > 0 and all(scheme.values()):
        frame = kept.copy()
        rake_ = Rake(frame, [{c: scheme[c]} for c in columns], weight_column_name="_w",
                     max_iterations=MAX_ITERATIONS, convcrit=CONVERGENCE)
        fitted = kept_n.copy()  # the seed: each cell's count (Rake starts every row at 1)
        for _ in range(RESTARTS):
            rake_.dataframe["_w"] = fitted
            with contextlib.redirect_stdout(io.StringIO()):  # weightipy prints its convergence notes
                rake_.start()
            fitted = rake_.dataframe["_w"].to_numpy(dtype=float)
            if _worst(kept, fitted, scheme) <= TOLERANCE:
                break
        per_response = fitted / kept_n
        per_response *= kept_n.sum() / float((per_response * kept_n).sum())
        weights[keep] = per_response
    margins, error = _margins(cells, n, weights, columns, scheme)
    return Raking(weights, margins, error, int(n[~keep].sum()), tuple(dropped))


def _worst(cells: pd.DataFrame, fitted: np.ndarray, scheme: dict[str, dict[str, float]]) -> float:
    """The largest |fitted share − target share| over every column's values."""
    total = float(fitted.sum())
    worst = 0.0
    for column, shares in scheme.items():
        values = cells[column].to_numpy()
        for value, pct in shares.items():
            worst = max(worst, abs(float(fitted[values == value].sum()) / total - pct / 100.0))
    return worst


def _margins(cells: pd.DataFrame, n: np.ndarray, weights: np.ndarray, columns: list[str],
             scheme: dict[str, dict[str, float]]) -> tuple[pd.DataFrame, float]:
    rows = []
    total_n = float(n.sum())
    total_w = float((n * weights).sum())
    for column in columns:
        values = cells[column].astype(str).to_numpy()
        for value in sorted(set(values) | set(scheme[column])):
            at = values == value
            rows.append({
                "column": column, "value": value,
                "population": scheme[column].get(value, 0.0) / 100.0,
                "sample": float(n[at].sum()) / total_n if total_n else 0.0,
                "weighted": float((n[at] * weights[at]).sum()) / total_w if total_w else 0.0,
            })
    frame = pd.DataFrame(rows, columns=["column", "value", "population", "sample", "weighted"])
    error = float((frame["weighted"] - frame["population"]).abs().max()) if len(frame) and total_w else float("nan")
    return frame, error
