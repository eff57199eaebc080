"""Each caveat's rule, its thresholds and its sentence, from counts the queries hand over (pure).

A :class:`Caveat` is ``kind`` (what it is about), ``severity`` (``info``: worth knowing;
``warn``: the number may mislead), a ``title``, a ``sentence`` in plain words with the numbers, and
``numbers`` (the same numbers for programs). The thresholds are the module's constants, named in
the README's "How far to trust it (caveats)".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nps import stats
from nps.caveats.columns import fold

INFO = "info"
WARN = "warn"

# Response rate: below LOW_RESPONSE_RATE the non-response warning is a warning, else information.
LOW_RESPONSE_RATE = 0.30
# Response-rate trend: a fall of at least this many points from the first period to the last is a warning.
RATE_DROP_POINTS = 5.0
# Composition: a value whose sample share is this far (either way) from its population share is named.
COMPOSITION_GAP = 0.05
# Weighted vs unweighted NPS: a difference of at least this many points is a warning.
WEIGHTED_GAP_POINTS = 3.0
# Gaming: groups with fewer responses are not tested; a spike of 10s is flagged when the group's share of
# 10s is at least TENS_GAP above the rest's and significantly so (one-sided test, BH across the groups);
# too little variance when the group's sd is at most SD_RATIO of the rest's and significantly lower.
GAMING_MIN_N = 20
TENS_GAP = 0.20
SD_RATIO = 0.5
# Survey fatigue: the window (days up to the latest response in view), and the warning's rule: at least
# FATIGUE_SHARE of the respondents answered FATIGUE_SURVEYS surveys or more in it.
FATIGUE_DAYS = 90
FATIGUE_SURVEYS = 3
FATIGUE_SHARE = 0.10

# Comments asking for a 10, on folded text (lower case, no accents, words separated by one space: see
# nps.caveats.columns.fold). English, Italian, French, Spanish, German, Portuguese.
_TEN = r"(10|ten|dieci|dix|diez|zehn|dez)"
_SOME = r"( [a-z0-9]+){0,3}"
ASK_FOR_TEN_PATTERNS: tuple[str, ...] = (
    rf"\b(asked|told|begged|pushed|wanted|reminded|urged) (me|us) to (give|rate|score|put|leave|mark|tick)"
    rf"{_SOME} {_TEN}\b",
    rf"\b{_TEN} (please|pls|plz)\b",
    rf"\bplease (give|rate|score|put){_SOME} {_TEN}\b",
    rf"\b(mi|ci) ha (chiesto|detto|pregato|invitato) di (dare|mettere|lasciare|dargli|darle|votare){_SOME} {_TEN}\b",
    rf"\b(m|nous) a (demande|dit|prie) de (mettre|donner|noter|laisser|lui donner){_SOME} {_TEN}\b",
    rf"\b(me|nos) (pidio|dijo|rogo) (que|de) (le |les )?(diera|pusiera|de|ponga|diese|pusiese|dar|poner)"
    rf"{_SOME} {_TEN}\b",
    rf"\b(hat|haben) (mich|uns) (gebeten|aufgefordert|gedrangt)( [a-z0-9]+){{0,4}} {_TEN}\b",
    rf"\bpediu( me)? (para|que)( [a-z0-9]+){{0,4}} {_TEN}\b",
)
# The patterns as one regular expression (Python's re and DuckDB's RE2 read it the same).
ASK_FOR_TEN = "|".join(f"(?:{p})" for p in ASK_FOR_TEN_PATTERNS)
_ASK = re.compile(ASK_FOR_TEN)


@dataclass(frozen=True)
class Caveat:
    """One thing a reader must know about the view: kind, severity (info|warn), title, sentence, numbers."""

    kind: str
    severity: str
    title: str
    sentence: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The caveat as plain JSON-ready values."""
        return {"kind": self.kind, "severity": self.severity, "title": self.title, "sentence": self.sentence,
                "numbers": self.numbers}


def _pct(share: float) -> str:
    return f"{100.0 * share:.0f}%"


def _listing(items: Sequence[str], limit: int = 5) -> str:
    shown = list(items[:limit])
    more = len(items) - len(shown)
    text = ", ".join(shown)
    return text + (f" and {more} more" if more > 0 else "")


# --- response rate ---------------------------------------------------------------------------------


def asks_for_ten(text: str | None) -> bool:
    """True when a comment asks for (or reports being asked for) a 10, in one of the pattern list's languages."""
    return bool(text) and _ASK.search(fold(str(text))) is not None


def response_rate(responses: int, invitations: float) -> Caveat | None:
    """The response rate and the non-response warning; None without invitations.

    Below :data:`LOW_RESPONSE_RATE` it is a warning: promoters answer more readily than detractors, so
    a low rate tends to inflate the NPS.
    """
    if not invitations or invitations <= 0:
        return None
    rate = responses / invitations
    numbers = {"responses": int(responses), "invitations": float(invitations), "response_rate": rate,
               "threshold": LOW_RESPONSE_RATE}
    if rate < LOW_RESPONSE_RATE:
        return Caveat("response_rate", WARN, "Low response rate",
                      f"Only {_pct(rate)} of those invited answered ({responses:,} of {invitations:,.0f}). Promoters "
                      f"answer more readily than detractors, so with a rate below {_pct(LOW_RESPONSE_RATE)} the NPS "
                      "is probably higher than among all customers.", numbers)
    return Caveat("response_rate", INFO, "Response rate",
                  f"{_pct(rate)} of those invited answered ({responses:,} of {invitations:,.0f}). Those who do not "
                  "answer are more often detractors, so the NPS may still be somewhat flattering.", numbers)


def invitations_not_narrowed(columns: Sequence[str]) -> Caveat:
    """Information: the view is narrowed by ``columns`` the invitations table does not break down by, so the
    response rate compares the view's answers with more invitations than it stands for (it is understated)."""
    return Caveat("invitations_scope", INFO, "Invitations not narrowed like the view",
                  f"The invitations table is not broken down by {', '.join(columns)}, which this view is narrowed "
                  "by: the response rate compares this view's answers with all the invitations of its period, so "
                  "it is understated.", {"columns": list(columns)})


def coverage(column: str, responses: Mapping[str, int], invitations: Mapping[str, float]) -> Caveat | None:
    """Per value of ``column``: invited but no response (not covered), and the rate of each value.

    A warning when some invited value has no response at all; None without invitations by value.
    """
    invited = {v: float(n) for v, n in invitations.items() if n and n > 0}
    if not invited:
        return None
    rates = {v: responses.get(v, 0) / n for v, n in invited.items()}
    missing = sorted(v for v in invited if responses.get(v, 0) == 0)
    covered = len(invited) - len(missing)
    numbers = {"column": column, "values_invited": len(invited), "values_covered": covered,
               "not_covered": missing, "response_rate_by_value": rates}
    low = sorted((v for v in rates if rates[v] > 0), key=lambda v: rates[v])
    spread = ""
    if len(low) >= 2:
        spread = (f" Response rates run from {_pct(rates[low[0]])} ({low[0]}) to {_pct(rates[low[-1]])} "
                  f"({low[-1]}).")
    if missing:
        return Caveat("coverage", WARN, f"Not every {column} is covered",
                      f"{len(missing)} of {len(invited)} values of {column} were invited but none answered "
                      f"({_listing(missing)}): the NPS says nothing about them.{spread}", numbers)
    return Caveat("coverage", INFO, f"Coverage by {column}",
                  f"Every one of the {len(invited)} values of {column} invited has answers.{spread}", numbers)


def rate_trend(periods: Sequence[str], responses: Sequence[int], invitations: Sequence[float]) -> Caveat | None:
    """The response rate period by period; a warning when it fell :data:`RATE_DROP_POINTS` points or more.

    None with fewer than two periods with invitations.
    """
    rows = [(p, r, i) for p, r, i in zip(periods, responses, invitations) if i and i > 0]
    if len(rows) < 2:
        return None
    rates = [r / i for _, r, i in rows]
    drop = 100.0 * (rates[0] - rates[-1])
    numbers = {"periods": [p for p, _, _ in rows], "response_rates": rates, "change_points": -drop,
               "threshold_points": RATE_DROP_POINTS}
    first, last = rows[0][0], rows[-1][0]
    if drop >= RATE_DROP_POINTS:
        return Caveat("response_rate_trend", WARN, "Response rate falling",
                      f"The response rate fell from {_pct(rates[0])} ({first}) to {_pct(rates[-1])} ({last}): "
                      "people may be tired of surveys, and those still answering are more often the satisfied "
                      "ones, so a rising NPS may partly be fewer unhappy people answering.", numbers)
    return Caveat("response_rate_trend", INFO, "Response rate over time",
                  f"The response rate went from {_pct(rates[0])} ({first}) to {_pct(rates[-1])} ({last}).", numbers)


# --- composition and weighting ---------------------------------------------------------------------


def composition(column: str, sample: Mapping[str, float], population: Mapping[str, float]) -> Caveat:
    """Sample vs population shares of ``column``'s values; a warning when one is :data:`COMPOSITION_GAP` off."""
    values = sorted(set(sample) | set(population))
    diffs = {v: sample.get(v, 0.0) - population.get(v, 0.0) for v in values}
    off = sorted((v for v in values if abs(diffs[v]) >= COMPOSITION_GAP), key=lambda v: -abs(diffs[v]))
    numbers = {"column": column, "sample": {v: sample.get(v, 0.0) for v in values},
               "population": {v: population.get(v, 0.0) for v in values}, "difference": diffs,
               "threshold": COMPOSITION_GAP}
    if not off:
        return Caveat("composition", INFO, f"Sample matches the population by {column}",
                      f"Every value of {column} is within {_pct(COMPOSITION_GAP)} points of its population share.",
                      numbers)
    parts = [f"{v} {_pct(sample.get(v, 0.0))} of answers vs {_pct(population[v])} of the population" if v in population
             else f"{v} {_pct(sample.get(v, 0.0))} of answers but not in the population table" for v in off]
    return Caveat("composition", WARN, f"Sample differs from the population by {column}",
                  f"The answers over- or under-represent some {column} values: {_listing(parts, 3)}. The weighted "
                  "NPS below corrects for it.", numbers)


def weighted_nps(plain: stats.NpsResult, weighted: stats.NpsResult, columns: Sequence[str], max_error: float,
                 left_out: int) -> Caveat:
    """Weighted (raked to the population) and unweighted NPS side by side; a warning when they differ by
    :data:`WEIGHTED_GAP_POINTS` points or more."""
    diff = weighted.nps - plain.nps
    numbers = {"columns": list(columns), "nps": plain.nps, "ci_low": plain.ci_low, "ci_high": plain.ci_high,
               "n": plain.n, "weighted_nps": weighted.nps, "weighted_ci_low": weighted.ci_low,
               "weighted_ci_high": weighted.ci_high, "effective_n": weighted.effective_n, "difference": diff,
               "max_margin_error": max_error, "left_out": left_out, "threshold_points": WEIGHTED_GAP_POINTS}
    text = (f"Weighted to the population by {', '.join(columns)}, the NPS is {weighted.nps:+.1f} "
            f"({weighted.ci_low:+.1f} to {weighted.ci_high:+.1f}, effective n {weighted.effective_n or 0:,.0f}) "
            f"against {plain.nps:+.1f} unweighted ({plain.ci_low:+.1f} to {plain.ci_high:+.1f}, n {plain.n:,}).")
    if left_out:
        text += f" {left_out:,} answers whose value the population table lacks are left out of the weighting."
    severity = WARN if math.isfinite(diff) and abs(diff) >= WEIGHTED_GAP_POINTS else INFO
    return Caveat("weighted_nps", severity, "Weighted and unweighted NPS", text, numbers)


# --- culture ---------------------------------------------------------------------------------------


def culture(column: str, values: Sequence[str], split: bool) -> Caveat | None:
    """The note on comparing countries or languages: a warning when the view is split by ``column``,
    information when it mixes several of its values; None for one value."""
    if len(values) < 2:
        return None
    numbers = {"column": column, "values": list(values), "split": split}
    sentence = (f"People in different countries and languages use the 0-10 scale differently (some rarely give 9 "
                f"or 10): the {len(values)} values of {column} ({_listing(list(values))}) are not directly "
                "comparable. Compare each with its own past (within-country trends) rather than with each other.")
    if split:
        return Caveat("culture", WARN, f"Comparing {column} values", sentence, numbers)
    return Caveat("culture", INFO, f"This view mixes {column} values",
                  sentence.replace("are not directly comparable", "mix in this NPS, which moves when the mix does"),
                  numbers)


# --- gaming ----------------------------------------------------------------------------------------


def _sd(counts: np.ndarray) -> float:
    n = counts.sum()
    if n < 2:
        return float("nan")
    scores = np.arange(11)
    mean = (counts * scores).sum() / n
    return float(math.sqrt((counts * (scores - mean) ** 2).sum() / (n - 1)))


def gaming(column: str, groups: Mapping[str, Sequence[int]], asking: Mapping[str, int], *, level: float = 0.95,
           multiplicity: str = stats.SCREENING) -> list[Caveat]:
    """Signs of gaming per value of ``column`` from each group's counts per score (0..10) and its comments
    asking for a 10.

    Spike of 10s: one-sided two-proportion z test of the group's share of 10s against the rest's
    (pooled SE), flagged when significant after ``multiplicity`` control across the tested groups and
    at least :data:`TENS_GAP` above. Too little variance: one-sided chi-square test of the group's
    variance against the rest's, flagged when significant after the control and the sd at most
    :data:`SD_RATIO` of the rest's. Groups below :data:`GAMING_MIN_N` are not tested. Any comment
    asking for a 10 is a warning. The caller passes only the groups it may name.
    """
    from scipy import stats as sps

    names = list(groups)
    table = np.array([list(groups[g]) for g in names], dtype=float).reshape(len(names), 11)
    out: list[Caveat] = []
    if len(names) >= 2:
        total = table.sum(axis=0)
        n = table.sum(axis=1)
        rest = total - table
        rest_n = rest.sum(axis=1)
        tens, rest_tens = table[:, 10], rest[:, 10]
        with np.errstate(all="ignore"):
            share, rest_share = tens / n, rest_tens / rest_n
            pooled = (tens + rest_tens) / (n + rest_n)
            se = np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / rest_n))
            z = (share - rest_share) / se
        tested = (n >= GAMING_MIN_N) & (rest_n >= GAMING_MIN_N)
        p_tens = np.where(tested & (se > 0), sps.norm.sf(np.nan_to_num(z)), np.nan)
        p_tens = np.where(tested & (se == 0), np.where(share > rest_share, 0.0, 1.0), p_tens)
        sd = np.array([_sd(row) for row in table])
        rest_sd = np.array([_sd(row) for row in rest])
        with np.errstate(all="ignore"):
            stat = (n - 1) * sd**2 / rest_sd**2
        p_sd = np.where(tested & (rest_sd > 0), sps.chi2.cdf(np.nan_to_num(stat), np.maximum(n - 1, 1)), np.nan)
        adj_tens, sig_tens, _ = stats.flag_tests(p_tens, level=level, multiplicity=multiplicity)
        adj_sd, sig_sd, _ = stats.flag_tests(p_sd, level=level, multiplicity=multiplicity)
        for i, name in enumerate(names):
            if sig_tens[i] and share[i] - rest_share[i] >= TENS_GAP:
                out.append(Caveat(
                    "gaming_tens", WARN, f"Spike of 10s: {column} {name}",
                    f"{_pct(share[i])} of the answers for {column} {name} are 10s, against {_pct(rest_share[i])} "
                    f"elsewhere ({int(tens[i])} of {int(n[i])}): check how the survey is handed out there "
                    "before rewarding the score.",
                    {"column": column, "value": name, "n": int(n[i]), "tens": int(tens[i]), "share": float(share[i]),
                     "rest_share": float(rest_share[i]), "p": float(p_tens[i]), "p_adjusted": float(adj_tens[i]),
                     "multiplicity": multiplicity, "threshold": TENS_GAP}))
            if sig_sd[i] and sd[i] <= SD_RATIO * rest_sd[i]:
                out.append(Caveat(
                    "gaming_variance", WARN, f"Too little variance: {column} {name}",
                    f"The scores for {column} {name} hardly vary (standard deviation {sd[i]:.1f} against "
                    f"{rest_sd[i]:.1f} elsewhere, {int(n[i])} answers): answers this uniform can mean the survey "
                    "is filled in or steered.",
                    {"column": column, "value": name, "n": int(n[i]), "sd": float(sd[i]), "rest_sd": float(rest_sd[i]),
                     "p": float(p_sd[i]), "p_adjusted": float(adj_sd[i]), "multiplicity": multiplicity,
                     "threshold": SD_RATIO}))
    for name in names:
        count = int(asking.get(name, 0))
        if count > 0:
            out.append(Caveat(
                "gaming_comments", WARN, f"Comments asking for a 10: {column} {name}",
                f"{count} comment{'s' if count != 1 else ''} for {column} {name} say the customer was asked for a "
                "10 (or ask for one): scores there may be steered.",
                {"column": column, "value": name, "comments": count}))
    return out


# --- fatigue and survey types ----------------------------------------------------------------------


def fatigue(surveys_per_respondent: Mapping[int, int], days: int = FATIGUE_DAYS,
            min_group: int | None = None) -> Caveat | None:
    """From {surveys answered in the window: respondents}: the mean and the share answering
    :data:`FATIGUE_SURVEYS` or more; a warning when that share is :data:`FATIGUE_SHARE` or more.

    With ``min_group`` (the employee anonymity threshold) nothing is said of fewer than ``min_group``
    respondents: None when all of them are fewer, no distribution, and a share of 1 to ``min_group − 1``
    respondents is not given.
    """
    people = sum(surveys_per_respondent.values())
    if people == 0 or (min_group is not None and people < min_group):
        return None
    answers = sum(k * v for k, v in surveys_per_respondent.items())
    many = sum(v for k, v in surveys_per_respondent.items() if k >= FATIGUE_SURVEYS)
    mean, share = answers / people, many / people
    numbers = {"days": days, "respondents": people, "responses": answers, "mean_surveys": mean,
               "share_many": share, "many": FATIGUE_SURVEYS, "threshold": FATIGUE_SHARE,
               "distribution": {str(k): int(v) for k, v in sorted(surveys_per_respondent.items())}}
    text = (f"In the last {days} days, {people:,} respondents answered {mean:.2f} surveys each on average; "
            f"{_pct(share)} answered {FATIGUE_SURVEYS} or more.")
    if min_group is not None:
        del numbers["distribution"]
        if 0 < many < min_group:
            numbers["share_many"] = None
            text = (f"In the last {days} days, {people:,} respondents answered {mean:.2f} surveys each on average; "
                    f"fewer than {min_group} answered {FATIGUE_SURVEYS} or more.")
    if share >= FATIGUE_SHARE:
        return Caveat("fatigue", WARN, "Survey fatigue",
                      text + " Customers asked this often answer less, and less carefully: ask less often.", numbers)
    return Caveat("fatigue", INFO, "Surveys per respondent", text, numbers)


def survey_mix(column: str, counts: Mapping[str, int | None]) -> Caveat | None:
    """A warning when the view mixes survey types (relationship, transactional, competitive …); None for one.

    A count of None is a type present too small to name or count (employee anonymity): it is neither.
    """
    present = {v: n for v, n in counts.items() if n is None or n > 0}
    if len(present) < 2:
        return None
    shown = sorted(((v, n) for v, n in present.items() if n is not None), key=lambda kv: (-kv[1], kv[0]))
    parts = [f"{v} ({n:,})" for v, n in shown]
    if len(shown) < len(present):
        parts.append("other types too small to name")
    how_many = f"{len(present)} survey types" if len(shown) == len(present) else "several survey types"
    return Caveat("survey_mix", WARN, "Survey types pooled",
                  f"This view pools {how_many}: {', '.join(parts)}. Relationship, transactional "
                  f"and competitive scores answer different questions and are never pooled: pick one with the "
                  f"{column} filter.", {"column": column, "counts": dict(shown)})
