"""The sample data: seeded generators of a customer NPS export and an employee eNPS export.

Like Datasette's ``fixtures.py``, one module feeds the demo, the tests and the
benchmark. Everything is drawn from a :class:`numpy.random.Generator` built from a
seed, so the same seed gives byte-identical CSV files.

The customer data are a made-up subscription retailer ("Verdemare") surveyed over
24 months, overall NPS about +15 (B2B about +35, B2C about 0, partners and
investors about +25 and 7% of answers). Three stories are planted for the
dashboard to reveal; periods are calendar quarters of ``submitted_at``, named for
the default start (1 November 2024, so 2024Q4 holds two months and 2026Q4 one),
figures for the default seed:

* **Delivery dip** - the fourth calendar quarter of the series, 2025Q3
  (July-September 2025, a warehouse move): Delivery & logistics NPS falls to
  about -13 against about +22 in its other quarters (-35 points),
  ``rating_speed`` falls with it and lateness complaints surge; back to normal
  from 2025Q4. The Operations & logistics staff of the employee survey take the
  same hit in the 2025-Q3 wave.
* **Billing improves** - Billing's NPS climbs linearly month by month, from about
  -21 in 2024Q4 to about +26 in 2026Q4 (+47 points), pausing only in 2026Q3
  when the mix shift below pulls every function down.
* **Mix shift** - from the second-to-last calendar quarter on (2026Q3 and 2026Q4,
  a consumer campaign) B2C survey volume nearly triples: B2C's share of answers
  goes from 49% in 2026Q2 to 72% in 2026Q3. Every segment's own NPS stays within
  about 1.5 points, yet the overall NPS falls from about +20 to about +13: a
  change of mix, not of experience.

Scores are not drawn independently: within each quarter x segment x function cell
the counts of every score are fixed to their expected values (systematic
rounding) and handed out by the rank of a latent driven by the item ratings. That
keeps the planted stories at their designed size whatever the seed, while the
ratings still explain the score row by row.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from queue import Full, Queue
from typing import Any, TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from nps import domain
from nps.store import sql

T = TypeVar("T")

# ---------------------------------------------------------------------------
# Vocabularies and columns
# ---------------------------------------------------------------------------

COMPANY = "Verdemare"

SEGMENTS: tuple[str, ...] = ("B2B", "B2C", "Partners & investors")
FUNCTIONS: tuple[str, ...] = (
    "Sales",
    "Customer service",
    "Delivery & logistics",
    "Billing",
    "Product",
    "Onboarding",
)
TOUCHPOINTS: dict[str, tuple[str, ...]] = {
    "Sales": ("Purchase", "Quote request", "Renewal"),
    "Customer service": ("Support ticket", "Phone call", "Live chat"),
    "Delivery & logistics": ("Delivery", "Order tracking", "Return"),
    "Billing": ("First invoice", "Payment", "Billing query"),
    "Product": ("Product use", "App / website", "Product update"),
    "Onboarding": ("Onboarding call", "Account setup", "Training session"),
}
CHANNELS: tuple[str, ...] = ("email", "SMS", "web", "phone")
SURVEY_TYPES: tuple[str, ...] = ("transactional", "relationship")
REGIONS: tuple[str, ...] = (
    "Nord Italia",
    "Centro-Sud Italia",
    "Île-de-France",
    "Auvergne-Rhône-Alpes",
    "Suisse romande",
    "UK & Ireland",
    "Benelux",
    "DACH",
)
PLANS: tuple[str, ...] = ("Basic", "Plus", "Premium", "Business", "Enterprise")
LANGUAGES: tuple[str, ...] = ("it", "en", "fr")

SCORE_COLUMN = "How likely are you to recommend us to a friend or colleague? (0-10)"
RATING_COLUMNS: tuple[str, ...] = ("rating_speed", "rating_staff", "rating_price", "rating_quality")
CUSTOMER_COLUMNS: tuple[str, ...] = (
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
    SCORE_COLUMN,
    *RATING_COLUMNS,
    "comment",
)

LEVELS: tuple[str, ...] = ("Front line", "Management", "Executive")
DEPARTMENTS: tuple[str, ...] = (
    "Operations & logistics",
    "Customer service",
    "Sales",
    "Finance & billing",
    "Product & IT",
    "People & admin",
)
SITES: tuple[str, ...] = ("Milano", "Bologna", "Napoli", "Paris", "Lyon", "Remote")
TENURES: tuple[str, ...] = ("< 1 year", "1-3 years", "3-5 years", "5+ years")
EMPLOYEE_RATING_COLUMNS: tuple[str, ...] = (
    "rating_workload",
    "rating_manager",
    "rating_pay",
    "rating_colleagues",
)

CUSTOMERS_FILE = "sample_customers.csv"
EMPLOYEES_FILE = "sample_employees.csv"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S"


def employee_score_column(company: str = COMPANY) -> str:
    """Return the eNPS question used as the employee score column's header."""
    return f"How likely are you to recommend {company} as a place to work? (0-10)"


# ---------------------------------------------------------------------------
# The customer model: who answers, when, and what they would say on average
# ---------------------------------------------------------------------------

_SEGMENT_SHARE = np.array([0.44, 0.48, 0.08])
# B2C volume multiplier from the mix-shift quarter on: 0.48*2.8 / (0.52 + 0.48*2.8) = 72%.
_B2C_SURGE = 2.8
_SEGMENT_NPS = np.array([34.0, 2.0, 26.0])

_FUNCTION_SHARE = np.array(
    [
        [0.18, 0.17, 0.20, 0.17, 0.14, 0.14],  # B2B
        [0.12, 0.22, 0.24, 0.16, 0.16, 0.10],  # B2C
        [0.25, 0.12, 0.12, 0.20, 0.18, 0.13],  # Partners & investors
    ]
)
_FUNCTION_NPS = np.array([6.0, -6.0, 8.0, 0.0, 4.0, 0.0])
_DELIVERY_DIP_QUARTER = 3
_DELIVERY_DIP_NPS = -36.0
# Billing's offset runs linearly from the first month to the last.
_BILLING_NPS_FROM, _BILLING_NPS_TO = -40.0, 14.0

_TOUCHPOINT_SHARE = np.array(
    [
        [0.55, 0.20, 0.25],
        [0.50, 0.35, 0.15],
        [0.65, 0.25, 0.10],
        [0.40, 0.35, 0.25],
        [0.45, 0.40, 0.15],
        [0.45, 0.35, 0.20],
    ]
)
# Renewals and product use are where relationship surveys are usually sent.
_RELATIONSHIP_SHARE = np.array(
    [0.05, 0.05, 0.85, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.10, 0.05, 0.10, 0.60, 0.20, 0.15, 0.05, 0.10, 0.10]
)
_CHANNEL_SHARE = np.array(
    [
        [0.55, 0.05, 0.20, 0.20],  # B2B
        [0.35, 0.30, 0.25, 0.10],  # B2C
        [0.60, 0.02, 0.18, 0.20],  # Partners & investors
    ]
)
_PHONE_CALL_CHANNELS = np.array([0.15, 0.15, 0.05, 0.65])
_LIVE_CHAT_CHANNELS = np.array([0.20, 0.05, 0.70, 0.05])
# Interviewer-led phone surveys flatter the score; relationship surveys are harsher.
_CHANNEL_NPS = np.array([0.0, -2.0, -1.0, 3.0])
_RELATIONSHIP_NPS = -4.0

_REGION_SHARE = np.array([0.26, 0.16, 0.17, 0.08, 0.05, 0.12, 0.08, 0.08])
_REGION_NPS = np.array([3.0, -4.0, -3.0, 2.0, 5.0, 2.0, 0.0, 4.0])
_REGION_LANGUAGE = np.array(
    [
        [0.90, 0.10, 0.00],
        [0.95, 0.05, 0.00],
        [0.00, 0.12, 0.88],
        [0.00, 0.08, 0.92],
        [0.00, 0.20, 0.80],
        [0.00, 1.00, 0.00],
        [0.00, 0.55, 0.45],
        [0.00, 1.00, 0.00],
    ]
)
_PLAN_SHARE = np.array(
    [
        [0.00, 0.00, 0.00, 0.60, 0.40],
        [0.45, 0.35, 0.20, 0.00, 0.00],
        [0.00, 0.00, 0.00, 0.00, 0.00],  # partners and investors have no plan
    ]
)
_PLAN_NPS = np.array([-5.0, 0.0, 6.0, 0.0, 4.0])

# How much each rating (speed, staff, price, quality) weighs in the score, per function.
_RATING_WEIGHTS = np.array(
    [
        [0.10, 0.35, 0.35, 0.20],  # Sales
        [0.35, 0.40, 0.10, 0.15],  # Customer service
        [0.50, 0.10, 0.15, 0.25],  # Delivery & logistics
        [0.15, 0.15, 0.30, 0.40],  # Billing: invoice accuracy shows up as quality
        [0.15, 0.10, 0.25, 0.50],  # Product
        [0.30, 0.30, 0.10, 0.30],  # Onboarding
    ]
)
_RATING_BASE = np.array([3.35, 3.75, 3.05, 3.55])

# Score distribution for a latent mean m: a Gaussian bump with the heaping real
# NPS data show at 0, 5, 8 and 10.
_SCORE_VALUES = np.arange(11)
_HEAPING = np.array([1.6, 0.6, 0.7, 0.8, 0.8, 1.4, 0.9, 1.0, 1.25, 1.0, 1.3])
_SCORE_SPREAD = 2.0


# Some detractors are angry rather than lukewarm: a tail at 0-4 that thins as m rises.
_ANGRY = np.array([6.0, 1.5, 2.0, 2.0, 1.5, 0, 0, 0, 0, 0, 0]) / 13.0


def _score_probabilities(location: np.ndarray) -> np.ndarray:
    """Return the (n, 11) probabilities of scores 0..10 for latent means ``location``."""
    weights = np.exp(-((_SCORE_VALUES - location[:, None]) ** 2) / (2 * _SCORE_SPREAD**2)) * _HEAPING
    bump = weights / weights.sum(axis=1, keepdims=True)
    angry = 0.25 / (1 + np.exp(0.9 * (location[:, None] - 6.0)))
    return (1 - angry) * bump + angry * _ANGRY


_LOCATION_GRID = np.linspace(-4.0, 15.0, 3801)
_GRID_PROBABILITIES = _score_probabilities(_LOCATION_GRID)
_NPS_GRID = 100 * (_GRID_PROBABILITIES[:, 9:].sum(axis=1) - _GRID_PROBABILITIES[:, :7].sum(axis=1))


def _location_for_nps(nps: np.ndarray) -> np.ndarray:
    """Invert the score model: the latent mean whose expected NPS is ``nps`` (points)."""
    return np.interp(nps, _NPS_GRID, _LOCATION_GRID)


def _pick(rng: np.random.Generator, probabilities: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one category per row, row i from ``probabilities[rows[i]]`` (a small table of distributions)."""
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random(len(rows))
    picked = np.empty(len(rows), dtype=np.int64)
    for row in range(len(probabilities)):
        mine = rows == row
        picked[mine] = np.searchsorted(cumulative[row], u[mine], side="right")
    return picked.clip(0, probabilities.shape[1] - 1)


@dataclass(frozen=True)
class _Calendar:
    """The months of a series and the calendar quarters they fall in."""

    start: dt.date
    months: int

    @property
    def first_month(self) -> int:
        return self.start.year * 12 + self.start.month - 1

    def month_starts(self) -> np.ndarray:
        """First day of each month, as datetime64[D]."""
        first = np.datetime64(f"{self.start.year:04d}-{self.start.month:02d}", "M")
        return (first + np.arange(self.months + 1)).astype("datetime64[D]")

    def quarter_of_month(self) -> np.ndarray:
        """Index of the calendar quarter of each month, 0 for the first quarter touched."""
        absolute = self.first_month + np.arange(self.months)
        return absolute // 3 - self.first_month // 3

    @property
    def quarters(self) -> int:
        return int(self.quarter_of_month()[-1]) + 1

    @property
    def mix_shift_quarter(self) -> int:
        return max(self.quarters - 2, 1)


def _systematic_counts(rng: np.random.Generator, expected: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Round each row of expected counts to integers summing to ``sizes``, every cumulative total within 1.

    Systematic rounding with a random offset per row: unbiased, and the number of
    detractors (scores 0-6) and promoters (9-10) of each cell lands within one
    response of its expectation.
    """
    cumulative = np.floor(np.cumsum(expected, axis=1) + rng.random((len(expected), 1)))
    cumulative = np.minimum(cumulative, sizes[:, None])
    cumulative[:, -1] = sizes
    return np.diff(cumulative, axis=1, prepend=0).astype(np.int64)


def _grid_index(location: np.ndarray) -> np.ndarray:
    """Index of the nearest point of the latent grid, so score distributions are looked up, not recomputed."""
    step = _LOCATION_GRID[1] - _LOCATION_GRID[0]
    return np.rint((location - _LOCATION_GRID[0]) / step).astype(np.int64).clip(0, len(_LOCATION_GRID) - 1)


def _assign_scores(rng: np.random.Generator, latent: np.ndarray, location: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Give each row a 0-10 score: per cell, the expected score counts handed out in the order of ``latent``."""
    n_cells = int(cell.max()) + 1 if len(cell) else 0
    grid = len(_LOCATION_GRID)
    rows_at = np.bincount(cell * grid + _grid_index(location), minlength=n_cells * grid).reshape(n_cells, grid)
    counts = _systematic_counts(rng, rows_at @ _GRID_PROBABILITIES, rows_at.sum(axis=1))
    # The latent is a weighted 1-5 rating plus small noise, far inside +-1e4: one sort orders by cell, then latent.
    # Stable, so the (rare) equal keys keep their draw order whatever sort numpy picks for this CPU.
    order = np.argsort(cell * 1e4 + latent, kind="stable")
    scores = np.empty(len(cell), dtype=np.int64)
    scores[order] = np.repeat(np.tile(_SCORE_VALUES, n_cells), counts.ravel())
    return scores


def _ratings(
    rng: np.random.Generator, location: np.ndarray, satisfaction: np.ndarray, shifts: np.ndarray, base: np.ndarray
) -> np.ndarray:
    """Return (n, 4) item ratings 1-5 that move with the latent mean and the respondent's mood."""
    n = len(location)
    raw = (
        base[None, :]
        + 0.55 * (location[:, None] - 7.5)
        + 0.75 * satisfaction[:, None]
        + shifts
        + rng.normal(0.0, 0.65, (n, 4))
    )
    return np.rint(raw).clip(1, 5).astype(np.int8)


_ALPHABET = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)


def _as_bytes(prefix: str, body: np.ndarray) -> np.ndarray:
    """Fixed-width ASCII strings (numpy ``S``) from a prefix and an (n, width) array of byte values."""
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    buffer = np.empty((len(body), len(head) + body.shape[1]), dtype=np.uint8)
    buffer[:, : len(head)] = head
    buffer[:, len(head) :] = body
    return buffer.view(f"S{buffer.shape[1]}").ravel()


def _random_ids(rng: np.random.Generator, n: int, prefix: str, length: int = 15) -> np.ndarray:
    """Survey-tool style opaque ids (``R_`` + base-62), as a numpy bytes array."""
    return _as_bytes(prefix, _ALPHABET[rng.integers(0, 62, (n, length))])


def _serial_ids(prefix: str, serials: np.ndarray, digits: int) -> np.ndarray:
    """Zero-padded numeric ids (``C`` + digits), as a numpy bytes array."""
    powers = 10 ** np.arange(digits - 1, -1, -1, dtype=np.int64)
    return _as_bytes(prefix, (serials[:, None] // powers % 10 + ord("0")).astype(np.uint8))


def _customer_block(
    rng: np.random.Generator, n: int, calendar: _Calendar, *, customer_base: int | None = None
) -> dict[str, np.ndarray]:
    """Draw ``n`` customer responses as arrays of codes and numbers (no strings but the ids)."""
    months = calendar.months
    quarter_of_month = calendar.quarter_of_month()
    shifted = quarter_of_month >= calendar.mix_shift_quarter
    # Fewer answers in August and December, when offices close.
    absolute_month = (calendar.first_month + np.arange(months)) % 12
    season = np.where(np.isin(absolute_month, [7, 11]), 0.85, 1.0)
    volume = season[:, None] * _SEGMENT_SHARE[None, :]
    volume[shifted, 1] *= _B2C_SURGE
    cell = rng.choice(volume.size, size=n, p=(volume / volume.sum()).ravel())
    month, segment = np.divmod(cell, len(SEGMENTS))

    # Repeat respondents: a customer keeps segment, region, plan and language.
    customer = np.empty(n, dtype=np.int64)
    region = np.empty(n, dtype=np.int64)
    plan = np.full(n, -1, dtype=np.int64)
    next_customer = 0
    for s in range(len(SEGMENTS)):
        rows = np.flatnonzero(segment == s)
        counts = np.where(rng.random(len(rows)) < 0.75, 1, 1 + rng.geometric(0.55, len(rows)).clip(1, 5))
        counts = counts[: int(np.searchsorted(np.cumsum(counts), len(rows))) + 1]
        counts[-1] -= counts.sum() - len(rows)
        owners = rng.permutation(np.repeat(np.arange(len(counts)), counts))
        customer_region = rng.choice(len(REGIONS), size=len(counts), p=_REGION_SHARE)
        if _PLAN_SHARE[s].sum() > 0:
            customer_plan = rng.choice(len(PLANS), size=len(counts), p=_PLAN_SHARE[s])
            plan[rows] = customer_plan[owners]
        customer[rows] = next_customer + owners
        region[rows] = customer_region[owners]
        next_customer += len(counts)
    customer_language = _pick(rng, _REGION_LANGUAGE, region[np.unique(customer, return_index=True)[1]])
    language = customer_language[customer]
    if customer_base is None:
        serials = rng.choice(8_999_999, size=next_customer, replace=False) + 1_000_000
        customer_id = _serial_ids("C", serials, 7)[customer]
    else:
        serials = customer_base + rng.permutation(next_customer)
        customer_id = _serial_ids("C", serials, 9)[customer]

    function = _pick(rng, _FUNCTION_SHARE, segment)
    touchpoint = 3 * function + _pick(rng, _TOUCHPOINT_SHARE, function)
    relationship = rng.random(n) < (_RELATIONSHIP_SHARE[touchpoint] + 0.25 * (segment == 2))
    channel_table = np.vstack([_CHANNEL_SHARE, _PHONE_CALL_CHANNELS, _LIVE_CHAT_CHANNELS])
    channel_row = np.select([touchpoint == 4, touchpoint == 5], [3, 4], segment)
    channel = _pick(rng, channel_table, channel_row)

    # A weekday gets about twice the answers of a weekend day (half the weekend
    # draws are redrawn); businesses answer in office hours, consumers into the evening.
    month_starts = calendar.month_starts()
    days_in_month = (month_starts[1:] - month_starts[:-1]).astype(np.int64)
    day = (rng.random((2, n)) * days_in_month[month]).astype(np.int64)
    first_day = month_starts[month]
    weekend = ((first_day + day[0]).astype(np.int64) + 3) % 7 >= 5  # 1970-01-01 was a Thursday
    day = np.where(weekend & (rng.random(n) < 0.5), day[1], day[0])
    hours = np.where(segment == 1, 7 + 16 * rng.beta(2.2, 1.8, n), 8 + 11 * rng.beta(2.5, 2.5, n))
    submitted = (first_day + day).astype("datetime64[s]") + (hours * 3600).astype("timedelta64[s]")

    quarter = quarter_of_month[month]
    nps = (
        _SEGMENT_NPS[segment]
        + _FUNCTION_NPS[function]
        + _REGION_NPS[region]
        + np.where(plan >= 0, _PLAN_NPS[plan.clip(0)], 0.0)
        + _CHANNEL_NPS[channel]
        + _RELATIONSHIP_NPS * relationship
    )
    delivery = function == 2
    dip = delivery & (quarter == _DELIVERY_DIP_QUARTER)
    nps += _DELIVERY_DIP_NPS * dip
    billing = function == 3
    progress = month / max(months - 1, 1)
    nps += billing * (_BILLING_NPS_FROM + (_BILLING_NPS_TO - _BILLING_NPS_FROM) * progress)
    location = _location_for_nps(nps)

    shifts = np.zeros((n, 4))
    shifts[dip, 0] -= 1.1  # the warehouse move shows as slow deliveries
    shifts[billing, 3] -= 0.8 * (1 - progress[billing])  # invoice errors fade as billing is fixed
    ratings = _ratings(rng, location, rng.normal(size=n), shifts, _RATING_BASE)
    latent = (ratings * _RATING_WEIGHTS[function]).sum(axis=1) + rng.normal(0.0, 0.45, n)
    cells = (quarter * len(SEGMENTS) + segment) * len(FUNCTIONS) + function
    score = _assign_scores(rng, latent, location, cells)

    # Responses in the same second keep their draw order: numpy's default sort is not stable and its SIMD
    # variants order ties differently from one CPU to another, which made the committed CSV unreproducible.
    order = np.argsort(submitted.astype(np.int64), kind="stable")
    block = {
        "customer_id": customer_id,
        "submitted_at": submitted,
        "survey_type": relationship.astype(np.int64),
        "channel": channel,
        "language": language,
        "segment": segment,
        "plan": plan,
        "region": region,
        "business_function": function,
        "touchpoint": touchpoint,
        "score": score,
        "ratings": ratings,
        "dip": dip,
    }
    return {name: np.take(values, order, axis=0) for name, values in block.items()}


# ---------------------------------------------------------------------------
# Verbatims
# ---------------------------------------------------------------------------

_T = dict[str, tuple[str, ...]]

_CUSTOMER_THEMES: dict[str, _T] = {
    "late_delivery": {
        "it": (
            "consegna arrivata con {days} giorni di ritardo",
            "il pacco è in ritardo da {days} giorni e il tracking non si aggiorna",
            "ennesimo ritardo nella consegna, nessun avviso",
            "ordine promesso per lunedì e arrivato {days} giorni dopo, un ritardo inaccettabile",
            "corriere in ritardo, ho perso una giornata ad aspettare",
            "la spedizione è sempre in ritardo e nessuno sa dirmi dove sia il pacco",
        ),
        "en": (
            "delivery was {days} days late",
            "my parcel arrived {days} days late and the tracking never moved",
            "another late delivery with no heads-up",
            "promised for Monday, it turned up {days} days late",
            "the courier was late and I wasted a whole day waiting",
            "orders are always late and nobody can tell me where the parcel is",
        ),
        "fr": (
            "livraison arrivée avec {days} jours de retard",
            "colis en retard de {days} jours, le suivi ne bouge pas",
            "encore un retard de livraison sans prévenir",
            "commande promise pour lundi, livrée avec {days} jours de retard",
            "livreur en retard, j'ai perdu ma journée à attendre",
            "toujours du retard et personne ne sait où est mon colis",
        ),
    },
    "damaged_parcel": {
        "it": (
            "pacco arrivato danneggiato",
            "scatola rotta e prodotto rovinato",
            "mancava un articolo nel pacco",
        ),
        "en": (
            "the box arrived damaged",
            "parcel crushed and the product broken",
            "one item was missing from the parcel",
        ),
        "fr": (
            "colis arrivé abîmé",
            "carton écrasé et produit cassé",
            "il manquait un article dans le colis",
        ),
    },
    "billing_error": {
        "it": (
            "fattura sbagliata per la {nth} volta",
            "mi avete addebitato due volte lo stesso importo ({amount_it})",
            "importo in fattura diverso da quello concordato",
            "la fattura di {month_it} era errata e per la nota di credito ci sono volute settimane",
            "addebito non autorizzato di {amount_it}, ancora in attesa del rimborso",
        ),
        "en": (
            "wrong invoice for the {nth_en} time",
            "I was charged twice ({amount_en})",
            "the invoice amount did not match what we agreed",
            "the {month_en} invoice was wrong and the credit note took weeks",
            "unauthorised charge of {amount_en}, still waiting for the refund",
        ),
        "fr": (
            "facture erronée pour la {nth_fr} fois",
            "prélevé deux fois ({amount_fr})",
            "le montant de la facture ne correspond pas au devis",
            "la facture de {month_fr} était fausse et l'avoir a pris des semaines",
            "prélèvement non autorisé de {amount_fr}, toujours pas remboursé",
        ),
    },
    "phone_wait": {
        "it": (
            "{minutes} minuti di attesa al telefono prima di parlare con qualcuno",
            "al numero verde non risponde mai nessuno",
            "attesa infinita al call center, poi la linea è caduta",
            "ho chiamato {calls} volte, sempre {minutes} minuti in coda",
            "nessuna risposta alle email, al telefono un'attesa di {minutes} minuti",
        ),
        "en": (
            "{minutes} minutes on hold before speaking to anyone",
            "nobody ever picks up the phone",
            "endless wait on the helpline and then the call dropped",
            "I called {calls} times and queued {minutes} minutes each time",
            "no reply to emails, and a {minutes} minute wait on the phone",
        ),
        "fr": (
            "{minutes} minutes d'attente au téléphone avant de parler à quelqu'un",
            "personne ne décroche jamais au service client",
            "attente interminable au téléphone puis la ligne a coupé",
            "j'ai appelé {calls} fois, {minutes} minutes d'attente à chaque fois",
            "aucune réponse aux mails et {minutes} minutes d'attente au téléphone",
        ),
    },
    "rude_staff": {
        "it": (
            "operatore scortese e poco preparato",
            "mi hanno passato da un reparto all'altro senza risolvere nulla",
            "risposte vaghe, nessuno si prende la responsabilità",
        ),
        "en": (
            "the agent was rude and clearly untrained",
            "I was passed from one department to another and nothing got fixed",
            "vague answers, nobody takes ownership",
        ),
        "fr": (
            "conseiller désagréable et mal formé",
            "on m'a renvoyé d'un service à l'autre sans rien régler",
            "réponses floues, personne ne prend le problème en charge",
        ),
    },
    "pushy_sales": {
        "it": (
            "il commerciale ha promesso cose che poi non sono state mantenute",
            "venditore troppo insistente",
            "l'offerta iniziale era diversa da quella del contratto",
        ),
        "en": (
            "the sales rep promised things that never materialised",
            "far too pushy on the sales side",
            "the offer I was sold was not what ended up in the contract",
        ),
        "fr": (
            "le commercial a promis des choses qui n'ont jamais été tenues",
            "vendeur beaucoup trop insistant",
            "l'offre présentée n'était pas celle du contrat",
        ),
    },
    "price_value": {
        "it": (
            "troppo caro per quello che offre",
            "prezzo aumentato del {percent}% senza preavviso",
            "rapporto qualità-prezzo deludente",
        ),
        "en": (
            "too expensive for what you get",
            "the price went up {percent}% without notice",
            "poor value for money",
        ),
        "fr": (
            "trop cher pour ce que c'est",
            "prix augmenté de {percent} % sans prévenir",
            "rapport qualité-prix décevant",
        ),
    },
    "app_usability": {
        "it": (
            "l'app si blocca ogni volta che provo a pagare",
            "il sito è lento e confuso, non si trova niente",
            "dopo l'ultimo aggiornamento l'app non funziona più bene",
            "area clienti poco intuitiva",
        ),
        "en": (
            "the app crashes every time I try to pay",
            "the website is slow and confusing, I can't find anything",
            "since the last update the app barely works",
            "the customer portal is not intuitive at all",
        ),
        "fr": (
            "l'appli plante à chaque paiement",
            "le site est lent et confus, on ne trouve rien",
            "depuis la dernière mise à jour l'appli marche mal",
            "espace client pas du tout intuitif",
        ),
    },
    "outage": {
        "it": (
            "servizio fuori uso per {hours} ore senza comunicazioni",
            "un altro disservizio questa settimana",
            "piattaforma irraggiungibile per mezza giornata",
        ),
        "en": (
            "service down for {hours} hours with no communication",
            "yet another outage this week",
            "platform unreachable for half a day",
        ),
        "fr": (
            "service en panne pendant {hours} heures sans aucune communication",
            "encore une panne cette semaine",
            "plateforme inaccessible pendant une demi-journée",
        ),
    },
    "onboarding_confusing": {
        "it": (
            "attivazione complicata, ci sono volute {weeks} settimane",
            "nessuno mi ha spiegato come configurare l'account",
            "la call di onboarding è stata rimandata {calls} volte",
        ),
        "en": (
            "setup was complicated and took {weeks} weeks",
            "nobody explained how to configure the account",
            "the onboarding call was rescheduled {calls} times",
        ),
        "fr": (
            "mise en service compliquée, il a fallu {weeks} semaines",
            "personne ne m'a expliqué comment configurer le compte",
            "l'appel d'accueil a été reporté {calls} fois",
        ),
    },
    "staff_friendly": {
        "it": (
            "{agent_it} è stata gentilissima e competente",
            "personale cordiale e molto preparato",
            "ho parlato con {agent_it}, disponibile e chiaro",
            "assistenza umana e professionale",
            "lo staff è sempre gentile e risolve tutto",
        ),
        "en": (
            "{agent_en} was friendly and really knew the product",
            "staff are helpful and know what they are doing",
            "spoke to {agent_en}, patient and clear",
            "a human, professional service",
            "the team is always kind and sorts everything out",
        ),
        "fr": (
            "{agent_fr} a été très aimable et compétente",
            "équipe sympathique et compétente",
            "j'ai eu {agent_fr}, disponible et claire",
            "un service humain et professionnel",
            "le personnel est toujours agréable et règle tout",
        ),
    },
    "fast_delivery": {
        "it": (
            "consegna puntuale, arrivato in {fast_it}",
            "spedizione velocissima e imballaggio curato",
            "ordinato ieri, ricevuto oggi",
        ),
        "en": (
            "delivered on time, it came in {fast_en}",
            "super fast shipping and careful packaging",
            "ordered yesterday, received today",
        ),
        "fr": (
            "livraison ponctuelle, reçu en {fast_fr}",
            "expédition très rapide et emballage soigné",
            "commandé hier, reçu aujourd'hui",
        ),
    },
    "clear_billing": {
        "it": (
            "fatture chiare e nessuna sorpresa",
            "finalmente la fatturazione è corretta",
            "pagamento semplice, tutto trasparente",
        ),
        "en": (
            "clear invoices and no surprises",
            "billing is finally accurate",
            "paying is easy and everything is transparent",
        ),
        "fr": (
            "factures claires, aucune surprise",
            "la facturation est enfin correcte",
            "paiement simple, tout est transparent",
        ),
    },
    "easy_app": {
        "it": (
            "app semplice e intuitiva",
            "il nuovo sito è molto più comodo",
            "tutto si gestisce dall'app in pochi minuti",
        ),
        "en": (
            "the app is simple and intuitive",
            "the new website is much easier to use",
            "I can manage everything from the app in minutes",
        ),
        "fr": (
            "appli simple et intuitive",
            "le nouveau site est beaucoup plus pratique",
            "je gère tout depuis l'appli en quelques minutes",
        ),
    },
    "smooth_onboarding": {
        "it": (
            "attivazione semplicissima",
            "onboarding chiaro, {agent_it} mi ha seguito passo passo",
            "in un giorno eravamo operativi",
        ),
        "en": (
            "setup was a breeze",
            "clear onboarding, {agent_en} walked me through every step",
            "we were up and running in a day",
        ),
        "fr": (
            "mise en route très simple",
            "accueil clair, {agent_fr} m'a accompagné pas à pas",
            "opérationnels en une journée",
        ),
    },
    "fast_support": {
        "it": (
            "problema risolto al primo contatto",
            "risposta in chat in pochi minuti",
            "assistenza rapida ed efficace",
        ),
        "en": (
            "problem solved on the first call",
            "chat answered within minutes",
            "quick and effective support",
        ),
        "fr": (
            "problème résolu dès le premier appel",
            "réponse sur le chat en quelques minutes",
            "assistance rapide et efficace",
        ),
    },
    "good_value": {
        "it": (
            "ottimo rapporto qualità-prezzo",
            "prodotti di qualità a un prezzo giusto",
            "vale ogni euro",
        ),
        "en": (
            "great value for money",
            "quality products at a fair price",
            "worth every euro",
        ),
        "fr": (
            "excellent rapport qualité-prix",
            "produits de qualité à un prix juste",
            "ça vaut chaque euro",
        ),
    },
    "neutral": {
        "it": (
            "nella media",
            "tutto ok, niente di speciale",
            "servizio corretto",
            "abbastanza soddisfatto",
        ),
        "en": (
            "about average",
            "fine, nothing special",
            "decent service",
            "fairly satisfied",
        ),
        "fr": (
            "dans la moyenne",
            "correct sans plus",
            "service correct",
            "plutôt satisfait",
        ),
    },
}

# Which complaint or praise a function's respondents reach for first, with weights.
_NEGATIVE_THEMES: dict[int, tuple[tuple[str, float], ...]] = {
    0: (("pushy_sales", 0.45), ("price_value", 0.35), ("rude_staff", 0.20)),
    1: (("phone_wait", 0.60), ("rude_staff", 0.30), ("app_usability", 0.10)),
    2: (("late_delivery", 0.70), ("damaged_parcel", 0.20), ("phone_wait", 0.10)),
    3: (("billing_error", 0.70), ("price_value", 0.20), ("phone_wait", 0.10)),
    4: (("app_usability", 0.45), ("outage", 0.35), ("price_value", 0.20)),
    5: (("onboarding_confusing", 0.60), ("app_usability", 0.20), ("rude_staff", 0.20)),
}
_POSITIVE_THEMES: dict[int, tuple[tuple[str, float], ...]] = {
    0: (("staff_friendly", 0.55), ("good_value", 0.45)),
    1: (("staff_friendly", 0.50), ("fast_support", 0.50)),
    2: (("fast_delivery", 0.70), ("staff_friendly", 0.15), ("good_value", 0.15)),
    3: (("clear_billing", 0.55), ("staff_friendly", 0.25), ("good_value", 0.20)),
    4: (("easy_app", 0.50), ("good_value", 0.35), ("staff_friendly", 0.15)),
    5: (("smooth_onboarding", 0.60), ("staff_friendly", 0.40)),
}

_DIP_COMPLAINTS = (("late_delivery", 0.9), ("phone_wait", 0.1))
_PASSIVE_PRAISE = (("neutral", 0.45), ("staff_friendly", 0.30), ("good_value", 0.25))
_CONTRADICTS = {"staff_friendly": "rude_staff", "good_value": "price_value"}

_OPENERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("it", "neg"): ("", "", "Purtroppo ", "Sinceramente ", "Che delusione: ", "Ancora una volta ", "Male. "),
    ("en", "neg"): ("", "", "Unfortunately ", "Honestly, ", "Really disappointed: ", "Once again ", "Not happy. "),
    ("fr", "neg"): ("", "", "Malheureusement ", "Franchement, ", "Déçu : ", "Encore une fois ", "Pas content. "),
    ("it", "pos"): ("", "", "Bravi! ", "Tutto perfetto: ", "Devo dire che ", "Come sempre ", "Esperienza top, "),
    ("en", "pos"): ("", "", "Well done! ", "All perfect: ", "I have to say ", "As always ", "Great experience, "),
    ("fr", "pos"): ("", "", "Bravo ! ", "Parfait : ", "Je dois dire que ", "Comme toujours ", "Super expérience, "),
}
_CLOSERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("it", "neg"): (".", ".", "!", "!!", ". Pessimo.", ". Valuterò altri fornitori.", "... così non va.", ""),
    ("en", "neg"): (".", ".", "!", "!!", ". Not good enough.", ". Thinking about switching.", "... unacceptable.", ""),
    ("fr", "neg"): (".", ".", " !", " !!", ". Pas sérieux.", ". Je vais voir ailleurs.", "... inadmissible.", ""),
    ("it", "pos"): (".", "!", "!", ", grazie!", ". Continuate così!", ". Consigliato.", " grazie mille", ""),
    ("en", "pos"): (".", "!", "!", ", thanks!", ". Keep it up!", ". Highly recommend.", " thank you", ""),
    ("fr", "pos"): (".", " !", " !", ", merci !", ". Continuez comme ça !", ". Je recommande.", " merci beaucoup", ""),
}
_BUT = {"it": ("ma", "però", "anche se"), "en": ("but", "though", "even if"), "fr": ("mais", "par contre", "même si")}
_ALSO = {"it": ("Inoltre", "E poi", "Anche"), "en": ("Also", "And", "On top of that"), "fr": ("En plus", "Et", "De plus")}
_EMOJI_NEG = ("😡", "👎", "😤", "🙄", "😞")
_EMOJI_POS = ("😊", "👍", "🙏", "⭐⭐⭐⭐⭐", "💯", "❤️", "🚚💨")

_SLOTS: dict[str, tuple[str, ...]] = {
    "days": tuple(str(d) for d in range(2, 13)),
    "minutes": tuple(str(m) for m in range(20, 100, 5)),
    "hours": tuple(str(h) for h in range(2, 10)),
    "weeks": tuple(str(w) for w in range(2, 7)),
    "calls": ("3", "4", "5", "6"),
    "percent": ("10", "12", "15", "20", "25"),
    "nth": ("seconda", "terza", "quarta"),
    "nth_en": ("second", "third", "fourth"),
    "nth_fr": ("deuxième", "troisième", "quatrième"),
    "amount_it": ("€ 49,90", "€ 129,00", "€ 89,50", "€ 312,40", "€ 24,99"),
    "amount_en": ("€49.90", "€129.00", "€89.50", "€312.40", "€24.99"),
    "amount_fr": ("49,90 €", "129,00 €", "89,50 €", "312,40 €", "24,99 €"),
    "month_it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "settembre", "ottobre"),
    "month_en": ("January", "February", "March", "April", "May", "June", "September", "October"),
    "month_fr": ("janvier", "février", "mars", "avril", "mai", "juin", "septembre", "octobre"),
    "agent_it": ("Giulia", "Francesca", "Chiara", "Sara", "Elena", "Martina"),
    "agent_en": ("Emma", "James", "Sophie", "Tom", "Olivia", "Daniel"),
    "agent_fr": ("Camille", "Claire", "Julie", "Léa", "Manon", "Sarah"),
    "fast_it": ("24 ore", "due giorni", "un giorno"),
    "fast_en": ("24 hours", "two days", "a day"),
    "fast_fr": ("24 heures", "deux jours", "un jour"),
}
_SLOT = re.compile(r"\{(\w+)\}")

_PII = {
    "it": (" Potete richiamarmi al {phone}.", " Scrivetemi a {email} per favore."),
    "en": (" Please call me back on {phone}.", " You can reach me at {email}."),
    "fr": (" Rappelez-moi au {phone} svp.", " Écrivez-moi à {email}."),
}
_PII_NAMES = ("giulia.rossi", "m.bianchi", "luca.ferrari", "sophie.martin", "j.dupont", "tom.baker", "a.moreau")


class _Verbatims:
    """Writes free-text answers from a theme bank with one numpy generator."""

    def __init__(
        self,
        rng: np.random.Generator,
        themes: dict[str, _T],
        openers: dict[tuple[str, str], tuple[str, ...]] = _OPENERS,
        closers: dict[tuple[str, str], tuple[str, ...]] = _CLOSERS,
    ) -> None:
        self.rng = rng
        self.themes = themes
        self.openers = openers
        self.closers = closers

    def choose(self, options: Sequence[str]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def weighted(self, options: tuple[tuple[str, float], ...]) -> str:
        names = [name for name, _ in options]
        weights = np.array([w for _, w in options])
        return names[int(self.rng.choice(len(names), p=weights / weights.sum()))]

    def core(self, theme: str, language: str) -> str:
        text = self.choose(self.themes[theme][language])
        return _SLOT.sub(lambda m: self.choose(_SLOTS[m.group(1)]), text)

    def sentence(self, theme: str, language: str, tone: str) -> str:
        opener = self.choose(self.openers[(language, tone)])
        closer = self.choose(self.closers[(language, tone)])
        core = self.core(theme, language)
        if not opener or opener.endswith((". ", "! ")):
            core = core[0].upper() + core[1:]
        elif opener.endswith("que ") and core[0] in "aeiouéèêh":
            opener = opener[:-2] + "'"
        return opener + core + closer

    def decorate(self, text: str, language: str, tone: str, pii_rate: float) -> str:
        """Add the noise of real answers: typos, shouting, lower case, emoji, now and then contact details."""
        rng = self.rng
        if rng.random() < 0.08:
            text = _typo(text, rng)
        roll = rng.random()
        if roll < 0.02 and tone == "neg":
            text = text.upper()
        elif roll < 0.14:
            text = text.lower()
        if rng.random() < (0.09 if tone == "pos" else 0.06):
            text = f"{text} {self.choose(_EMOJI_POS if tone == 'pos' else _EMOJI_NEG)}"
        if rng.random() < pii_rate:
            name = self.choose(_PII_NAMES)
            digits = rng.integers(0, 10, 6)
            phone = {
                "it": f"+39 347 55{digits[0]} {digits[1]}{digits[2]}{digits[3]}{digits[4]}",
                "en": f"+44 7700 900{digits[0]}{digits[1]}{digits[2]}",
                "fr": f"06 39 98 {digits[0]}{digits[1]} {digits[2]}{digits[3]}",
            }[language]
            email = f"{name}@example.{self.choose(('com', 'org', 'net'))}"
            text += self.choose(_PII[language]).format(phone=phone, email=email)
        return text

    def customer(
        self, function: int, category: int, language: str, *, low_price: bool, dip: bool, pii_rate: float
    ) -> str:
        """A customer's comment given function, category (0 detractor .. 2 promoter) and language.

        ``low_price`` (a poor price rating) makes price complaints likelier; ``dip``
        (a delivery in the dip quarter) makes lateness the complaint.
        """
        rng = self.rng
        complaints = _DIP_COMPLAINTS if dip else _NEGATIVE_THEMES[function]
        if category == 0:
            theme = "price_value" if low_price and rng.random() < 0.3 else self.weighted(complaints)
            text = self.sentence(theme, language, "neg")
            if rng.random() < 0.2:
                other = self.weighted(_NEGATIVE_THEMES[int(rng.integers(6))])
                if other != theme:
                    text = f"{text.rstrip('.! ')}. {self.choose(_ALSO[language])} {self.core(other, language)}."
            tone = "neg"
        elif category == 2:
            text = self.sentence(self.weighted(_POSITIVE_THEMES[function]), language, "pos")
            if rng.random() < 0.15:
                text = f"{text.rstrip('.! ')}. {self.core('staff_friendly', language).capitalize()}."
            tone = "pos"
        else:
            # Passives: a lukewarm compliment, often with a "but" from the function's complaints.
            praise = self.weighted(_PASSIVE_PRAISE)
            positive = self.core(praise, language)
            complaints = tuple(t for t in complaints if t[0] != _CONTRADICTS.get(praise))
            if rng.random() < 0.55:
                negative = self.core(self.weighted(complaints), language)
                text = f"{positive[0].upper()}{positive[1:]}, {self.choose(_BUT[language])} {negative}."
            else:
                text = f"{positive[0].upper()}{positive[1:]}."
            tone = "pos" if rng.random() < 0.5 else "neg"
        return self.decorate(text, language, tone, pii_rate)


def _typo(text: str, rng: np.random.Generator) -> str:
    """Misspell one longer word: swap, drop or double a letter."""
    words = [m for m in re.finditer(r"[^\W\d_]{5,}", text)]
    if not words:
        return text
    word = words[int(rng.integers(len(words)))]
    i = word.start() + int(rng.integers(1, len(word.group()) - 1))
    kind = int(rng.integers(3))
    if kind == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


_BLANK_RATE = np.array([0.20, 0.36, 0.36])  # detractors write the most
_PII_RATE = 0.005


def _category(score: np.ndarray) -> np.ndarray:
    """0 detractor (0-6), 1 passive (7-8), 2 promoter (9-10): the index in :data:`nps.domain.CATEGORIES`."""
    return np.where(score >= domain.PROMOTER_MIN, 2, np.where(score >= domain.PASSIVE_MIN, 1, 0))


def _customer_comments(rng: np.random.Generator, block: dict[str, np.ndarray]) -> list[str | None]:
    """One comment (or None for a blank) per response, its theme following score and function."""
    writer = _Verbatims(rng, _CUSTOMER_THEMES)
    category = _category(block["score"])
    blank = rng.random(len(category)) < _BLANK_RATE[category]
    low_price = block["ratings"][:, 2] <= 2
    dip = block["dip"]
    comments: list[str | None] = []
    for i in range(len(category)):
        if blank[i]:
            comments.append(None)
            continue
        comments.append(
            writer.customer(
                int(block["business_function"][i]),
                int(category[i]),
                LANGUAGES[block["language"][i]],
                low_price=bool(low_price[i]),
                dip=bool(dip[i]),
                pii_rate=_PII_RATE,
            )
        )
    return comments


# ---------------------------------------------------------------------------
# Customers: the public generator
# ---------------------------------------------------------------------------


def _labels(codes: np.ndarray, names: Sequence[str]) -> pd.Series:
    """Strings for codes; code -1 becomes a missing value."""
    categories = pd.Categorical.from_codes(codes, categories=list(names))
    return pd.Series(categories).astype("str")


def generate_customers(
    n: int = 24_000, *, seed: int = 42, start: dt.date = dt.date(2024, 11, 1), months: int = 24
) -> pd.DataFrame:
    """Return ``n`` customer NPS survey responses spread over ``months`` months from ``start``.

    Columns are :data:`CUSTOMER_COLUMNS`, one row per response in time order:
    ``submitted_at`` is a datetime (second resolution), the score column (headed by
    the NPS question) holds integers 0-10, the ``rating_*`` columns integers 1-5,
    ``plan`` is missing for partners and investors and ``comment`` for about 30% of
    answers. The planted stories are described in this module's docstring. The
    same ``seed`` always gives the same frame. Raises ``ValueError`` when ``n`` or
    ``months`` is not positive.
    """
    if n < 1 or months < 1:
        raise ValueError(f"n and months must be positive, got n={n}, months={months}")
    rng = np.random.default_rng(seed)
    block = _customer_block(rng, n, _Calendar(start, months))
    comments = _customer_comments(rng, block)
    return _customer_frame(rng, block, comments)


def _customer_frame(rng: np.random.Generator, block: dict[str, np.ndarray], comments: list[str | None]) -> pd.DataFrame:
    """Turn a block of codes into the export's columns."""
    n = len(block["score"])
    frame = pd.DataFrame(
        {
            "response_id": pd.Series(_random_ids(rng, n, "R_")).str.decode("ascii").astype("str"),
            "customer_id": pd.Series(block["customer_id"]).str.decode("ascii").astype("str"),
            "submitted_at": pd.Series(block["submitted_at"]),
            "survey_type": _labels(block["survey_type"], SURVEY_TYPES),
            "channel": _labels(block["channel"], CHANNELS),
            "language": _labels(block["language"], LANGUAGES),
            "segment": _labels(block["segment"], SEGMENTS),
            "plan": _labels(block["plan"], PLANS),
            "region": _labels(block["region"], REGIONS),
            "business_function": _labels(block["business_function"], FUNCTIONS),
            "touchpoint": _labels(block["touchpoint"], [t for f in FUNCTIONS for t in TOUCHPOINTS[f]]),
            SCORE_COLUMN: block["score"],
        }
    )
    for j, name in enumerate(RATING_COLUMNS):
        frame[name] = block["ratings"][:, j].astype(np.int64)
    frame["comment"] = pd.Series(comments, dtype="str")
    return frame


# ---------------------------------------------------------------------------
# Employees (eNPS)
# ---------------------------------------------------------------------------

_LEVEL_SHARE = np.array([0.72, 0.23, 0.05])
_LEVEL_NPS = np.array([-12.0, 14.0, 45.0])
_DEPARTMENT_SHARE = np.array([0.30, 0.22, 0.15, 0.10, 0.15, 0.08])
_DEPARTMENT_NPS = np.array([-4.0, -6.0, 4.0, 2.0, 8.0, 5.0])
_SITE_SHARE = np.array([0.28, 0.14, 0.14, 0.20, 0.12, 0.12])
_SITE_LANGUAGE = np.array(
    [
        [0.90, 0.10, 0.00],
        [0.92, 0.08, 0.00],
        [0.95, 0.05, 0.00],
        [0.00, 0.12, 0.88],
        [0.00, 0.10, 0.90],
        [0.30, 0.50, 0.20],
    ]
)
_TENURE_SHARE = np.array([0.20, 0.35, 0.20, 0.25])
_TENURE_NPS = np.array([10.0, -3.0, -6.0, 2.0])
_OPERATIONS_DIP_NPS = -30.0
# Weights of workload, manager, pay, colleagues in the score, per level.
_EMPLOYEE_WEIGHTS = np.array(
    [
        [0.30, 0.25, 0.30, 0.15],
        [0.30, 0.30, 0.20, 0.20],
        [0.25, 0.20, 0.15, 0.40],
    ]
)
_EMPLOYEE_RATING_BASE = np.array([3.0, 3.5, 2.9, 3.9])

_EMPLOYEE_THEMES: dict[str, _T] = {
    "workload_neg": {
        "it": (
            "carichi di lavoro insostenibili",
            "troppi straordinari negli ultimi mesi",
            "siamo sotto organico da {weeks} mesi e nessuno interviene",
            "turni pesanti e ferie bloccate",
        ),
        "en": (
            "the workload is unsustainable",
            "far too much overtime these past months",
            "we have been understaffed for {weeks} months and nothing changes",
            "heavy shifts and leave keeps getting blocked",
        ),
        "fr": (
            "charge de travail intenable",
            "beaucoup trop d'heures supplémentaires ces derniers mois",
            "sous-effectif depuis {weeks} mois et rien ne bouge",
            "horaires lourds et congés refusés",
        ),
    },
    "manager_neg": {
        "it": (
            "il mio responsabile non ascolta",
            "decisioni calate dall'alto senza spiegazioni",
            "nessun feedback dal management",
        ),
        "en": (
            "my manager does not listen",
            "decisions come from the top with no explanation",
            "no feedback at all from management",
        ),
        "fr": (
            "mon manager n'écoute pas",
            "des décisions imposées d'en haut sans explication",
            "aucun retour de la direction",
        ),
    },
    "pay_neg": {
        "it": (
            "stipendio fermo da anni",
            "retribuzione sotto la media del settore",
            "nessun riconoscimento economico per l'impegno",
        ),
        "en": (
            "pay has not moved in years",
            "salaries are below the market",
            "no financial recognition for the extra effort",
        ),
        "fr": (
            "salaire bloqué depuis des années",
            "rémunération en dessous du marché",
            "aucune reconnaissance financière des efforts",
        ),
    },
    "colleagues_neg": {
        "it": ("clima teso nel team", "poca collaborazione tra reparti"),
        "en": ("tense atmosphere in the team", "little cooperation between departments"),
        "fr": ("ambiance tendue dans l'équipe", "peu de collaboration entre services"),
    },
    "workload_pos": {
        "it": ("carico di lavoro equilibrato", "orari flessibili e smart working ben gestito"),
        "en": ("a balanced workload", "flexible hours and remote work that works"),
        "fr": ("charge de travail équilibrée", "horaires flexibles et télétravail bien organisé"),
    },
    "manager_pos": {
        "it": ("manager presente e disponibile", "il mio responsabile mi fa crescere"),
        "en": ("my manager is supportive and available", "my manager really helps me grow"),
        "fr": ("manager présent et disponible", "mon manager m'aide vraiment à progresser"),
    },
    "pay_pos": {
        "it": ("retribuzione giusta e buon welfare", "bonus chiari e meritati"),
        "en": ("fair pay and good benefits", "clear, well-earned bonuses"),
        "fr": ("salaire correct et bons avantages", "primes claires et méritées"),
    },
    "colleagues_pos": {
        "it": ("colleghi fantastici", "un team unito che si aiuta sempre", "bel clima in ufficio"),
        "en": ("great colleagues", "a close team that always helps each other", "good atmosphere at the office"),
        "fr": ("des collègues géniaux", "une équipe soudée qui s'entraide", "bonne ambiance au bureau"),
    },
    "neutral": _CUSTOMER_THEMES["neutral"],
}
_EMPLOYEE_TOPICS = ("workload", "manager", "pay", "colleagues")
_EMPLOYEE_OPENERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("it", "neg"): ("", "", "Sinceramente ", "Purtroppo ", "Da mesi "),
    ("en", "neg"): ("", "", "Honestly, ", "Sadly ", "For months now "),
    ("fr", "neg"): ("", "", "Franchement, ", "Malheureusement ", "Depuis des mois "),
    ("it", "pos"): ("", "", "Nel complesso ", "Qui ci sono "),
    ("en", "pos"): ("", "", "Overall ", "Here you get "),
    ("fr", "pos"): ("", "", "Dans l'ensemble ", "Ici il y a "),
}
_EMPLOYEE_CLOSERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("it", "neg"): (".", ".", "!", ". Così non si va avanti.", ". Sto guardando altre offerte.", ""),
    ("en", "neg"): (".", ".", "!", ". Something has to change.", ". I am looking elsewhere.", ""),
    ("fr", "neg"): (".", ".", " !", ". Il faut que ça change.", ". Je regarde ailleurs.", ""),
    ("it", "pos"): (".", "!", ". Sono contento di lavorare qui.", ""),
    ("en", "pos"): (".", "!", ". Glad to work here.", ""),
    ("fr", "pos"): (".", " !", ". Content de travailler ici.", ""),
}


def _employee_comments(
    rng: np.random.Generator, score: np.ndarray, ratings: np.ndarray, language: np.ndarray
) -> list[str | None]:
    """One comment (or None) per employee: detractors on their worst-rated topic, promoters on their best."""
    writer = _Verbatims(rng, _EMPLOYEE_THEMES, _EMPLOYEE_OPENERS, _EMPLOYEE_CLOSERS)
    category = _category(score)
    blank = rng.random(len(score)) < np.array([0.30, 0.45, 0.45])[category]
    comments: list[str | None] = []
    for i in range(len(score)):
        if blank[i]:
            comments.append(None)
            continue
        lang = LANGUAGES[language[i]]
        # A little noise breaks ties between equally rated topics.
        jittered = ratings[i] + rng.random(4) * 0.5
        if category[i] == 0:
            topic = _EMPLOYEE_TOPICS[int(np.argmin(jittered))]
            text, tone = writer.sentence(f"{topic}_neg", lang, "neg"), "neg"
        elif category[i] == 2:
            topic = _EMPLOYEE_TOPICS[int(np.argmax(jittered))]
            text, tone = writer.sentence(f"{topic}_pos", lang, "pos"), "pos"
        else:
            best = int(np.argmax(jittered))
            worst = int(np.argmin(np.where(np.arange(4) == best, 99, jittered)))
            good = writer.core(f"{_EMPLOYEE_TOPICS[best]}_pos", lang)
            bad = writer.core(f"{_EMPLOYEE_TOPICS[worst]}_neg", lang)
            text, tone = f"{good[0].upper()}{good[1:]}, {writer.choose(_BUT[lang])} {bad}.", "neg"
        comments.append(writer.decorate(text, lang, tone, 0.0))
    return comments


def generate_employees(
    n: int = 1_500,
    *,
    seed: int = 43,
    start: dt.date = dt.date(2024, 11, 1),
    waves: int = 8,
    company: str = COMPANY,
) -> pd.DataFrame:
    """Return ``n`` anonymous employee eNPS responses over ``waves`` quarterly waves from ``start``.

    Columns: ``response_id``, ``submitted_at`` (datetime), ``wave`` (the calendar
    quarter of the fieldwork, e.g. ``2025-Q3``), ``level``, ``department``,
    ``site``, ``tenure``, ``language``, the score column headed by
    :func:`employee_score_column` (integers 0-10), the ``rating_*`` columns of
    :data:`EMPLOYEE_RATING_COLUMNS` (1-5) and ``comment`` (about 40% blank). Front
    line scores lowest and executives highest; Operations & logistics dips in the
    wave that falls in the customers' Delivery dip quarter. Raises ``ValueError``
    when ``n`` or ``waves`` is not positive.
    """
    if n < 1 or waves < 1:
        raise ValueError(f"n and waves must be positive, got n={n}, waves={waves}")
    rng = np.random.default_rng(seed)
    calendar = _Calendar(start, 3 * waves)
    wave = np.sort(rng.choice(waves, size=n, p=np.linspace(0.9, 1.1, waves) / np.linspace(0.9, 1.1, waves).sum()))
    level = rng.choice(len(LEVELS), size=n, p=_LEVEL_SHARE)
    department = rng.choice(len(DEPARTMENTS), size=n, p=_DEPARTMENT_SHARE)
    site = rng.choice(len(SITES), size=n, p=_SITE_SHARE)
    tenure = rng.choice(len(TENURES), size=n, p=_TENURE_SHARE)
    language = _pick(rng, _SITE_LANGUAGE, site)

    month_starts = calendar.month_starts()
    # Each wave is two weeks of fieldwork from the wave's first month.
    opened = month_starts[3 * wave] + 7
    seconds = rng.integers(0, 14 * 86_400, n)
    submitted = opened.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    quarter = calendar.quarter_of_month()[3 * wave]
    absolute_quarter = calendar.first_month // 3 + quarter
    wave_label = np.array([f"{q // 4}-Q{q % 4 + 1}" for q in absolute_quarter])

    nps = _LEVEL_NPS[level] + _DEPARTMENT_NPS[department] + _TENURE_NPS[tenure] + 1.5 * wave
    dip = (department == 0) & (quarter == _DELIVERY_DIP_QUARTER)
    nps += _OPERATIONS_DIP_NPS * dip
    location = _location_for_nps(nps)
    shifts = np.zeros((n, 4))
    shifts[dip, 0] -= 1.2  # the warehouse move lands on the operations staff as workload
    shifts[:, 2] -= 0.4 * (level == 0)  # pay is the front line's sore point
    ratings = _ratings(rng, location, rng.normal(size=n), shifts, _EMPLOYEE_RATING_BASE)
    latent = (ratings * _EMPLOYEE_WEIGHTS[level]).sum(axis=1) + rng.normal(0.0, 0.45, n)
    score = _assign_scores(rng, latent, location, wave * len(LEVELS) + level)

    comments = _employee_comments(rng, score, ratings, language)

    order = np.argsort(submitted, kind="stable")
    frame = pd.DataFrame(
        {
            "response_id": pd.Series(_random_ids(rng, n, "E_", 12)).str.decode("ascii").astype("str"),
            "submitted_at": pd.Series(submitted[order]),
            "wave": pd.Series(wave_label[order]).astype("str"),
            "level": _labels(level[order], LEVELS),
            "department": _labels(department[order], DEPARTMENTS),
            "site": _labels(site[order], SITES),
            "tenure": _labels(tenure[order], TENURES),
            "language": _labels(language[order], LANGUAGES),
            employee_score_column(company): score[order],
        }
    )
    for j, name in enumerate(EMPLOYEE_RATING_COLUMNS):
        frame[name] = ratings[order, j].astype(np.int64)
    frame["comment"] = pd.Series([comments[i] for i in order], dtype="str")
    return frame


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as UTF-8, comma-separated, minimally quoted, with ``\\n`` line ends."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", date_format=TIMESTAMP_FORMAT)


def write_samples(outdir: str | Path) -> list[Path]:
    """Write the bundled sample files into ``outdir`` (created if needed) and return their paths.

    Writes :data:`CUSTOMERS_FILE` (``generate_customers()``) and
    :data:`EMPLOYEES_FILE` (``generate_employees()``) with the default seeds, so the
    result is byte-identical on every run.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = [outdir / CUSTOMERS_FILE, outdir / EMPLOYEES_FILE]
    _write_csv(generate_customers(), paths[0])
    _write_csv(generate_employees(), paths[1])
    return paths


_POOL_PER_KEY = 160


def _comment_pool(rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """Pre-written comments for every function x category x language, ``_POOL_PER_KEY`` of each.

    Returns the strings and, per key ``(function * 3 + category) * 3 + language``,
    the index of its first string.
    """
    writer = _Verbatims(rng, _CUSTOMER_THEMES)
    pool: list[str] = []
    for function in range(len(FUNCTIONS)):
        for category in range(3):
            for language in LANGUAGES:
                pool.extend(
                    writer.customer(
                        function, category, language, low_price=bool(rng.random() < 0.3), dip=False, pii_rate=_PII_RATE
                    )
                    for _ in range(_POOL_PER_KEY)
                )
    return pool, np.arange(0, len(pool), _POOL_PER_KEY)


def _large_batches(rows: int, seed: int, chunk: int) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The schema of the large file and a generator of its record batches, ``chunk`` rows at a time."""
    rng = np.random.default_rng(seed)
    calendar = _Calendar(dt.date(2024, 11, 1), 24)
    pool_strings, pool_start = _comment_pool(rng)
    pool = pa.array(pool_strings, type=pa.string())
    touchpoints = [t for f in FUNCTIONS for t in TOUCHPOINTS[f]]
    vocabularies = {
        "survey_type": SURVEY_TYPES,
        "channel": CHANNELS,
        "language": LANGUAGES,
        "segment": SEGMENTS,
        "plan": PLANS,
        "region": REGIONS,
        "business_function": FUNCTIONS,
        "touchpoint": touchpoints,
    }
    dictionaries = {name: pa.array(list(values), type=pa.string()) for name, values in vocabularies.items()}
    fields = [pa.field("response_id", pa.string()), pa.field("customer_id", pa.string())]
    # DuckDB applies TIMESTAMPFORMAT to microsecond timestamps only.
    fields.append(pa.field("submitted_at", pa.timestamp("us")))
    fields += [pa.field(name, pa.dictionary(pa.int8(), pa.string())) for name in vocabularies]
    fields += [pa.field(name, pa.int8()) for name in (SCORE_COLUMN, *RATING_COLUMNS)]
    fields.append(pa.field("comment", pa.dictionary(pa.int32(), pa.string())))
    schema = pa.schema(fields)

    def batches() -> Iterator[pa.RecordBatch]:
        for number, first in enumerate(range(0, rows, chunk)):
            size = min(chunk, rows - first)
            # Customer serials never collide across chunks: a chunk has at most `chunk` customers.
            block = _customer_block(rng, size, calendar, customer_base=100_000_000 + number * chunk)
            category = _category(block["score"])
            key = (block["business_function"] * 3 + category) * 3 + block["language"]
            picked = pool_start[key] + rng.integers(0, _POOL_PER_KEY, size)
            blank = rng.random(size) < _BLANK_RATE[category]
            columns: list[pa.Array] = [
                pa.array(_random_ids(rng, size, "R_")).cast(pa.string()),
                pa.array(block["customer_id"]).cast(pa.string()),
                pa.array(block["submitted_at"].astype("datetime64[us]"), type=pa.timestamp("us")),
            ]
            for name in vocabularies:
                codes = block[name]
                indices = pa.array(codes.clip(0).astype(np.int8), mask=codes < 0)
                columns.append(pa.DictionaryArray.from_arrays(indices, dictionaries[name]))
            columns.append(pa.array(block["score"].astype(np.int8)))
            columns += [pa.array(block["ratings"][:, j].astype(np.int8)) for j in range(len(RATING_COLUMNS))]
            columns.append(pa.DictionaryArray.from_arrays(pa.array(picked.astype(np.int32), mask=blank), pool))
            yield pa.RecordBatch.from_arrays(columns, schema=schema)

    return schema, batches()


def _prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items``, computed up to ``depth`` ahead in a worker thread.

    DuckDB pulls one batch at a time and writes while it waits for the next;
    computing the next batch meanwhile keeps both cores busy. There is one
    producer, so the order, hence the file, stays deterministic.
    """
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(kind: str, value: Any) -> None:
        # Time out now and then so the worker notices a consumer that gave up.
        while not stop.is_set():
            try:
                queue.put((kind, value), timeout=0.2)
                return
            except Full:
                continue

    def produce() -> None:
        try:
            for item in items:
                hand_over("item", item)
                if stop.is_set():
                    return
        except BaseException as error:  # re-raised in the consumer's thread
            hand_over("error", error)
        else:
            hand_over("done", None)

    worker = threading.Thread(target=produce, name="sample-batches", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = queue.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        worker.join()


def write_large_csv(path: str | Path, rows: int, *, seed: int = 7, chunk: int = 500_000) -> Path:
    """Write a customers-like CSV of ``rows`` responses to ``path`` quickly, in bounded memory; return the path.

    Same columns, vocabularies, score model and CSV dialect as
    :func:`generate_customers` (24 months from November 2024; the planted score
    stories included), but generated ``chunk`` rows at a time with vectorised
    numpy, comments drawn from a pool of pre-written strings, and streamed to
    DuckDB's CSV writer while the next chunk is computed. Each chunk is a
    self-contained sample of the whole period, so rows are in time order within a
    chunk only, and customer ids have nine digits. Peak memory is about 0.6 GB at
    the default ``chunk`` whatever ``rows`` is; 10 million rows take about 20 s on
    two cores. Raises ``ValueError`` when ``rows`` or ``chunk`` is not positive.
    """
    if rows < 1 or chunk < 1:
        raise ValueError(f"rows and chunk must be positive, got rows={rows}, chunk={chunk}")
    path = Path(path)
    schema, batches = _large_batches(rows, seed, chunk)
    # One DuckDB thread writes while ours generates: more threads only buffer more rows to keep their order.
    connection = duckdb.connect(config={"threads": 1})
    try:
        sql.execute(connection, "SET enable_progress_bar = false")  # a library draws no bar on stderr
        connection.register("large_customers", pa.RecordBatchReader.from_batches(schema, _prefetched(batches)))
        sql.execute(
            connection,
            f"COPY {sql.table('large_customers')} TO ? "
            f"(HEADER, DELIMITER ',', TIMESTAMPFORMAT '{TIMESTAMP_FORMAT}')",
            [str(path)],
        )
    finally:
        connection.close()
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m nps.sample OUTDIR`` writes the sample files; ``--rows N`` a large file."""
    parser = argparse.ArgumentParser(prog="python -m nps.sample", description="Write Passaparola's sample data.")
    parser.add_argument("outdir", type=Path, help="folder to write the sample CSV files into")
    parser.add_argument("--rows", type=int, help="instead, write a customers-like CSV of this many rows")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    if args.rows:
        args.outdir.mkdir(parents=True, exist_ok=True)
        paths = [write_large_csv(args.outdir / f"large_customers_{args.rows}.csv", args.rows)]
    else:
        paths = write_samples(args.outdir)
    for path in paths:
        print(f"{path}  {path.stat().st_size / 1e6:.1f} MB")
    print(f"{time.perf_counter() - began:.1f} s")
    return 0

