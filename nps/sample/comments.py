"""Free-text answers: a writer of verbatims from theme banks, with the noise of real answers.

The words are data, not code: ``templates/*.json`` holds the theme banks (per theme,
per language, sentences with ``{slot}`` placeholders), the openers and closers, the
connectives, emoji, contact-detail sentences and the slot fillers. Which theme a
respondent reaches for (the weights) is the model, and stays here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

TEMPLATES = Path(__file__).resolve().parent / "templates"

_T = dict[str, tuple[str, ...]]


def _load(name: str) -> Any:
    """The parsed JSON file ``templates/<name>.json``."""
    return json.loads((TEMPLATES / f"{name}.json").read_text(encoding="utf-8"))


def _themes(raw: dict[str, dict[str, list[str]]]) -> dict[str, _T]:
    """A theme bank with tuples for lists."""
    return {theme: {language: tuple(texts) for language, texts in bank.items()} for theme, bank in raw.items()}


def _by_tone(raw: dict[str, dict[str, list[str]]]) -> dict[tuple[str, str], tuple[str, ...]]:
    """``{language: {tone: [...]}}`` as ``{(language, tone): (...)}``."""
    return {(language, tone): tuple(texts) for language, tones in raw.items() for tone, texts in tones.items()}


@cache
def customer_themes() -> dict[str, _T]:
    """The customers' theme bank: theme -> language -> sentences (``templates/customer_themes.json``)."""
    return _themes(_load("customer_themes"))


@cache
def employee_themes() -> dict[str, _T]:
    """The employees' theme bank (``templates/employee_themes.json``) plus the customers' ``neutral``."""
    return {**_themes(_load("employee_themes")), "neutral": customer_themes()["neutral"]}


_PHRASES = _load("customer_phrases")
_OPENERS = _by_tone(_PHRASES["openers"])
_CLOSERS = _by_tone(_PHRASES["closers"])
_BUT: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _PHRASES["but"].items()}
_ALSO: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _PHRASES["also"].items()}
_EMOJI_NEG = tuple(_PHRASES["emoji"]["neg"])
_EMOJI_POS = tuple(_PHRASES["emoji"]["pos"])
_PII: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _PHRASES["contact"].items()}
_PII_NAMES = tuple(_PHRASES["contact_names"])
_EMPLOYEE_PHRASES = _load("employee_phrases")
EMPLOYEE_OPENERS = _by_tone(_EMPLOYEE_PHRASES["openers"])
EMPLOYEE_CLOSERS = _by_tone(_EMPLOYEE_PHRASES["closers"])
_SLOTS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _load("slots").items()}
_SLOT = re.compile(r"\{(\w+)\}")

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


class Verbatims:
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
