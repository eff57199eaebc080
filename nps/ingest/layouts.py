"""Where the table sits in a file's first rows: the header row(s) and the columns' names (:class:`Layout`).

Layouts are found from the first rows parsed in Python (:func:`detect_layout`): Qualtrics,
SurveyMonkey, Google Forms, Typeform, a spreadsheet with a title above the header, or flat.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from nps.control_chars import TERMINAL_UNSAFE, escape_for_terminal
from nps.errors import IngestError
from nps.ingest import vocabulary


QUALTRICS_3ROW = "qualtrics-3row"
QUALTRICS_LEGACY = "qualtrics-legacy-2row"
SURVEYMONKEY = "surveymonkey-2row"
GOOGLE_FORMS = "google-forms"
TYPEFORM = "typeform"
SPREADSHEET = "spreadsheet"
FLAT = "flat"

RESERVED_LOWER = {"_row", "_wave", "_score", "_category", "_date", "_comment", "_respondent", "_weight"}


HEADER_SCAN = 30


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


def _nonempty(row: list[str]) -> int:
    return sum(1 for f in row if f.strip())


def _is_title_or_blank(row: list[str], width: int) -> bool:
    filled = _nonempty(row)
    return filled == 0 or (width >= 3 and filled <= 1) or (width >= 7 and filled <= 2 and filled < 0.3 * width)


def _is_surveymonkey_pair(row: list[str], following: list[str]) -> bool:
    return _nonempty(row) > 0 and any(f.strip().lower() in vocabulary.SURVEYMONKEY_MARKERS for f in following)


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
        f.strip().replace(" ", "").lower() in vocabulary.LEGACY_LABELS for f in second
    ):
        name, skip, labels_row = QUALTRICS_LEGACY, header_index + 2, second
    elif (
        second
        and any(f.strip().lower() in vocabulary.SURVEYMONKEY_MARKERS for f in second)
        and (any(not h.strip() for h in header) or "respondent id" in lowered)
    ):
        name, skip, labels_row, fill_from_left = SURVEYMONKEY, header_index + 2, second, True
    elif lowered and lowered[0] in vocabulary.GOOGLE_TIMESTAMPS:
        name = GOOGLE_FORMS
    elif lowered and lowered[0] == "#" and any(h in vocabulary.TYPEFORM_MARKERS for h in lowered):
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
            if question and sub and sub.lower() not in vocabulary.SURVEYMONKEY_MARKERS and spans:
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
