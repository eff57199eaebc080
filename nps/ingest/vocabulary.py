"""The words that recognise a column's role and a survey tool's layout, read from ``vocabulary.toml``.

The multilingual header words and patterns are data, not code: to teach the detector a new
word (a language, a survey tool's column name), edit ``nps/ingest/vocabulary.toml``. It is read
once, when the package is imported; each pattern is compiled case-insensitively. What the
patterns mean for a column is decided in :mod:`nps.ingest.roles`, :mod:`nps.ingest.dates` and
:mod:`nps.ingest.layouts`.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any


def _read() -> dict[str, Any]:
    """The vocabulary file, parsed."""
    text = resources.files(__package__).joinpath("vocabulary.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _pattern(pieces: list[str]) -> re.Pattern[str]:
    """One pattern of the file: its pieces joined, matched case-insensitively."""
    return re.compile("".join(pieces), re.I)


_DATA = _read()
_PATTERNS = {name: _pattern(pieces) for name, pieces in _DATA["patterns"].items()}

# Patterns matched against a column's name, header or question text (see vocabulary.toml for each one's use).
RECOMMEND = _PATTERNS["recommend"]
NPS_NAME = _PATTERNS["nps_name"]
SCORE_NAME = _PATTERNS["score_name"]
NPS_GROUP = _PATTERNS["nps_group"]
EMPLOYEE_QUESTION = _PATTERNS["employee_question"]
EMPLOYEE_COLUMN = _PATTERNS["employee_column"]
DATE_NAME = _PATTERNS["date_name"]
DATE_ANSWER = _PATTERNS["date_answer"]
DATE_BEST = _PATTERNS["date_best"]
DATE_GOOD = _PATTERNS["date_good"]
DATE_WORSE = _PATTERNS["date_worse"]
COMMENT_NAME = _PATTERNS["comment_name"]
COMMENT_STRONG = _PATTERNS["comment_strong"]
COMMENT_CATEGORY = _PATTERNS["comment_category"]
RESPONDENT_PERSON = _PATTERNS["respondent_person"]
RESPONSE_ID = _PATTERNS["response_id"]
WEIGHT_NAME = _PATTERNS["weight_name"]
METADATA = _PATTERNS["metadata"]
DISTRIBUTION = _PATTERNS["distribution"]
MEASURE_NAME = _PATTERNS["measure_name"]
ITEM_NAME = _PATTERNS["item_name"]
SURVEY_TYPE_NAME = _PATTERNS["survey_type_name"]
SURVEY_TYPE_VALUE = _PATTERNS["survey_type_value"]
ENGLISH_CUES = _PATTERNS["english_cues"]

# Who answered, the most specific first: an account or customer id over an e-mail over "respondent".
RESPONDENT_RANK: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.I) for p in _DATA["respondent_rank"]["patterns"])
# Header words of languages that write dates day-first, by language.
LANGUAGE_CUES: dict[str, re.Pattern[str]] = {
    language: _pattern(pieces) for language, pieces in _DATA["day_first_language_cues"].items()
}

# Header cells that tell which survey tool wrote a file (lowercase, matched whole).
GOOGLE_TIMESTAMPS: frozenset[str] = frozenset(_DATA["layouts"]["google_timestamps"])
TYPEFORM_MARKERS: frozenset[str] = frozenset(_DATA["layouts"]["typeform_markers"])
SURVEYMONKEY_MARKERS: frozenset[str] = frozenset(_DATA["layouts"]["surveymonkey_markers"])
LEGACY_LABELS: frozenset[str] = frozenset(_DATA["layouts"]["legacy_labels"])
