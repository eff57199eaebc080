"""Simulated surveys that check how often the screens cry wolf, and how often they find a real difference.

Each simulated dataset draws responses from known category shares and runs the
same statistics the pages use (:func:`nps.stats.differences` and
:func:`nps.stats.flag_tests` as :func:`nps.query.breakdowns.breakdown` does,
:func:`nps.stats.add_change` as the Review meeting's scorecards do, period-to-period
changes as :func:`nps.query.trends.trend` does, :func:`nps.query.comparisons.tile_changes` for the
Overview's tiles). Under the complete null (every group and period alike) the share
of datasets with any flag on a screen is that screen's family-wise false-alarm
rate; with a planted difference, the share of datasets in which it is flagged
(in the right direction) is the power. Seeded: the same arguments give the same
figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nps import stats
from nps.query.comparisons import tile_changes
from nps.query.options import Options

SCREENS: tuple[str, ...] = ("segments", "review", "trend", "tiles")


@dataclass(frozen=True)
class Rates:
    """Share of simulated datasets (0..1) with at least one flag, per screen and anywhere.

    ``power`` is the share in which the planted group was flagged in the right
    direction on the Segments screen (NaN without a planted difference).
    """

    datasets: int
    segments: float
    review: float
    trend: float
    tiles: float
    anywhere: float
    power: float


def _draw(rng: np.random.Generator, shares: np.ndarray, n: int, size: int) -> np.ndarray:
    """``size`` rows of (detractors, passives, promoters) counts of ``n`` responses each."""
    return rng.multinomial(n, shares, size=size).astype(float)


def _frame(counts: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({
        "n": counts.sum(axis=1).astype("int64"), "detractors": counts[:, 0], "passives": counts[:, 1],
        "promoters": counts[:, 2],
    })


def _result(counts: np.ndarray, opts: Options) -> stats.NpsResult:
    d, pa, p = (int(v) for v in counts)
    return stats.score_counts(d, pa, p, method=opts.method, level=opts.level, min_n=opts.min_n)


def simulate(
    datasets: int = 200,
    *,
    groups: int = 8,
    n_per_group: int = 150,
    periods: int = 12,
    shares: tuple[float, float, float] = (0.30, 0.30, 0.40),
    planted: float = 0.0,
    opts: Options = Options(),
    seed: int = 0,
) -> Rates:
    """Run ``datasets`` simulated surveys and count how often each screen flags something.

    Each dataset has ``groups`` segments (or business functions) of
    ``n_per_group`` responses in the current period and as many in the previous
    one, and ``periods`` periods of ``groups × n_per_group / periods`` responses
    each for the trend. ``shares`` are the true (detractor, passive, promoter)
    shares everywhere; ``planted`` (0..min(D share)) moves that share of the
    first group's responses from detractors to promoters in the current period
    (an NPS ``200·planted`` points higher). ``opts`` are the app's options
    (method, level, minimum n, multiplicity). Raises ValueError for fewer than 2
    groups or periods, or shares that are not a distribution.
    """
    if groups < 2 or periods < 2:
        raise ValueError("a simulation needs at least 2 groups and 2 periods")
    base = np.asarray(shares, dtype=float)
    if base.shape != (3,) or (base < 0).any() or not np.isclose(base.sum(), 1.0):
        raise ValueError(f"shares must be three fractions summing to 1, not {shares!r}")
    if not 0 <= planted <= base[0]:
        raise ValueError(f"the planted shift must lie between 0 and the detractor share, not {planted!r}")
    shifted = base + np.array([-planted, 0.0, planted])
    rng = np.random.default_rng(seed)
    kw = {"method": opts.method, "level": opts.level, "min_n": opts.min_n}
    flagged = {screen: 0 for screen in SCREENS}
    anywhere = found = 0
    per_period = max(1, groups * n_per_group // periods)
    for _ in range(datasets):
        now = _draw(rng, base, n_per_group, groups)
        if planted:
            now[0] = rng.multinomial(n_per_group, shifted).astype(float)
        before = _draw(rng, base, n_per_group, groups)
        cur = _frame(now)
        rest = _frame(now.sum(axis=0) - now)
        vs = stats.differences(cur, rest, **kw)
        _, seg_flags, _ = stats.flag_tests(vs["p_value"].to_numpy(), level=opts.level,
                                           multiplicity=opts.control(stats.SCREENING))
        keyed = cur.assign(group=range(groups))
        cards = stats.add_change(keyed, _frame(before).assign(group=range(groups)), ["group"], **kw,
                                 multiplicity=opts.control(stats.DECISION))
        series = _draw(rng, base, per_period, periods)
        if planted:
            series[-1] = rng.multinomial(per_period, shifted).astype(float)
        n_eff = series.sum(axis=1)
        step = stats.difference_arrays((series[1:, 0], series[1:, 1], series[1:, 2], n_eff[1:]),
                                       (series[:-1, 0], series[:-1, 1], series[:-1, 2], n_eff[:-1]), **kw)
        _, trend_flags, _ = stats.flag_tests(step["p_value"], level=opts.level,
                                             multiplicity=opts.control(stats.SCREENING))
        tiles = tile_changes(_result(now.sum(axis=0), opts), _result(before.sum(axis=0), opts), opts)
        hits = {
            "segments": bool(seg_flags.any()),
            "review": bool(cards["change_significant"].any()),
            "trend": bool(trend_flags.any()),
            "tiles": any(d.significant for d in tiles.values()),
        }
        for screen, hit in hits.items():
            flagged[screen] += hit
        anywhere += any(hits.values())
        if planted and seg_flags[0] and vs["diff"].iloc[0] > 0:
            found += 1
    return Rates(
        datasets=datasets,
        segments=flagged["segments"] / datasets,
        review=flagged["review"] / datasets,
        trend=flagged["trend"] / datasets,
        tiles=flagged["tiles"] / datasets,
        anywhere=anywhere / datasets,
        power=found / datasets if planted else float("nan"),
    )
