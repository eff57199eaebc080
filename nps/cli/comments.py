"""The ``comments`` command: languages, themes, distinctive terms and uncovered clusters of the comments."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

import duckdb

from nps import store
from nps import format as fmt
from nps.cli.output import grid, to_json, plain, say
from nps.cli.parser import UsageError
from nps.cli.source import open_source
from nps.control_chars import escape_for_terminal as _visible

if TYPE_CHECKING:
    import pandas as pd

    from nps.text import Codebook


# Each group costs a pass over the tags: a column with more values is not a grouping.
MAX_COMMENT_GROUPS = 100


def run_comments(args: argparse.Namespace) -> int:
    """``comments``: tag the comments of a file or a dataset and print what they say; returns the exit status."""
    con, ds = open_source(args)
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
        sys.stdout.write(to_json(result))
    else:
        say(_comments_table(result, args.by, notes))
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


def tagging_progress(stream: TextIO) -> Callable[[int, int], None] | None:
    """The tagging step's progress on ``stream`` when it is a terminal (one line, rewritten), else None.

    Tagging is the one step of ``comments`` that writes (once per dataset and codebook
    version); a large dataset takes tens of seconds, so a person at a terminal sees it move.
    """
    if not stream.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        stream.write(f"\rtagging the themes of {total:,} comments (once per codebook version): {done:,} done{end}")
        stream.flush()

    return show


def _comments_result(
    con: duckdb.DuckDBPyConnection, ds: store.Dataset, codebook: Codebook, by: str | None
) -> tuple[dict[str, Any], list[str]]:
    """The ``comments`` command's result as its fixed JSON structure, and the notes a reader of the table should see.

    ``languages`` maps a language code (or ``unknown``) to its number of
    commented responses; ``themes`` is :func:`nps.query.themes.theme_summary` as
    records; ``distinctive`` the terms of :func:`nps.query.themes.distinctive_terms`
    per side; ``uncovered`` the clusters of :func:`nps.query.clusters.uncovered_clusters`;
    ``codebook_version`` the codebook's content hash. With ``by`` (a column),
    ``groups`` holds a theme table per value of it. Numbers are unrounded, NaN
    is None. Raises :class:`UsageError` for a column with more than
    :data:`MAX_COMMENT_GROUPS` values.
    """
    from nps.query import clusters
    from nps import query as queries
    from nps.query import themes
    from nps.query.filters import Filter
    from nps.store.tagging import tag_dataset

    stored = store.resolve_column(ds, by) if by else None
    tag_dataset(con, ds, codebook, on_progress=tagging_progress(sys.stderr))
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
            side: [{"term": str(r["term"]), "score": plain(r["score"])}
                   for r in distinctive[distinctive["side"] == side].to_dict("records")]
            for side in ("detractors", "promoters")
        },
        "uncovered": [
            {"terms": list(c.terms), "size": c.size, "examples": list(c.examples)} for c in found
        ],
        "codebook_version": codebook.version,
    }
    if ds.kind == "employee":
        result["min_comment_group"] = ds.privacy.min_comment_group
    if stored is not None and by is not None:
        values = queries.dimension_values(con, ds, stored, limit=MAX_COMMENT_GROUPS + 1)
        if len(values) > MAX_COMMENT_GROUPS:
            raise UsageError(f"--by {by}: more than {MAX_COMMENT_GROUPS} values; pick a column with fewer")
        result["groups"] = [_group_themes(con, ds, codebook, stored, by, str(value)) for value in values["value"]]
    return result, notes


def _group_themes(con: duckdb.DuckDBPyConnection, ds: store.Dataset, codebook: Codebook, stored: str, by: str,
                  value: str) -> dict[str, Any]:
    """One value's theme table, or ``"suppressed": true`` when the employee anonymity rule hides its comments."""
    from nps.query import anonymity, themes
    from nps.query.filters import Filter

    try:
        frame = themes.theme_summary(con, ds, codebook, Filter.build(include={stored: [value]}))
    except anonymity.CommentsHidden:
        return {by: value, "suppressed": True}
    return {by: value, "themes": _theme_records(frame)}


def _theme_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{key: plain(value) for key, value in record.items()} for record in frame.to_dict("records")]


def _language_counts(con: duckdb.DuckDBPyConnection, ds: store.Dataset, codebook: Codebook) -> pd.DataFrame:
    """DataFrame[language, n]: commented responses per detected language, most first."""
    from nps.query import themes

    frame = themes.language_counts(con, ds, codebook, None)
    frame = frame.assign(language=frame["language"].fillna("unknown").astype(str), n=frame["n"].astype("int64"))
    return frame.sort_values(["n", "language"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _theme_lines(records: list[dict[str, Any]]) -> list[str]:
    header = ["theme", "mentions", "share", "D", "Pa", "P", "NPS with", "without", "impact", "95% CI"]
    rows = [
        [_visible(r["theme"]), str(r["mentions"]), fmt.share(r["share"]), fmt.share(r["detractors"]), fmt.share(r["passives"]),
         fmt.share(r["promoters"]), fmt.number(r["nps_with"]), fmt.number(r["nps_without"]), fmt.number(r["impact"]),
         fmt.number_range(r["impact_ci_low"], r["impact_ci_high"])]
        for r in records
    ]
    return grid(header, rows, right=frozenset(range(1, 9)))


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
        lines.append(f"typical of {side}: " + (", ".join(f"{_visible(t['term'])} ({fmt.number(t['score'])})" for t in terms) or "none"))
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
        if group.get("suppressed"):
            lines.append(f"  hidden (fewer than {result.get('min_comment_group')} respondents: employee survey anonymity)")
            continue
        lines.extend(_theme_lines(group["themes"]))
    lines.extend(f"note: {note}" for note in notes)
    return "\n".join(lines) + "\n"
