"""A stored review's pack: its dimension, values, filters and meeting window turned into a pack request.

A review (:mod:`nps.store.reviews`) meets on the dates of its cadence (:mod:`nps.reviews.cadence`);
the pack of one meeting covers that meeting's window (since the previous meeting, to the day before
this one) against the same number of days before, on the review's dimension (its one value for a
function's own review, every value for a cross-functional one) and its extra filters, and carries
the notes and decisions of the last meeting before it that has any. Used by ``python -m nps report
--review``, the Review meeting page and the scheduled sending, so all three agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import duckdb

from nps.followup.deadlines import WorkCalendar
from nps.query.filters import Filter
from nps.query.options import Options
from nps.report.build import PackRequest
from nps.report.model import Decision
from nps.reviews.cadence import ReviewWindow, describe, next_meeting, previous_meeting, review_window
from nps.store import Dataset
from nps.store import reviews as stored
from nps.store.reviews import Review


def meeting_on(review: Review, today: dt.date, calendar: WorkCalendar | None = None) -> dt.date | None:
    """The review's next or current meeting seen on ``today`` (a meeting today is the current one); for a list of
    dates that has none left, the last one (None only without any)."""
    upcoming = next_meeting(review.cadence, today, calendar)
    if upcoming is not None:
        return upcoming
    return previous_meeting(review.cadence, today + dt.timedelta(days=1), calendar)


def window_filters(review: Review, window: ReviewWindow,
                   extra: Mapping[str, Sequence[str]] | None = None) -> tuple[Filter, Filter | None]:
    """The filter of a meeting's window and of its comparison window: the review's own value and filters,
    then ``extra`` (a caller's further conditions, e.g. the survey type picked)."""
    include: dict[str, list[str]] = {column: list(values) for column, values in review.include.items()}
    for column, values in (extra or {}).items():
        include.setdefault(column, list(values))
    if review.dimension and review.value is not None:
        include[review.dimension] = [review.value]
    flt = Filter.build(since=window.since, until=window.until, include=include)
    compare = None
    if window.compare_since is not None and window.compare_until is not None:
        compare = Filter.build(since=window.compare_since, until=window.compare_until, include=include)
    return flt, compare


def last_decisions(cur: duckdb.DuckDBPyConnection, review: Review, before: dt.date) -> list[Decision]:
    """The notes and decisions of the review's last meeting before ``before`` that recorded any, oldest first."""
    meeting = stored.previous_meeting_with_entries(cur, review.id, before)
    if meeting is None:
        return []
    return [Decision(e.kind, e.text, e.author, meeting.held_on) for e in stored.entries(cur, meeting.id)]


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def review_pack_request(cur: duckdb.DuckDBPyConnection, ds: Dataset, review: Review, meeting: dt.date, *,
                        opts: Options = Options(), grain: str = "month", label: Callable[[str], str] | None = None,
                        calendar: WorkCalendar | None = None, extra: Mapping[str, Sequence[str]] | None = None,
                        targets: Mapping[str, float] | None = None, command: str = "",
                        breakdown_by: str | None = None) -> tuple[PackRequest, list[Decision]]:
    """The pack request of ``review``'s meeting on ``meeting`` and the decisions of its last meeting before it.

    Raises ValueError when ``ds`` is not the review's dataset.
    """
    if review.dataset_id != ds.id:
        raise ValueError(f"review {review.name!r} is on dataset #{review.dataset_id}, not on {ds.name!r} (#{ds.id})")
    name = label or (lambda column: column)
    window = review_window(review.cadence, meeting, calendar)
    flt, compare = window_filters(review, window, extra)
    parts = [f"{name(c)} = {' or '.join(v)}" for c, v in sorted(flt.include)]
    scope = review.value if review.value is not None else (f"all {name(review.dimension).lower()} values"
                                                           if review.dimension else "the whole dataset")
    request = PackRequest(
        dimension=review.dimension, flt=flt, compare_flt=compare, opts=opts,
        values=(review.value,) if review.value is not None else (), grain=grain,
        title=f"{review.name}: meeting of {_day(meeting)}",
        subtitle=f"{ds.name} · {scope} · {describe(review.cadence)} · {_day(window.since)} – {_day(window.until)}",
        targets=dict(targets or {}), filters_text="; ".join(parts) or "none",
        period_text=f"{window.since.isoformat()} to {window.until.isoformat()} (since the previous meeting)",
        comparison_text=(f"the {window.days} days before ({window.compare_since.isoformat()} to "
                         f"{window.compare_until.isoformat()})" if window.compare_since and window.compare_until
                         else "no comparison period"),
        command=command, breakdown_by=breakdown_by)
    return request, last_decisions(cur, review, meeting)


def minutes(cur: duckdb.DuckDBPyConnection, review: Review, held_on: dt.date) -> tuple[list[stored.Entry], list[int]]:
    """A meeting's notes and decisions (oldest first) and the numbers of the actions decided in it (none before it
    was held or recorded)."""
    meeting = stored.find_meeting(cur, review.id, held_on)
    if meeting is None:
        return [], []
    return stored.entries(cur, meeting.id), stored.meeting_actions(cur, meeting.id)


def decided_before(cur: duckdb.DuckDBPyConnection, review: Review, before: dt.date) -> list[tuple[dt.date, int]]:
    """The actions decided in the review's meetings before ``before``, as (meeting day, action number), newest
    meeting first: what the next meeting follows up."""
    found: list[tuple[dt.date, int]] = []
    for meeting in stored.meetings(cur, review.id):
        if meeting.held_on < before:
            found.extend((meeting.held_on, action_id) for action_id in stored.meeting_actions(cur, meeting.id))
    return found
