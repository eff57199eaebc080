"""Opening what a command reads: the database of ``--db`` (read-only or not), or a file loaded into memory."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import importlib
import sys
import threading
from pathlib import Path
from typing import Any

import duckdb

from nps import store
from nps.cli.output import one_line
from nps.cli.parser import UsageError


# Read-only databases opened by this run, closed (and private copies removed) when main() ends.
_read_only_opened: list[store.ReadOnlyDatabase] = []


def close_read_only() -> None:
    """Close the read-only databases this run opened (and remove their private copies)."""
    while _read_only_opened:
        _read_only_opened.pop().close()


def cli_actor() -> str:
    """Who a change made from the command line is recorded as in the audit trail: ``cli:`` and the local account."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return f"cli:{name}"


def connect(args: argparse.Namespace, *, writable_copy: bool = False) -> duckdb.DuckDBPyConnection:
    """The database of ``--db``: opened for writing, or with ``--read-only`` the database or its snapshot, read-only.

    Reading a snapshot says so on stderr, with its age.
    """
    if not getattr(args, "read_only", False):
        return store.connect(args.db)
    opened = store.connect_read_only(args.db, writable_copy=writable_copy)
    _read_only_opened.append(opened)
    if opened.busy is not None and opened.snapshot_taken is not None:
        age = max(0, int((dt.datetime.now() - opened.snapshot_taken).total_seconds()))
        ago = f"{age} s" if age < 120 else f"{age // 60} min" if age < 7200 else f"{age // 3600} h"
        print(f"note: {one_line(str(opened.busy))}; reading its snapshot of "
              f"{opened.snapshot_taken:%Y-%m-%d %H:%M:%S} ({ago} old)", file=sys.stderr)
    return opened.con


def overrides(args: argparse.Namespace) -> Any:
    """The column choices of the command line (``--score-column`` …) as :class:`nps.ingest.Overrides`."""
    from nps.ingest import Overrides

    return Overrides(
        score=args.score_column,
        date=args.date_column,
        comment=args.comment_column,
        respondent=args.respondent_column,
        weight=args.weight_column,
        dimensions=tuple(args.dimension) if args.dimension else None,
        date_order=args.date_order,
        items=tuple(args.item_column) if getattr(args, "item_column", None) else None,
    )


def open_source(
    args: argparse.Namespace, keep: list[str] | None = None
) -> tuple[duckdb.DuckDBPyConnection, store.Dataset]:
    """The connection and dataset ``args.source`` names: a file loaded into memory, or a dataset of ``--db``.

    ``keep``: a file is loaded keeping only the columns with a role and these (the rest of each row is
    read and checked, not stored), since the in-memory dataset answers this one command.
    """
    source = Path(args.source)
    if source.is_file():
        from nps.ingest import ingest_file

        con = store.connect(":memory:")
        try:
            report = ingest_file(con, source, sheet=args.sheet, overrides=overrides(args), allow_duplicate=True,
                                 encoding=args.encoding, keep=keep)
        except BaseException:
            con.close()
            raise
        return con, report.dataset
    if args.db is None and not store.default_db_path().exists():
        raise UsageError(f"{args.source}: no such file, and no database to find a dataset in")
    # ``comments`` and ``report`` store the comment tags they compute: read-only, they work on a private copy.
    con = connect(args, writable_copy=args.command in ("comments", "report"))
    try:
        return con, store.get_dataset(con, args.source)
    except BaseException:
        con.close()
        raise


def import_meanwhile(module: str) -> None:
    """Import ``module`` in a background thread: loading a file leaves a core free while it samples and detects.

    Only third-party modules that never import ``nps``, so the two threads cannot wait on each other's imports.
    """

    def work() -> None:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - the main thread's own import of it reports the problem
            pass

    threading.Thread(target=work, name=f"import-{module}", daemon=True).start()
