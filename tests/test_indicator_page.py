"""The Indicators & benchmarks page (AppTest): indicators defined and flagged, benchmarks added with their
comparability, viewers read only."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from nps import store
from nps.accounts import analyse_accounts
from nps.format import points
from tests.factories import default_filter
from tests.test_hostile_pages import shown
from nps.store import audit, benchmarks, indicators


def _page(at: AppTest) -> AppTest:
    at.switch_page("pages/indicators.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_an_indicator_is_defined_and_shown(at: AppTest, db: Path) -> None:
    _page(at)
    assert any("No indicators yet" in i.value for i in at.info)
    next(t for t in at.text_input if t.key == "ind_name").input("Billing NPS")
    at.selectbox(key="ind_column").set_value("business_function")
    next(t for t in at.text_input if t.key == "ind_values").input("Billing")
    at.number_input(key="ind_threshold").set_value(90.0)
    next(b for b in at.button if b.label == "Save the indicator").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["The indicator is saved\\."]  # escaped: flash messages are Markdown-escaped
    assert [s.value for s in at.subheader] == ["⚠ Billing NPS"]  # below its threshold of 90
    texts = [t.value for t in at.text]
    assert "NPS · Business function = Billing" in texts
    assert any(t.endswith("Past its threshold (below 90).") for t in texts)
    con = store.connect(db)
    try:
        (made,) = indicators.list_indicators(con, 1)
        assert made.conditions == (("business_function", ("Billing",)),) and made.created_by == "local user"
        assert "indicator added" in [e.action for e in audit.audit_entries(con)]
    finally:
        con.close()


def test_benchmarks_are_greyed_unless_comparable(at: AppTest, db: Path) -> None:
    con = store.connect(db)
    try:
        benchmarks.add_benchmark(con, actor="x", name="Retail IT", nps=20, source="Study", year=2025,
                                 method="transactional", country="Italy")
    finally:
        con.close()
    _page(at)
    table = next(d.value for d in at.dataframe if "why not" in d.value.columns)
    assert list(table["comparable"]) == [False]
    assert table.iloc[0]["why not"] == "the data has no country column, so it cannot be matched to Italy"
    next(t for t in at.text_input if t.key == "bm_name").input("Fake")
    at.number_input(key="bm_nps").set_value(30.0)
    at.number_input(key="bm_year").set_value(2025)
    next(t for t in at.text_input if t.key == "bm_source").input("Made up")
    at.checkbox(key="bm_fictitious").check()
    next(b for b in at.button if b.label == "Add the benchmark").click().run()
    assert [s.value for s in at.success] == ["The benchmark is added\\."]
    table = next(d.value for d in at.dataframe if "why not" in d.value.columns)
    assert "a fictitious example, not a real benchmark" in list(table["why not"])


def test_a_viewer_sees_no_forms(at: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    from face import auth
    from nps.store.users import User

    monkeypatch.setattr(auth, "current_user", lambda: User("viewer@example.com", "viewer"))
    _page(at)
    assert not [b for b in at.button if b.label in ("Save the indicator", "Add the benchmark")]


def test_flagged_indicators_appear_in_the_review_meeting(at: AppTest, db: Path) -> None:
    con = store.connect(db)
    try:
        indicators.add_indicator(con, dataset_id=1, name="Billing NPS", kind="nps",
                                 conditions={"business_function": ["Billing"]}, threshold=90, actor="x")
        indicators.add_indicator(con, dataset_id=1, name="All NPS", kind="nps", threshold=-100, actor="x")
    finally:
        con.close()
    at.switch_page("pages/review.py").run()
    assert not at.exception
    assert any(m.value == "**Indicators to monitor**: 1 of 2 flagged" for m in at.markdown)
    assert any(t.value.startswith("⚠ Billing NPS: ") for t in at.text)


def test_the_promoters_and_accounts_page(at: AppTest, db: Path) -> None:
    at.switch_page("pages/profiles.py").run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "promoter lift" in d.value.columns)
    assert set(table["column"]) and "95% interval (promoters)" in table.columns
    # The sample's B2B rows name their company: the planted detractor account heads the accounts, as the engine says.
    flt, _ = default_filter(db)
    con = store.connect(db)
    try:
        found = analyse_accounts(con, store.get_dataset(con, 1), flt=flt)
    finally:
        con.close()
    accounts = next(d.value for d in at.dataframe if "revenue at risk" in d.value.columns)
    assert list(accounts.columns) == ["account", "n", "NPS", "95% interval", "class", "based on",
                                      "decision maker answered", "revenue", "revenue at risk", "open cases",
                                      "NPS by quarter"]
    first = accounts.iloc[0]
    assert (first["account"], first["class"], first["revenue at risk"]) == ("Ferri Logistica S.p.A.", "detractor",
                                                                           2_988_200)
    assert list(accounts["account"]) == list(found.table["account"])
    assert list(first["NPS by quarter"]) == [p["nps"] for p in found.table.iloc[0]["trend"]]
    assert next(m for m in at.metric if m.label == "Revenue at risk").value == f"{found.revenue_at_risk:,.0f}"
    assert next(m for m in at.metric if m.label == "Account-based NPS").value == points(found.account_nps.nps)


def test_an_account_list_gives_the_revenue_and_the_books_coverage(at: AppTest) -> None:
    at.switch_page("pages/profiles.py").run()
    assert any(shown(c.value).startswith("Coverage: 90 of 90 accounts answered") for c in at.caption)
    listing = "account;revenue\nFerri Logistica S.p.A.;1.000\nNobody Srl;5000\nOther One;lots\n"
    at.file_uploader(key="acct_list").upload("book.csv", listing.encode(), "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    captions = [shown(c.value) for c in at.caption]
    assert any(c.startswith("Accounts by company, role by contact_role, revenue from the account list.") for c in captions)
    # 3 listed accounts, 1 of them answered; the other 89 answering accounts are not in the list.
    assert any(c.startswith("Coverage: 1 of 3 accounts answered; revenue 1,000 of 6,000 (16.7%)")
               and "89 responding account(s) not in the list" in c for c in captions), captions
    assert any("row 4, column 'revenue'" in c and "'lots'" in c for c in captions), captions
    accounts = next(d.value for d in at.dataframe if "revenue at risk" in d.value.columns)
    assert accounts.iloc[0]["account"] == "Ferri Logistica S.p.A." and accounts.iloc[0]["revenue at risk"] == 1000
    at.file_uploader(key="acct_list").upload("empty.csv", b"", "text/csv").run()
    assert [shown(e.value) for e in at.error] == ["Not used: empty.csv: the file is empty"]
