"""Reading a file's shape: where the header is (layout) and which column plays which role.

Layouts are found from the first rows parsed in Python. Roles are found from
a sample loaded into DuckDB and profiled with the very SQL expressions of
:mod:`nps.ingest.values` that the load runs, so that a column judged "all 0–10" on
the sample is read the same way on the whole file.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import duckdb

from nps.store import sql
from nps.ingest import values
from nps.control_chars import TERMINAL_UNSAFE, escape_for_terminal
from nps.errors import IngestError
from nps.store import ColumnMapping

# --- layouts ---------------------------------------------------------------------------------

QUALTRICS_3ROW = "qualtrics-3row"
QUALTRICS_LEGACY = "qualtrics-legacy-2row"
SURVEYMONKEY = "surveymonkey-2row"
GOOGLE_FORMS = "google-forms"
TYPEFORM = "typeform"
SPREADSHEET = "spreadsheet"
FLAT = "flat"

GOOGLE_TIMESTAMPS = {
    "timestamp",
    "informazioni cronologiche",
    "horodateur",
    "marca temporal",
    "zeitstempel",
    "carimbo de data/hora",
    "tijdstempel",
    "sygnatura czasowa",
    "marca de temps",
}
TYPEFORM_MARKERS = {"submit date (utc)", "start date (utc)", "network id", "stage date (utc)"}
SURVEYMONKEY_MARKERS = {
    "response",
    "open-ended response",
    "other (please specify)",
    "risposta",
    "risposta aperta",
    "réponse",
    "réponse ouverte",
    "respuesta",
    "respuesta abierta",
    "antwort",
    "offene antwort",
    "resposta",
    "resposta aberta",
}
LEGACY_LABELS = {"responseid", "responseset", "name", "externaldatareference", "emailaddress", "ipaddress", "status"}

RESERVED_LOWER = {"_row", "_wave", "_score", "_category", "_date", "_comment", "_respondent", "_weight"}


@dataclass(frozen=True)
class Layout:
    """Where a table sits in the first rows of a file and what its columns are called.

    ``skip`` records come before the first data row; the reader declares
    ``width`` fields per record and keeps the positions in ``keep`` (0-based),
    stored under ``names`` (unique, non-empty). ``headers`` are the raw header
    texts of the kept positions, ``labels`` maps a stored name to its question
    text where the file has one. ``dropped`` are positions left out (an empty
    trailing column); a value there makes the row too long.
    """

    name: str
    header_index: int
    skip: int
    width: int
    keep: tuple[int, ...]
    names: tuple[str, ...]
    headers: tuple[str, ...]
    labels: dict[str, str] = field(hash=False, compare=False)
    dropped: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()


HEADER_SCAN = 30


def _nonempty(row: list[str]) -> int:
    return sum(1 for f in row if f.strip())


def _is_title_or_blank(row: list[str], width: int) -> bool:
    filled = _nonempty(row)
    return filled == 0 or (width >= 3 and filled <= 1) or (width >= 7 and filled <= 2 and filled < 0.3 * width)


def _is_surveymonkey_pair(row: list[str], following: list[str]) -> bool:
    return _nonempty(row) > 0 and any(f.strip().lower() in SURVEYMONKEY_MARKERS for f in following)


def _normalise_header(text: str) -> str:
    # Control characters would reach every renderer (vl-convert aborts on some, terminals obey
    # escapes): the ones that are whitespace become spaces, the others are removed.
    text = TERMINAL_UNSAFE.sub(lambda m: " " if m.group().isspace() else "", text.replace("\ufeff", ""))
    return " ".join(text.split())


def _has_hidden_controls(text: str) -> bool:
    return any(not c.isspace() for c in TERMINAL_UNSAFE.findall(text.replace("\ufeff", "")))


def header_warnings(raw: list[str], names: list[str], positions: list[int] | None = None) -> list[str]:
    """One warning per header that held control characters (other than whitespace), removed from its stored name.

    ``positions`` are the columns' 1-based positions in the file (default 1, 2, …);
    the raw header is shown with its control characters written out (``\\x1b``).
    """
    positions = positions or list(range(1, len(raw) + 1))
    return [
        f'column {pos}: the header "{escape_for_terminal(text)}" holds control characters; '
        f'they are removed and the column is called "{name}"'
        for pos, text, name in zip(positions, raw, names, strict=True)
        if _has_hidden_controls(text)
    ]


def make_names(raw: list[str]) -> list[str]:
    """Return unique, non-empty stored names for raw header texts.

    Whitespace is collapsed; a blank header becomes ``column_<position>``
    (1-based); a name already taken (compared case-insensitively, as SQL
    does) or equal to a reserved column gets `` (2)``, `` (3)``…
    """
    names: list[str] = []
    seen: set[str] = set(RESERVED_LOWER)
    for index, text in enumerate(raw, start=1):
        base = _normalise_header(text) or f"column_{index}"
        candidate, n = base, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{base} ({n})"
        seen.add(candidate.lower())
        names.append(candidate)
    return names


def detect_layout(rows: list[list[str]], *, file: str) -> Layout:
    """Find the header in the first parsed rows of a text table and name its columns.

    Recognises ``qualtrics-3row``, ``qualtrics-legacy-2row``,
    ``surveymonkey-2row``, ``google-forms``, ``typeform``, ``spreadsheet``
    (title or blank rows above the header) and ``flat``. Raises
    :class:`IngestError` when no header row can be found.
    """
    filled_rows = [r for r in rows if _nonempty(r)]
    if not filled_rows:
        raise IngestError("the file is empty; export the survey again with its rows", file=file)
    widths = Counter(len(r) for r in filled_rows[:HEADER_SCAN])
    modal = max(widths.items(), key=lambda kv: (kv[1], kv[0]))[0]
    header_index = next(
        (
            i
            for i, r in enumerate(rows[:HEADER_SCAN])
            if not _is_title_or_blank(r, modal) or (i + 1 < len(rows) and _is_surveymonkey_pair(r, rows[i + 1]))
        ),
        next(i for i, r in enumerate(rows) if _nonempty(r)),
    )
    header = rows[header_index]
    second = rows[header_index + 1] if header_index + 1 < len(rows) else []
    third = rows[header_index + 2] if header_index + 2 < len(rows) else []
    lowered = [_normalise_header(h).lower() for h in header]
    name = SPREADSHEET if header_index > 0 else FLAT
    skip = header_index + 1
    labels_row: list[str] | None = None
    fill_from_left = False

    third_filled = [f for f in third if f.strip()]
    if third_filled and sum(f.strip().startswith('{"ImportId"') for f in third_filled) >= max(
        1, len(third_filled) // 2
    ):
        name, skip, labels_row = QUALTRICS_3ROW, header_index + 3, second
    elif sum(bool(re.fullmatch(r"V\d+", h.strip())) for h in header) >= 3 and any(
        f.strip().replace(" ", "").lower() in LEGACY_LABELS for f in second
    ):
        name, skip, labels_row = QUALTRICS_LEGACY, header_index + 2, second
    elif (
        second
        and any(f.strip().lower() in SURVEYMONKEY_MARKERS for f in second)
        and (any(not h.strip() for h in header) or "respondent id" in lowered)
    ):
        name, skip, labels_row, fill_from_left = SURVEYMONKEY, header_index + 2, second, True
    elif lowered and lowered[0] in GOOGLE_TIMESTAMPS:
        name = GOOGLE_FORMS
    elif lowered and lowered[0] == "#" and any(h in TYPEFORM_MARKERS for h in lowered):
        name = TYPEFORM

    width = len(header)
    raw = list(header)
    label_texts = [(labels_row[i] if labels_row is not None and i < len(labels_row) else "") for i in range(width)]
    if fill_from_left:
        question = ""
        filled: list[str] = []
        for i, h in enumerate(raw):
            if h.strip():
                question = h
            sub = label_texts[i].strip()
            spans = h.strip() == "" or (i + 1 < width and not raw[i + 1].strip())
            if question and sub and sub.lower() not in SURVEYMONKEY_MARKERS and spans:
                filled.append(f"{question} - {sub}")
            else:
                filled.append(question if not h.strip() else h)
            label_texts[i] = question
        raw = filled

    data = rows[skip:]
    dropped: list[int] = []
    for pos in range(width - 1, 0, -1):
        if raw[pos].strip() or any(pos < len(r) and r[pos].strip() for r in data):
            break
        dropped.append(pos)
    keep = tuple(i for i in range(width) if i not in dropped)
    names = make_names([raw[i] for i in keep])
    labels: dict[str, str] = {}
    for stored, pos in zip(names, keep, strict=True):
        label = _normalise_header(label_texts[pos])
        if label and label != stored:
            labels[stored] = label
    warnings = header_warnings([raw[i] for i in keep], names, [i + 1 for i in keep])
    if dropped:
        warnings.append(
            f"the last {len(dropped)} column(s) have no header and no values in the first rows; they are left out"
            if len(dropped) > 1
            else "the last column has no header and no values in the first rows; it is left out"
        )
    return Layout(
        name=name,
        header_index=header_index,
        skip=skip,
        width=width,
        keep=keep,
        names=tuple(names),
        headers=tuple(_normalise_header(header[i]) for i in keep),
        labels=labels,
        dropped=tuple(sorted(dropped)),
        warnings=tuple(warnings),
    )


def make_flat_layout(columns: list[str]) -> Layout:
    """The layout of a self-describing table (Parquet, JSON, a data frame): names only, no header rows."""
    names = make_names(columns)
    warnings = header_warnings(columns, names)
    return Layout(
        name=FLAT,
        header_index=-1,
        skip=0,
        width=len(columns),
        keep=tuple(range(len(columns))),
        names=tuple(names),
        headers=tuple(columns),
        labels={},
        warnings=tuple(warnings),
    )


# --- profiling the sample --------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnProfile:
    """What the sample says about one column (counts over the sampled rows)."""

    name: str
    internal: str
    header: str
    label: str | None
    position: int
    rows: int
    nonblank: int
    distinct: int
    avg_len: float
    numeric: int
    score_ok: int
    score_min: int | None
    score_max: int | None
    score_distinct: int
    number_min: float | None
    number_max: float | None
    ymd: int
    day_month: int
    first_over_12: int
    second_over_12: int
    ampm: int
    dotted: int
    dmy_ok: int
    mdy_ok: int
    serial_ok: int
    epoch_s_ok: int
    epoch_ms_ok: int
    examples: tuple[str, ...]
    missing_text: int = 0  # values that say "no answer" as a comment would (NA, N/A, -, null…)
    text_len: float = 0.0  # average length of the other non-blank values
    whole: int = 0  # values that are whole numbers (any size)


def profile_sample(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[tuple[str, str, str, str | None]],
    *,
    decimal_comma: bool,
) -> list[ColumnProfile]:
    """Profile every column of a sample table with the load's own expressions.

    ``columns`` lists ``(internal, stored name, header, label)``; the table has
    the internal columns as VARCHAR and ``__pp_rn`` (row numbers). Returns one
    profile per column, in order.
    """
    if not columns:
        return []
    internals = [c[0] for c in columns]
    allowed = internals + ["__pp_rn"]
    unpivot_cols = ", ".join(sql.column(c, allowed) for c in internals)
    t = values.clean_text_sql("v")
    n = "n"
    p = "p"
    score = values.make_score_sql(n)
    long_sql = (
        f"SELECT name, __pp_rn AS rn, v FROM {sql.table(table)} UNPIVOT INCLUDE NULLS (v FOR name IN ({unpivot_cols}))"
    )
    stats_sql = f"""
        WITH long AS ({long_sql}),
        cleaned AS (SELECT name, rn, v, {t} AS t, {values.is_missing_comment_sql("v")} AS na FROM long),
        parsed AS (
            -- Long texts are neither scores nor dates: skip the patterns for them.
            SELECT name, rn, t, v, na,
                   CASE WHEN length(v) <= 80 THEN {values.parse_score_sql("v")} END AS n,
                   CASE WHEN length(t) <= 40 AND t[1] BETWEEN '0' AND '9' THEN {values.split_date_sql("t")} END AS p,
                   CASE WHEN length(t) <= 40 THEN {values.parse_number_sql("v", decimal_comma)} END AS num
            FROM cleaned
        )
        SELECT name, count(*), count(t), 0, coalesce(avg(length(t)), 0),
            count(num), count({score}), min({score}), max({score}),
            bit_count(COALESCE(bit_or(CAST(1 AS INTEGER) << {score}), 0)), min(n), max(n),
            count(*) FILTER (WHERE {p}.y1 <> ''),
            count(*) FILTER (WHERE {p}.p1 <> ''),
            count(*) FILTER (WHERE TRY_CAST(NULLIF({p}.p1, '') AS INTEGER) > 12),
            count(*) FILTER (WHERE TRY_CAST(NULLIF({p}.p2, '') AS INTEGER) > 12),
            count(*) FILTER (WHERE {p}.ap <> ''),
            count(*) FILTER (WHERE {p}.p1 <> '' AND contains(t, '.') AND NOT contains(t, '/')),
            count({values.parse_date_sql(t, p, values.DATE_TEXT, "dmy")}),
            count({values.parse_date_sql(t, p, values.DATE_TEXT, "mdy")}),
            count({values.parse_date_number_sql(t, values.DATE_SERIAL)}),
            count({values.parse_date_number_sql(t, values.DATE_EPOCH_S)}),
            count({values.parse_date_number_sql(t, values.DATE_EPOCH_MS)}),
            count(*) FILTER (WHERE na), coalesce(avg(length(t)) FILTER (WHERE NOT na), 0),
            count(*) FILTER (WHERE num = floor(num))
        FROM parsed GROUP BY name
    """
    # No DISTINCT aggregate above (DuckDB would materialise every parsed cell for it): the distinct
    # scores (0–10) are counted as bits, the distinct texts by the examples' query, which groups them anyway.
    stats = {row[0]: row for row in sql.fetch_all(con, stats_sql)}
    example_sql = f"""
        WITH long AS ({long_sql}),
        firsts AS (SELECT name, {t} AS t, min(rn) AS first FROM long WHERE {t} IS NOT NULL GROUP BY name, t)
        SELECT name, t, count(*) OVER (PARTITION BY name) FROM firsts
        QUALIFY row_number() OVER (PARTITION BY name ORDER BY first) <= 8
        ORDER BY name, first
    """
    examples: dict[str, list[str]] = {}
    distinct: dict[str, int] = {}
    for col, text, count in sql.fetch_all(con, example_sql):
        examples.setdefault(col, []).append(text)
        distinct[col] = int(count)
    profiles = []
    for position, (internal, name, header, label) in enumerate(columns):
        s = stats.get(internal)
        if s is None:
            s = (internal, 0, 0, 0, 0.0, 0, 0, None, None, 0, None, None) + (0,) * 11 + (0, 0.0, 0)
        profiles.append(
            ColumnProfile(
                name=name,
                internal=internal,
                header=header,
                label=label,
                position=position,
                rows=int(s[1]),
                nonblank=int(s[2]),
                distinct=distinct.get(internal, 0),
                avg_len=float(s[4]),
                numeric=int(s[5]),
                score_ok=int(s[6]),
                score_min=s[7],
                score_max=s[8],
                score_distinct=int(s[9]),
                number_min=_finite(s[10]),
                number_max=_finite(s[11]),
                ymd=int(s[12]),
                day_month=int(s[13]),
                first_over_12=int(s[14]),
                second_over_12=int(s[15]),
                ampm=int(s[16]),
                dotted=int(s[17]),
                dmy_ok=int(s[18]),
                mdy_ok=int(s[19]),
                serial_ok=int(s[20]),
                epoch_s_ok=int(s[21]),
                epoch_ms_ok=int(s[22]),
                examples=tuple(examples.get(internal, ())),
                missing_text=int(s[23]),
                text_len=float(s[24]),
                whole=int(s[25]),
            )
        )
    return profiles


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


# --- words -----------------------------------------------------------------------------------

_RECOMMEND = re.compile(
    r"recommend|raccomand|consiglier|recommand|recomend|empfehl|aanbevel|aanraden|polecił|polecic|polecić|"
    r"likelihood to rec|net promoter",
    re.I,
)
_NPS_NAME = re.compile(
    r"^(q?nps|e-?nps|rec|ltr|nps[ _.-]?(score|value|rating|answer|response|punteggio|voto)|"
    r"(score|punteggio|voto)[ _.-]?nps|ltr[ _.-]?score|likelihood[ _.-]?to[ _.-]?recommend|q\d+[ _.-]?nps)$",
    re.I,
)
_SCORE_NAME = re.compile(r"^(score|rating|punteggio|voto|note|nota|bewertung|puntuaci[oó]n|pontua[cç][aã]o)$", re.I)
_NPS_GROUP = re.compile(r"nps[ _.-]?(group|grupp|categor|class|segment|type|label)|_nps_group", re.I)
_EMPLOYEE_QUESTION = re.compile(
    r"place to work|as an employer|work here|luogo di lavoro|posto di lavoro|datore di lavoro|lavorare (qui|in|presso)|"
    r"comme employeur|lieu de travail|endroit où travailler|endroit pour travailler|como empleador|"
    r"lugar para trabajar|lugar de trabajo|als arbeitgeber|arbeitgeber|arbeitsplatz|como empregador|"
    r"lugar para trabalhar|\benps\b|employee net promoter",
    re.I,
)
_EMPLOYEE_COLUMN = re.compile(
    r"employee|dipendent|mitarbeiter|salari[ée]|empleado|funcion[aá]rio|colaborador|tenure|anzianit|seniority|"
    r"hire ?date|data (di )?assunzione|job ?title|job ?level|mansione|\bmanager\b|department|reparto",
    re.I,
)
_DATE_NAME = re.compile(
    r"date|data|datum|fecha|time|zeit|heure|hora|timestamp|submitted|recorded|created|completed|"
    r"horodateur|marca temporal|carimbo|cronologic|giorno|jour|\bwhen\b|_at$|_on$|\bdt\b|\bday\b",
    re.I,
)
# Named for the answer itself: when it was submitted, recorded, responded.
_DATE_ANSWER = re.compile(
    r"recorded|submit|respon(ded|se.?(date|time|at|on))|answer(ed)?.?(date|at|on)|survey(ed)?.?(date|at|on)|"
    r"surveyed|date.?of.?(the.?)?response|date.?(de.?)?r[ée]ponse|data.?(della |da |de )?r[ie]sposta|"
    r"fecha.?(de.?)?respuesta|antwort.?datum|datum.?der.?antwort",
    re.I,
)
# When the survey was finished, or the tool's own timestamp, or just "date".
_DATE_BEST = re.compile(
    r"completed|completion|end.?date|enddate|horodateur|zeitstempel|marca temporal|carimbo|cronologic|timestamp|"
    r"^date$|^data$|^datum$|^fecha$",
    re.I,
)
_DATE_GOOD = re.compile(r"finished|^date|date$", re.I)
# Dates of something else: the record, the invitation, the customer, the contract.
_DATE_WORSE = re.compile(
    r"start|birth|nascita|naissance|nacimiento|geburt|expir|scaden|\bdue\b|hire|assunz|modified|updated|"
    r"creat|insert|import|\bsent\b|sent.?(at|on|date)|invit|deliver(ed|y).?(at|on|date)|last.?(login|seen|update)|"
    r"signup|sign.?up|registr|iscrizion|inscri|contract|contratt|subscri",
    re.I,
)
_COMMENT_NAME = re.compile(
    r"why|reason|perch[ée]|motiv|pourquoi|raison|por ?qu[ée]|porque|warum|grund|comment|kommentar|"
    r"coment[aá]rio|verbatim|\btext\b|feedback|suggest|suggeri|open|osservazion|\bnote?s?\b|remark|expli|"
    r"tell us|describe|improve|miglior|améliorer|mejorar|free text|testo|because|anmerkung|bemerkung|"
    r"begründung|observa|justifica",
    re.I,
)
# Names that only a comment has: such a column is the comment even when its texts repeat
# (short or templated comments repeat a lot in real exports).
_COMMENT_STRONG = re.compile(
    r"comment|kommentar|coment[aá]r|verbatim|feedback|\bwhy\b|perch[ée]|pourquoi|por ?qu[ée]|porque|warum|"
    r"reason|raison|raz[oó]n|raz[aã]o|motiv|\bgrund\b|begründung|because|expli|remark|remarque|osservazion|"
    r"observa|anmerkung|bemerkung|justifica|^notes?$|^note[ _.-]|^nota[s]?$",
    re.I,
)
# Comment words that also name categories ("contact reason", "motivo chiamata"): such a column
# must hold varied text to be the comment.
_COMMENT_CATEGORY = re.compile(r"reason|raison|raz[oó]n|raz[aã]o|motiv|\bgrund\b|feedback.?(type|categor)", re.I)
# Who answered: a customer, an account, a person. Such a column is the respondent even when
# the sample holds each value once (customers who answered once).
_RESPONDENT_PERSON = re.compile(
    r"customer.?(id|number|no|code|key|ref)|client.?(id|number|no|code|key|ref)|codice.?cliente|id.?cliente|"
    r"n(umero|\.)?.?cliente|cliente.?(id|code|codice|n)|kunden.?(id|nummer|nr)|kundennummer|"
    r"(user|member|account|person|contact|subscriber|patient|guest|buyer|household|abonn[ée]|utente|"
    r"socio|cuenta|conta|konto)[ _.-]?(id|number|no|code|key|ref|nr|nummer|numero)|"
    r"identifiant.?client|id.?(user|utente|account|contact)|e-?mail|courriel|correo|"
    r"employee.?(id|number|code)|matricola|personalnummer|respondent",
    re.I,
)
# The most specific of those first: an account or customer id over an e-mail over "respondent".
_RESPONDENT_RANK = (
    re.compile(r"customer|client|kunde|account|member|subscriber|cuenta|conta|konto|user|utente|person|contact", re.I),
    re.compile(r"e-?mail|courriel|correo|employee|matricola|personalnummer", re.I),
)
# Ids of something: a response, a record, a row. Unique per row it is a response id, not a respondent.
_RESPONSE_ID = re.compile(
    r"response.?id|responseid|_recordid|record.?id|submission|^#$|^id$|[ _]id$|^id[ _]|token|^uuid$|^key$",
    re.I,
)
_WEIGHT_NAME = re.compile(
    r"^(weight|weights|peso|pesi|poids|gewicht|ponderazione|ponderaci[oó]n|wt|wgt)$|weight$|^weight", re.I
)
_METADATA = re.compile(
    r"^(ip ?address|ipaddress|ip|status|progress|duration.*|finished|user ?language|userlanguage|"
    r"recipient ?(last|first) ?name|recipient(last|first)name|recipient ?email|recipientemail|"
    r"external ?(data )?reference|externalreference|externaldatareference|"
    r"location ?(latitude|longitude|accuracy)|location(latitude|longitude|accuracy)|latitude|longitude|"
    r"response ?set|responseset|network ?id|collector ?id|user ?agent|browser.*|custom ?data ?\d*|"
    r"first ?name|last ?name|name|nome|cognome|q_.*|v\d+|start date \(utc\)|submit date \(utc\)|"
    r"stage date \(utc\)|ip-adresse|antworttyp|aktueller stand|dauer.*|beendet|breitengrad.*|längengrad.*|"
    r"benutzersprache|nachname.*|vorname.*|e-mail des empfängers)$",
    re.I,
)
_DISTRIBUTION = re.compile(r"distribution", re.I)
# Numbers that measure rather than name a group: ratings, counts, amounts, durations.
_MEASURE_NAME = re.compile(
    r"rating|\brate\b|_rate|rate_|score|punteggio|voto|valutazion|\bnote\b|\bnota\b|bewertung|satisf|soddisf|"
    r"csat|\bces\b|effort|count|number|^num|^n_|_n$|qty|quantit|amount|importo|price|prezzo|prix|spend|revenue|"
    r"cost|total|\bage\b|duration|minutes|seconds|days|hours|visits|orders|items|progress|ness$",
    re.I,
)
_SURVEY_TYPE_NAME = re.compile(
    r"survey[ _.-]*type|tipo[ _.-]*(di[ _.-]*)?(indagine|sondaggio|survey|questionario|rilevazione)|"
    r"type[ _.-]*d.?enqu[êe]te|tipo[ _.-]*de[ _.-]*encuesta|umfrage[ _.-]*typ|nps[ _.-]*type|type[ _.-]*nps",
    re.I,
)
_SURVEY_TYPE_VALUE = re.compile(
    r"transaction|relation|transazional|relazional|transactionnel|relationnel|transaccional|relacional|"
    r"transaktion|beziehung|tnps|rnps|touchpoint|journey|brand",
    re.I,
)
_LANGUAGE_CUES = {
    "it": re.compile(
        r"\b(data|risposta|cliente|perch[ée]|consiglieresti|raccomand\w*|probabilit[àa]|commento|valutazione|"
        r"informazioni cronologiche|quanto|citt[àa]|negozio|punteggio|motivo|canale|funzione)\b",
        re.I,
    ),
    "fr": re.compile(
        r"\b(date de|réponse|pourquoi|recommander\w*|horodateur|commentaire|ville|probabilité|canal|magasin)\b", re.I
    ),
    "de": re.compile(
        r"\b(datum|antwort\w*|warum|empfehlen|zeitstempel|kommentar|stadt|wahrscheinlich\w*|anfangsdatum|"
        r"enddatum|erfassungsdatum)\b",
        re.I,
    ),
    "es": re.compile(r"\b(fecha|respuesta|por qué|recomendar\w*|marca temporal|comentario|ciudad|tienda)\b", re.I),
    "pt": re.compile(r"\b(resposta|por que|recomendaria|carimbo|comentário|cidade|loja)\b", re.I),
}
_ENGLISH_CUES = re.compile(r"\b(date|response|why|recommend|timestamp|comment|city|likely|store|customer)\b", re.I)


def guess_language_dayfirst(texts: list[str]) -> bool:
    """True when the headers read more Italian/French/German/Spanish/Portuguese than English."""
    joined = " | ".join(texts)
    other = sum(len(rx.findall(joined)) for rx in _LANGUAGE_CUES.values())
    english = len(_ENGLISH_CUES.findall(joined))
    return other > english


# --- roles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedOverrides:
    """Overrides with every column already resolved to a stored name."""

    score: str | None = None
    date: str | None = None
    comment: str | None = None
    respondent: str | None = None
    weight: str | None = None
    dimensions: tuple[str, ...] | None = None
    date_order: str | None = None
    no_date: bool = False
    no_comment: bool = False


@dataclass(frozen=True)
class Detection:
    """The detector's answer: the mapping, how to read the date, and what to tell the user."""

    mapping: ColumnMapping
    date_kind: str | None
    date_fast_formats: tuple[tuple[str, str], ...]
    date_order_decided: bool
    kind: str
    warnings: tuple[str, ...]
    column_notes: dict[str, str] = field(hash=False, compare=False)


def _pct(part: int, whole: int) -> str:
    if whole == 0:
        return "0%"
    share = 100 * part / whole
    return f"{share:.0f}%" if share < 99.5 or part == whole else "99%"


def _show(values_: tuple[str, ...], k: int = 3) -> str:
    shown = [repr(v if len(v) <= 30 else v[:27] + "...") for v in values_[:k]]
    return ", ".join(shown)


def _fmt_number(x: float | None) -> str:
    if x is None:
        return "?"
    return str(int(x)) if x == int(x) and abs(x) < 1e15 else f"{x:g}"


def _matches(pattern: re.Pattern[str], p: ColumnProfile) -> bool:
    """True when the column's name, header or label matches (each on its own, so anchors work)."""
    return any(pattern.search(t.strip()) for t in (p.name, p.header, p.label or "") if t)


def _score_level(p: ColumnProfile) -> int:
    if _matches(_RECOMMEND, p) or _matches(_EMPLOYEE_QUESTION, p):
        return 3
    if any(_NPS_NAME.match(t.strip()) for t in (p.name, p.header, p.label or "")):
        return 2
    if any(_SCORE_NAME.match(t.strip()) for t in (p.name, p.header, p.label or "")):
        return 1
    return 0


def _is_metadata(p: ColumnProfile) -> bool:
    return any(_METADATA.match(t.strip()) for t in (p.name, p.header, p.label or "") if t)


def _is_datey(p: ColumnProfile) -> bool:
    return p.nonblank > 0 and max(p.dmy_ok, p.mdy_ok) >= 0.9 * p.nonblank


def find_score_candidates(profiles: list[ColumnProfile]) -> tuple[list[tuple[int, ColumnProfile]], list[str]]:
    """Columns that can be the score (with their name level) and why each other one cannot.

    The reasons come nearest miss first: a few 0–10 values, then other
    numbers, text, dates, empty columns, and the skipped metadata last.
    """
    chosen: list[tuple[int, ColumnProfile]] = []
    failures: list[tuple[int, int, str]] = []
    metadata: list[str] = []
    for p in profiles:
        level = _score_level(p)
        if p.nonblank == 0:
            failures.append((4, p.position, f"{p.name!r} is empty"))
            continue
        if _matches(_NPS_GROUP, p) or (level < 3 and _is_metadata(p)):
            metadata.append(p.name)
            continue
        rate = p.score_ok / p.nonblank
        # A column worded like the question may hold many "N/A"s; an unnamed one must be clean.
        if rate < (0.5 if level >= 2 else 0.8):
            if p.numeric >= 0.8 * p.nonblank:
                failures.append(
                    (
                        1,
                        p.position,
                        f"{p.name!r} holds numbers from {_fmt_number(p.number_min)} to {_fmt_number(p.number_max)}, "
                        "not whole numbers 0–10",
                    )
                )
            elif _is_datey(p):
                failures.append((3, p.position, f"{p.name!r} holds dates"))
            else:
                failures.append(
                    (2, p.position, f"{p.name!r} holds text, not 0–10 numbers (e.g. {_show(p.examples, 2)})")
                )
            continue
        if level >= 2:
            chosen.append((level, p))
            continue
        if p.score_ok < 5:
            failures.append(
                (
                    0,
                    p.position,
                    f"{p.name!r} has only {p.score_ok} value(s) ({_show(p.examples, 3)}), too few to tell a 0–10 scale",
                )
            )
        elif (p.score_max or 0) <= 5:
            failures.append(
                (0, p.position, f"{p.name!r} only goes from {p.score_min} to {p.score_max} (a 1–5 rating?)")
            )
        elif p.score_distinct < 3 or (p.score_max or 0) < 7:
            failures.append(
                (0, p.position, f"{p.name!r} only holds {p.score_distinct} different values up to {p.score_max}")
            )
        else:
            chosen.append((level, p))
    ordered = [text for _, _, text in sorted(failures)]
    if metadata:
        ordered.append(f"{len(metadata)} survey-tool or group column(s) skipped ({', '.join(metadata[:5])})")
    return chosen, ordered


def choose_score(
    profiles: list[ColumnProfile], *, file: str, override: str | None
) -> tuple[ColumnProfile, str, list[str]]:
    """Pick the score column; return it, the reason, and warnings.

    Raises :class:`IngestError` naming the columns considered when none fits.
    """
    by_name = {p.name: p for p in profiles}
    if override is not None:
        p = by_name[override]
        share = f"{_pct(p.score_ok, p.nonblank)} of {p.nonblank} sampled values are whole numbers 0–10"
        warnings = []
        if p.nonblank and p.score_ok < 0.8 * p.nonblank:
            warnings.append(f"the score column {p.name!r} you chose has only {share}; the other rows will be rejected")
        return p, f"chosen by you; {share}", warnings
    candidates, failures = find_score_candidates(profiles)
    if not candidates:
        considered = "; ".join(failures[:8]) + (f"; and {len(failures) - 8} more" if len(failures) > 8 else "")
        raise IngestError(
            f"no column can be the 0–10 score: {considered}. Name the score column (score=...) if the file has one",
            file=file,
        )
    best_level = max(level for level, _ in candidates)
    top = [p for level, p in candidates if level == best_level]
    p = top[0]
    share = f"{_pct(p.score_ok, p.nonblank)} of {p.nonblank} sampled values are whole numbers 0–10"
    warnings: list[str] = []
    if best_level == 3:
        wording = p.label or p.header or p.name
        reason = f'{p.name!r} reads like the recommend question ("{_short(wording)}"); {share}'
    elif best_level == 2:
        reason = f"{p.name!r} is named like an NPS score; {share}"
    elif best_level == 1:
        reason = f"{p.name!r} is named like a score; {share}"
    else:
        reason = f"{p.name!r} is the column whose values are whole numbers 0–10 ({share})"
    if len(top) > 1:
        others = ", ".join(repr(o.name) for o in top[1:6])
        if best_level == 0:
            reason = (
                f"{p.name!r} is the first of {len(top)} columns holding whole numbers 0–10 (also {others}); "
                f"none is worded like the recommend question — choose another if this is wrong; {share}"
            )
            warnings.append(
                f"several columns hold 0–10 numbers and none reads like the recommend question; took the first, "
                f"{p.name!r} (others: {others}) — choose the score column if that is wrong"
            )
        else:
            reason += f"; first of {len(top)} such columns (also {others})"
    return p, reason, warnings


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _date_level(p: ColumnProfile) -> int:
    texts = [t for t in (p.name, p.header, p.label or "") if t]
    if any(_DATE_ANSWER.search(t) for t in texts):
        level = 4
    elif any(_DATE_BEST.search(t) for t in texts):
        level = 3
    elif any(_DATE_GOOD.search(t) for t in texts):
        level = 2
    elif any(_DATE_NAME.search(t) for t in texts):
        level = 1
    else:
        level = 0
    if any(_DATE_WORSE.search(t) for t in texts):
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
            f"chosen by you; {_pct(ok, p.nonblank)} of {p.nonblank} sampled values read as dates",
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
    reason = f"{p.name!r} {named}; {_pct(ok, p.nonblank)} of {p.nonblank} sampled values read as {what}"
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


def choose_comment(
    profiles: list[ColumnProfile],
    *,
    exclude: set[str],
    override: str | None,
    no_comment: bool,
) -> tuple[ColumnProfile | None, str]:
    """Pick the free-text comment column (or None) and the reason."""
    if no_comment:
        return None, "no comment column: you chose none"
    if override is not None:
        return next(p for p in profiles if p.name == override), "chosen by you"
    options = []
    for p in profiles:
        if p.name in exclude or p.nonblank == 0 or _is_metadata(p) or _is_datey(p):
            continue
        if p.numeric > 0.5 * p.nonblank:
            continue
        level = _comment_level(p)
        if level:
            options.append(((level, p.text_len), p, level))
    if not options:
        return None, "no column holds free text"
    options.sort(key=lambda o: o[0], reverse=True)
    _, p, level = options[0]
    how = "is named like a comment and holds" if level >= 2 else "holds"
    filled = p.nonblank - p.missing_text
    reason = (
        f"{p.name!r} {how} free text: {p.text_len:.0f} characters on average, "
        f"{_pct(min(p.distinct, filled), filled)} distinct over {filled} sampled answers"
    )
    if p.missing_text:
        reason += f" ({p.missing_text} more say only NA, N/A, - or the like: no comment)"
    return p, reason


def _comment_level(p: ColumnProfile) -> int:
    """How surely a text column is the comment: 3 named only as a comment, 2 named like one, 1 long text, 0 not.

    A column with a comment's name is the comment even when its texts repeat
    (templated or short comments); "reason"-like names, which also name
    categories (a contact reason), need more varied text; an unnamed column
    needs long, varied text.
    """
    filled = p.nonblank - p.missing_text
    if filled <= 0:
        return 0
    varied = p.distinct >= 0.5 * filled
    if _matches(_COMMENT_STRONG, p) and not _matches(_COMMENT_CATEGORY, p):
        if p.text_len >= 3 and p.distinct >= 3:
            return 3
    elif _matches(_COMMENT_STRONG, p) or _matches(_COMMENT_NAME, p):
        if (varied and p.text_len >= 5) or (p.distinct > 12 and p.text_len >= 12) or p.text_len >= 20:
            return 2
    if p.text_len >= 20 and varied:
        return 1
    return 0


def choose_respondent(
    profiles: list[ColumnProfile],
    *,
    exclude: set[str],
    override: str | None,
) -> tuple[ColumnProfile | None, str]:
    """Pick the respondent-id column (or None) and the reason."""
    if override is not None:
        return next(p for p in profiles if p.name == override), "chosen by you"
    options = []
    response_ids = []
    for p in profiles:
        if p.name in exclude or p.nonblank == 0 or p.avg_len > 80 or _is_datey(p):
            continue
        if _matches(_RESPONDENT_PERSON, p):
            # Few values that repeat are a category (an account list, a customer type), not who answered.
            if p.distinct > 60 or (p.distinct >= 10 and p.distinct >= p.nonblank // 3):
                rank = next((len(_RESPONDENT_RANK) - i for i, rx in enumerate(_RESPONDENT_RANK) if _matches(rx, p)), 0)
                options.append(((rank, p.distinct < p.nonblank, -p.position), p))
        elif _matches(_RESPONSE_ID, p):
            if p.distinct >= p.nonblank:
                response_ids.append(p.name)
            elif p.distinct >= 0.3 * p.nonblank:
                # A generic id whose values repeat identifies something that answers more than once.
                options.append(((-1, True, -p.position), p))
    if not options:
        if response_ids:
            return None, (
                f"no respondent id: {_show(tuple(response_ids), 3)} is unique per row (a response id, "
                "not who answered)"
            )
        return None, "no id-like column"
    options.sort(key=lambda o: o[0], reverse=True)
    p = options[0][1]
    if p.distinct < p.nonblank:
        repeated = f"{p.nonblank - p.distinct} of its {p.nonblank} sampled values repeat an earlier one"
    else:
        repeated = f"its {p.nonblank} sampled values are all different (each answered once so far)"
    named = "is named like a customer, account or person id" if options[0][0][0] >= 0 else "is an id whose values repeat"
    reason = f"{p.name!r} {named}; {repeated}"
    if response_ids:
        reason += f" (preferred over the response id {_show(tuple(response_ids), 2)})"
    return p, reason


def choose_weight(
    profiles: list[ColumnProfile],
    *,
    exclude: set[str],
    override: str | None,
) -> tuple[ColumnProfile | None, str]:
    """Pick a weight column (or None) and the reason: only a column named like a weight."""
    if override is not None:
        return next(p for p in profiles if p.name == override), "chosen by you"
    for p in profiles:
        if p.name in exclude or p.nonblank == 0:
            continue
        if any(_WEIGHT_NAME.search(t.strip()) for t in (p.name, p.header)) and p.numeric >= 0.95 * p.nonblank:
            return p, f"{p.name!r} is named like a weight and holds numbers"
    return None, "no weight column"


def choose_dimensions(
    profiles: list[ColumnProfile],
    *,
    exclude: set[str],
    override: tuple[str, ...] | None,
) -> tuple[list[ColumnProfile], dict[str, str]]:
    """Pick the low-cardinality categorical columns to break results down by, with reasons."""
    by_name = {p.name: p for p in profiles}
    if override is not None:
        return [by_name[n] for n in override], {n: "chosen by you" for n in override}
    chosen, reasons = [], {}
    for p in profiles:
        if p.name in exclude or p.nonblank == 0 or (_is_metadata(p) and not _matches(_DISTRIBUTION, p)):
            continue
        if not 2 <= p.distinct <= 60 or p.distinct > max(2, p.nonblank // 2):
            continue
        if _is_datey(p) or p.avg_len > 60:
            continue
        if p.numeric > 0.5 * p.nonblank:
            if not _is_numeric_code(p):
                continue
            reasons[p.name] = (
                f"{p.name!r} holds {p.distinct} different whole numbers in the sample "
                f"({_fmt_number(p.number_min)} to {_fmt_number(p.number_max)}): a code or a flag"
            )
        else:
            reasons[p.name] = f"{p.name!r} has {p.distinct} distinct values in the sample, e.g. {_show(p.examples, 3)}"
        chosen.append(p)
    return chosen, reasons


def _is_numeric_code(p: ColumnProfile) -> bool:
    """A numeric column that names groups: a 0/1 flag or a small whole-number code (a tier, a level).

    Not a rating or an amount: at most 10 different whole numbers, none
    negative, and a name that is not a rating's, a count's or a measure's.
    """
    return (
        p.whole >= 0.95 * p.nonblank
        and p.distinct <= 10
        and (p.number_min or 0) >= 0
        and (p.number_max or 0) < 1000
        and not _matches(_MEASURE_NAME, p)
        and not _matches(_NPS_GROUP, p)
        and _score_level(p) == 0
    )


def choose_survey_type(dimensions: list[ColumnProfile]) -> tuple[ColumnProfile | None, str]:
    """Among the dimensions, the one naming the survey type (transactional / relationship), if any."""
    for p in dimensions:
        if _matches(_SURVEY_TYPE_NAME, p):
            return p, f"{p.name!r} is named like a survey type"
    for p in dimensions:
        hits = [v for v in p.examples if _SURVEY_TYPE_VALUE.search(v)]
        if hits and len(hits) >= 0.5 * min(len(p.examples), p.distinct):
            return p, f"{p.name!r} values read like survey types ({_show(tuple(hits), 3)})"
    return None, "no survey-type column"


def detect_kind(score: ColumnProfile, profiles: list[ColumnProfile]) -> tuple[str, str]:
    """Return ``('employee' | 'customer', reason)`` from the score question and the columns."""
    if _matches(_EMPLOYEE_QUESTION, score):
        return "employee", "the score question asks about recommending a place to work (eNPS)"
    employee_cols = [p.name for p in profiles if _EMPLOYEE_COLUMN.search(p.name)]
    if len(employee_cols) >= 2:
        return "employee", f"employee columns: {', '.join(employee_cols[:4])}"
    return "customer", "the score question is about recommending to others"


def detect_roles(
    con: duckdb.DuckDBPyConnection,
    table: str,
    profiles: list[ColumnProfile],
    overrides: ResolvedOverrides,
    *,
    file: str,
    dayfirst_language: bool,
) -> Detection:
    """Choose every role from the sample profiles, honouring the overrides.

    Raises :class:`IngestError` when no column can be the score.
    """
    warnings: list[str] = []
    reasons: dict[str, str] = {}
    score, reasons["score"], more = choose_score(profiles, file=file, override=overrides.score)
    warnings += more
    taken = {score.name}
    date, date_kind, reasons["date"] = choose_date(
        profiles, exclude=taken, override=overrides.date, no_date=overrides.no_date
    )
    order: str | None = None
    decided = True
    fast: tuple[tuple[str, str], ...] = ()
    if date is not None:
        taken.add(date.name)
        if date_kind == values.DATE_TEXT:
            order, decided, sentence, more = decide_date_order(
                date, override=overrides.date_order, dayfirst_language=dayfirst_language
            )
            warnings += more
            reasons["date"] += f"; {sentence}"
            fast = choose_fast_formats(con, table, date.internal, order, date_kind)
        else:
            order = overrides.date_order
    comment, reasons["comment"] = choose_comment(
        profiles, exclude=taken, override=overrides.comment, no_comment=overrides.no_comment
    )
    if comment is not None:
        taken.add(comment.name)
    respondent, reasons["respondent"] = choose_respondent(profiles, exclude=taken, override=overrides.respondent)
    if respondent is not None:
        taken.add(respondent.name)
    weight, reasons["weight"] = choose_weight(profiles, exclude=taken, override=overrides.weight)
    if weight is not None:
        taken.add(weight.name)
    dims, dim_reasons = choose_dimensions(profiles, exclude=taken, override=overrides.dimensions)
    for column, sentence in dim_reasons.items():
        reasons.setdefault(column, sentence)  # a dimension named like a role keeps the role's reason
    survey_type, st_reason = choose_survey_type(dims)
    if survey_type is not None:
        reasons["survey_type"] = st_reason
    kind, _ = detect_kind(score, profiles)
    if score.score_ok >= 100 and score.score_min == 1 and score.score_max == 10:
        warnings.append(describe_one_to_ten(score.name, score.score_ok, sampled=True))
    mapping = ColumnMapping(
        score=score.name,
        date=date.name if date else None,
        comment=comment.name if comment else None,
        respondent=respondent.name if respondent else None,
        weight=weight.name if weight else None,
        dimensions=tuple(p.name for p in dims),
        survey_type=survey_type.name if survey_type else None,
        date_order=order,
        reasons=reasons,
    )
    notes = _column_notes(profiles, mapping)
    return Detection(
        mapping=mapping,
        date_kind=date_kind if date else None,
        date_fast_formats=fast,
        date_order_decided=decided,
        kind=kind,
        warnings=tuple(warnings),
        column_notes=notes,
    )


def describe_one_to_ten(column: str, count: int, *, sampled: bool) -> str:
    """The warning for a score column that never holds 0 (a 1–10 scale)."""
    where = "sampled scores" if sampled else "scores"
    return (
        f"the score column {column!r} looks like a 1–10 scale: no 0 among {count:,} {where}; it is read as 0–10 "
        "(1–6 detractors), which lowers the NPS — check the question's scale"
    )


def _column_notes(profiles: list[ColumnProfile], mapping: ColumnMapping) -> dict[str, str]:
    notes = {}
    for p in profiles:
        if p.nonblank == 0:
            notes[p.name] = "empty in the sample"
        elif _is_metadata(p):
            notes[p.name] = "survey-tool metadata, not analysed"
        elif _is_datey(p):
            notes[p.name] = "dates (another column is the response date)"
        elif p.missing_text and p.missing_text >= p.nonblank - 1:
            notes[p.name] = "only NA, N/A, - or the like in the sample, no role"
        elif p.numeric >= 0.8 * p.nonblank:
            notes[p.name] = f"numbers from {_fmt_number(p.number_min)} to {_fmt_number(p.number_max)}, no role"
        elif p.distinct > 60 or p.distinct > max(2, p.nonblank // 2):
            notes[p.name] = f"text with {p.distinct} distinct values in the sample, no role"
        else:
            notes[p.name] = "no role"
    return notes


def find_role(name: str, mapping: ColumnMapping) -> str | None:
    """The role a stored column plays in a mapping, or None."""
    for role in ("score", "date", "comment", "respondent", "weight"):
        if getattr(mapping, role) == name:
            return role
    if name == mapping.survey_type:
        return "survey_type"
    if name in mapping.dimensions:
        return "dimension"
    return None
