"""Shared fixtures and settings: the real files in ../shared/data (skipped when absent), Hypothesis profiles,
a scratch database."""

from __future__ import annotations

import os
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, settings

from nps import store

ROOT = Path(__file__).resolve().parent.parent
# The real-world exports live beside the repository, not in it; PASSAPAROLA_SHARED_DATA points elsewhere.
# A page's unexpected error is shown as a message with a reference (app.show_failure); under test it is also
# raised again, so every "no exception" check (AppTest, and the browser tests' servers, which inherit this) fails.
os.environ.setdefault("PASSAPAROLA_RAISE_PAGE_ERRORS", "1")
# The servers and AppTests of the suite copy no snapshot of their many small databases (tests that are
# about the snapshot turn it on).
os.environ.setdefault("PASSAPAROLA_SNAPSHOT_MINUTES", "0")
SHARED_DATA = Path(os.environ.get("PASSAPAROLA_SHARED_DATA") or ROOT.parent / "shared" / "data")
R_TESTDATA = SHARED_DATA / "nps_r_package_testdata.csv"
TELECOM = SHARED_DATA / "en_telecom_verbatims_textsummary.csv"
QUALTRICS_V3 = SHARED_DATA / "layouts" / "qualtrics_sample_v3_3header.csv"
QUALTRICS_LEGACY = SHARED_DATA / "layouts" / "qualtrics_sample_legacy_2header.csv"

# Hypothesis: "dev" locally, "ci" (fewer examples, the same ones every run) when CI=true, "thorough" on purpose
# (HYPOTHESIS_PROFILE=thorough make test). Tests set no max_examples of their own, so the profile bounds them all.
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci", max_examples=30, deadline=None, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev"))


# --- the real files in ../shared/data ----------------------------------------------------------


def _shared_paths(value: Any) -> set[Path]:
    """The paths inside SHARED_DATA that ``value`` is (a Path or str) or holds (a tuple, list or dict)."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return set().union(*(_shared_paths(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return _shared_paths(list(value.values()))
    if isinstance(value, (str, Path)) and str(value).startswith(str(SHARED_DATA)):
        path = Path(value)
        if path == SHARED_DATA or SHARED_DATA in path.parents:
            return {path}
    return set()


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    """``code`` and the code of the comprehensions, lambdas and nested functions inside it."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _paths_read_by(function: Any, seen: set[Any]) -> set[Path]:
    """The shared files a test or fixture names, directly or through the test modules' own helpers."""
    function = getattr(function, "__wrapped__", function)
    if not isinstance(function, types.FunctionType) or function in seen:
        return set()
    seen.add(function)
    found: set[Path] = set()
    for code in _code_objects(function.__code__):
        for name in code.co_names:
            value = function.__globals__.get(name)
            found |= _shared_paths(value)
            if isinstance(value, types.FunctionType) and value.__module__.startswith("tests"):
                found |= _paths_read_by(value, seen)
    return found


def _paths_needed(item: pytest.Item) -> set[Path]:
    """The shared files ``item`` reads: named in the test, its parameters, its fixtures or their helpers."""
    seen: set[Any] = set()
    needed = _paths_read_by(getattr(item, "function", None), seen)
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        needed |= _shared_paths(list(callspec.params.values()))
    fixture_info = getattr(item, "_fixtureinfo", None)
    for definitions in getattr(fixture_info, "name2fixturedefs", {}).values():
        for definition in definitions:
            needed |= _paths_read_by(definition.func, seen)
    return needed


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that reads ../shared/data with ``shared_data`` and the files it needs."""
    for item in items:
        needed = _paths_needed(item)
        if needed:
            item.add_marker(pytest.mark.shared_data(*sorted(needed)))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a ``shared_data`` test, with the reason, when its files are not on this machine."""
    marker = item.get_closest_marker("shared_data")
    if marker is None:
        return
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the real-world files in {SHARED_DATA}, which is absent "
                    "(put them there or set PASSAPAROLA_SHARED_DATA to their folder)")
    missing = [p for p in marker.args if not Path(p).exists()]
    if missing:
        pytest.skip(f"needs {', '.join(str(p.relative_to(SHARED_DATA)) for p in missing)} in {SHARED_DATA}")


@pytest.fixture
def shared_data() -> Path:
    """The folder of real-world exports (../shared/data); the test is skipped when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the real-world files in {SHARED_DATA}, which is absent "
                    "(put them there or set PASSAPAROLA_SHARED_DATA to their folder)")
    return SHARED_DATA


# --- a scratch database -------------------------------------------------------------------------


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory database with the catalog created."""
    connection = store.connect(":memory:")
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def tag_on_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests of what theme reads compute: tag (the explicit step) where the app's caller would have.

    Reads never tag (``themes.require_tagged`` raises ``NotTaggedError``); the pages and the CLI run
    ``tagging.tag_dataset`` first, which their own tests check. Tests that only care about a read's
    figures use this fixture instead of tagging by hand before every call.
    """
    from nps.query import themes
    from nps.store import tagging

    def tag_then_version(cur: duckdb.DuckDBPyConnection, ds: Any, codebook: Any) -> str:
        return tagging.tag_dataset(cur, ds, codebook)

    monkeypatch.setattr(themes, "require_tagged", tag_then_version)


# --- the app under AppTest, on a copy of the sample database ------------------------------------


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample datasets loaded once per test module into a database file (copied by :func:`db`)."""
    from nps.sample import demo

    path = tmp_path_factory.mktemp("apptest") / "sample.duckdb"
    connection = store.connect(path)
    demo.load_sample(connection)
    connection.close()
    return path


@pytest.fixture
def db(sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the sample database, the one the app opens (``PASSAPAROLA_DB``)."""
    import shutil

    path = tmp_path / "app.duckdb"
    shutil.copy(sample_db, path)
    monkeypatch.setenv(store.DB_ENV, str(path))
    return path


@pytest.fixture
def at(db: Path) -> Iterator[Any]:
    """The app under AppTest on :func:`db`, after its first run (the Overview)."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    yield app
