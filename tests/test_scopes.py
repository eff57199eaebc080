"""Scopes: a user limited to values of a dimension reads only those rows, in every query (nps.query.rows, access).

The property: for any scope and any filter, what a scoped reader gets equals what an unscoped reader
gets with the filter narrowed to the scope's values (and nothing when the two do not meet).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nps import store
from nps.domain import Scope
from nps.errors import UnknownColumnError
from nps.query import access, breakdowns, combined, explorer, responses, scores, themes, trends
from nps.query.explorer import Search
from nps.query.filters import Filter
from nps.query.options import Options
from nps.store import tagging
from nps.text import load_codebook
from tests.factories import make_dataset

FUNCTIONS = ("Billing", "Sales", "Support")
REGIONS = ("North", "South")
COMMENTS = ("The invoice was wrong", "Great support, quick answer", "Delivery was late", None, "Prezzo troppo alto")
CODEBOOK = load_codebook()


def _frame() -> pd.DataFrame:
    rows = []
    for i in range(240):
        rows.append({
            "score": (i * 7) % 11,
            "business_function": FUNCTIONS[i % 3] if i % 17 else None,
            "Region": REGIONS[(i // 3) % 2],
            "when": (dt.date(2025, 1, 1) + dt.timedelta(days=(i * 5) % 365)).isoformat(),
            "who": f"r{i % 90}",
            "comment": COMMENTS[i % 5],
            "weight": 1.0 + (i % 4) / 2,
        })
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def data() -> tuple[duckdb.DuckDBPyConnection, store.Dataset]:
    con = store.connect(":memory:")
    ds = make_dataset(con, _frame(), dimensions=("business_function", "Region"), date="when", respondent="who",
                      comment="comment", weight="weight")
    tagging.tag_dataset(con, ds, CODEBOOK)
    yield con, ds
    con.close()


def _narrowed(flt: Filter, scope: Scope) -> Filter | None:
    """The unscoped filter equal to ``flt`` within ``scope``; None when they keep no row in common."""
    include = {c: set(v) for c, v in flt.include}
    for column, allowed in scope.rules:
        include[column] = include[column] & set(allowed) if column in include else set(allowed)
        if not include[column]:
            return None
    return replace(flt, include=Filter.build(include={c: sorted(v) for c, v in include.items()}).include)


def _same(a: object, b: object) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))  # type: ignore[union-attr]
    else:
        assert repr(a) == repr(b)  # NaN (no responses) equals NaN here


# --- literal values --------------------------------------------------------------------------------


def test_a_scoped_reader_counts_only_their_function(data) -> None:
    cur, ds = data
    billing = access.scoped(ds, [("business_function", "Billing")])
    assert billing is not None and billing.scope == Scope((("business_function", ("Billing",)),))
    assert responses.count_responses(cur, ds) == 240
    assert responses.count_responses(cur, billing) == 75  # 80 rows with i % 3 == 0, less 5 blanks (i % 17 == 0)
    assert scores.overall(cur, billing).n == 75
    assert list(scores.dimension_values(cur, billing, "business_function")["value"]) == ["Billing"]
    # Asking for another function through the filter (a URL, a widget) gets nothing of it.
    assert responses.count_responses(cur, billing, Filter.build(include={"business_function": ["Sales"]})) == 0
    assert scores.overall(cur, billing, Filter.build(include={"business_function": ["Sales"]})).n == 0
    # Two values of one column are alternatives; two columns both apply.
    two = access.scoped(ds, [("business_function", "Billing"), ("business_function", "Sales"), ("Region", "North")])
    assert two is not None
    assert set(responses.load_responses_for_export(cur, two, mask=False)["business_function"]) == {"Billing", "Sales"}
    assert set(responses.load_responses_for_export(cur, two, mask=False)["Region"]) == {"North"}


def test_downloads_searches_and_themes_of_a_scoped_reader_hold_only_their_rows(data) -> None:
    cur, ds = data
    sales = access.scoped(ds, [("business_function", "Sales")])
    assert sales is not None
    export = responses.load_responses_for_export(cur, sales, mask=False)
    assert len(export) == 75 and set(export["business_function"]) == {"Sales"}
    found = explorer.search_comments(cur, sales, CODEBOOK, None, Search(query="invoice"), page_size=500, mask=False)
    unscoped = explorer.search_comments(cur, ds, CODEBOOK, None, Search(query="invoice"), page_size=500, mask=False)
    assert 0 < found.total < unscoped.total
    assert set(found.rows["business_function"]) == {"Sales"}
    comments = explorer.export_comments(cur, sales, CODEBOOK, None, Search(), order="newest", mask=False)
    assert set(comments["business_function"]) == {"Sales"}
    summary = themes.theme_summary(cur, sales, CODEBOOK)
    expected = themes.theme_summary(cur, ds, CODEBOOK, Filter.build(include={"business_function": ["Sales"]}))
    _same(summary, expected)


def test_a_scope_matches_a_column_by_its_words_and_hides_a_dataset_without_it(data) -> None:
    cur, ds = data
    by_words = access.scoped(ds, [("region", "South")])  # the file says "Region"
    assert by_words is not None and by_words.scope.rules == (("Region", ("South",)),)
    assert access.scoped(ds, [("store", "Milano")]) is None  # no such column: cannot be limited, not shown
    seen = access.visible_datasets([ds], [("store", "Milano")])
    assert seen.datasets == ()
    assert seen.hidden == {ds.id: f"Dataset #{ds.id} is not available to you: your access is limited by store, "
                                  "which it does not have."}
    everything = access.visible_datasets([ds], [])
    assert everything.datasets == (ds,) and everything.hidden == {}


def test_a_link_outside_the_scope_is_named_in_the_note(data) -> None:
    _, ds = data
    billing = access.scoped(ds, [("business_function", "Billing")])
    assert billing is not None
    assert access.outside_scope(billing, "business_function", ["Sales", "Billing"]) == ["Sales"]
    assert access.outside_scope(billing, "Region", ["North"]) == []
    assert access.outside_scope(ds, "business_function", ["Sales"]) == []
    assert access.scope_note(billing, "business_function", ["Sales"], "business function") == (
        "This link asks for business function Sales, which is outside your access (business function: Billing). "
        "Nothing of it is shown; ask an administrator if you need it."
    )


def test_a_scope_on_a_column_the_dataset_lacks_fails_closed(data) -> None:
    cur, ds = data
    broken = replace(ds, scope=Scope((("nowhere", ("x",)),)))
    with pytest.raises(UnknownColumnError):
        responses.count_responses(cur, broken)


# --- the property: scoped = unscoped, filtered by the scope ------------------------------------------

scopes = st.lists(
    st.one_of(st.tuples(st.just("business_function"), st.sampled_from(FUNCTIONS)),
              st.tuples(st.just("Region"), st.sampled_from(REGIONS))),
    min_size=1, max_size=3,
)
filters = st.builds(
    lambda functions, regions, cats, start, days: Filter.build(
        include={"business_function": functions, "Region": regions}, categories=cats,
        since=dt.date(2025, 1, 1) + dt.timedelta(days=start) if start is not None else None,
        until=dt.date(2025, 1, 1) + dt.timedelta(days=start + days) if start is not None else None,
    ),
    st.lists(st.sampled_from((*FUNCTIONS, "(blank)")), max_size=2, unique=True),
    st.lists(st.sampled_from(REGIONS), max_size=1),
    st.lists(st.sampled_from(("detractor", "passive", "promoter")), max_size=2, unique=True),
    st.one_of(st.none(), st.integers(0, 300)),
    st.integers(0, 200),
)
options = st.builds(lambda dedupe, weighted: Options(dedupe=dedupe, weighted=weighted), st.booleans(), st.booleans())


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=scopes, flt=filters, opts=options)
def test_scoped_results_equal_unscoped_results_filtered_by_the_scope(data, pairs, flt, opts) -> None:
    cur, ds = data
    limited = access.scoped(ds, pairs)
    assert limited is not None
    expected = _narrowed(flt, limited.scope)
    if expected is None:  # the filter asks only for rows outside the scope: nothing
        assert responses.count_responses(cur, limited, flt) == 0
        assert scores.overall(cur, limited, flt, opts).n == 0
        return
    _same(scores.overall(cur, limited, flt, opts), scores.overall(cur, ds, expected, opts))
    _same(scores.distribution(cur, limited, flt, opts), scores.distribution(cur, ds, expected, opts))
    _same(breakdowns.breakdown(cur, limited, ["Region"], flt, opts), breakdowns.breakdown(cur, ds, ["Region"], expected, opts))
    _same(trends.trend(cur, limited, "quarter", flt, opts), trends.trend(cur, ds, "quarter", expected, opts))
    _same(responses.count_responses(cur, limited, flt), responses.count_responses(cur, ds, expected))
    _same(responses.load_responses_for_export(cur, limited, flt, mask=False),
          responses.load_responses_for_export(cur, ds, expected, mask=False))
    _same(scores.dimension_values(cur, limited, "Region", flt), scores.dimension_values(cur, ds, "Region", expected))
    _same(explorer.search_comments(cur, limited, CODEBOOK, flt, Search(), page_size=300, mask=False).rows,
          explorer.search_comments(cur, ds, CODEBOOK, expected, Search(), page_size=300, mask=False).rows)
    left = combined.overview(cur, limited, flt, None, opts, split_by="business_function", grain="quarter")
    right = combined.overview(cur, ds, expected, None, opts, split_by="business_function", grain="quarter")
    _same(left.current, right.current)


def test_a_scoped_reader_sees_only_the_improvement_actions_of_their_rows(data) -> None:
    _, ds = data
    billing = access.scoped(ds, [("business_function", "Billing")])
    assert billing is not None
    assert access.action_in_scope(billing, [], "Billing")  # owned by their function
    assert not access.action_in_scope(billing, [], "Sales")
    assert not access.action_in_scope(billing, [], None)  # every function's rows: not only theirs
    assert access.action_in_scope(billing, [("business_function", ("Billing",))], None)
    assert not access.action_in_scope(billing, [("business_function", ("Billing", "Sales"))], "Billing")
    assert access.action_in_scope(ds, [("business_function", ("Sales",))], None)  # unscoped: every action
