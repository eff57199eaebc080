"""The employee eNPS export: quarterly waves of anonymous answers by level, department, site and tenure."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from nps.sample.comments import _BUT, EMPLOYEE_CLOSERS, EMPLOYEE_OPENERS, Verbatims, employee_themes
from nps.sample.customers import _DELIVERY_DIP_QUARTER
from nps.sample.model import (
    _assign_scores,
    _Calendar,
    _category,
    _labels,
    _location_for_nps,
    _pick,
    _random_ids,
    _ratings,
)
from nps.sample.vocab import (
    COMPANY,
    DEPARTMENTS,
    EMPLOYEE_RATING_COLUMNS,
    LANGUAGES,
    LEVELS,
    SITES,
    TENURES,
    employee_score_column,
)

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
_EMPLOYEE_TOPICS = ("workload", "manager", "pay", "colleagues")


def _employee_comments(
    rng: np.random.Generator, score: np.ndarray, ratings: np.ndarray, language: np.ndarray
) -> list[str | None]:
    """One comment (or None) per employee: detractors on their worst-rated topic, promoters on their best."""
    writer = Verbatims(rng, employee_themes(), EMPLOYEE_OPENERS, EMPLOYEE_CLOSERS)
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
