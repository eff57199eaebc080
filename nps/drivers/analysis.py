"""Key-driver analysis: how much of the score's variance each item rating explains, with intervals.

:func:`key_drivers` decomposes the R² of a regression of the score on the items
among the items with LMG (the Shapley value of R²: each item's gain in R² when it
joins a model, averaged over every order of entry), which shares the variance that
correlated items explain together fairly instead of giving it to whichever comes
first. The ``logistic`` variant explains promoter (9–10) vs not and decomposes
McFadden's pseudo-R² the same way, by brute force over the subsets of items.
Bootstrap percentile intervals come from resampling the respondents. The guard
rails (too few responses, items missing for many, collinear items) are sentences
in :attr:`DriverResult.warnings`. No SQL here: the frame comes from
:func:`nps.query.drivers.item_frame`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

METHODS: tuple[str, ...] = ("lmg", "logistic")
# The guard rails: the fewest responses, the fewest responses per item, the largest share of
# respondents an item may miss without a warning, the variance inflation factor above which items are collinear.
MIN_RESPONSES = 30
PER_ITEM = 10
MAX_MISSING = 0.20
MAX_VIF = 5.0
# The logistic variant fits a model per subset of items: 2^12 = 4,096 fits at most.
MAX_LOGISTIC_ITEMS = 6  # 2**k models per decomposition: with 6 items on 1-5, about a second per resample at 20,000
# The scales an item may sit on, smallest first (as nps.ingest.roles detects them).
SCALES: tuple[tuple[int, int], ...] = ((1, 5), (1, 7), (1, 10), (0, 10))
PROMOTER = 9


@dataclass(frozen=True)
class Driver:
    """One item's part in the score.

    ``importance`` is its share of the explained variance (the importances sum to
    R²), ``share`` the same as a share of R² (the shares sum to 1),
    ``importance_low``/``importance_high`` the bootstrap percentile interval of
    ``importance``; ``mean`` the item's mean on its ``scale`` (lowest, highest);
    ``direction`` the sign of its multiple-regression coefficient (``+`` or ``−``);
    ``correlation`` its plain (Pearson) correlation with the outcome.
    """

    item: str
    importance: float
    share: float
    importance_low: float
    importance_high: float
    mean: float
    direction: str
    correlation: float
    scale: tuple[int, int]


@dataclass(frozen=True)
class DriverResult:
    """A key-driver analysis: the method, n (complete responses), R², the drivers by importance, the warnings.

    ``computed`` is False when a guard rail stopped it (``drivers`` is then
    empty and ``warnings`` says why). ``dropped_missing`` counts the responses
    left out because an item (or the outcome) was missing.
    """

    outcome: str
    method: str
    n: int
    r2: float
    dropped_missing: int
    drivers: tuple[Driver, ...]
    warnings: tuple[str, ...]
    level: float
    computed: bool = True
    items: tuple[str, ...] = field(default=())


def item_scale(values: pd.Series) -> tuple[int, int]:
    """The smallest scale of :data:`SCALES` holding every value (0–10 when none fits)."""
    low, high = float(values.min()), float(values.max())
    return next(((lo, hi) for lo, hi in SCALES if lo <= low and high <= hi), (0, 10))


def _members(k: int) -> np.ndarray:
    """Row ``mask``: which of the ``k`` players the subset numbered ``mask`` (a bitmask) holds, as 0/1."""
    return (np.arange(2**k)[:, None] >> np.arange(k)) & 1


def shapley_from_worth(worth: np.ndarray) -> np.ndarray:
    """The Shapley values of the game whose subset numbered ``mask`` (bit j set: player j in it) is worth ``worth[mask]``."""
    k = int(round(math.log2(len(worth))))
    members = _members(k)
    masks = np.arange(2**k)
    size = members.sum(axis=1)
    weight = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) if s < k else 0.0
                       for s in range(k + 1)])
    out = np.zeros(k)
    for j in range(k):
        without = masks[members[:, j] == 0]
        out[j] = float(np.sum(weight[size[without]] * (worth[without | (1 << j)] - worth[without])))
    return out


def shapley(k: int, value: Callable[[tuple[int, ...]], float]) -> np.ndarray:
    """The Shapley values of ``k`` players for the set function ``value`` (a sorted tuple of players → a number).

    Brute force: ``value`` is called once per subset (2^k times).
    """
    worth = np.array([value(tuple(int(i) for i in np.flatnonzero(row))) for row in _members(k)], dtype=float)
    return shapley_from_worth(worth)


def lmg(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """LMG importances of the columns of ``x`` in explaining ``y`` (they sum to R²), and R².

    pingouin's ``linear_regression(..., relimp=True)`` computes them.
    """
    import pingouin

    names = [f"x{i}" for i in range(x.shape[1])]
    fit = pingouin.linear_regression(pd.DataFrame(x, columns=names), y, relimp=True)
    rows = fit.set_index("names").loc[names]
    return rows["relimp"].to_numpy(dtype=float), float(fit["r2"].iloc[0])


@lru_cache(maxsize=16)
def _subsets_by_size(k: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """For each subset size 1..k: the subsets' bitmasks and their members' indices (subsets × size)."""
    members = _members(k).astype(bool)
    size = members.sum(axis=1)
    out = []
    for s in range(1, k + 1):
        masks = np.flatnonzero(size == s)
        out.append((masks, np.array([np.flatnonzero(members[m]) for m in masks])))
    return tuple(out)


def lmg_from_correlations(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """The same LMG importances as :func:`lmg`, computed from the correlation matrix directly (Shapley over subsets).

    Used for the bootstrap resamples, where pingouin's full regression output would cost most of the time:
    the R² of every subset of one size is solved in one batched call.
    """
    return lmg_from_correlation_matrix(np.corrcoef(np.column_stack([y, x]), rowvar=False))


def lmg_from_correlation_matrix(corr: np.ndarray) -> tuple[np.ndarray, float]:
    """LMG importances and R² from the correlation matrix of (outcome, item 1, …, item k), outcome first.

    The R² of a subset of items is r'R⁻¹r over that subset (r: the items' correlations with the outcome,
    R: theirs with each other), so the matrix is all the decomposition needs: the bootstrap passes each
    resample's matrix (:func:`resample_correlation`) without building the resample.
    """
    r, rxx = corr[1:, 0], corr[1:, 1:]
    k = len(r)
    worth = np.zeros(2**k)
    for masks, idx in _subsets_by_size(k):
        blocks = rxx[idx[:, :, None], idx[:, None, :]]
        rhs = r[idx]
        try:
            solved = np.linalg.solve(blocks, rhs[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:  # perfectly collinear items: the pseudo-inverse, as pingouin does
            solved = np.einsum("nij,nj->ni", np.linalg.pinv(blocks), rhs)
        worth[masks] = np.einsum("ni,ni->n", rhs, solved)
    values = shapley_from_worth(worth)
    return values, float(values.sum())


class Moments:
    """The rows of (outcome, items) kept once, centred, so a bootstrap resample's correlation matrix costs one pass.

    A resample that takes row i ``counts[i]`` times has the same means, variances
    and covariances as the weighted rows, so :meth:`correlation` computes them
    from the counts (one weighted cross-product, about 11 columns × n) instead of
    copying the resampled rows and correlating them: the same matrix up to
    rounding (the tests check the importances and intervals to 1e-12).
    """

    def __init__(self, z: np.ndarray) -> None:
        """``z``: one row per response, the outcome then the items (floats)."""
        self.z = z
        self.n = len(z)
        # A row of ones, then the columns centred by the full sample's means (the resample's own small offsets
        # are taken off afterwards); rows are columns here so each is contiguous.
        self.centred_t = np.vstack([np.ones(self.n), (z - z.mean(axis=0)).T])
        self.variance = self.centred_t[1:].var(axis=1)
        self._root = np.empty(self.n)
        self._scaled = np.empty_like(self.centred_t)

    def correlation(self, counts: np.ndarray) -> np.ndarray | None:
        """The correlation matrix of the resample taking row i ``counts[i]`` times; None if a column is constant in it.

        Constant means every row drawn has the same value, checked exactly
        among the drawn rows whenever the computed variance is too small to
        tell (as the former per-resample ``std() == 0`` did).
        """
        # Each row scaled by √count, then one symmetric product (BLAS syrk) gives every weighted sum at once:
        # Σw (row 0 × row 0), Σw·z (row 0 × the others) and Σw·z·z'.
        np.sqrt(counts, out=self._root)
        np.multiply(self.centred_t, self._root, out=self._scaled)
        sums = self._scaled @ self._scaled.T
        total = float(counts.sum())
        offset = sums[0, 1:] / total
        cov = sums[1:, 1:] / total - np.outer(offset, offset)
        var = np.diag(cov)
        unsure = np.flatnonzero(var <= 1e-6 * self.variance)
        if unsure.size:
            drawn = self.z[counts > 0][:, unsure]
            if np.any(drawn.min(axis=0) == drawn.max(axis=0)):
                return None
        scale = 1.0 / np.sqrt(var)
        return cov * scale[:, None] * scale[None, :]


def _logit_loglik(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> float:
    """The maximised log-likelihood of a logistic regression of ``y`` (0/1) on ``x`` and an intercept (Newton).

    ``weights``: how many responses each row stands for (1 each when None), so that distinct rows with
    their counts give the fit, and the log-likelihood, of all the responses.
    """
    w = np.ones(len(y)) if weights is None else weights
    design = np.column_stack([np.ones(len(y)), x])
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        eta = np.clip(design @ beta, -30, 30)
        p = 1.0 / (1.0 + np.exp(-eta))
        grad = design.T @ (w * (y - p))
        hess = design.T @ (design * (w * p * (1 - p))[:, None]) + 1e-9 * np.eye(design.shape[1])
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.max(np.abs(step)) < 1e-9:
            break
    eta = np.clip(design @ beta, -30, 30)
    return float(np.sum(w * (y * eta - np.logaddexp(0.0, eta))))


def _logit_coef(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    design = np.column_stack([np.ones(len(y)), x])
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -30, 30)))
        hess = design.T @ (design * (p * (1 - p))[:, None]) + 1e-9 * np.eye(design.shape[1])
        step = np.linalg.solve(hess, design.T @ (y - p))
        beta += step
        if np.max(np.abs(step)) < 1e-9:
            break
    return beta[1:]


def mcfadden_shapley(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Shapley decomposition of McFadden's pseudo-R² (1 − LL(model)/LL(intercept only)) among the columns of ``x``.

    ``weights``: how many responses each row stands for (see :func:`distinct_rows`); 1 each when None.
    """
    null = _logit_loglik(np.empty((len(y), 0)), y, weights)

    def value(subset: tuple[int, ...]) -> float:
        if not subset:
            return 0.0
        return 1.0 - _logit_loglik(x[:, list(subset)], y, weights) / null

    values = shapley(x.shape[1], value)
    return values, float(values.sum())


def distinct_rows(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``z`` and, for each row of ``z``, the number of its distinct row.

    Item ratings take few values, so responses repeat: 4 items on 1–5 and promoter or not make at most 1,250
    distinct rows however many responses there are. A logistic fit on the distinct rows weighted by their
    counts is the fit on every response (the log-likelihood is a sum over responses), at a fraction of the cost.
    """
    radix = 1
    key = np.zeros(len(z), dtype=np.int64)
    for column in z.T:
        _, code = np.unique(column, return_inverse=True)
        size = int(code.max()) + 1 if len(code) else 1
        if radix * size >= 2**62:  # too many combinations for one integer key: compare whole rows
            unique, inverse = np.unique(z, axis=0, return_inverse=True)
            return unique, inverse.reshape(-1)
        key += code.reshape(-1) * radix
        radix *= size
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return z[first], inverse.reshape(-1)


def vif(x: np.ndarray) -> np.ndarray:
    """The variance inflation factor of each column of ``x`` (the diagonal of the inverse correlation matrix)."""
    corr = np.corrcoef(x, rowvar=False)
    return np.diag(np.linalg.pinv(np.atleast_2d(corr)))


def _not_computed(outcome: str, method: str, n: int, dropped: int, level: float, items: Sequence[str],
                  warnings: list[str]) -> DriverResult:
    return DriverResult(outcome=outcome, method=method, n=n, r2=float("nan"), dropped_missing=dropped, drivers=(),
                        warnings=tuple(warnings), level=level, computed=False, items=tuple(items))


def key_drivers(
    frame: pd.DataFrame,
    items: Sequence[str],
    outcome: str = "score",
    *,
    method: str = "lmg",
    level: float = 0.95,
    bootstrap: int = 200,
    seed: int = 0,
    min_n: int = MIN_RESPONSES,
) -> DriverResult:
    """The key drivers of ``outcome`` (the 0–10 score) among the ``items`` columns of ``frame``.

    ``method`` ``lmg``: importances are the LMG decomposition of the linear
    regression's R²; ``logistic``: of McFadden's pseudo-R² of promoter (score ≥ 9)
    vs not (at most :data:`MAX_LOGISTIC_ITEMS` items). Rows missing an item or the
    outcome are left out (listwise; counted in ``dropped_missing``). Intervals:
    ``bootstrap`` resamples of the respondents (seeded by ``seed``), percentile
    interval at ``level``. Not computed — with the reason in ``warnings`` — with
    fewer than ``min_n`` (at least 30) complete responses or fewer than 10 per item,
    an item or the outcome that never varies, or too many items for ``logistic``.
    Raises ValueError for an unknown method, no items, or an item named twice.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    items = list(items)
    if not items:
        raise ValueError("no items to explain the score with: name the item rating columns")
    if len(set(items)) != len(items) or outcome in items:
        raise ValueError("each item once, and not the outcome")
    if not 0 < level < 1:
        raise ValueError("the level is between 0 and 1, e.g. 0.95")
    warnings: list[str] = []
    data = frame[[outcome, *items]].apply(pd.to_numeric, errors="coerce").astype(float)
    total = len(data)
    for item in items:
        missing = int(data[item].isna().sum())
        if total and missing > MAX_MISSING * total:
            warnings.append(f"{item!r} is missing for {missing} of {total} respondents ({missing / total:.0%}): "
                            "the drivers rest on those who answered every item")
    complete = data.dropna()
    n, dropped = len(complete), total - len(complete)
    if dropped:
        warnings.append(f"{dropped} response(s) left out: an item or the score missing")
    needed = max(min_n, PER_ITEM * len(items))
    if n < needed:
        why = (f"only {n} complete responses: drivers need at least {max(min_n, MIN_RESPONSES)} and 10 per item "
               f"({needed} for {len(items)} item(s)); not computed")
        return _not_computed(outcome, method, n, dropped, level, items, [*warnings, why])
    if method == "logistic" and len(items) > MAX_LOGISTIC_ITEMS:
        why = (f"the logistic variant fits a model per subset of items: at most {MAX_LOGISTIC_ITEMS} items, "
               f"not {len(items)}; choose fewer items (--items) or use lmg")
        return _not_computed(outcome, method, n, dropped, level, items, [*warnings, why])
    x = complete[items].to_numpy()
    y_raw = complete[outcome].to_numpy()
    y = (y_raw >= PROMOTER).astype(float) if method == "logistic" else y_raw
    constant = [item for item, sd in zip(items, x.std(axis=0)) if sd == 0]
    if constant:
        why = f"{', '.join(repr(c) for c in constant)} {'never varies' if len(constant) == 1 else 'never vary'}: not computed"
        return _not_computed(outcome, method, n, dropped, level, items, [*warnings, why])
    if np.std(y) == 0:
        what = "everyone is a promoter, or no one is" if method == "logistic" else "every score is the same"
        return _not_computed(outcome, method, n, dropped, level, items, [*warnings, f"{what}: not computed"])
    if len(items) > 1:
        factors = vif(x)
        high = [f"{item!r} (VIF {v:.1f})" for item, v in zip(items, factors) if v > MAX_VIF]
        if high:
            warnings.append(f"collinear items: {', '.join(high)}; their shares are split between them and less "
                            "certain (VIF above 5)")
    if method == "logistic":  # on the distinct rows, each weighted by how many responses it stands for
        rows_z, row_of = distinct_rows(np.column_stack([y, x]))
        importance, r2 = mcfadden_shapley(rows_z[:, 1:], rows_z[:, 0], np.bincount(row_of).astype(float))
    else:
        importance, r2 = lmg(x, y)
    if method == "logistic":
        coef = _logit_coef(x, y)
    else:
        coef = np.linalg.lstsq(np.column_stack([np.ones(n), x]), y, rcond=None)[0][1:]
    rng = np.random.default_rng(seed)
    draws = []
    moments = Moments(np.column_stack([y, x])) if method == "lmg" and bootstrap else None
    for _ in range(bootstrap):
        pick = rng.integers(0, n, n)
        if moments is not None:  # the resample's correlations from its counts: no copy of the rows
            corr = moments.correlation(np.bincount(pick, minlength=n))
            if corr is not None:
                draws.append(lmg_from_correlation_matrix(corr)[0])
            continue
        # The logistic variant: the resample as the distinct rows it drew, weighted by how often.
        drawn = np.bincount(row_of[pick], minlength=len(rows_z))
        held = drawn > 0
        zb = rows_z[held]
        if np.any(zb.min(axis=0) == zb.max(axis=0)):  # an item or the outcome never varies in it
            continue
        draws.append(mcfadden_shapley(zb[:, 1:], zb[:, 0], drawn[held].astype(float))[0])
    alpha = (1 - level) / 2
    if draws:
        low, high_ = np.quantile(np.array(draws), [alpha, 1 - alpha], axis=0)
    else:
        low = high_ = np.full(len(items), np.nan)
    drivers = []
    for j, item in enumerate(items):
        column = complete[item]
        corr = float(np.corrcoef(x[:, j], y)[0, 1])
        drivers.append(Driver(
            item=item, importance=float(importance[j]), share=float(importance[j] / r2) if r2 > 0 else float("nan"),
            importance_low=float(low[j]), importance_high=float(high_[j]), mean=float(column.mean()),
            direction="+" if coef[j] >= 0 else "−", correlation=corr, scale=item_scale(column),
        ))
    drivers.sort(key=lambda d: (-d.importance, d.item))
    return DriverResult(outcome=outcome, method=method, n=n, r2=r2, dropped_missing=dropped, drivers=tuple(drivers),
                        warnings=tuple(warnings), level=level, items=tuple(items))


def key_drivers_by(
    frame: pd.DataFrame,
    items: Sequence[str],
    by: str,
    outcome: str = "score",
    **options: object,
) -> list[tuple[object, DriverResult]]:
    """:func:`key_drivers` per value of the ``by`` column (most responses first, then by value).

    A value with too few responses comes back not computed, with the reason in its warnings.
    """
    groups = [(value, part) for value, part in frame.groupby(by, dropna=False, sort=False)]
    groups.sort(key=lambda g: (-len(g[1]), str(g[0])))
    return [(value, key_drivers(part, items, outcome, **options)) for value, part in groups]  # type: ignore[arg-type]
