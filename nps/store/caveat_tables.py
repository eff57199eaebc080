"""A dataset's caveat tables: the population's shares and the invitations sent, kept so that every reader of the
dataset, its review packs and the scheduled sending check the response rate and the sample's make-up with them.

The store keeps each table as the CSV text it was given (one per dataset and kind, :data:`KINDS`), with its file
name, who saved it and when; the caller checks the text first (:mod:`nps.caveats.tables`) and
:func:`nps.query.caveats.stored_tables` reads it back. Saving and removing are audited
(``caveat table saved`` / ``caveat table removed``). A deleted dataset's tables go with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from nps.store import audit, sql
from nps.store.transactions import transaction

POPULATION, INVITATIONS = "population", "invitations"
KINDS: tuple[str, ...] = (POPULATION, INVITATIONS)


@dataclass(frozen=True)
class StoredTable:
    """One kept table: its dataset, kind, file name, CSV text, and who saved it when."""

    dataset_id: int
    kind: str
    name: str
    content: str
    saved_at: dt.datetime
    saved_by: str

    def describe(self) -> dict[str, object]:
        """The table as the audit trail records it (its size, not its text)."""
        return {"kind": self.kind, "name": self.name, "bytes": len(self.content.encode("utf-8")),
                "saved_at": self.saved_at.isoformat(timespec="seconds"), "saved_by": self.saved_by}


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"a caveat table is one of {', '.join(KINDS)}, not {kind!r}")


def stored_tables(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> dict[str, StoredTable]:
    """The dataset's kept tables by kind (none kept: an empty dict)."""
    rows = sql.fetch_all(cur, "SELECT dataset_id, kind, name, content, saved_at, saved_by FROM caveat_tables "
                              "WHERE dataset_id = ? ORDER BY kind", [int(dataset_id)])
    return {str(r[1]): StoredTable(int(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4], str(r[5])) for r in rows}


def save_table(cur: duckdb.DuckDBPyConnection, dataset_id: int, kind: str, *, name: str, content: str, actor: str,
               now: dt.datetime | None = None) -> StoredTable:
    """Keep ``content`` (checked CSV text) as the dataset's ``kind`` table, replacing the one kept before; audited."""
    _check_kind(kind)
    made = StoredTable(int(dataset_id), kind, str(name), str(content),
                       (now or dt.datetime.now()).replace(microsecond=0), actor)
    with transaction(cur):
        before = stored_tables(cur, dataset_id).get(kind)
        sql.execute(cur, "DELETE FROM caveat_tables WHERE dataset_id = ? AND kind = ?", [made.dataset_id, kind])
        sql.execute(cur, "INSERT INTO caveat_tables VALUES (?, ?, ?, ?, ?, ?)",
                    [made.dataset_id, kind, made.name, made.content, made.saved_at, actor])
        audit.record(cur, actor, "caveat table saved", f"dataset #{made.dataset_id}",
                     before.describe() if before else None, made.describe())
    return made


def remove_table(cur: duckdb.DuckDBPyConnection, dataset_id: int, kind: str, *, actor: str) -> bool:
    """Forget the dataset's ``kind`` table; False when none was kept. Audited."""
    _check_kind(kind)
    with transaction(cur):
        before = stored_tables(cur, dataset_id).get(kind)
        if before is None:
            return False
        sql.execute(cur, "DELETE FROM caveat_tables WHERE dataset_id = ? AND kind = ?", [int(dataset_id), kind])
        audit.record(cur, actor, "caveat table removed", f"dataset #{int(dataset_id)}", before.describe(), None)
    return True
