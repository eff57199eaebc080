"""Where an external benchmark may be drawn beside the data shown: only when it was measured the same way.

NPS levels differ by country (people use the 0–10 scale differently) and by method (a relationship
survey asks about the brand, a transactional one about one contact, a competitive one among several
brands), so a benchmark is a fair reference line only when its country and method match the data in view.
:func:`place` says, for each stored benchmark (:mod:`nps.store.benchmarks`), whether it is comparable and,
when it is not, why in words — a benchmark that is not comparable is shown greyed with that note, never as a
reference line. Pure: the caller says which countries and which survey method the data shown has.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nps.store.benchmarks import Benchmark

COUNTRY_WORDS: tuple[str, ...] = ("country", "paese", "nazione", "pays", "país", "pais", "land", "nation")
METHOD_WORDS: dict[str, tuple[str, ...]] = {
    "relationship": ("relationship", "relational", "relazionale", "relazione", "relationnel", "relation", "relacional",
                     "beziehung", "brand"),
    "transactional": ("transactional", "transaction", "transazionale", "transactionnel", "transaccional",
                      "transaktional", "touchpoint"),
    "competitive": ("competitive", "competitivo", "concurrentiel", "competitivo", "wettbewerb", "benchmark"),
}


@dataclass(frozen=True)
class Placement:
    """A benchmark and whether it may be drawn as a reference line beside the data shown (``reason`` when not)."""

    benchmark: Benchmark
    comparable: bool
    reason: str


def method_of(survey_types: Iterable[str]) -> str | None:
    """The survey method (relationship, transactional, competitive) the shown survey-type values name, or None when
    they name none or several."""
    found = set()
    for value in survey_types:
        text = str(value).lower()
        for method, words in METHOD_WORDS.items():
            if any(word in text for word in words):
                found.add(method)
    return found.pop() if len(found) == 1 else None


def country_column(columns: Sequence[str], labels: dict[str, str] | None = None) -> str | None:
    """The column that reads as the respondent's country (by its name or label), or None."""
    for column in columns:
        name = f"{column} {(labels or {}).get(column, '')}".lower().replace("_", " ")
        if any(word in name.split() for word in COUNTRY_WORDS):
            return column
    return None


def _same(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def place(benchmarks: Sequence[Benchmark], *, countries: Sequence[str] | None, method: str | None,
          touchpoints: Sequence[str] | None = None) -> list[Placement]:
    """Each benchmark with whether it is comparable with the data shown.

    ``countries``: the countries the data shown holds (None: the data has no country column); ``method``:
    its survey method (None: unknown or mixed, see :func:`method_of`); ``touchpoints``: the touchpoints
    shown (None: not limited). Comparable only when the method is the benchmark's, the data shows exactly
    one country and it is the benchmark's, and, for a benchmark of one touchpoint, the data shows that
    touchpoint alone. A fictitious benchmark is never comparable (it is an example).
    """
    out = []
    for bench in benchmarks:
        reason = ""
        if bench.fictitious:
            reason = "a fictitious example, not a real benchmark"
        elif method is None:
            reason = f"the data shown mixes survey methods or names none; this benchmark is {bench.method}"
        elif method != bench.method:
            reason = f"this benchmark is {bench.method}, the data shown is {method}"
        elif bench.country is None:
            reason = "this benchmark names no country, and NPS levels differ by country"
        elif countries is None:
            reason = f"the data has no country column, so it cannot be matched to {bench.country}"
        elif len(countries) != 1:
            reason = f"the data shown spans {len(countries)} countries; this benchmark is for {bench.country} alone"
        elif not _same(countries[0], bench.country):
            reason = f"this benchmark is for {bench.country}, the data shown is {countries[0]}"
        elif bench.touchpoint and (touchpoints is None or len(touchpoints) != 1
                                   or not _same(touchpoints[0], bench.touchpoint)):
            reason = f"this benchmark is for the touchpoint {bench.touchpoint} alone"
        out.append(Placement(bench, not reason, reason))
    return out
