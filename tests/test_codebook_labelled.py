"""The default codebook on hand-labelled comments written like real ones, per language.

Each comment is labelled with the themes a reader would give it. The set covers the
words that mean different things in different trades — French retail's "plantes"
(plants) and "accueil" (the welcome at the till), Italian "reso" (a return, or "made"),
telecom "package" (a plan) and "dealt with" — next to the true uses of the same words.
"""

from __future__ import annotations

import pytest

from nps.text import load_codebook, tag_comment

CODEBOOK = load_codebook()

DELIVERY, WAITING, PRICE, BILLING = "Delivery & shipping", "Waiting time", "Price & value", "Billing & invoices"
SUPPORT, STAFF, PRODUCT = "Customer service & support", "Staff friendliness & competence", "Product quality"
WEB, ONBOARDING, COMMUNICATION, RELIABILITY = (
    "Website / app usability", "Onboarding", "Communication", "Reliability & outages",
)

LABELLED: dict[str, list[tuple[str, set[str]]]] = {
    "fr": [
        # Garden-centre and shop comments: plants are plants, the welcome is the staff's.
        ("Très beau choix de plantes, elles sont en pleine forme", set()),
        ("Les plantes vertes du rayon étaient magnifiques et pas chères", {PRICE}),
        ("J'ai acheté trois plantes pour le balcon, conseils au top", set()),
        ("Accueil chaleureux, vendeuse souriante et de bon conseil", {STAFF}),
        ("Très bon accueil en magasin, personnel aimable", {STAFF}),
        ("Accueil froid, on attend à la caisse pendant vingt minutes", {STAFF, WAITING}),
        ("L'article n'était pas disponible en rayon, encore une fois", set()),
        ("J'ai eu Julie, disponible et très claire dans ses réponses", {STAFF, COMMUNICATION}),
        ("Toujours pas de retour du service client après trois relances", {SUPPORT, COMMUNICATION}),
        ("Retour du colis simple et remboursement rapide", {DELIVERY, BILLING}),
        ("Le suivi du colis ne s'est jamais mis à jour", {DELIVERY}),
        ("Je m'attendais à mieux pour ce prix", {PRICE}),
        # The same words where they do mean what the codebook says.
        ("L'application plante dès que je veux payer", {WEB}),
        ("Le site plante à chaque commande, impossible de finir", {WEB}),
        ("La page d'accueil du site est confuse", {WEB}),
        ("L'appel d'accueil a été reporté deux fois", {ONBOARDING, SUPPORT}),
        ("Livraison en retard de trois jours et colis abîmé", {DELIVERY, WAITING, PRODUCT}),
        ("Facture erronée, prélevé deux fois ce mois-ci", {BILLING}),
        ("Je suis resté en ligne quarante minutes avant qu'un conseiller décroche", {SUPPORT, STAFF}),
        ("Commande en ligne facile, retrait en magasin le lendemain", {WEB}),
    ],
    "it": [
        ("Il reso è stato semplice e il rimborso è arrivato in tre giorni", {DELIVERY, BILLING}),
        ("La commessa mi ha reso la scelta facilissima, bravissima", set()),
        ("Hanno reso tutto più complicato del necessario", set()),
        ("Il prodotto non era disponibile in negozio, ho dovuto ordinarlo", {PRODUCT}),
        ("Personale disponibile e cortese, mi hanno aiutato subito", {STAFF}),
        ("Ho parlato con Elena, disponibile e chiara, ma la consegna è arrivata in ritardo", {STAFF, COMMUNICATION, DELIVERY, WAITING}),
        ("Nell'area personale del sito non trovo le fatture", {WEB, BILLING}),
        ("Negozio nel centro commerciale comodo da raggiungere", set()),
        ("Mi aspettavo di più da un marchio così famoso", set()),
        ("Ho cambiato operatore perché il prezzo era più basso", {PRICE}),
        ("È arrivato il tecnico e ha sistemato tutto in mezz'ora", set()),
        ("Il pacco è arrivato con tre giorni di ritardo", {DELIVERY, WAITING}),
        ("Operatore scortese e poco preparato", {SUPPORT, STAFF}),
        ("L'app si blocca ogni volta che provo a pagare", {WEB, RELIABILITY}),
        ("Ottimo rapporto qualità prezzo, personale gentilissimo", {PRICE, STAFF}),
        ("Risposta in chat in pochi minuti, problema risolto", {WAITING, SUPPORT}),
        ("Ordine preparato in fretta e spedito il giorno stesso", {DELIVERY}),
    ],
    "en": [
        ("The person I dealt with was very helpful and pleasant", {STAFF}),
        ("Easy to deal with, sorted in one call", {SUPPORT}),
        ("The TV package is good value and the channels are great", {PRICE}),
        ("I didn't want any phone package, just broadband", set()),
        ("It took two hours to connect, not the fault of the engineer", {ONBOARDING, STAFF}),
        ("My fault not yours, I entered the wrong address", set()),
        ("The website is user friendly and quick", {WEB}),
        ("Paying £5 a month more than I was quoted", {PRICE}),
        ("Engineer came on site and installed everything", {STAFF, ONBOARDING}),
        ("The parcel arrived two days late and the box was damaged", {DELIVERY, WAITING, PRODUCT}),
        ("The package was left on the doorstep in the rain", {DELIVERY}),
        ("Still waiting for my broadband after three months", {WAITING}),
        ("The broadband keeps dropping every evening", {RELIABILITY}),
        ("Great deal and a fair price for what you get", {PRICE}),
        ("The app crashes every time I log in", {WEB}),
        ("Charged twice and nobody fixed the invoice", {BILLING}),
        ("Welcome email was clear and the setup was easy", {ONBOARDING, COMMUNICATION}),
        ("Staff gave us a warm welcome and knew the product", {STAFF}),
    ],
    "es": [
        ("El paquete llegó con tres días de retraso", {DELIVERY, WAITING}),
        ("El seguimiento del pedido nunca se actualizó", {DELIVERY}),
        ("Esperaba más de esta tienda, la verdad", set()),
        ("Pago 30 euros al mes y la conexión se corta", {BILLING, RELIABILITY}),
        ("Protegen mis datos personales, todo correcto", set()),
        ("El personal fue muy amable y profesional", {STAFF}),
        ("La aplicación se bloquea cada vez que intento pagar", {WEB}),
        ("Me cobraron dos veces la factura", {BILLING}),
    ],
    "de": [
        ("Das Paket kam mit drei Tagen Verspätung an", {DELIVERY, WAITING}),
        ("Die Einrichtung des Ladens ist modern und hell", set()),
        ("Die Einrichtung des Routers hat der Techniker übernommen", {ONBOARDING}),
        ("Ich zahle 40 Euro pro Monat für langsames Internet", {WAITING}),
        ("Die Mitarbeiter waren freundlich und sehr kompetent", {STAFF}),
        ("Die Rechnung war falsch und niemand hat sie korrigiert", {BILLING}),
        ("Die App stürzt jedes Mal ab, wenn ich bezahlen will", {WEB}),
        ("Ich habe über eine Stunde in der Warteschleife gewartet", {WAITING}),
    ],
}


def _cases() -> list[tuple[str, str, set[str]]]:
    return [(lang, comment, themes) for lang, rows in LABELLED.items() for comment, themes in rows]


@pytest.mark.parametrize(("lang", "comment", "expected"), _cases())
def test_the_default_codebook_tags_labelled_comments(lang: str, comment: str, expected: set[str]) -> None:
    assert tag_comment(comment, CODEBOOK, lang) == expected


def test_the_labelled_set_is_large_enough() -> None:
    assert {lang: len(rows) >= 15 for lang, rows in LABELLED.items() if lang in ("it", "en", "fr")} == {
        "it": True, "en": True, "fr": True,
    }
