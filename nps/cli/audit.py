"""The ``audit`` command: the audit trail, newest first, filtered, as a table, JSON or spreadsheet-safe CSV."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

from nps.cli.output import grid, say, to_json
from nps.cli.source import connect
from nps.control_chars import escape_for_terminal as _visible
from nps.store import audit

CSV_COLUMNS: tuple[str, ...] = ("id", "at", "actor", "action", "target", "before", "after")


def run_audit(args: argparse.Namespace) -> int:
    """``audit``: print the entries that match the filters, newest first; returns the exit status."""
    con = connect(args)
    try:
        entries = audit.audit_entries(con, since=args.since, actor=args.actor, action=args.action, limit=args.limit)
    finally:
        con.close()
    if args.format == "json":
        sys.stdout.write(to_json([e.describe() for e in entries]))
    elif args.format == "csv":
        sys.stdout.write(render_csv(entries))
    elif not entries:
        say("no audit entries" + (" match these filters\n" if _filtered(args) else " yet\n"))
    else:
        say("\n".join(render_table(entries)) + "\n")
    return 0


def _filtered(args: argparse.Namespace) -> bool:
    return any(v is not None for v in (args.since, args.actor, args.action, args.limit))


def _value(value: Any) -> str:
    """A before or after value on one line: compact JSON, nothing for None."""
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def render_table(entries: list[audit.AuditEntry]) -> list[str]:
    """The entries as aligned lines for people (control characters shown escaped by :func:`say`)."""
    rows = [[f"{e.id}", f"{e.at:%Y-%m-%d %H:%M:%S}", _visible(e.actor), _visible(e.action), _visible(e.target or ""),
             _visible(_value(e.before)), _visible(_value(e.after))] for e in entries]
    return grid(["id", "when", "actor", "action", "target", "before", "after"], rows, right=frozenset({0}))


def render_csv(entries: list[audit.AuditEntry]) -> str:
    """The entries as CSV: text quoted, every cell a spreadsheet would run as a formula neutralised.

    ``before`` and ``after`` are compact JSON text. Control characters in the text are written
    escaped (``\\x1b``), as on a terminal, so the output can be shown as it is.
    """
    from nps.export import neutralise

    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        cells = [e.at.isoformat(timespec="seconds"), e.actor, e.action, e.target or "", _value(e.before), _value(e.after)]
        writer.writerow([e.id, *(neutralise(_visible(c)) for c in cells)])
    return buffer.getvalue()
