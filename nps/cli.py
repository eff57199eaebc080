"""The command line: ``python -m nps ingest|summary|comments|datasets|sample``.

Exit status 0 on success, 2 on unusable input with a one-line message on stderr.
Text for people (tables, reports, warnings, errors) shows control characters from
the data written out (ESC as ``\\x1b``), so a file cannot recolour or hyperlink the
terminal; JSON stays JSON (control characters escaped as ``\\u001b``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib
import io
import json
import math
import re
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from nps import domain, store
from nps import format as fmt
from nps.control_chars import escape_for_terminal as _visible
from nps.errors import NpsError

if TYPE_CHECKING:
    import pandas as pd

    from nps.text import Codebook

STAT_KEYS = ("n", "promoters", "passives", "detractors", "nps", "se", "ci_low", "ci_high")
# JSON leaves DEL and the C1 controls raw (0x9b is an 8-bit CSI on some terminals): written as \u escapes.
_JSON_RAW_CONTROLS = re.compile("[\x7f-\x9f]")


class UsageError(NpsError):
    """The command line's words are off."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m nps``."""
    parser = argparse.ArgumentParser(prog="python -m nps", description="Passaparola: NPS survey analysis.")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="load a survey export into the database")
    ingest.add_argument("file")
    _add_db(ingest)
    ingest.add_argument("--name", help="dataset name (default: the file name)")
    _add_mapping(ingest)
    ingest.add_argument("--append-to", metavar="DATASET",
                        help="append the file as a new wave of this dataset (its id, or a name no other dataset has)")
    ingest.add_argument("--allow-duplicate", action="store_true", help="load a file even if it was loaded before")

    summary = sub.add_parser("summary", help="NPS with its interval, overall and by group or period")
    summary.add_argument("source", metavar="FILE_OR_DATASET")
    _add_db(summary)
    _add_mapping(summary)
    summary.add_argument("--by", action="append", default=[], metavar="COLUMN", help="group by this column (repeatable)")
    summary.add_argument("--period", choices=domain.GRAINS, help="one group per period of this length")
    summary.add_argument("--rolling", type=int, metavar="K", help="with --period: each period over the last K periods")
    summary.add_argument("--since", type=_date, help="first day counted (YYYY-MM-DD)")
    summary.add_argument("--until", type=_date, help="last day counted (YYYY-MM-DD)")
    summary.add_argument("--where", action="append", default=[], metavar="COLUMN=VALUE",
                         help="keep rows whose COLUMN equals VALUE (repeat a column for several values)")
    summary.add_argument("--where-not", action="append", default=[], metavar="COLUMN=VALUE",
                         help="drop rows whose COLUMN equals VALUE")
    summary.add_argument("--compare", choices=("previous", "last-year"),
                         help="change vs the previous period of the same length or the same period last year "
                              "(needs --since and --until)")
    summary.add_argument("--survey-type", metavar="VALUE",
                         help="with a survey-type column: the type to count (default: the most common; 'all' blends them)")
    summary.add_argument("--method", choices=domain.METHODS, default=domain.DEFAULT_METHOD)
    summary.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    summary.add_argument("--multiplicity", choices=domain.MULTIPLICITY,
                         help="control of many tests shown together (default: as the app: Benjamini-Hochberg for "
                              "groups vs the rest and period-to-period changes, Holm for changes vs --compare)")
    summary.add_argument("--min-n", type=int, default=30, help="groups below this n are flagged low_n (default 30)")
    summary.add_argument("--weighted", action="store_true", help="weight responses by the weight column")
    summary.add_argument("--dedupe", action="store_true", help="count only the latest response per respondent")
    summary.add_argument("--format", choices=("table", "json", "csv"), default="table")
    _add_read_only(summary)

    comments = sub.add_parser("comments", help="what the comments say: languages, themes, distinctive terms, "
                              "uncovered clusters")
    comments.add_argument("source", metavar="FILE_OR_DATASET")
    _add_db(comments)
    _add_mapping(comments)
    comments.add_argument("--by", metavar="COLUMN", help="also a theme table per value of this column")
    comments.add_argument("--codebook", metavar="FILE",
                          help="codebook YAML like data/codebook.yaml (default: the database's current codebook)")
    comments.add_argument("--format", choices=("table", "json"), default="table")
    _add_read_only(comments)

    datasets = sub.add_parser("datasets", help="list the datasets in the database")
    _add_db(datasets)
    _add_read_only(datasets)

    sample = sub.add_parser("sample", help="load the bundled sample data into the database")
    _add_db(sample)
    return parser


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", help=f"database file (default: ${store.DB_ENV} or data/passaparola.duckdb)")


def _add_read_only(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--read-only", action="store_true",
                        help="never write the database; while the app holds it, read the snapshot the app keeps "
                             "beside it (NAME.snapshot.duckdb)")


def _add_mapping(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sheet", help="XLSX sheet to read (default: the one holding the data)")
    parser.add_argument("--score-column", metavar="C", help="the 0-10 recommend question")
    parser.add_argument("--date-column", metavar="C")
    parser.add_argument("--comment-column", metavar="C")
    parser.add_argument("--respondent-column", metavar="C")
    parser.add_argument("--weight-column", metavar="C")
    parser.add_argument("--dimension", action="append", metavar="C", help="a dimension column (repeatable; replaces detection)")
    parser.add_argument("--date-order", choices=("dmy", "mdy", "ymd"), help="settle an ambiguous date column")
    parser.add_argument("--encoding", help="the text file's encoding, e.g. cp1252, cp850, utf-8 (default: detected)")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None


def _overrides(args: argparse.Namespace) -> Any:
    from nps.ingest import Overrides

    return Overrides(
        score=args.score_column,
        date=args.date_column,
        comment=args.comment_column,
        respondent=args.respondent_column,
        weight=args.weight_column,
        dimensions=tuple(args.dimension) if args.dimension else None,
        date_order=args.date_order,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "ingest":
            return _cmd_ingest(args)
        if args.command == "summary":
            return _cmd_summary(args)
        if args.command == "comments":
            return _cmd_comments(args)
        if args.command == "datasets":
            return _cmd_datasets(args)
        if args.command == "sample":
            return _cmd_sample(args)
    except store.DatabaseBusyError as error:
        print(f"error: {_one_line(str(error))}{_busy_advice(args, error)}", file=sys.stderr)
        return 2
    except NpsError as error:
        print(f"error: {_visible(_one_line(str(error)))}", file=sys.stderr)
        return 2
    except (duckdb.Error, OSError) as error:
        print(f"error: {_visible(_one_line(str(error)))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing was saved", file=sys.stderr)
        return 130
    finally:
        while _read_only_opened:
            _read_only_opened.pop().close()
    return 2


def _busy_advice(args: argparse.Namespace, error: store.DatabaseBusyError) -> str:
    """What to do about a database another process holds (the Passaparola app, usually)."""
    if "snapshot" in str(error):
        return ""
    if args.command in ("ingest", "sample"):
        return ": stop the app (or that process) to write to it from here, or load the file on the app's Upload page"
    return ": stop the app (or that process) to use it from here, or add --read-only to read the app's latest snapshot"


# Read-only databases opened by this run, closed (and private copies removed) when main() ends.
_read_only_opened: list[store.ReadOnlyDatabase] = []


def _connect(args: argparse.Namespace, *, writable_copy: bool = False) -> duckdb.DuckDBPyConnection:
    """The database of ``--db``: opened for writing, or with ``--read-only`` the database or its snapshot, read-only.

    Reading a snapshot says so on stderr, with its age.
    """
    if not getattr(args, "read_only", False):
        return store.connect(args.db)
    opened = store.connect_read_only(args.db, writable_copy=writable_copy)
    _read_only_opened.append(opened)
    if opened.busy is not None and opened.snapshot_taken is not None:
        age = max(0, int((dt.datetime.now() - opened.snapshot_taken).total_seconds()))
        ago = f"{age} s" if age < 120 else f"{age // 60} min" if age < 7200 else f"{age // 3600} h"
        print(f"note: {_one_line(str(opened.busy))}; reading its snapshot of "
              f"{opened.snapshot_taken:%Y-%m-%d %H:%M:%S} ({ago} old)", file=sys.stderr)
    return opened.con


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _say(text: str) -> None:
    """Write lines for people: every control character but the line breaks between them shown escaped."""
    sys.stdout.write("\n".join(_visible(line) for line in text.split("\n")))


def _json(value: Any) -> str:
    """``value`` as indented JSON in which no character a terminal acts on is left raw."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return _JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def _cmd_ingest(args: argparse.Namespace) -> int:
    from nps.ingest import ingest_file

    con = store.connect(args.db)
    try:
        append_to = store.find_dataset(con, args.append_to).id if args.append_to else None
        report = ingest_file(
            con, Path(args.file), name=args.name, sheet=args.sheet, overrides=_overrides(args),
            append_to=append_to, allow_duplicate=args.allow_duplicate, encoding=args.encoding,
        )
    finally:
        con.close()
    _say("\n".join(report.summary_lines()) + "\n")
    return 0


def _cmd_datasets(args: argparse.Namespace) -> int:
    con = _connect(args)
    try:
        rows = store.list_datasets(con)
    finally:
        con.close()
    if not rows:
        print("no datasets yet: load one with `python -m nps ingest FILE`")
        return 0
    for ds in rows:
        _say(f"{ds.id:>4}  {_visible(ds.name)}  ({ds.kind}; {ds.accepted} responses, {ds.rejected} rejected, "
             f"{ds.waves} wave(s); from {_visible(str(ds.source_file))})\n")
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from nps.sample.demo import load_sample

    con = store.connect(args.db)
    try:
        loaded = load_sample(con)
    finally:
        con.close()
    for ds in loaded:
        _say(f"loaded dataset {ds.id}: {_visible(ds.name)} ({ds.accepted} responses)\n")
    return 0


def _open_source(
    args: argparse.Namespace, keep: list[str] | None = None
) -> tuple[duckdb.DuckDBPyConnection, store.Dataset]:
    """The connection and dataset ``args.source`` names: a file loaded into memory, or a dataset of ``--db``.

    ``keep``: a file is loaded keeping only the columns with a role and these (the rest of each row is
    read and checked, not stored), since the in-memory dataset answers this one command.
    """
    source = Path(args.source)
    if source.is_file():
        from nps.ingest import ingest_file

        con = store.connect(":memory:")
        try:
            report = ingest_file(con, source, sheet=args.sheet, overrides=_overrides(args), allow_duplicate=True,
                                 encoding=args.encoding, keep=keep)
        except BaseException:
            con.close()
            raise
        return con, report.dataset
    if args.db is None and not store.default_db_path().exists():
        raise UsageError(f"{args.source}: no such file, and no database to find a dataset in")
    # ``comments`` stores the comment tags it computes: read-only, it works on a private copy.
    con = _connect(args, writable_copy=args.command == "comments")
    try:
        return con, store.get_dataset(con, args.source)
    except BaseException:
        con.close()
        raise


def _cmd_summary(args: argparse.Namespace) -> int:
    _import_meanwhile("pandas")  # the summary's tables need it only once the file is loaded
    named = [pair.split("=", 1)[0].strip() for pair in [*args.where, *args.where_not]]
    con, ds = _open_source(args, keep=[*args.by, *named])
    try:
        result = summarize(con, ds, args)
    finally:
        con.close()
    text = render(result, args.format, [by for by in args.by])
    if args.format == "table":
        _say(text)
    else:
        sys.stdout.write(text)
    return 0


def _import_meanwhile(module: str) -> None:
    """Import ``module`` in a background thread: loading a file leaves a core free while it samples and detects.

    Only third-party modules that never import ``nps``, so the two threads cannot wait on each other's imports.
    """

    def work() -> None:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - the main thread's own import of it reports the problem
            pass

    threading.Thread(target=work, name=f"import-{module}", daemon=True).start()


def summarize(con: duckdb.DuckDBPyConnection, ds: store.Dataset, args: argparse.Namespace) -> dict[str, Any]:
    """Compute the ``summary`` command's result as the fixed JSON structure."""
    from nps import stats
    from nps.query import queries
    from nps.query.filters import Filter
    from nps.query.periods import previous_period, same_period_last_year

    include = _where_pairs(ds, args.where)
    exclude = _where_pairs(ds, args.where_not)
    warnings = list(ds.warnings)
    _pick_survey_type(con, ds, getattr(args, "survey_type", None), include, warnings)
    flt = Filter.build(since=args.since, until=args.until, include=include, exclude=exclude)
    try:
        opts = queries.Options(method=args.method, level=args.level, min_n=args.min_n, weighted=args.weighted,
                               dedupe=args.dedupe, multiplicity=getattr(args, "multiplicity", None))
    except ValueError as error:
        raise UsageError(str(error)) from None
    by_stored = [store.resolve_column(ds, name) for name in args.by]
    if args.weighted and not ds.mapping.weight:
        raise UsageError("--weighted needs a weight column: load the file with --weight-column C")
    if args.dedupe and not ds.mapping.respondent:
        warnings.append("--dedupe: no respondent id column, so every response counts")
    compare = getattr(args, "compare", None)
    compare_flt = None
    if compare:
        if not (args.since and args.until):
            raise UsageError("--compare needs a period to compare: give --since and --until")
        since, until = (previous_period if compare == "previous" else same_period_last_year)(args.since, args.until)
        compare_flt = Filter.build(since=since, until=until, include=include, exclude=exclude)
    overall = queries.overall(con, ds, flt, opts)
    families: list[dict[str, Any]] = []
    overall_out: dict[str, Any] = {key: _plain(getattr(overall, key)) for key in STAT_KEYS}
    if compare_flt is not None:
        before = queries.overall(con, ds, compare_flt, opts)
        # As the Overview's tiles: the NPS change is tested together with the three shares' changes.
        tiles = queries.tile_changes(overall, before, opts)
        change = tiles["nps"]
        overall_out["change"] = {
            "since": compare_flt.since.isoformat() if compare_flt.since else None,
            "until": compare_flt.until.isoformat() if compare_flt.until else None,
            "previous_n": before.n, "previous_nps": _plain(before.nps),
            "diff": _plain(change.diff), "se": _plain(change.se), "ci_low": _plain(change.ci_low),
            "ci_high": _plain(change.ci_high), "p": _plain(change.p_value), "p_adjusted": _plain(change.p_adjusted),
            "significant": bool(change.significant),
        }
        families.append({"name": "overall_change", "method": change.multiplicity, "tests": change.tests,
                         "with": ["nps", "promoters", "passives", "detractors"]})
    frame = None
    if args.period:
        frame = queries.trend(con, ds, args.period, flt, opts, by=by_stored, rolling=args.rolling)
        if "family" in frame.attrs:
            families.append({"name": "period_change", **_family(frame.attrs["family"])})
    elif by_stored:
        frame = queries.breakdown(con, ds, by_stored, flt, opts)
        families.append({"name": "vs_rest", **_family(frame.attrs["family"])})
        if compare_flt is not None:
            previous = queries.breakdown(con, ds, by_stored, compare_flt, opts)
            frame = stats.add_change(frame, previous, by_stored, method=opts.method, level=opts.level,
                                     min_n=opts.min_n, multiplicity=opts.control(stats.DECISION))
            families.append({"name": "change", "method": opts.control(stats.DECISION),
                             "tests": int(frame["change_p"].notna().sum())})
    groups: list[dict[str, Any]] = []
    if frame is not None:
        for record in frame.to_dict("records"):
            group: dict[str, Any] = {}
            for given, stored in zip(args.by, by_stored):
                group[given] = _plain(record[stored])
            if args.period:
                group["period"] = _plain(record["period"])
            for key in STAT_KEYS:
                group[key] = _plain(record[key])
            group["low_n"] = bool(record["low_n"])
            if "vs_rest" in record:
                flag = None
                if record["vs_rest_significant"]:
                    flag = "above" if record["vs_rest"] > 0 else "below"
                group["vs_rest"] = {"diff": _plain(record["vs_rest"]), "se": _plain(record["vs_rest_se"]),
                                    "p": _plain(record["vs_rest_p"]), "p_adjusted": _plain(record["vs_rest_p_adjusted"]),
                                    "flag": flag}
            if "change_p_adjusted" in record:
                group["change"] = {"previous_n": int(record["prev_n"]), "previous_nps": _plain(record["prev_nps"]),
                                   "diff": _plain(record["change"]), "se": _plain(record["change_se"]),
                                   "ci_low": _plain(record["change_ci_low"]), "ci_high": _plain(record["change_ci_high"]),
                                   "p": _plain(record["change_p"]), "p_adjusted": _plain(record["change_p_adjusted"]),
                                   "significant": bool(record["change_significant"])}
            groups.append(group)
    if overall.n == 0:
        warnings.append("no responses match this filter")
    elif overall.low_n:
        warnings.append(f"only {overall.n} responses: fewer than {args.min_n}, the interval is wide")
    rejected = store.rejected_reasons(con, ds)
    mapping = ds.mapping
    methods = sorted({f["method"] for f in families})
    return {
        "source": {
            "file": ds.source_file,
            "layout": ds.layout,
            "encoding": ds.encoding,
            "rows_read": ds.rows_read,
            "columns": {
                "score": _label(ds, mapping.score),
                "date": _label(ds, mapping.date),
                "comment": _label(ds, mapping.comment),
                "dimensions": [_label(ds, d) for d in mapping.dimensions],
            },
        },
        "rejected": {"total": sum(rejected.values()), "reasons": rejected},
        "overall": overall_out,
        "groups": groups,
        "multiplicity": {
            "method": methods[0] if len(methods) == 1 else ("by display" if methods else opts.control(stats.SCREENING)),
            "level": opts.level,
            "tests": sum(int(f["tests"]) for f in families),
            "families": families,
        },
        "warnings": warnings,
    }


def _family(family: Any) -> dict[str, Any]:
    return {"method": family["method"], "tests": int(family["tests"])}


def _pick_survey_type(con: duckdb.DuckDBPyConnection, ds: store.Dataset, chosen: str | None,
                      include: dict[str, list[str]], warnings: list[str]) -> None:
    """As the app does: a dataset mixing survey types counts one (the most common, or ``chosen``), and says so."""
    from nps.query import queries

    column = ds.mapping.survey_type
    if not column or column in include:
        if chosen and not column:
            raise UsageError("--survey-type: this dataset has no survey-type column")
        return
    values = [str(v) for v in queries.dimension_values(con, ds, column)["value"]]
    if chosen == "all":
        if len(values) > 1:
            warnings.append(f"blending {len(values)} survey types ({', '.join(values)}) as asked (--survey-type all)")
        return
    if chosen is not None and chosen not in values:
        raise UsageError(f"--survey-type {chosen!r}: the column {column!r} holds {', '.join(values)}")
    if len(values) > 1 or chosen:
        pick = chosen or values[0]
        include[column] = [pick]
        if len(values) > 1:
            warnings.append(f"this dataset mixes {len(values)} survey types ({', '.join(values)}); counting "
                            f"{pick} only{'' if chosen else ' (the most common)'}, since blending them mixes "
                            "different questions: choose with --survey-type VALUE or 'all'")


def _label(ds: store.Dataset, column: str | None) -> str | None:
    return column


def _where_pairs(ds: store.Dataset, pairs: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"--where {pair!r}: write it as COLUMN=VALUE")
        name, value = pair.split("=", 1)
        out.setdefault(store.resolve_column(ds, name.strip()), []).append(value)
    return out


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar: numpy numbers to Python, NaN to None, dates to ISO text."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):  # pandas' Timestamp too
        midnight = value.time() == dt.time(0) and not getattr(value, "nanosecond", 0)
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def render(result: dict[str, Any], fmt: str, by: list[str]) -> str:
    """Render the summary as ``json``, ``csv`` (the groups, or the overall row) or an aligned ``table``."""
    if fmt == "json":
        return _json(result)
    rows = result["groups"] or [{"group": "overall", **result["overall"], "low_n": None}]
    if fmt == "csv":
        # Nested objects (vs_rest, change) become prefixed columns: vs_rest_p_adjusted, change_diff, …
        rows = [{f"{k}_{sub}" if isinstance(v, dict) else k: x
                 for k, v in row.items() for sub, x in (v.items() if isinstance(v, dict) else [(None, v)])}
                for row in rows]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0].keys()), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    return _table(result, by)


def _table(result: dict[str, Any], by: list[str]) -> str:
    src = result["source"]
    o = result["overall"]
    lines = [
        f"{src['file']}  ({src['layout']}, {src['encoding']}, {src['rows_read']} rows read)",
        f"score: {src['columns']['score']}   date: {src['columns']['date']}   comment: {src['columns']['comment']}",
    ]
    if result["rejected"]["total"]:
        reasons = ", ".join(f"{k} {v}" for k, v in result["rejected"]["reasons"].items())
        lines.append(f"rejected: {result['rejected']['total']} ({reasons})")
    lines.append(
        f"NPS {fmt.number(o['nps'])}  [{fmt.number(o['ci_low'])}, {fmt.number(o['ci_high'])}]  n {o['n']}  "
        f"(promoters {o['promoters']}, passives {o['passives']}, detractors {o['detractors']}; SE {fmt.number(o['se'])})"
    )
    if "change" in o:
        c = o["change"]
        lines.append(
            f"change vs {c['since']} – {c['until']} (NPS {fmt.number(c['previous_nps'])}, n {c['previous_n']}): "
            f"{fmt.number(c['diff'])}  [{fmt.number(c['ci_low'])}, {fmt.number(c['ci_high'])}]  adjusted p {fmt.p_value(c['p_adjusted'])}  "
            f"{'significant' if c['significant'] else 'within the noise'}"
        )
    if result["groups"]:
        keys = [k for k in result["groups"][0] if k not in STAT_KEYS and k not in ("low_n", "vs_rest", "change")]
        level = result.get("multiplicity", {}).get("level", 0.95)
        vs_rest = any("vs_rest" in g for g in result["groups"])
        changed = any("change" in g for g in result["groups"])
        header = [_visible(str(k)) for k in keys] + ["n", "NPS", f"{fmt.level(level)} CI", "P", "Pa", "D"] + (
            ["vs rest"] if vs_rest else []) + (["change", "adj. p"] if changed else []) + [""]
        body = []
        for g in result["groups"]:
            row = [_visible(str(g[k])) for k in keys] + [
                str(g["n"]), fmt.number(g["nps"]), f"[{fmt.number(g['ci_low'])}, {fmt.number(g['ci_high'])}]",
                str(g["promoters"]), str(g["passives"]), str(g["detractors"]),
            ]
            if vs_rest:
                v = g.get("vs_rest") or {}
                mark = {"above": " ▲", "below": " ▼"}.get(v.get("flag") or "", "")
                row.append(f"{fmt.number(v.get('diff'))}{mark}")
            if changed:
                c = g.get("change") or {}
                row += [f"{fmt.number(c.get('diff'))}{' *' if c.get('significant') else ''}", fmt.p_value(c.get("p_adjusted"))]
            row.append("low n" if g["low_n"] else "")
            body.append(row)
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines.append("")
        for r in [header, *body]:
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    m = result.get("multiplicity")
    if m and m["tests"]:
        # A terminal gets an ASCII hyphen in Benjamini-Hochberg.
        names = {k: v.replace("–", "-") for k, v in domain.MULTIPLICITY_NAMES.items()}
        parts = [f"{f['name'].replace('_', ' ')}: {names.get(f['method'], f['method'])}, {f['tests']} tests"
                 for f in m["families"]]
        lines.append(f"significance at {fmt.level(1 - m['level'])} after multiplicity control ({'; '.join(parts)}); "
                     "groups under the minimum n are not tested")
    for warning in result["warnings"]:
        lines.append(f"warning: {warning}")
    return "\n".join(lines) + "\n"


# --- comments ---------------------------------------------------------------------------------

# Each group costs a pass over the tags: a column with more values is not a grouping.
MAX_COMMENT_GROUPS = 100


def _cmd_comments(args: argparse.Namespace) -> int:
    con, ds = _open_source(args)
    try:
        if not ds.mapping.comment:
            if Path(args.source).is_file():
                raise UsageError(f"{args.source}: no comment column found; name it with --comment-column C")
            raise UsageError(f"dataset {ds.name!r} has no comment column; load its file again with --comment-column C")
        codebook = _comments_codebook(con, args.codebook)
        result, notes = _comments_result(con, ds, codebook, args.by)
    finally:
        con.close()
    if args.format == "json":
        sys.stdout.write(_json(result))
    else:
        _say(_comments_table(result, args.by, notes))
    return 0


def _comments_codebook(con: duckdb.DuckDBPyConnection, path: str | None) -> Codebook:
    """The codebook of ``--codebook FILE``, else the database's current one (the default file without it)."""
    import yaml

    from nps.text import load_codebook

    if path is not None:
        if not Path(path).is_file():
            raise UsageError(f"{path}: no such codebook file; give a YAML file shaped like data/codebook.yaml")
        try:
            return load_codebook(path)
        except yaml.YAMLError as error:
            raise UsageError(f"{path}: not valid YAML ({error}); fix the file or use data/codebook.yaml") from None
        except ValueError as error:
            raise UsageError(str(error)) from None
    from nps.store import codebooks

    return codebooks.current_codebook(con)


def comments_report(
    con: duckdb.DuckDBPyConnection, ds: store.Dataset, codebook: Codebook, *, by: str | None = None
) -> dict[str, Any]:
    """Compute the ``comments`` command's result as its fixed JSON structure.

    ``languages`` maps a language code (or ``unknown``) to its number of
    commented responses; ``themes`` is :func:`nps.query.themes.theme_summary` as
    records; ``distinctive`` the terms of :func:`nps.query.themes.distinctive_terms`
    per side; ``uncovered`` the clusters of :func:`nps.query.clusters.uncovered_clusters`;
    ``codebook_version`` the codebook's content hash. With ``by`` (a column),
    ``groups`` holds a theme table per value of it. Numbers are unrounded, NaN
    is None. Raises :class:`UsageError` for a column with more than
    :data:`MAX_COMMENT_GROUPS` values.
    """
    return _comments_result(con, ds, codebook, by)[0]


def _comments_result(
    con: duckdb.DuckDBPyConnection, ds: store.Dataset, codebook: Codebook, by: str | None
) -> tuple[dict[str, Any], list[str]]:
    """:func:`comments_report` and the notes a reader of the table should see."""
    from nps.query import clusters
    from nps.query import queries
    from nps.query import themes
    from nps.query.filters import Filter
    from nps.store.tagging import tag_dataset

    stored = store.resolve_column(ds, by) if by else None
    tag_dataset(con, ds, codebook)
    languages = _language_counts(con, ds, codebook)
    distinctive = themes.distinctive_terms(con, ds)
    found = clusters.uncovered_clusters(con, ds, codebook)
    notes = []
    if found and found[0].sampled:
        notes.append(f"uncovered comments grouped from a sample of {found[0].clustered} of {found[0].total}")
    result: dict[str, Any] = {
        "languages": {str(lang): int(n) for lang, n in zip(languages["language"], languages["n"])},
        "themes": _theme_records(themes.theme_summary(con, ds, codebook)),
        "distinctive": {
            side: [{"term": str(r["term"]), "score": _plain(r["score"])}
                   for r in distinctive[distinctive["side"] == side].to_dict("records")]
            for side in ("detractors", "promoters")
        },
        "uncovered": [
            {"terms": list(c.terms), "size": c.size, "examples": list(c.examples)} for c in found
        ],
        "codebook_version": codebook.version,
    }
    if stored is not None and by is not None:
        values = queries.dimension_values(con, ds, stored, limit=MAX_COMMENT_GROUPS + 1)
        if len(values) > MAX_COMMENT_GROUPS:
            raise UsageError(f"--by {by}: more than {MAX_COMMENT_GROUPS} values; pick a column with fewer")
        result["groups"] = [
            {by: str(value),
             "themes": _theme_records(themes.theme_summary(con, ds, codebook, Filter.build(include={stored: [value]})))}
            for value in values["value"]
        ]
    return result, notes


def _theme_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{key: _plain(value) for key, value in record.items()} for record in frame.to_dict("records")]


def _language_counts(con: duckdb.DuckDBPyConnection, ds: store.Dataset, codebook: Codebook) -> pd.DataFrame:
    """DataFrame[language, n]: commented responses per detected language, most first."""
    from nps.query import themes

    frame = themes.language_counts(con, ds, codebook, None)
    frame = frame.assign(language=frame["language"].fillna("unknown").astype(str), n=frame["n"].astype("int64"))
    return frame.sort_values(["n", "language"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _grid(header: list[str], rows: list[list[str]], right: frozenset[int] = frozenset()) -> list[str]:
    """Rows of cells as aligned plain-text lines (columns in ``right`` aligned right)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths))).rstrip()
        for r in [header, *rows]
    ]


def _theme_lines(records: list[dict[str, Any]]) -> list[str]:
    header = ["theme", "mentions", "share", "D", "Pa", "P", "NPS with", "without", "impact", "95% CI"]
    rows = [
        [_visible(r["theme"]), str(r["mentions"]), fmt.share(r["share"]), fmt.share(r["detractors"]), fmt.share(r["passives"]),
         fmt.share(r["promoters"]), fmt.number(r["nps_with"]), fmt.number(r["nps_without"]), fmt.number(r["impact"]),
         f"[{fmt.number(r['impact_ci_low'])}, {fmt.number(r['impact_ci_high'])}]"]
        for r in records
    ]
    return _grid(header, rows, right=frozenset(range(1, 9)))


def _comments_table(result: dict[str, Any], by: str | None, notes: list[str]) -> str:
    languages = result["languages"]
    lines = [
        f"{sum(languages.values())} comments; languages: "
        + (", ".join(f"{lang} {n}" for lang, n in languages.items()) or "none"),
        f"codebook {result['codebook_version'][:12]}",
        "",
        *_theme_lines(result["themes"]),
        "(share: of all comments; D / Pa / P: of each category's comments)",
    ]
    for side in ("detractors", "promoters"):
        terms = result["distinctive"][side][:10]
        lines.append("")
        lines.append(f"typical of {side}: " + (", ".join(f"{_visible(t['term'])} ({t['score']:.1f})" for t in terms) or "none"))
    lines.append("")
    if result["uncovered"]:
        lines.append("comments no theme covers, grouped:")
        for cluster in result["uncovered"]:
            lines.append(f"  {cluster['size']:>6}  " + ", ".join(_visible(t) for t in cluster["terms"]))
            lines.extend(f"          “{_visible(example)}”" for example in cluster["examples"])
    else:
        lines.append("comments no theme covers: too few or too varied to group")
    for group in result.get("groups", []):
        lines.append("")
        lines.append(f"{_visible(by)} = {_visible(str(group[by]))}")
        lines.extend(_theme_lines(group["themes"]))
    lines.extend(f"note: {note}" for note in notes)
    return "\n".join(lines) + "\n"
