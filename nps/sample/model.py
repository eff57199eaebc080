"""The score model every generator shares: score distributions, calendars, rank-assigned scores, ids.

Scores are not drawn independently: within each cell (e.g. quarter x segment x
function) the counts of every score are fixed to their expected values
(systematic rounding) and handed out by the rank of a latent driven by the item
ratings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nps import domain

# Score distribution for a latent mean m: a Gaussian bump with the heaping real
# NPS data show at 0, 5, 8 and 10.
_SCORE_VALUES = np.arange(11)
_HEAPING = np.array([1.6, 0.6, 0.7, 0.8, 0.8, 1.4, 0.9, 1.0, 1.25, 1.0, 1.3])
_SCORE_SPREAD = 2.0


# Some detractors are angry rather than lukewarm: a tail at 0-4 that thins as m rises.
_ANGRY = np.array([6.0, 1.5, 2.0, 2.0, 1.5, 0, 0, 0, 0, 0, 0]) / 13.0


def _score_probabilities(location: np.ndarray) -> np.ndarray:
    """Return the (n, 11) probabilities of scores 0..10 for latent means ``location``."""
    weights = np.exp(-((_SCORE_VALUES - location[:, None]) ** 2) / (2 * _SCORE_SPREAD**2)) * _HEAPING
    bump = weights / weights.sum(axis=1, keepdims=True)
    angry = 0.25 / (1 + np.exp(0.9 * (location[:, None] - 6.0)))
    return (1 - angry) * bump + angry * _ANGRY


_LOCATION_GRID = np.linspace(-4.0, 15.0, 3801)
_GRID_PROBABILITIES = _score_probabilities(_LOCATION_GRID)
_NPS_GRID = 100 * (_GRID_PROBABILITIES[:, 9:].sum(axis=1) - _GRID_PROBABILITIES[:, :7].sum(axis=1))


def _location_for_nps(nps: np.ndarray) -> np.ndarray:
    """Invert the score model: the latent mean whose expected NPS is ``nps`` (points)."""
    return np.interp(nps, _NPS_GRID, _LOCATION_GRID)


def _pick(rng: np.random.Generator, probabilities: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one category per row, row i from ``probabilities[rows[i]]`` (a small table of distributions)."""
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random(len(rows))
    picked = np.empty(len(rows), dtype=np.int64)
    for row in range(len(probabilities)):
        mine = rows == row
        picked[mine] = np.searchsorted(cumulative[row], u[mine], side="right")
    return picked.clip(0, probabilities.shape[1] - 1)


@dataclass(frozen=True)
class _Calendar:
    """The months of a series and the calendar quarters they fall in."""

    start: dt.date
    months: int

    @property
    def first_month(self) -> int:
        return self.start.year * 12 + self.start.month - 1

    def month_starts(self) -> np.ndarray:
        """First day of each month, as datetime64[D]."""
        first = np.datetime64(f"{self.start.year:04d}-{self.start.month:02d}", "M")
        return (first + np.arange(self.months + 1)).astype("datetime64[D]")

    def quarter_of_month(self) -> np.ndarray:
        """Index of the calendar quarter of each month, 0 for the first quarter touched."""
        absolute = self.first_month + np.arange(self.months)
        return absolute // 3 - self.first_month // 3

    @property
    def quarters(self) -> int:
        return int(self.quarter_of_month()[-1]) + 1

    @property
    def mix_shift_quarter(self) -> int:
        return max(self.quarters - 2, 1)


def _systematic_counts(rng: np.random.Generator, expected: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Round each row of expected counts to integers summing to ``sizes``, every cumulative total within 1.

    Systematic rounding with a random offset per row: unbiased, and the number of
    detractors (scores 0-6) and promoters (9-10) of each cell lands within one
    response of its expectation.
    """
    cumulative = np.floor(np.cumsum(expected, axis=1) + rng.random((len(expected), 1)))
    cumulative = np.minimum(cumulative, sizes[:, None])
    cumulative[:, -1] = sizes
    return np.diff(cumulative, axis=1, prepend=0).astype(np.int64)


def _grid_index(location: np.ndarray) -> np.ndarray:
    """Index of the nearest point of the latent grid, so score distributions are looked up, not recomputed."""
    step = _LOCATION_GRID[1] - _LOCATION_GRID[0]
    return np.rint((location - _LOCATION_GRID[0]) / step).astype(np.int64).clip(0, len(_LOCATION_GRID) - 1)


def _assign_scores(rng: np.random.Generator, latent: np.ndarray, location: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Give each row a 0-10 score: per cell, the expected score counts handed out in the order of ``latent``."""
    n_cells = int(cell.max()) + 1 if len(cell) else 0
    grid = len(_LOCATION_GRID)
    rows_at = np.bincount(cell * grid + _grid_index(location), minlength=n_cells * grid).reshape(n_cells, grid)
    counts = _systematic_counts(rng, rows_at @ _GRID_PROBABILITIES, rows_at.sum(axis=1))
    # The latent is a weighted 1-5 rating plus small noise, far inside +-1e4: one sort orders by cell, then latent.
    # Stable, so the (rare) equal keys keep their draw order whatever sort numpy picks for this CPU.
    order = np.argsort(cell * 1e4 + latent, kind="stable")
    scores = np.empty(len(cell), dtype=np.int64)
    scores[order] = np.repeat(np.tile(_SCORE_VALUES, n_cells), counts.ravel())
    return scores


def _ratings(
    rng: np.random.Generator, location: np.ndarray, satisfaction: np.ndarray, shifts: np.ndarray, base: np.ndarray
) -> np.ndarray:
    """Return (n, 4) item ratings 1-5 that move with the latent mean and the respondent's mood."""
    n = len(location)
    raw = (
        base[None, :]
        + 0.55 * (location[:, None] - 7.5)
        + 0.75 * satisfaction[:, None]
        + shifts
        + rng.normal(0.0, 0.65, (n, 4))
    )
    return np.rint(raw).clip(1, 5).astype(np.int8)


_ALPHABET = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)


def _as_bytes(prefix: str, body: np.ndarray) -> np.ndarray:
    """Fixed-width ASCII strings (numpy ``S``) from a prefix and an (n, width) array of byte values."""
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    buffer = np.empty((len(body), len(head) + body.shape[1]), dtype=np.uint8)
    buffer[:, : len(head)] = head
    buffer[:, len(head) :] = body
    return buffer.view(f"S{buffer.shape[1]}").ravel()


def _random_ids(rng: np.random.Generator, n: int, prefix: str, length: int = 15) -> np.ndarray:
    """Survey-tool style opaque ids (``R_`` + base-62), as a numpy bytes array."""
    return _as_bytes(prefix, _ALPHABET[rng.integers(0, 62, (n, length))])


def _serial_ids(prefix: str, serials: np.ndarray, digits: int) -> np.ndarray:
    """Zero-padded numeric ids (``C`` + digits), as a numpy bytes array."""
    powers = 10 ** np.arange(digits - 1, -1, -1, dtype=np.int64)
    return _as_bytes(prefix, (serials[:, None] // powers % 10 + ord("0")).astype(np.uint8))


def _labels(codes: np.ndarray, names: Sequence[str]) -> pd.Series:
    """Strings for codes; code -1 becomes a missing value."""
    categories = pd.Categorical.from_codes(codes, categories=list(names))
    return pd.Series(categories).astype("str")


def _category(score: np.ndarray) -> np.ndarray:
    """0 detractor (0-6), 1 passive (7-8), 2 promoter (9-10): the index in :data:`nps.domain.CATEGORIES`."""
    return np.where(score >= domain.PROMOTER_MIN, 2, np.where(score >= domain.PASSIVE_MIN, 1, 0))
