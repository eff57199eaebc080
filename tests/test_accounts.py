"""B2B accounts (issue 14): the column name rule, revenue amounts, account NPS and class, account-based and
revenue-weighted NPS, coverage, revenue at risk, trend and open cases — hand-computed literal examples and
hypothesis for the invariants."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import duckdb
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nps import domain, stats
from nps.accounts import (
    NoAccountColumnError, account_based_nps, account_table, analyse_accounts, classify, coverage, find_column,
    parse_amount, revenue_weighted_nps, revenues_from_contacts, revenues_from_list, role_level,
)
from nps.accounts.scoring import Revenues, revenue_at_risk, sort_by_risk, with_revenue
from nps.errors import NpsError
from nps.store import sql
from nps.store.cases import insert_case
from nps.store.transactions import transaction
from tests.factories import make_dataset

# --- the column name rule -------------------------------------------------------------------------


@pytest.mark.parametrize(("columns", "kind", "expected"), [
    (["customer_id", "Company", "segment"], "account", "Company"),
    (["id", "Azienda cliente", "regione"], "account", "Azienda cliente"),
    (["Société", "pays"], "account", "Société"),
    (["Nombre de la empresa", "x"], "account", "Nombre de la empresa"),
    (["Firma", "Land"], "account", "Firma"),
    (["company", "Customer account"], "account", "Customer account"),  # the more specific word wins
    (["segment", "plan"], "account", None),
    (["business_function", "Job level"], "role", "Job level"),
    (["Ruolo", "x"], "role", "Ruolo"),
    (["Poste occupé"], "role", "Poste occupé"),
    (["ARR (EUR)", "x"], "revenue", "ARR (EUR)"),
    (["Fatturato annuo"], "revenue", "Fatturato annuo"),
    (["Chiffre d'affaires"], "revenue", "Chiffre d'affaires"),
    (["Umsatz"], "revenue", "Umsatz"),
    (["carrier"], "revenue", None),  # "arr" only as a whole word
])
def test_the_name_rule_finds_columns_in_six_languages(columns: list[str], kind: str, expected: str | None) -> None:
    assert find_column(kind, columns) == expected


def test_the_name_rule_reads_labels_and_never_takes_a_mapped_column() -> None:
    assert find_column("account", ["Q1", "Q2"], {"Q2": "Your company name"}) == "Q2"
    assert find_column("account", ["Company", "Azienda"], taken=["Company"]) == "Azienda"
    with pytest.raises(ValueError, match="unknown kind"):
        find_column("colour", ["a"])


@pytest.mark.parametrize(("text", "expected"), [
    ("CEO", ("decision maker", 3)), ("Purchasing Director", ("decision maker", 3)),
    ("Décideur", ("decision maker", 3)), ("Responsable achats", ("influencer", 2)),
    ("Einkäufer", ("influencer", 2)), ("utente finale", ("user", 1)), ("Usuário", ("user", 1)),
    ("intern", (None, 0)), (None, (None, 0)), ("", (None, 0)),
])
def test_role_seniority_in_several_languages(text: str | None, expected: tuple[str | None, int]) -> None:
    assert role_level(text) == expected


# --- revenue amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "value"), [
    ("1.200,50", 1200.5), ("1,200.50", 1200.5), ("€ 3k", 3000.0), ("3k€", 3000.0), ("2,5 Mio", 2_500_000.0),
    ("1.200", 1200.0), ("1,200", 1200.0), ("3,5", 3.5), ("1200.50", 1200.5), ("1 200", 1200.0),
    ("1'000", 1000.0), ("12.345.678", 12_345_678.0), ("USD 1,234,567.89", 1_234_567.89), ("0,500", 0.5),
    (1500, 1500.0), (2.5, 2.5), ("1.5bn", 1.5e9),
])
def test_amounts_are_read_in_either_convention(raw: object, value: float) -> None:
    assert parse_amount(raw).value == pytest.approx(value)
    assert parse_amount(raw).problem is None


@pytest.mark.parametrize(("raw", "problem"), [
    ("abc", "'abc' is not an amount"), ("-5", "'-5' is negative"), ("1.2.3", "'1.2.3' is not an amount"),
    ("12 apples", "'12 apples' is not an amount"), ("(300)", "'(300)' is negative"),
])
def test_what_is_not_an_amount_says_why(raw: str, problem: str) -> None:
    assert parse_amount(raw).value is None
    assert parse_amount(raw).problem == problem


def test_missing_amounts_are_not_problems() -> None:
    for raw in (None, "", "  ", float("nan")):
        assert parse_amount(raw).value is None and parse_amount(raw).problem is None


# --- account NPS and class ----------------------------------------------------------------------------


def _contacts(rows: list[tuple[str, str | None, int]]) -> pd.DataFrame:
    return pd.DataFrame([{"account": a, "role": r, "revenue": None, "score": s, "n": 1, "first_row": i + 1}
                         for i, (a, r, s) in enumerate(rows)])


CONTACTS = _contacts([
    ("Acme", "CEO", 10), ("Acme", "user", 9), ("Acme", "Purchasing manager", 3),
    ("Beta", "Director", 8), ("Beta", "staff", 7),
    ("Gamma", None, 2), ("Gamma", "x", 10),
])


def test_the_class_boundaries() -> None:
    assert [classify(m) for m in (10, 9, 8.99, 7, 6.01, 6, 0)] == [
        "promoter", "promoter", "passive", "passive", "passive", "detractor", "detractor"]


def test_account_nps_and_class_by_mean_score() -> None:
    table = account_table(CONTACTS).set_index("account")
    # Acme: 2 promoters, 1 detractor of 3: NPS 33.3; mean (10 + 9 + 3) / 3 = 7.33: passive.
    assert table.loc["Acme", "nps"] == pytest.approx(100 / 3)
    assert table.loc["Acme", "mean_score"] == pytest.approx(22 / 3)
    assert table.loc["Acme", "account_class"] == "passive"
    assert table.loc["Acme", "basis"] == "all contacts"
    # Gamma: mean (2 + 10) / 2 = 6: detractor.
    assert table.loc["Gamma", "account_class"] == "detractor"
    assert table.loc["Beta", "account_class"] == "passive"
    # The interval is the NPS's (adjusted Wald) on the account's 3 responses.
    expected = stats.score_counts(1, 0, 2)
    assert (table.loc["Acme", "ci_low"], table.loc["Acme", "ci_high"]) == pytest.approx((expected.ci_low, expected.ci_high))


def test_account_class_by_the_most_senior_role() -> None:
    table = account_table(CONTACTS, use_roles=True).set_index("account")
    # Acme's decision maker (CEO) gave 10: a promoter account, though the mean is 7.33.
    assert table.loc["Acme", ["basis", "basis_n", "basis_mean", "account_class"]].tolist() == [
        "decision maker", 1, 10.0, "promoter"]
    assert table.loc["Beta", ["basis", "basis_mean", "account_class"]].tolist() == ["decision maker", 8.0, "passive"]
    # Gamma: no recognised role, so every contact: mean 6, detractor.
    assert table.loc["Gamma", ["basis", "basis_mean", "account_class"]].tolist() == ["all contacts", 6.0, "detractor"]
    assert table["decision_maker_answered"].tolist() == [True, True, False]


def test_several_contacts_of_the_top_role_are_averaged() -> None:
    table = account_table(_contacts([("A", "CFO", 10), ("A", "CEO", 5), ("A", "user", 0)]), use_roles=True)
    assert table.loc[0, ["basis_n", "basis_mean", "account_class"]].tolist() == [2, 7.5, "passive"]


def test_account_based_nps() -> None:
    classes = pd.Series(["promoter", "promoter", "passive", "detractor"])
    result = account_based_nps(classes)
    assert (result.n, result.nps) == (4, 25.0)
    expected = stats.score_counts(1, 1, 2)
    assert (result.ci_low, result.ci_high) == (expected.ci_low, expected.ci_high)


def test_revenue_weighted_nps() -> None:
    classes = pd.Series(["promoter", "detractor", "passive", "promoter"])
    revenue = pd.Series([3000.0, 1000.0, 1000.0, float("nan")])
    result = revenue_weighted_nps(classes, revenue)
    assert result is not None
    # (3000 − 1000) / 5000 = 40 points, on the 3 accounts with a revenue; Kish's n = 25e6 / 11e6.
    assert (result.n, result.nps) == (3, pytest.approx(40.0))
    assert result.effective_n == pytest.approx(25 / 11)
    assert revenue_weighted_nps(classes, pd.Series([float("nan")] * 4)) is None


def test_revenues_from_the_responses_say_what_was_not_read_and_where() -> None:
    frame = pd.DataFrame({"account": ["A", "A", "B", "C"], "revenue": ["1.200,50", "1300", "lots", None],
                          "first_row": [2, 5, 7, 9]})
    revenues = revenues_from_contacts(frame, "ARR")
    assert revenues.by_account == {"A": 1300.0}
    assert [u.describe() for u in revenues.unreadable] == ["row 7, column 'ARR': 'lots' is not an amount"]
    assert revenues.notes == ("account A: its responses give different revenues (1,200.50, 1,300.00); the largest is used",)


def test_an_account_list_gives_revenue_and_the_coverage_of_the_book() -> None:
    listing = pd.DataFrame({"Customer account": ["Acme", "Beta", "Gamma", "Delta", "Delta", "Eps"],
                            "ARR": ["1.000", "2000", "3000", "4000", "500", "n/a"]})
    revenues = revenues_from_list(listing)
    assert revenues.by_account == {"Acme": 1000.0, "Beta": 2000.0, "Gamma": 3000.0, "Delta": 4500.0}
    assert revenues.accounts == ("Acme", "Beta", "Gamma", "Delta", "Eps")
    assert [u.describe() for u in revenues.unreadable] == ["row 7, column 'ARR': 'n/a' is not an amount"]
    table = with_revenue(account_table(CONTACTS, use_roles=True), revenues)
    cov = coverage(table, revenues, use_roles=True)
    assert cov == {"accounts": 5, "accounts_answered": 3, "accounts_share": 0.6, "not_listed": 0,
                   "revenue_total": 10500.0, "revenue_answered": 6000.0, "revenue_share": pytest.approx(6000 / 10500),
                   "decision_maker_accounts": 2, "decision_maker_share": 0.4}
    # Gamma is the detractor account: its 3,000 is at risk.
    assert revenue_at_risk(table) == 3000.0
    assert sort_by_risk(table)["account"].tolist() == ["Gamma", "Beta", "Acme"]
    with pytest.raises(ValueError, match="no column"):
        revenues_from_list(listing, account="nope")


def test_coverage_without_a_list_or_roles() -> None:
    table = with_revenue(account_table(CONTACTS), None)
    assert coverage(table, None, use_roles=False) == {
        "accounts": 3, "accounts_answered": 3, "accounts_share": 1.0, "not_listed": 0, "revenue_total": None,
        "revenue_answered": None, "revenue_share": None, "decision_maker_accounts": None,
        "decision_maker_share": None}


# --- invariants -------------------------------------------------------------------------------------

_rows = st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.sampled_from(["CEO", "user", "manager", None]),
                           st.integers(0, 10)), min_size=1, max_size=40)


@given(_rows)
def test_account_nps_lies_within_its_range(rows: list[tuple[str, str | None, int]]) -> None:
    table = account_table(_contacts(rows), use_roles=True)
    assert ((table["nps"] >= -100) & (table["nps"] <= 100)).all()
    assert ((table["ci_low"] <= table["nps"] + 1e-9) & (table["nps"] <= table["ci_high"] + 1e-9)).all()
    assert table["n"].sum() == len(rows)
    assert set(table["account_class"]) <= set(domain.CATEGORIES)
    result = account_based_nps(table["account_class"])
    assert -100 <= result.nps <= 100


@given(st.lists(st.sampled_from(list(domain.CATEGORIES)), min_size=1, max_size=30),
       st.floats(min_value=0.01, max_value=1e9))
def test_equal_revenues_give_the_account_based_nps(classes: list[str], revenue: float) -> None:
    series = pd.Series(classes)
    weighted = revenue_weighted_nps(series, pd.Series([revenue] * len(classes)))
    plain = account_based_nps(series)
    assert weighted is not None
    assert weighted.nps == pytest.approx(plain.nps, abs=1e-9)
    assert (weighted.ci_low, weighted.ci_high) == pytest.approx((plain.ci_low, plain.ci_high), abs=1e-6)


# --- the analysis of a dataset ------------------------------------------------------------------------

FRAME = pd.DataFrame({
    "score": [10, 9, 3, 8, 7, 2, 10],
    "Company": ["Acme", "Acme", "Acme", "Beta", "Beta", "Gamma", "Gamma"],
    "Job level": ["CEO", "user", "Purchasing manager", "Director", "staff", None, "x"],
    "ARR": ["1.200,50", "1.200,50", "1,200.50", "€ 3k", "3000", "bad", "5k"],
    "date": ["2024-01-05", "2024-04-02", "2024-04-03", "2024-02-01", "2024-02-02", "2024-03-01", "2024-03-02"],
})


def test_the_analysis_of_a_dataset(con: duckdb.DuckDBPyConnection) -> None:
    ds = make_dataset(con, FRAME, date="date")
    with transaction(con):
        for row, status in ((6, "open"), (3, "closed"), (7, "in progress")):
            insert_case(con, {"dataset_id": ds.id, "response_row": row, "response_wave": 1, "kind": "detractor",
                              "status": status, "priority": "normal", "opened_at": dt.datetime(2024, 3, 2)},
                        actor="test", now=dt.datetime(2024, 3, 2))
    result = analyse_accounts(con, ds)
    assert (result.columns.account, result.columns.role, result.columns.revenue) == ("Company", "Job level", "ARR")
    table = result.table.set_index("account")
    assert table.index.tolist() == ["Gamma", "Beta", "Acme"]  # Gamma's 5k is at risk
    assert table["account_class"].tolist() == ["detractor", "passive", "promoter"]
    assert table["revenue"].tolist() == [5000.0, 3000.0, 1200.5]
    assert table["revenue_at_risk"].tolist() == [5000.0, 0.0, 0.0]
    assert table["open_cases"].tolist() == [2, 0, 0]
    assert table.loc["Acme", "trend"] == [{"quarter": "2024Q1", "n": 1, "nps": 100.0},
                                          {"quarter": "2024Q2", "n": 2, "nps": 0.0}]
    assert result.classes == {"detractor": 1, "passive": 1, "promoter": 1}
    assert (result.account_nps.n, result.account_nps.nps) == (3, 0.0)
    assert result.revenue_nps is not None
    assert result.revenue_nps.nps == pytest.approx(100 * (1200.5 - 5000) / 9200.5)
    assert result.revenue_at_risk == 5000.0
    assert result.coverage["decision_maker_accounts"] == 2
    assert result.notes == ("row 6, column 'ARR': 'bad' is not an amount; not counted",
                            "roles not recognised as decision maker, influencer or user: x")


def test_explicit_columns_override_the_name_rule(con: duckdb.DuckDBPyConnection) -> None:
    ds = make_dataset(con, FRAME.assign(Client=["X", "X", "Y", "Y", "Y", "Z", "Z"]), date="date")
    result = analyse_accounts(con, ds, account="Client", role="", revenue="")
    assert (result.columns.account, result.columns.role, result.columns.revenue) == ("Client", None, None)
    assert result.revenue_nps is None and result.revenue_at_risk is None
    assert result.coverage["decision_maker_accounts"] is None
    # Without the role rule, by the mean: X (10, 9) promoter, Y (3, 8, 7: mean 6) detractor, Z (2, 10) detractor.
    assert result.table.set_index("account").loc[["X", "Y", "Z"], "account_class"].tolist() == [
        "promoter", "detractor", "detractor"]
    assert sorted(result.table["account"]) == ["X", "Y", "Z"]


def test_a_scoped_reader_sees_only_its_accounts(con: duckdb.DuckDBPyConnection) -> None:
    ds = make_dataset(con, FRAME, date="date")
    scoped = replace(ds, scope=domain.Scope.from_pairs([("Company", "Beta")]))
    assert analyse_accounts(con, scoped).table["account"].tolist() == ["Beta"]


def test_without_an_account_column_or_on_employees_it_says_so(con: duckdb.DuckDBPyConnection) -> None:
    ds = make_dataset(con, pd.DataFrame({"score": [1, 9], "segment": ["a", "b"]}))
    with pytest.raises(NoAccountColumnError, match="--account-column"):
        analyse_accounts(con, ds)
    staff = make_dataset(con, FRAME, name="staff")
    sql.execute(con, "UPDATE datasets SET kind = 'employee' WHERE id = ?", [staff.id])
    from nps import store

    with pytest.raises(NpsError, match="customer analysis"):
        analyse_accounts(con, store.get_dataset(con, staff.id))


def test_revenue_from_an_uploaded_list_replaces_the_column(con: duckdb.DuckDBPyConnection) -> None:
    ds = make_dataset(con, FRAME, date="date")
    listing = pd.DataFrame({"account": ["Acme", "Beta", "Gamma", "Delta"], "revenue": ["1.000", "2000", "3000", "4000"]})
    result = analyse_accounts(con, ds, account_list=listing)
    assert result.revenues is not None and result.revenues.listed
    assert result.revenue_at_risk == 3000.0
    assert result.revenue_nps is not None and result.revenue_nps.nps == pytest.approx(100 * (1000 - 3000) / 6000)
    assert result.coverage["accounts"] == 4 and result.coverage["revenue_share"] == pytest.approx(0.6)
    assert isinstance(result.revenues, Revenues)
