"""The survey's vocabulary, in one place: what every other module agrees on.

NPS categories and their score thresholds (detractor 0–6, passive 7–8, promoter
9–10), also as SQL generated from the same constants; the time grains; the
interval methods; the controls of multiple comparisons; the languages the
comment analysis knows and their names. This module imports nothing of the
project, so anything may import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# --- scores and categories --------------------------------------------------------------------

SCORE_MIN = 0
SCORE_MAX = 10
SCORES: tuple[int, ...] = tuple(range(SCORE_MIN, SCORE_MAX + 1))
DETRACTOR_MAX = 6
PASSIVE_MIN = 7
PASSIVE_MAX = 8
PROMOTER_MIN = 9

DETRACTOR = "detractor"
PASSIVE = "passive"
PROMOTER = "promoter"
CATEGORIES: tuple[str, str, str] = (DETRACTOR, PASSIVE, PROMOTER)

# Each category's scores, lowest and highest.
_BOUNDS: dict[str, tuple[int, int]] = {
    DETRACTOR: (SCORE_MIN, DETRACTOR_MAX),
    PASSIVE: (PASSIVE_MIN, PASSIVE_MAX),
    PROMOTER: (PROMOTER_MIN, SCORE_MAX),
}


def category(score: int | float | None) -> str | None:
    """The NPS category of a 0–10 score (``None`` for a missing score): 6 → ``"detractor"``, 9 → ``"promoter"``."""
    if score is None or score != score:  # None or NaN
        return None
    if score <= DETRACTOR_MAX:
        return DETRACTOR
    if score <= PASSIVE_MAX:
        return PASSIVE
    return PROMOTER


def score_range(name: str) -> str:
    """A category's scores as shown to people, with an en dash: ``"0–6"``, ``"7–8"``, ``"9–10"``."""
    low, high = _BOUNDS[name]
    return f"{low}–{high}"


def category_sql(score: str) -> str:
    """SQL (VARCHAR) for the NPS category of the 0–10 score expression ``score``; NULL for a NULL score.

    ``score`` is SQL text (a quoted column or an expression), never a value.
    """
    return (
        f"CASE WHEN {score} IS NULL THEN NULL WHEN {score} <= {DETRACTOR_MAX} THEN '{DETRACTOR}' "
        f"WHEN {score} <= {PASSIVE_MAX} THEN '{PASSIVE}' ELSE '{PROMOTER}' END"
    )


def is_category_sql(name: str, score: str) -> str:
    """SQL (BOOLEAN) true when the score expression ``score`` is in category ``name``.

    ``score >= 9``, ``score BETWEEN 7 AND 8``, ``score <= 6``: comparing the
    integer score is cheaper than comparing category strings. Raises KeyError
    for an unknown category.
    """
    low, high = _BOUNDS[name]
    if name == PROMOTER:
        return f"{score} >= {low}"
    if name == DETRACTOR:
        return f"{score} <= {high}"
    return f"{score} BETWEEN {low} AND {high}"


# --- time grains ------------------------------------------------------------------------------

DAY = "day"
WEEK = "week"  # ISO: weeks start on Monday
MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
GRAINS: tuple[str, ...] = (DAY, WEEK, MONTH, QUARTER, YEAR)


def check_grain(grain: str) -> str:
    """Return ``grain`` if it is one of :data:`GRAINS`; raise ValueError otherwise."""
    if grain not in GRAINS:
        raise ValueError(f"unknown time grain {grain!r}; use one of {', '.join(GRAINS)}")
    return grain


# --- statistics -------------------------------------------------------------------------------

# Interval methods: adjusted Wald (Rocks 2016, the default) and the textbook Wald.
ADJUSTED_WALD = "adjusted-wald"
WALD = "wald"
METHODS: tuple[str, ...] = (ADJUSTED_WALD, WALD)
DEFAULT_METHOD = ADJUSTED_WALD

# Multiplicity control of several tests shown together: Benjamini–Hochberg (false discovery rate,
# for screening displays), Holm (family-wise error, where decisions are made), or none.
BH = "bh"
HOLM = "holm"
NO_ADJUSTMENT = "none"
MULTIPLICITY: tuple[str, ...] = (BH, HOLM, NO_ADJUSTMENT)
MULTIPLICITY_NAMES: dict[str, str] = {BH: "Benjamini–Hochberg", HOLM: "Holm", NO_ADJUSTMENT: "no adjustment"}

# --- languages --------------------------------------------------------------------------------

# The languages the comment analysis detects (ISO 639-1), and the code of a comment in none of them.
LANGUAGES: tuple[str, ...] = ("it", "en", "fr", "es", "de", "pt")
UNKNOWN_LANGUAGE = "unknown"
# The languages of the codebook editor's columns, in this order (others follow when a codebook uses them).
CODEBOOK_LANGUAGES: tuple[str, ...] = ("it", "en", "fr", "es", "de")
LANGUAGE_NAMES: dict[str, str] = {
    "it": "Italian", "en": "English", "fr": "French", "es": "Spanish", "de": "German", "pt": "Portuguese",
    UNKNOWN_LANGUAGE: "Unknown",
}

# --- who may do what (team mode) ---------------------------------------------------------------------

VIEWER = "viewer"  # reads
EDITOR = "editor"  # also edits targets, codebooks, follow-up cases and actions
ADMIN = "admin"  # also uploads, deletes, manages users
ROLES: tuple[str, ...] = (VIEWER, EDITOR, ADMIN)


@dataclass(frozen=True)
class Scope:
    """The rows a user may see: for each restricted column, the values allowed (empty: every row).

    ``rules`` are sorted ``(column, values)`` pairs; a row is in scope when, for every rule, its
    column's value is one of the rule's values (several values of one column are alternatives,
    several columns all apply). Applied by the one row source (:mod:`nps.query.rows`), so every
    query, download and search of a scoped user is limited whatever the page or URL asks.
    """

    rules: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Scope:
        """A scope from ``(column, value)`` pairs, as a user's scopes are stored."""
        grouped: dict[str, set[str]] = {}
        for column, value in pairs:
            grouped.setdefault(str(column), set()).add(str(value))
        return cls(tuple(sorted((c, tuple(sorted(v))) for c, v in grouped.items())))

    @property
    def is_everything(self) -> bool:
        """True when the scope restricts nothing."""
        return not self.rules

    def allowed(self, column: str) -> tuple[str, ...] | None:
        """The values of ``column`` this scope allows, or None when it does not restrict that column."""
        return next((values for name, values in self.rules if name == column), None)

    def describe(self) -> str:
        """The scope in words: ``business_function: Billing or Sales; region: North`` (``every row`` when empty)."""
        if not self.rules:
            return "every row"
        return "; ".join(f"{column}: {' or '.join(values)}" for column, values in self.rules)


def role_allows(role: str, needed: str) -> bool:
    """True when ``role`` may do what ``needed`` may (viewer < editor < admin); an unknown role allows nothing."""
    return role in ROLES and needed in ROLES and ROLES.index(role) >= ROLES.index(needed)


# Item ratings given as words (the 5-point agreement and satisfaction scales in it/en/fr/es/de/pt), as the
# numbers 1–5 they stand for. Keys are normalised by item_label_key. The load detects a column of these words
# as an item (nps.ingest.roles); the drivers' reader (nps.query.drivers) translates them with a bound mapping.
_ITEM_LABEL_SCALES: tuple[tuple[str, ...], ...] = (
    # 1 | 2 | 3 | 4 | 5, each position's words separated by "|"
    ("strongly disagree|totally disagree", "disagree", "neither agree nor disagree|neutral", "agree",
     "strongly agree|totally agree"),
    ("very dissatisfied|very unsatisfied", "dissatisfied|unsatisfied", "neither satisfied nor dissatisfied",
     "satisfied", "very satisfied"),
    ("fortemente in disaccordo|completamente in disaccordo|per niente d'accordo", "in disaccordo",
     "né d'accordo né in disaccordo|ne d'accordo ne in disaccordo|neutrale", "d'accordo",
     "fortemente d'accordo|completamente d'accordo|pienamente d'accordo"),
    ("molto insoddisfatto|per niente soddisfatto", "insoddisfatto|poco soddisfatto",
     "né soddisfatto né insoddisfatto|ne soddisfatto ne insoddisfatto|abbastanza soddisfatto", "soddisfatto",
     "molto soddisfatto"),
    ("pas du tout d'accord", "pas d'accord|plutôt pas d'accord", "ni d'accord ni pas d'accord|neutre",
     "d'accord|plutôt d'accord", "tout à fait d'accord"),
    ("très insatisfait|pas du tout satisfait", "insatisfait|peu satisfait", "ni satisfait ni insatisfait",
     "satisfait|plutôt satisfait", "très satisfait"),
    ("totalmente en desacuerdo|muy en desacuerdo", "en desacuerdo", "ni de acuerdo ni en desacuerdo",
     "de acuerdo", "totalmente de acuerdo|muy de acuerdo"),
    ("muy insatisfecho", "insatisfecho", "ni satisfecho ni insatisfecho", "satisfecho", "muy satisfecho"),
    ("stimme überhaupt nicht zu|stimme gar nicht zu", "stimme nicht zu|stimme eher nicht zu", "weder noch|teils teils",
     "stimme zu|stimme eher zu", "stimme voll und ganz zu|stimme voll zu"),
    ("sehr unzufrieden", "unzufrieden|eher unzufrieden", "weder zufrieden noch unzufrieden",
     "zufrieden|eher zufrieden", "sehr zufrieden"),
    ("discordo totalmente|discordo completamente", "discordo", "não concordo nem discordo|nem concordo nem discordo",
     "concordo", "concordo totalmente|concordo completamente"),
    ("muito insatisfeito", "insatisfeito", "nem satisfeito nem insatisfeito", "satisfeito", "muito satisfeito"),
)


# The scales an item rating may sit on, smallest first: (lowest, highest) value (nps.ingest.roles detects items on
# them; an item indicator's threshold and target lie on its item's).
ITEM_SCALES: tuple[tuple[int, int], ...] = ((1, 5), (1, 7), (1, 10), (0, 10))


def item_scale(low: float | None, high: float | None) -> tuple[int, int] | None:
    """The smallest item scale (:data:`ITEM_SCALES`) holding every value from ``low`` to ``high``, or None."""
    if low is None or high is None:
        return None
    return next(((lo, hi) for lo, hi in ITEM_SCALES if lo <= low and high <= hi), None)


def item_label_key(text: str) -> str:
    """A label as :data:`ITEM_LABELS` keys it: lower case, trimmed, inner spaces single, ’ as '."""
    return " ".join(text.replace("’", "'").split()).casefold()


ITEM_LABELS: dict[str, int] = {
    item_label_key(word): position
    for scale in _ITEM_LABEL_SCALES
    for position, words in enumerate(scale, start=1)
    for word in words.split("|")
}
