"""Discovery on the stored tags: clusters of the comments the filter keeps that no codebook theme mentions.

The clustering itself (TF-IDF, NMF) is :func:`nps.text.clusters.cluster_comments`;
the uncovered comments and their detected languages come from the stored tags
(:func:`nps.query.themes.uncovered_comments`).
"""

from __future__ import annotations

from typing import Any

import duckdb

from nps.domain import UNKNOWN_LANGUAGE as UNKNOWN
from nps.query import themes
from nps.query.filters import Filter
from nps.store import Dataset
from nps.text import Codebook
from nps.text.clusters import Cluster, cluster_comments


def uncovered_clusters(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    flt: Filter | None = None,
    **kw: Any,
) -> list[Cluster]:
    """Clusters (:func:`cluster_comments`) of the comments the filter keeps that no codebook theme mentions.

    Uses the stored tags (the dataset must be tagged: :func:`nps.query.themes.require_tagged`) and their
    detected languages. Keyword arguments go to :func:`cluster_comments`;
    ``members`` are positions among the uncovered comments (in the order of
    :func:`nps.query.themes.uncovered_comments`).
    """
    frame = themes.uncovered_comments(cur, ds, codebook, flt)
    comments = [str(c) for c in frame["comment"]]
    languages = [str(lang) if lang is not None else UNKNOWN for lang in frame["language"]]
    return cluster_comments(comments, languages=languages, **kw)
