"""External benchmarks (issue 14): stored with their source and method, imported from a CSV with row-level errors,
audited, and drawn only where country and method match the data shown (nps.benchmarks.place)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nps import cli, store
from nps.benchmarks import country_column, method_of, place
from nps.store import audit, benchmarks
from nps.store.benchmarks import Benchmark, BenchmarkError

NOW = dt.datetime(2026, 12, 1, 9, 0)


def _bench(**kw: object) -> Benchmark:
    fields: dict[str, object] = dict(id=1, name="Telecom IT", nps=12.0, source="Study X", year=2025, country="Italy",
                                     industry="Telecom", touchpoint=None, method="relationship", n=1200)
    fields.update(kw)
    return Benchmark(**fields)  # type: ignore[arg-type]


def test_add_list_remove_audited(con: duckdb.DuckDBPyConnection) -> None:
    made = benchmarks.add_benchmark(con, actor="ana@example.com", now=NOW, name=" Telecom  IT ", nps="12,5",
                                    source="Study X", year="2025", method="Relationship", country="Italy", n="1,200")
    assert (made.name, made.nps, made.method, made.n, made.fictitious) == ("Telecom IT", 12.5, "relationship", 1200, False)
    assert benchmarks.list_benchmarks(con) == [made]
    assert made.label() == "Telecom IT: Italy, relationship, 2025 (Study X, n 1,200)"
    gone = benchmarks.remove_benchmark(con, made.id, actor="ana@example.com")
    assert gone == made and benchmarks.list_benchmarks(con) == []
    assert [(e.actor, e.action) for e in reversed(audit.audit_entries(con))] == [
        ("ana@example.com", "benchmark added"), ("ana@example.com", "benchmark removed")]
    with pytest.raises(BenchmarkError, match="there is no benchmark #99"):
        benchmarks.remove_benchmark(con, 99, actor="x")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("nps", "abc", "nps 'abc' is not a number"), ("nps", "120", "outside −100..100"),
    ("year", "20x5", "year '20x5' is not a year"), ("year", "1950", "not plausible"),
    ("method", "nps", "method 'nps' is not one of relationship, transactional, competitive"),
    ("name", "  ", "name is empty"), ("source", "", "source is empty"), ("n", "0", "n 0 must be at least 1"),
])
def test_bad_fields_are_refused_by_name(con: duckdb.DuckDBPyConnection, field: str, value: str, message: str) -> None:
    fields = dict(name="A", nps="10", source="S", year="2025", method="transactional")
    fields[field] = value
    with pytest.raises(BenchmarkError, match=message):
        benchmarks.add_benchmark(con, actor="x", **fields)
    assert benchmarks.list_benchmarks(con) == []


def test_a_csv_is_imported_whole_or_not_at_all(con: duckdb.DuckDBPyConnection) -> None:
    good = ("name,nps,source,year,country,industry,touchpoint,method,n,fictitious\n"
            "Banks FR,28,Report Y,2024,France,Banking,,relationship,900,\n"
            "Example,40,Made up,2025,,,,competitive,,yes\n")
    made = benchmarks.import_csv(con, good, actor="cli:me", name="b.csv")
    assert [(b.name, b.country, b.fictitious) for b in made] == [("Banks FR", "France", False), ("Example", None, True)]
    bad = "name,nps,source,year,method\nA,10,S,2025,relationship\nB,ten,S,2025,relationship\n"
    with pytest.raises(BenchmarkError, match=r"b2.csv, row 3: nps 'ten' is not a number"):
        benchmarks.import_csv(con, bad, actor="cli:me", name="b2.csv")
    assert len(benchmarks.list_benchmarks(con)) == 2  # nothing of the bad file
    with pytest.raises(BenchmarkError, match="the header lacks source, year"):
        benchmarks.import_csv(con, "name,nps,method\nA,1,relationship\n", actor="x", name="b3.csv")
    with pytest.raises(BenchmarkError, match="unknown column"):
        benchmarks.import_csv(con, "name,nps,source,year,method,colour\n", actor="x", name="b4.csv")


def test_placed_only_where_country_and_method_match() -> None:
    italy = _bench()
    placed = place([italy], countries=["Italy"], method="relationship")
    assert placed[0].comparable and placed[0].reason == ""
    reasons = {
        "method": place([italy], countries=["Italy"], method="transactional")[0].reason,
        "mixed": place([italy], countries=["Italy"], method=None)[0].reason,
        "country": place([italy], countries=["France"], method="relationship")[0].reason,
        "several": place([italy], countries=["Italy", "France"], method="relationship")[0].reason,
        "none": place([italy], countries=None, method="relationship")[0].reason,
        "nameless": place([_bench(country=None)], countries=["Italy"], method="relationship")[0].reason,
        "fake": place([_bench(fictitious=True)], countries=["Italy"], method="relationship")[0].reason,
        "touchpoint": place([_bench(touchpoint="Delivery")], countries=["Italy"], method="relationship")[0].reason,
    }
    assert reasons == {
        "method": "this benchmark is relationship, the data shown is transactional",
        "mixed": "the data shown mixes survey methods or names none; this benchmark is relationship",
        "country": "this benchmark is for Italy, the data shown is France",
        "several": "the data shown spans 2 countries; this benchmark is for Italy alone",
        "none": "the data has no country column, so it cannot be matched to Italy",
        "nameless": "this benchmark names no country, and NPS levels differ by country",
        "fake": "a fictitious example, not a real benchmark",
        "touchpoint": "this benchmark is for the touchpoint Delivery alone",
    }
    assert place([_bench(touchpoint="Delivery")], countries=[" italy "], method="relationship",
                 touchpoints=["delivery"])[0].comparable


def test_method_and_country_of_the_data() -> None:
    assert method_of(["relationship"]) == "relationship" and method_of(["Transazionale"]) == "transactional"
    assert method_of(["relationship", "transactional"]) is None and method_of(["wave 3"]) is None
    assert country_column(["segment", "paese", "region"]) == "paese"
    assert country_column(["q7"], {"q7": "Your country"}) == "q7" and country_column(["countryside_shop"]) is None


@given(st.lists(st.tuples(st.sampled_from(["Italy", "France", None]), st.sampled_from(["relationship",
                                                                                      "transactional"]),
                          st.booleans()), max_size=8),
       st.one_of(st.none(), st.lists(st.sampled_from(["Italy", "France"]), min_size=1, max_size=2, unique=True)),
       st.sampled_from([None, "relationship", "transactional"]))
def test_a_comparable_benchmark_always_matches_the_view(rows: list[tuple[str | None, str, bool]],
                                                        countries: list[str] | None, method: str | None) -> None:
    found = [_bench(id=i, country=c, method=m, fictitious=f) for i, (c, m, f) in enumerate(rows)]
    for placement in place(found, countries=countries, method=method):
        b = placement.benchmark
        assert placement.comparable == (not b.fictitious and b.method == method and countries is not None
                                        and countries == [b.country])
        assert placement.comparable or placement.reason


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "b.duckdb")
    assert cli.main(["benchmarks", "add", "Telecom IT", "--nps", "12", "--source", "Study X", "--year", "2025",
                     "--method", "relationship", "--country", "Italy", "--db", db]) == 0
    assert capsys.readouterr().out == "benchmark 1: Telecom IT: Italy, relationship, 2025 (Study X)\n"
    (tmp_path / "b.csv").write_text("name,nps,source,year,method\nShops,5,Z,2024,transactional\n", encoding="utf-8")
    assert cli.main(["benchmarks", "import", str(tmp_path / "b.csv"), "--db", db]) == 0
    assert capsys.readouterr().out == "1 benchmark(s) imported from b.csv\n"
    assert cli.main(["benchmarks", "list", "--format", "json", "--db", db]) == 0
    listed = json.loads(capsys.readouterr().out)["benchmarks"]
    assert [(b["id"], b["name"], b["method"], b["created_by"].startswith("cli:")) for b in listed] == [
        (1, "Telecom IT", "relationship", True), (2, "Shops", "transactional", True)]
    assert cli.main(["benchmarks", "add", "X", "--nps", "500", "--source", "S", "--year", "2025", "--method",
                     "competitive", "--db", db]) == 2
    assert "nps '500' is outside −100..100" in capsys.readouterr().err
    assert cli.main(["benchmarks", "remove", "2", "--db", db]) == 0
    assert capsys.readouterr().out.startswith("benchmark 2 removed: Shops")
    assert cli.main(["benchmarks", "list", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "name", "nps", "method", "country", "industry", "touchpoint", "year", "n", "source"]
    assert len(lines) == 2 and "Telecom IT" in lines[1]
