"""The notification commands of ``follow-up``: ``outbox`` lists the messages, ``deliver`` sends those due.

:func:`add_notify_commands` registers both on the ``follow-up`` group's sub-parsers (whoever creates
the group calls it once); each sets ``notify_command``, which :func:`run_notify` dispatches on.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from nps import store
from nps.cli.output import grid, say, to_json
from nps.cli.parser import UsageError, _add_db, _add_read_only
from nps.cli.source import connect
from nps.control_chars import escape_for_terminal as _visible
from nps.store import outbox

STATES: tuple[str, ...] = ("pending", "retrying", "sent", "failed")


def add_notify_commands(followup_subparsers: Any) -> None:
    """Add ``outbox`` and ``deliver`` to the ``follow-up`` group (its ``add_subparsers()`` object)."""
    listing = followup_subparsers.add_parser(
        "outbox", help="the notifications: pending, retrying, sent, failed (given up), newest first")
    listing.add_argument("--state", choices=STATES, help="only the messages in this state")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    _add_db(listing, suppress=True)
    _add_read_only(listing)
    listing.set_defaults(notify_command="outbox")
    deliver = followup_subparsers.add_parser(
        "deliver", help="send the notifications that are due (e-mail, webhook), recording each attempt",
        description="Sends what is due through the SMTP server of PASSAPAROLA_SMTP (sender PASSAPAROLA_MAIL_FROM) "
                    "and the webhook of PASSAPAROLA_WEBHOOK; with nothing configured sends nothing. Failed sends are "
                    "retried after 5 min, 30 min, 2 h and 6 h, then given up (see `follow-up outbox --state failed`).")
    deliver.add_argument("--now", type=_moment, metavar="ISO",
                         help="the time to deliver at (default: now), e.g. 2026-12-01T09:00")
    deliver.add_argument("--format", choices=("table", "json"), default="table")
    _add_db(deliver, suppress=True)
    deliver.set_defaults(notify_command="deliver")


def _moment(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time; write it as YYYY-MM-DDTHH:MM") from None
    return value.astimezone().replace(tzinfo=None) if value.tzinfo is not None else value


def run_notify(args: argparse.Namespace) -> int:
    """``follow-up outbox|deliver``; returns the exit status."""
    from nps.followup import notify

    if args.notify_command == "outbox":
        con = connect(args)
        try:
            found = outbox.messages(con, state=args.state)
        finally:
            con.close()
        if args.format == "json":
            say(to_json([notify.message_row(m) for m in found]))
        elif not found:
            say(f"no {args.state + ' ' if args.state else ''}notifications\n")
        else:
            say("\n".join(render_table(found)) + "\n")
        return 0
    if args.notify_command != "deliver":
        raise UsageError(f"unknown follow-up command {args.notify_command!r}")
    settings = notify.load_settings()
    con = store.connect(getattr(args, "db", None))
    try:
        report = notify.deliver_pending(con, args.now or dt.datetime.now(), settings)
    finally:
        con.close()
    if args.format == "json":
        say(to_json(report.describe()))
    else:
        say(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}, skipped {report.skipped}\n")
        if report.skipped:
            why = [r for r, ok in ((notify.NO_SMTP, settings.mail_configured),
                                   (notify.NO_WEBHOOK, settings.webhook_configured)) if not ok]
            say("".join(f"{line}\n" for line in why))
    return 0


def render_table(messages: list[outbox.Message]) -> list[str]:
    """Messages as aligned lines: id, state, channel, to, attempts, next attempt, subject or event, last error."""

    def when(value: dt.datetime | None) -> str:
        return f"{value:%Y-%m-%d %H:%M}" if value is not None else ""

    rows = [[str(m.id), m.state, m.channel, _visible(m.recipient or ("webhook" if m.channel == outbox.WEBHOOK else "")),
             str(m.attempts), when(m.next_attempt_at) if m.state in ("pending", "retrying") else when(m.sent_at or m.gave_up_at),
             _visible(m.subject or m.event_key), _visible(m.last_error or "")] for m in messages]
    return grid(["id", "state", "channel", "to", "attempts", "next / done", "subject", "last error"], rows,
                right=frozenset({0, 4}))
