"""Who sees what: a user's scopes turned into each dataset's :class:`~nps.domain.Scope`.

A user's scope names a column (``business_function = Billing``); a dataset matches it by the column's
stored name, its question text or the same words in another spelling (``Business function``,
``business-function``). The scoped dataset is what every read gets: the one row source
(:mod:`nps.query.rows`) keeps only the rows in scope, so every page, chart, table, download, comment
search and review view is limited whatever the page or the URL asks. A dataset without one of the
scope's columns cannot be limited, so a scoped user does not see it at all (it fails closed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from nps.domain import Scope
from nps.store import Dataset


@dataclass(frozen=True)
class Visible:
    """The datasets a user may open (each scoped to their rows) and a sentence per dataset they may not."""

    datasets: tuple[Dataset, ...]
    hidden: dict[int, str]


def _words(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", name.casefold()).strip()


def matching_column(ds: Dataset, column: str) -> str | None:
    """The column of ``ds`` a scope's ``column`` names: the same stored name, else the same words in its name or
    question text (case, accents of punctuation and separators aside); None when the dataset has none."""
    if column in ds.columns:
        return column
    wanted = _words(column)
    for own in ds.columns:
        if _words(own) == wanted or _words(ds.labels.get(own, "")) == wanted:
            return own
    return None


def scoped(ds: Dataset, scopes: Iterable[tuple[str, str]]) -> Dataset | None:
    """``ds`` limited to a user's ``scopes`` (``(column, value)`` pairs; none: every row), or None when the
    dataset lacks one of the scope's columns (it cannot be limited, so it is not shown)."""
    wanted = Scope.from_pairs(scopes)
    if wanted.is_everything:
        return replace(ds, scope=Scope())
    pairs: list[tuple[str, str]] = []
    for column, values in wanted.rules:
        own = matching_column(ds, column)
        if own is None:
            return None
        pairs.extend((own, v) for v in values)
    return replace(ds, scope=Scope.from_pairs(pairs))


def visible_datasets(datasets: Sequence[Dataset], scopes: Iterable[tuple[str, str]]) -> Visible:
    """The datasets a user with ``scopes`` may open, each scoped, and why each other one is not shown."""
    pairs = list(scopes)
    shown: list[Dataset] = []
    hidden: dict[int, str] = {}
    for ds in datasets:
        limited = scoped(ds, pairs)
        if limited is None:
            columns = ", ".join(sorted({c for c, _ in pairs if matching_column(ds, c) is None}))
            hidden[ds.id] = (f"Dataset #{ds.id} is not available to you: your access is limited by {columns}, "
                             "which it does not have.")
        else:
            shown.append(limited)
    return Visible(tuple(shown), hidden)


def outside_scope(ds: Dataset, column: str, values: Iterable[str]) -> list[str]:
    """The ``values`` of ``column`` that a link or filter asks for but the dataset's scope does not allow."""
    allowed = ds.scope.allowed(column)
    if allowed is None:
        return []
    return [v for v in values if v not in allowed]


def scope_note(ds: Dataset, column: str, refused: Sequence[str], label: str) -> str:
    """The sentence shown when a link asks for rows outside the reader's scope (plain text; ``label``: the column's name)."""
    allowed = ds.scope.allowed(column) or ()
    asked = ", ".join(refused)
    return (f"This link asks for {label} {asked}, which is outside your access ({label}: {', '.join(allowed)}). "
            "Nothing of it is shown; ask an administrator if you need it.")


def _addressed(column: str, conditions: dict[str, tuple[str, ...]], business_function: str | None) -> set[str] | None:
    """The values of ``column`` an action addresses: its condition on that column, else its business function when
    the column is the business function; None when it addresses every value of that column."""
    if column in conditions:
        return set(conditions[column])
    if business_function and _words(column) == "business function":
        return {business_function}
    return None


def action_in_scope(ds: Dataset, conditions: Iterable[tuple[str, Sequence[str]]], business_function: str | None) -> bool:
    """True when a reader limited to ``ds.scope`` may see an improvement action with these ``conditions``
    (``(column, values)`` pairs) and owning ``business_function``: for every column the scope limits, the
    action addresses only values in scope (an action on every value of a limited column is not theirs)."""
    if ds.scope.is_everything:
        return True
    wanted = {column: tuple(values) for column, values in conditions}
    for column, allowed in ds.scope.rules:
        addressed = _addressed(column, wanted, business_function)
        if not addressed or not addressed <= set(allowed):
            return False
    return True
