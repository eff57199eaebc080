"""The customer NPS export: who answers, when, what they score and what they write.

The planted stories are described in :mod:`nps.sample`'s docstring.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from nps.sample.accounts import add_accounts
from nps.sample.comments import Verbatims, customer_themes
from nps.sample.model import (
    _assign_scores,
    _Calendar,
    _category,
    _labels,
    _location_for_nps,
    _pick,
    _random_ids,
    _ratings,
    _serial_ids,
)
from nps.sample.vocab import (
    CHANNELS,
    CUSTOMER_COLUMNS,
    FUNCTIONS,
    LANGUAGES,
    PLANS,
    RATING_COLUMNS,
    REGIONS,
    SCORE_COLUMN,
    SEGMENTS,
    SURVEY_TYPES,
    TOUCHPOINTS,
)

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


_BLANK_RATE = np.array([0.20, 0.36, 0.36])  # detractors write the most
_PII_RATE = 0.005


def _customer_comments(rng: np.random.Generator, block: dict[str, np.ndarray]) -> list[str | None]:
    """One comment (or None for a blank) per response, its theme following score and function."""
    writer = Verbatims(rng, customer_themes())
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


def generate_customers(
    n: int = 24_000, *, seed: int = 42, start: dt.date = dt.date(2024, 11, 1), months: int = 24
) -> pd.DataFrame:
    """Return ``n`` customer NPS survey responses spread over ``months`` months from ``start``.

    Columns are :data:`CUSTOMER_COLUMNS`, one row per response in time order:
    ``submitted_at`` is a datetime (second resolution), the score column (headed by
    the NPS question) holds integers 0-10, the ``rating_*`` columns integers 1-5,
    ``plan`` is missing for partners and investors and ``comment`` for about 30% of
    answers; ``company``, ``contact_role`` and ``annual_revenue_eur`` are filled on B2B
    rows only (:mod:`nps.sample.accounts`). The planted stories are described in this module's docstring. The
    same ``seed`` always gives the same frame. Raises ``ValueError`` when ``n`` or
    ``months`` is not positive.
    """
    if n < 1 or months < 1:
        raise ValueError(f"n and months must be positive, got n={n}, months={months}")
    rng = np.random.default_rng(seed)
    block = _customer_block(rng, n, _Calendar(start, months))
    comments = _customer_comments(rng, block)
    frame = add_accounts(_customer_frame(rng, block, comments), seed=seed, segment=SEGMENTS[0], regions=REGIONS,
                         score_column=SCORE_COLUMN)
    return frame[list(CUSTOMER_COLUMNS)]


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
