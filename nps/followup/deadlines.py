"""Deadlines: a start time plus N hours, counted in calendar hours or in business hours of a working calendar.

Times are naive wall-clock times of the calendar's timezone (Europe/Rome by default), as the cases
table stores them; an aware time is converted to the calendar's timezone first. Calendar hours
are elapsed real hours (24 calendar hours across the spring DST change end at 01:00 later on the
wall clock: 23 hours of it plus the hour skipped). Business hours count only the time inside a
working day's window (``day_start``–``day_end`` local time, on ``work_days``, not on ``holidays``):
Friday 16:00 + 8 business hours with 9–18 Monday to Friday is Monday 15:00.
Pure: no clock, no database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

CALENDAR = "calendar"
BUSINESS = "business"
CLOCKS: tuple[str, ...] = (CALENDAR, BUSINESS)
DEFAULT_TIMEZONE = "Europe/Rome"
_UTC = dt.timezone.utc


@dataclass(frozen=True)
class WorkCalendar:
    """When work happens: the timezone, the working weekdays (0 = Monday), each day's hours, and the holidays."""

    timezone: str = DEFAULT_TIMEZONE
    work_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    day_start: dt.time = dt.time(9, 0)
    day_end: dt.time = dt.time(18, 0)
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # raises for an unknown zone
        if not self.work_days or not set(self.work_days) <= set(range(7)):
            raise ValueError("work_days are weekday numbers 0 (Monday) to 6 (Sunday), at least one")
        if self.day_end <= self.day_start:
            raise ValueError("a working day ends after it starts")

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's timezone."""
        return ZoneInfo(self.timezone)

    def is_working_day(self, day: dt.date) -> bool:
        """True for a working weekday that is not a holiday."""
        return day.weekday() in self.work_days and day not in self.holidays


def local(moment: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    """``moment`` as a naive wall-clock time of the calendar's timezone (a naive one is taken as such already)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(calendar.zone).replace(tzinfo=None)


def _aware(naive: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    return naive.replace(tzinfo=calendar.zone)


def elapsed(start: dt.datetime, end: dt.datetime, calendar: WorkCalendar) -> dt.timedelta:
    """The real time between two wall-clock times of the calendar (DST changes counted)."""
    return _aware(local(end, calendar), calendar).astimezone(_UTC) - _aware(local(start, calendar), calendar).astimezone(_UTC)


def _delta(hours: float | dt.timedelta) -> dt.timedelta:
    delta = hours if isinstance(hours, dt.timedelta) else dt.timedelta(hours=hours)
    if delta < dt.timedelta(0):
        raise ValueError("a deadline is a number of hours, 0 or more")
    return delta


def add_calendar_hours(start: dt.datetime, hours: float | dt.timedelta, calendar: WorkCalendar = WorkCalendar()) -> dt.datetime:
    """``start`` plus ``hours`` of elapsed real time, as a naive wall-clock time of the calendar."""
    begin = _aware(local(start, calendar), calendar).astimezone(_UTC)
    return (begin + _delta(hours)).astimezone(calendar.zone).replace(tzinfo=None)


def add_business_hours(start: dt.datetime, hours: float | dt.timedelta, calendar: WorkCalendar = WorkCalendar()) -> dt.datetime:
    """``start`` plus ``hours`` counted only inside working hours, as a naive wall-clock time of the calendar.

    Zero hours give ``start`` back. Time ending exactly at a day's end gives that end (not the
    next day's start). Within a day's window the hours are real hours (a window holding a DST
    change is an hour shorter or longer).
    """
    left = _delta(hours)
    now = local(start, calendar)
    if left == dt.timedelta(0):
        return now
    day = now.date()
    for _ in range(366 * 20):
        if calendar.is_working_day(day):
            opens = dt.datetime.combine(day, calendar.day_start)
            closes = dt.datetime.combine(day, calendar.day_end)
            begin = max(opens, now)
            if begin < closes:
                available = elapsed(begin, closes, calendar)
                if left <= available:
                    return add_calendar_hours(begin, left, calendar)
                left -= available
        day += dt.timedelta(days=1)
        now = dt.datetime.combine(day, dt.time())
    raise ValueError("no working time within twenty years: check the calendar's work days and holidays")


def add_hours(start: dt.datetime, hours: float | dt.timedelta, clock: str = CALENDAR,
              calendar: WorkCalendar = WorkCalendar()) -> dt.datetime:
    """``start`` plus ``hours`` on ``clock`` (``calendar`` or ``business``)."""
    if clock == CALENDAR:
        return add_calendar_hours(start, hours, calendar)
    if clock == BUSINESS:
        return add_business_hours(start, hours, calendar)
    raise ValueError(f"unknown clock {clock!r}; use one of {', '.join(CLOCKS)}")


def hours_between(start: dt.datetime, end: dt.datetime, calendar: WorkCalendar = WorkCalendar()) -> float:
    """Elapsed real hours from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return elapsed(start, end, calendar).total_seconds() / 3600.0
