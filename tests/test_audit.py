"""The audit trail covers every write (issue 11): loads, appends, remaps, codebook versions, renames, deletes.

Each audited write is checked literally (actor, action, target, before, after), and a write that fails —
even after its entry was written — leaves no entry and no change, since both share one transaction.
The ``audit`` and ``datasets rename|delete`` commands are checked in their formats.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as hst

from nps import cli, ingest, store
from nps.cli import source as cli_source
from nps.errors import IngestError
from nps.store import audit, codebooks
from nps.store.transactions import transaction
from nps.text import Codebook

HOSTILE = "=cmd|' /C calc'!A0"


def survey(n: int = 20, start: int = 0) -> pd.DataFrame:
    """q1 is taken for the score; q2 (blank every 5th row) is the other candidate; segment a dimension."""
    return pd.DataFrame({
        "id": [f"R{i}" for i in range(start, start + n)],
        "q1": [i % 11 for i in range(start, start + n)],
        "q2": ["" if i % 5 == 0 else str((i * 7) % 11) for i in range(start, start + n)],
        "why": [f"because of reason number {i}" for i in range(start, start + n)],
        "segment": [["B2B", "B2C"][i % 2] for i in range(start, start + n)],
    })


def write(path: Path, frame: pd.DataFrame) -> str:
    """Write ``frame`` as CSV at ``path``; its sha256."""
    frame.to_csv(path, index=False)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def trail(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """The trail oldest first, as (actor, action, target, before, after)."""
    return [(e.actor, e.action, e.target, e.before, e.after) for e in reversed(audit.audit_entries(con))]


def count(con: duckdb.DuckDBPyConnection, statement: str) -> int:
    return int(con.execute(statement).fetchone()[0])


@pytest.fixture
def failing_after_record(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Make the next audit entry be written and then the write fail (a crash after the record, before COMMIT)."""

    def arm() -> None:
        real = audit.record

        def record_then_fail(*args: Any, **kwargs: Any) -> None:
            real(*args, **kwargs)
            raise RuntimeError("power cut after the audit entry")

        monkeypatch.setattr(audit, "record", record_then_fail)

    return arm


# --- loads and appends -------------------------------------------------------------------------------


def test_a_new_dataset_is_recorded_with_its_file_hash_and_counts(con, tmp_path: Path) -> None:
    path = tmp_path / "march.csv"
    digest = write(path, survey())
    report = ingest.ingest_file(con, path, name="March", overrides=ingest.Overrides(score="q1"),
                                actor="anna@example.com")
    ds = report.dataset
    assert trail(con) == [
        ("anna@example.com", "dataset loaded", f"dataset #{ds.id}", None,
         {"name": "March", "id": ds.id, "source_file": "march.csv", "sha256": digest, "rows_read": 20,
          "accepted": 20, "rejected": 0, "kind": "customer"}),
    ]


def test_a_load_without_an_actor_is_the_local_user_s_and_counts_rejected_rows(con, tmp_path: Path) -> None:
    path = tmp_path / "april.csv"
    digest = write(path, survey())
    ds = ingest.ingest_file(con, path, overrides=ingest.Overrides(score="q2")).dataset
    assert trail(con) == [
        ("local user", "dataset loaded", f"dataset #{ds.id}", None,
         {"name": "april", "id": ds.id, "source_file": "april.csv", "sha256": digest, "rows_read": 20,
          "accepted": 16, "rejected": 4, "kind": "customer"}),
    ]


def test_an_appended_wave_is_recorded_with_the_totals_before_and_after(con, tmp_path: Path) -> None:
    first, second = tmp_path / "wave1.csv", tmp_path / "wave2.csv"
    write(first, survey())
    digest = write(second, survey(10, start=20))
    ds = ingest.ingest_file(con, first, overrides=ingest.Overrides(score="q1")).dataset
    ingest.ingest_file(con, second, append_to=ds.id, actor="cli:anna")
    assert trail(con)[1] == (
        "cli:anna", "wave appended", f"dataset #{ds.id}",
        {"waves": 1, "rows_read": 20, "accepted": 20, "rejected": 0},
        {"waves": 2, "rows_read": 30, "accepted": 30, "rejected": 0, "file": "wave2.csv", "sha256": digest,
         "wave_rows_read": 10, "wave_accepted": 10, "wave_rejected": 0},
    )
    assert len(trail(con)) == 2


def test_a_data_frame_load_is_recorded_without_a_file(con) -> None:
    ds = ingest.ingest_dataframe(con, survey(), name="generated", overrides=ingest.Overrides(score="q1"),
                                 kind="employee", actor="boss@example.com").dataset
    assert trail(con) == [
        ("boss@example.com", "dataset loaded", f"dataset #{ds.id}", None,
         {"name": "generated", "id": ds.id, "source_file": None, "sha256": None, "rows_read": 20,
          "accepted": 20, "rejected": 0, "kind": "employee"}),
    ]


def test_a_load_that_fails_leaves_no_entry(con, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("q1,why\n", encoding="utf-8")
    with pytest.raises(IngestError):
        ingest.ingest_file(con, path, actor="anna@example.com")
    assert trail(con) == [] and store.list_datasets(con) == []


def test_a_load_that_fails_after_its_entry_leaves_neither_entry_nor_dataset(
        con, tmp_path: Path, failing_after_record) -> None:
    path = tmp_path / "march.csv"
    write(path, survey())
    failing_after_record()
    with pytest.raises(IngestError, match="power cut after the audit entry"):
        ingest.ingest_file(con, path, overrides=ingest.Overrides(score="q1"), actor="anna@example.com")
    assert store.list_datasets(con) == []
    assert count(con, "SELECT count(*) FROM audit_log") == 0
    assert count(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'responses_%'") == 0


def test_an_append_that_fails_after_its_entry_changes_nothing(con, tmp_path: Path, failing_after_record) -> None:
    first, second = tmp_path / "wave1.csv", tmp_path / "wave2.csv"
    write(first, survey())
    write(second, survey(10, start=20))
    ds = ingest.ingest_file(con, first, overrides=ingest.Overrides(score="q1")).dataset
    failing_after_record()
    with pytest.raises(IngestError, match="power cut"):
        ingest.ingest_file(con, second, append_to=ds.id, actor="cli:anna")
    after = store.get_dataset(con, ds.id)
    assert (after.waves, after.accepted) == (1, 20)
    assert count(con, f"SELECT count(*) FROM responses_{ds.id}") == 20
    assert [e.action for e in audit.audit_entries(con)] == ["dataset loaded"]


# --- remap -------------------------------------------------------------------------------------------


@pytest.fixture
def loaded(con, tmp_path: Path) -> store.Dataset:
    path = tmp_path / "survey.csv"
    write(path, survey())
    return ingest.ingest_file(con, path, overrides=ingest.Overrides(score="q1", dimensions=("segment",))).dataset


def test_a_remap_is_recorded_with_the_roles_before_and_after(con, loaded: store.Dataset) -> None:
    assert (loaded.mapping.score, loaded.mapping.comment, loaded.mapping.respondent) == ("q1", "why", None)
    wanted = replace(loaded.mapping, score="q2", respondent="id")
    ingest.remap_dataset(con, loaded.id, wanted, actor="editor@example.com")
    roles = {"date": None, "comment": "why", "weight": None, "dimensions": ["segment"], "survey_type": None,
             "date_order": None}
    assert trail(con)[1:] == [
        ("editor@example.com", "dataset remapped", f"dataset #{loaded.id}",
         {"score": "q1", "respondent": None, **roles, "accepted": 20, "rejected": 0},
         {"score": "q2", "respondent": "id", **roles, "accepted": 16, "rejected": 4}),
    ]


def test_a_remap_that_changes_nothing_writes_no_entry(con, loaded: store.Dataset) -> None:
    ingest.remap_dataset(con, loaded.id, loaded.mapping, actor="editor@example.com")
    assert [e.action for e in audit.audit_entries(con)] == ["dataset loaded"]


def test_a_refused_remap_and_a_remap_failing_after_its_entry_leave_no_entry(
        con, loaded: store.Dataset, failing_after_record) -> None:
    with pytest.raises(IngestError):
        ingest.remap_dataset(con, loaded.id, replace(loaded.mapping, score="why"), actor="editor@example.com")
    failing_after_record()
    with pytest.raises(RuntimeError, match="power cut"):
        ingest.remap_dataset(con, loaded.id, replace(loaded.mapping, score="q2"), actor="editor@example.com")
    assert store.get_dataset(con, loaded.id).mapping.score == "q1"
    assert count(con, f"SELECT count(*) FROM responses_{loaded.id}") == 20
    assert count(con, "SELECT count(*) FROM dataset_history") == 0
    assert [e.action for e in audit.audit_entries(con)] == ["dataset loaded"]


# --- codebooks ---------------------------------------------------------------------------------------


def test_codebook_versions_are_recorded_with_the_previous_number(con) -> None:
    current = codebooks.current_codebook(con)
    fewer = Codebook.build({name: words for name, words in list(current.themes.items())[:3]})
    assert codebooks.save_codebook(con, fewer, " three themes ", actor="editor@example.com") == 2
    assert codebooks.save_codebook(con, fewer, "the same again", actor="editor@example.com") == 2  # no entry
    assert codebooks.save_codebook(con, current, "back to the default") == 3
    assert trail(con) == [
        ("editor@example.com", "codebook saved", "codebook #2", {"number": 1},
         {"number": 2, "version": fewer.version, "note": "three themes", "themes": 3}),
        ("local user", "codebook saved", "codebook #3", {"number": 2},
         {"number": 3, "version": current.version, "note": "back to the default", "themes": len(current.themes)}),
    ]


def test_saving_the_default_on_a_new_database_writes_no_entry(con) -> None:
    assert codebooks.save_codebook(con, codebooks.current_codebook(con), "unchanged") == 1
    assert trail(con) == [] and codebooks.current_number(con) == 1


def test_a_codebook_save_that_raises_leaves_no_version_and_no_entry(con, failing_after_record) -> None:
    current = codebooks.current_codebook(con)
    fewer = Codebook.build({name: words for name, words in list(current.themes.items())[:2]})
    failing_after_record()
    with pytest.raises(RuntimeError, match="power cut"):
        codebooks.save_codebook(con, fewer, "two themes", actor="editor@example.com")
    assert count(con, "SELECT count(*) FROM codebooks") == 0  # not even the default it stores first
    assert count(con, "SELECT count(*) FROM audit_log") == 0
    assert codebooks.current_codebook(con).version == current.version


def test_codebooks_saved_at_once_each_get_a_number_and_one_entry(tmp_path: Path) -> None:
    import threading

    con = store.connect(tmp_path / "books.duckdb")
    try:
        themes = list(codebooks.current_codebook(con).themes.items())
        books = [Codebook.build(dict(themes[:i + 1])) for i in range(4)]
        failures: list[BaseException] = []

        def save(i: int) -> None:
            cur = con.cursor()
            try:
                codebooks.save_codebook(cur, books[i], f"book {i}", actor=f"editor{i}@example.com")
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)
            finally:
                cur.close()

        threads = [threading.Thread(target=save, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        saved = con.execute("SELECT number, note FROM codebooks ORDER BY number").fetchall()
        entries = list(reversed(audit.audit_entries(con)))
    finally:
        con.close()
    assert [n for n, _ in saved] == [1, 2, 3, 4, 5] and sorted(note for _, note in saved[1:]) == [
        "book 0", "book 1", "book 2", "book 3"]
    assert [(e.target, e.before, e.after["number"]) for e in entries] == [
        ("codebook #2", {"number": 1}, 2), ("codebook #3", {"number": 2}, 3),
        ("codebook #4", {"number": 3}, 4), ("codebook #5", {"number": 4}, 5)]
    assert {e.actor: e.after["note"] for e in entries} == {f"editor{i}@example.com": f"book {i}" for i in range(4)}


# --- renames, deletes, targets: the same rule --------------------------------------------------------


@pytest.mark.parametrize("change", ["rename", "delete", "targets"])
def test_a_rename_delete_or_targets_change_failing_after_its_entry_changes_nothing(
        con, loaded: store.Dataset, failing_after_record, change: str) -> None:
    from nps.store import targets

    failing_after_record()
    with pytest.raises(RuntimeError, match="power cut"):
        if change == "rename":
            store.rename_dataset(con, loaded.id, "renamed", actor="a@example.com")
        elif change == "delete":
            store.delete_dataset(con, loaded.id, actor="a@example.com")
        else:
            targets.save_targets(con, loaded.id, "segment", {"B2B": 30.0}, actor="a@example.com")
    ds = store.get_dataset(con, loaded.id)
    assert ds.name == loaded.name and targets.load_targets(con, loaded.id, "segment") == {}
    assert [e.action for e in audit.audit_entries(con)] == ["dataset loaded"]


# --- reading the trail -------------------------------------------------------------------------------


@pytest.fixture
def recorded(con) -> duckdb.DuckDBPyConnection:
    """Four entries: two actors, three actions, the first dated 2024-01-31 23:59, the rest today."""
    with transaction(con):
        audit.record(con, "anna@example.com", "dataset renamed", "dataset #1", {"name": "a"}, {"name": "b"})
        audit.record(con, "cli:root", "dataset deleted", "dataset #1", {"name": "b"}, None)
        audit.record(con, "anna@example.com", "targets changed", "dataset #2 · region", {}, {"North": 10.0})
        audit.record(con, "anna@example.com", "dataset renamed", "dataset #2", {"name": "c"}, {"name": "d"})
    con.execute("UPDATE audit_log SET happened_at = TIMESTAMP '2024-01-31 23:59:00' WHERE id = 1")
    return con


def ids(entries: list[audit.AuditEntry]) -> list[int]:
    return [e.id for e in entries]


def test_the_trail_is_read_newest_first_and_filtered(recorded) -> None:
    assert ids(audit.audit_entries(recorded)) == [4, 3, 2, 1]
    assert ids(audit.audit_entries(recorded, limit=2)) == [4, 3]
    assert ids(audit.audit_entries(recorded, limit=0)) == []
    assert ids(audit.audit_entries(recorded, actor="anna@example.com")) == [4, 3, 1]
    assert ids(audit.audit_entries(recorded, action="DATASET RENAMED")) == [4, 1]
    assert ids(audit.audit_entries(recorded, since=dt.date(2024, 2, 1))) == [4, 3, 2]
    assert ids(audit.audit_entries(recorded, since=dt.date(2024, 1, 31))) == [4, 3, 2, 1]
    assert ids(audit.audit_entries(recorded, actor="anna@example.com", action="dataset renamed", limit=1)) == [4]
    assert audit.actions(recorded) == ["dataset deleted", "dataset renamed", "targets changed"]


def test_filters_are_values_not_sql(recorded) -> None:
    assert audit.audit_entries(recorded, actor="x' OR '1'='1") == []
    assert audit.audit_entries(recorded, action="%") == []
    with pytest.raises(ValueError, match="limit must be 0 or more"):
        audit.audit_entries(recorded, limit=-1)


ACTORS = ("anna@example.com", "cli:root", "x' OR '1'='1", HOSTILE)
ACTIONS = ("dataset renamed", "Dataset Deleted", "codebook saved")


@given(entries=hst.lists(hst.tuples(hst.sampled_from(ACTORS), hst.sampled_from(ACTIONS), hst.integers(0, 5)),
                         max_size=8),
       actor=hst.none() | hst.sampled_from(ACTORS), action=hst.none() | hst.sampled_from([*ACTIONS, "DATASET RENAMED"]),
       since=hst.none() | hst.integers(0, 6), limit=hst.none() | hst.integers(0, 9))
def test_a_filtered_read_is_the_whole_trail_filtered(entries, actor, action, since, limit) -> None:
    """Whatever the filters, the reader returns the whole trail (newest first) filtered in Python."""
    day = dt.date(2024, 3, 1)
    con = store.connect(":memory:")
    try:
        with transaction(con):
            for who, what, _ in entries:
                audit.record(con, who, what, "dataset #1")
        for i, (_, _, days) in enumerate(entries, start=1):
            con.execute("UPDATE audit_log SET happened_at = ? WHERE id = ?",
                        [dt.datetime.combine(day + dt.timedelta(days=days), dt.time(12)), i])
        first = None if since is None else day + dt.timedelta(days=since)
        everything = audit.audit_entries(con)
        expected = [e for e in everything
                    if (actor is None or e.actor == actor) and (action is None or e.action.lower() == action.lower())
                    and (first is None or e.at.date() >= first)][:limit]
        assert audit.audit_entries(con, actor=actor, action=action, since=first, limit=limit) == expected
        assert ids(everything) == list(range(len(entries), 0, -1))
    finally:
        con.close()


# --- the command line --------------------------------------------------------------------------------


@pytest.fixture
def as_anna(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_source.getpass, "getuser", lambda: "anna")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    """A database with one dataset (id 1, 'March', 20 responses) loaded by 'local user'."""
    path = tmp_path / "cli.duckdb"
    csv_path = tmp_path / "march.csv"
    write(csv_path, survey())
    con = store.connect(path)
    try:
        ingest.ingest_file(con, csv_path, name="March", overrides=ingest.Overrides(score="q1"))
    finally:
        con.close()
    yield path


def read_trail(path: Path) -> list[tuple[Any, ...]]:
    con = store.connect(path)
    try:
        return trail(con)
    finally:
        con.close()


def test_cli_writes_are_recorded_as_the_local_account(tmp_path: Path, db: Path, as_anna, capsys) -> None:
    wave = tmp_path / "april.csv"
    digest = write(wave, survey(5, start=20))
    assert cli.main(["ingest", str(wave), "--append-to", "March", "--db", str(db)]) == 0
    assert cli.main(["datasets", "rename", "March", "Q1", "--db", str(db)]) == 0
    assert cli.main(["datasets", "--db", str(db), "delete", "1", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "dataset 1: March is now Q1\n" in out
    assert out.endswith("deleted dataset 1 ('Q1': 25 responses, 0 rejected rows, 2 wave(s))\n")
    assert read_trail(db)[1:] == [
        ("cli:anna", "wave appended", "dataset #1", {"waves": 1, "rows_read": 20, "accepted": 20, "rejected": 0},
         {"waves": 2, "rows_read": 25, "accepted": 25, "rejected": 0, "file": "april.csv", "sha256": digest,
          "wave_rows_read": 5, "wave_accepted": 5, "wave_rejected": 0}),
        ("cli:anna", "dataset renamed", "dataset #1", {"name": "March"}, {"name": "Q1"}),
        ("cli:anna", "dataset deleted", "dataset #1",
         {"name": "Q1", "responses": 25, "rejected": 0, "waves": 2, "source_file": "march.csv"}, None),
    ]


def test_cli_delete_without_yes_deletes_nothing(db: Path, as_anna, capsys) -> None:
    assert cli.main(["datasets", "delete", "March", "--db", str(db)]) == 2
    assert capsys.readouterr().err == ("error: deleting dataset 1 ('March': 20 responses, 0 rejected rows, 1 wave(s)) "
                                       "cannot be undone; nothing was deleted: add --yes to delete it\n")
    assert cli.main(["datasets", "rename", "1", "  ", "--db", str(db)]) == 2
    assert capsys.readouterr().err == "error: a dataset needs a name: give a new name that is not blank\n"
    assert cli.main(["datasets", "--read-only", "--db", str(db), "delete", "1", "--yes"]) == 2
    assert capsys.readouterr().err == "error: datasets delete writes the database: leave out --read-only\n"
    con = store.connect(db)
    try:
        assert [d.name for d in store.list_datasets(con)] == ["March"]
    finally:
        con.close()
    assert [a for _, a, *_ in read_trail(db)] == ["dataset loaded"]


def test_cli_sample_is_recorded_as_the_local_account(tmp_path: Path, as_anna, capsys) -> None:
    db = tmp_path / "sample.duckdb"
    assert cli.main(["sample", "--db", str(db)]) == 0
    assert [(actor, action, after["name"]) for actor, action, _, _, after in read_trail(db)] == [
        ("cli:anna", "dataset loaded", "Sample: customer survey"),
        ("cli:anna", "dataset loaded", "Sample: employee survey (eNPS)"),
    ]


@pytest.fixture
def hostile_db(db: Path) -> Path:
    """The loaded dataset, renamed by a hostile actor to a hostile name, and an entry with a hostile target."""
    con = store.connect(db)
    try:
        store.rename_dataset(con, 1, "@SUM(A1)", actor=HOSTILE)
        with transaction(con):
            audit.record(con, "+cmd", "targets changed", "-2+3 · region", {}, {"North": 10.0})
    finally:
        con.close()
    return db


def test_cli_audit_as_json(hostile_db: Path, capsys) -> None:
    assert cli.main(["audit", "--db", str(hostile_db), "--format", "json", "--action", "dataset renamed"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [{k: v for k, v in e.items() if k != "at"} for e in entries] == [
        {"id": 2, "actor": HOSTILE, "action": "dataset renamed", "target": "dataset #1",
         "before": {"name": "March"}, "after": {"name": "@SUM(A1)"}},
    ]
    assert dt.datetime.fromisoformat(entries[0]["at"]).date() == dt.date.today()
    assert cli.main(["audit", "--db", str(hostile_db), "--format", "json", "--limit", "1", "--read-only"]) == 0
    assert [e["id"] for e in json.loads(capsys.readouterr().out)] == [3]
    assert cli.main(["audit", "--db", str(hostile_db), "--format", "json", "--actor", "nobody"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_cli_audit_as_csv_neutralises_formulas(hostile_db: Path, capsys) -> None:
    assert cli.main(["audit", "--db", str(hostile_db), "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["id", "at", "actor", "action", "target", "before", "after"]
    assert [r[:1] + r[2:] for r in rows[1:]] == [
        ["3", "'+cmd", "targets changed", "'-2+3 · region", "{}", '{"North": 10.0}'],
        ["2", "'" + HOSTILE, "dataset renamed", "dataset #1", '{"name": "March"}', '{"name": "@SUM(A1)"}'],
        ["1", "local user", "dataset loaded", "dataset #1", "",
         rows[3][6]],
    ]
    assert json.loads(rows[3][6])["name"] == "March"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_cli_audit_as_a_table(hostile_db: Path, capsys) -> None:
    assert cli.main(["audit", "--db", str(hostile_db), "--since", "2000-01-01", "--action", "targets changed"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "when", "actor", "action", "target", "before", "after"]
    assert lines[1].startswith(" 3  ") or lines[1].startswith("3  ")
    assert lines[1].split()[3:] == ["+cmd", "targets", "changed", "-2+3", "·", "region", "{}", '{"North":', "10.0}"]
    assert len(lines) == 2
    assert cli.main(["audit", "--db", str(hostile_db), "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out == "no audit entries match these filters\n"


def test_cli_audit_refuses_a_bad_date_or_limit(hostile_db: Path, capsys) -> None:
    for bad in (["--since", "yesterday"], ["--limit", "-1"], ["--format", "xml"]):
        with pytest.raises(SystemExit) as stopped:
            cli.main(["audit", "--db", str(hostile_db), *bad])
        assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "'yesterday' is not a date; write it as YYYY-MM-DD" in err
    assert "'-1' is not a count; give 0 or more" in err
