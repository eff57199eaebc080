"""How raw cell text becomes a score, a date or a weight: SQL expressions, one implementation.

Every function here returns a fragment of DuckDB SQL built around a column
expression the caller passes in (already quoted by :mod:`nps.store.sql`). The same
fragments run on the sample during detection and on the whole file during the
load, so what the inspection shows is what the load does. Nothing here touches
user data as SQL text: the only literals are the patterns below.

Scores: ``9``, ``"9"``, ``9.0``, ``"9,0"``, ``" 7 "``, ``"9/10"``,
``"10 - Extremely likely"``, ``"0 - Per nulla probabile"`` and
``"Not at all likely - 0"`` all read as whole numbers 0–10; anything else gets
one of :data:`SCORE_REASONS`.

Dates: ISO dates and timestamps (``T`` or space, fractional seconds, ``Z`` or
``±hh:mm`` offsets), ``dd/mm/yyyy`` / ``mm/dd/yyyy`` with ``/``, ``.`` or ``-``,
two- or four-digit years, times ``HH:MM[:SS]`` or ``HH.MM.SS`` with an optional
AM/PM, Excel serial day numbers and Unix epochs (seconds or milliseconds).
A value with an offset is converted to UTC; a value without one is kept as the
wall-clock time it shows (files almost never mix the two). Results are naive
``TIMESTAMP`` values.
"""

from __future__ import annotations

from nps.domain import SCORE_MAX, SCORE_MIN

# The valid scores in SQL, for a parsed number: whole and within the scale.
_IN_SCALE = f"BETWEEN {SCORE_MIN} AND {SCORE_MAX}"

# Reasons a row is rejected, stable strings used as count keys.
SCORE_BLANK = "score is blank"
SCORE_NA = "score is N/A"
SCORE_NOT_NUMBER = "score is not a number"
SCORE_NOT_WHOLE = "score is not a whole number"
SCORE_OUT_OF_RANGE = "score out of range 0-10"
DATE_UNREADABLE = "date not readable"
WEIGHT_NOT_NUMBER = "weight is not a number"
WEIGHT_NEGATIVE = "weight is negative"
ROW_TOO_LONG = "row has more fields than the header"
ROW_BLANK = "row is blank"

SCORE_REASONS: tuple[str, ...] = (SCORE_BLANK, SCORE_NA, SCORE_NOT_NUMBER, SCORE_NOT_WHOLE, SCORE_OUT_OF_RANGE)
WEIGHT_REASONS: tuple[str, ...] = (WEIGHT_NOT_NUMBER, WEIGHT_NEGATIVE)

# What a load counts without rejecting the row (keys of IngestReport.adjusted).
WEIGHT_BLANK_AS_ONE = "weight blank, counted as 1"
COMMENT_MISSING = "comment says nothing (NA, N/A, -, null…), counted as no comment"
ROW_REASONS: tuple[str, ...] = (ROW_TOO_LONG, ROW_BLANK)

# Date kinds the detector can choose for a column.
DATE_TEXT = "text"  # ISO or day/month/year text; the order settles dd/mm vs mm/dd
DATE_SERIAL = "excel-serial"
DATE_EPOCH_S = "epoch-seconds"
DATE_EPOCH_MS = "epoch-milliseconds"
DATE_KINDS: tuple[str, ...] = (DATE_TEXT, DATE_SERIAL, DATE_EPOCH_S, DATE_EPOCH_MS)
DATE_ORDERS: tuple[str, ...] = ("dmy", "mdy", "ymd")

# Whitespace a spreadsheet leaves around values, NBSP included.
_SPACE_CODES = (32, 9, 10, 13, 160)
# As literals, not chr() calls: the expression of a generated column (``_comment``, ``_respondent``)
# is bound and run on every inserted chunk without constant folding, and chr() costs there.
_SPACE_LITERALS = tuple(f"'{chr(code)}'" for code in _SPACE_CODES)
_SPACE = "'" + "".join(chr(code) for code in _SPACE_CODES) + "'"

# A number first, then an optional "/10" or a separator and a label:
# "9", "-1", "9.5", "9,0", "9/10", "10 - Extremely likely", "9. Very likely".
_SCORE_NUMBER_FIRST = r"^([+-]?\d+(?:[.,]\d+)?)(?:\s*/\s*10|\s*[-–—:=.)]\s*\D+)?$"
# A label first, then a separator and the number: "Not at all likely - 0", "Extremely likely (10)".
_SCORE_LABEL_FIRST = r"^\D*[^\d\s+\-–—:(=]\s*[-–—:(=]\s*([+-]?\d+(?:[.,]\d+)?)\s*\)?$"
# What people type for "no answer".
_NOT_AVAILABLE = (
    r"(#?n/?a|n\.a\.?|n\.?d\.?|n/d|none|null|nan|-+|\?+|k\.?\s?a\.?|s\.?o\.?|sans objet|nc|ns|ns/nc"
    r"|non applicabile|non so|no aplica|no sabe|not applicable|don'?t know|dk|weiß nicht|keine angabe)"
)

# What a comment cell holds when there is no comment: how R and pandas write a missing
# value, spreadsheet errors, a lone dash or dot. Matched whole, case-folded, spaces around ignored.
MISSING_COMMENTS: tuple[str, ...] = ("NA", "N/A", "n/a", "-", ".", "null", "none", "nan", "#N/A")
_MISSING_COMMENT = r"[\s\x{00A0}]*(n/?a|#n/a|-+|\.+|null|none|nan)[\s\x{00A0}]*"
_MISSING_COMMENT_MAX = 12  # longer cells are never one of those: the pattern is not even tried

# Dates: year first (ISO and friends) or day/month first, an optional time, an optional zone.
_DATE_PATTERN = (
    r"^(?:(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})|(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2}))"
    r"(?:(?:T|\s+|,\s*)(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:[.,](\d{1,9}))?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$"
)
_DATE_GROUPS = ("y1", "m1", "d1", "p1", "p2", "y2", "hh", "mi", "ss", "fr", "ap", "tz")


def quote_literal(text: str) -> str:
    """Return ``text`` as a single-quoted SQL string literal (quotes doubled).

    Only for the library's own constants (patterns, reason strings); user data
    is always bound as a parameter instead.
    """
    return "'" + text.replace("'", "''") + "'"


def clean_text_sql(raw: str) -> str:
    """SQL for the value trimmed of spaces, tabs, line breaks and NBSP; NULL when blank.

    ``raw`` should be a column: it is repeated. Values with nothing to trim
    (nearly all) are only checked at both ends, which is much cheaper than
    DuckDB's ``trim`` with a character set.
    """
    edges = " OR ".join(f"prefix({raw}, {space}) OR suffix({raw}, {space})" for space in _SPACE_LITERALS)
    return f"CASE WHEN {raw} = '' OR {edges} THEN NULLIF(trim({raw}, {_SPACE}), '') ELSE {raw} END"


def is_missing_comment_sql(raw: str) -> str:
    """SQL (BOOLEAN, never NULL): whether a raw comment cell says "no comment" (``NA``, ``N/A``, ``-``, ``null``…).

    Blank cells are not counted here (they are NULL already after :func:`clean_text_sql`).
    """
    return (
        f"COALESCE(length({raw}) <= {_MISSING_COMMENT_MAX} "
        f"AND regexp_full_match(lower({raw}), {quote_literal(_MISSING_COMMENT)}), false)"
    )


def clean_comment_sql(raw: str) -> str:
    """SQL for a comment cell as :func:`clean_text_sql`, NULL as well when it only says "no comment".

    ``NA``, ``N/A``, ``n/a``, ``-``, ``.``, ``null``, ``none``, ``nan``, ``#N/A``
    (any case, spaces around) are missing comments, not comments.
    """
    return (
        f"CASE WHEN length({raw}) <= {_MISSING_COMMENT_MAX} AND regexp_full_match(lower({raw}), "
        f"{quote_literal(_MISSING_COMMENT)}) THEN NULL ELSE {clean_text_sql(raw)} END"
    )


def parse_weight_sql(raw: str, decimal_comma: bool) -> str:
    """SQL (DOUBLE) for a weight cell: its number, 1 when blank, NULL when not a number."""
    return f"CASE WHEN {clean_text_sql(raw)} IS NULL THEN 1.0 ELSE {parse_number_sql(raw, decimal_comma)} END"


def _parse_score_general_sql(raw: str) -> str:
    """SQL (DOUBLE) for the number in a raw score cell by the general patterns (trimmed, quoted, labelled).

    Both patterns capture ASCII digits (RE2's ``\\d``), so a cell without one
    (most text: comments, names) skips them after one cheap search.
    """
    text = clean_text_sql(raw)
    unquoted = f"trim({text}, '\"')"
    return (
        f"CASE WHEN regexp_matches({raw}, '[0-9]') THEN TRY_CAST(replace(COALESCE("
        f"NULLIF(regexp_extract({unquoted}, {quote_literal(_SCORE_NUMBER_FIRST)}, 1), ''), "
        f"NULLIF(regexp_extract({unquoted}, {quote_literal(_SCORE_LABEL_FIRST)}, 1), '')), ',', '.') AS DOUBLE) END"
    )


def parse_score_sql(raw: str) -> str:
    """SQL (DOUBLE) for the number a raw score cell holds; NULL when blank or when it holds none.

    The plain one- or two-digit case is tested on the raw text first so the
    usual file never runs the trimming and the patterns.
    """
    return (
        f"CASE WHEN regexp_full_match({raw}, '[0-9]{{1,2}}') THEN CAST({raw} AS DOUBLE) "
        f"ELSE {_parse_score_general_sql(raw)} END"
    )


def score_ok_sql(raw: str) -> str:
    """SQL (BOOLEAN, never NULL): whether a raw score cell holds a valid score.

    The same answer as ``make_score_sql(parse_score_sql(raw)) IS NOT NULL``,
    cheaper as a filter: DuckDB pushes a filter down to the scan and inlines
    the columns it refers to, so a condition naming the parsed number three
    times (range and whole) parses it three times. Here the plain one- or
    two-digit case tests the pattern once; only other cells take the general
    way (parsed, then checked).
    """
    number = _parse_score_general_sql(raw)
    return (
        f"CASE WHEN regexp_full_match({raw}, '[0-9]{{1,2}}') THEN CAST({raw} AS DOUBLE) <= {SCORE_MAX} "
        f"ELSE COALESCE({number} {_IN_SCALE} AND {number} = floor({number}), false) END"
    )


def make_score_sql(number: str) -> str:
    """SQL (TINYINT 0–10) for the score from :func:`parse_score_sql`; NULL when not a valid score."""
    return f"CASE WHEN {number} {_IN_SCALE} AND {number} = floor({number}) THEN CAST({number} AS TINYINT) END"


def explain_score_sql(raw: str, number: str) -> str:
    """SQL (VARCHAR) for why a raw score cell is unusable (one of :data:`SCORE_REASONS`), NULL when fine.

    ``number`` is the expression (or column) from :func:`parse_score_sql`.
    """
    text = clean_text_sql(raw)
    return (
        f"CASE WHEN {number} {_IN_SCALE} AND {number} = floor({number}) THEN NULL "
        f"WHEN {text} IS NULL THEN {quote_literal(SCORE_BLANK)} "
        f"WHEN {number} IS NULL THEN CASE WHEN regexp_full_match(lower({text}), {quote_literal(_NOT_AVAILABLE)}) "
        f"THEN {quote_literal(SCORE_NA)} ELSE {quote_literal(SCORE_NOT_NUMBER)} END "
        f"WHEN {number} <> floor({number}) THEN {quote_literal(SCORE_NOT_WHOLE)} "
        f"ELSE {quote_literal(SCORE_OUT_OF_RANGE)} END"
    )


def split_date_sql(text: str) -> str:
    """SQL (STRUCT of VARCHAR) splitting a cleaned date text into its parts.

    Fields: ``y1 m1 d1`` (year-first dates), ``p1 p2 y2`` (day/month-first
    dates, order unknown), ``hh mi ss fr ap tz`` (time, fraction, AM/PM, zone).
    Every field is ``''`` when the text is not a date of these shapes.
    """
    names = "[" + ", ".join(quote_literal(n) for n in _DATE_GROUPS) + "]"
    return f"regexp_extract({text}, {quote_literal(_DATE_PATTERN)}, {names})"


def _int(part: str) -> str:
    return f"TRY_CAST(NULLIF({part}, '') AS INTEGER)"


def _build_text_date_sql(parts: str, order: str) -> str:
    """Timestamp from :func:`split_date_sql` parts, ``order`` settling dd/mm vs mm/dd."""
    p = parts
    first_is_day = order != "mdy"
    day_part = f"{p}.p1" if first_is_day else f"{p}.p2"
    month_part = f"{p}.p2" if first_is_day else f"{p}.p1"
    year = (
        f"CASE WHEN {p}.y1 <> '' THEN {_int(p + '.y1')} "
        f"WHEN length({p}.y2) = 2 THEN {_int(p + '.y2')} + CASE WHEN {_int(p + '.y2')} < 70 THEN 2000 ELSE 1900 END "
        f"ELSE {_int(p + '.y2')} END"
    )
    month = f"CASE WHEN {p}.y1 <> '' THEN {_int(p + '.m1')} ELSE {_int(month_part)} END"
    day = f"CASE WHEN {p}.y1 <> '' THEN {_int(p + '.d1')} ELSE {_int(day_part)} END"
    hour = (
        f"CASE WHEN {p}.ap = '' THEN COALESCE({_int(p + '.hh')}, 0) "
        f"WHEN {_int(p + '.hh')} NOT BETWEEN 1 AND 12 THEN NULL "
        f"WHEN lower({p}.ap) = 'a' THEN {_int(p + '.hh')} % 12 ELSE {_int(p + '.hh')} % 12 + 12 END"
    )
    minute = f"COALESCE({_int(p + '.mi')}, 0)"
    second = f"COALESCE({_int(p + '.ss')}, 0) + CASE WHEN {p}.fr = '' THEN 0 ELSE CAST('0.' || {p}.fr AS DOUBLE) END"
    # Offsets are turned into UTC; "Z", "UTC" and "GMT" are already UTC.
    offset = (
        f"CASE WHEN {p}.tz = '' OR {p}.tz = 'Z' OR {p}.tz = 'UTC' OR {p}.tz = 'GMT' THEN 0 ELSE "
        f"(CASE WHEN {p}.tz[1] = '-' THEN -1 ELSE 1 END) * "
        f"(CAST({p}.tz[2:3] AS INTEGER) * 60 "
        f"+ COALESCE(TRY_CAST(NULLIF(replace({p}.tz[4:], ':', ''), '') AS INTEGER), 0)) END"
    )
    valid = (
        f"{month} BETWEEN 1 AND 12 AND {day} BETWEEN 1 AND 31 AND {hour} BETWEEN 0 AND 23 "
        f"AND {minute} BETWEEN 0 AND 59 AND {second} < 61"
    )
    return (
        f"CASE WHEN {p}.y1 = '' AND {p}.y2 = '' THEN NULL WHEN {valid} THEN "
        f"try(make_timestamp({year}, {month}, {day}, {hour}, {minute}, least({second}, 59.999999)) "
        f"- to_minutes({offset})) END"
    )


def parse_date_number_sql(text: str, kind: str) -> str:
    """SQL (TIMESTAMP) for a date written as a number: an Excel serial or a Unix epoch; NULL otherwise.

    ``kind`` is :data:`DATE_SERIAL` (days since 1899-12-30, so 45292 is
    2024-01-01; a fraction is the time of day), :data:`DATE_EPOCH_S` or
    :data:`DATE_EPOCH_MS` (UTC). Any other kind gives ``NULL``.
    """
    if kind == DATE_SERIAL:
        return (
            f"CASE WHEN regexp_full_match({text}, '[0-9]{{4,5}}([.,][0-9]+)?') "
            f"AND TRY_CAST(replace({text}, ',', '.') AS DOUBLE) BETWEEN 1 AND 2958465 THEN "
            f"TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(CAST(replace({text}, ',', '.') AS DOUBLE) "
            f"* 86400000000) AS BIGINT)) END"
        )
    if kind == DATE_EPOCH_S:
        return (
            f"CASE WHEN regexp_full_match({text}, '[0-9]{{9,10}}([.][0-9]+)?') THEN "
            f"make_timestamp(CAST(round(CAST({text} AS DOUBLE) * 1000000) AS BIGINT)) END"
        )
    if kind == DATE_EPOCH_MS:
        return (
            f"CASE WHEN regexp_full_match({text}, '[0-9]{{12,13}}') "
            f"THEN make_timestamp(CAST({text} AS BIGINT) * 1000) END"
        )
    return "CAST(NULL AS TIMESTAMP)"


def parse_date_sql(text: str, parts: str, kind: str, order: str | None) -> str:
    """SQL (TIMESTAMP) for the date in a cleaned text; NULL when blank or unreadable.

    ``kind`` is one of :data:`DATE_KINDS`; ``order`` one of :data:`DATE_ORDERS`
    (for text dates without a four-digit year first; None means day-first).
    Year-first text is read whatever the kind, since it is never ambiguous.
    Raises ``ValueError`` for an unknown kind.
    """
    if kind not in DATE_KINDS:
        raise ValueError(f"unknown date kind {kind!r}")
    textual = _build_text_date_sql(parts, order or "dmy")
    if kind == DATE_TEXT:
        return textual
    return f"COALESCE({parse_date_number_sql(text, kind)}, {textual})"


# strptime formats tried before the general pattern, by the order they imply; each
# must read a value exactly as the pattern does (the detector checks that on the sample).
# Each has a shape pattern checked first: a strptime that fails is very slow in DuckDB.
_D = r"\d{1,2}"
_T = r"\d{1,2}:\d{2}"
FAST_FORMATS: dict[str, tuple[tuple[str, str], ...]] = {
    "ymd": (
        ("%Y-%m-%d %H:%M:%S", rf"\d{{4}}-{_D}-{_D} {_T}:\d{{2}}"),
        ("%Y-%m-%d", rf"\d{{4}}-{_D}-{_D}"),
        ("%Y-%m-%dT%H:%M:%S", rf"\d{{4}}-{_D}-{_D}T{_T}:\d{{2}}"),
        ("%Y-%m-%d %H:%M", rf"\d{{4}}-{_D}-{_D} {_T}"),
        ("%Y-%m-%d %H:%M:%S.%f", rf"\d{{4}}-{_D}-{_D} {_T}:\d{{2}}\.\d{{1,6}}"),
        ("%Y-%m-%dT%H:%M:%S.%f", rf"\d{{4}}-{_D}-{_D}T{_T}:\d{{2}}\.\d{{1,6}}"),
        ("%Y/%m/%d", rf"\d{{4}}/{_D}/{_D}"),
        ("%Y/%m/%d %H:%M:%S", rf"\d{{4}}/{_D}/{_D} {_T}:\d{{2}}"),
    ),
    "dmy": (
        ("%d/%m/%Y", rf"{_D}/{_D}/\d{{4}}"),
        ("%d/%m/%Y %H:%M", rf"{_D}/{_D}/\d{{4}} {_T}"),
        ("%d/%m/%Y %H:%M:%S", rf"{_D}/{_D}/\d{{4}} {_T}:\d{{2}}"),
        ("%d/%m/%Y %H.%M.%S", rf"{_D}/{_D}/\d{{4}} \d{{1,2}}\.\d{{2}}\.\d{{2}}"),
        ("%d.%m.%Y", rf"{_D}\.{_D}\.\d{{4}}"),
        ("%d.%m.%Y %H:%M", rf"{_D}\.{_D}\.\d{{4}} {_T}"),
        ("%d.%m.%Y %H:%M:%S", rf"{_D}\.{_D}\.\d{{4}} {_T}:\d{{2}}"),
        ("%d-%m-%Y", rf"{_D}-{_D}-\d{{4}}"),
    ),
    "mdy": (
        ("%m/%d/%Y", rf"{_D}/{_D}/\d{{4}}"),
        ("%m/%d/%Y %H:%M", rf"{_D}/{_D}/\d{{4}} {_T}"),
        ("%m/%d/%Y %H:%M:%S", rf"{_D}/{_D}/\d{{4}} {_T}:\d{{2}}"),
        ("%m/%d/%Y %I:%M:%S %p", rf"{_D}/{_D}/\d{{4}} {_T}:\d{{2}} [AP]M"),
        ("%m/%d/%Y %I:%M %p", rf"{_D}/{_D}/\d{{4}} {_T} [AP]M"),
        ("%m-%d-%Y", rf"{_D}-{_D}-\d{{4}}"),
    ),
}


def parse_date_fast_sql(raw: str, fast: tuple[str, str]) -> str:
    """SQL (TIMESTAMP) reading ``raw`` with one ``(strptime format, shape pattern)``; NULL when it does not fit.

    The shape pattern guards the strptime call (a failing one is slow) and
    demands four-digit years (``%Y`` would take ``24`` as year 24).
    """
    fmt, shape = fast
    return (
        f"CASE WHEN regexp_full_match({raw}, {quote_literal(shape)}) THEN try_strptime({raw}, {quote_literal(fmt)}) END"
    )


def parse_date_fast_any_sql(raw: str, fast_formats: tuple[tuple[str, str], ...]) -> str:
    """SQL (TIMESTAMP) reading ``raw`` with the first of ``fast_formats`` that fits; NULL when none does."""
    if not fast_formats:
        return "CAST(NULL AS TIMESTAMP)"
    parts = [parse_date_fast_sql(raw, f) for f in fast_formats]
    return parts[0] if len(parts) == 1 else f"COALESCE({', '.join(parts)})"


def build_date_layers_sql(
    raw: str, kind: str, order: str | None, fast_formats: tuple[tuple[str, str], ...]
) -> tuple[str, str, str, str]:
    """The four expressions of the load's date, each meant for its own nested SELECT.

    Returns ``(fast, text, parts, value)``: ``fast`` reads ``raw`` with the
    strptime formats chosen on the sample (cheap); ``text`` is the cleaned cell,
    only where ``fast`` failed (NULL where it read the date, so that ``text``
    is NULL exactly when ``raw`` is blank only among those rows);
    ``parts`` splits it with the general pattern, only where ``fast`` failed;
    ``value`` is the TIMESTAMP. They refer to each other as the columns
    ``__pp_df``, ``__pp_dt`` and ``__pp_dp``: DuckDB does not share a repeated
    sub-expression inside CASE, so the pattern must be computed once, one
    level below the expressions that take it apart. Each of ``text``,
    ``parts`` and ``value`` needs the one before it one level below.
    """
    fast = parse_date_fast_any_sql(raw, fast_formats)
    text = f"CASE WHEN __pp_df IS NULL THEN {clean_text_sql(raw)} END"
    parts = f"CASE WHEN __pp_df IS NULL AND __pp_dt IS NOT NULL THEN {split_date_sql('__pp_dt')} END"
    value = f"COALESCE(__pp_df, {parse_date_sql('__pp_dt', '__pp_dp', kind, order)})"
    return fast, text, parts, value


def explain_date_sql(text: str, value: str) -> str:
    """SQL (VARCHAR) for why a date is unusable: present but unreadable. A blank date is fine (NULL).

    ``text`` is the cleaned cell (:func:`clean_text_sql`), ``value`` the date read from it.
    """
    return f"CASE WHEN {value} IS NULL AND {text} IS NOT NULL THEN {quote_literal(DATE_UNREADABLE)} END"


def parse_number_sql(raw: str, decimal_comma: bool) -> str:
    """SQL (DOUBLE) for a plain number in a raw cell; ``decimal_comma`` reads ``1,5`` as 1.5.

    Without ``decimal_comma`` a comma is taken as a thousands separator. NULL
    when blank or not a number.
    """
    text = clean_text_sql(raw)
    if decimal_comma:
        cleaned = f"replace(replace({text}, '.', ''), ',', '.')"
        # "1.5" in a decimal-comma file is still 1.5 when there is no comma at all.
        return f"CASE WHEN contains({text}, ',') THEN TRY_CAST({cleaned} AS DOUBLE) ELSE TRY_CAST({text} AS DOUBLE) END"
    return f"TRY_CAST(replace({text}, ',', '') AS DOUBLE)"


def explain_weight_sql(raw: str, number: str) -> str:
    """SQL (VARCHAR) for why a weight is unusable (one of :data:`WEIGHT_REASONS`), NULL when fine.

    ``number`` is the expression (or column) from :func:`parse_weight_sql`; a
    blank weight is fine (it counts as 1).
    """
    return (
        f"CASE WHEN {number} IS NULL OR isnan({number}) OR isinf({number}) THEN {quote_literal(WEIGHT_NOT_NUMBER)} "
        f"WHEN {number} < 0 THEN {quote_literal(WEIGHT_NEGATIVE)} END"
    )
