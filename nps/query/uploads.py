"""The Upload page's figures: the score histogram of a file being inspected, shaped as the distribution chart reads it."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nps import domain


def score_histogram(histogram: Mapping[int, int]) -> pd.DataFrame:
    """``Inspection.score_histogram`` as a frame: score, n, category and share (as ``nps.query.distribution``)."""
    hist = pd.DataFrame({"score": list(histogram), "n": list(histogram.values())})
    hist["category"] = hist["score"].map(domain.category)
    hist["share"] = hist["n"] / max(int(hist["n"].sum()), 1)
    return hist
