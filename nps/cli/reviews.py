"""The ``reviews`` command: define reviews (``add``, ``remove``), ``list`` and ``show`` them, record a ``note`` or decision.

Meeting dates follow the review's cadence on the stored working calendar
(:func:`nps.followup.sweep.load_calendar`), "today" being the calendar timezone's date (or ``--today``).
Every write is recorded in the audit trail as ``cli:`` and the local account.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from typing import Any

import duckdb

from nps import store
from nps.cli.output import grid, say, to_json
from nps.cli.parser import UsageError
from nps.cli.source import cli_actor, connect
from nps.control_chars import escape_for_terminal as _visible
from nps.followup.deadlines import WorkCalendar
from nps.reviews import cadence as cadences
from nps.store import actions, reviews

LISTED_MEETINGS = 3  # ``show``: the newest meetings listed with what they recorded


def add_reviews_parser(sub: Any, add_db: Callable[[argparse.ArgumentParser], None],
                       add_read_only: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``reviews add|list|show|note|remove`` on the command line's sub-parsers."""
    parser = sub.add_parser("reviews", help="review meetings: their cadence and participants, notes and decisions "
                                            "(audited)",
                            description="A review goes through a dataset's results per function (--by COLUMN "
                                        "--value V) or across functions (--by COLUMN alone) on a cadence; meeting "
                                        "dates move forward past weekends and holidays of the working calendar.")
    verbs = parser.add_subparsers(dest="reviews_command", required=True)
    add = verbs.add_parser("add", help="define a review")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--dataset", metavar="DATASET", required=True, help="the dataset reviewed (its id or name)")
    add.add_argument("--by", metavar="COLUMN", help="the column the review walks through, e.g. business_function")
    add.add_argument("--value", metavar="V", help="one value's own review (none: every value, cross-functional)")
    add.add_argument("--cadence", metavar="TEXT", required=True,
                     help="weekly:mon, monthly:1, monthly:last, quarterly:15 or dates:2026-01-15,2026-02-12")
    add.add_argument("--participant", action="append", default=[], metavar="EMAIL",
                     help="who takes part and receives the pack (repeatable)")
    add.add_argument("--where", action="append", default=[], metavar="COLUMN=VALUE",
                     help="keep rows whose COLUMN equals VALUE, e.g. survey_type=relationship (repeatable)")
    add.add_argument("--send-days-before", type=_days, metavar="N",
                     help="send the pack to the participants N days before each meeting (default: not sent)")
    add.add_argument("--format", choices=reviews.PACK_FORMATS, default=reviews.PDF, help="the pack's format")
    add_db(add)
    listing = verbs.add_parser("list", help="the reviews with their next meeting")
    listing.add_argument("--dataset", metavar="DATASET", help="only this dataset's reviews (its id or name)")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.add_argument("--today", type=_date, metavar="DATE", help="the day to count from (default: today)")
    add_db(listing)
    add_read_only(listing)
    show = verbs.add_parser("show", help="a review: definition, next meeting and its window, the last meetings")
    show.add_argument("name", metavar="NAME", help="the review's name (case ignored) or number")
    show.add_argument("--format", choices=("table", "json"), default="table")
    show.add_argument("--today", type=_date, metavar="DATE", help="the day to count from (default: today)")
    add_db(show)
    add_read_only(show)
    note = verbs.add_parser("note", help="record a note (or --decision) on a meeting")
    note.add_argument("name", metavar="NAME", help="the review's name (case ignored) or number")
    note.add_argument("text", metavar="TEXT")
    note.add_argument("--decision", action="store_true", help="record it as a decision")
    note.add_argument("--on", type=_date, metavar="DATE",
                      help="the meeting's day (default: the next meeting, today's if there is one today)")
    note.add_argument("--today", type=_date, metavar="DATE", help="the day to count from (default: today)")
    add_db(note)
    remove = verbs.add_parser("remove", help="delete a review with its meetings and notes (needs --yes)")
    remove.add_argument("name", metavar="NAME", help="the review's name (case ignored) or number")
    remove.add_argument("--yes", action="store_true",
                        help="really delete it: without --yes the command only says what would go")
    add_db(remove)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None


def _days(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days; give 0 or more")
    return int(text)


def _include(pairs: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for pair in pairs:
        column, sep, value = pair.partition("=")
        if not sep or not column.strip():
            raise UsageError(f"--where {pair!r}: write it as COLUMN=VALUE, e.g. --where survey_type=relationship")
        found.setdefault(column.strip(), []).append(value)
    return found


def _calendar_today(con: duckdb.DuckDBPyConnection, given: dt.date | None) -> tuple[WorkCalendar, dt.date]:
    from nps.followup.sweep import load_calendar

    calendar = load_calendar(con)
    return calendar, given or dt.datetime.now(calendar.zone).date()


def _find(con: duckdb.DuckDBPyConnection, name: str) -> reviews.Review:
    found = reviews.get_review(con, name)
    if found is None:
        names = ", ".join(repr(r.name) for r in reviews.list_reviews(con)) or "none yet"
        raise UsageError(f"there is no review {name!r} (reviews: {names})")
    return found


def covers(review: reviews.Review) -> str:
    """What a review covers, in words: ``business_function = Billing``, ``every business_function``, ``all rows``."""
    if review.dimension is None:
        part = "all rows"
    elif review.value is None:
        part = f"every {review.dimension}"
    else:
        part = f"{review.dimension} = {review.value}"
    extra = [f"{c} = {' or '.join(vs)}" for c, vs in review.include.items()]
    return "; ".join([part, *extra])


def run_reviews(args: argparse.Namespace) -> int:
    """``reviews add|list|show|note|remove``; returns the exit status."""
    command = args.reviews_command
    if command in ("list", "show"):
        con = connect(args)
        try:
            return _list(con, args) if command == "list" else _show(con, args)
        finally:
            con.close()
    con = store.connect(args.db)
    try:
        if command == "add":
            return _add(con, args)
        if command == "note":
            return _note(con, args)
        return _remove(con, args)
    finally:
        con.close()


def _add(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> int:
    ds = store.find_dataset(con, args.dataset)
    review = reviews.add_review(
        con, dataset_id=ds.id, name=args.name, dimension=args.by, value=args.value, cadence=args.cadence,
        participants=args.participant, include=_include(args.where), send_days_before=args.send_days_before,
        pack_format=args.format, actor=cli_actor())
    calendar, today = _calendar_today(con, None)
    upcoming = cadences.next_meeting(review.cadence, today, calendar)
    say(f"review {review.id}: {_visible(review.name)} on {_visible(ds.name)} ({_visible(covers(review))}), "
        f"{cadences.describe(review.cadence)}; next meeting {upcoming.isoformat() if upcoming else 'none'}\n")
    return 0


def _described(review: reviews.Review, dataset: str, upcoming: dt.date | None) -> dict[str, Any]:
    return {**review.describe(), "dataset": dataset, "cadence_words": cadences.describe(review.cadence),
            "next_meeting": upcoming.isoformat() if upcoming else None}


def _dataset_names(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    return {d.id: d.name for d in store.list_datasets(con)}


def _list(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> int:
    dataset_id = store.find_dataset(con, args.dataset).id if args.dataset is not None else None
    found = reviews.list_reviews(con, dataset_id)
    calendar, today = _calendar_today(con, args.today)
    names = _dataset_names(con)
    listed = [_described(r, names.get(r.dataset_id, str(r.dataset_id)),
                         cadences.next_meeting(r.cadence, today, calendar)) for r in found]
    if args.format == "json":
        sys.stdout.write(to_json({"reviews": listed}))
    elif not listed:
        say("no reviews" + (" of this dataset\n" if args.dataset else " yet: define one with `python -m nps reviews "
                                                                         "add NAME --dataset D --cadence monthly:1`\n"))
    else:
        rows = [[str(r.id), _visible(r.name), _visible(d["dataset"]), _visible(covers(r)), r.cadence.text,
                 d["next_meeting"] or "none", str(len(r.participants))] for r, d in zip(found, listed)]
        say("\n".join(grid(["id", "name", "dataset", "covers", "cadence", "next", "participants"], rows,
                           right=frozenset({0, 6}))) + "\n")
    return 0


def _meeting_record(con: duckdb.DuckDBPyConnection, meeting: reviews.Meeting) -> dict[str, Any]:
    linked = []
    for action_id in reviews.meeting_actions(con, meeting.id):
        try:
            action = actions.get_action(con, action_id)
        except actions.UnknownActionError:
            continue
        linked.append({"id": action.id, "title": action.title, "status": action.status, "owner": action.owner,
                       "due_date": action.due_date.isoformat() if action.due_date else None})
    return {"held_on": meeting.held_on.isoformat(),
            "entries": [{"kind": e.kind, "text": e.text, "author": e.author,
                         "at": e.created_at.isoformat(timespec="seconds")} for e in reviews.entries(con, meeting.id)],
            "actions": linked}


def _show(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> int:
    review = _find(con, args.name)
    calendar, today = _calendar_today(con, args.today)
    upcoming = cadences.next_meeting(review.cadence, today, calendar)
    window = cadences.review_window(review.cadence, upcoming, calendar) if upcoming else None
    held = [_meeting_record(con, m) for m in reviews.meetings(con, review.id)[:LISTED_MEETINGS]]
    described = _described(review, _dataset_names(con).get(review.dataset_id, str(review.dataset_id)), upcoming)
    described["window"] = None if window is None else {
        "since": window.since.isoformat(), "until": window.until.isoformat(),
        "compare_since": window.compare_since.isoformat() if window.compare_since else None,
        "compare_until": window.compare_until.isoformat() if window.compare_until else None}
    described["meetings"] = held
    if args.format == "json":
        sys.stdout.write(to_json(described))
        return 0
    lines = [f"review {review.id}: {review.name}",
             f"dataset: {described['dataset']}",
             f"covers: {covers(review)}",
             f"cadence: {review.cadence.text} ({cadences.describe(review.cadence)})",
             f"participants: {', '.join(review.participants) or 'none'}",
             "pack: " + review.pack_format + (f", sent {review.send_days_before} day(s) before each meeting"
                                              if review.send_days_before is not None else ", not sent automatically")]
    if upcoming is None or window is None:
        lines.append("next meeting: none (the listed dates are past)")
    else:
        lines.append(f"next meeting: {upcoming.isoformat()}, reviewing {window.since.isoformat()} to "
                     f"{window.until.isoformat()} against {window.compare_since} to {window.compare_until}")
    if not held:
        lines.append("no meetings recorded yet")
    for meeting in held:
        lines.append(f"meeting of {meeting['held_on']}:")
        lines.extend(f"  {e['kind']}: {e['text']} ({e['author']})" for e in meeting["entries"])
        lines.extend(f"  action {a['id']}: {a['title']} ({a['status']})" for a in meeting["actions"])
        if not meeting["entries"] and not meeting["actions"]:
            lines.append("  nothing recorded")
    say("\n".join(lines) + "\n")
    return 0


def _note(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> int:
    review = _find(con, args.name)
    held_on = args.on
    if held_on is None:
        calendar, today = _calendar_today(con, args.today)
        held_on = cadences.next_meeting(review.cadence, today, calendar)
        if held_on is None:
            raise UsageError(f"review {review.name!r} has no meeting on or after {today.isoformat()}: "
                             "give the meeting's day with --on DATE")
    kind = reviews.DECISION if args.decision else reviews.NOTE
    entry = reviews.record_entry(con, review.id, held_on, kind, args.text, actor=cli_actor())
    say(f"{kind} {entry.id} recorded on the {held_on.isoformat()} meeting of {_visible(review.name)}\n")
    return 0


def _remove(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> int:
    review = _find(con, args.name)
    held = reviews.meetings(con, review.id)
    notes = sum(len(reviews.entries(con, m.id)) for m in held)
    what = f"review {review.id} ({review.name!r}: {len(held)} meeting(s), {notes} note(s) and decision(s))"
    if not args.yes:
        raise UsageError(f"deleting {what} cannot be undone; nothing was deleted: add --yes to delete it")
    reviews.delete_review(con, review.id, actor=cli_actor())
    say(f"deleted {_visible(what)}\n")
    return 0
