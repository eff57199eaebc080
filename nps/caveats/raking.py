"""Raking weights: the sample's cells weighted so that each column's shares match a population's.

The fitting is weightipy's RIM (iterative proportional fitting on the margins, the algorithm of
survey research's "rim weighting"), not a hand-rolled loop. The sample comes as cells (one row per
combination of the raking columns, with its count ``n``); each response of a cell gets the cell's weight.
Weights are scaled to average 1 over the weighted responses.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Iteration limits handed to weightipy: stop when an iteration changes the weights by less than this
# fraction of the previous change (weightipy's ``convcrit``), or after this many iterations.
CONVERGENCE = 1e-10
MAX_ITERATIONS = 2000


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

    A cell whose value of some column has no population share is left out (weight 0). A population
    value no cell has is dropped and the column's other shares renormalised (it cannot be reached).
    """
    import weightipy

    columns = list(targets)
    n = cells["n"].to_numpy(dtype="int64")
    keep = np.ones(len(cells), dtype=bool)
    for column in columns:
        keep &= cells[column].astype(str).isin(list(targets[column])).to_numpy()
    kept = cells.loc[keep, columns].astype(str).reset_index(drop=True)
    kept_n = n[keep]
    dropped: list[tuple[str, str]] = []
    scheme: dict[str, dict[str, float]] = {}
    for column in columns:
        present = set(kept[column])
        shares = {v: s for v, s in targets[column].items() if v in present and s > 0}
        dropped += [(column, v) for v in targets[column] if v not in shares]
        total = sum(shares.values())
        scheme[column] = {v: 100.0 * s / total for v, s in shares.items()} if total > 0 else {}
    weights = np.zeros(len(cells))
    if kept_n.sum() > 0 and all(scheme.values()):
        rows = kept.loc[np.repeat(np.arange(len(kept)), kept_n)].reset_index(drop=True)
        # Keep only the values with a share: a value with none (dropped above) has no rows left.
        rim = weightipy.scheme_from_dict(scheme, name="population",
                                         rim_params={"convcrit": CONVERGENCE, "max_iterations": MAX_ITERATIONS})
        with contextlib.redirect_stdout(io.StringIO()):  # weightipy prints its convergence notes
            row_weights = weightipy.weight(rows, rim).to_numpy(dtype=float)
        starts = np.concatenate([[0], np.cumsum(kept_n)[:-1]])
        per_cell = np.where(kept_n > 0, row_weights[np.minimum(starts, len(row_weights) - 1)], 0.0)
        weights[keep] = per_cell
    margins, error = _margins(cells, n, weights, columns, scheme)
    return Raking(weights, margins, error, int(n[~keep].sum()), tuple(dropped))


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
