"""The Follow-up page under AppTest on the sample: cases listed, a case contacted and closed, the rules tab."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from nps import store
from nps.followup.sweep import sweep
from nps.store import cases

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def swept(db: Path) -> Path:
    """The sample database with the cases of the customer survey's last two days opened."""
    con = store.connect(db)
    try:
        ds = next(d for d in store.list_datasets(con) if d.kind == "customer")
        last = store.sql.fetch_value(con, f"SELECT max(_date) FROM {ds.table}")
        sweep(con, last + dt.timedelta(hours=1), lookback_days=2)
        assert cases.all_cases(con)
    finally:
        con.close()
    return db


def _cases(page: Any) -> Any:
    return next(d.value for d in page.dataframe if "case" in d.value.columns)


def _click(page: Any, label: str) -> None:
    next(b for b in page.button if b.label == label).click().run()


@pytest.fixture
def page(swept: Path) -> Iterator[Any]:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    app.switch_page("pages/followup.py").run()
    yield app


def test_the_page_lists_the_cases_and_the_kpis(page: Any, swept: Path) -> None:
    assert not page.exception, [e.value for e in page.exception]
    assert page.title[0].value == "Follow-up"
    labels = [m.label for m in page.metric]
    assert labels[:2] == ["Detractors", "Cases opened"]
    frame = _cases(page)
    assert list(frame.columns[:4]) == ["overdue", "case", "kind", "status"]
    assert len(frame) == int(page.metric[1].value)  # single-user mode: the local admin sees every case
    assert page.radio(key="fu_view").options == ["My cases", "My team's", "All"]


def test_a_case_is_contacted_then_closed_with_a_root_cause(page: Any, swept: Path) -> None:
    page.radio(key="fu_view").set_value("All").run()
    first = page.selectbox(key="fu_case").value
    page.selectbox(key="fu_status").set_value("contacted")
    _click(page, "Change status")
    assert not page.exception, [e.value for e in page.exception]
    page.selectbox(key="fu_case").set_value(first).run()
    page.selectbox(key="fu_status").set_value("closed")
    page.selectbox(key="fu_outcome").set_value("resolved")
    page.text_input(key="fu_cause_free").input("Delivery delay")
    page.text_input(key="fu_resolution").input("Called, refunded shipping")
    _click(page, "Change status")
    assert not page.exception, [e.value for e in page.exception]
    assert not page.error, [e.value for e in page.error]
    page.multiselect(key="fu_statuses").set_value(["closed"]).run()
    frame = _cases(page)
    assert list(frame["case"]) == [first] and list(frame["root cause"]) == ["Delivery delay"]


def test_the_rules_tab_saves_a_ladder_level(page: Any) -> None:
    page.text_input(key="fu_l_contact").input("manager@example.com")
    page.text_input(key="fu_l_name").input("management")
    _click(page, "Set this level")
    assert not page.exception, [e.value for e in page.exception]
    ladders = [d.value for d in page.dataframe if "contact" in d.value.columns]
    assert ladders and list(ladders[0]["contact"]) == ["manager@example.com"]


def test_the_server_runs_the_sweep_on_its_scheduler(page: Any) -> None:
    from face import session

    assert "follow-up sweep" in session.jobs().jobs()
    assert session.jobs().jobs()["follow-up sweep"].interval == session.FOLLOWUP_SWEEP_INTERVAL == 300.0


def test_a_scoped_viewer_sees_only_their_cases_in_scope_and_may_close_their_own(
        swept: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from face import auth
    from nps.followup import casework
    from nps.store.users import User

    ana = User("ana@example.com", "viewer", (("business_function", "Billing"),))
    con = store.connect(swept)
    try:
        ds = next(d for d in store.list_datasets(con) if d.kind == "customer")
        function = {int(r): str(f) for r, f in store.sql.fetch_all(con, f"SELECT _row, business_function FROM {ds.table}")}
        every = cases.all_cases(con)
        billing = [c for c in every if function[c.response_row] == "Billing"][:2]
        other = [c for c in every if function[c.response_row] != "Billing"][:1]
        assert billing and other
        casework.assign(con, [(c.id, c.version) for c in billing + other], "ana@example.com", None, actor="t")
    finally:
        con.close()
    monkeypatch.setattr(auth, "current_user", lambda: ana)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    app.switch_page("pages/followup.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.radio(key="fu_view").options == ["My cases", "My team's"]  # no "All" for a viewer
    assert sorted(_cases(app)["case"]) == sorted(c.id for c in billing)  # the Sales case assigned to her is out of scope
    assert not [b for b in app.button if b.label in ("Assign", "Set this level", "Run the sweep now")]
    app.selectbox(key="fu_status").set_value("closed")
    app.selectbox(key="fu_outcome").set_value("unreachable")
    app.text_input(key="fu_cause_free").input("No answer")
    app.text_input(key="fu_resolution").input("Three calls, one e-mail")
    _click(app, "Change status")
    assert not app.error, [e.value for e in app.error]
    con = store.connect(swept)
    try:
        closed = [c for c in cases.all_cases(con) if c.status == "closed"]
        assert [(c.owner, c.outcome, c.updated_by) for c in closed] == [("ana@example.com", "unreachable", "ana@example.com")]
    finally:
        con.close()


def test_cases_filtered_by_a_column_of_their_response(page: Any, swept: Path) -> None:
    page.multiselect(key="fu_statuses").set_value([]).run()
    everything = len(_cases(page))
    assert "business_function" in page.selectbox(key="fu_dim").options
    page.selectbox(key="fu_dim").set_value("business_function").run()
    page.multiselect(key="fu_dim_values").set_value(["Billing"]).run()
    con = store.connect(swept)
    try:
        ds = next(d for d in store.list_datasets(con) if d.kind == "customer")
        function = {int(r): str(f) for r, f in store.sql.fetch_all(con, f"SELECT _row, business_function FROM {ds.table}")}
        expected = sorted(c.id for c in cases.all_cases(con) if function[c.response_row] == "Billing")
    finally:
        con.close()
    assert 0 < len(expected) < everything
    assert sorted(_cases(page)["case"]) == expected
