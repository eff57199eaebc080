"""The ``benchmarks`` command: external NPS benchmarks listed, added, imported from a CSV and removed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nps import store
from nps.cli.output import grid, say, to_json
from nps.cli.parser import UsageError
from nps.cli.source import cli_actor, connect
from nps.control_chars import escape_for_terminal as _visible
from nps.store import benchmarks

FORMATS: tuple[str, ...] = ("table", "json")


def add_benchmarks_parser(sub: Any, add_db: Callable[[argparse.ArgumentParser], None],
                          add_read_only: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``benchmarks list|add|import|remove`` on the command line's sub-parsers."""
    parser = sub.add_parser("benchmarks", help="external NPS benchmarks: where they come from and how they measured")
    verbs = parser.add_subparsers(dest="benchmarks_command", required=True)
    listing = verbs.add_parser("list", help="the stored benchmarks")
    listing.add_argument("--format", choices=FORMATS, default="table")
    add_db(listing)
    add_read_only(listing)
    add = verbs.add_parser("add", help="store one benchmark")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--nps", required=True, help="the benchmark's NPS, −100 to 100")
    add.add_argument("--source", required=True, help="who published it (a report, a study)")
    add.add_argument("--year", required=True, help="the year it was measured")
    add.add_argument("--method", required=True, choices=benchmarks.METHODS)
    add.add_argument("--country", help="the country it was measured in (needed to be comparable)")
    add.add_argument("--industry")
    add.add_argument("--touchpoint", help="the touchpoint it is for, if one")
    add.add_argument("--n", help="how many responses it rests on")
    add.add_argument("--fictitious", action="store_true", help="an example, never drawn as a reference")
    add_db(add)
    imported = verbs.add_parser("import", help="store every row of a CSV (name,nps,source,year,country,industry,"
                                               "touchpoint,method,n,fictitious)")
    imported.add_argument("file", metavar="FILE.csv")
    add_db(imported)
    remove = verbs.add_parser("remove", help="delete one benchmark by its number")
    remove.add_argument("id", type=int, metavar="ID")
    add_db(remove)


def run_benchmarks(args: argparse.Namespace) -> int:
    """``benchmarks list|add|import|remove``; returns the exit status."""
    command = args.benchmarks_command
    con = connect(args) if command == "list" else store.connect(args.db)
    try:
        if command == "list":
            found = benchmarks.list_benchmarks(con)
            if args.format == "json":
                sys.stdout.write(to_json({"benchmarks": benchmarks.as_rows(found)}))
            elif not found:
                say("no benchmarks yet (python -m nps benchmarks add or import)\n")
            else:
                header = ["id", "name", "nps", "method", "country", "industry", "touchpoint", "year", "n", "source"]
                rows = [[str(b.id), b.name + (" (fictitious)" if b.fictitious else ""), f"{b.nps:+.1f}", b.method,
                         b.country or "", b.industry or "", b.touchpoint or "", str(b.year),
                         f"{b.n:,}" if b.n else "", b.source] for b in found]
                say("\n".join(grid(header, rows, right=frozenset({0, 2, 8}))) + "\n")
            return 0
        if command == "add":
            made = benchmarks.add_benchmark(con, actor=cli_actor(), name=args.name, nps=args.nps, source=args.source,
                                            year=args.year, method=args.method, country=args.country,
                                            industry=args.industry, touchpoint=args.touchpoint, n=args.n,
                                            fictitious=args.fictitious)
            say(f"benchmark {made.id}: {_visible(made.label())}\n")
            return 0
        if command == "import":
            path = Path(args.file)
            if not path.is_file():
                raise UsageError(f"{args.file}: no such file")
            made_all = benchmarks.import_csv(con, path.read_text(encoding="utf-8-sig"), actor=cli_actor(),
                                             name=path.name)
            say(f"{len(made_all)} benchmark(s) imported from {_visible(path.name)}\n")
            return 0
        gone = benchmarks.remove_benchmark(con, args.id, actor=cli_actor())
        say(f"benchmark {gone.id} removed: {_visible(gone.label())}\n")
        return 0
    finally:
        con.close()
