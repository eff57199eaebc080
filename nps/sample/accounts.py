"""The sample's B2B accounts: which company each business contact works for, the contact's job title and the
company's annual revenue with Verdemare.

The columns are added after the scores are drawn, from their own generator (``[seed, 14]``), so every other
column of the export is the same with or without them. Only B2B rows are filled; consumers, partners and
investors have no company. A company has a home region and its contacts are that region's B2B customers;
job titles are in the contact's language and read as decision maker, influencer or user
(:func:`nps.accounts.role_level`).

One story is planted, **the detractor account**: :data:`PLANTED_ACCOUNT`, the largest account by revenue
(about 1.5 times the next one), has :data:`PLANTED_CONTACTS` contacts who answered only 0-6, its purchasing
director among them. Its account class is detractor under both rules, so its whole revenue is at risk and it
heads the accounts table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ACCOUNT_COLUMNS: tuple[str, ...] = ("company", "contact_role", "annual_revenue_eur")
ACCOUNTS = 90
PLANTED_ACCOUNT = "Ferri Logistica S.p.A."
PLANTED_CONTACTS = 12

# Job titles per language (it, en, fr) and level: decision maker, influencer, user.
TITLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "it": (("Amministratore delegato", "Direttore acquisti"), ("Responsabile logistica", "Ufficio acquisti"),
           ("Impiegato amministrativo", "Operatore di magazzino")),
    "en": (("CEO", "Head of operations"), ("Purchasing manager", "Procurement specialist"),
           ("Office staff", "Warehouse operator")),
    "fr": (("Directeur général", "Directeur des achats"), ("Responsable logistique", "Acheteur"),
           ("Employé administratif", "Opérateur logistique")),
}
_LEVEL_SHARE = np.array([0.15, 0.35, 0.50])

_SURNAMES = ("Rossi", "Bianchi", "Colombo", "Ricci", "Marino", "Greco", "Conti", "Galli", "Moretti", "Lombardi",
             "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Martin", "Bernard", "Dubois",
             "Durand", "Lefèvre", "Moreau", "Laurent", "Girard", "Fournier", "Morel", "Walker", "Hughes", "Baker",
             "Fischer", "Weber", "Jansen", "de Vries", "Peeters", "Keller", "Brunner")
_SECTORS = ("Logistica", "Impianti", "Trasporti", "Meccanica", "Alimentari", "Edilizia", "Services", "Industrie",
            "Distribution", "Consulting", "Systems", "Foods", "Handel", "Technik", "Bouw")
# The legal form follows the company's home region (vocab.REGIONS order).
_LEGAL = (("S.p.A.", "S.r.l."), ("S.p.A.", "S.r.l."), ("SAS", "SARL"), ("SAS", "SA"), ("SA", "Sàrl"),
          ("Ltd", "plc"), ("BV", "NV"), ("GmbH", "AG"))


def _names(rng: np.random.Generator, regions: np.ndarray) -> list[str]:
    """One distinct company name per account, never the planted account's."""
    names: list[str] = []
    for region in regions:
        while True:
            name = (f"{_SURNAMES[rng.integers(len(_SURNAMES))]} {_SECTORS[rng.integers(len(_SECTORS))]} "
                    f"{_LEGAL[region][rng.integers(2)]}")
            if name not in names and name != PLANTED_ACCOUNT:
                names.append(name)
                break
    return names


def add_accounts(frame: pd.DataFrame, *, seed: int, segment: str, regions: tuple[str, ...],
                 score_column: str) -> pd.DataFrame:
    """``frame`` with :data:`ACCOUNT_COLUMNS` added: company, job title and annual revenue on ``segment`` rows.

    ``frame`` has ``customer_id``, ``segment``, ``region``, ``language`` and the score column. A contact
    (``customer_id``) keeps one company and one title. Revenue is a whole number of euros, the same on every
    row of a company. Deterministic for a seed; the input is not modified.
    """
    rng = np.random.default_rng([seed, 14])
    out = frame.copy()
    business = (out["segment"] == segment).to_numpy()
    rows = out.loc[business]
    contacts = pd.unique(rows["customer_id"])
    if len(contacts) == 0:
        for name in ACCOUNT_COLUMNS:
            out[name] = pd.Series([None] * len(out), dtype="str" if name != "annual_revenue_eur" else "Int64")
        return out
    per_contact = rows.groupby("customer_id", sort=False).agg(
        region=("region", "first"), language=("language", "first"), worst=(score_column, "max"),
        answers=(score_column, "size")).loc[contacts]
    region_code = per_contact["region"].map({r: i for i, r in enumerate(regions)}).to_numpy()

    # The planted account: the contacts who only ever answered 0-6, those with the most answers first.
    detractors = per_contact[per_contact["worst"] <= 6].sort_values("answers", ascending=False, kind="stable")
    planted = list(detractors.index[:PLANTED_CONTACTS])
    accounts = ACCOUNTS if len(contacts) >= 4 * ACCOUNTS else max(1, len(contacts) // 4)
    home = rng.choice(len(regions), size=accounts, p=np.bincount(region_code, minlength=len(regions))
                      / len(region_code))
    names = [PLANTED_ACCOUNT, *_names(rng, home[1:])]
    home[0] = 0  # Nord Italia
    size = rng.pareto(1.3, accounts) + 1.0
    revenue = np.round(rng.lognormal(np.log(30_000), 0.5, accounts) * size, -2)
    if accounts > 1:
        revenue[0] = np.round(1.5 * revenue[1:].max(), -2)

    company = np.empty(len(contacts), dtype=object)
    planted_set = set(planted)
    for i, contact in enumerate(contacts):
        if contact in planted_set:
            company[i] = 0
            continue
        candidates = np.flatnonzero(home[1:] == region_code[i]) + 1
        if len(candidates) == 0:
            candidates = np.arange(1, accounts) if accounts > 1 else np.array([0])
        weights = size[candidates] / size[candidates].sum()
        company[i] = int(candidates[rng.choice(len(candidates), p=weights)])
    level = rng.choice(3, size=len(contacts), p=_LEVEL_SHARE)
    if planted:
        level[list(contacts).index(planted[0])] = 0  # the planted account's decision maker is a detractor
    title_pick = rng.integers(2, size=len(contacts))
    titles = [TITLES.get(str(language), TITLES["en"])[lv][t]
              for language, lv, t in zip(per_contact["language"], level, title_pick)]
    if planted:
        titles[list(contacts).index(planted[0])] = "Direttore acquisti"

    by_contact = pd.DataFrame({"company": [names[c] for c in company], "contact_role": titles,
                               "annual_revenue_eur": [int(revenue[c]) for c in company]}, index=contacts)
    picked = by_contact.loc[rows["customer_id"]]
    out["company"] = pd.Series(None, index=out.index, dtype="str")
    out["contact_role"] = pd.Series(None, index=out.index, dtype="str")
    out["annual_revenue_eur"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out.loc[business, "company"] = picked["company"].to_numpy()
    out.loc[business, "contact_role"] = picked["contact_role"].to_numpy()
    out.loc[business, "annual_revenue_eur"] = picked["annual_revenue_eur"].to_numpy()
    return out
