"""A scoped user in the app (AppTest): every page shows only their function, whatever the URL asks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from face import auth
from nps import query as queries
from nps import store
from nps.format import points as format_points
from nps.query import access, periods, responses
from nps.query.filters import Filter
from nps.store.users import User

ROOT = Path(__file__).resolve().parent.parent
BILLING = User("ana@example.com", "viewer", (("business_function", "Billing"),))


@pytest.fixture
def billing_user(monkeypatch: pytest.MonkeyPatch) -> User:
    monkeypatch.setattr(auth, "current_user", lambda: BILLING)
    return BILLING


def _app(params: dict[str, str] | None = None) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in (params or {}).items():
        app.query_params[key] = value
    return app


def _scoped_engine(db: Path) -> tuple[store.Dataset, Filter]:
    """The Billing user's dataset and the sidebar's default filter on it (last 12 months of *their* rows)."""
    con = store.connect(db)
    try:
        ds = access.scoped(store.get_dataset(con, 1), BILLING.scopes)
        assert ds is not None
        start, end = queries.data_range(con, ds)
    finally:
        con.close()
    since, until = periods.resolve_preset("12m", start, end)
    return ds, Filter.build(since=since, until=until, include={"survey_type": ["transactional"]})


def _plain(elements: Any) -> list[str]:
    """The texts of shown elements without the Markdown escapes (user text is shown escaped)."""
    return [e.value.replace("\\", "") for e in elements]


def _metric(at: AppTest, label: str) -> Any:
    return next(m for m in at.metric if m.label == label)


def test_the_overview_of_a_scoped_user_counts_only_their_function(db: Path, billing_user: User) -> None:
    at = _app()
    at.run()
    assert not at.exception
    ds, flt = _scoped_engine(db)
    con = store.connect(db)
    try:
        now = queries.overall(con, ds, flt)
        everyone = queries.overall(con, store.get_dataset(con, 1), flt)
    finally:
        con.close()
    assert 0 < now.n < everyone.n
    assert _metric(at, "Responses (n)").value == f"{now.n:,}"
    assert _metric(at, "NPS").value == format_points(now.nps)
    # The filter offers only their values, and the sidebar says what the access is.
    assert at.multiselect(key="f_business_function").options == ["Billing"]
    assert any("Your access: Business function: Billing" in c for c in _plain(at.sidebar.caption))


def test_a_link_to_another_function_shows_nothing_of_it_and_says_why(db: Path, billing_user: User) -> None:
    at = _app({"f_business_function": "Sales"})
    at.run()
    assert not at.exception
    notes = _plain(at.info)
    assert any("This link asks for business function Sales, which is outside your access "
               "(business function: Billing)" in n for n in notes), notes
    ds, flt = _scoped_engine(db)
    con = store.connect(db)
    try:
        now = queries.overall(con, ds, flt)
    finally:
        con.close()
    assert _metric(at, "Responses (n)").value == f"{now.n:,}"  # their own rows; not one of Sales


def test_the_responses_page_and_its_download_hold_only_their_rows(db: Path, billing_user: User) -> None:
    at = _app()
    at.run()
    at.switch_page("pages/responses.py").run()
    assert not at.exception
    ds, flt = _scoped_engine(db)
    con = store.connect(db)
    try:
        total = responses.count_responses(con, ds, flt)
        frame = responses.load_responses_for_export(con, ds, flt, mask=True)
    finally:
        con.close()
    assert set(frame["business_function"]) == {"Billing"} and len(frame) == total
    assert any(f"{total:,}" in c for c in _plain([*at.caption, *at.markdown])), "the page counts the scoped rows"


def test_a_dataset_without_the_scope_column_is_not_offered_and_its_link_says_why(db: Path, billing_user: User) -> None:
    at = _app({"ds": "Sample: employee survey (eNPS) · #2"})
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="ds").options == ["Sample: customer survey · #1"]
    warnings = _plain(at.sidebar.warning)
    assert any("Dataset #2 is not available to you: your access is limited by business_function" in w
               for w in warnings), warnings


def test_an_unscoped_user_still_sees_every_dataset_and_row(at: AppTest, db: Path) -> None:
    assert at.sidebar.selectbox(key="ds").options == ["Sample: customer survey · #1",
                                                       "Sample: employee survey (eNPS) · #2"]
    assert len(at.multiselect(key="f_business_function").options) == 6
