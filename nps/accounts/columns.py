"""Which columns hold the account, the contact's role and the revenue, and how a revenue text reads as a number.

Pure: names and text in, choices and numbers out. The column mapping (:class:`nps.store.ColumnMapping`)
has no account, role or revenue role; :func:`find_column` guesses them from the dataset's column
names and question labels, and every caller takes an explicit column that overrides the guess.

The guess: a column's name and its label (if any) are lower-cased, accents stripped and ``_ - . /``
made spaces; a column matches a kind when one of the kind's words (:data:`ACCOUNT_WORDS`,
:data:`ROLE_WORDS`, :data:`REVENUE_WORDS`; English, Italian, French, Spanish, German, Portuguese)
appears in it as whole words. Columns that already have a role in the mapping (score, date,
comment, respondent, weight) are never chosen. Among the matches, the one matching the earliest
word of the list wins, then the first in file order.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

ACCOUNT = "account"
ROLE = "role"
REVENUE = "revenue"

# Most specific first: the earliest matching word decides between two candidate columns.
ACCOUNT_WORDS: tuple[str, ...] = (
    "customer account", "client account", "account name", "account id", "account", "company name", "company",
    "ragione sociale", "azienda", "societa", "cliente business", "cliente", "societe", "entreprise", "compte",
    "empresa", "firma", "unternehmen", "organisation", "organization", "organizacion", "organizacao",
)
ROLE_WORDS: tuple[str, ...] = (
    "decision role", "buying role", "job level", "job title", "seniority", "role", "ruolo", "qualifica", "poste",
    "rol", "cargo", "puesto", "funcao", "rolle", "position", "posizione",
)
REVENUE_WORDS: tuple[str, ...] = (
    "annual revenue", "revenue", "arr", "acv", "contract value", "fatturato", "ricavi", "chiffre d affaires",
    "ingresos", "facturacion", "receita", "faturamento", "umsatz",
)
WORDS: dict[str, tuple[str, ...]] = {ACCOUNT: ACCOUNT_WORDS, ROLE: ROLE_WORDS, REVENUE: REVENUE_WORDS}

# Role seniority: decision maker (rank 3) > influencer (2) > user (1). The first level whose words match wins.
DECISION_MAKER = "decision maker"
INFLUENCER = "influencer"
USER = "user"
ROLE_LEVELS: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    (DECISION_MAKER, 3, (
        "decision maker", "decisionmaker", "decider", "decisore", "decideur", "decisor", "entscheider",
        "entscheidungstrager", "tomador de decisao", "c level", "ceo", "cfo", "cio", "cto", "coo", "owner",
        "titolare", "proprietaire", "dueno", "inhaber", "president", "presidente", "vp", "vice president",
        "director", "direttore", "directeur", "direktor", "diretor", "head", "executive", "dirigente",
        "geschaftsfuhrer", "amministratore", "gerente general",
    )),
    (INFLUENCER, 2, (
        "influencer", "influenzatore", "prescripteur", "influenciador", "influyente", "einflussnehmer",
        "manager", "responsabile", "responsable", "leiter", "gerente", "team lead", "buyer", "purchasing",
        "procurement", "acquisti", "achats", "acheteur", "compras", "comprador", "einkauf", "einkaufer",
        "specialist", "consultant", "advisor",
    )),
    (USER, 1, (
        "user", "end user", "utente", "utilizzatore", "utilisateur", "usuario", "utilizador", "nutzer",
        "anwender", "benutzer", "staff", "employee", "impiegato", "employe", "empleado", "funcionario",
        "mitarbeiter", "operator", "operatore", "operateur", "operador",
    )),
)


def normalise(text: str) -> str:
    """``text`` lower-cased, accents stripped, every run of non-letters and non-digits one space."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(re.split(r"[^a-z0-9]+", plain)).strip()


def _has_words(text: str, words: str) -> bool:
    return f" {words} " in f" {text} "


def find_column(kind: str, columns: Sequence[str], labels: Mapping[str, str] | None = None,
                taken: Iterable[str | None] = ()) -> str | None:
    """The column holding ``kind`` (:data:`ACCOUNT`, :data:`ROLE` or :data:`REVENUE`), guessed from names and labels.

    See the module's rule. ``taken`` are columns never to choose (those with a role in the mapping).
    None when nothing matches. Raises ValueError for an unknown kind.
    """
    if kind not in WORDS:
        raise ValueError(f"unknown kind of column {kind!r}; use one of {', '.join(WORDS)}")
    skip = {t for t in taken if t}
    labels = labels or {}
    best: tuple[int, int] | None = None
    chosen: str | None = None
    for position, column in enumerate(columns):
        if column in skip:
            continue
        texts = [normalise(column)] + ([normalise(labels[column])] if labels.get(column) else [])
        for rank, word in enumerate(WORDS[kind]):
            if any(_has_words(t, word) for t in texts):
                if best is None or (rank, position) < best:
                    best, chosen = (rank, position), column
                break
    return chosen


def role_level(value: object) -> tuple[str | None, int]:
    """The seniority of a role text: (``"decision maker"``, 3), (``"influencer"``, 2), (``"user"``, 1) or (None, 0).

    Matched on whole words of the normalised text, decision-maker words first (``"Purchasing director"`` is a
    decision maker).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, 0
    text = normalise(str(value))
    if not text:
        return None, 0
    for name, rank, words in ROLE_LEVELS:
        if any(_has_words(text, w) for w in words):
            return name, rank
    return None, 0


_CURRENCY = re.compile(r"(€|\$|£|¥|₣|chf|eur|euro|euros|usd|gbp|brl|r\$)", re.I)
_SUFFIX = {"k": 1e3, "m": 1e6, "mio": 1e6, "mln": 1e6, "mn": 1e6, "bn": 1e9, "mrd": 1e9, "b": 1e9}
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


@dataclass(frozen=True)
class Amount:
    """A revenue text read: its ``value`` (None when missing or not a number) and why not (``problem``, or None)."""

    value: float | None
    problem: str | None = None


def parse_amount(raw: object) -> Amount:
    """Read a revenue value: ``1.200,50``, ``1,200.50``, ``€ 3k``, ``2,5 Mio``, ``1'000``, ``1 200``, a number.

    Currency signs and codes and spaces (also thin and no-break) and ``'`` are dropped; a suffix k / m (mio, mln,
    mn) / bn (mrd, b) multiplies. With both ``.`` and ``,`` the last one is the decimal mark; a single kind of
    mark is thousands when it appears more than once or is followed by exactly three digits after one to three
    (``1.200`` and ``1,200`` are 1200; ``3,5`` and ``1200.50`` are decimals). Empty text and None are missing
    (``value`` None, no problem); a negative amount or text that is not a number is a problem.
    """
    if raw is None:
        return Amount(None)
    if isinstance(raw, bool):
        return Amount(None, f"{raw!r} is not an amount")
    if isinstance(raw, (int, float)):
        if math.isnan(float(raw)):
            return Amount(None)
        return Amount(float(raw)) if raw >= 0 else Amount(None, f"{raw!r} is negative")
    text = str(raw).strip()
    if not text:
        return Amount(None)
    body = _CURRENCY.sub("", text)
    body = re.sub(r"[\s\u00a0\u202f\u2009']+", "", body)
    if body.startswith("-") or (body.startswith("(") and body.endswith(")")):
        return Amount(None, f"{text!r} is negative")
    body = body.lstrip("+")
    factor = 1.0
    match = re.match(r"^(.*?\d)([a-zA-Z]+)\.?$", body)
    if match:
        suffix = match.group(2).lower()
        if suffix not in _SUFFIX:
            return Amount(None, f"{text!r} is not an amount")
        body, factor = match.group(1), _SUFFIX[suffix]
    number = _plain_number(body)
    if number is None:
        return Amount(None, f"{text!r} is not an amount")
    return Amount(number * factor)


def _plain_number(body: str) -> float | None:
    """Digits with ``.``/``,`` marks as a float (see :func:`parse_amount`), None when it is no such number."""
    if not body or not re.fullmatch(r"[\d.,]+", body) or not body[0].isdigit():
        return None
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        decimal = "." if body.rfind(".") > body.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        if body.count(decimal) > 1:
            return None
        body = body.replace(thousands, "").replace(decimal, ".")
    elif dots or commas:
        mark = "." if dots else ","
        parts = body.split(mark)
        grouped = all(len(p) == 3 for p in parts[1:]) and 1 <= len(parts[0]) <= 3
        if len(parts) > 2:
            if not grouped:
                return None
            body = body.replace(mark, "")
        elif grouped and parts[0] != "0":
            body = body.replace(mark, "")
        else:
            body = body.replace(mark, ".")
    return float(body) if _NUMBER.match(body) else None
