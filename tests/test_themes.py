"""Themes from the codebook: tagging comments, storing tags once, and the theme table."""

from __future__ import annotations

import dataclasses
import re
import functools

import pandas as pd
import pytest
import simplemma

from nps import stats, store, text
from nps.query import themes
from nps.store import sql, tagging
from nps.query.filters import Filter
from nps.query.options import Options
from nps.query.themes import theme_summary
from nps.store.tagging import tag_dataset
from nps.text import Codebook, load_codebook, tag_comment
from nps.text import words as text_words
from tests.conftest import ROOT, TELECOM
from tests.factories import make_dataset

# These tests are about what the reads compute; tagging, the explicit step before them, is the
# tag_on_read fixture's (tests/conftest.py) and test_reads_never_tag's.
pytestmark = pytest.mark.usefixtures("tag_on_read")

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
    # the interval is around the plain impact shown (−175), with the adjusted SEs
    assert delivery["impact_ci_low"] < -175 < delivery["impact_ci_high"] < 0
    staff = table.loc["Staff friendliness & competence"]
    assert staff["promoters"] == pytest.approx(1.0)
    assert staff["mentions"] == 4  # three promoters, and the detractor's rude courier
    assert list(table.columns) == list(themes.SUMMARY_COLUMNS[1:])
    assert table.loc["Onboarding", "mentions"] == 0


def test_tagging_twice_does_not_retag(con, planted) -> None:
    version = tag_dataset(con, planted, CODEBOOK)
    table = sql.table(tagging.tags_table(planted))
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
    from nps.query.options import Options

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
        f"SELECT language, count(DISTINCT _row) FROM {sql.table(tagging.tags_table(ds))} GROUP BY language",
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
    scored = stats.score_log_odds({"late": 2, "parcel": 1}, {"fast": 1, "parcel": 1}, {"late": 2, "parcel": 2, "fast": 1})
    assert list(scored["term"]) == ["late", "parcel", "fast"]
    assert list(scored["delta"]) == pytest.approx([0.916291, -0.223144, -1.029619], abs=1e-6)
    assert list(scored["z"]) == pytest.approx([1.058041, -0.273293, -0.840681], abs=1e-6)


def test_distinctive_terms_on_a_dataset_match_the_hand_computed_case(con) -> None:
    frame = pd.DataFrame({"score": [2, 10], "comment": ["late late parcel", "fast parcel"]})
    ds = make_dataset(con, frame, comment="comment")
    result = themes.distinctive_terms(con, ds, ngrams=(1, 1), min_count=1, prior_weight=1.0)
    assert result.to_dict("records") == [
        {"side": "detractors", "term": "late", "score": pytest.approx(1.058041, abs=1e-6), "detractors": 2, "promoters": 0},
        {"side": "promoters", "term": "fast", "score": pytest.approx(0.840681, abs=1e-6), "detractors": 0, "promoters": 1},
        {"side": "promoters", "term": "parcel", "score": pytest.approx(0.273293, abs=1e-6), "detractors": 1, "promoters": 1},
    ]


def test_the_default_prior_weighs_a_tenth_of_the_data(con) -> None:
    # Prior late 0.2, parcel 0.2, fast 0.1 (α0 = 0.5); n_a = 3, n_b = 2.
    # late:   δ = log(2.2/1.3) − log(0.2/2.3) = 2.968440, var = 1/2.2 + 1/0.2 → z = 1.271010
    # parcel: δ = log(1.2/2.3) − log(1.2/1.3) = −0.570545, var = 2/1.2     → z = −0.441942
    # fast:   δ = log(0.1/3.4) − log(1.1/1.4) = −3.285198, var = 1/0.1 + 1/1.1 → z = −0.994643
    frame = pd.DataFrame({"score": [2, 10], "comment": ["late late parcel", "fast parcel"]})
    ds = make_dataset(con, frame, comment="comment")
    result = themes.distinctive_terms(con, ds, ngrams=(1, 1), min_count=1)
    assert [(r["term"], r["score"]) for r in result.to_dict("records")] == [
        ("late", pytest.approx(1.271010, abs=1e-6)),
        ("fast", pytest.approx(0.994643, abs=1e-6)),
        ("parcel", pytest.approx(0.441942, abs=1e-6)),
    ]
    with pytest.raises(ValueError, match="prior_weight"):
        themes.distinctive_terms(con, ds, prior_weight=0)


def test_telecom_detractors_words_are_about_delays(telecom) -> None:
    con, ds = telecom
    result = themes.distinctive_terms(con, ds, top=10)
    detractor_terms = set(result.loc[result["side"] == "detractors", "term"])
    promoter_terms = set(result.loc[result["side"] == "promoters", "term"])
    assert {"weeks", "months", "cancelled"} <= detractor_terms
    assert {"easy", "helpful", "excellent", "friendly"} <= promoter_terms
    assert result.loc[result["side"] == "detractors", "score"].iloc[0] > 3


def test_count_terms_counts_words_without_stopwords_and_bigrams() -> None:
    assert text.count_terms(["The parcel arrived late, the parcel!"]) == {
        "parcel": 2, "arrived": 1, "late": 1, "parcel arrived": 1, "arrived late": 1, "late parcel": 1,
    }


def test_sample_distinctive_terms_of_delivery_detractors_are_about_delays(sample) -> None:
    con, ds = sample
    flt = Filter.build(include={"business_function": ["Delivery & logistics"]})
    result = themes.distinctive_terms(con, ds, flt, top=15)
    detractor_terms = set(result.loc[result["side"] == "detractors", "term"])
    assert detractor_terms & {"ritardo", "late", "retard"}
    assert (result["score"] > 0).all()


# --- tagging many comments: the same answers as one by one, faster --------------------------------


def _reference_words(comment: str | None) -> list[str]:
    """split_words as first written: simplemma's tokenizer on the whole text, no caches."""
    words = []
    for token in simplemma.simple_tokenizer(comment or ""):
        token = text_words._ELISION.sub("", token).strip("'’-").lower()
        if any(ch.isalpha() for ch in token):
            words.append(token)
    return words


@functools.lru_cache(maxsize=None)
def _reference_pattern(written: str, lang: str) -> tuple[tuple[str, ...], bool] | None:
    prefix = written.endswith("*")
    words = _reference_words(written.rstrip("*"))
    if not words:
        return None
    lemmas = text.lemmatize(words[:-1], lang) + (words[-1:] if prefix else text.lemmatize(words[-1:], lang))
    return tuple(text.fold(w) for w in lemmas), prefix


@functools.lru_cache(maxsize=None)
def _reference_spec(term: str) -> text.TermSpec:
    return text.parse_term(term)


def _reference_end(forms: list[list[str]], i: int, pattern) -> int:
    """Where ``pattern`` ends when it starts at word i (all words as written or all as lemmas), else -1."""
    parts, prefix = pattern
    if i + len(parts) > len(forms[0]):
        return -1
    for seen in forms:
        if all(seen[i + j] == p or (prefix and j == len(parts) - 1 and seen[i + j].startswith(p))
               for j, p in enumerate(parts)):
            return i + len(parts)
    return -1


def _reference_themes_in(words: list[str], negated: list[bool], sentence: list[int], codebook: Codebook, lang: str):
    """(themes, kept out) of one language's terms, trying every term at every word: no index, no cache."""
    forms = [[text.fold(w) for w in words], [text.fold(w) for w in text.lemmatize(words, lang)]]
    present = set(forms[0]) | set(forms[1])  # a term whose first word is not here cannot match
    found, kept_out = set(), False
    for theme, by_lang in codebook.themes.items():
        specs = [_reference_spec(t) for t in by_lang.get(lang, ())]
        excluded = [p for s in specs if s.exclusion for p in [_reference_pattern(s.pattern, lang)]]

        def excluded_at(i: int, end: int) -> bool:
            spans = [(k, e) for k in range(len(words)) for p in excluded if (e := _reference_end(forms, k, p)) >= 0]
            return any(b < end and i < e for b, e in spans)
        for spec in specs:
            pattern = _reference_pattern(spec.pattern, lang)
            if spec.exclusion or pattern is None or (not pattern[1] and pattern[0][0] not in present):
                continue
            for i in range(len(words)):
                end = _reference_end(forms, i, pattern)
                if end < 0:
                    continue

                def near(written: tuple[str, ...]) -> bool:
                    return any(
                        _reference_end(forms, k, _reference_pattern(w, lang)) >= 0
                        for k in range(max(0, i - text.CONTEXT_WINDOW), min(len(words), end + text.CONTEXT_WINDOW))
                        if not i <= k < end and sentence[k] == sentence[i] for w in written
                    )

                ok = (
                    (not spec.polarity or negated[i] == (spec.polarity < 0))
                    and (not spec.near or near(spec.near))
                    and not (spec.not_near and near(spec.not_near))
                    and not excluded_at(i, end)
                )
                if ok:
                    found.add(theme)
                else:
                    kept_out = True
    return found, kept_out


def _reference_tag(comment: str, codebook: Codebook) -> tuple[str, tuple[str, ...]]:
    """(language, themes in codebook order) by the algorithm written plainly: one comment at a time, no cache."""
    lang = text.detect_language(comment)
    words = _reference_words(comment)
    if not words:
        return lang, ()
    languages = list(dict.fromkeys(l for words_ in codebook.themes.values() for l in words_))
    negated, sentence = text.negation_flags(comment, lang), text.sentence_numbers(comment, lang)
    if lang in languages:
        found, kept_out = _reference_themes_in(words, negated, sentence, codebook, lang)
        if found or kept_out:
            return lang, tuple(t for t in codebook.themes if t in found)
    found = set()
    for other in languages:
        found |= _reference_themes_in(words, negated, sentence, codebook, other)[0]
    return lang, tuple(t for t in codebook.themes if t in found)


def _real_comments(limit: int | None = None) -> list[str]:
    frames = [
        pd.read_csv(ROOT / "data" / "sample_customers.csv")["comment"],
        pd.read_csv(ROOT / "data" / "sample_employees.csv")["comment"],
        pd.read_csv(TELECOM)["text"],
    ]
    comments = [c for frame in frames for c in frame if isinstance(c, str)]
    return list(dict.fromkeys(comments))[:limit]


def test_many_comments_are_tagged_as_one_by_one() -> None:
    comments = _real_comments(3000)
    languages, found = text.tag_comments(comments, CODEBOOK, workers=1)
    assert list(zip(languages, found)) == [_reference_tag(c, CODEBOOK) for c in comments]


def test_a_pool_of_workers_gives_the_same_answers_as_one_process() -> None:
    comments = _real_comments()
    assert len(comments) > text.tagging._CHUNK  # several chunks, so the pool really shares them
    assert text.tag_comments(comments, CODEBOOK, workers=2) == text.tag_comments(comments, CODEBOOK, workers=1)


def test_known_languages_are_used_as_given() -> None:
    languages, found = text.tag_comments(["colis perdu", "colis perdu"], CODEBOOK, languages=["fr", "unknown"])
    assert languages == ["fr", "unknown"]
    assert found == [("Delivery & shipping",), ("Delivery & shipping",)]


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_a_bad_number_of_workers_is_refused(workers) -> None:
    with pytest.raises(ValueError, match="workers"):
        text.tag_comments(["ciao"], CODEBOOK, workers=workers)


def test_the_pool_is_used_only_for_many_comments() -> None:
    assert text.pool_size(text.POOL_MIN_COMMENTS - 1, None) == 1
    assert text.pool_size(5, 3) == 3


def test_stored_tags_match_the_one_by_one_algorithm(sample) -> None:
    con, ds = sample
    tag_dataset(con, ds, CODEBOOK)
    rows = sql.fetch_all(
        con,
        f"SELECT s._row, s._comment, t.language, list(t.theme ORDER BY t.theme) FILTER (WHERE t.theme IS NOT NULL) "
        f"FROM {sql.table(ds.table)} s JOIN {sql.table(tagging.tags_table(ds))} t ON t._row = s._row "
        "AND t._wave = s._wave WHERE t.version = ? GROUP BY ALL ORDER BY s._row",
        [CODEBOOK.version],
    )
    commented = sql.fetch_value(con, f"SELECT count(*) FROM {sql.table(ds.table)} WHERE trim(_comment) <> ''")
    assert len(rows) == commented == 16274
    order = list(CODEBOOK.themes)
    assert [(lang, tuple(sorted(found or (), key=order.index))) for _, _, lang, found in rows[:1500]] == [
        _reference_tag(comment, CODEBOOK) for _, comment, _, _ in rows[:1500]
    ]


def test_progress_is_reported_in_comments(con, planted) -> None:
    calls: list[tuple[int, int]] = []
    tag_dataset(con, planted, CODEBOOK, on_progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 8), (8, 8)]


def test_a_comment_without_themes_keeps_its_language(con) -> None:
    ds = make_dataset(con, pd.DataFrame({"score": [6], "comment": ["Merci, rien à signaler"]}), comment="comment")
    tag_dataset(con, ds, CODEBOOK)
    assert sql.fetch_all(con, f"SELECT _row, language, theme FROM {sql.table(tagging.tags_table(ds))}") == [
        (1, "fr", None)
    ]


def test_an_appended_wave_is_tagged_too(con, planted) -> None:
    tag_dataset(con, planted, CODEBOOK)
    sql.execute(con, f"INSERT INTO {sql.table(planted.table)} (_row, _wave, _score, _category, _comment) "
                "VALUES (1, 2, 2, 'detractor', 'Colis perdu, livraison catastrophique')")
    grown = dataclasses.replace(planted, waves=2)
    assert not tagging.is_tagged(con, grown, CODEBOOK)
    tag_dataset(con, grown, CODEBOOK)
    assert tagging.is_tagged(con, grown, CODEBOOK)
    table = theme_summary(con, grown, CODEBOOK).set_index("theme")
    assert table.loc["Delivery & shipping", "mentions"] == 5
    assert sql.fetch_value(con, "SELECT comments FROM comment_tagging WHERE dataset_id = ?", [planted.id]) == 9


# --- theme analytics on a small hand-built dataset ------------------------------------------------
#
# row score date        team   comment                                          themes (language)
#  1    2   2025-01-10  North  Consegna in ritardo di una settimana             Delivery, Waiting (it)
#  2    1   2025-01-20  North  The parcel arrived late again                    Delivery, Waiting (en)
#  3   10   2025-01-25  South  The staff were friendly and helpful              Staff (en)
#  4    9   2025-01-28  South  (none)
#  5    3   2025-03-03  South  The invoice was wrong and the staff were rude    Billing, Staff (en)
#  6    8   2025-03-15  North  Great value for money                            Price (en)
#  7    6   2025-03-20  North  Merci, rien à signaler                           none (fr)
#  8   10   2025-03-22  North  Livraison rapide, colis parfait                  Delivery (fr)
#  9    0   (no date)   South  Il pacco non è mai arrivato, corriere introvabile Delivery (it)
# 10    7   2025-03-25  South  ok                                               none (unknown)

DELIVERY, WAITING, PRICE, BILLING = "Delivery & shipping", "Waiting time", "Price & value", "Billing & invoices"
STAFF = "Staff friendliness & competence"


@pytest.fixture
def dated(con):
    rows = [
        (2, "2025-01-10", "North", "Consegna in ritardo di una settimana"),
        (1, "2025-01-20", "North", "The parcel arrived late again"),
        (10, "2025-01-25", "South", "The staff were friendly and helpful"),
        (9, "2025-01-28", "South", None),
        (3, "2025-03-03", "South", "The invoice was wrong and the staff were rude"),
        (8, "2025-03-15", "North", "Great value for money"),
        (6, "2025-03-20", "North", "Merci, rien à signaler"),
        (10, "2025-03-22", "North", "Livraison rapide, colis parfait"),
        (0, None, "South", "Il pacco non è mai arrivato, corriere introvabile"),
        (7, "2025-03-25", "South", "ok"),
    ]
    frame = pd.DataFrame(rows, columns=["score", "date", "team", "comment"])
    return make_dataset(con, frame, date="date", comment="comment", dimensions=["team"])


def test_theme_trend_per_month(con, dated) -> None:
    trend = themes.theme_trend(con, dated, CODEBOOK, None, "month", Options(min_n=3))
    assert list(trend.columns) == list(themes.TREND_COLUMNS)
    assert len(trend) == 3 * 11  # January to March, February without comments, every theme
    assert list(trend["theme"].iloc[:11]) == list(CODEBOOK.themes)
    jan = trend[trend["period"] == pd.Timestamp("2025-01-01")].set_index("theme")
    assert jan.loc[DELIVERY].to_dict() == {
        "period": pd.Timestamp("2025-01-01"), "comments": 3, "mentions": 2, "share": pytest.approx(2 / 3),
        "nps_with": pytest.approx(-100.0), "n_with": 2, "low_n": False,
    }
    assert jan.loc[STAFF, "nps_with"] == pytest.approx(100.0)
    assert jan.loc[PRICE, "mentions"] == 0 and jan.loc[PRICE, "share"] == 0.0
    assert pd.isna(jan.loc[PRICE, "nps_with"])
    feb = trend[trend["period"] == pd.Timestamp("2025-02-01")]
    assert (feb["comments"] == 0).all() and feb["share"].isna().all() and feb["low_n"].all()
    mar = trend[trend["period"] == pd.Timestamp("2025-03-01")].set_index("theme")
    assert mar["comments"].iloc[0] == 5  # the undated comment is left out
    assert mar.loc[[DELIVERY, PRICE, BILLING, STAFF, WAITING], "mentions"].tolist() == [1, 1, 1, 1, 0]
    assert mar.loc[[DELIVERY, PRICE, BILLING], "nps_with"].tolist() == pytest.approx([100.0, 0.0, -100.0])
    assert trend.attrs["codebook_version"] == CODEBOOK.version


def test_theme_trend_follows_the_filter_and_refuses_unknown_grains(con, dated) -> None:
    north = themes.theme_trend(con, dated, CODEBOOK, Filter.build(include={"team": ["North"]}), "quarter")
    assert north.set_index("theme").loc[DELIVERY, ["comments", "mentions"]].tolist() == [5, 3]
    with pytest.raises(ValueError, match="unknown time grain 'fortnight'"):
        themes.theme_trend(con, dated, CODEBOOK, None, "fortnight")
    with pytest.raises(ValueError, match="weighting"):
        themes.theme_trend(con, dated, CODEBOOK, None, "month", Options(dedupe=True))


def test_theme_cooccurrence(con, dated) -> None:
    pairs = themes.theme_cooccurrence(con, dated, CODEBOOK)
    assert pairs.to_dict("records") == [
        {"theme_a": DELIVERY, "theme_b": WAITING, "both": 2, "a_mentions": 4, "b_mentions": 2,
         "lift": pytest.approx(2 * 9 / (4 * 2))},
        {"theme_a": BILLING, "theme_b": STAFF, "both": 1, "a_mentions": 1, "b_mentions": 2,
         "lift": pytest.approx(1 * 9 / (1 * 2))},
    ]
    promoters = themes.theme_cooccurrence(con, dated, CODEBOOK, Filter.build(categories=["promoter"]))
    assert promoters.empty and list(promoters.columns) == list(themes.COOCCURRENCE_COLUMNS)


def test_top_themes_by_team_among_detractors(con, dated) -> None:
    tops = themes.top_themes_by(con, dated, CODEBOOK, None, "team", top=2)
    assert tops.to_dict("records") == [
        {"value": "North", "theme": DELIVERY, "mentions": 2, "share": pytest.approx(2 / 3)},
        {"value": "North", "theme": WAITING, "mentions": 2, "share": pytest.approx(2 / 3)},
        {"value": "South", "theme": DELIVERY, "mentions": 1, "share": pytest.approx(1 / 2)},
        {"value": "South", "theme": BILLING, "mentions": 1, "share": pytest.approx(1 / 2)},
    ]


def test_top_themes_by_team_in_every_category(con, dated) -> None:
    tops = themes.top_themes_by(con, dated, CODEBOOK, None, "team", category=None)
    assert list(zip(tops["value"], tops["theme"], tops["mentions"])) == [
        ("North", DELIVERY, 3), ("North", WAITING, 2), ("North", PRICE, 1),
        ("South", STAFF, 2), ("South", DELIVERY, 1), ("South", BILLING, 1),
    ]
    assert tops["share"].tolist() == pytest.approx([3 / 5, 2 / 5, 1 / 5, 2 / 4, 1 / 4, 1 / 4])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"column": "nope"}, Exception, "no column 'nope'"),
        ({"column": "team", "category": "critic"}, ValueError, "unknown category 'critic'"),
        ({"column": "team", "top": 0}, ValueError, "top is a number"),
    ],
)
def test_top_themes_by_explains_bad_arguments(con, dated, kwargs, error, message) -> None:
    column = kwargs.pop("column")
    with pytest.raises(error, match=message):
        themes.top_themes_by(con, dated, CODEBOOK, None, column, **kwargs)


def test_language_counts(con, dated) -> None:
    counts = themes.language_counts(con, dated, CODEBOOK)
    assert counts.to_dict("records") == [
        {"language": "en", "n": 4}, {"language": "fr", "n": 2}, {"language": "it", "n": 2},
        {"language": "unknown", "n": 1},
    ]
    north = themes.language_counts(con, dated, CODEBOOK, Filter.build(include={"team": ["North"]}))
    assert dict(zip(north["language"], north["n"])) == {"fr": 2, "en": 2, "it": 1}


def test_uncovered_comments(con, dated) -> None:
    found = themes.uncovered_comments(con, dated, CODEBOOK)
    assert found.to_dict("records") == [
        {"_row": 7, "_wave": 1, "comment": "Merci, rien à signaler", "category": "detractor", "language": "fr"},
        {"_row": 10, "_wave": 1, "comment": "ok", "category": "passive", "language": "unknown"},
    ]
    assert len(themes.uncovered_comments(con, dated, CODEBOOK, limit=1)) == 1
    assert themes.uncovered_comments(con, dated, CODEBOOK, Filter.build(categories=["promoter"])).empty
    with pytest.raises(ValueError, match="limit"):
        themes.uncovered_comments(con, dated, CODEBOOK, limit=0)


def _edited() -> Codebook:
    without_waiting = text.remove_theme(CODEBOOK, WAITING)
    return text.add_theme(without_waiting, "Gratitude", {"fr": ["merci"], "en": ["thanks"]})


def test_preview_counts_mentions_before_and_after_an_edit(con, dated) -> None:
    preview = themes.preview_codebook(con, dated, CODEBOOK, _edited())
    rows = {r["theme"]: (r["before"], r["after"], r["change"]) for r in preview.to_dict("records")}
    assert list(preview["theme"]) == [t for t in CODEBOOK.themes if t != WAITING] + ["Gratitude", WAITING]
    assert {t: v for t, v in rows.items() if v != (0, 0, 0)} == {
        DELIVERY: (4, 4, 0), PRICE: (1, 1, 0), BILLING: (1, 1, 0), STAFF: (2, 2, 0),
        "Gratitude": (0, 1, 1), WAITING: (2, 0, -2),
    }
    assert preview.attrs["sampled"] is False and preview.attrs["comments"] == preview.attrs["total"] == 9
    assert preview.attrs["codebook_version"] == CODEBOOK.version
    assert preview.attrs["new_version"] == _edited().version
    # Nothing of the edited codebook is stored.
    assert not tagging.is_tagged(con, dated, _edited())


def test_preview_follows_the_filter(con, dated) -> None:
    preview = themes.preview_codebook(con, dated, CODEBOOK, _edited(), Filter.build(categories=["detractor"]))
    rows = {r["theme"]: (r["before"], r["after"]) for r in preview.to_dict("records") if r["before"] or r["after"]}
    assert rows == {DELIVERY: (3, 3), BILLING: (1, 1), STAFF: (1, 1), "Gratitude": (0, 1), WAITING: (2, 0)}


def test_preview_samples_large_datasets_the_same_way_each_time(con, dated) -> None:
    first = themes.preview_codebook(con, dated, CODEBOOK, _edited(), max_comments=4)
    again = themes.preview_codebook(con, dated, CODEBOOK, _edited(), max_comments=4)
    assert first.attrs["sampled"] is True and first.attrs["comments"] == 4 and first.attrs["total"] == 9
    pd.testing.assert_frame_equal(first, again)
    unchanged = first[~first["theme"].isin([WAITING, "Gratitude"])]
    assert (unchanged["before"] == unchanged["after"]).all()
    with pytest.raises(ValueError, match="max_comments"):
        themes.preview_codebook(con, dated, CODEBOOK, _edited(), max_comments=0)


def test_preview_of_the_sample(sample) -> None:
    # (Its speed is the benchmark's business: tests never assert a wall-clock time.)
    con, ds = sample
    tag_dataset(con, ds, CODEBOOK)
    preview = themes.preview_codebook(con, ds, CODEBOOK, _edited())
    assert preview.set_index("theme").loc[WAITING, "after"] == 0


def test_distinctive_terms_in_one_language(con) -> None:
    frame = pd.DataFrame({
        "score": [2, 10, 2, 10],
        "comment": ["the parcel arrived late, late again", "fast parcel, great service today",
                    "le colis est arrivé en retard", "livraison rapide et parfaite"],
    })
    ds = make_dataset(con, frame, comment="comment")
    english = themes.distinctive_terms(con, ds, ngrams=(1, 1), min_count=1, language="en")
    assert set(english["term"]) <= {"parcel", "arrived", "late", "fast", "great", "service", "today"}
    assert english.iloc[0][["side", "term", "detractors"]].tolist() == ["detractors", "late", 2]
    assert themes.distinctive_terms(con, ds, language="de").empty


def test_deleting_a_dataset_forgets_its_tags(con, planted) -> None:
    tag_dataset(con, planted, CODEBOOK)
    store.delete_dataset(con, planted.id)
    assert sql.fetch_value(con, "SELECT count(*) FROM comment_tagging") == 0
    assert sql.fetch_value(
        con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [tagging.tags_table(planted)]
    ) == 0
    again = make_dataset(con, pd.DataFrame({"score": [10], "comment": ["Personale gentilissimo"]}), comment="comment")
    assert not tagging.is_tagged(con, again, CODEBOOK)


# Blank comments in every form a file can hold them: none of them is a comment.
BLANK_COMMENTS = [None, "", "   ", "\t\n", "\u00a0", " \u200b\ufeff ", "\r\n  \u202f"]


@pytest.fixture
def with_blanks(con):
    real = [
        (0, "Il pacco non è mai arrivato, corriere introvabile e nessuno risponde"),
        (10, "The staff were friendly and helpful, a great experience"),
        (9, "The staff were friendly and helpful, a great experience"),
        (2, "Delivery was late again and the parcel arrived broken"),
    ]
    blanks = [(score, comment) for score, comment in zip([10, 9, 0, 1, 10, 3, 9], BLANK_COMMENTS)]
    frame = pd.DataFrame(real + blanks, columns=["score", "comment"])
    return make_dataset(con, frame, comment="comment")


def test_null_and_blank_comments_are_not_comments(con, with_blanks) -> None:
    from nps.query import explorer

    tag_dataset(con, with_blanks, CODEBOOK)
    tagged = sql.fetch_value(con, f"SELECT count(DISTINCT _row) FROM {sql.table(tagging.tags_table(with_blanks))}")
    assert tagged == 4
    languages = themes.language_counts(con, with_blanks, CODEBOOK)
    assert dict(zip(languages["language"], languages["n"])) == {"en": 3, "it": 1}
    table = theme_summary(con, with_blanks, CODEBOOK).set_index("theme")
    assert table.loc["Delivery & shipping", "mentions"] == 2
    assert table.loc["Delivery & shipping", "share"] == pytest.approx(2 / 4)
    assert table.loc["Staff friendliness & competence", "promoters"] == pytest.approx(1.0)
    assert table.loc["Delivery & shipping", "nps_without"] == pytest.approx(100.0)
    assert len(themes.uncovered_comments(con, with_blanks, CODEBOOK)) == 0
    assert explorer.search_comments(con, with_blanks, CODEBOOK).total == 4
    words = themes.distinctive_terms(con, with_blanks, min_count=1)
    assert "" not in set(words["term"])
    assert int(words["detractors"].sum() + words["promoters"].sum()) > 0


@pytest.mark.parametrize("blank", BLANK_COMMENTS)
def test_the_commented_condition(con, blank) -> None:
    query = f"SELECT {tagging.has_comment_sql('c')} FROM (SELECT ?::VARCHAR AS c)"
    assert sql.fetch_value(con, query, [blank]) is False
    assert sql.fetch_value(con, query, [" ok "]) is True


# --- terms with conditions, and negation ----------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("plante", text.TermSpec("plante")),
        ("on hold", text.TermSpec("on hold")),
        ("liefer*", text.TermSpec("liefer*")),
        ("plante ~ app|appli*|mise à jour", text.TermSpec("plante", near=("app", "appli*", "mise à jour"))),
        ("en ligne !~ rester|attente", text.TermSpec("en ligne", not_near=("rester", "attente"))),
        ("x ~ a !~ b", text.TermSpec("x", near=("a",), not_near=("b",))),
        ("-page d'accueil", text.TermSpec("page d'accueil", exclusion=True)),
        ("+happy", text.TermSpec("happy", polarity=1)),
        ("not_happy", text.TermSpec("happy", polarity=-1)),
        ("Not_happy ~ staff", text.TermSpec("happy", polarity=-1, near=("staff",))),
        ("-", text.TermSpec("-")),  # a mark without a word is just what it is (it finds nothing)
    ],
)
def test_parse_term(term: str, expected: text.TermSpec) -> None:
    assert text.parse_term(term) == expected


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ("~ app", "no word before its '~'"),
        ("plante ~", "give the words after '~'"),
        ("plante ~ app||site", "give the words after '~'"),
        ("-page ~ site", "an exclusion"),
        ("-+happy", "an exclusion"),
    ],
)
def test_bad_terms_are_explained(term: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        text.parse_term(term)
    with pytest.raises(ValueError, match=f"theme 'T', fr: .*{re.escape(message)}"):
        Codebook.build({"T": {"fr": [term]}})


CONDITIONAL = Codebook.build({
    "App": {"fr": ["plante ~ app|appli*|site|mise à jour", "bug"], "en": ["app"]},
    "Welcome": {"fr": ["accueil", "-page d'accueil", "-appel d'accueil"]},
    "Online": {"fr": ["en ligne !~ rester|attente|minute*"]},
    "Praise": {"en": ["+happy", "+helpful"], "it": ["+soddisfatto"], "fr": ["+content"]},
    "Complaint": {"en": ["not_happy", "not_helpful"], "it": ["not_soddisfatto"], "fr": ["not_content"]},
})


@pytest.mark.parametrize(
    ("comment", "lang", "expected"),
    [
        ("L'appli plante tout le temps", "fr", {"App"}),
        ("Depuis la mise à jour, ça plante", "fr", {"App"}),
        ("Belles plantes, bien arrosées", "fr", set()),
        # The context must be in the same sentence, within six words.
        ("Super appli. Les plantes sont belles", "fr", set()),
        ("Le site est lent, il plante souvent", "fr", {"App"}),
        ("site un deux trois quatre cinq six sept plante", "fr", set()),
        ("Accueil chaleureux", "fr", {"Welcome"}),
        ("La page d'accueil est vide", "fr", set()),
        ("Page d'accueil vide, mais accueil chaleureux", "fr", {"Welcome"}),
        ("Commande en ligne rapide", "fr", {"Online"}),
        ("Resté en ligne vingt minutes", "fr", set()),
        ("very happy with the service", "en", {"Praise"}),
        ("not happy with the service", "en", {"Complaint"}),
        ("never helpful, never happy", "en", {"Complaint"}),
        ("not happy, but the staff were helpful", "en", {"Praise", "Complaint"}),
        ("non sono soddisfatto", "it", {"Complaint"}),
        ("sono molto soddisfatto", "it", {"Praise"}),
        ("pas content du tout", "fr", {"Complaint"}),
        ("je ne suis pas content", "fr", {"Complaint"}),
        ("très content", "fr", {"Praise"}),
    ],
)
def test_conditions_decide_the_themes(comment: str, lang: str, expected: set[str]) -> None:
    assert tag_comment(comment, CONDITIONAL, lang) == expected


def test_a_term_kept_out_by_its_conditions_is_not_tried_in_other_languages() -> None:
    book = Codebook.build({"Support": {"fr": ["support", "-support mural"], "en": ["support"]}})
    assert tag_comment("Le support mural est arrivé cassé", book, "fr") == set()
    assert tag_comment("Le support a répondu vite", book, "fr") == {"Support"}
    # Without a French term in sight, the other languages are tried as before.
    assert tag_comment("Great support from the team", book, "fr") == {"Support"}


def test_conditional_terms_tag_in_bulk_as_one_by_one() -> None:
    comments = ["L'appli plante", "Belles plantes", "not happy at all", "very happy", "Page d'accueil vide",
                "non sono soddisfatto", "Resté en ligne vingt minutes", "Commande en ligne"] * 3
    languages = [text.detect_language(c) for c in comments]
    _, found = text.tag_comments(comments, CONDITIONAL, languages=languages, workers=1)
    order = list(CONDITIONAL.themes)
    assert found == [tuple(sorted(tag_comment(c, CONDITIONAL, l), key=order.index)) for c, l in zip(comments, languages)]
    assert found[:4] == [("App",), (), ("Complaint",), ("Praise",)]


def test_distinctive_terms_count_negated_words_apart(con) -> None:
    frame = pd.DataFrame({
        "score": [1, 2, 0, 10, 9, 10],
        "comment": ["not happy at all", "never happy with the delivery", "not happy, slow",
                    "very happy", "happy and helpful", "so happy"],
    })
    ds = make_dataset(con, frame, comment="comment")
    result = themes.distinctive_terms(con, ds, ngrams=(1, 1), min_count=1)
    counts = {r["term"]: (r["detractors"], r["promoters"]) for r in result.to_dict("records")}
    assert counts["not_happy"] == (3, 0)
    assert counts["happy"] == (0, 3)
    assert result.loc[result["side"] == "detractors", "term"].iloc[0] == "not_happy"
    assert result.loc[result["side"] == "promoters", "term"].iloc[0] == "happy"


def test_count_terms_marks_negation_in_every_language() -> None:
    assert text.count_terms(
        ["pas content", "not happy", "non sono soddisfatto", "niente di buono", "pas du tout satisfait"],
        ngrams=(1, 1), languages=["fr", "en", "it", "it", "fr"],
    ) == {"not_content": 1, "not_happy": 1, "not_soddisfatto": 1, "not_satisfait": 1}


def test_a_codebook_is_compiled_only_when_it_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    # Compiling lemmatises every term, loading a dictionary per language (seconds each on a cold
    # process); pages that only read stored tags need the version alone, so building must not compile.
    calls: list[str] = []
    real = text.lemmatize
    monkeypatch.setattr(text_words, "lemmatize", lambda tokens, lang: calls.append(lang) or real(tokens, lang))
    book = Codebook.build({"Delivery": {"en": ["late delivery", "deliver*"], "de": ["Lieferung"]}})
    assert calls == [] and len(book.version) == 64
    assert tag_comment("The delivery was late, again", book, "en") == {"Delivery"}
    assert "de" in calls  # compiled (every language) at the first tagging
