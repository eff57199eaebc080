"""The follow-up KPIs of a period, over the cases a reader may see.

Detractors in the period, cases opened, % contacted within the first-contact deadline (of the cases
whose deadline has passed or that were contacted), median and p90 hours to first contact and to close,
the backlog by age, overdue cases per owner and per team (the function's front line), the root-cause
Pareto, escalations, and the recovery rate: the share of followed-up detractors (contacted) who
answered again with 7 or more after their case (after it closed, when it did), beside the same share
for detractors not contacted who answered again. The second rate is there because regression to the
mean alone makes some detractors score higher next time: only the difference between the two rates
hints at what the follow-up did, and it is no proof (who gets contacted is not random).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from nps.followup import lifecycle
from nps.query import followup as reads
from nps.store import Dataset, cases

AGE_BUCKETS: tuple[tuple[str, float], ...] = (("under 1 day", 24.0), ("1-3 days", 72.0), ("3-7 days", 168.0),
                                              ("over 7 days", math.inf))
CAVEAT = ("Regression to the mean: a detractor's next score tends to be higher anyway, so compare the recovery "
          "rate of followed-up detractors with the rate of those not contacted; the difference is a hint, not proof.")


@dataclass(frozen=True)
class Kpis:
    """The follow-up KPIs (see the module's description); rates are 0–1 shares, hours real hours, None when no data."""

    detractors: int
    cases_opened: int
    contacted_within_deadline_pct: float | None
    first_contact_hours_p50: float | None
    first_contact_hours_p90: float | None
    close_hours_p50: float | None
    close_hours_p90: float | None
    overdue: int
    escalations: int
    recovery_rate: float | None
    recovery_n: int
    recovery_rate_not_contacted: float | None
    recovery_not_contacted_n: int
    backlog: dict[str, int] = field(default_factory=dict)
    overdue_by_owner: dict[str, int] = field(default_factory=dict)
    overdue_by_team: dict[str, int] = field(default_factory=dict)
    root_causes: list[tuple[str, int]] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """The command line's JSON: the issue's ten figures (recovery rates as shares 0–1, the pct as 0–100)."""
        keys = ("detractors", "cases_opened", "contacted_within_deadline_pct", "first_contact_hours_p50",
                "first_contact_hours_p90", "close_hours_p50", "overdue", "escalations", "recovery_rate",
                "recovery_rate_not_contacted")
        every = asdict(self)
        return {k: (round(every[k], 4) if isinstance(every[k], float) else every[k]) for k in keys}


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile with linear interpolation between order statistics (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _hours(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 3600.0


def is_overdue(case: cases.CaseRecord, now: dt.datetime) -> bool:
    """An active case past its first-contact deadline (not contacted) or its close deadline."""
    if case.status == lifecycle.CLOSED:
        return False
    late_contact = case.contacted_at is None and case.first_contact_due is not None and now > case.first_contact_due
    return late_contact or (case.close_due is not None and now > case.close_due)


def _in(moment: dt.datetime, since: dt.date | None, until: dt.date | None) -> bool:
    return (since is None or moment.date() >= since) and (until is None or moment.date() <= until)


def compute(cur: duckdb.DuckDBPyConnection, datasets: Sequence[Dataset], now: dt.datetime, *,
            since: dt.date | None = None, until: dt.date | None = None) -> Kpis:
    """The KPIs of the cases (kind ``case``) opened in the period whose responses the reader may see."""
    every = [c for c in cases.all_cases(cur, ids=reads.visible_case_ids(cur, datasets)) if c.kind == "case"]
    period = [c for c in every if _in(c.opened_at, since, until)]
    histories = [a for ds in datasets for a in reads.detractor_histories(cur, ds, since, until)]
    return _figures(every, now, since, until,
                    detractors=sum(reads.detractor_count(cur, ds, since, until) for ds in datasets),
                    escalations=cases.count_events(cur, "escalated", [c.id for c in period]), histories=histories)


def compute_by(cur: duckdb.DuckDBPyConnection, ds: Dataset, column: str, now: dt.datetime, *,
               since: dt.date | None = None, until: dt.date | None = None) -> dict[str, Kpis]:
    """The KPIs of :func:`compute` for each value of ``column`` of ``ds`` (as text), in one call (a few queries in all).

    Each value's figures are those :func:`compute` gives a reader whose scope holds only that value:
    its cases are those of responses with the value, its detractors those with the value, and a
    respondent's answer again counts for the recovery rate when it has the same value. Every read goes
    through the row source, so the reader's own scope applies too. A value with detractors or cases
    has an entry; an employee dataset (no cases) gives none.
    """
    if ds.kind == "employee" or column not in ds.columns:
        return {}
    value_of = reads.case_values(cur, ds, column)
    every = [c for c in cases.all_cases(cur, ids=sorted(value_of)) if c.kind == "case"]
    detractors = reads.detractor_counts_by(cur, ds, column, since, until)
    escalated = cases.events_per_case(cur, "escalated", [c.id for c in every if _in(c.opened_at, since, until)])
    histories = reads.detractor_histories(cur, ds, since, until, by=column)
    values = sorted({*detractors, *(value_of[c.id] for c in every)})
    found: dict[str, Kpis] = {}
    for value in values:
        mine = [c for c in every if value_of[c.id] == value]
        found[value] = _figures(mine, now, since, until, detractors=detractors.get(value, 0),
                                escalations=sum(escalated.get(c.id, 0) for c in mine if _in(c.opened_at, since, until)),
                                histories=[a for a in histories if a.value == value])
    return found


def _figures(every: Sequence[cases.CaseRecord], now: dt.datetime, since: dt.date | None, until: dt.date | None, *,
             detractors: int, escalations: int, histories: Sequence[reads.Answer]) -> Kpis:
    """The KPIs of ``every`` case (kind ``case``, any opening day) in the period, given the figures read elsewhere."""
    period = [c for c in every if _in(c.opened_at, since, until)]
    judged = [c for c in period if c.contacted_at is not None or (c.first_contact_due is not None and now > c.first_contact_due)]
    on_time = [c for c in judged if c.contacted_at is not None and (c.first_contact_due is None or c.contacted_at <= c.first_contact_due)]
    contact_hours = [_hours(c.opened_at, c.contacted_at) for c in period if c.contacted_at is not None]
    close_hours = [_hours(c.opened_at, c.closed_at) for c in period if c.closed_at is not None]
    active = [c for c in every if c.status != lifecycle.CLOSED]
    overdue = [c for c in active if is_overdue(c, now)]
    backlog = {name: 0 for name, _ in AGE_BUCKETS}
    for c in active:
        age = _hours(c.opened_at, now)
        backlog[next(name for name, limit in AGE_BUCKETS if age < limit)] += 1
    causes = Counter(c.root_cause for c in period if c.status == lifecycle.CLOSED and c.root_cause)
    recovered, rec_n, other, other_n = _recovery(histories, {(c.dataset_id, c.response_row, c.response_wave): c
                                                             for c in every}, since, until)
    return Kpis(
        detractors=detractors,
        cases_opened=len(period),
        contacted_within_deadline_pct=(100.0 * len(on_time) / len(judged)) if judged else None,
        first_contact_hours_p50=quantile(contact_hours, 0.5), first_contact_hours_p90=quantile(contact_hours, 0.9),
        close_hours_p50=quantile(close_hours, 0.5), close_hours_p90=quantile(close_hours, 0.9),
        overdue=len(overdue), escalations=escalations,
        recovery_rate=(recovered / rec_n) if rec_n else None, recovery_n=rec_n,
        recovery_rate_not_contacted=(other / other_n) if other_n else None, recovery_not_contacted_n=other_n,
        backlog=backlog,
        overdue_by_owner=dict(Counter(c.owner or "unassigned" for c in overdue).most_common()),
        overdue_by_team=dict(Counter(c.team or "no team" for c in overdue).most_common()),
        root_causes=causes.most_common(),
    )


def _recovery(history: Sequence[reads.Answer], by_response: dict[tuple[int, int, int], cases.CaseRecord],
              since: dt.date | None, until: dt.date | None) -> tuple[int, int, int, int]:
    """(recovered followed-up, followed-up who answered again, recovered not contacted, not contacted who answered again)."""
    rec = rec_n = other = other_n = 0
    by_respondent: dict[tuple[int, str], list[reads.Answer]] = {}
    for a in history:
        by_respondent.setdefault((a.dataset_id, a.respondent), []).append(a)
    for answers in by_respondent.values():
        for i, a in enumerate(answers):
            if a.category != "detractor" or (a.date is not None and not _in(a.date, since, until)):
                continue
            case = by_response.get((a.dataset_id, a.row, a.wave))
            contacted = case is not None and case.contacted_at is not None
            after = (case.closed_at or case.contacted_at) if contacted and case is not None else a.date
            later = next((b for b in answers[i + 1:] if _later(b, a, after)), None)
            if later is None or later.score is None:
                continue
            if contacted:
                rec_n += 1
                rec += later.score >= 7
            else:
                other_n += 1
                other += later.score >= 7
    return rec, rec_n, other, other_n


def _later(b: reads.Answer, a: reads.Answer, after: dt.datetime | None) -> bool:
    """Whether ``b`` is an answer given after ``a`` (and after ``after``, the case's close, when both are dated)."""
    if b.date is not None and after is not None:
        return b.date > after
    return (b.wave, b.row) > (a.wave, a.row)
