"""Transactions: ``with transaction(cur):`` runs a block as one transaction, the only BEGIN/COMMIT of the library."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from nps.errors import NpsError
from nps.store import sql

# The cursors inside a transaction() now (by id: a cursor in the set is kept alive by its ``with``).
_IN_TRANSACTION: set[int] = set()
_IN_TRANSACTION_LOCK = threading.Lock()


class NestedTransactionError(NpsError):
    """A :func:`transaction` was opened on a cursor that is already inside one (DuckDB has no nesting)."""


@contextmanager
def transaction(cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the ``with`` block as one transaction of ``cur``: BEGIN, then COMMIT, or ROLLBACK on any exception.

    Any exception (KeyboardInterrupt and other BaseExceptions too, and a COMMIT that fails) rolls
    back and is raised again, unchanged. A COMMIT that fails has ended the transaction already, so
    the ROLLBACK after it may fail: that error is dropped in favour of the first one.
    Transactions do not nest (DuckDB has no savepoints, and a BEGIN inside a transaction aborts
    it): opening one on a cursor inside another raises :class:`NestedTransactionError` and leaves
    the outer one as it was. Helpers meant to run inside the caller's transaction say so and open none.
    """
    key = id(cur)
    with _IN_TRANSACTION_LOCK:
        if key in _IN_TRANSACTION:
            raise NestedTransactionError(
                "a transaction is already open on this cursor: transactions do not nest "
                "(run the inner statements in the outer transaction, or use another cursor)"
            )
        _IN_TRANSACTION.add(key)
    try:
        sql.execute(cur, "BEGIN TRANSACTION")
        try:
            yield
            sql.execute(cur, "COMMIT")
        except BaseException:
            try:
                sql.execute(cur, "ROLLBACK")
            except duckdb.Error:
                pass  # no transaction left to roll back (a failed COMMIT ends it)
            raise
    finally:
        with _IN_TRANSACTION_LOCK:
            _IN_TRANSACTION.discard(key)
