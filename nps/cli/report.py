"""The ``report`` command: a review pack (PowerPoint deck or PDF) of a file or a dataset, or of a stored review.

``python -m nps report FILE_OR_DATASET [--review NAME [--on DATE] | --by COLUMN [--value V]...] [--period GRAIN]
[--since --until --where --where-not --compare --survey-type --method --level --multiplicity --min-n
--weighted --dedupe] [--population FILE.csv] [--invitations FILE.csv] --format pptx|pdf --out FILE
[--template DECK.pptx]``. ``--population`` and ``--invitations`` are ``caveats``' tables (the pack's
*How far to trust these numbers*). The selection options are
``summary``'s (:func:`nps.cli.summary.selection`), so without them the pack covers the rows ``summary``
would. The same arguments give the same numbers; every page names them (the provenance).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from nps import domain, store
from nps.cli.output import say
from nps.cli.parser import UsageError
from nps.cli.source import open_source
from nps.cli.summary import Selection, selection
from nps.narrative import column_label
from nps.store.targets import load_targets


def add_report_parser(sub: Any, add_db: Callable[..., None], add_read_only: Callable[..., None],
                      add_selection: Callable[[argparse.ArgumentParser], None],
                      as_date: Callable[[str], dt.date]) -> None:
    """Register ``report`` on the command line's sub-parsers (the shared options come from the parser module)."""
    from nps.cli.caveats import add_table_options
    from nps.cli.parser import _add_mapping

    report = sub.add_parser("report", help="a review pack: PowerPoint deck or PDF, one section per business function")
    report.add_argument("source", metavar="FILE_OR_DATASET")
    add_db(report)
    _add_mapping(report)
    which = report.add_mutually_exclusive_group()
    which.add_argument("--review", metavar="NAME", help="a stored review (python -m nps reviews): its dimension, "
                       "values, filters, meeting window and last decisions")
    which.add_argument("--by", metavar="COLUMN", help="one section per value of this column (default: the business "
                       "function column, as the Review meeting page)")
    report.add_argument("--value", action="append", default=[], metavar="VALUE",
                        help="with --by: only this value's section (repeatable)")
    report.add_argument("--on", type=as_date, metavar="DATE",
                        help="with --review: the meeting of this day (default: the next or current one)")
    report.add_argument("--breakdown-by", metavar="COLUMN",
                        help="the column each section is broken down by and its change explained by "
                             "(default: the first other dimension)")
    report.add_argument("--period", choices=domain.GRAINS, default="month", help="the trends' period (default month)")
    add_selection(report)
    report.add_argument("--codebook", metavar="FILE",
                        help="codebook YAML for the themes (default: the database's current codebook)")
    report.add_argument("--title", help="the pack's title (default: from the review or the dataset)")
    report.add_argument("--template", metavar="DECK.pptx",
                        help="with --format pptx: an organisation's PowerPoint template whose layouts are used")
    add_table_options(report)  # the caveats' tables, as `caveats` reads them
    report.add_argument("--format", choices=("pptx", "pdf"), required=True)
    report.add_argument("--out", metavar="FILE", required=True, help="where to write the pack")
    add_read_only(report)


def _text_of(chosen: Selection, label: Callable[[str], str]) -> str:
    parts = [f"{label(col)} = {' or '.join(vals)}" for col, vals in sorted(chosen.include.items())]
    parts += [f"{label(col)} ≠ {' or '.join(vals)}" for col, vals in sorted(chosen.exclude.items())]
    return "; ".join(parts) or "none"


def _window_text(since: dt.date | None, until: dt.date | None) -> str:
    if since is None and until is None:
        return "all responses"
    return f"{since.isoformat() if since else 'the first response'} to {until.isoformat() if until else 'the last'}"


def command_line(argv: list[str]) -> str:
    """The command that rebuilds a pack, as a shell line (``python -m nps`` and the arguments given)."""
    return "python -m nps " + " ".join(shlex.quote(a) for a in argv)


def run_report(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    """``report``: build the pack and write it to ``--out``; returns the exit status."""
    from nps.cli.caveats import read_tables
    from nps.report.assemble import make_pack, render

    template = None
    if args.template is not None:
        if args.format != "pptx":
            raise UsageError("--template is a PowerPoint file: it applies to --format pptx only")
        path = Path(args.template)
        if not path.is_file():
            raise UsageError(f"--template {args.template}: no such file")
        template = path.read_bytes()
    if args.value and not args.by:
        raise UsageError("--value needs --by COLUMN (the column whose values are the sections)")
    population, invitations = read_tables(args)
    con, ds = open_source(args, keep=None)  # every column: the caveats may read any (as `caveats` does)
    try:
        request, decisions, warnings = pack_request(con, ds, args, argv or sys.argv[1:])
        codebook = _codebook(con, ds, args)
        try:
            pack = make_pack(con, ds, request,
                             label=lambda c: column_label(c, ds.labels, among=ds.columns) if c else "",
                             codebook=codebook, decisions=decisions, invitations=invitations, population=population)
        except ValueError as error:  # a malformed --population or --invitations table
            raise UsageError(str(error)) from None
    finally:
        con.close()
    try:
        data = render(pack, args.format, template=template)
    except ValueError as error:
        raise UsageError(str(error)) from None
    Path(args.out).write_bytes(data)
    for line in warnings:
        print(f"note: {line}", file=sys.stderr)
    say(f"wrote {args.out}: {args.format} pack, {len(pack.sections)} section(s), {len(data):,} bytes\n")
    return 0


def _codebook(con: duckdb.DuckDBPyConnection, ds: store.Dataset, args: argparse.Namespace) -> Any:
    """The codebook the themes come from, the dataset's comments tagged with it (once); None without comments."""
    if ds.mapping.comment is None:
        return None
    from nps.cli.comments import _comments_codebook, tagging_progress
    from nps.store.tagging import tag_dataset

    codebook = _comments_codebook(con, args.codebook)
    tag_dataset(con, ds, codebook, on_progress=tagging_progress(sys.stderr))
    return codebook


def pack_request(con: duckdb.DuckDBPyConnection, ds: store.Dataset, args: argparse.Namespace,
                 argv: list[str]) -> tuple[Any, list[Any], list[str]]:
    """The :class:`nps.report.build.PackRequest` of the arguments (or of ``--review``), the decisions of the last
    meeting (``--review`` only) and the warnings to print."""
    from nps.query import review as review_reads
    from nps.report.build import PackRequest

    def label(column: str) -> str:
        return column_label(column, ds.labels, among=ds.columns)

    chosen = selection(con, ds, args)
    if args.review:
        return _review_request(con, ds, args, chosen, label, command_line(argv))
    dimension = store.resolve_column(ds, args.by) if args.by else review_reads.pick_review_dimension(ds)
    breakdown = store.resolve_column(ds, args.breakdown_by) if args.breakdown_by else None
    targets = load_targets(con, ds.id, dimension) if dimension else {}
    compare_text = "no comparison period"
    if chosen.compare_flt is not None:
        compare_text = (f"{'previous period' if args.compare == 'previous' else 'same period last year'} "
                        f"({_window_text(chosen.compare_flt.since, chosen.compare_flt.until)})")
    title = args.title or f"NPS review: {ds.name}"
    subtitle = " · ".join(p for p in (label(dimension) if dimension else "", _window_text(args.since, args.until)) if p)
    request = PackRequest(dimension=dimension, flt=chosen.flt, compare_flt=chosen.compare_flt, opts=chosen.opts,
                          values=tuple(args.value), grain=args.period, title=title, subtitle=subtitle,
                          targets=targets, filters_text=_text_of(chosen, label),
                          period_text=_window_text(args.since, args.until), comparison_text=compare_text,
                          command=command_line(argv), breakdown_by=breakdown)
    return request, [], chosen.warnings


def _review_request(con: duckdb.DuckDBPyConnection, ds: store.Dataset, args: argparse.Namespace, chosen: Selection,
                    label: Callable[[str], str], command: str) -> tuple[Any, list[Any], list[str]]:
    """``--review NAME [--on DATE]``: the review's meeting window, dimension, values and filters (and ``--where``)."""
    from nps.followup.sweep import load_calendar
    from nps.report.reviews import meeting_on, review_pack_request
    from nps.store import reviews

    if args.since or args.until or args.compare:
        raise UsageError("--review covers its meeting's window against the one before: leave out --since, --until "
                         "and --compare (choose the meeting with --on DATE)")
    review = reviews.require_review(con, args.review)
    if review.dataset_id != ds.id:
        raise UsageError(f"review {review.name!r} is on dataset #{review.dataset_id}, not on {ds.name!r} (#{ds.id})")
    calendar = load_calendar(con)
    meeting = args.on or meeting_on(review, dt.date.today(), calendar)
    if meeting is None:
        raise UsageError(f"review {review.name!r} has no meeting date; give one with --on DATE")
    targets = load_targets(con, ds.id, review.dimension) if review.dimension else {}
    request, decisions = review_pack_request(
        con, ds, review, meeting, opts=chosen.opts, grain=args.period, label=label, calendar=calendar,
        extra=chosen.include, targets=targets, command=command,
        breakdown_by=store.resolve_column(ds, args.breakdown_by) if args.breakdown_by else None)
    if args.title:
        from dataclasses import replace

        request = replace(request, title=args.title)
    return request, decisions, chosen.warnings
