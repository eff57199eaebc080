"""Numbers in words: how the dashboard writes an NPS, an interval, a change and its cause."""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from nps import format as fmt
from nps.domain import BH, HOLM, LANGUAGE_NAMES, NO_ADJUSTMENT


def describe_change(diff: float, p_value: float, significant: bool, against: str, *, tests: int = 1,
                    multiplicity: str = NO_ADJUSTMENT) -> str:
    """One sentence on a change: its size, what it is measured against, and whether it is real or noise.

    ``p_value`` is the p-value the verdict rests on: the adjusted one when the
    change is one of ``tests`` tests shown together under ``multiplicity``
    control (bh, holm), which the sentence then names.
    """
    if diff is None or math.isnan(diff):
        return f"No comparison: no responses in the {against}."
    if p_value is None or math.isnan(p_value):
        return f"{fmt.points(diff)} points vs the {against}: too few responses to test (below the minimum n)."
    adjusted = tests > 1 and multiplicity != NO_ADJUSTMENT
    p_name = "adjusted p" if adjusted else "p"
    if significant:
        verdict = f"a real change ({fmt.p_equals(p_value, name=p_name)})"
    else:
        verdict = f"within the noise ({fmt.p_equals(p_value, name=p_name, digits=2)})"
    return f"{fmt.points(diff)} points vs the {against}: {verdict}."


MULTIPLICITY_WORDS: dict[str, str] = {
    BH: "Benjamini–Hochberg control of the false discovery rate",
    HOLM: "Holm control of the family-wise error rate",
}


def describe_family(family: Any, marks: str = "Significance") -> str:
    """A footnote for a display that marks significance: the control, how many tests, the error rate.

    ``family`` is an :class:`nps.stats.Family` or its ``as_dict()`` (``method``,
    ``tests``, ``level``). E.g. ``▲ / ▼: Benjamini–Hochberg control of the false discovery
    rate at 5% across 6 tests; groups under the minimum n are not tested.``
    """
    if isinstance(family, dict):
        family = SimpleNamespace(**family)
    rate = fmt.level(1 - float(family.level))
    tests = int(family.tests)
    if tests == 0:
        return f"{marks}: nothing tested (every group is under the minimum n or has nothing to compare with)."
    count = f"{tests} test{'s' if tests != 1 else ''}"
    if family.method == NO_ADJUSTMENT or tests == 1:
        how = f"{count} at {rate} each, not adjusted for multiplicity" if tests > 1 else f"one test at {rate}"
    else:
        how = f"{MULTIPLICITY_WORDS[family.method]} at {rate} across {count}"
    return f"{marks}: {how}; groups under the minimum n are not tested."


def describe_shift_share(parts: Any, dimension: str, *, against: str = "comparison period") -> str:
    """Explain an NPS change as within-group change plus mix change, in one or two sentences.

    ``parts`` is a :class:`nps.stats.ShiftShare` (or anything with ``total``,
    ``within``, ``mix``, ``interaction`` in points and a ``segments`` frame with
    the dimension's column, ``w_prev``, ``w_cur`` and ``nps_cur``). The mix part
    reported includes the interaction term (the mix priced at current NPS).
    """
    total = float(parts.total)
    if math.isnan(total):
        return "No comparison period with responses, so there is no change to explain."
    within = float(parts.within)
    mix = float(parts.mix) + float(parts.interaction)
    verb = "rose" if total > 0 else "fell"
    lead = (f"NPS {verb} {fmt.points(abs(total), signed=False)} points vs the {against}" if round(total, 1)
            else f"NPS did not move vs the {against}")
    text = (f"{lead}: {fmt.points(within)} from changes within each {dimension} and "
            f"{fmt.points(mix)} from the {dimension} mix.")
    segments = getattr(parts, "segments", None)
    if abs(mix) >= abs(within) and abs(mix) >= 0.5 and segments is not None and len(segments):
        moved = (segments["w_cur"] - segments["w_prev"]) * 100
        names = segments.iloc[:, 0].astype(str)
        pieces = []
        for index, verb in ((moved.idxmax(), "rose"), (moved.idxmin(), "fell")):
            if abs(moved[index]) >= 0.5:
                pieces.append(f"the share of {names[index]} {verb} {fmt.points(abs(float(moved[index])), signed=False)} "
                              f"points (its NPS {fmt.points(segments.loc[index, 'nps_cur'])})")
        if pieces:
            text += " Mostly the mix: " + " and ".join(pieces) + "."
    elif abs(within) > abs(mix) and abs(within) >= 0.5:
        text += f" Mostly real change within the {dimension} groups, not a change of who answered."
    return text


def language_name(code: str) -> str:
    """The English name of a language code from :func:`nps.text.detect_language` (the code itself if unknown)."""
    return LANGUAGE_NAMES.get(code, code)


def column_label(column: str, labels: Mapping[str, str] | None = None, *, in_sentence: bool = False,
                 among: Sequence[str] = ()) -> str:
    """A column's name for people: the dataset's label for it (its question text), else the name humanised.

    Humanised: underscores, dashes and dots become spaces and the first letter a capital
    (``business_function`` → ``Business function``; an all-capitals name is lowered first,
    ``SURVEY_SUB_TYPE`` → ``Survey sub type``, unless it is a short code such as ``NPS``). ``in_sentence`` keeps a humanised name in lower
    case, for the middle of a sentence (``NPS by business function``); a dataset's label is
    used as written. With ``among`` (the dataset's columns), a label another of them shares gets
    the column's name after it, so two columns never read the same (``Region area (Region_Area)``
    and ``Region area (Region-Area)``): widgets bound to the URL tell options apart by label.
    Plain text: escape it where Markdown is rendered.
    """
    label = _plain_label(column, labels, in_sentence=in_sentence)
    if among and label.lower() in _shared_labels(tuple(among), frozenset((labels or {}).items())):
        return f"{label} ({column})"
    return label


@functools.lru_cache(maxsize=64)  # called for every option of every picker on every run
def _shared_labels(columns: tuple[str, ...], labels: frozenset[tuple[str, str]]) -> frozenset[str]:
    named = dict(labels)
    counts = Counter(_plain_label(c, named).lower() for c in dict.fromkeys(columns))
    return frozenset(label for label, n in counts.items() if n > 1)


def _plain_label(column: str, labels: Mapping[str, str] | None = None, *, in_sentence: bool = False) -> str:
    label = (labels or {}).get(column)
    if label and label.strip():
        return label.strip()
    words = re.sub(r"[_\-.\s]+", " ", str(column)).strip() or str(column)
    if words.isupper() and (" " in words or len(words) > 4):  # SURVEY_SUB_TYPE, REGION; not NPS or Q7
        words = words.lower()
    first = words.split(" ")[0]
    if in_sentence:  # "Region" → "region", but "NPS", "Q7" and "CustomerID" as written
        return words[:1].lower() + words[1:] if first[1:].isalpha() and first[1:].islower() else words
    return words[:1].upper() + words[1:]
