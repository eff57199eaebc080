"""Hostile names and values through every page (AppTest): plain text everywhere, distinct URL keys, links that
name a dataset gone or renamed say so."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from nps import ingest, store
from nps.sample import demo
from nps.ingest import Overrides
from nps.narrative import column_label
from tests.hostile import DATASET_NAME, HOSTILE_NAMES, HOSTILE_VALUES, build_hostile_db, hostile_frame

ROOT = Path(__file__).resolve().parent.parent


def shown(markdown: str) -> str:
    """What Markdown with backslash escapes shows: the text without its escapes."""
    return re.sub(r"\\(.)", r"\1", markdown)


PAGES = ["pages/overview.py", "pages/segments.py", "pages/review.py", "pages/responses.py", "pages/comments.py",
         "pages/explorer.py", "pages/codebook.py", "pages/upload.py", "pages/actions.py", "pages/admin.py"]


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


# --- every user string is plain text ---------------------------------------------------------------

# Raw, any of these in a string Streamlit renders as Markdown is a link, bold, HTML, LaTeX or a colour.
FORBIDDEN = ["http://evil", "**b**", "**bold**", "**late**", "<b>", "$x^2$", ":red[", "[x]", "[click]", "[ds]", "[t]",
             "[rel]"]
# Elements whose text Streamlit shows as plain text (or, for html, escaped by us); charts and frames are data.
PLAIN_ELEMENTS = {"text", "html", "vega_lite_chart", "dataframe", "code", "json", "arrow_data_frame"}
# Fields of widgets that are shown as plain text: option lists of select boxes, typed values.
PLAIN_FIELDS = {"options", "default", "raw_values", "value", "placeholder", "raw_value", "id", "form_id",
                "query_param_key", "icon", "url", "page_script_hash", "page", "data"}


def _walk(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _strings(message: object, path: str = "") -> Iterator[tuple[str, str]]:
    for field, value in message.ListFields():  # type: ignore[attr-defined]
        if field.name in PLAIN_FIELDS and not (field.name == "options" and field.message_type):
            continue
        for item in (value if field.is_repeated else [value]):
            if isinstance(item, str):
                yield f"{path}{field.name}", item
            elif hasattr(item, "ListFields"):
                yield from _strings(item, f"{path}{field.name}.")


def markdown_strings(at: AppTest) -> list[tuple[str, str]]:
    """(element.field, text) of every string on the page that Streamlit renders as Markdown."""
    found: list[tuple[str, str]] = []
    for node in _walk(at._tree):
        kind, proto = getattr(node, "type", None), getattr(node, "proto", None)
        if kind == "table":  # st.table renders each cell, the index and the headers as Markdown
            frame = node.value  # type: ignore[attr-defined]
            cells = [*frame.index.astype(str), *map(str, frame.columns), str(frame.index.name or ""),
                     *(str(v) for column in frame.columns for v in frame[column])]
            found += [("table", c) for c in cells]
        elif proto is not None and kind not in PLAIN_ELEMENTS:
            found += [(f"{kind}.{f}", text) for f, text in _strings(proto)]
    return found


def assert_plain(at: AppTest, where: str) -> list[str]:
    """No hostile string reaches Markdown unescaped; returns what the Markdown strings show."""
    strings = markdown_strings(at)
    leaks = [(f, text) for f, text in strings if any(bad in text for bad in FORBIDDEN)]
    assert not leaks, f"{where}: user text rendered as Markdown: {leaks[:5]}"
    return [shown(text) for _, text in strings]


@pytest.mark.parametrize("params", [{}, {"present": "true"}], ids=["default", "presentation"])
def test_hostile_names_and_values_are_plain_text_on_every_page(hostile_db: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                params: dict[str, str]) -> None:
    at = _app(hostile_db, tmp_path, monkeypatch, period="All time", **params)
    at.run()
    for page in PAGES if not params else ["pages/review.py"]:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        texts = assert_plain(at, page)
        if page not in ("pages/codebook.py", "pages/actions.py", "pages/admin.py"):
            assert any(DATASET_NAME in t for t in texts), page  # shown, literally
        if page == "pages/segments.py":
            (by,) = [w for w in at.get("button_group") if w.key == "by"]
            labels = [shown(o.content) for o in by.proto.options]
            assert labels == [column_label(n) for n in HOSTILE_NAMES]  # "[x](http://evil)", 'A"b', …
        if page == "pages/review.py":
            titles = {shown(h.value) for h in at.subheader}
            assert titles and titles <= set(HOSTILE_VALUES)
            assert len(titles & {"[click](http://evil)", "**b**", "<b>h</b>", "$x^2$", ":red[r]"}) >= 3
            if params:
                (table,) = at.table
                assert {shown(v) for v in table.value.index} <= set(HOSTILE_VALUES)
    assert {"[rel](http://evil)"} <= {shown(o.content) for w in at.get("button_group") if w.key == "type"
                                      for o in w.proto.options}


# --- two columns whose URL keys collide ------------------------------------------------------------


def test_every_page_runs_on_columns_whose_url_keys_collide(hostile: AppTest) -> None:
    for page in PAGES:
        hostile.switch_page(page).run()
        assert not hostile.exception, (page, [e.value for e in hostile.exception])
        assert hostile.title[0].value


def test_each_colliding_column_filters_on_its_own(hostile: AppTest) -> None:
    keys = [w.key for w in hostile.sidebar.multiselect]
    assert len(keys) == len(set(keys)) == len(HOSTILE_NAMES)
    assert {"f_region_area_824c68", "f_region_area_7b38a6"} <= set(keys)
    hostile.multiselect(key="f_region_area_7b38a6").set_value(["**b**"]).run()
    assert not hostile.exception
    note = next(i.value for i in hostile.info if "Filtered to" in i.value)
    assert shown(note) == "Filtered to region Area: **b**."  # "Region - Area" humanised


def test_two_columns_that_read_the_same_are_two_breakdowns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = 200
    frame = pd.DataFrame({"score": [(i * 7) % 11 for i in range(rows)],
                          "Date": pd.date_range("2025-01-01", periods=rows, freq="D").strftime("%Y-%m-%d"),
                          "Region_Area": ["N", "S"] * (rows // 2), "Region-Area": ["E", "W", "X", "Y"] * (rows // 4)})
    con = store.connect(tmp_path / "same.duckdb")
    try:
        ingest.ingest_dataframe(con, frame, name="same labels",
                                overrides=Overrides(date="Date", dimensions=("Region_Area", "Region-Area")))
    finally:
        con.close()
    at = _app(tmp_path / "same.duckdb", tmp_path, monkeypatch, period="All time")
    at.switch_page("pages/segments.py").run()
    (by,) = [w for w in at.get("button_group") if w.key == "by"]
    assert [shown(o.content) for o in by.proto.options] == ["Region Area (Region_Area)", "Region Area (Region-Area)"]
    by.set_value("Region-Area").run()  # both once read "Region Area": the pair table then crossed a column with itself
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="by2").value == "Region_Area"
    assert sorted(map(str, at.dataframe[0].value.index)) == ["E", "W", "X", "Y"]


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


def test_an_uploaded_hostile_file_is_plain_text_on_the_upload_page(hostile_db: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    frame = hostile_frame(120).rename(columns={"Comment": "Comment [c](http://evil)"})
    at = _app(hostile_db, tmp_path, monkeypatch)
    at.run()
    at.switch_page("pages/upload.py").run()
    at.file_uploader[0].upload("[f](http://evil).csv", frame.to_csv(index=False).encode(), "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    comment = at.selectbox(key="map_comment")
    assert comment.value == "Comment [c](http://evil)"
    assert "[c](http://evil)" in shown(comment.proto.help)  # the detector's reason names the column, escaped
    assert_plain(at, "upload")


def test_a_hostile_review_meeting_is_plain_text(hostile_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A review, its participants' notes and decisions and an action decided in it, all named with hostile text."""
    import datetime as dt

    from nps.store import reviews

    path = tmp_path / "with-review.duckdb"
    shutil.copy(hostile_db, path)
    con = store.connect(path)
    try:
        ds = store.list_datasets(con)[0]
        column = next(c for c in ds.mapping.dimensions if c != ds.mapping.survey_type)
        review = reviews.add_review(con, dataset_id=ds.id, name="[r](http://evil) **bold**", dimension=column,
                                    cadence="monthly:1", participants=["a@example.com"])
        earlier = reviews.ensure_meeting(con, review.id, dt.date(2026, 1, 1))
        reviews.add_entry(con, earlier.id, "decision", "[click](http://evil) **bold** $x^2$")
    finally:
        con.close()
    at = _app(path, tmp_path, monkeypatch, review="[r](http://evil) **bold**", meeting="2026-02-02 (Mon)")
    at.run()
    at.switch_page("pages/review.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="review").value == review.id
    assert_plain(at, "review meeting")
    assert "2026-01-01 · decision · local user: [click](http://evil) **bold** $x^2$" in [t.value for t in at.text]
