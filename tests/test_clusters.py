"""Discovery: comments no theme covers fall into clusters, and a cluster can become a theme."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from nps.query.clusters import uncovered_clusters
from nps.query.themes import theme_summary
from nps.text import clusters
from nps.text.clusters import cluster_comments, cluster_to_theme
from nps.text import load_codebook, tag_comment
from tests.factories import make_dataset

# These tests are about what the reads compute; tagging, the explicit step before them, is the
# tag_on_read fixture's (tests/conftest.py) and test_reads_never_tag's.
pytestmark = pytest.mark.usefixtures("tag_on_read")

CODEBOOK = load_codebook()

# Three topics the default codebook has no theme for, in English and Italian.
TOPICS: dict[str, dict[str, list[str]]] = {
    "parking": {
        "en": ["the car park is always full", "impossible to find a parking space", "parking fees are far too high",
               "the car park is dark at night", "no free parking near the entrance",
               "I drove around the car park for twenty minutes"],
        "it": ["il parcheggio è sempre pieno", "impossibile trovare parcheggio", "il parcheggio costa troppo",
               "il parcheggio è buio di sera", "nessun parcheggio gratuito vicino all'ingresso",
               "ho fatto il giro del parcheggio due volte"],
    },
    "hours": {
        "en": ["the opening hours are too short", "the shop closes far too early", "closed on Sundays",
               "opening hours change without reason", "please extend the opening hours in the evening",
               "the shop should open earlier in the morning"],
        "it": ["gli orari di apertura sono troppo ridotti", "il negozio chiude troppo presto", "chiuso la domenica",
               "gli orari di apertura cambiano senza motivo", "allungate gli orari di apertura la sera",
               "il negozio dovrebbe aprire prima la mattina"],
    },
    "loyalty": {
        "en": ["my loyalty points never show up", "the loyalty points expire too fast", "the loyalty card is useless",
               "I lost my loyalty points when the card was replaced", "loyalty rewards are hard to redeem",
               "the loyalty card scheme is confusing"],
        "it": ["i punti fedeltà non vengono accreditati", "i punti della carta fedeltà scadono subito",
               "la carta fedeltà è inutile", "ho perso i punti fedeltà con la nuova tessera",
               "i premi della carta fedeltà sono impossibili da riscattare", "la raccolta punti fedeltà è confusa"],
    },
}
TAILS = {
    "en": ["", ".", ", really annoying.", ". Please do something about it.", ", every single time!", " and nobody cares."],
    "it": ["", ".", ", davvero fastidioso.", ". Fate qualcosa per favore.", ", ogni singola volta!",
           " e a nessuno importa."],
}
# The word each planted (topic, language) cluster must rank among its first three terms.
KEYWORDS = {
    ("parking", "en"): "park", ("parking", "it"): "parcheggio",
    ("hours", "en"): "hour", ("hours", "it"): "orario",
    ("loyalty", "en"): "loyalty", ("loyalty", "it"): "fedeltà",
}


def planted(per: int = 30, seed: int = 3) -> list[tuple[str, str, str]]:
    """(topic, language, comment): ``per`` comments per topic and language, two fragments and a tail each."""
    rng = random.Random(seed)
    out = []
    for topic, by_lang in TOPICS.items():
        for lang, fragments in by_lang.items():
            for _ in range(per):
                a, b = rng.sample(fragments, 2)
                out.append((topic, lang, f"{a[0].upper()}{a[1:]}, {b}{rng.choice(TAILS[lang])}"))
    rng.shuffle(out)
    return out


PLANTED = planted()
COMMENTS = [comment for _, _, comment in PLANTED]


def test_the_planted_topics_are_not_in_the_default_codebook() -> None:
    assert [c for c in COMMENTS if tag_comment(c, CODEBOOK)] == []


def test_planted_topics_come_back_as_separate_clusters_with_their_words() -> None:
    found = cluster_comments(COMMENTS)
    assert [c.size for c in found] == [30, 30, 30, 30, 30, 30]
    assert [c.id for c in found] == [1, 2, 3, 4, 5, 6]
    seen = set()
    for cluster in found:
        sources = {PLANTED[i][:2] for i in cluster.members}
        assert len(sources) == 1, f"cluster {cluster.terms} mixes {sources}"
        (topic, lang), = sources
        seen.add((topic, lang))
        assert KEYWORDS[topic, lang] in cluster.terms[:3]
        assert cluster.language == lang
        assert cluster.share == pytest.approx(30 / 180)
        assert (cluster.clustered, cluster.total, cluster.sampled) == (180, 180, False)
        assert len(cluster.terms) == 8 and len(cluster.languages) == 8
        assert len(cluster.examples) == 3
        assert set(cluster.examples) <= {PLANTED[i][2] for i in cluster.members}
    assert seen == set(KEYWORDS)


def test_parking_in_english_ranks_its_terms() -> None:
    parking = next(c for c in cluster_comments(COMMENTS) if "park" in c.terms)
    assert parking.terms[:3] == ("park", "car", "car park")
    assert parking.languages[:3] == (("en",), ("en",), ("en",))
    assert set(parking.examples) <= set(COMMENTS)


def test_the_same_comments_give_the_same_clusters() -> None:
    assert cluster_comments(COMMENTS) == cluster_comments(list(COMMENTS))
    assert cluster_comments(COMMENTS, seed=5, k=4) == cluster_comments(COMMENTS, seed=5, k=4)


def test_fewer_components_than_topics_leave_comments_unclustered_not_mixed() -> None:
    found = cluster_comments(COMMENTS, k=3)
    assert 0 < len(found) <= 3
    assert sum(c.size for c in found) <= 180


@pytest.mark.parametrize(
    "comments",
    [
        [],
        COMMENTS[:19],
        ["ok"] * 50,
        [None, "", "   "] * 20,
        ["Yes!", "No.", "And it was the one of them", "Sì, è così", "Non lo so"] * 10,
        [f"word{i}" for i in range(50)],
    ],
    ids=["empty", "nineteen", "one-word", "blank", "stopwords-only", "nothing-shared"],
)
def test_too_little_to_cluster_gives_no_clusters(comments: list[str | None]) -> None:
    assert cluster_comments(comments) == []


def test_blank_comments_are_skipped_and_positions_kept() -> None:
    found = cluster_comments([None, "", *COMMENTS])
    assert [c.size for c in found] == [30] * 6
    assert sorted(i for c in found for i in c.members) == list(range(2, 182))


def test_a_cap_clusters_a_seeded_sample_and_says_so() -> None:
    found = cluster_comments(COMMENTS, max_comments=120)
    assert found and all((c.clustered, c.total, c.sampled) == (120, 180, True) for c in found)
    assert sum(c.size for c in found) <= 120
    assert found == cluster_comments(COMMENTS, max_comments=120)


def test_default_k_grows_with_the_comments_up_to_eight() -> None:
    assert [clusters.default_k(n) for n in (20, 45, 80, 180, 320, 1_000_000)] == [2, 3, 4, 6, 8, 8]


def test_examples_are_masked() -> None:
    comments = COMMENTS + [
        f"My loyalty card number is lost, write to me at anna.rossi{i}@example.com or call +44 20 7946 09{i:02d}"
        for i in range(25)
    ]
    found = cluster_comments(comments)
    examples = [e for c in found for e in c.examples]
    assert any("[email]" in e for e in examples)
    assert not any("@" in e or "7946" in e for e in examples)


def test_a_bad_k_or_language_list_is_refused() -> None:
    with pytest.raises(ValueError, match="give 1 or more"):
        cluster_comments(COMMENTS, k=0)
    with pytest.raises(ValueError, match="one per comment"):
        cluster_comments(COMMENTS, languages=["en"])


@pytest.fixture
def shop(con):
    """The planted comments plus comments the codebook covers, with scores."""
    covered = ["The parcel arrived late", "Il pacco è arrivato in ritardo", "The invoice was wrong",
               "Personale gentilissimo"] * 10
    comments = COMMENTS + covered
    frame = pd.DataFrame({"score": [i % 11 for i in range(len(comments))], "comment": comments})
    return make_dataset(con, frame, comment="comment")


def test_uncovered_clusters_leave_out_what_the_codebook_covers(con, shop) -> None:
    found = uncovered_clusters(con, shop, CODEBOOK)
    assert [c.size for c in found] == [30] * 6
    assert {c.total for c in found} == {180}
    assert not any("parcel" in c.terms or "pacco" in c.terms for c in found)


def test_a_cluster_becomes_a_theme_that_tagging_then_finds(con, shop) -> None:
    parking = next(c for c in uncovered_clusters(con, shop, CODEBOOK) if "park" in c.terms)
    codebook = cluster_to_theme(CODEBOOK, parking, "Parking")
    assert list(codebook.themes)[-1] == "Parking"
    assert codebook.themes["Parking"] == {"en": parking.terms}
    assert list(codebook.themes)[:-1] == list(CODEBOOK.themes)
    assert codebook.version != CODEBOOK.version
    table = theme_summary(con, shop, codebook).set_index("theme")
    assert table.loc["Parking", "mentions"] == 30
    assert table.loc["Waiting time", "mentions"] == theme_summary(con, shop, CODEBOOK).set_index("theme").loc[
        "Waiting time", "mentions"]


def test_a_theme_from_chosen_terms_puts_new_words_under_the_cluster_language(con, shop) -> None:
    parcheggio = next(c for c in uncovered_clusters(con, shop, CODEBOOK) if "parcheggio" in c.terms)
    codebook = cluster_to_theme(CODEBOOK, parcheggio, " Parcheggio ", terms=["parcheggio", "posto auto"])
    assert codebook.themes["Parcheggio"] == {"it": ("parcheggio", "posto auto")}
    assert tag_comment("Il parcheggio è sempre pieno", codebook) == {"Parcheggio"}


@pytest.mark.parametrize(
    ("name", "terms", "message"),
    [
        ("Waiting time", None, "exists already"),
        ("  ", None, "needs a name"),
        ("Parking", [" ", ""], "no words"),
    ],
)
def test_cluster_to_theme_refuses(name: str, terms: list[str] | None, message: str) -> None:
    cluster = cluster_comments(COMMENTS)[0]
    with pytest.raises(ValueError, match=message):
        cluster_to_theme(CODEBOOK, cluster, name, terms=terms)
