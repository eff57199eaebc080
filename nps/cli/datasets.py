"""The database commands: ``ingest`` a file, list, rename or delete the ``datasets``, load the ``sample``.

Every write is recorded in the audit trail as ``cli:`` and the local account (:func:`~nps.cli.source.cli_actor`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from nps import store
from nps.cli.output import say
from nps.cli.parser import UsageError
from nps.cli.source import cli_actor, connect, overrides
from nps.control_chars import escape_for_terminal as _visible


def run_ingest(args: argparse.Namespace) -> int:
    """``ingest``: load a file into the database and print the load report; returns the exit status."""
    from nps.ingest import ingest_file

    con = store.connect(args.db)
    try:
        append_to = store.find_dataset(con, args.append_to).id if args.append_to else None
        report = ingest_file(
            con, Path(args.file), name=args.name, sheet=args.sheet, overrides=overrides(args),
            append_to=append_to, allow_duplicate=args.allow_duplicate, encoding=args.encoding, actor=cli_actor(),
        )
    finally:
        con.close()
    say("\n".join(report.summary_lines()) + "\n")
    return 0


def run_datasets(args: argparse.Namespace) -> int:
    """``datasets``: list the database's datasets (or ``rename``, ``delete`` one, set its ``privacy``); the exit status."""
    if getattr(args, "datasets_command", None) == "privacy":
        return run_privacy(args)
    if getattr(args, "datasets_command", None) is not None:
        return _change_dataset(args)
    con = connect(args)
    try:
        rows = store.list_datasets(con)
    finally:
        con.close()
    if not rows:
        print("no datasets yet: load one with `python -m nps ingest FILE`")
        return 0
    for ds in rows:
        say(f"{ds.id:>4}  {_visible(ds.name)}  ({ds.kind}; {ds.accepted} responses, {ds.rejected} rejected, "
             f"{ds.waves} wave(s); from {_visible(str(ds.source_file))})\n")
    return 0


def run_privacy(args: argparse.Namespace) -> int:
    """``datasets privacy DATASET [--min-group N] [--min-comment-group M]``: show or set the anonymity thresholds."""
    from nps.cli.parser import UsageError
    from nps.cli.users import cli_actor
    from nps.store import privacy

    if args.min_group is None and args.min_comment_group is not None:
        raise UsageError("--min-comment-group needs --min-group too (the comments' threshold is at least it)")
    con = store.connect(args.db)
    try:
        ds = store.find_dataset(con, args.dataset)
        if args.min_group is None:
            found = privacy.get_privacy(con, ds.id)
        else:
            found = privacy.set_privacy(con, ds.id, args.min_group, args.min_comment_group, actor=cli_actor())
    finally:
        con.close()
    applies = "" if ds.kind == "employee" else " (not applied: a customer dataset)"
    say(f"{ds.id:>4}  {_visible(ds.name)}: groups of fewer than {found.min_group} respondents hidden, comments of "
        f"fewer than {found.min_comment_group} hidden{applies}\n")
    return 0


def run_sample(args: argparse.Namespace) -> int:
    """``sample``: load the bundled sample files into the database; returns the exit status."""
    from nps.sample.demo import load_sample

    con = store.connect(args.db)
    try:
        loaded = load_sample(con, actor=cli_actor())
    finally:
        con.close()
    for ds in loaded:
        say(f"loaded dataset {ds.id}: {_visible(ds.name)} ({ds.accepted} responses)\n")
    return 0


def _change_dataset(args: argparse.Namespace) -> int:
    """``datasets rename DATASET NAME`` and ``datasets delete DATASET --yes``: audited writes."""
    if args.read_only:
        raise UsageError(f"datasets {args.datasets_command} writes the database: leave out --read-only")
    con = store.connect(args.db)
    try:
        ds = store.find_dataset(con, args.dataset)
        if args.datasets_command == "rename":
            try:
                store.rename_dataset(con, ds.id, args.new_name, actor=cli_actor())
            except ValueError as error:
                raise UsageError(f"{error}: give a new name that is not blank") from None
            say(f"dataset {ds.id}: {_visible(ds.name)} is now {_visible(args.new_name.strip())}\n")
            return 0
        what = (f"dataset {ds.id} ({ds.name!r}: {ds.accepted:,} responses, {ds.rejected:,} rejected rows, "
                f"{ds.waves} wave(s))")
        if not args.yes:
            raise UsageError(f"deleting {what} cannot be undone; nothing was deleted: add --yes to delete it")
        store.delete_dataset(con, ds.id, actor=cli_actor())
    finally:
        con.close()
    say(f"deleted {what}\n")
    return 0
