"""Themes from the codebook: tagging comments, storing tags once, and the theme table."""

from __future__ import annotations

import pandas as pd
import pytest

from nps import sql, store, themes
from nps.filters import Filter
from nps.themes import Codebook, load_codebook, tag_comment, tag_dataset, theme_summary
from tests.conftest import ROOT, TELECOM
from tests.factories import make_dataset

CODEBOOK = load_codebook()


def test_default_codebook_has_the_eleven_themes_in_five_languages() -> None:
    assert list(CODEBOOK.themes) == [
        "Delivery & shipping", "Waiting time", "Price & value", "Billing & invoices",
        "Customer service & support", "Staff friendliness & competence", "Product quality",
        "Website / app usability", "Onboarding", "Communication", "Reliability & outages",
    ]
    assert all(set(words) == {"it", "en", "fr", "es", "de"} for words in CODEBOOK.themes.values())


def test_version_is_the_content_hash() -> None:
    same = Codebook.build({"Price": {"en": ["price"]}})
    assert same.version == Codebook.build({"Price": {"en": ["price", "price"]}}).version
    assert same.version != Codebook.build({"Price": {"en": ["price", "cost"]}}).version
    assert len(same.version) == 64


def test_a_bad_codebook_is_explained(tmp_path) -> None:
    path = tmp_path / "cb.yaml"
    path.write_text("themes:\n  - name: Price\n    words: {xx: [prix]}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        load_codebook(path)


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("Il pacco è arrivato con tre giorni di ritardo", {"Delivery & shipping", "Waiting time"}),
        ("La fattura di maggio era sbagliata", {"Billing & invoices"}),
        ("Le fatture sono sempre sbagliate", {"Billing & invoices"}),
        ("Personale gentilissimo e molto preparato", {"Staff friendliness & competence"}),
        ("The invoices were wrong again", {"Billing & invoices"}),
        ("Great value for money", {"Price & value"}),
        ("The app crashes every time I try to pay", {"Website / app usability"}),
        ("Mon colis a été livré en retard", {"Delivery & shipping", "Waiting time"}),
        ("Les factures sont toujours fausses", {"Billing & invoices"}),
        ("La qualité des produits est excellente", {"Product quality"}),
        ("QUALITÀ scarsa, PRODOTTO rotto", {"Product quality"}),
        ("Die Lieferung kam zu spät, Lieferzeit viel zu lang", {"Delivery & shipping"}),
        ("Hoy me cobraron dos veces la factura", {"Billing & invoices"}),
        ("Merci, rien à signaler", set()),
        ("", set()),
    ],
)
def test_tag_comment_finds_planted_themes(comment: str, expected: set[str]) -> None:
    assert tag_comment(comment, CODEBOOK) == expected


def test_unknown_language_falls_back_to_every_language() -> None:
    assert tag_comment("colis", CODEBOOK) == {"Delivery & shipping"}


@pytest.fixture
def planted(con):
    rows = [
        (1, "Il pacco non è mai arrivato, corriere introvabile"),
        (2, "Consegna in ritardo di una settimana"),
        (0, "My parcel arrived broken and the courier was rude"),
        (3, "Livraison catastrophique, colis perdu"),
        (10, "Personale gentilissimo e competente"),
        (9, "The staff were friendly and helpful"),
        (10, "Équipe sympathique et compétente"),
        (8, "Prix juste pour la qualité"),
        (9, None),
    ]
    frame = pd.DataFrame(rows, columns=["score", "comment"])
    return make_dataset(con, frame, comment="comment")


def test_planted_themes_land_in_the_right_category(con, planted) -> None:
    table = theme_summary(con, planted, CODEBOOK).set_index("theme")
    delivery = table.loc["Delivery & shipping"]
    assert delivery["mentions"] == 4
    assert delivery["share"] == pytest.approx(4 / 8)
    assert delivery["detractors"] == pytest.approx(1.0)
    assert delivery["promoters"] == pytest.approx(0.0)
    assert delivery["nps_with"] == pytest.approx(-100.0)
    assert delivery["nps_without"] == pytest.approx(75.0)
    assert delivery["impact"] == pytest.approx(-175.0)
    assert delivery["impact_ci_low"] < -100 < delivery["impact_ci_high"] < 0
    staff = table.loc["Staff friendliness & competence"]
    assert staff["promoters"] == pytest.approx(1.0)
    assert staff["mentions"] == 4  # three promoters, and the detractor's rude courier
    assert list(table.columns) == list(themes.SUMMARY_COLUMNS[1:])
    assert table.loc["Onboarding", "mentions"] == 0


def test_tagging_twice_does_not_retag(con, planted) -> None:
    version = tag_dataset(con, planted, CODEBOOK)
    table = sql.table(themes.tags_table(planted))
    sql.execute(con, f"UPDATE {table} SET theme = 'marker' WHERE theme IS NOT NULL")
    assert tag_dataset(con, planted, CODEBOOK) == version
    assert sql.fetch_value(con, f"SELECT count(*) FROM {table} WHERE theme = 'marker'") > 0
    assert sql.fetch_value(con, "SELECT count(*) FROM comment_tagging") == 1
    other = Codebook.build({"Staff": {"it": ["personale"]}})
    tag_dataset(con, planted, other)
    assert sql.fetch_value(con, "SELECT count(*) FROM comment_tagging") == 2
    assert sql.fetch_value(con, f"SELECT count(*) FROM {table} WHERE theme = 'marker'") > 0


def test_filters_apply_to_the_summary(con, planted) -> None:
    table = theme_summary(con, planted, CODEBOOK, Filter.build(categories=["promoter"])).set_index("theme")
    assert table.loc["Delivery & shipping", "mentions"] == 0
    assert table.loc["Staff friendliness & competence", "share"] == pytest.approx(1.0)


def test_weighted_summaries_are_refused(con, planted) -> None:
    from nps.queries import Options

    with pytest.raises(ValueError, match="weighting"):
        theme_summary(con, planted, CODEBOOK, opts=Options(weighted=True))


@pytest.fixture(scope="module")
def sample():
    con = store.connect(":memory:")
    frame = pd.read_csv(ROOT / "data" / "sample_customers.csv")
    frame = frame.rename(columns={frame.columns[11]: "score"})
    ds = make_dataset(con, frame, comment="comment", dimensions=["business_function"])
    yield con, ds
    con.close()


def _sample_themes(sample, function: str) -> pd.DataFrame:
    con, ds = sample
    flt = Filter.build(include={"business_function": [function]})
    return theme_summary(con, ds, CODEBOOK, flt).set_index("theme")


def test_sample_delivery_comments_are_about_delivery(sample) -> None:
    # Promoters praise fast shipping ("ordinato ieri, ricevuto oggi") as often as
    # detractors complain: the theme marks the function, not the score.
    delivery = _sample_themes(sample, "Delivery & logistics")
    assert delivery.index[0] == "Delivery & shipping"
    assert delivery.loc["Delivery & shipping", "share"] > 0.5
    for other in ("Billing", "Customer service"):
        assert _sample_themes(sample, other).loc["Delivery & shipping", "share"] < 0.02


def test_sample_delivery_detractors_complain_of_delays(sample) -> None:
    waiting = _sample_themes(sample, "Delivery & logistics").loc["Waiting time"]
    assert waiting["detractors"] > 0.5
    assert waiting["promoters"] < 0.05
    assert waiting["impact"] < -50
    assert waiting["impact_ci_high"] < 0


def test_sample_billing_detractors_mention_invoices_and_prices(sample) -> None:
    billing = _sample_themes(sample, "Billing")
    assert billing.index[0] == "Billing & invoices"
    assert billing.loc["Price & value", "detractors"] > 2 * billing.loc["Price & value", "promoters"]


def test_sample_languages_are_detected(sample) -> None:
    con, ds = sample
    tag_dataset(con, ds, CODEBOOK)
    counts = dict(sql.fetch_all(
        con,
        f"SELECT language, count(DISTINCT _row) FROM {sql.table(themes.tags_table(ds))} GROUP BY language",
    ))
    total = sum(counts.values())
    assert (counts["it"] + counts["en"] + counts["fr"]) / total > 0.85


@pytest.fixture(scope="module")
def telecom():
    con = store.connect(":memory:")
    frame = pd.read_csv(TELECOM)
    ds = make_dataset(con, frame, score="NPS_SCORE", comment="text", dimensions=["SURVEY_SUB_TYPE"])
    yield con, ds
    con.close()


def _top(telecom, stage: str, n: int) -> list[str]:
    con, ds = telecom
    flt = Filter.build(include={"SURVEY_SUB_TYPE": [stage]}, categories=["detractor"])
    return list(theme_summary(con, ds, CODEBOOK, flt)["theme"].head(n))


def test_telecom_order_detractors_talk_of_waiting_and_communication(telecom) -> None:
    # Read in the file: "still waiting", "11 weeks", "lack of communication", "no response".
    top = _top(telecom, "Order", 4)
    assert top[0] == "Waiting time"
    assert "Communication" in top


def test_telecom_equipment_detractors_talk_of_waiting_and_installation(telecom) -> None:
    # Read in the file: "still waiting for installation", "no engineer", "waiting to be
    # connected" — about the service being set up more than the kit being delivered.
    assert _top(telecom, "Equipment Received", 2) == ["Waiting time", "Onboarding"]


def _share(telecom, stage: str, theme: str) -> float:
    con, ds = telecom
    flt = Filter.build(include={"SURVEY_SUB_TYPE": [stage]}, categories=["detractor"])
    return float(theme_summary(con, ds, CODEBOOK, flt).set_index("theme").loc[theme, "share"])


def test_telecom_first_payment_detractors_mention_billing_more_than_order_ones(telecom) -> None:
    # "My first bill is £96", "I shouldn't be paying a bill as I still haven't had broadband".
    assert "Billing & invoices" in _top(telecom, "First Payment", 5)
    assert _share(telecom, "First Payment", "Billing & invoices") > 1.5 * _share(telecom, "Order", "Billing & invoices")


def test_log_odds_on_a_hand_computed_two_document_case() -> None:
    # Detractor: "late late parcel"; promoter: "fast parcel"; prior = both together
    # (late 2, parcel 2, fast 1; α0 = 5; n_a = 3, n_b = 2).
    # late:   δ = log(4/4) − log(2/5) = 0.916291, var = 1/4 + 1/2     → z = 1.058041
    # parcel: δ = log(3/5) − log(3/4) = −0.223144, var = 1/3 + 1/3    → z = −0.273293
    # fast:   δ = log(1/7) − log(2/5) = −1.029619, var = 1/1 + 1/2    → z = −0.840681
    scored = themes.score_log_odds({"late": 2, "parcel": 1}, {"fast": 1, "parcel": 1}, {"late": 2, "parcel": 2, "fast": 1})
    assert list(scored["term"]) == ["late", "parcel", "fast"]
    assert list(scored["delta"]) == pytest.approx([0.916291, -0.223144, -1.029619], abs=1e-6)
    assert list(scored["z"]) == pytest.approx([1.058041, -0.273293, -0.840681], abs=1e-6)


def test_distinctive_terms_on_a_dataset_match_the_hand_computed_case(con) -> None:
    frame = pd.DataFrame({"score": [2, 10], "comment": ["late late parcel", "fast parcel"]})
    ds = make_dataset(con, frame, comment="comment")
    result = themes.distinctive_terms(con, ds, ngrams=(1, 1), min_count=1)
    assert result.to_dict("records") == [
        {"side": "detractors", "term": "late", "score": pytest.approx(1.058041, abs=1e-6), "detractors": 2, "promoters": 0},
        {"side": "promoters", "term": "fast", "score": pytest.approx(0.840681, abs=1e-6), "detractors": 0, "promoters": 1},
        {"side": "promoters", "term": "parcel", "score": pytest.approx(0.273293, abs=1e-6), "detractors": 1, "promoters": 1},
    ]


def test_count_terms_counts_words_without_stopwords_and_bigrams() -> None:
    assert themes.count_terms(["The parcel arrived late, the parcel!"]) == {
        "parcel": 2, "arrived": 1, "late": 1, "parcel arrived": 1, "arrived late": 1, "late parcel": 1,
    }


def test_sample_distinctive_terms_of_delivery_detractors_are_about_delays(sample) -> None:
    con, ds = sample
    flt = Filter.build(include={"business_function": ["Delivery & logistics"]})
    result = themes.distinctive_terms(con, ds, flt, top=15)
    detractor_terms = set(result.loc[result["side"] == "detractors", "term"])
    assert detractor_terms & {"ritardo", "late", "retard"}
    assert (result["score"] > 0).all()
