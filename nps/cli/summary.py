"""The ``summary`` command: NPS with its interval, overall and by group or period, as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from dataclasses import dataclass
from typing import Any

import duckdb

from nps import domain, store
from nps import format as fmt
from nps.cli.output import to_json, plain, say
from nps.cli.parser import UsageError
from nps.cli.source import import_meanwhile, open_source
from nps.control_chars import escape_for_terminal as _visible


STAT_KEYS = ("n", "promoters", "passives", "detractors", "nps", "se", "ci_low", "ci_high")


def run_summary(args: argparse.Namespace) -> int:
    """``summary``: compute and print the summary of a file or a dataset; returns the exit status."""
    import_meanwhile("pandas")  # the summary's tables need it only once the file is loaded
    named = [pair.split("=", 1)[0].strip() for pair in [*args.where, *args.where_not]]
    con, ds = open_source(args, keep=[*args.by, *named])
    try:
        result = summarize(con, ds, args)
    finally:
        con.close()
    text = render(result, args.format, [by for by in args.by])
    if args.format == "table":
        say(text)
    else:
        sys.stdout.write(text)
    return 0


def summarize(con: duckdb.DuckDBPyConnection, ds: store.Dataset, args: argparse.Namespace) -> dict[str, Any]:
    """Compute the ``summary`` command's result as the fixed JSON structure."""
    from nps import stats
    from nps import query as queries
    from nps.query import anonymity, breakdowns

    chosen = selection(con, ds, args)
    flt, compare_flt, opts, warnings = chosen.flt, chosen.compare_flt, chosen.opts, chosen.warnings
    by_stored = [store.resolve_column(ds, name) for name in args.by]
    overall = queries.overall(con, ds, flt, opts)
    privacy = anonymity.privacy_of(ds)
    families: list[dict[str, Any]] = []
    overall_out: dict[str, Any] = {key: plain(getattr(overall, key)) for key in STAT_KEYS}
    if overall.suppressed and privacy is not None:
        overall_out = {"suppressed": True, "min_group": privacy.min_group}
        warnings.append(anonymity.selection_hidden_sentence(privacy))
    if compare_flt is not None:
        before = queries.overall(con, ds, compare_flt, opts)
        # As the Overview's tiles: the NPS change is tested together with the three shares' changes.
        tiles = queries.tile_changes(overall, before, opts)
        change = tiles["nps"]
        overall_out["change"] = {"suppressed": True} if overall.suppressed or before.suppressed else {
            "since": compare_flt.since.isoformat() if compare_flt.since else None,
            "until": compare_flt.until.isoformat() if compare_flt.until else None,
            "previous_n": before.n, "previous_nps": plain(before.nps),
            "diff": plain(change.diff), "se": plain(change.se), "ci_low": plain(change.ci_low),
            "ci_high": plain(change.ci_high), "p": plain(change.p_value), "p_adjusted": plain(change.p_adjusted),
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
        if compare_flt is None:
            frame = queries.breakdown(con, ds, by_stored, flt, opts)
        else:
            # Both periods counted first, the change computed, then the employee anonymity rule on both.
            frame = breakdowns.counted_breakdown(con, ds, by_stored, flt, opts)
        families.append({"name": "vs_rest", **_family(frame.attrs["family"])})
        if compare_flt is not None:
            previous = breakdowns.counted_breakdown(con, ds, by_stored, compare_flt, opts)
            frame = stats.add_change(frame, previous, by_stored, method=opts.method, level=opts.level,
                                     min_n=opts.min_n, multiplicity=opts.control(stats.DECISION))
            frame = anonymity.protect_changes(con, ds, by_stored, flt, compare_flt, opts, frame, previous)
            families.append({"name": "change", "method": opts.control(stats.DECISION),
                             "tests": int(frame["change_p"].notna().sum())})
    groups: list[dict[str, Any]] = []
    if frame is not None:
        for record in frame.to_dict("records"):
            group: dict[str, Any] = {}
            for given, stored in zip(args.by, by_stored):
                group[given] = plain(record[stored])
            if args.period:
                group["period"] = plain(record["period"])
            if record.get(anonymity.SUPPRESSED):
                group["suppressed"] = True
                groups.append(group)
                continue
            if privacy is not None:
                group["suppressed"] = False
            for key in STAT_KEYS:
                group[key] = plain(record[key])
            group["low_n"] = bool(record["low_n"])
            if "vs_rest" in record:
                flag = None
                if record["vs_rest_significant"]:
                    flag = "above" if record["vs_rest"] > 0 else "below"
                group["vs_rest"] = {"diff": plain(record["vs_rest"]), "se": plain(record["vs_rest_se"]),
                                    "p": plain(record["vs_rest_p"]), "p_adjusted": plain(record["vs_rest_p_adjusted"]),
                                    "flag": flag}
            if "change_p_adjusted" in record and _missing(record["prev_n"]):
                group["change"] = {"suppressed": True}
            elif "change_p_adjusted" in record:
                group["change"] = {"previous_n": int(record["prev_n"]), "previous_nps": plain(record["prev_nps"]),
                                   "diff": plain(record["change"]), "se": plain(record["change_se"]),
                                   "ci_low": plain(record["change_ci_low"]), "ci_high": plain(record["change_ci_high"]),
                                   "p": plain(record["change_p"]), "p_adjusted": plain(record["change_p_adjusted"]),
                                   "significant": bool(record["change_significant"])}
            groups.append(group)
    hidden = anonymity.hidden_count(frame) if frame is not None else 0
    if hidden and privacy is not None:
        warnings.append(anonymity.groups_hidden_sentence(hidden, privacy))
    if overall.suppressed:
        pass
    elif overall.n == 0:
        warnings.append("no responses match this filter")
    elif overall.low_n:
        warnings.append(f"only {overall.n} responses: fewer than {args.min_n}, the interval is wide")
    rejected = store.rejected_reasons(con, ds)
    mapping = ds.mapping
    methods = sorted({f["method"] for f in families})
    out = {
        "source": {
            "file": ds.source_file,
            "layout": ds.layout,
            "encoding": ds.encoding,
            "rows_read": ds.rows_read,
            "columns": {
                "score": mapping.score,
                "date": mapping.date,
                "comment": mapping.comment,
                "dimensions": list(mapping.dimensions),
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
    if privacy is not None:
        out["anonymity"] = privacy.describe()
    return out


@dataclass
class Selection:
    """The responses a command counts: the filter, the comparison filter (or None), the options, the warnings,
    and the ``--where`` / ``--where-not`` values by stored column (the survey type picked included)."""

    flt: Any
    compare_flt: Any
    opts: Any
    warnings: list[str]
    include: dict[str, list[str]]
    exclude: dict[str, list[str]]


def selection(con: duckdb.DuckDBPyConnection, ds: store.Dataset, args: argparse.Namespace) -> Selection:
    """What ``summary`` (and ``report``) count: ``--since/--until/--where/--where-not/--survey-type/--compare`` and the
    options ``--method/--level/--min-n/--weighted/--dedupe/--multiplicity``, checked as the app would."""
    from nps import query as queries
    from nps.query.filters import Filter
    from nps.query.periods import previous_period, same_period_last_year

    include = _where_pairs(ds, args.where)
    exclude = _where_pairs(ds, args.where_not)
    warnings = list(ds.warnings)
    _pick_survey_type(con, ds, getattr(args, "survey_type", None), include, warnings)
    try:
        flt = Filter.build(since=args.since, until=args.until, include=include, exclude=exclude)
        opts = queries.Options(method=args.method, level=args.level, min_n=args.min_n, weighted=args.weighted,
                               dedupe=args.dedupe, multiplicity=getattr(args, "multiplicity", None))
    except ValueError as error:
        raise UsageError(str(error)) from None
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
    return Selection(flt, compare_flt, opts, warnings, include, exclude)


def _missing(value: Any) -> bool:
    """True for a hidden number: None, pandas' NA or NaN."""
    import pandas as pd

    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _family(family: Any) -> dict[str, Any]:
    return {"method": family["method"], "tests": int(family["tests"])}


def _pick_survey_type(con: duckdb.DuckDBPyConnection, ds: store.Dataset, chosen: str | None,
                      include: dict[str, list[str]], warnings: list[str]) -> None:
    """As the app does: a dataset mixing survey types counts one (the most common, or ``chosen``), and says so."""
    from nps import query as queries

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


def _where_pairs(ds: store.Dataset, pairs: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"--where {pair!r}: write it as COLUMN=VALUE")
        name, value = pair.split("=", 1)
        out.setdefault(store.resolve_column(ds, name.strip()), []).append(value)
    return out


def render(result: dict[str, Any], fmt: str, by: list[str]) -> str:
    """Render the summary as ``json``, ``csv`` (the groups, or the overall row) or an aligned ``table``."""
    if fmt == "json":
        return to_json(result)
    rows = result["groups"] or [{"group": "overall", **result["overall"], "low_n": None}]
    if fmt == "csv":
        # Nested objects (vs_rest, change) become prefixed columns: vs_rest_p_adjusted, change_diff, …
        rows = [{f"{k}_{sub}" if isinstance(v, dict) else k: x
                 for k, v in row.items() for sub, x in (v.items() if isinstance(v, dict) else [(None, v)])}
                for row in rows]
        buffer = io.StringIO()
        # A hidden group has its keys and "suppressed" only: the columns are every row's, in order of appearance.
        fields = list(dict.fromkeys(k for row in rows for k in row))
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
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
    if o.get("suppressed"):
        lines.append(f"NPS hidden (fewer than {o['min_group']} respondents, or fewer than {o['min_group']} left out: "
                     "employee survey anonymity)")
    else:
        lines.append(
            f"NPS {fmt.number(o['nps'])}  {fmt.number_range(o['ci_low'], o['ci_high'])}  n {o['n']}  "
            f"(promoters {o['promoters']}, passives {o['passives']}, detractors {o['detractors']}; "
            f"SE {fmt.number(o['se'])})"
        )
    if "change" in o and not o["change"].get("suppressed"):
        c = o["change"]
        lines.append(
            f"change vs {c['since']} – {c['until']} (NPS {fmt.number(c['previous_nps'])}, n {c['previous_n']}): "
            f"{fmt.number(c['diff'])}  {fmt.number_range(c['ci_low'], c['ci_high'])}  adjusted p {fmt.p_value(c['p_adjusted'])}  "
            f"{'significant' if c['significant'] else 'within the noise'}"
        )
    if result["groups"]:
        keys = [k for k in result["groups"][0]
                if k not in STAT_KEYS and k not in ("low_n", "vs_rest", "change", "suppressed")]
        hidden_label = f"hidden (fewer than {(result.get('anonymity') or {}).get('min_group')} respondents)"
        level = result.get("multiplicity", {}).get("level", 0.95)
        vs_rest = any("vs_rest" in g for g in result["groups"])
        changed = any("change" in g for g in result["groups"])
        header = [_visible(str(k)) for k in keys] + ["n", "NPS", f"{fmt.level(level)} CI", "P", "Pa", "D"] + (
            ["vs rest"] if vs_rest else []) + (["change", "adj. p"] if changed else []) + [""]
        body = []
        for g in result["groups"]:
            if g.get("suppressed"):
                body.append([_visible(str(g[k])) for k in keys] + [hidden_label] + [""] * (len(header) - len(keys) - 1))
                continue
            row = [_visible(str(g[k])) for k in keys] + [
                str(g["n"]), fmt.number(g["nps"]), fmt.number_range(g["ci_low"], g["ci_high"]),
                str(g["promoters"]), str(g["passives"]), str(g["detractors"]),
            ]
            if vs_rest:
                v = g.get("vs_rest") or {}
                mark = {"above": " ▲", "below": " ▼"}.get(v.get("flag") or "", "")
                row.append(f"{fmt.number(v.get('diff'))}{mark}")
            if changed and (g.get("change") or {}).get("suppressed"):
                row += ["hidden", ""]
            elif changed:
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
