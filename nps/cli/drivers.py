"""The ``drivers`` command: which item ratings drive the score (key-driver analysis), as a table or JSON.

``python -m nps drivers FILE_OR_DATASET [--items C]... [--by C] [--since --until --where --where-not
--survey-type --dedupe] [--method lmg|logistic] [--level L] [--bootstrap N] [--seed S] [--simple]
--format table|json``.
The items are the mapping's item ratings (detected, or ``--item-column`` on a file) unless ``--items`` names
them; the rows counted are chosen as ``summary`` chooses them (:func:`nps.cli.summary.selection`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from nps import domain, store
from nps.cli.output import grid, plain, say, to_json
from nps.cli.parser import UsageError
from nps.cli.source import open_source
from nps.cli.summary import selection


def add_drivers_parser(sub: Any, add_db: Callable[..., None], add_read_only: Callable[..., None],
                       as_date: Callable[[str], Any]) -> None:
    """Register ``drivers`` on the command line's sub-parsers (the shared options come from the parser module)."""
    from nps.cli.parser import _add_mapping
    from nps.drivers import METHODS

    drivers = sub.add_parser("drivers", help="key drivers: how much of the score each item rating explains (LMG), "
                             "with intervals and the importance × performance quadrant")
    drivers.add_argument("source", metavar="FILE_OR_DATASET")
    add_db(drivers)
    _add_mapping(drivers)
    drivers.add_argument("--items", action="append", default=[], metavar="C",
                         help="an item rating to explain the score with (repeatable; default: the detected items)")
    drivers.add_argument("--by", metavar="C", help="one analysis per value of this column")
    drivers.add_argument("--since", type=as_date, help="first day counted (YYYY-MM-DD)")
    drivers.add_argument("--until", type=as_date, help="last day counted (YYYY-MM-DD)")
    drivers.add_argument("--where", action="append", default=[], metavar="COLUMN=VALUE",
                         help="keep rows whose COLUMN equals VALUE (repeat a column for several values)")
    drivers.add_argument("--where-not", action="append", default=[], metavar="COLUMN=VALUE",
                         help="drop rows whose COLUMN equals VALUE")
    drivers.add_argument("--survey-type", metavar="VALUE",
                         help="with a survey-type column: the type to count (default: the most common; 'all' blends them)")
    drivers.add_argument("--dedupe", action="store_true", help="count only the latest response per respondent")
    drivers.add_argument("--method", choices=METHODS, default="lmg",
                         help="lmg: shares of the 0-10 score's R² (default); logistic: of promoter vs not "
                              "(McFadden's pseudo-R², at most 6 items)")
    drivers.add_argument("--level", type=float, default=0.95, help="the bootstrap interval's level (default 0.95)")
    drivers.add_argument("--bootstrap", type=int, default=200, metavar="N", help="bootstrap resamples (default 200)")
    drivers.add_argument("--seed", type=int, default=0, help="the bootstrap's seed (default 0)")
    drivers.add_argument("--simple", action="store_true",
                         help="the quadrant's importance is each item's plain correlation with the score")
    drivers.add_argument("--format", choices=("table", "json"), default="table")
    add_read_only(drivers)


def run_drivers(args: argparse.Namespace) -> int:
    """``drivers``: compute and print the key drivers of a file or a dataset; returns the exit status."""
    named = [pair.split("=", 1)[0].strip() for pair in [*args.where, *args.where_not]]
    con, ds = open_source(args, keep=[*args.items, *([args.by] if args.by else []), *named])
    try:
        result = drivers_result(con, ds, args)
    finally:
        con.close()
    if args.format == "json":
        sys.stdout.write(to_json(result))
    else:
        say(render_table(result, args.by))
    return 0


def drivers_result(con: Any, ds: store.Dataset, args: argparse.Namespace) -> dict[str, Any]:
    """Compute the ``drivers`` command's result as its fixed JSON structure."""
    from nps.drivers import key_drivers, key_drivers_by
    from nps.query import anonymity
    from nps.query.drivers import item_frame

    if args.bootstrap < 0:
        raise UsageError("--bootstrap: give 0 or more resamples")
    if not 0 < args.level < 1:
        raise UsageError("--level is between 0 and 1, e.g. 0.95")
    items = [store.resolve_column(ds, name) for name in args.items] or list(ds.mapping.items)
    if not items:
        raise UsageError("no item rating columns: this dataset has none detected; name them with --items C "
                         "(or load the file with --item-column C)")
    if len(set(items)) != len(items):
        raise UsageError("--items: each item once")
    by = store.resolve_column(ds, args.by) if args.by else None
    # summary's selection, with the NPS options it needs left at their defaults.
    chosen = selection(con, ds, argparse.Namespace(**{**vars(args), "method": domain.DEFAULT_METHOD, "min_n": 30,
                                                      "weighted": False, "compare": None, "multiplicity": None}))
    privacy = anonymity.privacy_of(ds)
    min_n = max(30, privacy.min_group) if privacy is not None else 30
    frame = item_frame(con, ds, items, chosen.flt, chosen.opts, by=by)
    options: dict[str, Any] = {"method": args.method, "level": args.level, "bootstrap": args.bootstrap,
                               "seed": args.seed, "min_n": min_n}
    if by is None:
        one = _one(key_drivers(frame, items, **options), args.simple)
        return {**one, "warnings": [*chosen.warnings, *one["warnings"]]}
    groups = []
    for value, result in key_drivers_by(frame, items, by, **options):
        groups.append({args.by: plain(value), **_one(result, args.simple)})
    return {"outcome": "score", "method": args.method, "warnings": chosen.warnings, "groups": groups}


def _one(result: Any, simple: bool = False) -> dict[str, Any]:
    from nps.drivers import importance_performance

    mode = "correlation" if simple else "drivers"
    quadrant = {row["item"]: row for row in importance_performance(result, mode=mode).to_dict("records")}
    return {
        "outcome": result.outcome, "method": result.method, "n": result.n, "r2": plain(result.r2),
        "dropped_missing": result.dropped_missing, "warnings": list(result.warnings),
        "drivers": [{"item": d.item, "importance": plain(d.importance), "importance_low": plain(d.importance_low),
                     "importance_high": plain(d.importance_high), "mean": plain(d.mean), "direction": d.direction,
                     "share": plain(d.share), "correlation": plain(d.correlation),
                     "performance": plain(quadrant[d.item]["performance"]),
                     "quadrant": quadrant[d.item]["quadrant"]}
                    for d in result.drivers],
    }


def render_table(result: dict[str, Any], by: str | None) -> str:
    """The result as aligned tables for people: one per group with ``--by``, then the warnings."""
    blocks = []
    for group in result.get("groups", [result]):
        title = f"{by} = {group[by]}" if by else "all responses"
        if group["drivers"]:
            head = f"{title}: n = {group['n']}, R² = {group['r2']:.3f} ({group['method']})"
            rows = [[d["item"], f"{d['importance']:.3f}", f"{d['importance_low']:.3f}–{d['importance_high']:.3f}",
                     f"{d['share']:.0%}", f"{d['mean']:.2f}", d["direction"], d["quadrant"]] for d in group["drivers"]]
            lines = grid(["item", "importance", "interval", "share", "mean", "direction", "quadrant"], rows,
                         right=frozenset({1, 2, 3, 4}))
            blocks.append("\n".join([head, *lines]))
        else:
            blocks.append(f"{title}: n = {group['n']}, not computed")
        if by:
            blocks[-1] += "".join(f"\n  note: {w}" for w in group["warnings"])
    tail = "".join(f"\nnote: {w}" for w in result["warnings"])
    return "\n\n".join(blocks) + tail + "\n"
