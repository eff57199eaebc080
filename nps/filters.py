"""The filter object: one typed, hashable description of which responses to count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

CATEGORIES: tuple[str, ...] = ("detractor", "passive", "promoter")


@dataclass(frozen=True)
class Filter:
    """Which responses to count; turned into SQL only by :func:`nps.sql.where_clause`.

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
