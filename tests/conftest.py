"""Shared fixtures: paths to the real files in ../shared/data and a scratch database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from nps import store

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
R_TESTDATA = SHARED_DATA / "nps_r_package_testdata.csv"
TELECOM = SHARED_DATA / "en_telecom_verbatims_textsummary.csv"
QUALTRICS_V3 = SHARED_DATA / "layouts" / "qualtrics_sample_v3_3header.csv"
QUALTRICS_LEGACY = SHARED_DATA / "layouts" / "qualtrics_sample_legacy_2header.csv"


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory database with the catalog created."""
    connection = store.connect(":memory:")
    try:
        yield connection
    finally:
        connection.close()
