"""Several people on one server: a wave being appended is never seen half-loaded."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from nps import store
from nps.store import sql
from nps.errors import IngestError
from nps.ingest import ingest_file
from tests.conftest import TELECOM


def test_an_append_is_seen_all_or_nothing(tmp_path: Path) -> None:
    con = store.connect(tmp_path / "waves.duckdb")
    first = ingest_file(con.cursor(), TELECOM, name="telecom").dataset
    wave = tmp_path / "wave2.csv"
    wave.write_bytes(TELECOM.read_bytes() + b"\n")  # same rows, another file (another sha256)
    seen: set[tuple[int, int]] = set()
    done = threading.Event()
    errors: list[BaseException] = []

    def append() -> None:
        try:
            ingest_file(con.cursor(), wave, append_to=first.id)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            done.set()

    writer = threading.Thread(target=append)
    reader = con.cursor()
    writer.start()
    while not done.is_set():
        # one statement, one snapshot: the table and the catalog must agree
        seen.add(sql.fetch_one(
            reader,
            f"SELECT (SELECT count(*) FROM {sql.table(first.table)}), (SELECT accepted FROM datasets WHERE id = ?)",
            [first.id],
        ))
    writer.join()
    assert errors == []
    seen.add(sql.fetch_one(
        reader, f"SELECT (SELECT count(*) FROM {sql.table(first.table)}), (SELECT accepted FROM datasets WHERE id = ?)",
        [first.id],
    ))
    assert seen <= {(2353, 2353), (4706, 4706)}
    assert (4706, 4706) in seen
    assert store.get_dataset(con, first.id).waves == 2
    con.close()


def write_survey(path: Path, shift: int, rows: int) -> Path:
    path.write_text("NPS,segment\n" + "".join(f"{(i + shift) % 11},B2B\n" for i in range(rows)), encoding="utf-8")
    return path


def test_two_appends_at_once_both_land(tmp_path: Path) -> None:
    """Issue 9: the second of two appends at once failed with "the file cannot be read" (a write conflict)."""
    con = store.connect(tmp_path / "two.duckdb")
    first = ingest_file(con.cursor(), write_survey(tmp_path / "w1.csv", 0, 20_000), name="waves").dataset
    files = [write_survey(tmp_path / f"w{k}.csv", k, 20_000) for k in (2, 3)]
    results: list[object] = []

    def append(path: Path) -> None:
        try:
            results.append(ingest_file(con.cursor(), path, append_to=first.id).wave)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            results.append(error)

    threads = [threading.Thread(target=append, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [2, 3]  # type: ignore[type-var]
    ds = store.get_dataset(con, first.id)
    assert (ds.waves, ds.accepted) == (3, 60_000)
    con.close()


def test_a_write_conflict_is_retried_once_then_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = store.connect(tmp_path / "conflict.duckdb")
    first = ingest_file(con.cursor(), write_survey(tmp_path / "w1.csv", 0, 50), name="waves").dataset
    real = store.update_counts
    conflicts = [1]

    def conflicting(*args: object, **kwargs: object) -> None:
        if conflicts[0] > 0:
            conflicts[0] -= 1
            raise duckdb.TransactionException("TransactionContext Error: Conflict on update!")
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "update_counts", conflicting)
    report = ingest_file(con.cursor(), write_survey(tmp_path / "w2.csv", 1, 50), append_to=first.id)
    assert (report.wave, report.dataset.accepted) == (2, 100)  # retried once, quietly
    conflicts[0] = 2
    with pytest.raises(IngestError) as caught:
        ingest_file(con.cursor(), write_survey(tmp_path / "w3.csv", 2, 50), append_to=first.id)
    assert str(caught.value) == (
        "w3.csv: another load wrote to dataset 1 at the same time, twice, so this one was not saved (nothing is "
        "wrong with the file); load it again")
    assert store.get_dataset(con, first.id).waves == 2
    con.close()
