"""The follow-up in each function's section of the Review meeting: the KPIs per value of a dimension in one call
(nps.followup.kpis.compute_by), equal to the KPIs of a reader scoped to that value alone, and the page's sections."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from nps import store
from nps.followup import casework, kpis, lifecycle
from nps.followup.sweep import sweep
from nps.query import access
from nps.store import actions, cases
from tests.factories import default_filter, make_dataset

ROOT = Path(__file__).resolve().parent.parent
T0 = dt.datetime(2026, 12, 1, 9, 0)
NOW = T0 + dt.timedelta(hours=200)
NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 31)


def _built(con: duckdb.DuckDBPyConnection) -> store.Dataset:
    # November: a, b (Billing) and c, d (Sales) are detractors, e (Sales) a promoter. December: a answers 9 in
    # Billing, b answers 8 in Sales (not an answer again in Billing), c answers 9 in Sales.
    frame = pd.DataFrame({
        "score": [3, 5, 2, 6, 10, 9, 8, 9],
        "date": ["2026-11-25"] * 5 + ["2026-12-20"] * 3,
        "customer": ["a", "b", "c", "d", "e", "a", "b", "c"],
        "function": ["Billing", "Billing", "Sales", "Sales", "Sales", "Billing", "Sales", "Sales"],
        "wave": [1, 1, 1, 1, 1, 2, 2, 2],
    })
    ds = make_dataset(con, frame, dimensions=["function"], date="date", respondent="customer", wave="wave")
    sweep(con, T0)
    a, b, c, d = cases.all_cases(con)
    # a: contacted after 10 h, closed after 30 h (Price). The 49 h sweep escalates b, c and d. c: contacted after 60 h.
    a = casework.change_status(con, a.id, a.version, lifecycle.Change("contacted"), actor="o", now=T0 + dt.timedelta(hours=10))
    casework.change_status(con, a.id, a.version, lifecycle.Change("closed", "resolved", "Price", "called"), actor="o",
                           now=T0 + dt.timedelta(hours=30))
    sweep(con, T0 + dt.timedelta(hours=49))
    c = cases.get_case(con, c.id)
    casework.change_status(con, c.id, c.version, lifecycle.Change("contacted"), actor="o", now=T0 + dt.timedelta(hours=60))
    return ds


def test_kpis_per_function_literal(con: duckdb.DuckDBPyConnection) -> None:
    ds = _built(con)
    got = kpis.compute_by(con, ds, "function", NOW, since=NOV, until=DEC)
    assert sorted(got) == ["Billing", "Sales"]
    assert got["Billing"].describe() == {
        "detractors": 2, "cases_opened": 2,
        "contacted_within_deadline_pct": 50.0,  # a on time; b not contacted past its deadline
        "first_contact_hours_p50": 10.0, "first_contact_hours_p90": 10.0, "close_hours_p50": 30.0,
        "overdue": 1,  # b
        "escalations": 1,  # b at the 49 h sweep
        "recovery_rate": 1.0,  # a answered 9 after their case closed
        "recovery_rate_not_contacted": None,  # b answered again, but in Sales
    }
    assert got["Sales"].describe() == {
        "detractors": 2, "cases_opened": 2,
        "contacted_within_deadline_pct": 0.0,  # c contacted late, d not at all
        "first_contact_hours_p50": 60.0, "first_contact_hours_p90": 60.0, "close_hours_p50": None,
        "overdue": 2,  # c past its close deadline, d past both
        "escalations": 2,
        "recovery_rate": 1.0,  # c answered 9 after being contacted
        "recovery_rate_not_contacted": None,  # d did not answer again
    }
    assert got["Sales"].overdue_by_owner == {"unassigned": 2}
    assert got["Billing"].root_causes == [("Price", 1)]
    # The whole dataset: b's 8 counts as an answer again once the functions are not told apart.
    assert kpis.compute(con, [ds], NOW, since=NOV, until=DEC).recovery_rate_not_contacted == 1.0


@pytest.mark.parametrize("function", ["Billing", "Sales"])
def test_each_functions_kpis_are_those_of_a_reader_scoped_to_it(con: duckdb.DuckDBPyConnection, function: str) -> None:
    ds = _built(con)
    alone = access.scoped(ds, [("function", function)])
    assert alone is not None
    for since, until, moment in ((NOV, DEC, NOW), (None, None, T0 + dt.timedelta(hours=20)), (DEC, DEC, NOW)):
        per = kpis.compute_by(con, ds, "function", moment, since=since, until=until)
        assert per[function] == kpis.compute(con, [alone], moment, since=since, until=until)
    # A scoped reader's own call holds only their function.
    assert list(kpis.compute_by(con, alone, "function", NOW, since=NOV, until=DEC)) == [function]


def test_an_employee_dataset_has_no_follow_up(con: duckdb.DuckDBPyConnection) -> None:
    from dataclasses import replace

    ds = _built(con)
    assert kpis.compute_by(con, replace(ds, kind="employee"), "function", NOW) == {}
    assert kpis.compute_by(con, ds, "no such column", NOW) == {}


# --- the page ----------------------------------------------------------------------------------------


@pytest.fixture
def swept(db: Path) -> Path:
    """The sample with the cases of the customer survey's last two days opened, and an action per function."""
    con = store.connect(db)
    try:
        ds = store.get_dataset(con, 1)
        last = store.sql.fetch_value(con, f"SELECT max(_date) FROM {ds.table}")
        sweep(con, last + dt.timedelta(hours=1), lookback_days=2)
        actions.create_action(con, ds.id, "Clearer invoices", business_function="Billing", owner="bo@example.com",
                              due_date=dt.date(2020, 1, 1), status="in progress", started_on=dt.date(2019, 12, 1))
        actions.create_action(con, ds.id, "Faster quotes", business_function="Sales", owner="sy@example.com",
                              due_date=dt.date(2099, 1, 1))
        actions.create_action(con, ds.id, "Old billing fix", business_function="Billing", status="done")
    finally:
        con.close()
    return db


def _expected(db: Path, ds_filter: Any = None) -> dict[str, kpis.Kpis]:
    from face.followup import now

    flt, _ = default_filter(db)
    con = store.connect(db)
    try:
        ds = ds_filter(store.get_dataset(con, 1)) if ds_filter else store.get_dataset(con, 1)
        return kpis.compute_by(con, ds, "business_function", now(), since=flt.since, until=flt.until)
    finally:
        con.close()


def _cards(app: Any) -> list[str]:
    return [s.value.replace("\\", "") for s in app.subheader]


def _tiles(app: Any, label: str) -> list[str]:
    return [str(m.value) for m in app.metric if m.label == label]


def _review(app: Any) -> Any:
    app.run()
    app.switch_page("pages/review.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_each_card_shows_its_functions_follow_up_and_open_actions(swept: Path) -> None:
    app = _review(AppTest.from_file(str(ROOT / "app.py"), default_timeout=120))
    cards = _cards(app)
    expected = _expected(swept)
    assert "Billing" in cards and sum(k.cases_opened for k in expected.values()) > 0
    empty = kpis.Kpis(0, 0, None, None, None, None, None, 0, 0, None, 0, None, 0)
    assert _tiles(app, "Cases opened") == [str(expected.get(c, empty).cases_opened) for c in cards]
    assert _tiles(app, "Overdue") == [str(expected.get(c, empty).overdue) for c in cards]
    assert _tiles(app, "Detractors") == [str(expected.get(c, empty).detractors) for c in cards]
    assert _tiles(app, "Escalations") == [str(expected.get(c, empty).escalations) for c in cards]
    assert sum("Regression to the mean" in c.value for c in app.caption) == 1  # the caveat, once
    shown = [t.value for t in app.dataframe if "title" in t.value.columns]
    assert sorted(tuple(v["title"]) for v in shown) == [("Clearer invoices",), ("Faster quotes",)]  # not the done one
    billing = next(v for v in shown if list(v["title"]) == ["Clearer invoices"])
    assert list(billing.columns) == ["title", "owner", "due", "status", "overdue", "before → since"]
    assert list(billing["overdue"]) == [True]
    # started in 2019: the sample has nothing before it, so the verdict says too few (the Actions page's own words)
    sales = next(v for v in shown if list(v["title"]) == ["Faster quotes"])
    assert list(sales["before → since"]) == ["Not started yet: the evidence begins on the day the action starts."]
    assert billing["before → since"].iloc[0].startswith("Too few responses")
    links = [(p.proto.page, p.proto.query_string, p.proto.label) for p in app.get("page_link")
             if p.proto.label == "Improvement actions" or "overdue case" in p.proto.label]
    billing_at = cards.index("Billing")
    assert links[2 * billing_at] == ("followup", "fu_dim=business_function&fu_dim_values=Billing",
                                     f"{expected['Billing'].overdue} overdue case(s): open them in Follow-up")
    assert links[2 * billing_at + 1][:2] == ("actions", "act_function=Billing")
    assert len(links) == 2 * len(cards)


def test_the_follow_up_link_opens_the_page_filtered_to_the_function(swept: Path) -> None:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params["fu_dim"] = "business_function"
    app.query_params["fu_dim_values"] = "Billing"
    app.run()
    app.switch_page("pages/followup.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.selectbox(key="fu_dim").value == "business_function"
    assert app.multiselect(key="fu_dim_values").value == ["Billing"]


def test_a_scoped_viewer_sees_only_their_functions_section(swept: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from face import auth
    from nps.store.users import User

    ana = User("ana@example.com", "viewer", (("business_function", "Billing"),))
    monkeypatch.setattr(auth, "current_user", lambda: ana)
    app = _review(AppTest.from_file(str(ROOT / "app.py"), default_timeout=120))
    assert _cards(app) == ["Billing"]
    expected = _expected(swept, lambda ds: access.scoped(ds, [("business_function", "Billing")]))
    assert list(expected) == ["Billing"]
    assert _tiles(app, "Cases opened") == [str(expected["Billing"].cases_opened)]
    assert _tiles(app, "Overdue") == [str(expected["Billing"].overdue)]
    titles = [tuple(d.value["title"]) for d in app.dataframe if "title" in d.value.columns]
    assert titles == [("Clearer invoices",)]


def test_an_employee_surveys_sections_say_there_are_no_cases(swept: Path) -> None:
    from face.review import NO_CASES

    app = _review(AppTest.from_file(str(ROOT / "app.py"), default_timeout=120))
    app.selectbox(key="ds").set_value(2).run()
    assert not app.exception, [e.value for e in app.exception]
    cards = _cards(app)
    assert cards and [c.value for c in app.caption].count(NO_CASES) == len(cards)
    assert not _tiles(app, "Cases opened") and not any("Regression to the mean" in c.value for c in app.caption)
