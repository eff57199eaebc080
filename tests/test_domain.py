"""nps.domain: the categories, thresholds, grains, methods and languages every module shares."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import duckdb
import pytest

from nps import domain
from nps.store import sql

EXPECTED = {
    0: "detractor", 1: "detractor", 2: "detractor", 3: "detractor", 4: "detractor", 5: "detractor",
    6: "detractor", 7: "passive", 8: "passive", 9: "promoter", 10: "promoter",
}


def test_the_thresholds() -> None:
    assert (domain.SCORE_MIN, domain.DETRACTOR_MAX, domain.PASSIVE_MIN, domain.PASSIVE_MAX, domain.PROMOTER_MIN,
            domain.SCORE_MAX) == (0, 6, 7, 8, 9, 10)
    assert domain.SCORES == (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
    assert domain.CATEGORIES == ("detractor", "passive", "promoter")


@pytest.mark.parametrize(("score", "expected"), sorted(EXPECTED.items()))
def test_category_of_each_score(score: int, expected: str) -> None:
    assert domain.category(score) == expected
    assert domain.category(float(score)) == expected


def test_category_of_a_missing_score() -> None:
    assert domain.category(None) is None
    assert domain.category(math.nan) is None


def test_score_ranges_as_shown() -> None:
    assert [domain.score_range(c) for c in domain.CATEGORIES] == ["0–6", "7–8", "9–10"]


def test_category_sql_text() -> None:
    assert domain.category_sql("s") == (
        "CASE WHEN s IS NULL THEN NULL WHEN s <= 6 THEN 'detractor' WHEN s <= 8 THEN 'passive' ELSE 'promoter' END"
    )
    assert domain.is_category_sql("promoter", "_score") == "_score >= 9"
    assert domain.is_category_sql("passive", "_score") == "_score BETWEEN 7 AND 8"
    assert domain.is_category_sql("detractor", "_score") == "_score <= 6"
    with pytest.raises(KeyError):
        domain.is_category_sql("promoters", "_score")


def test_the_sql_agrees_with_python_in_duckdb() -> None:
    con = duckdb.connect()
    try:
        flags = ", ".join(f"{domain.is_category_sql(c, 's')} AS is_{c}" for c in domain.CATEGORIES)
        rows = sql.fetch_all(
            con,
            f"SELECT s, {domain.category_sql('s')} AS category, {flags} "
            "FROM (SELECT CAST(unnest([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, NULL]) AS TINYINT) AS s) ORDER BY s NULLS LAST",
        )
    finally:
        con.close()
    assert rows[:11] == [
        (s, EXPECTED[s], EXPECTED[s] == "detractor", EXPECTED[s] == "passive", EXPECTED[s] == "promoter")
        for s in range(11)
    ]
    assert rows[11] == (None, None, None, None, None)


def test_grains() -> None:
    assert domain.GRAINS == ("day", "week", "month", "quarter", "year")
    assert domain.check_grain("quarter") == "quarter"
    with pytest.raises(ValueError, match="unknown time grain 'fortnight'; use one of day, week, month, quarter, year"):
        domain.check_grain("fortnight")


def test_grain_translations_cover_the_grains() -> None:
    from nps import query as queries

    assert tuple(queries.GRAINS) == domain.GRAINS


def test_methods_and_multiplicity() -> None:
    assert domain.METHODS == ("adjusted-wald", "wald")
    assert domain.DEFAULT_METHOD == "adjusted-wald"
    assert domain.MULTIPLICITY == ("bh", "holm", "none")
    assert domain.MULTIPLICITY_NAMES == {"bh": "Benjamini–Hochberg", "holm": "Holm", "none": "no adjustment"}


def test_languages() -> None:
    assert domain.LANGUAGES == ("it", "en", "fr", "es", "de", "pt")
    assert domain.CODEBOOK_LANGUAGES == ("it", "en", "fr", "es", "de")
    assert set(domain.CODEBOOK_LANGUAGES) <= set(domain.LANGUAGES)
    assert domain.UNKNOWN_LANGUAGE == "unknown"
    assert domain.LANGUAGE_NAMES == {
        "it": "Italian", "en": "English", "fr": "French", "es": "Spanish", "de": "German", "pt": "Portuguese",
        "unknown": "Unknown",
    }


def test_the_vocabulary_imports_nothing_of_the_project() -> None:
    tree = ast.parse((Path(domain.__file__)).read_text(encoding="utf-8"))
    imported = [
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    # The standard library only (dataclasses for Scope): nothing of the project, so anything may import it.
    assert [m for m in imported if m == "nps" or m.startswith(("nps.", "."))] == []
    assert all(node.level == 0 for node in ast.walk(tree) if isinstance(node, ast.ImportFrom))
