"""Several people on one server: a wave being appended is never seen half-loaded."""

from __future__ import annotations

import threading
from pathlib import Path

from nps import sql, store
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
