"""Comment text: masking, language detection, tokens and lemmas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import simplemma
from hypothesis import given, settings
from hypothesis import strategies as st

from nps import text
from nps.text import language
from nps.text import words as text_words
from nps.text import detect_language, detect_languages, fold, lemmatize, mask_personal_data, split_words, tokenize
from tests.conftest import ROOT, TELECOM


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Scrivetemi a mario.rossi@example.it grazie", "Scrivetemi a [email] grazie"),
        ("contact: jean-paul.dupont+nps@mail.co.uk.", "contact: [email]."),
        ("Chiamatemi al +39 333 123 4567 domani", "Chiamatemi al [phone] domani"),
        ("Chiamatemi al 333 123 4567", "Chiamatemi al [phone]"),
        ("numero 3331234567 sempre occupato", "numero [phone] sempre occupato"),
        ("fisso 02 12345678", "fisso [phone]"),
        ("Appelez le +33 6 12 34 56 78 svp", "Appelez le [phone] svp"),
        ("Appelez le 06 12 34 56 78", "Appelez le [phone]"),
        ("ou le 01.23.45.67.89", "ou le [phone]"),
        ("call +44 20 7946 0958 now", "call [phone] now"),
        ("call +1 (415) 555-0100", "call [phone]"),
        ("IBAN IT60X0542811101000000123456 per il rimborso", "IBAN [iban] per il rimborso"),
        ("IBAN IT60 X054 2811 1010 0000 0123 456", "IBAN [iban]"),
        ("carte 4111 1111 1111 1111 débitée", "carte [card] débitée"),
        ("card 4111-1111-1111-1111", "card [card]"),
        # Ordinary numbers stay.
        ("ordine 12345 mai arrivato", "ordine 12345 mai arrivato"),
        ("nel 2024 tutto bene", "nel 2024 tutto bene"),
        ("Ho chiamato 5 volte", "Ho chiamato 5 volte"),
        ("pagato 49,90 € al mese", "pagato 49,90 € al mese"),
        ("charged twice (€49.90)!", "charged twice (€49.90)!"),
        ("attente de 85 minutes, 3 jours de retard", "attente de 85 minutes, 3 jours de retard"),
        ("reçu le 01.05.2018 à 14:30", "reçu le 01.05.2018 à 14:30"),
        ("prezzo aumentato del 25% nel 2023-2024", "prezzo aumentato del 25% nel 2023-2024"),
        ("", ""),
    ],
)
def test_mask_personal_data(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Cards: masked only when the Luhn check holds (spaces and dashes allowed).
        ("Visa 4012 8888 8888 1881 addebitata", "Visa [card] addebitata"),
        ("mastercard 5500-0055-5555-5559", "mastercard [card]"),
        ("amex 378282246310005 ok", "amex [card] ok"),
        ("carte 4111 1111 1111 1112 refusée", "carte 4111 1111 1111 1112 refusée"),
        ("card 4111-1111-1111-1112", "card 4111-1111-1111-1112"),
        # Barcodes, order and tracking numbers: not cards.
        ("ordine n. 4006381333931 mai arrivato", "ordine n. 4006381333931 mai arrivato"),
        ("EAN 5901234123457 (Luhn and EAN both hold)", "EAN 5901234123457 (Luhn and EAN both hold)"),
        ("tracking 1234567890123", "tracking 1234567890123"),
        ("commande 1234567890123456 perdue", "commande 1234567890123456 perdue"),
        ("SIM 8939104520000012347 attivata", "SIM 8939104520000012347 attivata"),
        # IBANs: masked only when the checksum holds.
        ("IBAN FR76 3000 6000 0112 3456 7890 189 merci", "IBAN [iban] merci"),
        ("bonifico su DE89370400440532013000", "bonifico su [iban]"),
        ("IBAN IT61X0542811101000000123456 sbagliato", "IBAN IT61X0542811101000000123456 sbagliato"),
        ("IBAN IT61 X054 2811 1010 0000 0123 456", "IBAN IT61 X054 2811 1010 0000 0123 456"),
        ("DE88370400440532013000", "DE88370400440532013000"),
        # A long run that is not a card can still be a phone number.
        ("chiamate 0039 333 123 4567", "chiamate [phone]"),
        # Years and dates.
        ("cliente dal 1998, poi 2012-2024", "cliente dal 1998, poi 2012-2024"),
        ("mail a.b@c.it, carta 4111111111111111, cell 333 123 4567",
         "mail [email], carta [card], cell [phone]"),
    ],
)
def test_cards_and_ibans_are_masked_only_when_their_checksum_holds(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("4111111111111111", True),
        ("4111 1111 1111 1111", True),
        ("4111-1111-1111-1111", True),
        ("4111111111111112", False),  # Luhn fails
        ("4006381333932", True),  # 13 digits, Luhn holds, not an EAN
        ("5901234123457", False),  # a valid EAN-13
        ("8939104520000012347", False),  # Luhn holds but issuer digit 8 (a SIM number)
        ("411111111111", False),  # 12 digits
    ],
)
def test_is_card_number(candidate: str, expected: bool) -> None:
    assert text.is_card_number(candidate) is expected


LABELLED: dict[str, list[str]] = {
    "it": [
        "Il pacco è arrivato con tre giorni di ritardo",
        "Ho chiamato cinque volte e nessuno mi ha risposto",
        "Ottimo rapporto qualità prezzo, lo consiglio a tutti",
        "La fattura di maggio era sbagliata un'altra volta",
        "L'app si blocca ogni volta che provo a pagare",
        "Personale gentile e competente, esperienza davvero positiva",
        "Nessuno mi ha spiegato come configurare il mio account",
        "La linea internet cade continuamente da due settimane",
        "Consegna veloce e prodotto di ottima qualità, grazie mille",
        "Attesa infinita al call center e poi la linea è caduta",
    ],
    "en": [
        "My parcel arrived two days late and tracking never moved",
        "The staff were friendly and really knew the product",
        "I was charged twice and nobody fixed the invoice",
        "Great value for money, I would recommend you to anyone",
        "The website is slow and confusing, I cannot find anything",
        "Waited forty minutes on the phone before someone answered",
        "The broadband keeps dropping out every single evening",
        "Nobody told me when the engineer was going to arrive",
        "Setting up my account was quick and very easy",
        "The router was faulty and we are still waiting for a new one",
    ],
    "fr": [
        "Mon colis est arrivé avec trois jours de retard",
        "Personne ne décroche jamais au service client",
        "La facture de mai était fausse et l'avoir a pris des semaines",
        "Le site est lent et confus, on ne trouve rien",
        "Équipe sympathique et compétente, je recommande vivement",
        "Le prix a augmenté de quinze pour cent sans prévenir",
        "Commandé hier, reçu aujourd'hui, vraiment très satisfait",
        "L'application plante à chaque fois que je veux payer",
        "Le rendez-vous d'installation a été reporté plusieurs fois",
        "Aucune réponse à mes mails depuis deux semaines déjà",
    ],
    "es": [
        "El paquete llegó con tres días de retraso",
        "Nadie contesta nunca el teléfono del servicio al cliente",
        "La factura de mayo estaba mal y nadie la corrigió",
        "Muy buena relación calidad precio, lo recomiendo a todos",
        "La aplicación se bloquea cada vez que intento pagar",
        "El personal fue muy amable y conocía bien el producto",
        "Esperé más de una hora para hablar con alguien",
        "La conexión a internet se corta todos los días",
        "Nadie me explicó cómo configurar mi cuenta nueva",
        "Pedido ayer y recibido hoy, todo perfecto, muchas gracias",
    ],
    "de": [
        "Das Paket kam mit drei Tagen Verspätung an",
        "Niemand geht beim Kundenservice jemals ans Telefon",
        "Die Rechnung für Mai war falsch und niemand hat sie korrigiert",
        "Sehr gutes Preis-Leistungs-Verhältnis, ich kann es nur empfehlen",
        "Die App stürzt jedes Mal ab, wenn ich bezahlen will",
        "Die Mitarbeiter waren freundlich und sehr kompetent",
        "Ich habe über eine Stunde in der Warteschleife gewartet",
        "Die Internetverbindung bricht jeden Abend zusammen",
        "Niemand hat mir erklärt, wie ich mein Konto einrichte",
        "Gestern bestellt und heute schon geliefert, vielen Dank",
    ],
    "pt": [
        "A encomenda chegou com três dias de atraso",
        "Ninguém atende o telefone do serviço de apoio ao cliente",
        "A fatura de maio estava errada e ninguém corrigiu",
        "Ótima relação qualidade preço, recomendo a todos os amigos",
        "O aplicativo trava toda vez que tento pagar",
        "Os funcionários foram simpáticos e conheciam bem o produto",
        "Esperei mais de uma hora para falar com alguém",
        "A ligação à internet cai todos os dias à noite",
        "Ninguém me explicou como configurar a minha conta",
        "Encomendei ontem e recebi hoje, tudo perfeito, obrigado",
    ],
}


def test_labelled_comments_are_detected_with_at_least_95_percent_accuracy() -> None:
    pairs = [(lang, text) for lang, texts in LABELLED.items() for text in texts]
    assert all(len(text.split()) >= 5 for _, text in pairs)
    wrong = [(lang, detect_language(text), text) for lang, text in pairs if detect_language(text) != lang]
    assert len(wrong) / len(pairs) <= 0.05, wrong


@pytest.mark.parametrize("text", ["", None, "ok", "Top!", "👍👍", "Great value", "12 34 56"])
def test_short_texts_are_unknown(text: str | None) -> None:
    assert detect_language(text) == "unknown"


def test_fold_drops_case_and_accents_only() -> None:
    assert fold("Qualità") == "qualita"
    assert fold("ÉQUIPE") == "equipe"
    assert fold("Verspätung") == "verspatung"


def test_split_words_drops_punctuation_emoji_numbers_and_elisions() -> None:
    assert split_words("L'app si blocca!! 😡 49,90 € — dell'ordine, call-center") == [
        "app", "si", "blocca", "ordine", "call-center",
    ]


def test_tokenize_keeps_accents_and_removes_stopwords() -> None:
    assert tokenize("La qualità è ottima ma la consegna è lenta", "it") == ["qualità", "ottima", "consegna", "lenta"]
    assert tokenize("The parcel arrived late", "en") == ["parcel", "arrived", "late"]


def test_tokenize_without_a_language_keeps_every_word() -> None:
    assert tokenize("the parcel", "unknown") == ["the", "parcel"]


@pytest.mark.parametrize(
    ("tokens", "lang", "expected"),
    [
        (["arrivato", "fatture"], "it", ["arrivare", "fattura"]),
        (["factures", "commandes"], "fr", ["facture", "commande"]),
        (["waiting", "parcels"], "en", ["wait", "parcel"]),
        (["retrasos"], "es", ["retraso"]),
        (["rechnungen"], "de", ["rechnung"]),
        (["parcels"], "unknown", ["parcels"]),
    ],
)
def test_lemmatize(tokens: list[str], lang: str, expected: list[str]) -> None:
    assert lemmatize(tokens, lang) == expected


def test_languages_detected_in_a_batch_are_those_detected_one_by_one() -> None:
    labelled = [t for texts in LABELLED.values() for t in texts]
    real = [
        c for frame in (pd.read_csv(ROOT / "data" / "sample_customers.csv")["comment"], pd.read_csv(TELECOM)["text"])
        for c in frame if isinstance(c, str)
    ]
    odd = [None, "", "ok", "12 34 56", "👍👍 top top top", "TUTTO PERFETTO, GRAZIE MILLE", "ab cd ef",
           "a b c d e f"]
    texts = labelled + real[:6000] + odd
    assert detect_languages(texts) == [detect_language(t) for t in texts]


def test_a_batch_of_nothing_is_nothing() -> None:
    assert detect_languages([]) == []
    assert detect_languages([None, ""]) == ["unknown", "unknown"]


def _reference_words(value: str) -> list[str]:
    """split_words as first written: simplemma's tokenizer over the whole text."""
    words = []
    for token in simplemma.simple_tokenizer(value):
        token = text_words._ELISION.sub("", token).strip("'’-").lower()
        if any(ch.isalpha() for ch in token):
            words.append(token)
    return words


_PIECES = st.sampled_from([
    "l'app", "dell'ordine", "J'ai", "qu'il", "ritardo!!", "#12345)", "n°", "49,90€", "€49.90", "call-center",
    "--", "...", "(ordine", "n.", "Giulia", "B.", "😡", "⭐⭐", "x", "QUALITÀ", "Verspätung", "arrivé,",
    "e-mail:",
    "mario.rossi@example.it", "24h", "2ème", "'", "’", "-", "ok", "½", "x²", "_a_",
])


@settings(deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=12), st.sampled_from([" ", "  ", "\n", "\t"]))
def test_split_words_is_the_tokenizer_with_a_cache(pieces: list[str], gap: str) -> None:
    value = gap.join(pieces)
    assert split_words(value) == _reference_words(value)
    assert split_words(value) == _reference_words(value)  # again, from the cache


def test_mask_frame_masks_text_cells_only() -> None:
    import pandas as pd

    from nps.text import mask_frame

    frame = pd.DataFrame({"comment": ["mail anna@example.com", None], "n": [3, 4], "id": ["x@y.it", "z"]})
    masked = mask_frame(frame)
    assert masked["comment"][0] == "mail [email]" and pd.isna(masked["comment"][1])
    assert masked["n"].tolist() == [3, 4] and masked["id"].tolist() == ["[email]", "z"]
    assert mask_frame(frame, ["comment", "missing"])["id"].tolist() == ["x@y.it", "z"]
    assert frame["comment"][0] == "mail anna@example.com"  # the input is left alone


# --- negation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        ("pas content", "fr", ["not_content"]),
        ("Je ne suis pas du tout satisfait.", "fr", ["not_satisfait"]),
        ("Ce n'est pas lent mais cher", "fr", ["not_lent"]),  # "cher" is a French stopword
        ("jamais reçu ma commande", "fr", ["not_reçu", "commande"]),
        ("not happy", "en", ["not_happy"]),
        ("never helpful", "en", ["not_helpful"]),
        ("I wasn't happy, the staff were helpful", "en", ["not_happy", "staff", "helpful"]),
        ("not fast but friendly", "en", ["not_fast", "friendly"]),
        ("Not happy. Friendly staff though", "en", ["not_happy", "friendly", "staff"]),
        ("no delays at all, very happy", "en", ["not_delays", "happy"]),
        ("not happy with the delivery", "en", ["not_happy", "delivery"]),
        ("non sono soddisfatto", "it", ["not_soddisfatto"]),
        ("niente di buono", "it", []),  # "buono" is a stopword: never a term, negated or not
        ("non sono per niente soddisfatto del servizio", "it", ["not_soddisfatto", "servizio"]),
        ("senza problemi, consegna veloce", "it", ["not_problemi", "consegna", "veloce"]),
        ("nunca llegó el paquete", "es", ["not_paquete"]),  # "llegó" is a Spanish stopword
        ("nicht zufrieden", "de", ["not_zufrieden"]),
        ("não gostei", "pt", ["not_gostei"]),
        ("happy happy", "en", ["happy", "happy"]),
        ("", "en", []),
    ],
)
def test_negated_tokens(value: str, lang: str, expected: list[str]) -> None:
    assert text.negated_tokens(value, lang) == expected


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        # A scope reaches three words ...
        ("not at all happy here", "en", [False, True, True, True, False]),
        # ... up to the first content word ...
        ("never arrived on time", "en", [False, True, False, False]),
        # ... stops at punctuation and at "but" ...
        ("not good, fast", "en", [False, True, False]),
        ("not good but fast", "en", [False, True, False, False]),
        # ... and a negator inside a scope starts its own.
        ("non sono per niente soddisfatto ora", "it", [False, True, True, False, True, False]),
        # An elided French "n'" negates too.
        ("ça n'arrive jamais", "fr", [False, True, False]),
        # Unknown language: every language's negators.
        ("pas bon", "unknown", [False, True]),
    ],
)
def test_negation_flags(value: str, lang: str, expected: list[bool]) -> None:
    assert text.negation_flags(value, lang) == expected


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        ("Le site est lent, il plante. Prix 49.90 euros, mais bon", "fr", [0, 0, 0, 0, 0, 0, 1, 1, 2, 2]),
        ("disponibile e chiara, ma la consegna", "it", [0, 0, 0, 1, 1, 1]),
        ("Great! Really great", "en", [0, 1, 1]),
    ],
)
def test_sentence_numbers(value: str, lang: str, expected: list[int]) -> None:
    assert text.sentence_numbers(value, lang) == expected


@settings(deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=12), st.sampled_from([" ", "\n"]))
def test_negation_and_sentences_follow_the_words(pieces: list[str], gap: str) -> None:
    value = gap.join(pieces)
    words = split_words(value)
    assert len(text.negation_flags(value, "fr")) == len(words) == len(text.sentence_numbers(value, "en"))
    assert text_words._clause_words(value)[0] == words


def test_lemma_dictionaries_read_from_the_disk_cache_are_simplemmas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 8 §7: decoded dictionaries are kept with marshal; the lemmas stay simplemma's own."""
    monkeypatch.setenv(text.CACHE_ENV, str(tmp_path))
    words = {"it": ["fatture", "consegnato", "arrivati", "gentilissimi"], "en": ["parcels", "waited", "better"],
             "fr": ["livrées", "commandé", "attendu"], "pt": ["entregues", "atendimento"]}
    written = {lang: text_words._decoded_dictionary(lang) for lang in words}  # decoded, then written
    assert sorted(p.name.split("-")[2] for p in tmp_path.glob("*.marshal")) == sorted(words)
    for lang, decoded in written.items():
        assert text_words._decoded_dictionary(lang) == decoded  # read back from the file
    for lang, tokens in words.items():
        assert [text_words._LEMMATIZE(t, lang) for t in tokens] == [simplemma.lemmatize(t, lang) for t in tokens]
    (tmp_path / next(p.name for p in tmp_path.glob("*-it-*"))).write_bytes(b"broken")
    assert text_words._decoded_dictionary("it") == written["it"]  # a damaged file is decoded again


def test_the_cached_language_model_is_py3langids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 8 §7: the model kept as a zlib npz gives py3langid's own identifier, array for array."""
    import numpy as np
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    monkeypatch.setenv(text.CACHE_ENV, str(tmp_path))
    shipped = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    for attempt in ("written", "read back"):
        cached = language._identifier_from_cache()
        assert cached is not None, attempt
        assert len(list(tmp_path.glob("py3langid-*.npz"))) == 1
        assert np.array_equal(cached.nb_ptc, shipped.nb_ptc) and np.array_equal(cached.nb_pc, shipped.nb_pc)
        assert cached.nb_classes == shipped.nb_classes and cached.tk_output == shipped.tk_output
        assert cached.tk_nextmove == shipped.tk_nextmove and cached.tk_row == shipped.tk_row
        for t in ("La consegna è arrivata in ritardo", "The parcel never arrived", "Très bon accueil en magasin"):
            assert cached.classify(t) == shipped.classify(t)
