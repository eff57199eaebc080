"""The ``indicators`` command: the indicators to monitor, added, listed, checked (their last change) and removed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from nps import store
from nps.errors import NpsError
from nps.cli.output import grid, say, to_json
from nps.cli.source import cli_actor, connect
from nps.control_chars import escape_for_terminal as _visible
from nps.store import indicators

FORMATS: tuple[str, ...] = ("table", "json")


def add_indicators_parser(sub: Any, add_db: Callable[..., None], add_read_only: Callable[..., None],
                          add_selection: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``indicators add|list|check|remove`` on the command line's sub-parsers."""
    from nps import domain

    parser = sub.add_parser("indicators",
                            help="indicators to monitor: an NPS of some responses, a theme's share or an item's mean")
    verbs = parser.add_subparsers(dest="indicators_command", required=True)
    add = verbs.add_parser("add", help="define an indicator on a dataset")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--dataset", required=True, metavar="DATASET", help="its id or name")
    add.add_argument("--kind", choices=indicators.KINDS, default=indicators.NPS)
    add.add_argument("--on", action="append", default=[], metavar="COLUMN=VALUE",
                     help="the responses it follows (repeatable; none: the whole dataset)")
    add.add_argument("--theme", help="with --kind theme: the codebook theme whose share of detractors' comments it follows")
    add.add_argument("--item", metavar="COLUMN",
                     help="with --kind item: the item rating (one of the dataset's items) whose mean it follows")
    add.add_argument("--threshold", type=float,
                     help="alarm level: an NPS or an item's mean below it, a theme share (%%) above it")
    add.add_argument("--target", type=float, help="what it should reach")
    add.add_argument("--owner", help="who answers for it (an e-mail)")
    add_db(add)
    listing = verbs.add_parser("list", help="the indicators")
    listing.add_argument("--dataset", metavar="DATASET")
    listing.add_argument("--format", choices=FORMATS, default="table")
    add_db(listing)
    add_read_only(listing)
    check = verbs.add_parser("check", help="each indicator's last periods and whether it deteriorated significantly")
    check.add_argument("source", metavar="DATASET")
    check.add_argument("--period", choices=domain.GRAINS, default="month")
    check.add_argument("--periods", type=int, default=6, help="how many periods to show (default 6)")
    add_selection(check)
    check.add_argument("--format", choices=FORMATS, default="table")
    check.add_argument("--notify", action="store_true",
                       help="also e-mail each flagged indicator's owner (once per period; needs the outbox's settings)")
    add_db(check)
    add_read_only(check)
    remove = verbs.add_parser("remove", help="delete an indicator by its number")
    remove.add_argument("id", type=int, metavar="ID")
    add_db(remove)


def _pairs(pairs: list[str]) -> dict[str, list[str]]:
    from nps.cli.parser import UsageError

    out: dict[str, list[str]] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"--on {pair!r}: write it as COLUMN=VALUE")
        column, value = pair.split("=", 1)
        out.setdefault(column.strip(), []).append(value)
    return out


def _item(ds: store.Dataset, item: str | None) -> str | None:
    """``--item`` as the stored column name (a readable name or label is resolved as ``--on`` columns are)."""
    if not item:
        return item
    try:
        return store.resolve_column(ds, item)
    except NpsError:
        return item  # add_indicator names the dataset's items


def run_indicators(args: argparse.Namespace) -> int:
    """``indicators add|list|check|remove``; returns the exit status."""
    command = args.indicators_command
    if command == "check":
        return _check(args)
    con = connect(args) if command == "list" else store.connect(args.db)
    try:
        if command == "add":
            ds = store.find_dataset(con, args.dataset)
            from nps.query.indicators import define  # an item indicator with its item's scale

            made = define(con, dataset_id=ds.id, name=args.name, kind=args.kind,
                          conditions={store.resolve_column(ds, c): v for c, v in _pairs(args.on).items()},
                          theme=args.theme, threshold=args.threshold, target=args.target, owner=args.owner,
                          item=_item(ds, args.item), actor=cli_actor())
            say(f"indicator {made.id}: {_visible(made.name)} ({made.kind}) on {_visible(ds.name)}\n")
        elif command == "list":
            ds_id = store.find_dataset(con, args.dataset).id if args.dataset else None
            found = indicators.list_indicators(con, ds_id)
            if args.format == "json":
                sys.stdout.write(to_json({"indicators": [i.describe() for i in found]}))
            elif not found:
                say("no indicators yet (python -m nps indicators add)\n")
            else:
                rows = [[str(i.id), i.name, i.kind, "; ".join(f"{c} = {' or '.join(v)}" for c, v in i.conditions) or "all",
                         i.theme or i.item or "", "" if i.threshold is None else f"{i.threshold:g}",
                         "" if i.target is None else f"{i.target:g}", i.owner or ""] for i in found]
                say("\n".join(grid(["id", "name", "kind", "on", "theme or item", "threshold", "target", "owner"], rows))
                    + "\n")
        else:
            gone = indicators.remove_indicator(con, args.id, actor=cli_actor())
            say(f"indicator {gone.id} removed: {_visible(gone.name)}\n")
        return 0
    finally:
        con.close()


def _check(args: argparse.Namespace) -> int:
    from nps.cli.summary import selection
    from nps.query.indicators import evaluate
    from nps.store.codebooks import current_codebook
    from nps.store.tagging import tag_dataset

    con = connect(args, writable_copy=True)
    try:
        ds = store.find_dataset(con, args.source)
        chosen = selection(con, ds, args)
        found = indicators.list_indicators(con, ds.id)
        codebook = None
        if ds.mapping.comment is not None and any(i.kind == indicators.THEME for i in found):
            codebook = current_codebook(con)
            tag_dataset(con, ds, codebook)
        statuses = evaluate(con, ds, found, chosen.flt, args.period, chosen.opts, codebook=codebook,
                            periods=args.periods)
        if args.notify:
            import datetime as dt

            from nps.monitoring import enqueue_flags

            queued = enqueue_flags(con, ds, statuses, dt.datetime.now().replace(microsecond=0))
            print(f"note: {queued} e-mail(s) to owners queued (python -m nps follow-up deliver sends them)",
                  file=sys.stderr)
    finally:
        con.close()
    if args.format == "json":
        sys.stdout.write(to_json({"indicators": [{
            "id": s.indicator.id, "name": s.indicator.name, "kind": s.indicator.kind, "theme": s.indicator.theme,
            "item": s.indicator.item, "scale": list(s.scale) if s.scale else None, "unit": s.unit,
            "series": [{"period": p.period, "n": p.n, "value": p.value, "low": p.low, "high": p.high} for p in s.series],
            "change": s.change, "change_low": s.change_low, "change_high": s.change_high, "p": s.p,
            "p_adjusted": s.p_adjusted, "deteriorated": s.deteriorated, "alarm": s.alarm, "gap_to_target": s.gap,
            "owner": s.indicator.owner, "sentence": s.sentence} for s in statuses],
            "multiplicity": chosen.opts.control("bh"), "level": chosen.opts.level, "warnings": chosen.warnings}))
    elif not statuses:
        say("no indicators on this dataset (python -m nps indicators add)\n")
    else:
        lines = [f"{'⚠ ' if s.deteriorated or s.alarm else ''}{_visible(s.indicator.name)}: {_visible(s.sentence)}"
                 for s in statuses]
        say("\n".join(lines) + "\n")
    return 0
