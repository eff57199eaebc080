"""The ``profiles`` command: who the promoters and detractors are, by value of the chosen columns.

``python -m nps profiles FILE_OR_DATASET [--by C]... [--since --until --where --where-not --survey-type
--method --level --multiplicity --min-n --dedupe] [--format table|json]``: for each value, its share
among promoters, detractors and overall, both lifts with their intervals and flags
(:mod:`nps.query.profiles`), and the 7s and 8s per value.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from nps import format as fmt
from nps.cli.output import grid, plain, say, to_json
from nps.cli.parser import UsageError


def add_profiles_parser(sub: Any, add_db: Callable[..., None], add_read_only: Callable[..., None],
                        add_selection: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``profiles`` on the command line's sub-parsers (the shared options come from the parser module)."""
    from nps.cli.parser import _add_mapping

    profiles = sub.add_parser("profiles", help="who the promoters and detractors are: each value's lift, and the 7s and "
                                               "8s per value")
    profiles.add_argument("source", metavar="FILE_OR_DATASET")
    add_db(profiles)
    _add_mapping(profiles)
    profiles.add_argument("--by", action="append", default=[], metavar="C",
                          help="a column to profile (repeatable; default: the dataset's dimensions)")
    add_selection(profiles)
    profiles.add_argument("--format", choices=("table", "json"), default="table")
    add_read_only(profiles)


def run_profiles(args: argparse.Namespace) -> int:
    """``profiles``: the promoter and detractor profile of a file or a dataset, printed; returns the exit status."""
    from nps import store
    from nps.cli.source import open_source
    from nps.cli.summary import selection
    from nps.query import anonymity
    from nps.query.profiles import profiles

    con, ds = open_source(args)
    try:
        by = [store.resolve_column(ds, b) for b in args.by] or None
        chosen = selection(con, ds, args)
        try:
            frame = profiles(con, ds, by, chosen.flt, chosen.opts)
        except ValueError as error:
            raise UsageError(str(error)) from None
        privacy = anonymity.privacy_of(ds)
    finally:
        con.close()
    notes = list(chosen.warnings)
    if args.weighted:
        notes.append("--weighted: profiles count responses unweighted")
    hidden = anonymity.hidden_count(frame)
    if privacy is not None and hidden:
        notes.append(anonymity.groups_hidden_sentence(hidden, privacy, "value"))
    rows = [{k: plain(v) for k, v in rec.items()} for rec in frame.to_dict(orient="records")]
    out = {"family": frame.attrs.get("family"), "notes": notes, "values": rows}
    if args.format == "json":
        sys.stdout.write(to_json(out))
    else:
        say(as_table(out))
    return 0


def _lift(row: dict[str, Any], group: str) -> str:
    if row.get("suppressed") or row[f"{group}_lift"] is None:
        return "–"
    text = f"{fmt.number(row[f'{group}_lift'], digits=2)} {fmt.number_range(row[f'{group}_lift_low'], row[f'{group}_lift_high'], digits=2)}"
    return f"{text} {row[f'{group}_flag']}".rstrip()


def as_table(out: dict[str, Any]) -> str:
    """The profile for people: one table per column (shares, lifts with intervals and flags, 7s and 8s)."""
    lines: list[str] = []
    family = out["family"] or {}
    header = ["value", "n", "overall", "promoters", "detractors", "promoter lift", "detractor lift", "7s", "8s"]
    for dimension in dict.fromkeys(r["dimension"] for r in out["values"]):
        rows = []
        for r in (r for r in out["values"] if r["dimension"] == dimension):
            if r.get("suppressed"):
                rows.append([str(r["value"]), "hidden", "", "", "", "", "", "", ""])
                continue
            rows.append([str(r["value"]), str(r["n"]), fmt.share(r["share_overall"]), fmt.share(r["share_promoters"]),
                         fmt.share(r["share_detractors"]), _lift(r, "promoter"), _lift(r, "detractor"),
                         f"{r['sevens']} ({fmt.share(r['sevens_share'])})", f"{r['eights']} ({fmt.share(r['eights_share'])})"])
        lines += [f"{dimension}", *grid(header, rows, right=frozenset({1, 2, 3, 4})), ""]
    lines.append(f"lift = share among promoters (detractors) / share overall; high/low after "
                 f"{family.get('method', 'bh')} across {family.get('tests', 0)} tests")
    lines += [f"note: {n}" for n in out["notes"]]
    return "\n".join(lines) + "\n"
