"""Which column is the response date, how its values are written, and which of day and month comes first."""

from __future__ import annotations

import duckdb

from nps.store import sql
from nps.ingest.profiling import ColumnProfile, percent
from nps.ingest import values
from nps.ingest import vocabulary


def guess_language_dayfirst(texts: list[str]) -> bool:
    """True when the headers read more Italian/French/German/Spanish/Portuguese than English."""
    joined = " | ".join(texts)
    other = sum(len(rx.findall(joined)) for rx in vocabulary.LANGUAGE_CUES.values())
    english = len(vocabulary.ENGLISH_CUES.findall(joined))
    return other > english


def _date_level(p: ColumnProfile) -> int:
    texts = [t for t in (p.name, p.header, p.label or "") if t]
    if any(vocabulary.DATE_ANSWER.search(t) for t in texts):
        level = 4
    elif any(vocabulary.DATE_BEST.search(t) for t in texts):
        level = 3
    elif any(vocabulary.DATE_GOOD.search(t) for t in texts):
        level = 2
    elif any(vocabulary.DATE_NAME.search(t) for t in texts):
        level = 1
    else:
        level = 0
    if any(vocabulary.DATE_WORSE.search(t) for t in texts):
        level -= 2
    return level


def _date_kind(p: ColumnProfile, level: int) -> tuple[str | None, int]:
    """The date kind the column's values fit (with how many fit), or None."""
    if p.nonblank == 0:
        return None, 0
    text_ok = max(p.dmy_ok, p.mdy_ok)
    if text_ok >= 0.9 * p.nonblank and (p.ymd or p.day_month):
        return values.DATE_TEXT, text_ok
    # Plain numbers only count as dates when the header says so: ids and amounts look alike.
    if level > 0:
        for kind, ok in (
            (values.DATE_SERIAL, p.serial_ok),
            (values.DATE_EPOCH_MS, p.epoch_ms_ok),
            (values.DATE_EPOCH_S, p.epoch_s_ok),
        ):
            if ok >= 0.9 * p.nonblank:
                return kind, ok
    return None, 0


def choose_date(
    profiles: list[ColumnProfile],
    *,
    exclude: set[str],
    override: str | None,
    no_date: bool,
) -> tuple[ColumnProfile | None, str | None, str]:
    """Pick the response-date column; return it (or None), its date kind and the reason."""
    if no_date:
        return None, None, "no date column: you chose none"
    if override is not None:
        p = next(p for p in profiles if p.name == override)
        kind, ok = _date_kind(p, max(1, _date_level(p)))
        return (
            p,
            kind or values.DATE_TEXT,
            f"chosen by you; {percent(ok, p.nonblank)} of {p.nonblank} sampled values read as dates",
        )
    options = []
    for p in profiles:
        if p.name in exclude:
            continue
        level = _date_level(p)
        kind, ok = _date_kind(p, level)
        if kind is None:
            continue
        options.append(((level, ok / max(1, p.nonblank), -p.position), p, kind, ok))
    if not options:
        return None, None, "no column reads as dates"
    options.sort(key=lambda o: o[0], reverse=True)
    _, p, kind, ok = options[0]
    what = {
        values.DATE_TEXT: "dates",
        values.DATE_SERIAL: "Excel serial day numbers",
        values.DATE_EPOCH_S: "Unix times in seconds",
        values.DATE_EPOCH_MS: "Unix times in milliseconds",
    }[kind]
    named = (
        "is named like a response date"
        if _date_level(p) >= 2
        else ("is named like a date" if _date_level(p) >= 1 else "is not named like a date but")
    )
    reason = f"{p.name!r} {named}; {percent(ok, p.nonblank)} of {p.nonblank} sampled values read as {what}"
    if len(options) > 1:
        reason += f" (preferred over {', '.join(repr(o[1].name) for o in options[1:4])})"
    return p, kind, reason


def decide_date_order(
    p: ColumnProfile,
    *,
    override: str | None,
    dayfirst_language: bool,
) -> tuple[str, bool, str, list[str]]:
    """Settle day-first vs month-first for a text date column.

    Returns ``(order, decided, sentence, warnings)``: ``decided`` is False when
    the sample cannot tell and a default was assumed (then a warning says so).
    """
    if override is not None:
        return override, True, f"date order {override} set by you", []
    if p.day_month == 0:
        return "ymd", True, "dates are year-first (ISO)", []
    if p.first_over_12 and not p.second_over_12:
        return (
            "dmy",
            True,
            (
                "day-first (dd/mm/yyyy), decided from the data: "
                f"{p.first_over_12} sampled value(s) start with a number over 12"
            ),
            [],
        )
    if p.second_over_12 and not p.first_over_12:
        return (
            "mdy",
            True,
            (
                f"month-first (mm/dd/yyyy), decided from the data: {p.second_over_12} sampled value(s) "
                "have a middle number over 12"
            ),
            [],
        )
    if p.first_over_12 and p.second_over_12:
        order = "dmy" if p.first_over_12 >= p.second_over_12 else "mdy"
        minority = min(p.first_over_12, p.second_over_12)
        return (
            order,
            True,
            f"mostly {'day' if order == 'dmy' else 'month'}-first (mixed)",
            [
                f"the date column {p.name!r} mixes day-first and month-first values; read as "
                f"{'day' if order == 'dmy' else 'month'}-first, so about {minority} sampled date(s) will be rejected"
            ],
        )
    if p.ampm:
        order, why = "mdy", "times with AM/PM are American"
    elif p.dotted:
        order, why = "dmy", "dates written with dots (dd.mm.yyyy) are day-first"
    elif dayfirst_language:
        order, why = "dmy", "the headers are not English"
    else:
        order, why = "mdy", "the headers are English"
    name = "day-first (dd/mm)" if order == "dmy" else "month-first (mm/dd)"
    return (
        order,
        False,
        f"assumed {name}: no sampled value settles it ({why})",
        [
            f"the date order of {p.name!r} cannot be decided from the data (no day over 12); assumed {name} because "
            f"{why} — set the date order if that is wrong"
        ],
    )


def choose_fast_formats(
    con: duckdb.DuckDBPyConnection,
    table: str,
    internal: str,
    order: str,
    kind: str,
) -> tuple[tuple[str, str], ...]:
    """The strptime formats that read most sampled dates exactly as the general pattern does.

    Formats that disagree with the pattern on any sampled value are dropped;
    at most three are kept, the most used first.
    """
    if kind != values.DATE_TEXT:
        return ()
    candidates = list(values.FAST_FORMATS.get(order, ())) + (list(values.FAST_FORMATS["ymd"]) if order != "ymd" else [])
    col = sql.column(internal, [internal])
    parts = []
    fasts = []
    for i, fast_format in enumerate(candidates):
        # Each format is tried once per value, one level below the counts that use it twice.
        fasts.append(f"{values.parse_date_fast_sql('raw', fast_format)} AS f{i}")
        parts.append(f"count(f{i})")
        parts.append(f"count(*) FILTER (WHERE f{i} IS DISTINCT FROM slow AND f{i} IS NOT NULL)")
    layered = (
        f"(SELECT slow, {', '.join(fasts)} FROM "
        f"(SELECT raw, {values.parse_date_sql('t', 'p', kind, order)} AS slow FROM "
        f"(SELECT raw, t, {values.split_date_sql('t')} AS p FROM "
        f"(SELECT {col} AS raw, {values.clean_text_sql(col)} AS t FROM {sql.table(table)}))))"
    )
    row = sql.fetch_one(con, f"SELECT {', '.join(parts)} FROM {layered}")
    if row is None:
        return ()
    scored = []
    for i, fast in enumerate(candidates):
        hits, wrong = row[2 * i], row[2 * i + 1]
        if hits and not wrong:
            scored.append((hits, -i, fast))
    scored.sort(reverse=True)
    return tuple(fast for _, _, fast in scored[:3])
