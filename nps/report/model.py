"""The review pack as data: what a deck or a PDF shows, computed once by :mod:`nps.report.build`.

A :class:`Pack` is plain, immutable data (numbers, strings, tuples): the renderers
(:mod:`nps.report.slides` for PowerPoint, :mod:`nps.report.typeset` for PDF) only lay it
out, and tests compare both with the engine's numbers for the same filter. Points are NPS
points (−100..100); shares are fractions 0..1; a number that is not known (no responses, a
group hidden by the employee anonymity rule) is ``None``, never NaN.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from nps.caveats.rules import WARN, Caveat

DETRACTOR_HEADING = "Detractors say"
TRUST_HEADING = "How far to trust these numbers"
SEVERITY_WORDS = {WARN: "Warning"}  # any other severity reads "Note"
PROMOTER_HEADING = "Promoters say"


@dataclass(frozen=True)
class Provenance:
    """Where every number of the pack comes from, printed on every slide and page.

    ``sources`` are (file name, sha256) of the files loaded into the dataset, wave by wave;
    ``filters`` the filters in words (``"none"`` when every response counts); ``period`` and
    ``comparison`` the two windows in words; ``method`` the interval method's name, ``level`` its
    confidence level (0.95); ``multiplicity`` the control across tests shown together (Holm …);
    ``command`` the ``python -m nps report`` command line that rebuilds the same numbers.
    """

    dataset: str
    dataset_id: int
    sources: tuple[tuple[str, str], ...]
    filters: str
    period: str
    comparison: str
    method: str
    level: float
    multiplicity: str
    generated_at: dt.datetime
    version: str
    command: str

    def footer(self) -> str:
        """The one-line footer of every slide and page (the sha256s shortened to 12 characters)."""
        files = ", ".join(f"{name} sha256:{sha[:12]}" for name, sha in self.sources) or "no source file recorded"
        return (f"{self.dataset} ({files}) · filters: {self.filters} · {self.period} vs {self.comparison} · "
                f"{self.method}, {self.level:.0%} intervals, {self.multiplicity} · "
                f"generated {self.generated_at:%Y-%m-%d %H:%M} UTC by Passaparola {self.version}")

    def lines(self) -> list[str]:
        """The full provenance, one item per line (the pack's last page): full sha256s and the command."""
        out = [f"Dataset: {self.dataset} (#{self.dataset_id})"]
        out += [f"Source file: {name}, sha256 {sha}" for name, sha in self.sources] or ["Source file: not recorded"]
        out += [f"Filters: {self.filters}", f"Period: {self.period}", f"Compared with: {self.comparison}",
                f"Intervals: {self.method} at {self.level:.0%}", f"Multiplicity control: {self.multiplicity}",
                f"Generated: {self.generated_at:%Y-%m-%d %H:%M:%S} UTC by Passaparola {self.version}",
                f"Rebuild with: {self.command}"]
        return out


@dataclass(frozen=True)
class Figure:
    """One NPS with its interval and n, and the shares of promoters, passives and detractors (fractions).

    ``suppressed``: the employee anonymity rule hides the group, and every number is None.
    """

    n: int
    nps: float | None
    ci_low: float | None
    ci_high: float | None
    promoters: float | None
    passives: float | None
    detractors: float | None
    low_n: bool = False
    suppressed: bool = False


@dataclass(frozen=True)
class Change:
    """The change of the NPS vs the comparison period: previous n and NPS, the difference and its test.

    ``significant`` is after multiplicity control across the changes shown together (the pack's summary
    table: one family, as on the Review meeting page); ``p_adjusted`` is None when not tested (low n).
    """

    previous_n: int
    previous_nps: float | None
    diff: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None
    p_adjusted: float | None
    significant: bool


@dataclass(frozen=True)
class TrendPoint:
    """One period of a trend: its label (``2026-03``, ``2026-Q1``), n, NPS and interval; low n marked."""

    period: str
    n: int
    nps: float | None
    ci_low: float | None
    ci_high: float | None
    low_n: bool


@dataclass(frozen=True)
class Bar:
    """One value of a breakdown: NPS with interval and n, and ``marker`` ▲ / ▼ when significantly above /
    below the rest of the section (after multiplicity control across the values), else ``""``."""

    value: str
    n: int
    nps: float | None
    ci_low: float | None
    ci_high: float | None
    marker: str
    low_n: bool = False


@dataclass(frozen=True)
class Breakdown:
    """A section split by another dimension (``label`` is its name for people), the values by n."""

    column: str
    label: str
    bars: tuple[Bar, ...]
    note: str = ""


@dataclass(frozen=True)
class Movement:
    """Why the NPS moved (shift-share by ``label``): total = within + mix + interaction, in points,
    ``sentence`` in words, and the segments contributing most as (segment, contribution in points)."""

    label: str
    total: float
    within: float
    mix: float
    interaction: float
    sentence: str
    segments: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Theme:
    """A theme of one category's comments: its share of them, and its impact on NPS (nps with − without,
    points) with the interval; ``significant`` after control across the themes."""

    name: str
    share: float
    mentions: int
    impact: float | None
    impact_low: float | None
    impact_high: float | None
    significant: bool


@dataclass(frozen=True)
class ThemeMove:
    """A theme whose share of detractors' comments moved since the comparison period: the shares before and
    since (fractions, with their n of comments), the change in percentage points with its interval, and
    ``significant`` after Benjamini–Hochberg control across the themes."""

    name: str
    before: float | None
    n_before: int
    since: float | None
    n_since: int
    change: float | None
    ci_low: float | None
    ci_high: float | None
    significant: bool


@dataclass(frozen=True)
class Quote:
    """A verbatim: its score and the comment, personal data masked."""

    score: int
    text: str


@dataclass(frozen=True)
class FollowUp:
    """The follow-up KPIs of a section (cases opened in the period) and its overdue cases."""

    detractors: int
    cases_opened: int
    contacted_in_time_pct: float | None
    first_contact_hours_median: float | None
    overdue: int
    escalations: int
    recovery_rate: float | None
    recovery_rate_not_contacted: float | None
    overdue_cases: tuple[tuple[int, str, str, str], ...] = ()  # (case id, owner, due (ISO), priority)


@dataclass(frozen=True)
class ActionLine:
    """An open improvement action with its before/since evidence (NPS before and since it started)."""

    id: int
    title: str
    owner: str
    due: str
    status: str
    overdue: bool
    nps_before: float | None = None
    n_before: int = 0
    nps_since: float | None = None
    n_since: int = 0
    verdict: str = ""


@dataclass(frozen=True)
class Decision:
    """A note or decision recorded at a review meeting: its kind (``note``/``decision``), the text, who, when."""

    kind: str
    text: str
    author: str
    meeting_date: dt.date


@dataclass(frozen=True)
class Section:
    """One function's section of the pack (or, with ``value`` None, the cross-functional summary's figures)."""

    title: str
    value: str | None
    figure: Figure
    change: Change | None
    target: float | None
    gap: float | None
    trend: tuple[TrendPoint, ...] = ()
    distribution: tuple[int, ...] = ()  # responses with score 0..10 (11 counts); empty when hidden
    breakdown: Breakdown | None = None
    movement: Movement | None = None
    detractor_themes: tuple[Theme, ...] = ()
    promoter_themes: tuple[Theme, ...] = ()
    moved_themes: tuple[ThemeMove, ...] = ()  # detractors' themes that moved most since the comparison period
    detractor_quotes: tuple[Quote, ...] = ()
    promoter_quotes: tuple[Quote, ...] = ()
    followup: FollowUp | None = None
    actions: tuple[ActionLine, ...] = ()
    notes: tuple[str, ...] = ()  # sentences a reader must see (low n, hidden groups, no comments …)
    grain: str = "month"  # the trend's period (day, week, month, quarter, year)
    caveats: tuple[Caveat, ...] = ()  # the pack's caveats about this value (signs of gaming by it), warnings first


@dataclass(frozen=True)
class Pack:
    """A review pack: title, provenance, the cross-functional summary and one section per function.

    ``summary`` has the pack's whole selection; ``sections`` one per value of ``dimension`` (by n);
    ``family`` says in words how the changes of the summary table were tested together;
    ``decisions`` are the notes and decisions of the last meeting of the review (empty without one).
    ``caveats`` say how far to trust the numbers (:func:`nps.query.caveats.caveats` of the whole
    selection, warnings first); ``checked`` names the checks that were run and ``not_checked`` those that
    could not be, with why (so a pack without caveats says what was looked at).
    """

    title: str
    subtitle: str
    dimension: str | None
    dimension_label: str
    level: float
    provenance: Provenance
    summary: Section
    sections: tuple[Section, ...]
    family: str
    decisions: tuple[Decision, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    caveats: tuple[Caveat, ...] = ()
    checked: tuple[str, ...] = ()
    not_checked: tuple[str, ...] = ()


def severity_word(caveat: Caveat) -> str:
    """``Warning`` for a caveat of severity warn, ``Note`` for one of information."""
    return SEVERITY_WORDS.get(caveat.severity, "Note")


def checks_words(pack: Pack) -> tuple[str, str]:
    """The checks in words: (what was checked, what could not be, with why); empty strings when there are none."""
    checked = f"Checked: {'; '.join(pack.checked)}." if pack.checked else ""
    not_checked = f"Not checked: {'; '.join(pack.not_checked)}." if pack.not_checked else ""
    return checked, not_checked


def no_caveat_words(pack: Pack) -> str:
    """The one line of a pack without caveats: which checks were run and found nothing."""
    if not pack.checked:
        return "No caveat found: no check applies to this data."
    return f"No caveat found. Checked, and nothing to warn about: {'; '.join(pack.checked)}."
