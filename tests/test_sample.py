"""The sample generator: realistic shape, determinism, and the planted stories.

Every expectation is computed here with plain pandas, independently of the rest
of the library, so a bug in ``nps``'s own statistics cannot hide a broken story.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nps import sample

ROOT = Path(__file__).resolve().parent.parent
SCORE = "How likely are you to recommend us to a friend or colleague? (0-10)"
ENPS = "How likely are you to recommend Verdemare as a place to work? (0-10)"
RATINGS = ["rating_speed", "rating_staff", "rating_price", "rating_quality"]
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2b50]")
EMAIL = re.compile(r"[\w.]+@[\w-]+\.\w+")
PHONE = re.compile(r"\+?\d[\d ]{8,}\d")
LATENESS = re.compile(r"ritard|\blate\b|\bdelay|retard", re.IGNORECASE)


def nps(scores: pd.Series) -> float:
    """NPS in points: % promoters (9-10) minus % detractors (0-6)."""
    return 100 * ((scores >= 9).mean() - (scores <= 6).mean())


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    frame = sample.generate_customers()
    frame["quarter"] = frame["submitted_at"].dt.to_period("Q").astype(str)
    return frame


@pytest.fixture(scope="module")
def employees() -> pd.DataFrame:
    return sample.generate_employees()


def quarterly(frame: pd.DataFrame, **where: str) -> pd.Series:
    """NPS per calendar quarter of the rows where each column equals its value."""
    mask = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        mask &= frame[column] == value
    return frame[mask].groupby("quarter")[SCORE].agg(nps)


# --- determinism ----------------------------------------------------------------


def test_same_seed_gives_the_same_frame_and_another_seed_does_not() -> None:
    first = sample.generate_customers(3_000, seed=5)
    pd.testing.assert_frame_equal(first, sample.generate_customers(3_000, seed=5))
    other = sample.generate_customers(3_000, seed=6)
    assert not first["response_id"].equals(other["response_id"])
    assert not first[SCORE].equals(other[SCORE])


def test_employees_are_deterministic_too() -> None:
    pd.testing.assert_frame_equal(sample.generate_employees(seed=1), sample.generate_employees(seed=1))
    assert not sample.generate_employees(seed=1)[ENPS].equals(sample.generate_employees(seed=2)[ENPS])


def test_committed_files_are_what_write_samples_produces(tmp_path: Path) -> None:
    paths = sample.write_samples(tmp_path)
    assert [p.name for p in paths] == ["sample_customers.csv", "sample_employees.csv"]
    for path in paths:
        committed = ROOT / "data" / path.name
        assert committed.read_bytes() == path.read_bytes(), f"regenerate with: python -m nps.sample data ({path.name})"
        assert path.stat().st_size < 6_000_000


def _argsort_with_ties(first: str) -> Any:
    """``np.argsort`` whose unstable kinds put equal keys in draw order (``first="low"``) or reversed ("high")."""
    real = np.argsort

    def argsort(a: Any, axis: int = -1, kind: str | None = None, order: Any = None) -> np.ndarray:
        if kind == "stable" or np.ndim(a) != 1:
            return real(a, axis=axis, kind=kind, order=order)
        values = np.asarray(a)
        if first == "low":
            return real(values, kind="stable")
        return len(values) - 1 - real(values[::-1], kind="stable")

    return argsort


@pytest.mark.parametrize(
    "generate",
    [
        lambda: sample.generate_customers(4_000, seed=3, months=1),
        lambda: sample.generate_employees(4_000, seed=3, waves=1),
    ],
    ids=["customers", "employees"],
)
def test_rows_in_the_same_second_do_not_depend_on_how_numpy_breaks_ties(
    monkeypatch: pytest.MonkeyPatch, generate: Any
) -> None:
    # numpy's default sort is unstable and its SIMD variants order equal keys differently from CPU to CPU.
    monkeypatch.setattr(np, "argsort", _argsort_with_ties("low"))
    low = generate()
    monkeypatch.setattr(np, "argsort", _argsort_with_ties("high"))
    high = generate()
    assert low["submitted_at"].duplicated().sum() >= 5
    pd.testing.assert_frame_equal(low, high)


def test_the_command_line_writes_the_samples(tmp_path: Path) -> None:
    assert sample.main([str(tmp_path / "out")]) == 0
    written = (tmp_path / "out" / "sample_customers.csv").read_bytes()
    assert written == (ROOT / "data" / "sample_customers.csv").read_bytes()


def test_importing_the_generator_leaves_streamlit_out() -> None:
    code = "import sys, nps.sample; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- the customer export's shape ------------------------------------------------


def test_columns_read_like_an_export(customers: pd.DataFrame) -> None:
    assert list(customers.columns[:-1]) == [
        "response_id",
        "customer_id",
        "submitted_at",
        "survey_type",
        "channel",
        "language",
        "segment",
        "plan",
        "region",
        "business_function",
        "touchpoint",
        SCORE,
        *RATINGS,
        "company",
        "contact_role",
        "annual_revenue_eur",
        "comment",
    ]
    assert customers["response_id"].is_unique
    assert customers["response_id"].str.fullmatch(r"R_[0-9A-Za-z]{15}").all()
    assert customers["customer_id"].str.fullmatch(r"C\d{7}").all()
    assert customers["submitted_at"].is_monotonic_increasing


def test_size_and_span(customers: pd.DataFrame) -> None:
    assert len(customers) == 24_000
    months = customers["submitted_at"].dt.to_period("M")
    assert months.min() == pd.Period("2024-11", "M")
    assert months.max() == pd.Period("2026-10", "M")
    assert months.nunique() == 24
    assert customers.groupby(months).size().min() >= 500


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("segment", {"B2B", "B2C", "Partners & investors"}),
        (
            "business_function",
            {"Sales", "Customer service", "Delivery & logistics", "Billing", "Product", "Onboarding"},
        ),
        ("channel", {"email", "SMS", "web", "phone"}),
        ("survey_type", {"transactional", "relationship"}),
        ("language", {"it", "en", "fr"}),
        ("plan", {"Basic", "Plus", "Premium", "Business", "Enterprise"}),
    ],
)
def test_every_listed_value_is_present(customers: pd.DataFrame, column: str, values: set[str]) -> None:
    assert set(customers[column].dropna()) == values


def test_touchpoints_belong_to_their_function(customers: pd.DataFrame) -> None:
    pairs = set(customers[["business_function", "touchpoint"]].drop_duplicates().itertuples(index=False))
    assert ("Delivery & logistics", "Delivery") in pairs
    assert ("Billing", "First invoice") in pairs
    assert ("Customer service", "Support ticket") in pairs
    assert ("Onboarding", "Onboarding call") in pairs
    assert ("Sales", "Renewal") in pairs
    assert not {("Billing", "Delivery"), ("Delivery & logistics", "First invoice")} & pairs
    assert len(pairs) == 18


def test_regions_mix_italian_french_and_other(customers: pd.DataFrame) -> None:
    assert {"Nord Italia", "Centro-Sud Italia", "Île-de-France", "UK & Ireland"} <= set(customers["region"])
    assert (customers.loc[customers["region"] == "Île-de-France", "language"] == "fr").mean() > 0.8


def test_plan_is_optional_and_missing_exactly_for_partners(customers: pd.DataFrame) -> None:
    partners = customers["segment"] == "Partners & investors"
    assert customers.loc[partners, "plan"].isna().all()
    assert customers.loc[~partners, "plan"].notna().all()


def test_about_a_quarter_of_customers_answer_more_than_once(customers: pd.DataFrame) -> None:
    answers = customers.groupby("customer_id").size()
    assert 0.20 <= (answers > 1).mean() <= 0.30
    assert customers.groupby("customer_id")["segment"].nunique().max() == 1


def test_scores_and_ratings_are_in_range(customers: pd.DataFrame) -> None:
    assert customers[SCORE].between(0, 10).all()
    assert set(customers[SCORE]) == set(range(11))
    for column in RATINGS:
        assert set(customers[column]) == {1, 2, 3, 4, 5}


@pytest.mark.parametrize("column", RATINGS)
def test_each_rating_drives_the_score(customers: pd.DataFrame, column: str) -> None:
    assert customers[column].corr(customers[SCORE]) > 0.4
    assert customers[column].rank().corr(customers[SCORE].rank()) > 0.4


def test_base_rates_are_realistic(customers: pd.DataFrame) -> None:
    assert 10 <= nps(customers[SCORE]) <= 25
    by_segment = customers.groupby("segment")[SCORE].agg(nps)
    assert by_segment["B2B"] > by_segment["B2C"] + 20
    share = customers["segment"].value_counts(normalize=True)
    assert 0.05 <= share["Partners & investors"] <= 0.10
    promoters, detractors = (customers[SCORE] >= 9).mean(), (customers[SCORE] <= 6).mean()
    assert 0.30 <= promoters <= 0.45 and 0.20 <= detractors <= 0.35


# --- comments ---------------------------------------------------------------------


def test_comments_have_blanks_three_languages_and_many_phrasings(customers: pd.DataFrame) -> None:
    written = customers.dropna(subset=["comment"])
    assert 0.25 <= customers["comment"].isna().mean() <= 0.35
    shares = written["language"].value_counts(normalize=True)
    assert shares[["it", "en", "fr"]].min() >= 0.15
    assert written["comment"].nunique() >= 2_000


def test_comments_carry_emoji_and_occasional_contact_details(customers: pd.DataFrame) -> None:
    written = customers["comment"].dropna()
    assert written.str.contains(EMOJI).mean() > 0.03
    personal = written.str.contains(EMAIL) | written.str.contains(PHONE)
    assert 0.002 <= personal.mean() <= 0.01


def test_comments_are_written_in_the_respondents_language(customers: pd.DataFrame) -> None:
    written = customers.dropna(subset=["comment"])
    function_words = {
        "it": r"\b(?:il|la|le|di|del|della|che|e|è|non|per|con|un|una|in|al|ho)\b",
        "fr": r"\b(?:le|la|les|de|des|du|et|un|une|pas|au|est|en|à)\b",
        "en": r"\b(?:the|a|and|I|to|was|is|it|my|for|on|of|in)\b",
    }
    for language, pattern in function_words.items():
        own = written.loc[written["language"] == language, "comment"].str.contains(pattern, case=False).mean()
        assert own > 0.7, language


def test_delivery_detractors_complain_about_lateness(customers: pd.DataFrame) -> None:
    delivery = customers[(customers["business_function"] == "Delivery & logistics") & customers["comment"].notna()]
    detractors = delivery.loc[delivery[SCORE] <= 6, "comment"].str.contains(LATENESS).mean()
    promoters = delivery.loc[delivery[SCORE] >= 9, "comment"].str.contains(LATENESS).mean()
    assert detractors >= 0.4
    assert detractors >= 10 * max(promoters, 0.001)


@pytest.mark.parametrize(
    ("function", "pattern"),
    [
        ("Billing", r"fattur|invoice|factur|charged|prélev|addebit"),
        (
            "Customer service",
            r"telefono|numero verde|call center|in coda|phone|helpline|on hold|queued|décroche|attente",
        ),
    ],
)
def test_detractor_themes_follow_the_function(customers: pd.DataFrame, function: str, pattern: str) -> None:
    written = customers.dropna(subset=["comment"])
    detractors = written[written[SCORE] <= 6]
    own = detractors.loc[detractors["business_function"] == function, "comment"].str.contains(pattern, case=False)
    others = detractors.loc[detractors["business_function"] != function, "comment"].str.contains(pattern, case=False)
    assert own.mean() > 0.4
    assert own.mean() > 3 * others.mean()


def test_promoters_praise_the_staff(customers: pd.DataFrame) -> None:
    written = customers.dropna(subset=["comment"])
    praise = r"gentil|cordial|friendly|helpful|aimable|sympathique|compétent|competent"
    promoters = written.loc[written[SCORE] >= 9, "comment"].str.contains(praise, case=False).mean()
    detractors = written.loc[written[SCORE] <= 6, "comment"].str.contains(praise, case=False).mean()
    assert promoters > 0.15 > detractors


# --- the planted stories ------------------------------------------------------------


def test_delivery_dips_in_2025q3_then_recovers(customers: pd.DataFrame) -> None:
    delivery = quarterly(customers, business_function="Delivery & logistics")
    others = delivery.drop("2025Q3")
    assert delivery.idxmin() == "2025Q3"
    assert delivery["2025Q3"] <= others.mean() - 20
    assert delivery["2025Q3"] <= others.min() - 20
    assert delivery["2025Q4"] >= delivery[["2025Q1", "2025Q2"]].mean() - 5
    delivery_rows = customers[customers["business_function"] == "Delivery & logistics"]
    speed = delivery_rows.groupby("quarter")["rating_speed"].mean()
    assert speed.idxmin() == "2025Q3"


def test_the_delivery_dip_shows_in_lateness_complaints(customers: pd.DataFrame) -> None:
    delivery = customers[customers["business_function"] == "Delivery & logistics"].dropna(subset=["comment"])
    late = delivery["comment"].str.contains(LATENESS).groupby(delivery["quarter"]).mean()
    assert late.idxmax() == "2025Q3"
    assert late["2025Q3"] >= 1.3 * late.drop("2025Q3").median()


def test_billing_improves_steadily_over_the_two_years(customers: pd.DataFrame) -> None:
    billing = quarterly(customers, business_function="Billing")
    assert billing["2024Q4"] <= billing["2026Q4"] - 30
    assert billing["2024Q4"] <= -15
    assert billing.max() >= 20
    slope = np.polyfit(np.arange(len(billing)), billing.to_numpy(), 1)[0]
    assert slope > 3
    assert (billing.diff().dropna() > 0).mean() >= 0.75
    billing_rows = customers[customers["business_function"] == "Billing"]
    monthly = billing_rows.groupby(billing_rows["submitted_at"].dt.to_period("M"))[SCORE].agg(nps)
    assert np.corrcoef(np.arange(len(monthly)), monthly.to_numpy())[0, 1] > 0.8


def test_overall_nps_falls_in_2026q3_from_mix_alone(customers: pd.DataFrame) -> None:
    before, after = customers[customers["quarter"] == "2026Q2"], customers[customers["quarter"] == "2026Q3"]
    b2c_before = (before["segment"] == "B2C").mean()
    b2c_after = (after["segment"] == "B2C").mean()
    assert b2c_after - b2c_before >= 0.15
    assert nps(before[SCORE]) - nps(after[SCORE]) >= 4
    for segment in ["B2B", "B2C", "Partners & investors"]:
        was = nps(before.loc[before["segment"] == segment, SCORE])
        assert abs(nps(after.loc[after["segment"] == segment, SCORE]) - was) < 5, segment
    # Reweighting 2026Q3's segments to 2026Q2's mix gives back the old overall NPS.
    weights = before["segment"].value_counts(normalize=True)
    reweighted = sum(weights[s] * nps(after.loc[after["segment"] == s, SCORE]) for s in weights.index)
    assert abs(reweighted - nps(before[SCORE])) < 3


# --- B2B accounts --------------------------------------------------------------------


def test_only_business_rows_name_a_company_a_title_and_a_revenue(customers: pd.DataFrame) -> None:
    business = customers["segment"] == "B2B"
    for column in ["company", "contact_role", "annual_revenue_eur"]:
        assert customers.loc[business, column].notna().all(), column
        assert customers.loc[~business, column].isna().all(), column
    assert customers.loc[business, "company"].nunique() == 90
    # A contact keeps one company and one title; a company has one revenue.
    per_contact = customers[business].groupby("customer_id")[["company", "contact_role"]].nunique()
    assert (per_contact == 1).all().all()
    assert (customers[business].groupby("company")["annual_revenue_eur"].nunique() == 1).all()


def test_every_job_title_reads_as_a_level_in_its_language(customers: pd.DataFrame) -> None:
    from nps.accounts import role_level

    titles = customers["contact_role"].dropna().unique()
    assert len(titles) == 18
    levels = {title: role_level(title)[0] for title in titles}
    assert None not in levels.values()
    assert levels["Direttore acquisti"] == levels["CEO"] == levels["Directeur général"] == "decision maker"
    assert levels["Acheteur"] == levels["Responsabile logistica"] == levels["Purchasing manager"] == "influencer"
    assert levels["Office staff"] == levels["Operatore di magazzino"] == levels["Employé administratif"] == "user"


def test_the_largest_account_is_a_detractor_account(customers: pd.DataFrame) -> None:
    business = customers[customers["segment"] == "B2B"]
    revenue = business.groupby("company")["annual_revenue_eur"].first().sort_values(ascending=False)
    assert revenue.index[0] == "Ferri Logistica S.p.A."
    assert revenue.iloc[0] == 2_988_200
    assert revenue.iloc[0] >= 1.4 * revenue.iloc[1]
    ferri = business[business["company"] == "Ferri Logistica S.p.A."]
    assert ferri["customer_id"].nunique() == 12
    assert (ferri[SCORE] <= 6).all()
    assert (ferri["contact_role"] == "Direttore acquisti").any()
    # Elsewhere business customers mostly promote: the account stands out.
    assert nps(business.loc[business["company"] != "Ferri Logistica S.p.A.", SCORE]) > 25


def test_the_account_columns_leave_every_other_column_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    from nps.sample import customers as generator
    from nps.sample.accounts import ACCOUNT_COLUMNS

    with_accounts = sample.generate_customers(3_000, seed=5)

    def no_accounts(frame: pd.DataFrame, **_: Any) -> pd.DataFrame:
        return frame.assign(**{c: None for c in ACCOUNT_COLUMNS})

    monkeypatch.setattr(generator, "add_accounts", no_accounts)
    without = sample.generate_customers(3_000, seed=5)
    others = [c for c in with_accounts.columns if c not in ACCOUNT_COLUMNS]
    pd.testing.assert_frame_equal(with_accounts[others], without[others])
    assert with_accounts.loc[with_accounts["segment"] == "B2B", "company"].notna().all()


# --- employees ----------------------------------------------------------------------


def test_employee_survey_shape(employees: pd.DataFrame) -> None:
    assert list(employees.columns) == [
        "response_id",
        "submitted_at",
        "wave",
        "level",
        "department",
        "site",
        "tenure",
        "language",
        ENPS,
        "rating_workload",
        "rating_manager",
        "rating_pay",
        "rating_colleagues",
        "comment",
    ]
    assert len(employees) == 1_500
    assert sorted(employees["wave"].unique()) == [
        "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3",
    ]  # fmt: skip
    assert set(employees["level"]) == {"Front line", "Management", "Executive"}
    assert set(employees["language"]) == {"it", "en", "fr"}
    assert employees[ENPS].between(0, 10).all()
    assert 0.3 <= employees["comment"].isna().mean() <= 0.5


def test_employee_enps_rises_with_level_and_dips_in_operations(employees: pd.DataFrame) -> None:
    by_level = employees.groupby("level")[ENPS].agg(nps)
    assert by_level["Front line"] < by_level["Management"] < by_level["Executive"]
    operations = employees[employees["department"] == "Operations & logistics"].groupby("wave")[ENPS].agg(nps)
    assert operations.idxmin() == "2025-Q3"
    assert operations["2025-Q3"] <= operations.drop("2025-Q3").mean() - 20


def test_employee_comments_talk_about_work(employees: pd.DataFrame) -> None:
    written = employees["comment"].dropna()
    topics = (
        r"lavoro|straordinar|organico|turni|workload|overtime|understaffed|shifts|charge|heures|effectif|horaires"
        r"|manag|responsabile|decision|décision|feedback|retour|stipendio|retribuzione|pay|salar|rémunération|bonus"
        r"|primes|colleg|team|équipe|clima|atmosphere|ambiance|collaborazione|cooperation|flessibil|flexible"
    )
    assert written.str.contains(topics, case=False).mean() > 0.8
    assert not written.str.contains(r"fattur|invoice|factur|consegna|delivery|livraison", case=False).any()


# --- the large file for the benchmark -------------------------------------------------


def test_write_large_csv_writes_the_rows_and_columns_asked_for(tmp_path: Path, customers: pd.DataFrame) -> None:
    path = sample.write_large_csv(tmp_path / "large.csv", 20_000, chunk=7_000)
    assert path == tmp_path / "large.csv"
    large = pd.read_csv(path)
    assert len(large) == 20_000
    # The large file has no account columns (its bytes are the benchmark's reference).
    assert list(large.columns) == [c for c in customers.columns[:-1] if c not in ("company", "contact_role",
                                                                                  "annual_revenue_eur")]
    assert large["response_id"].is_unique
    assert large[SCORE].between(0, 10).all()
    assert set(large["segment"]) == {"B2B", "B2C", "Partners & investors"}
    assert 0.25 <= large["comment"].isna().mean() <= 0.35
    assert pd.to_datetime(large["submitted_at"], format="%Y-%m-%dT%H:%M:%S").dt.to_period("M").nunique() == 24
    # Same CSV dialect as the committed sample: ISO timestamps, empty cells for missing values.
    head = path.read_text(encoding="utf-8").splitlines()[0]
    sample_head = (ROOT / "data" / "sample_customers.csv").read_text(encoding="utf-8").splitlines()[0]
    assert head == sample_head.replace(",company,contact_role,annual_revenue_eur", "")


def test_write_large_csv_is_deterministic(tmp_path: Path) -> None:
    first = sample.write_large_csv(tmp_path / "a.csv", 5_000, chunk=2_000)
    second = sample.write_large_csv(tmp_path / "b.csv", 5_000, chunk=2_000)
    assert first.read_bytes() == second.read_bytes()


def test_write_large_csv_writes_the_same_bytes_as_ever(tmp_path: Path) -> None:
    # Pinned when the generator was split into modules and its words moved to templates/*.json:
    # a change here regenerates the benchmark's files (bench/run.py fingerprints nps/sample/).
    path = sample.write_large_csv(tmp_path / "large.csv", 5_000, chunk=2_000)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == (
        "bbb02a841909d9b2d17fb4a6269c878e467ee21e8070ec5841a826164b12a3fd"
    )
