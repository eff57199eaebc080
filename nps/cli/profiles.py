"""The ``profiles`` command: who the promoters and detractors are, by value of the chosen columns.

``python -m nps profiles FILE_OR_DATASET [--by C]... [--codebook FILE] [--since --until --where --where-not
--survey-type --method --level --multiplicity --min-n --dedupe] [--format table|json]``: for each value, its share
among promoters, detractors and overall, both lifts with their intervals and flags
(:mod:`nps.query.profiles`), and the 7s and 8s per value; then what sets promoters and detractors apart
(:mod:`nps.query.apart`): the item ratings' means and differences, and the comment themes' shares and lifts.
Themes need the comments tagged with the codebook: the command tags them as ``comments`` does (once per
codebook version), except ``--read-only``, which uses the tags already there or says to tag first.
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
    profiles.add_argument("--codebook", metavar="FILE",
                          help="the themes' codebook (YAML); default: the database's current one")
    add_selection(profiles)
    profiles.add_argument("--format", choices=("table", "json"), default="table")
    add_read_only(profiles)


def run_profiles(args: argparse.Namespace) -> int:
    """``profiles``: the promoter and detractor profile of a file or a dataset, printed; returns the exit status."""
    from nps import store
    from nps.cli.source import open_source
    from nps.cli.summary import selection
    from nps.query import anonymity
    from nps.query.apart import what_sets_them_apart
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
        book, tag_note = _tagged_codebook(con, ds, args)
        apart = what_sets_them_apart(con, ds, chosen.flt, chosen.opts, codebook=book)
    finally:
        con.close()
    notes = list(chosen.warnings)
    if args.weighted:
        notes.append("--weighted: profiles count responses unweighted")
    hidden = anonymity.hidden_count(frame)
    if privacy is not None and hidden:
        notes.append(anonymity.groups_hidden_sentence(hidden, privacy, "value"))
    rows = [{k: plain(v) for k, v in rec.items()} for rec in frame.to_dict(orient="records")]
    out = {"family": frame.attrs.get("family"), "notes": notes, "values": rows,
           "apart": _apart_record(apart, [tag_note] if tag_note else [])}
    if args.format == "json":
        sys.stdout.write(to_json(out))
    else:
        say(as_table(out))
    return 0


def _tagged_codebook(con: Any, ds: Any, args: argparse.Namespace) -> tuple[Any, str | None]:
    """The codebook to read themes with (the comments tagged with it first), or None and the reason."""
    if not ds.mapping.comment:
        return None, None  # the engine's note says there is no comment column
    from nps.cli.comments import _comments_codebook, tagging_progress
    from nps.store.tagging import is_tagged, tag_dataset

    book = _comments_codebook(con, args.codebook)
    if not is_tagged(con, ds, book):
        if getattr(args, "read_only", False):
            return None, (f"themes left out: the comments are not tagged with codebook version {book.version[:12]} "
                          "(run python -m nps comments on the dataset first)")
        tag_dataset(con, ds, book, on_progress=tagging_progress(sys.stderr))
    return book, None


def _apart_record(apart: Any, notes: list[str]) -> dict[str, Any]:
    """The JSON of what sets them apart: family, codebook version, notes, items and themes (None without)."""
    def records(frame: Any) -> list[dict[str, Any]]:
        return [{k: plain(v) for k, v in rec.items()} for rec in frame.to_dict(orient="records")]

    return {"family": apart.family, "codebook_version": apart.codebook_version, "notes": [*apart.notes, *notes],
            "items": records(apart.items), "themes": None if apart.themes is None else records(apart.themes)}


def _signed(value: Any) -> str:
    return "–" if value is None else f"{value:+.2f}"


def _estimate(row: dict[str, Any], group: str, name: str, signed: bool) -> str:
    """An estimate, its interval and its flag for a terminal table: ``-1.34 [-1.36, -1.31] low``; ``–`` when hidden."""
    value = row[f"{group}_{name}"]
    if value is None:
        return "–"
    show = _signed if signed else (lambda v: fmt.number(v, digits=2))
    low, high = row[f"{group}_{name}_low"], row[f"{group}_{name}_high"]
    bounds = f" [{show(low)}, {show(high)}]" if low is not None else ""
    return f"{show(value)}{bounds} {row[f'{group}_flag']}".rstrip()


def _mean(value: Any, n: Any) -> str:
    return "–" if value is None else f"{value:.2f} ({n})"


def apart_table(apart: dict[str, Any]) -> list[str]:
    """What sets them apart for people: the items table, then the themes table (lines)."""
    family = apart["family"] or {}
    level = fmt.level(family.get("level", 0.95))
    lines = [f"What sets them apart ({level} intervals; high/low after {family.get('method', 'bh')} across "
             f"{family.get('tests', 0)} tests)"]
    if apart["items"]:
        rows = [[str(r["item"]), "–" if r["n"] is None else str(r["n"]),
                 "–" if r["mean_all"] is None else f"{r['mean_all']:.2f}",
                 _mean(r["mean_promoters"], r["n_promoters"]), _mean(r["mean_detractors"], r["n_detractors"]),
                 _estimate(r, "promoter", "diff", True), _estimate(r, "detractor", "diff", True)]
                for r in apart["items"]]
        lines += ["items: mean rating (n); difference of the group's mean from the rest's", *grid(
            ["item", "n", "all", "promoters", "detractors", "promoters - rest", "detractors - rest"], rows,
            right=frozenset({1, 2})), ""]
    if apart["themes"]:
        rows = [[str(r["theme"]), str(r["mentions"]), fmt.share(r["share_all"]), fmt.share(r["share_promoters"]),
                 fmt.share(r["share_detractors"]), _estimate(r, "promoter", "lift", False),
                 _estimate(r, "detractor", "lift", False)] for r in apart["themes"]]
        first = apart["themes"][0]
        lines += [f"themes: share of commented responses mentioning it (all {first['comments']}, promoters "
                  f"{first['promoter_comments']}, detractors {first['detractor_comments']}); lift = share among the "
                  "group's / share among all", *grid(
                      ["theme", "mentions", "all", "promoters", "detractors", "promoter lift", "detractor lift"], rows,
                      right=frozenset({1, 2, 3, 4})), ""]
    elif apart["themes"] == []:
        lines += ["themes: no comment in view mentions a theme of the codebook", ""]
    lines += [f"note: {n}" for n in apart["notes"]]
    return lines


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
    if "apart" in out:
        lines += ["", *apart_table(out["apart"])]
    return "\n".join(lines) + "\n"
