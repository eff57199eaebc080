"""Hostile names and values through every page (AppTest): plain text everywhere, distinct URL keys, links that
name a dataset gone or renamed say so."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from nps import demo, store
from tests.hostile import DATASET_NAME, HOSTILE_NAMES, HOSTILE_VALUES, build_hostile_db

ROOT = Path(__file__).resolve().parent.parent


def shown(markdown: str) -> str:
    """What Markdown with backslash escapes shows: the text without its escapes."""
    return re.sub(r"\\(.)", r"\1", markdown)


PAGES = ["pages/overview.py", "pages/segments.py", "pages/review.py", "pages/responses.py", "pages/comments.py",
         "pages/explorer.py", "pages/codebook.py", "pages/upload.py"]


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_hostile_db(tmp_path_factory.mktemp("hostile") / "hostile.duckdb")


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("links") / "sample.duckdb"
    con = store.connect(path)
    demo.load_sample(con)
    con.close()
    return path


def _app(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    path = tmp_path / "app.duckdb"
    shutil.copy(source, path)
    monkeypatch.setenv(store.DB_ENV, str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for key, value in params.items():
        at.query_params[key] = value
    return at


@pytest.fixture
def hostile(hostile_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    at = _app(hostile_db, tmp_path, monkeypatch, period="All time")
    at.run()
    yield at


# --- two columns whose URL keys collide ------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_columns_whose_url_keys_collide(hostile: AppTest, page: str) -> None:
    hostile.switch_page(page).run()
    assert not hostile.exception, [e.value for e in hostile.exception]
    assert hostile.title[0].value


def test_each_colliding_column_filters_on_its_own(hostile: AppTest) -> None:
    keys = [w.key for w in hostile.sidebar.multiselect]
    assert len(keys) == len(set(keys)) == len(HOSTILE_NAMES)
    assert {"f_region_area_824c68", "f_region_area_7b38a6"} <= set(keys)
    hostile.multiselect(key="f_region_area_7b38a6").set_value(["**b**"]).run()
    assert not hostile.exception
    note = next(i.value for i in hostile.info if "Filtered to" in i.value)
    assert shown(note) == "Filtered to region Area: **b**."  # "Region - Area" humanised


# --- a link's dataset ------------------------------------------------------------------------------


def test_a_link_to_a_deleted_dataset_says_it_is_gone(sample_db: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(sample_db, tmp_path, monkeypatch, ds="Old survey · #9")
    at.run()
    assert not at.exception
    (warning,) = at.sidebar.warning
    assert shown(warning.value) == ("The dataset in this link, Old survey · #9, no longer exists (deleted, or the link "
                                    "is wrong); showing Sample: customer survey · #1. Pick another under Dataset.")
    assert at.selectbox(key="ds").value == 1
    at.selectbox(key="ds").set_value(2).run()  # picking a dataset clears the note
    assert not at.sidebar.warning


def test_a_link_to_a_renamed_dataset_opens_it_and_says_so(sample_db: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(sample_db, tmp_path, monkeypatch, ds="Staff survey · #2")
    at.run()
    assert not at.exception
    assert at.selectbox(key="ds").value == 2
    (warning,) = at.sidebar.warning
    assert shown(warning.value) == ("The dataset in this link, Staff survey · #2, has been renamed: it is "
                                    "Sample: employee survey (eNPS) · #2.")


def test_a_link_with_the_datasets_label_opens_it_silently(sample_db: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    con = store.connect(sample_db)
    try:
        name = store.get_dataset(con, 2).name
    finally:
        con.close()
    at = _app(sample_db, tmp_path, monkeypatch, ds=f"{name} · #2")
    at.run()
    assert at.selectbox(key="ds").value == 2
    assert not at.sidebar.warning
