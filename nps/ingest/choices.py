"""What the caller chooses for a load: corrections to the detector (:class:`Overrides`), size limits (:class:`Limits`).

Also how a column the user names (stored name, header id or question text) is found in a file's layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from nps.errors import IngestError
from nps.store import Dataset
from nps.ingest import layouts
from nps.ingest import roles
from nps.ingest import values


@dataclass(frozen=True)
class Overrides:
    """The user's corrections to the detector; every field optional.

    A column may be given by its stored name, its header id or its question
    text (label). ``dimensions`` None keeps the detector's choice, ``()`` means
    none. ``date_order`` ('dmy', 'mdy' or 'ymd') settles an ambiguous date
    column. ``no_date`` / ``no_comment`` drop those roles. ``items`` (the item
    ratings of the key-driver analysis): None keeps the detector's choice, ``()`` none.
    """

    score: str | None = None
    date: str | None = None
    comment: str | None = None
    respondent: str | None = None
    weight: str | None = None
    dimensions: tuple[str, ...] | None = None
    date_order: str | None = None
    no_date: bool = False
    no_comment: bool = False
    items: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Limits:
    """Refuse files larger than ``max_bytes`` or with more than ``max_rows`` data rows.

    The defaults fit a 10M-row export with comments (about 1.8 GB); the app's upload
    page passes its own, smaller, limit.
    """

    max_bytes: int = 4_000_000_000
    max_rows: int = 50_000_000


def resolve_column(name: str, layout: layouts.Layout, file: str) -> str:
    """The stored name of a column given by stored name, header id or question text."""
    for candidates in (
        {n: n for n in layout.names},
        {h: n for h, n in zip(layout.headers, layout.names, strict=True)},
        {label: n for n, label in layout.labels.items()},
    ):
        if name in candidates:
            return candidates[name]
    wanted = " ".join(name.split()).casefold()
    for n, h in zip(layout.names, layout.headers, strict=True):
        if wanted in (n.casefold(), h.casefold(), layout.labels.get(n, "").casefold()):
            return n
    shown = ", ".join(repr(n) for n in layout.names[:30])
    raise IngestError(f"no column {name!r} in this file; its columns are: {shown}", file=file)


def resolve_overrides(overrides: Overrides | None, layout: layouts.Layout, file: str) -> roles.ResolvedOverrides:
    """The overrides with every column resolved to its stored name (none: the detector decides all)."""
    if overrides is None:
        return roles.ResolvedOverrides()
    if overrides.date_order is not None and overrides.date_order not in values.DATE_ORDERS:
        raise IngestError(
            f"unknown date order {overrides.date_order!r}; use one of {', '.join(values.DATE_ORDERS)}", file=file
        )

    def one(value: str | None) -> str | None:
        return None if value is None else resolve_column(value, layout, file)

    dims = (
        None if overrides.dimensions is None else tuple(resolve_column(d, layout, file) for d in overrides.dimensions)
    )
    return roles.ResolvedOverrides(
        score=one(overrides.score),
        date=one(overrides.date),
        comment=one(overrides.comment),
        respondent=one(overrides.respondent),
        weight=one(overrides.weight),
        dimensions=dims,
        date_order=overrides.date_order,
        no_date=overrides.no_date,
        no_comment=overrides.no_comment,
        items=None if overrides.items is None else tuple(resolve_column(i, layout, file) for i in overrides.items),
    )


def append_overrides(ds: Dataset) -> Overrides:
    """The overrides that make a new wave read as the dataset's first: its mapping, every role fixed."""
    m = ds.mapping
    return Overrides(
        score=m.score,
        date=m.date,
        comment=m.comment,
        respondent=m.respondent,
        weight=m.weight,
        dimensions=tuple(m.dimensions),
        date_order=m.date_order,
        no_date=m.date is None,
        no_comment=m.comment is None,
        items=tuple(m.items),
    )
