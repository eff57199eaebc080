"""The ``caveats`` command: how far to trust a view of a file or a dataset, as a table or JSON.

``python -m nps caveats FILE_OR_DATASET [--population FILE.csv] [--invitations FILE.csv] [--by C]
[--country-column C --language-column C --agent-column C --invitations-column C] [--fatigue-days N]
[--since --until --where --where-not --survey-type --method --level --multiplicity --min-n --weighted --dedupe]
[--format table|json]``. The selection options are ``summary``'s (:func:`nps.cli.summary.selection`), so the
caveats are about the rows ``summary`` counts; ``--survey-type all`` blends the types (and is warned about).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nps.cli.output import say, to_json
from nps.cli.parser import UsageError
from nps.cli.source import open_source
from nps.cli.summary import selection


def add_caveats_parser(sub: Any, add_db: Callable[..., None], add_read_only: Callable[..., None],
                       add_selection: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``caveats`` on the command line's sub-parsers (the shared options come from the parser module)."""
    from nps.cli.parser import _add_mapping

    parser = sub.add_parser("caveats", help="how far to trust the numbers: response rate, sample vs population "
                            "(raking weights), culture, gaming, fatigue, pooled survey types")
    parser.add_argument("source", metavar="FILE_OR_DATASET")
    add_db(parser)
    _add_mapping(parser)
    add_table_options(parser)
    parser.add_argument("--by", action="append", default=[], metavar="COLUMN",
                        help="the view is split by this column (a country or language split gets the culture note)")
    for role, text in (("country", "the country column"), ("language", "the language column"),
                       ("agent", "the store, agent or function column looked at for gaming"),
                       ("invitations", "a per-row count of invitations (summed over the rows in view)")):
        parser.add_argument(f"--{role}-column", metavar="C",
                            help=f"{text} (default: found by its name; '' for none)")
    parser.add_argument("--fatigue-days", type=int, default=90, metavar="N",
                        help="survey fatigue: surveys per respondent in the last N days (default 90)")
    add_selection(parser)
    parser.add_argument("--format", choices=("table", "json"), default="table")
    add_read_only(parser)


def add_table_options(parser: argparse.ArgumentParser) -> None:
    """``--population FILE.csv`` and ``--invitations FILE.csv``: the caveats' optional tables (``caveats``, ``report``)."""
    parser.add_argument("--population", metavar="FILE.csv",
                        help="the population's shares: a CSV with columns column,value,share (composition and "
                             "raking weights, weighted NPS beside the unweighted one)")
    parser.add_argument("--invitations", metavar="FILE.csv",
                        help="invitations sent: a CSV with a column invitations, optionally one column of the "
                             "data (coverage by its values) and a column period (a date in the month: the trend)")


def read_tables(args: argparse.Namespace) -> tuple[Any, Any]:
    """The ``--population`` and ``--invitations`` tables, checked (:mod:`nps.caveats.tables`), None when not given;
    :class:`UsageError` for a missing file or a bad cell, naming the option, file, row and column."""
    from nps.caveats.tables import TableError, read_invitations, read_population

    out = []
    for option, path, read in (("--population", args.population, read_population),
                               ("--invitations", args.invitations, read_invitations)):
        if not path:
            out.append(None)
            continue
        if not Path(path).is_file():
            raise UsageError(f"{option} {path}: no such file")
        try:
            out.append(read(Path(path), f"{option} {path}"))
        except TableError as error:
            raise UsageError(str(error)) from None
    return out[0], out[1]


def run_caveats(args: argparse.Namespace) -> int:
    """``caveats``: compute and print the caveats of the selection; returns the exit status."""
    from nps.query.caveats import as_records, caveats

    from nps.query.caveats import stored_tables

    population, invitations = read_tables(args)
    con, ds = open_source(args, keep=None)
    try:
        kept = stored_tables(con, ds)  # the dataset's kept tables, unless given here
        population = population if population is not None else kept.population
        invitations = invitations if invitations is not None else kept.invitations
        chosen = selection(con, ds, args)
        try:
            found = caveats(con, ds, chosen.flt, chosen.opts, by=args.by, invitations=invitations,
                            population=population, invitation_column=args.invitations_column,
                            country=args.country_column, language=args.language_column, agent=args.agent_column,
                            fatigue_days=args.fatigue_days)
        except ValueError as error:
            raise UsageError(str(error)) from None
    finally:
        con.close()
    records = as_records(found)
    if args.format == "json":
        sys.stdout.write(to_json({"dataset": ds.name, "caveats": records, "warnings": chosen.warnings}))
        return 0
    lines = [f"{len(records)} caveat(s) for {ds.name}"]
    for record in records:
        lines.append(f"{record['severity'].upper():<5} {record['title']}")
        lines.append(f"      {record['sentence']}")
    for warning in chosen.warnings:
        lines.append(f"note: {warning}")
    say("\n".join(lines) + "\n")
    return 0
