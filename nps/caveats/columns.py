"""Which columns hold what a caveat needs, by name (or question text), each guess overridable by the caller.

Matching is on the column's stored name and its question text (``Dataset.labels``), case- and
accent-insensitive, as whole words (``_``, ``-``, spaces and punctuation separate words). The first
column (in the order given) matching a word of the list wins; :mod:`nps.query.caveats` looks for a country,
language, store or agent among the mapping's dimensions only (an item rating "rating_staff" is not a staff column).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

# Words that name a country column, in the languages the app reads.
COUNTRY_WORDS = ("country", "countries", "country code", "paese", "nazione", "pays", "pais", "land", "nation")
# Words that name a language column.
LANGUAGE_WORDS = ("language", "lang", "lingua", "langue", "idioma", "sprache", "locale", "lingua risposta")
# Words that name the people or places a score may be gamed by: a store, a branch, an agent, an operator.
AGENT_WORDS = (
    "agent", "agent id", "store", "shop", "branch", "outlet", "dealer", "operator", "advisor", "adviser",
    "representative", "rep", "employee", "staff", "seller", "salesperson", "negozio", "punto vendita", "filiale",
    "operatore", "consulente", "venditore", "magasin", "agence", "boutique", "vendeur", "conseiller", "tienda",
    "sucursal", "agente", "asesor", "vendedor", "filiale", "geschaft", "berater", "loja", "atendente",
)
# Words that name a column of invitation counts.
INVITATION_WORDS = (
    "invitations", "invitation", "invited", "invites", "surveys sent", "sent", "inviti", "invitati", "invii",
    "envoyes", "invitaciones", "enviados", "einladungen", "convites",
)


def fold(text: str) -> str:
    """``text`` lower-cased, accents removed, runs of non-letters as one space."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return " ".join(re.split(r"[^0-9a-z]+", plain)).strip()


def _matches(text: str, words: Sequence[str]) -> bool:
    folded = f" {fold(text)} "
    return any(f" {fold(word)} " in folded for word in words)


def find_column(columns: Sequence[str], labels: Mapping[str, str], words: Sequence[str], *,
                prefer: Sequence[str] = ()) -> str | None:
    """The first column whose name or question text has one of ``words``; those in ``prefer`` first. None if none."""
    ordered = [c for c in columns if c in prefer] + [c for c in columns if c not in prefer]
    for column in ordered:
        if _matches(column, words) or _matches(labels.get(column, "") or "", words):
            return column
    return None
