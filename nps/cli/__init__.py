"""The command line: ``python -m nps ingest|summary|comments|datasets|sample|users|audit|follow-up|actions|reviews|report|
benchmarks|indicators|accounts|profiles|drivers|caveats``.

Exit status 0 on success, 2 on unusable input with a one-line message on stderr.
Text for people (tables, reports, warnings, errors) shows control characters from
the data written out (ESC as ``\\x1b``), so a file cannot recolour or hyperlink the
terminal; JSON stays JSON (control characters escaped as ``\\u001b``).

The parser is :mod:`~nps.cli.parser`; each command group has its module
(:mod:`~nps.cli.datasets` for ingest, datasets and sample, :mod:`~nps.cli.summary`,
:mod:`~nps.cli.comments`, :mod:`~nps.cli.users`, :mod:`~nps.cli.audit`, :mod:`~nps.cli.followup` (with
:mod:`~nps.cli.notify` for the notification commands of ``follow-up``), :mod:`~nps.cli.actions`, :mod:`~nps.cli.reviews`,
:mod:`~nps.cli.report`, :mod:`~nps.cli.accounts`, :mod:`~nps.cli.profiles`, :mod:`~nps.cli.drivers`,
:mod:`~nps.cli.caveats`); every write is recorded in the
audit trail as ``cli:`` and the local account; opening a database or a file is :mod:`~nps.cli.source`
and writing for people or programs :mod:`~nps.cli.output`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import duckdb

from nps import store
from nps.cli.comments import run_comments
from nps.cli.datasets import run_datasets, run_ingest, run_sample
from nps.cli.output import one_line
from nps.cli.parser import UsageError, build_parser
from nps.cli.source import close_read_only
from nps.cli.summary import run_summary
from nps.control_chars import escape_for_terminal as _visible
from nps.errors import NpsError

__all__ = ["UsageError", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "ingest":
            return run_ingest(args)
        if args.command == "summary":
            return run_summary(args)
        if args.command == "comments":
            return run_comments(args)
        if args.command == "datasets":
            return run_datasets(args)
        if args.command == "sample":
            return run_sample(args)
        if args.command == "users":
            from nps.cli.users import run_users

            return run_users(args)
        if args.command == "audit":
            from nps.cli.audit import run_audit

            return run_audit(args)
        if args.command == "follow-up" and getattr(args, "notify_command", None):
            from nps.cli.notify import run_notify

            return run_notify(args)
        if args.command == "actions":
            from nps.cli.actions import run_actions

            return run_actions(args)
        if args.command == "indicators":
            from nps.cli.indicators import run_indicators

            return run_indicators(args)
        if args.command == "benchmarks":
            from nps.cli.benchmarks import run_benchmarks

            return run_benchmarks(args)
        if args.command == "report":
            from nps.cli.report import run_report

            return run_report(args, list(argv) if argv is not None else None)
        if args.command == "follow-up":
            from nps.cli.followup import run_followup

            return run_followup(args)
        if args.command == "reviews":
            from nps.cli.reviews import run_reviews

            return run_reviews(args)
        if args.command == "accounts":
            from nps.cli.accounts import run_accounts

            return run_accounts(args)
        if args.command == "profiles":
            from nps.cli.profiles import run_profiles

            return run_profiles(args)
        if args.command == "drivers":
            from nps.cli.drivers import run_drivers

            return run_drivers(args)
        if args.command == "caveats":
            from nps.cli.caveats import run_caveats

            return run_caveats(args)
    except store.DatabaseBusyError as error:
        print(f"error: {one_line(str(error))}{_busy_advice(args, error)}", file=sys.stderr)
        return 2
    except NpsError as error:
        print(f"error: {_visible(one_line(str(error)))}", file=sys.stderr)
        return 2
    except (duckdb.Error, OSError) as error:
        print(f"error: {_visible(one_line(str(error)))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing was saved", file=sys.stderr)
        return 130
    finally:
        close_read_only()
    return 2


def _busy_advice(args: argparse.Namespace, error: store.DatabaseBusyError) -> str:
    """What to do about a database another process holds (the Passaparola app, usually)."""
    if "snapshot" in str(error):
        return ""
    if getattr(args, "datasets_command", None) == "privacy":
        return ": stop the app (or that process) to write to it from here, or set the thresholds on the app's Upload page"
    if getattr(args, "notify_command", None) == "deliver":
        return ": while the app runs, its server delivers the notifications every minute; stop it to deliver from here"
    if getattr(args, "reviews_command", None) in ("add", "note", "remove"):
        return ": stop the app (or that process) to write to it from here"
    if getattr(args, "datasets_command", None) is not None:
        return (": stop the app (or that process) to write to it from here, or rename or delete the dataset on "
                "the app's Upload page")
    if args.command in ("ingest", "sample") or getattr(args, "users_command", "list") not in ("list", "groups"):
        return ": stop the app (or that process) to write to it from here, or load the file on the app's Upload page"
    return ": stop the app (or that process) to use it from here, or add --read-only to read the app's latest snapshot"
