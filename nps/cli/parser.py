"""The argument parser of ``python -m nps``: its commands and options, and the usage error."""

from __future__ import annotations

import argparse
import datetime as dt

from nps import domain, store
from nps.errors import NpsError


class UsageError(NpsError):
    """The command line's words are off."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m nps``."""
    parser = argparse.ArgumentParser(
        prog="python -m nps", description="Passaparola: NPS survey analysis.",
        epilog="The command line is a trusted local tool: whoever can open the database file reads every row "
               "(sign-in, roles and scopes apply to the app); the employee-survey anonymity rule applies here too.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="load a survey export into the database")
    ingest.add_argument("file")
    _add_db(ingest)
    ingest.add_argument("--name", help="dataset name (default: the file name)")
    _add_mapping(ingest)
    ingest.add_argument("--append-to", metavar="DATASET",
                        help="append the file as a new wave of this dataset (its id, or a name no other dataset has)")
    ingest.add_argument("--allow-duplicate", action="store_true", help="load a file even if it was loaded before")

    summary = sub.add_parser("summary", help="NPS with its interval, overall and by group or period")
    summary.add_argument("source", metavar="FILE_OR_DATASET")
    _add_db(summary)
    _add_mapping(summary)
    summary.add_argument("--by", action="append", default=[], metavar="COLUMN", help="group by this column (repeatable)")
    summary.add_argument("--period", choices=domain.GRAINS, help="one group per period of this length")
    summary.add_argument("--rolling", type=int, metavar="K", help="with --period: each period over the last K periods")
    add_selection_options(summary)
    summary.add_argument("--format", choices=("table", "json", "csv"), default="table")
    _add_read_only(summary)

    comments = sub.add_parser("comments", help="what the comments say: languages, themes, distinctive terms, "
                              "uncovered clusters")
    comments.add_argument("source", metavar="FILE_OR_DATASET")
    _add_db(comments)
    _add_mapping(comments)
    comments.add_argument("--by", metavar="COLUMN", help="also a theme table per value of this column")
    comments.add_argument("--codebook", metavar="FILE",
                          help="codebook YAML like data/codebook.yaml (default: the database's current codebook)")
    comments.add_argument("--format", choices=("table", "json"), default="table")
    _add_read_only(comments)

    datasets = sub.add_parser("datasets", help="list the datasets in the database; rename or delete one, set an employee dataset's anonymity "
                                               "thresholds (audited)")
    _add_db(datasets)
    _add_read_only(datasets)
    datasets_sub = datasets.add_subparsers(dest="datasets_command", metavar="{rename,delete,privacy}")
    rename = datasets_sub.add_parser("rename", help="give a dataset a new name")
    rename.add_argument("dataset", metavar="DATASET", help="its id, or a name no other dataset has")
    rename.add_argument("new_name", metavar="NAME")
    _add_db(rename, suppress=True)
    delete = datasets_sub.add_parser("delete", help="delete a dataset, its responses and its records (needs --yes)")
    delete.add_argument("dataset", metavar="DATASET", help="its id, or a name no other dataset has")
    delete.add_argument("--yes", action="store_true",
                        help="really delete it: without --yes the command only says what would go, and deletes nothing")
    _add_db(delete, suppress=True)
    privacy = datasets_sub.add_parser(
        "privacy", help="show or set an employee dataset's anonymity thresholds (audited)",
        description="Employee survey anonymity: no group of fewer than --min-group respondents (default 5, never "
                    "below 3) is shown, and no comments of fewer than --min-comment-group (default 10, at least "
                    "--min-group). Without options, shows the thresholds.")
    privacy.add_argument("dataset", metavar="DATASET", help="the dataset's id or name")
    privacy.add_argument("--min-group", type=int, metavar="N", help="the fewest respondents a shown group has")
    privacy.add_argument("--min-comment-group", type=int, metavar="M",
                         help="the fewest respondents whose comments are shown (default: the larger of 10 and N)")
    _add_db(privacy, suppress=True)

    sample = sub.add_parser("sample", help="load the bundled sample data into the database")
    _add_db(sample)

    users = sub.add_parser("users", help="who may use the app in team mode: add, list, remove users; map groups to roles (audited)",
                           description="The command line is a trusted local tool: whoever can open the database "
                                       "file manages its users. Every change is recorded in the audit trail.")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="add a user, or change an existing user's role and scopes")
    add.add_argument("email")
    add.add_argument("--role", choices=domain.ROLES, required=True)
    add.add_argument("--scope", action="append", default=[], metavar="COLUMN=VALUE",
                     help="limit the user to rows whose COLUMN equals VALUE (repeatable; none: every row)")
    _add_db(add)
    listing = users_sub.add_parser("list", help="list the users, their roles and scopes")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    _add_db(listing)
    _add_read_only(listing)
    remove = users_sub.add_parser("remove", help="remove a user")
    remove.add_argument("email")
    _add_db(remove)
    groups = users_sub.add_parser("groups", help="list the groups of the sign-in's groups claim mapped to roles")
    groups.add_argument("--format", choices=("table", "json"), default="table")
    _add_db(groups)
    _add_read_only(groups)
    group_add = users_sub.add_parser("group-add", help="give the members of a group (as the identity provider "
                                                      "names it in the groups claim) a role; replaces its mapping")
    group_add.add_argument("group")
    group_add.add_argument("--role", choices=domain.ROLES, required=True)
    _add_db(group_add)
    group_remove = users_sub.add_parser("group-remove", help="remove a group's role")
    group_remove.add_argument("group")
    _add_db(group_remove)

    trail = sub.add_parser("audit", help="the audit trail: who changed what, when, with the values before and after",
                           description="Every write (loads, appends, remaps, renames, deletes, targets, codebook "
                                       "versions, users) as recorded, newest first.")
    trail.add_argument("--since", type=_date, metavar="DATE", help="entries of this day or later (YYYY-MM-DD)")
    trail.add_argument("--actor", metavar="A", help="only this actor's entries (exactly as listed, e.g. 'cli:anna')")
    trail.add_argument("--action", metavar="X", help="only this action (e.g. 'dataset deleted')")
    trail.add_argument("--limit", type=_count, metavar="N", help="at most the N newest entries")
    trail.add_argument("--format", choices=("table", "json", "csv"), default="table")
    _add_db(trail)
    _add_read_only(trail)

    follow = sub.add_parser("follow-up", help="detractor follow-up: run the sweep (for cron), list the cases, the KPIs",
                            description="The sweep opens cases for new responses that match the rules, escalates "
                                        "overdue ones and enqueues reminders; running it twice does nothing twice.")
    _add_db(follow)
    follow_sub = follow.add_subparsers(dest="followup_command", required=True)
    for name, text in (("sweep", "open, escalate and remind as of now (or --now), then send what is due"),
                       ("list", "the cases, oldest first"), ("kpis", "the follow-up KPIs")):
        command = follow_sub.add_parser(name, help=text)
        _add_db(command, suppress=True)
        command.add_argument("--now", metavar="ISO", help="the time to act as of (YYYY-MM-DDTHH:MM; default: now)")
        command.add_argument("--format", choices=("table", "json"), default="table")
        if name == "list":
            command.add_argument("--status", choices=("open", "contacted", "in progress", "closed"),
                                 help="only cases with this status")
            command.add_argument("--owner", metavar="EMAIL", help="only this owner's cases")
        if name == "kpis":
            command.add_argument("--since", type=_date, metavar="DATE", help="cases opened this day or later")
            command.add_argument("--until", type=_date, metavar="DATE", help="cases opened this day or earlier")
    from nps.cli.notify import add_notify_commands  # the notifications' outbox and their delivery

    add_notify_commands(follow_sub)
    from nps.cli.actions import add_actions_parser  # improvement actions: their own module

    add_actions_parser(sub, _add_db, _add_read_only)
    from nps.cli.benchmarks import add_benchmarks_parser  # external benchmarks: their own module
    from nps.cli.indicators import add_indicators_parser  # indicators to monitor: their own module
    from nps.cli.report import add_report_parser  # review packs: their own module

    add_report_parser(sub, _add_db, _add_read_only, add_selection_options, _date)
    add_benchmarks_parser(sub, _add_db, _add_read_only)
    add_indicators_parser(sub, _add_db, _add_read_only, add_selection_options)
    from nps.cli.reviews import add_reviews_parser  # review meetings: their own module

    add_reviews_parser(sub, _add_db, _add_read_only)
    from nps.cli.accounts import add_accounts_parser  # B2B accounts: their own module
    from nps.cli.profiles import add_profiles_parser  # promoter profiles: their own module

    add_accounts_parser(sub, _add_db, _add_read_only, add_selection_options)
    add_profiles_parser(sub, _add_db, _add_read_only, add_selection_options)
    from nps.cli.drivers import add_drivers_parser  # key drivers: their own module

    add_drivers_parser(sub, _add_db, _add_read_only, _date)
    from nps.cli.caveats import add_caveats_parser  # how far to trust it: its own module

    add_caveats_parser(sub, _add_db, _add_read_only, add_selection_options)
    return parser


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    """The options that choose what is counted and how, shared by ``summary`` and ``report``."""
    parser.add_argument("--since", type=_date, help="first day counted (YYYY-MM-DD)")
    parser.add_argument("--until", type=_date, help="last day counted (YYYY-MM-DD)")
    parser.add_argument("--where", action="append", default=[], metavar="COLUMN=VALUE",
                        help="keep rows whose COLUMN equals VALUE (repeat a column for several values)")
    parser.add_argument("--where-not", action="append", default=[], metavar="COLUMN=VALUE",
                        help="drop rows whose COLUMN equals VALUE")
    parser.add_argument("--compare", choices=("previous", "last-year"),
                        help="change vs the previous period of the same length or the same period last year "
                             "(needs --since and --until)")
    parser.add_argument("--survey-type", metavar="VALUE",
                        help="with a survey-type column: the type to count (default: the most common; 'all' blends them)")
    parser.add_argument("--method", choices=domain.METHODS, default=domain.DEFAULT_METHOD)
    parser.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    parser.add_argument("--multiplicity", choices=domain.MULTIPLICITY,
                        help="control of many tests shown together (default: as the app: Benjamini-Hochberg for "
                             "groups vs the rest and period-to-period changes, Holm for changes vs --compare)")
    parser.add_argument("--min-n", type=int, default=30, help="groups below this n are flagged low_n (default 30)")
    parser.add_argument("--weighted", action="store_true", help="weight responses by the weight column")
    parser.add_argument("--dedupe", action="store_true", help="count only the latest response per respondent")


def _add_db(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    # A sub-command's --db is suppressed when absent, so it does not undo its parent's (``datasets --db X delete 1``).
    parser.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS if suppress else None,
                        help=f"database file (default: ${store.DB_ENV} or data/passaparola.duckdb)")


def _add_read_only(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--read-only", action="store_true",
                        help="never write the database; while the app holds it, read the snapshot the app keeps "
                             "beside it (NAME.snapshot.duckdb)")


def _add_mapping(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sheet", help="XLSX sheet to read (default: the one holding the data)")
    parser.add_argument("--score-column", metavar="C", help="the 0-10 recommend question")
    parser.add_argument("--date-column", metavar="C")
    parser.add_argument("--comment-column", metavar="C")
    parser.add_argument("--respondent-column", metavar="C")
    parser.add_argument("--weight-column", metavar="C")
    parser.add_argument("--dimension", action="append", metavar="C", help="a dimension column (repeatable; replaces detection)")
    parser.add_argument("--item-column", action="append", metavar="C",
                        help="an item rating column (1-5, 1-7, 0-10…) for drivers (repeatable; replaces detection)")
    parser.add_argument("--date-order", choices=("dmy", "mdy", "ymd"), help="settle an ambiguous date column")
    parser.add_argument("--encoding", help="the text file's encoding, e.g. cp1252, cp850, utf-8 (default: detected)")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a count; give 0 or more")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None
