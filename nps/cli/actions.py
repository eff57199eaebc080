"""The ``actions`` command: the improvement actions, as a table or JSON (``actions list``)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from typing import Any

from nps.cli.output import grid, say, to_json
from nps.cli.source import connect
from nps.control_chars import escape_for_terminal as _visible
from nps.store import actions, find_dataset

FORMATS: tuple[str, ...] = ("table", "json")


def add_actions_parser(sub: Any, add_db: Callable[[argparse.ArgumentParser], None],
                       add_read_only: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``actions list`` on the command line's sub-parsers (``add_db`` and ``add_read_only``: the shared options)."""
    parser = sub.add_parser("actions", help="improvement actions on the causes of detraction (the Actions page)")
    verbs = parser.add_subparsers(dest="actions_command", required=True)
    listing = verbs.add_parser("list", help="the actions, by due date, with their status and whether overdue")
    listing.add_argument("--dataset", metavar="DATASET", help="only this dataset's actions (its id or name)")
    listing.add_argument("--status", choices=actions.STATUSES, help="only the actions with this status")
    listing.add_argument("--format", choices=FORMATS, default="table")
    add_db(listing)
    add_read_only(listing)


def run_actions(args: argparse.Namespace, *, today: dt.date | None = None) -> int:
    """``actions list``: print the actions (overdue counted on ``today``, by default the local date); the exit status."""
    today = today or dt.date.today()
    con = connect(args)
    try:
        dataset_id = find_dataset(con, _key(args.dataset)).id if args.dataset is not None else None
        found = actions.list_actions(con, dataset_id=dataset_id, status=args.status)
    finally:
        con.close()
    if args.format == "json":
        sys.stdout.write(to_json({"actions": [{**a.describe(), "overdue": a.overdue(today)} for a in found]}))
    elif not found:
        say("no improvement actions" + (" match these filters\n" if args.dataset or args.status else " yet\n"))
    else:
        say("\n".join(render_table(found, today)) + "\n")
    return 0


def _key(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def render_table(found: list[actions.Action], today: dt.date) -> list[str]:
    """The actions as aligned lines for people (control characters shown escaped)."""
    rows = [[str(a.id), _visible(a.title), _visible(a.business_function or ""), _visible(a.owner or ""), a.status,
             a.due_date.isoformat() if a.due_date else "", a.started_on.isoformat() if a.started_on else "",
             "overdue" if a.overdue(today) else ""] for a in found]
    return grid(["id", "title", "function", "owner", "status", "due", "started", ""], rows, right=frozenset({0}))
