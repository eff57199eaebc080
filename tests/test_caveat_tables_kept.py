"""A dataset's kept caveat tables (migration 13, nps.store.caveat_tables): saved, replaced and forgotten with the
audit trail, read back and checked again, used by the packs and the command line, kept and forgotten on the
Overview's panel by an editor."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from nps import store
from nps.query.caveats import stored_tables
from nps.report.assemble import make_pack
from nps.store import audit, caveat_tables
from tests.test_hostile_pages import shown
from tests.test_report_build import NOW, _gaming, _request

POPULATION = "column,value,share\nsurvey_type,relationship,50%\nsurvey_type,transactional,50%\n"


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = store.connect(tmp_path / "kept.duckdb")
    yield connection
    connection.close()


def test_a_table_is_kept_replaced_and_forgotten_with_the_audit_trail(con: duckdb.DuckDBPyConnection) -> None:
    ds = _gaming(con)
    made = caveat_tables.save_table(con, ds.id, "population", name="pop.csv", content=POPULATION, actor="ann",
                                    now=dt.datetime(2026, 8, 1, 9, 30, 15, 123))
    assert (made.name, made.saved_by, made.saved_at) == ("pop.csv", "ann", dt.datetime(2026, 8, 1, 9, 30, 15))
    caveat_tables.save_table(con, ds.id, "population", name="pop2.csv", content=POPULATION, actor="bob")
    assert [t.name for t in caveat_tables.stored_tables(con, ds.id).values()] == ["pop2.csv"]
    assert caveat_tables.remove_table(con, ds.id, "population", actor="bob") is True
    assert caveat_tables.remove_table(con, ds.id, "population", actor="bob") is False
    assert caveat_tables.stored_tables(con, ds.id) == {}
    entries = [e for e in audit.audit_entries(con) if e.action.startswith("caveat table")]
    assert sorted((e.action, e.actor) for e in entries) == [("caveat table removed", "bob"),
                                                            ("caveat table saved", "ann"), ("caveat table saved", "bob")]
    with pytest.raises(ValueError, match="one of population, invitations, not 'weights'"):
        caveat_tables.save_table(con, ds.id, "weights", name="w.csv", content="x", actor="ann")


def test_kept_tables_are_read_back_and_a_broken_one_is_named(con: duckdb.DuckDBPyConnection) -> None:
    ds = _gaming(con)
    caveat_tables.save_table(con, ds.id, "population", name="pop.csv", content=POPULATION, actor="ann",
                             now=dt.datetime(2026, 8, 1))
    caveat_tables.save_table(con, ds.id, "invitations", name="inv.csv", content="invitations\nmany\n", actor="ann",
                             now=dt.datetime(2026, 8, 1))
    kept = stored_tables(con, ds)
    assert kept.population is not None and kept.population["share"].tolist() == [50.0, 50.0]
    assert kept.invitations is None
    assert kept.notes == ("population table pop.csv (kept by ann, 2026-08-01)",
                          "the kept invitations table is not used: inv.csv, row 2, column 'invitations': 'many' is "
                          "not a count of invitations")


def test_a_deleted_dataset_takes_its_tables_with_it(con: duckdb.DuckDBPyConnection) -> None:
    ds = _gaming(con)
    caveat_tables.save_table(con, ds.id, "population", name="pop.csv", content=POPULATION, actor="ann")
    store.delete_dataset(con, ds.id)
    assert caveat_tables.stored_tables(con, ds.id) == {}


def test_a_pack_uses_the_kept_tables_unless_given_others(con: duckdb.DuckDBPyConnection) -> None:
    ds = _gaming(con)
    request = _request(compare_flt=None)
    assert "composition" not in [c.kind for c in make_pack(con, ds, request, now=NOW).caveats]
    caveat_tables.save_table(con, ds.id, "population", name="pop.csv", content=POPULATION, actor="ann")
    caveat_tables.save_table(con, ds.id, "invitations", name="inv.csv", content="invitations\n1000\n", actor="ann")
    pack = make_pack(con, ds, request, now=NOW)
    assert {"composition", "response_rate"} <= {c.kind for c in pack.caveats}
    assert "response rate" in pack.checked
    assert next(c for c in pack.caveats if c.kind == "response_rate").sentence.startswith(
        "Only 18% of those invited answered (176 of 1,000).")


def test_the_caveats_command_uses_the_kept_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nps.cli import main

    db = tmp_path / "cli.duckdb"
    con = store.connect(db)
    try:
        ds = _gaming(con)
        caveat_tables.save_table(con, ds.id, "invitations", name="inv.csv", content="invitations\n1000\n", actor="ann")
    finally:
        con.close()
    assert main(["caveats", "gamed", "--db", str(db), "--since", "2026-07-01",
                 "--format", "json"]) == 0
    kinds = [c["kind"] for c in json.loads(capsys.readouterr().out)["caveats"]]
    assert "response_rate" in kinds


def test_an_editor_keeps_the_uploaded_tables_and_a_new_session_uses_them(at: AppTest, db: Path) -> None:
    at.file_uploader(key="trust_population").upload(
        "population.csv", b"column,value,share\nsegment,B2B,45%\nsegment,B2C,45%\nsegment,Partners & investors,10%\n",
        "text/csv").run()
    keep = next(b for b in at.button if b.label == "Keep the uploaded tables for this dataset")
    keep.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [shown(s.value) for s in at.success] == [
        "Kept for this dataset: population (population.csv). Its review packs and every reader now use them."]
    con = store.connect(db)
    try:
        (kept,) = caveat_tables.stored_tables(con, 1).values()
        assert (kept.kind, kept.name, kept.saved_by) == ("population", "population.csv", "local user")
    finally:
        con.close()
    fresh = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    fresh.run()
    (panel,) = [e for e in fresh.expander if e.label.startswith("How far to trust this")]
    captions = [shown(c.value) for c in panel.caption]
    assert any(c.startswith("Kept for this dataset: population table population.csv (kept by local user, ") for c in captions)
    assert any("sample vs population and the weighted NPS" in c for c in captions)
    next(b for b in fresh.button if b.label == "Forget the kept tables").click().run()
    assert [shown(s.value) for s in fresh.success] == ["Forgotten: the kept population table."]
    con = store.connect(db)
    try:
        assert caveat_tables.stored_tables(con, 1) == {}
    finally:
        con.close()
