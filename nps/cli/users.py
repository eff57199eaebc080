"""The ``users`` command: add, list and remove the users of team mode (every change audited)."""

from __future__ import annotations

import argparse

from nps import store
from nps.cli.output import say, to_json
from nps.cli.parser import UsageError
from nps.cli.source import cli_actor, connect
from nps.control_chars import escape_for_terminal as _visible
from nps.store import users


def _scopes(pairs: list[str]) -> list[tuple[str, str]]:
    scopes = []
    for pair in pairs:
        column, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--scope {pair!r}: write it as COLUMN=VALUE, e.g. --scope business_function=Billing")
        scopes.append((column, value))
    return scopes


def run_users(args: argparse.Namespace) -> int:
    """``users add|list|remove``; returns the exit status."""
    if args.users_command == "list":
        con = connect(args)
        try:
            found = users.list_users(con)
        finally:
            con.close()
        if args.format == "json":
            say(to_json([u.describe() for u in found]) + "\n")
        elif not found:
            say("no users yet: add the first admin with `python -m nps users add EMAIL --role admin`\n")
        for user in found if args.format == "table" else ():
            limits = ", ".join(f"{c}={v}" for c, v in user.scopes) or "every row"
            say(f"{_visible(user.email)}  {user.role}  ({_visible(limits)})\n")
        return 0
    con = store.connect(args.db)
    try:
        if args.users_command == "add":
            user = users.add_user(con, args.email, args.role, _scopes(args.scope), actor=cli_actor())
            limits = ", ".join(f"{c}={v}" for c, v in user.scopes) or "every row"
            say(f"{_visible(user.email)} is {user.role} ({_visible(limits)})\n")
        else:
            removed = users.remove_user(con, args.email, actor=cli_actor())
            say(f"removed {_visible(removed.email)}\n")
    finally:
        con.close()
    return 0
