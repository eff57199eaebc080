"""The Upload & datasets page under AppTest (issue 8): the encoding is shown and can be changed; a loaded
dataset's roles can be corrected, with its history."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from nps import ingest, store
from tests.test_hostile_pages import shown

ROOT = Path(__file__).resolve().parent.parent
FRENCH = ["Très bon accueil", "Délai de livraison trop long", "Prix élevés", "FÉLICITER LE PERSONNEL", "Personnel compétent"]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database with one small dataset (so the app does not load the sample)."""
    path = tmp_path / "app.duckdb"
    csv = tmp_path / "small.csv"
    pd.DataFrame(
        {
            "NPS": [i % 11 for i in range(40)],
            "why": [f"because of reason number {i}" for i in range(40)],
            "note_interne": [f"note {i}" if i % 2 else "NA" for i in range(40)],
            "segment": [["B2B", "B2C"][i % 2] for i in range(40)],
        }
    ).to_csv(csv, index=False)
    con = store.connect(path)
    try:
        ingest.ingest_file(con, csv, name="small")
    finally:
        con.close()
    monkeypatch.setenv(store.DB_ENV, str(path))
    return path


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Uploads and scratch folders of these tests go under tmp_path (not the machine's temp folder)."""
    base = tmp_path / "tmp"
    base.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    return base


@pytest.fixture
def at(db: Path) -> Iterator[AppTest]:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    app.switch_page("pages/upload.py").run()
    assert not app.exception, [e.value for e in app.exception]
    yield app


def french_bytes() -> bytes:
    lines = ["date;note;explication"] + [f"{i % 28 + 1:02d}/03/2024;{i % 11};{FRENCH[i % 5]}" for i in range(40)]
    data = "\r\n".join(lines).encode("cp1252")
    return data.replace("FÉLICITER".encode("cp1252"), b"F\x90LICITER")


def test_the_encoding_is_shown_and_can_be_changed(at: AppTest, db: Path) -> None:
    at.file_uploader[0].upload("magasins.csv", french_bytes(), "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("encoding cp1252" in m.value for m in at.markdown)
    box = next(s for s in at.selectbox if s.label == "Encoding")
    assert box.value is None  # the detected one
    preview = next(d.value for d in at.dataframe if "explication" in d.value.columns)
    assert preview["explication"].tolist()[:5] == FRENCH
    box.set_value("cp850").run()
    assert any("encoding cp850" in m.value for m in at.markdown)
    preview = next(d.value for d in at.dataframe if "explication" in d.value.columns)
    assert preview["explication"].iloc[1] == "DÚlai de livraison trop long"
    box = next(s for s in at.selectbox if s.label == "Encoding")
    box.set_value(None).run()  # back to the detected one
    preview = next(d.value for d in at.dataframe if "explication" in d.value.columns)
    assert preview["explication"].iloc[3] == "FÉLICITER LE PERSONNEL"  # the cp850 byte read as cp850
    assert not at.exception, [e.value for e in at.exception]


def test_a_datasets_roles_can_be_corrected(at: AppTest, db: Path) -> None:
    at.selectbox(key="remap_comment_1").set_value("note_interne")
    next(b for b in at.button if b.label == "Apply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (success,) = at.success  # markdown-escaped text
    assert success.value == (
        "Updated **small**: comment\\: 'why' → 'note\\_interne'. 40 responses accepted (were 40), 0 rejected (were 0)."
    )
    assert [w.value for w in at.warning] == ["comment says nothing \\(NA, N/A, \\-, null…\\), counted as no comment\\: 20"]
    history = next(d.value for d in at.dataframe if "what changed" in d.value.columns)
    assert history["what changed"].tolist() == ["comment: 'why' → 'note_interne'"]
    con = store.connect(db)
    try:
        ds = store.get_dataset(con, 1)
    finally:
        con.close()
    assert (ds.id, ds.mapping.comment) == (1, "note_interne")


def test_a_bad_choice_shows_an_error_and_changes_nothing(at: AppTest, db: Path) -> None:
    at.selectbox(key="remap_score_1").set_value("segment")
    next(b for b in at.button if b.label == "Apply").click().run()
    assert any("the column 'segment' holds no whole numbers 0–10" in e.value for e in at.error)
    con = store.connect(db)
    try:
        assert store.get_dataset(con, 1).mapping.score == "NPS"
    finally:
        con.close()


def test_an_upload_is_inspected_once_until_a_choice_changes(at: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 8 §7: the page inspected the file twice on every run; now once per file and choices."""
    calls: list[object] = []
    real = ingest.inspect_file

    def counting(*args: object, **kwargs: object) -> ingest.Inspection:
        calls.append(kwargs.get("overrides"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "inspect_file", counting)
    data = french_bytes().replace(b"Prix", b"Tarifs")  # content of its own: no other test's cached inspection
    at.file_uploader[0].upload("once.csv", data, "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    assert calls == [None]  # no overrides yet: the two inspections are one
    at.run()  # the role boxes now hold the detected roles: inspected with them once
    at.run()
    at.text_input(key="save_name").input("renamed").run()
    assert len(calls) == 2
    at.selectbox(key="map_comment").set_value("").run()  # a real change is inspected again
    assert len(calls) == 3
    assert not at.exception, [e.value for e in at.exception]


def test_empty_overrides_inspect_like_none(tmp_path: Path) -> None:
    # What lets the page's first and second inspections of a fresh upload be one cached call.
    path = tmp_path / "magasins.csv"
    path.write_bytes(french_bytes())
    plain, empty = ingest.inspect_file(path), ingest.inspect_file(path, overrides=ingest.Overrides())
    assert empty.mapping == plain.mapping and empty.columns == plain.columns and empty.warnings == plain.warnings
    assert empty.score_histogram == plain.score_histogram and empty.preview.equals(plain.preview)


def small_bytes(db: Path) -> bytes:
    """The file the fixture loaded as dataset 1."""
    return (db.parent / "small.csv").read_bytes()


def datasets_in(db: Path) -> list[tuple[int, str, int, int]]:
    con = store.connect(db)
    try:
        return [(d.id, d.name, d.accepted, d.waves) for d in sorted(store.list_datasets(con), key=lambda d: d.id)]
    finally:
        con.close()


def test_a_file_loaded_before_is_not_loaded_again_unless_confirmed(at: AppTest, db: Path, private_tmp: Path) -> None:
    """Issue 9: the page recognised the file, then loaded it again anyway (20,000 → 40,000 → 60,000 rows)."""
    at.file_uploader[0].upload("small.csv", small_bytes(db), "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    (info,) = [i.value for i in at.info if "loaded before" in i.value]
    assert info.startswith("This file was loaded before, as **small** (dataset 1, wave 1, on ")
    assert info.endswith("). Loading it again would count its responses twice.")
    next(b for b in at.button if b.label == "Load").click().run()
    assert [e.value for e in at.error] == [
        "Not loaded: this file is already dataset 1 (wave 1). Open it, or tick *Load it again anyway* to load a "
        "second copy."]
    assert datasets_in(db) == [(1, "small", 40, 1)]
    at.radio(key="save_mode").set_value("A new wave of an existing dataset").run()
    next(b for b in at.button if b.label == "Load").click().run()
    assert datasets_in(db) == [(1, "small", 40, 1)]  # nor as a new wave
    saved = at.session_state["_upload_saved"][0]
    assert Path(saved).parent == private_tmp / f"passaparola-{os.getuid()}" / "uploads"
    assert stat.S_IMODE(Path(saved).stat().st_mode) == 0o600 and stat.S_IMODE(Path(saved).parent.stat().st_mode) == 0o700
    next(c for c in at.checkbox if c.label == "Load it again anyway").check().run()
    next(b for b in at.button if b.label == "Load").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert datasets_in(db) == [(1, "small", 80, 2)]  # confirmed: appended as wave 2
    assert not Path(saved).exists()  # kept only until it was loaded
    assert at.file_uploader[0].value is None  # the uploader is back, empty, for the next file
    assert any(s.value.startswith("Loaded **small**: 40 responses accepted") for s in at.success)


def test_the_append_picker_tells_datasets_of_one_name_apart(at: AppTest, db: Path) -> None:
    con = store.connect(db)
    try:
        ingest.ingest_file(con, db.parent / "small.csv", name="small", allow_duplicate=True)
    finally:
        con.close()
    at.run()
    at.file_uploader[0].upload("other.csv", small_bytes(db).replace(b"reason", b"motive"), "text/csv").run()
    at.radio(key="save_mode").set_value("A new wave of an existing dataset").run()
    picker = at.selectbox(key="append_to")
    labels = list(picker.options)  # as shown
    assert [label.split(" · loaded ")[0] for label in labels] == ["small · #2 · 40 responses", "small · #1 · 40 responses"]
    assert all(" · loaded " in label for label in labels)


def test_choosing_another_file_deletes_the_copy_of_the_first(at: AppTest, private_tmp: Path) -> None:
    at.file_uploader[0].upload("once.csv", french_bytes(), "text/csv").run()
    saved = at.session_state["_upload_saved"][0]
    assert Path(saved).exists()
    at.run()  # a rerun keeps the same copy (nothing written again)
    assert at.session_state["_upload_saved"][0] == saved
    assert not at.file_uploader  # the file is shown by name instead of the uploader
    assert "**Survey export:** once\\.csv (1.4 KB)" in [m.value for m in at.markdown]  # markdown-escaped
    next(b for b in at.button if b.label == "Choose another file").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not Path(saved).exists()
    assert list(Path(saved).parent.iterdir()) == []
    assert at.file_uploader[0].value is None


def test_an_upload_is_streamed_to_disk_once_and_dropped_from_streamlits_memory(
    at: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 9: three 445 MB uploads at once held 4.6 GB after their sessions ended."""
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    from nps.ingest import tempfiles

    saves: list[str] = []
    dropped: list[str] = []
    real_save, real_remove = tempfiles.save_upload, MemoryUploadedFileManager.remove_file

    def save(stream: object, **kwargs: str) -> tuple[Path, str]:
        saves.append(kwargs["suffix"])
        return real_save(stream, **kwargs)  # type: ignore[arg-type]

    def remove(self: MemoryUploadedFileManager, session_id: str, file_id: str) -> None:
        dropped.append(file_id)
        real_remove(self, session_id, file_id)

    monkeypatch.setattr(tempfiles, "save_upload", save)
    monkeypatch.setattr(MemoryUploadedFileManager, "remove_file", remove)
    at.file_uploader[0].upload("Magasins.CSV", french_bytes(), "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    file_id = at.file_uploader[0].value.file_id
    at.run()
    at.run()
    assert saves == [".csv"]  # written once, not on every rerun
    assert dropped == [file_id]  # Streamlit's copy let go of in the run that received it
    assert any("encoding cp1252" in m.value for m in at.markdown)  # the page goes on with the disk copy


def _trail(db: Path) -> list[tuple[str, str, str | None]]:
    from nps.store import audit

    con = store.connect(db)
    try:
        return [(e.actor, e.action, e.target) for e in reversed(audit.audit_entries(con))]
    finally:
        con.close()


def _names(db: Path) -> list[str]:
    con = store.connect(db)
    try:
        return [d.name for d in store.list_datasets(con)]
    finally:
        con.close()


def test_deleting_a_dataset_asks_first_and_cancelling_keeps_it(at: AppTest, db: Path) -> None:
    """Issue 11: the first Delete only asks, naming the dataset and its rows; Cancel deletes nothing."""
    assert not [b for b in at.button if b.key == "delete_1"]  # nothing deletes on one click
    at.button(key="ask_delete_1").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [w.value for w in at.warning] == [
        "Delete **small** (dataset 1) and its 40 responses, 0 rejected rows and 1 wave(s)? This cannot be undone."]
    assert at.button(key="delete_1").label == "Delete small"
    at.button(key="cancel_delete_1").click().run()
    assert not at.warning and not [b for b in at.button if b.key == "delete_1"]
    at.run()
    assert _names(db) == ["small"]
    assert _trail(db) == [("local user", "dataset loaded", "dataset #1")]


def test_confirming_the_delete_removes_the_dataset_and_records_who(at: AppTest, db: Path) -> None:
    at.button(key="ask_delete_1").click().run()
    at.button(key="delete_1").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _names(db) == []
    assert _trail(db) == [("local user", "dataset loaded", "dataset #1"),
                          ("local user", "dataset deleted", "dataset #1")]
    assert any(i.value == "No dataset yet." for i in at.info)


def items_bytes() -> bytes:
    rows = ["score,date,rating_speed,rating_staff,ticket_count"]
    rows += [f"{i % 11},2024-03-{i % 28 + 1:02d},{i % 5 + 1},{(i * 3) % 5 + 1},{i % 7 + 1}" for i in range(60)]
    return "\n".join(rows).encode()


def test_the_item_ratings_found_can_be_changed_before_loading(at: AppTest, db: Path) -> None:
    at.file_uploader[0].upload("items.csv", items_bytes(), "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="map_items").value == ["rating_speed", "rating_staff"]
    at.multiselect(key="map_items").set_value(["rating_speed"]).run()
    info = next(d.value for d in at.dataframe if "why" in d.value.columns).set_index("column")
    assert info.loc["rating_speed", "why"] == "chosen by you as an item rating"
    assert info.loc["rating_staff", "role"] == ""
    next(b for b in at.button if b.label == "Load").click().run()
    assert not at.exception, [e.value for e in at.exception]
    con = store.connect(db)
    try:
        loaded = [d for d in store.list_datasets(con) if d.name != "small"]
    finally:
        con.close()
    assert [d.mapping.items for d in loaded] == [("rating_speed",)]


def test_a_datasets_item_ratings_can_be_corrected(at: AppTest, db: Path) -> None:
    assert at.multiselect(key="remap_items_1").value == []
    at.multiselect(key="remap_items_1").set_value(["segment"])  # still a dimension too: said, nothing changed
    next(b for b in at.button if b.label == "Apply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [shown(e.value) for e in at.error] == [
        "'segment' cannot be both a dimension and an item rating: remove it from one of the two lists."]
    at.multiselect(key="remap_dims_1").set_value([])
    at.multiselect(key="remap_items_1").set_value(["segment"])
    next(b for b in at.button if b.label == "Apply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    con = store.connect(db)
    try:
        mapping = store.get_dataset(con, 1).mapping
    finally:
        con.close()
    assert (mapping.items, mapping.dimensions) == (("segment",), ())
    assert mapping.reasons["segment"] == "chosen by you as an item rating"
