"""The filter object: one typed, hashable description of which responses to count."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from nps.domain import CATEGORIES
KEY_SLUG_LENGTH = 40  # characters of a column's slug in its filter's URL parameter


@dataclass(frozen=True)
class Filter:
    """Which responses to count; turned into SQL only by :func:`nps.query.rows.where_clause`.

    ``since`` and ``until`` are inclusive dates. ``include`` and ``exclude`` map a
    dataset column to the values kept or dropped, as sorted tuples so that the
    object is hashable (Streamlit caches on it). ``categories`` keeps only some of
    detractor / passive / promoter; ``text`` keeps comments that contain it
    (case- and accent-insensitive).
    """

    since: dt.date | None = None
    until: dt.date | None = None
    include: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)
    exclude: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)
    categories: tuple[str, ...] = field(default_factory=tuple)
    text: str | None = None

    def __post_init__(self) -> None:
        for name in self.categories:
            if name not in CATEGORIES:
                raise ValueError(f"unknown category {name!r}; use one of {', '.join(CATEGORIES)}")
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"the period starts ({self.since}) after it ends ({self.until})")

    @classmethod
    def build(
        cls,
        *,
        since: dt.date | None = None,
        until: dt.date | None = None,
        include: dict[str, list[str] | tuple[str, ...]] | None = None,
        exclude: dict[str, list[str] | tuple[str, ...]] | None = None,
        categories: list[str] | tuple[str, ...] = (),
        text: str | None = None,
    ) -> Filter:
        """Build a filter from plain dicts and lists, normalised (sorted, empties dropped)."""
        return cls(
            since=since,
            until=until,
            include=_normalise(include),
            exclude=_normalise(exclude),
            categories=tuple(sorted(set(categories), key=CATEGORIES.index)),
            text=text.strip() if text and text.strip() else None,
        )

    def with_values(self, column: str, values: list[str] | tuple[str, ...]) -> Filter:
        """Return a copy that keeps only ``values`` of ``column`` (replacing any earlier choice)."""
        rest = {k: v for k, v in self.include if k != column}
        if values:
            rest[column] = tuple(values)
        return replace(self, include=_normalise(rest))

    def with_period(self, since: dt.date | None, until: dt.date | None) -> Filter:
        """Return a copy restricted to the inclusive period ``since``..``until``."""
        return replace(self, since=since, until=until)

    def is_empty(self) -> bool:
        """True when the filter keeps every response."""
        return self == Filter()


def _normalise(mapping: dict[str, list[str] | tuple[str, ...]] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not mapping:
        return ()
    return tuple(sorted((k, tuple(sorted(set(map(str, v))))) for k, v in mapping.items() if v))


def _slug(column: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", str(column)).strip("_").lower() or "column"


def legacy_filter_key(column: str) -> str:
    """The URL parameter links used before keys were made unique: ``f_`` and the slug cut at 40 characters."""
    return f"f_{_slug(column)[:KEY_SLUG_LENGTH]}"


def filter_keys(columns: Sequence[str]) -> dict[str, str]:
    """The URL parameter of each column's filter, unique among ``columns`` (a dataset's columns) by construction.

    A column whose :func:`legacy_filter_key` no other column shares keeps it (``f_segment``), so
    existing links keep working. Columns that share one (``a"b`` and ``a'b``; ``Region / Area`` and
    ``Region - Area``; two questions alike in their first 40 characters) each get the first 32
    characters of the slug and 6 hex digits of the SHA-1 of the exact name
    (``f_region_area_1f0c2a``), more digits if that is still not unique. Deterministic: the
    same columns give the same keys in every process.
    """
    names = list(dict.fromkeys(str(c) for c in columns))
    legacy = {c: legacy_filter_key(c) for c in names}
    shared = {k for k, count in Counter(legacy.values()).items() if count > 1}
    keys = {c: k for c, k in legacy.items() if k not in shared}
    taken = set(keys.values())
    for column in (c for c in names if legacy[c] in shared):
        digest = hashlib.sha1(column.encode("utf-8")).hexdigest()
        size = 6
        while (key := f"f_{_slug(column)[:32]}_{digest[:size]}") in taken:
            size += 2
        keys[column] = key
        taken.add(key)
    return keys
