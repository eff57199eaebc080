"""The ``follow-up`` command: ``sweep`` (for cron when no server holds the database), ``list`` the cases, ``kpis``."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys
from typing import Any

from nps.cli.output import grid, say, to_json
from nps.cli.parser import UsageError
from nps.cli.source import connect
from nps.store import cases, catalog

LIST_KEYS: tuple[str, ...] = ("id", "response_id", "respondent", "score", "category", "status", "owner", "priority",
                              "opened_at", "first_contact_due", "close_due", "escalation_level", "root_cause", "resolution")


def _now(args: argparse.Namespace) -> dt.datetime | None:
    if args.now is None:
        return None
    try:
        return dt.datetime.fromisoformat(args.now)
    except ValueError:
        raise UsageError(f"--now {args.now!r} is not a time; write it as YYYY-MM-DDTHH:MM") from None


def _deliver() -> Any:
    """Delivery of the outbox (``nps.followup.notify.deliver_pending``) when that module is installed, else None."""
    try:
        return importlib.import_module("nps.followup.notify").deliver_pending
    except (ImportError, AttributeError):
        return None


def run_followup(args: argparse.Namespace) -> int:
    """``follow-up sweep|list|kpis``: returns the exit status."""
    from nps.followup import deadlines, kpis
    from nps.followup.sweep import load_calendar, sweep

    con = connect(args)
    try:
        calendar = load_calendar(con)
        given = _now(args)
        now = deadlines.local(given, calendar) if given else deadlines.local(dt.datetime.now(calendar.zone), calendar)
        if args.followup_command == "sweep":
            report = sweep(con, now, deliver=_deliver()).describe()
            if args.format == "json":
                sys.stdout.write(to_json(report))
            else:
                say(", ".join(f"{k} {v}" for k, v in report.items()) + "\n")
            return 0
        datasets = [d for d in catalog.list_datasets(con) if d.kind != "employee"]
        if args.followup_command == "list":
            from nps.query.followup import visible_case_ids

            found = cases.all_cases(con, ids=visible_case_ids(con, datasets))
            found = [c for c in found if (args.status is None or c.status == args.status)
                     and (args.owner is None or c.owner == args.owner)]
            listed = [describe_case(c) for c in found]
            if args.format == "json":
                sys.stdout.write(to_json({"cases": listed}))
            elif not listed:
                say("no cases\n")
            else:
                rows = [["" if c[k] is None else str(c[k]) for k in LIST_KEYS[:12]] for c in listed]
                say("\n".join(grid(list(LIST_KEYS[:12]), rows, right=frozenset({0, 3, 11}))) + "\n")
            return 0
        figures = kpis.compute(con, datasets, now, since=args.since, until=args.until)
        if args.format == "json":
            sys.stdout.write(to_json(figures.describe()))
        else:
            lines = [f"{k.replace('_', ' ')}: {'-' if v is None else round(v, 1) if isinstance(v, float) else v}"
                     for k, v in figures.describe().items()]
            say("\n".join([*lines, kpis.CAVEAT]) + "\n")
        return 0
    finally:
        con.close()


def describe_case(case: cases.CaseRecord) -> dict[str, Any]:
    """A case as ``list --format json`` gives it; ``response_id`` is ``dataset:wave:row``."""
    every = case.describe()
    every["response_id"] = f"{case.dataset_id}:{case.response_wave}:{case.response_row}"
    return {k: every[k] for k in LIST_KEYS}
