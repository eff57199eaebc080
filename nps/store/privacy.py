"""The employee survey's anonymity thresholds, per dataset (table ``dataset_privacy``, migration 6).

An employee (eNPS) dataset shows no group of fewer than ``min_group`` respondents (default 5,
never below 3) and no comments of a set of fewer than ``min_comment_group`` (default 10, never
below ``min_group``); :mod:`nps.query.anonymity` applies them in every query. A dataset without a
row has the defaults. The catalog reads the thresholds with the dataset (``Dataset.privacy``), so a
query needs no read of its own. Changes are audited in their own transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from nps.errors import NpsError, UnknownDatasetError
from nps.store import audit, sql
from nps.store.transactions import transaction

# No threshold may go below this: a group of two can tell each other's answers apart.
FLOOR = 3
DEFAULT_MIN_GROUP = 5
DEFAULT_MIN_COMMENT_GROUP = 10


class PrivacyError(NpsError):
    """Anonymity thresholds that cannot be used; the message says which rule they break."""


@dataclass(frozen=True)
class Privacy:
    """An employee dataset's thresholds: the fewest respondents a shown group has, and a shown comment set has."""

    min_group: int = DEFAULT_MIN_GROUP
    min_comment_group: int = DEFAULT_MIN_COMMENT_GROUP

    def describe(self) -> dict[str, int]:
        """The thresholds as plain values (the audit trail's before/after, the command line's JSON)."""
        return {"min_group": self.min_group, "min_comment_group": self.min_comment_group}


def check_privacy(min_group: int, min_comment_group: int | None = None) -> Privacy:
    """The :class:`Privacy` of these thresholds (``min_comment_group`` defaults to max(10, min_group)).

    Raises :class:`PrivacyError` when ``min_group`` is below 3 or ``min_comment_group`` below ``min_group``.
    """
    if isinstance(min_group, bool) or int(min_group) != min_group or min_group < FLOOR:
        raise PrivacyError(f"the smallest group shown must be {FLOOR} respondents or more, not {min_group!r} "
                           "(employee survey anonymity)")
    comments = max(DEFAULT_MIN_COMMENT_GROUP, int(min_group)) if min_comment_group is None else min_comment_group
    if isinstance(comments, bool) or int(comments) != comments or comments < min_group:
        raise PrivacyError(f"the smallest group whose comments are shown ({comments!r}) must be at least the "
                           f"smallest group shown ({min_group})")
    return Privacy(int(min_group), int(comments))


def get_privacy(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> Privacy:
    """The thresholds of ``dataset_id`` (the defaults when none were set)."""
    row = sql.fetch_one(cur, "SELECT min_group, min_comment_group FROM dataset_privacy WHERE dataset_id = ?",
                        [int(dataset_id)])
    return Privacy() if row is None else Privacy(int(row[0]), int(row[1]))


def set_privacy(cur: duckdb.DuckDBPyConnection, dataset_id: int, min_group: int, min_comment_group: int | None = None,
                *, actor: str = audit.LOCAL_ACTOR) -> Privacy:
    """Store the thresholds of ``dataset_id`` (checked by :func:`check_privacy`), audited as done by ``actor``.

    Raises :class:`PrivacyError` for thresholds that break the rules, and
    :class:`nps.errors.UnknownDatasetError` for a dataset that does not exist.
    """
    wanted = check_privacy(min_group, min_comment_group)
    name = sql.fetch_one(cur, "SELECT name FROM datasets WHERE id = ?", [int(dataset_id)])
    if name is None:
        raise UnknownDatasetError(f"no dataset #{dataset_id} in this database")
    with transaction(cur):
        before = get_privacy(cur, dataset_id)
        sql.execute(cur, "DELETE FROM dataset_privacy WHERE dataset_id = ?", [int(dataset_id)])
        sql.execute(
            cur,
            "INSERT INTO dataset_privacy (dataset_id, min_group, min_comment_group, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?, ?)",
            [int(dataset_id), wanted.min_group, wanted.min_comment_group, dt.datetime.now(), actor],
        )
        audit.record(cur, actor, "anonymity thresholds changed", f"dataset #{dataset_id} ({name[0]})",
                     before.describe(), wanted.describe())
    return wanted
