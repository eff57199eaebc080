"""External NPS benchmarks: references with their source, year, country, industry, touchpoint, method and n.

A benchmark is not a target (targets are the organisation's own goals, :mod:`nps.store.targets`): it is
someone else's published figure, and it is only comparable when it was measured the same way. So each
one records where it comes from (``source``, ``year``), what it measured (``country``, ``industry``,
``touchpoint``), how (``method``: relationship, transactional or competitive) and on how many answers
(``n``). :mod:`nps.benchmarks` decides where one may be drawn. No benchmark value ships with
Passaparola: they are entered or imported from a CSV (``python -m nps benchmarks import``); a row may
be marked ``fictitious`` (examples, demos), and is then always labelled so.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from nps.errors import NpsError
from nps.store import audit, sql
from nps.store.transactions import transaction

METHODS: tuple[str, ...] = ("relationship", "transactional", "competitive")
CSV_COLUMNS: tuple[str, ...] = ("name", "nps", "source", "year", "country", "industry", "touchpoint", "method", "n",
                                "fictitious")
REQUIRED: tuple[str, ...] = ("name", "nps", "source", "year", "method")
_COLUMNS = "id, name, nps, source, year, country, industry, touchpoint, method, n, fictitious, created_at, created_by"


class BenchmarkError(NpsError):
    """A benchmark that cannot be stored; the message says which field (and, from a file, which row) and why."""


@dataclass(frozen=True)
class Benchmark:
    """One external NPS reference (see the module's text); text fields are None when not given."""

    id: int
    name: str
    nps: float
    source: str
    year: int
    country: str | None
    industry: str | None
    touchpoint: str | None
    method: str
    n: int | None
    fictitious: bool = False
    created_at: dt.datetime | None = None
    created_by: str | None = None

    def describe(self) -> dict[str, Any]:
        """The benchmark as plain values (the audit trail, the command line's JSON)."""
        out = asdict(self)
        out["created_at"] = self.created_at.isoformat(timespec="seconds") if self.created_at else None
        return out

    def label(self) -> str:
        """How a chart or a table names it: ``Telecom, IT, relationship, 2025 (Source, n 1,200)``, fictitious said."""
        where = ", ".join(p for p in (self.industry, self.country, self.touchpoint) if p)
        size = f", n {self.n:,}" if self.n else ""
        fake = " — FICTITIOUS" if self.fictitious else ""
        return f"{self.name}: {where + ', ' if where else ''}{self.method}, {self.year} ({self.source}{size}){fake}"


def _clean(value: Any) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def check(name: Any, nps: Any, source: Any, year: Any, method: Any, *, country: Any = None, industry: Any = None,
          touchpoint: Any = None, n: Any = None, fictitious: Any = False, where: str = "") -> dict[str, Any]:
    """The fields of a benchmark, cleaned and checked; :class:`BenchmarkError` naming the field (and ``where``)."""
    at = f"{where}: " if where else ""
    fields: dict[str, Any] = {"name": _clean(name), "source": _clean(source), "country": _clean(country),
                              "industry": _clean(industry), "touchpoint": _clean(touchpoint)}
    for key in ("name", "source"):
        if fields[key] is None:
            raise BenchmarkError(f"{at}{key} is empty: a benchmark needs a name and where it comes from (source)")
    try:
        score = float(str(nps).replace(",", ".").replace("−", "-").strip())
    except ValueError:
        raise BenchmarkError(f"{at}nps {nps!r} is not a number (an NPS from −100 to 100)") from None
    if math.isnan(score) or not -100 <= score <= 100:
        raise BenchmarkError(f"{at}nps {nps!r} is outside −100..100")
    try:
        year_value = int(str(year).strip())
    except ValueError:
        raise BenchmarkError(f"{at}year {year!r} is not a year (e.g. 2025)") from None
    if not 1990 <= year_value <= dt.date.today().year + 1:
        raise BenchmarkError(f"{at}year {year_value} is not plausible (1990 to next year)")
    kind = (_clean(method) or "").lower()
    if kind not in METHODS:
        raise BenchmarkError(f"{at}method {method!r} is not one of {', '.join(METHODS)}")
    size = None
    if _clean(n) is not None:
        try:
            size = int(str(n).replace(",", "").replace(" ", "").strip())
        except ValueError:
            raise BenchmarkError(f"{at}n {n!r} is not a whole number of responses") from None
        if size <= 0:
            raise BenchmarkError(f"{at}n {size} must be at least 1")
    flag = str(fictitious).strip().lower() in ("1", "true", "yes", "y", "x", "sì", "si", "oui")
    return {**fields, "nps": score, "year": year_value, "method": kind, "n": size, "fictitious": flag}


def add_benchmark(cur: duckdb.DuckDBPyConnection, *, actor: str, now: dt.datetime | None = None,
                  **fields: Any) -> Benchmark:
    """Store one benchmark (fields as :func:`check` takes them); audited ``benchmark added``."""
    checked = check(**fields)
    with transaction(cur):
        return _insert(cur, checked, actor, now or dt.datetime.now())


def _insert(cur: duckdb.DuckDBPyConnection, checked: dict[str, Any], actor: str, now: dt.datetime) -> Benchmark:
    new_id = int(sql.fetch_value(
        cur, "INSERT INTO benchmarks (name, nps, source, year, country, industry, touchpoint, method, n, fictitious, "
             "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [checked["name"], checked["nps"], checked["source"], checked["year"], checked["country"], checked["industry"],
         checked["touchpoint"], checked["method"], checked["n"], checked["fictitious"], now, actor]))
    made = Benchmark(new_id, **{k: checked[k] for k in ("name", "nps", "source", "year", "country", "industry",
                                                         "touchpoint", "method", "n", "fictitious")},
                     created_at=now, created_by=actor)
    audit.record(cur, actor, "benchmark added", f"benchmark #{new_id}", None, made.describe())
    return made


def import_csv(cur: duckdb.DuckDBPyConnection, text: str, *, actor: str, name: str = "benchmarks.csv",
               now: dt.datetime | None = None) -> list[Benchmark]:
    """Store every row of a CSV with the columns :data:`CSV_COLUMNS` (country … fictitious may be absent) in one
    transaction; a bad row refuses the whole file with :class:`BenchmarkError` naming the file, row and field."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise BenchmarkError(f"{name}: the header lacks {', '.join(missing)} (columns: {', '.join(CSV_COLUMNS)})")
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise BenchmarkError(f"{name}: unknown column(s) {', '.join(unknown)} (columns: {', '.join(CSV_COLUMNS)})")
    rows = []
    for number, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): v for k, v in raw.items() if k is not None}
        rows.append(check(where=f"{name}, row {number}", **{k: row.get(k) for k in CSV_COLUMNS}))
    if not rows:
        raise BenchmarkError(f"{name}: no benchmark rows under the header")
    stamp = now or dt.datetime.now()
    with transaction(cur):
        return [_insert(cur, checked, actor, stamp) for checked in rows]


def list_benchmarks(cur: duckdb.DuckDBPyConnection) -> list[Benchmark]:
    """Every benchmark, by method, country, year (newest first), name."""
    rows = sql.fetch_all(cur, f"SELECT {_COLUMNS} FROM benchmarks ORDER BY method, country NULLS LAST, year DESC, "
                              "lower(name), id")
    return [Benchmark(int(r[0]), str(r[1]), float(r[2]), str(r[3]), int(r[4]), r[5], r[6], r[7], str(r[8]),
                      None if r[9] is None else int(r[9]), bool(r[10]), r[11], r[12]) for r in rows]


def remove_benchmark(cur: duckdb.DuckDBPyConnection, benchmark_id: int, *, actor: str) -> Benchmark:
    """Delete one benchmark; audited ``benchmark removed``. :class:`BenchmarkError` when there is none by that id."""
    with transaction(cur):
        found = [b for b in list_benchmarks(cur) if b.id == int(benchmark_id)]
        if not found:
            raise BenchmarkError(f"there is no benchmark #{benchmark_id}")
        sql.execute(cur, "DELETE FROM benchmarks WHERE id = ?", [int(benchmark_id)])
        audit.record(cur, actor, "benchmark removed", f"benchmark #{benchmark_id}", found[0].describe(), None)
    return found[0]


def as_rows(found: Sequence[Benchmark]) -> list[dict[str, Any]]:
    """Benchmarks as plain rows (a table, JSON)."""
    return [b.describe() for b in found]
