"""Deadlines in calendar and business hours across weekends, holidays and DST changes (nps.followup.deadlines)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nps.followup.deadlines import WorkCalendar, add_business_hours, add_calendar_hours, add_hours, hours_between

ROME = WorkCalendar()  # Europe/Rome, Monday to Friday, 9-18


def test_friday_afternoon_plus_eight_business_hours_is_monday_afternoon() -> None:
    # Friday 4 December 2026 16:00: 2 hours on Friday, 6 on Monday from 9:00.
    assert add_business_hours(dt.datetime(2026, 12, 4, 16), 8, ROME) == dt.datetime(2026, 12, 7, 15)


def test_a_holiday_is_skipped() -> None:
    cal = WorkCalendar(holidays=frozenset({dt.date(2026, 12, 7)}))
    assert add_business_hours(dt.datetime(2026, 12, 4, 16), 8, cal) == dt.datetime(2026, 12, 8, 15)


def test_before_opening_and_after_closing() -> None:
    assert add_business_hours(dt.datetime(2026, 12, 2, 7, 30), 1, ROME) == dt.datetime(2026, 12, 2, 10)
    assert add_business_hours(dt.datetime(2026, 12, 2, 20), 1, ROME) == dt.datetime(2026, 12, 3, 10)
    # Exactly a day's work ends at the day's end, not the next morning.
    assert add_business_hours(dt.datetime(2026, 12, 2, 9), 9, ROME) == dt.datetime(2026, 12, 2, 18)
    assert add_business_hours(dt.datetime(2026, 12, 5, 12), 0, ROME) == dt.datetime(2026, 12, 5, 12)


def test_calendar_hours_across_the_spring_change_are_real_hours() -> None:
    # 29 March 2026, Europe/Rome: 02:00 becomes 03:00; 24 real hours end at 13:00 on the wall clock.
    assert add_calendar_hours(dt.datetime(2026, 3, 28, 12), 24, ROME) == dt.datetime(2026, 3, 29, 13)
    assert hours_between(dt.datetime(2026, 3, 28, 12), dt.datetime(2026, 3, 29, 12), ROME) == 23.0


def test_calendar_hours_across_the_autumn_change_are_real_hours() -> None:
    # 25 October 2026, Europe/Rome: 03:00 becomes 02:00 again; 24 real hours end at 11:00.
    assert add_calendar_hours(dt.datetime(2026, 10, 24, 12), 24, ROME) == dt.datetime(2026, 10, 25, 11)
    assert add_hours(dt.datetime(2026, 10, 24, 12), 48, "calendar", ROME) == dt.datetime(2026, 10, 26, 11)


def test_business_hours_across_the_changes_count_working_time_only() -> None:
    # The changes happen on Sunday night: Friday 16:00 + 8 business hours is Monday 15:00 both times.
    assert add_business_hours(dt.datetime(2026, 3, 27, 16), 8, ROME) == dt.datetime(2026, 3, 30, 15)
    assert add_business_hours(dt.datetime(2026, 10, 23, 16), 8, ROME) == dt.datetime(2026, 10, 26, 15)
    # A calendar working on Sundays through the night sees the short and the long night.
    night = WorkCalendar(work_days=frozenset(range(7)), day_start=dt.time(0), day_end=dt.time(23, 59))
    assert add_business_hours(dt.datetime(2026, 3, 29, 1), 2, night) == dt.datetime(2026, 3, 29, 4)
    assert add_business_hours(dt.datetime(2026, 10, 25, 1), 2, night) == dt.datetime(2026, 10, 25, 2)


def test_an_aware_start_is_taken_in_the_calendars_zone() -> None:
    start = dt.datetime(2026, 12, 4, 15, tzinfo=dt.timezone.utc)  # 16:00 in Rome
    assert add_business_hours(start, 8, ROME) == dt.datetime(2026, 12, 7, 15)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        add_hours(dt.datetime(2026, 1, 1), 1, "lunar", ROME)
    with pytest.raises(ValueError):
        add_business_hours(dt.datetime(2026, 1, 1), -1, ROME)
    with pytest.raises(ValueError):
        WorkCalendar(day_start=dt.time(18), day_end=dt.time(9))


_starts = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0))
_quarters = st.integers(min_value=0, max_value=400).map(lambda q: q / 4)
_calendars = st.sampled_from([ROME, WorkCalendar(holidays=frozenset({dt.date(2026, 12, 25), dt.date(2026, 4, 6)})),
                              WorkCalendar(work_days=frozenset(range(7)), day_start=dt.time(0), day_end=dt.time(23, 59))])


@given(_starts, _quarters, _quarters, _calendars)
def test_business_hours_are_additive(start: dt.datetime, a: float, b: float, cal: WorkCalendar) -> None:
    assert add_business_hours(start, a + b, cal) == add_business_hours(add_business_hours(start, a, cal), b, cal)


@given(_starts, _quarters, _quarters, _calendars)
def test_business_hours_are_monotonic(start: dt.datetime, a: float, b: float, cal: WorkCalendar) -> None:
    low, high = sorted((a, b))
    assert add_business_hours(start, low, cal) <= add_business_hours(start, high, cal)
    assert add_business_hours(start, high, cal) >= start


@given(_starts, _quarters)
def test_calendar_hours_are_elapsed_real_hours(start: dt.datetime, hours: float) -> None:
    end = add_calendar_hours(start, hours, ROME)
    # A start in the skipped spring hour does not exist on the wall clock; any other start gives back its hours.
    if add_calendar_hours(start, 0, ROME) == start:
        assert hours_between(start, end, ROME) == hours
