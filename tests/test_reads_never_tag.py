"""Reads never write: theme, comment and codebook reads write nothing; tagging and saving are their own steps."""

from __future__ import annotations

import pandas as pd
import pytest

from nps import text
from nps.query import explorer, themes
from nps.store import sql, tagging
from nps.errors import NotTaggedError
from nps.query.filters import Filter
from nps.query.explorer import Search
from nps.text import load_codebook
from tests.factories import make_dataset

CODEBOOK = load_codebook()


@pytest.fixture
def commented(con):
    frame = pd.DataFrame({
        "score": [0, 2, 9, 10, 7],
        "comment": ["The parcel arrived late", "Consegna in ritardo", "Staff were friendly", "Great value", None],
    })
    return make_dataset(con, frame, comment="comment")


def _tables(con) -> set[str]:
    return {r[0] for r in sql.fetch_all(con, "SELECT table_name FROM duckdb_tables()")}


READS = {
    "theme_summary": lambda con, ds: themes.theme_summary(con, ds, CODEBOOK),
    "theme_trend": lambda con, ds: themes.theme_trend(con, ds, CODEBOOK, grain="month"),
    "theme_cooccurrence": lambda con, ds: themes.theme_cooccurrence(con, ds, CODEBOOK),
    "language_counts": lambda con, ds: themes.language_counts(con, ds, CODEBOOK),
    "uncovered_comments": lambda con, ds: themes.uncovered_comments(con, ds, CODEBOOK),
    "search_comments": lambda con, ds: explorer.search_comments(con, ds, CODEBOOK, Filter()),
}


@pytest.mark.parametrize("read", sorted(READS))
def test_a_read_of_an_untagged_dataset_says_so_and_writes_nothing(con, commented, read: str) -> None:
    before = _tables(con)
    tagging = sql.fetch_all(con, "SELECT count(*) FROM comment_tagging")
    with pytest.raises(NotTaggedError, match="not tagged with codebook version .* yet: tag them first"):
        READS[read](con, commented)
    assert _tables(con) == before
    assert sql.fetch_all(con, "SELECT count(*) FROM comment_tagging") == tagging


def test_after_the_tagging_step_the_reads_answer(con, commented) -> None:
    assert tagging.tag_dataset(con, commented, CODEBOOK) == CODEBOOK.version
    assert themes.require_tagged(con, commented, CODEBOOK) == CODEBOOK.version
    summary = themes.theme_summary(con, commented, CODEBOOK).set_index("theme")
    assert summary.loc["Delivery & shipping", "mentions"] == 2
    page = explorer.search_comments(con, commented, CODEBOOK, Filter(), Search(query="parcel"))
    assert page.total == 1


def test_codebook_reads_write_nothing_and_the_first_save_stores_the_default_first(con) -> None:
    from nps.store import codebooks

    assert codebooks.current_number(con) == 1
    assert codebooks.current_codebook(con).version == CODEBOOK.version
    history = codebooks.codebook_history(con)
    assert list(history["number"]) == [1] and history["note"][0] == "Default codebook"
    assert pd.isna(history["saved_at"][0])
    assert codebooks.load_codebook_version(con, 1).version == CODEBOOK.version
    assert codebooks.load_codebook_version(con, CODEBOOK.version[:8]).version == CODEBOOK.version
    with pytest.raises(ValueError, match="no codebook number 2; saved ones are numbered 1 to 1"):
        codebooks.load_codebook_version(con, 2)
    assert sql.fetch_all(con, "SELECT count(*) FROM codebooks") == [(0,)]

    edited = text.add_theme(CODEBOOK, "Phone calls", {"en": ["called"]})
    assert codebooks.save_codebook(con, edited, "phone") == 2
    assert list(codebooks.codebook_history(con)["number"]) == [2, 1]
    assert codebooks.load_codebook_version(con, 1).version == CODEBOOK.version
